-- sampan schema v2: payouts. Amount + fee are frozen on the merchant's balance while a payout
-- is PENDING; `settle_at` is when the channel is expected to answer (NULL: no answer due).

CREATE TABLE payouts (
    transaction_id          TEXT PRIMARY KEY,
    app_id                  TEXT NOT NULL REFERENCES apps (app_id),
    mch_order_id            TEXT NOT NULL,
    idempotency_id          TEXT NOT NULL,
    country                 TEXT NOT NULL,
    currency                TEXT NOT NULL,
    method_code             TEXT NOT NULL,
    pay_method_code         TEXT NOT NULL,
    transfer_code           TEXT,
    amount                  BIGINT NOT NULL CHECK (amount > 0),
    fee                     BIGINT NOT NULL CHECK (fee >= 0),
    status                  TEXT NOT NULL,
    account_no              TEXT NOT NULL,
    account_name            TEXT,
    account_type            TEXT,
    promptpay_account_type  TEXT,
    account_tax_id          TEXT,
    mobile                  TEXT,
    relationship            TEXT,
    remark                  TEXT,
    notify_url              TEXT,
    created_at              BIGINT NOT NULL,
    settle_at               BIGINT,
    finished_at             BIGINT,
    failed_code             BIGINT,
    -- Idempotency is the database's job: a repeat loses the race at the unique index.
    CONSTRAINT payouts_mch_order_id_key UNIQUE (app_id, mch_order_id),
    CONSTRAINT payouts_idempotency_id_key UNIQUE (app_id, idempotency_id)
);
CREATE INDEX payouts_due ON payouts (settle_at) WHERE status = 'PENDING';
CREATE INDEX payouts_status_created ON payouts (status, created_at);
CREATE INDEX payouts_app_created ON payouts (app_id, created_at);
