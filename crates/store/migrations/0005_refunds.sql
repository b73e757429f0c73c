-- sampan schema v5: refunds of completed payments. The amount is frozen on the merchant's
-- balance while a refund is PENDING; `settle_at` is when the channel is expected to answer.
-- `fee_refund` is the fee given back on completion (the channel's policy, decided at
-- acceptance: the original's whole fee for a full refund, 0 for a partial one).

CREATE TABLE refunds (
    refund_transaction_id   TEXT PRIMARY KEY,
    app_id                  TEXT NOT NULL REFERENCES apps (app_id),
    mch_refund_order_id     TEXT NOT NULL,
    original_transaction_id TEXT NOT NULL REFERENCES payments (transaction_id),
    country                 TEXT NOT NULL,
    currency                TEXT NOT NULL,
    channel_code            TEXT NOT NULL,
    amount                  BIGINT NOT NULL CHECK (amount > 0),
    fee_refund              BIGINT NOT NULL CHECK (fee_refund >= 0),
    status                  TEXT NOT NULL,
    reason                  TEXT,
    callback_url            TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    settle_at               BIGINT,
    finished_at             BIGINT,
    failed_code             BIGINT,
    -- Idempotency is the database's job: a repeat loses the race at the unique index.
    CONSTRAINT refunds_mch_refund_order_id_key UNIQUE (app_id, mch_refund_order_id)
);
-- At most one PENDING refund per original (21409), whatever races to create one.
CREATE UNIQUE INDEX refunds_pending_original_key ON refunds (original_transaction_id)
    WHERE status = 'PENDING';
CREATE INDEX refunds_original ON refunds (original_transaction_id, created_at);
CREATE INDEX refunds_due ON refunds (settle_at) WHERE status = 'PENDING';
CREATE INDEX refunds_status_created ON refunds (status, created_at);
