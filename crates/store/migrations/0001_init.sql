-- sampan schema v1. Written once for both backends; `{ID}` becomes the dialect's
-- auto-increment primary key. Times are UTC epoch milliseconds; money is BIGINT minor units.

CREATE TABLE apps (
    app_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    status      TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE payments (
    transaction_id TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (app_id),
    mch_order_id   TEXT NOT NULL,
    country        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    channel_code   TEXT NOT NULL,
    channel_type   TEXT NOT NULL,
    amount         BIGINT NOT NULL CHECK (amount > 0),
    fee            BIGINT NOT NULL CHECK (fee >= 0),
    status         TEXT NOT NULL,
    customer_name  TEXT NOT NULL,
    email          TEXT NOT NULL,
    mobile         TEXT NOT NULL,
    remark         TEXT,
    notify_url     TEXT NOT NULL,
    redirect_url   TEXT,
    pay_data       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    finished_at    BIGINT,
    failed_code    BIGINT,
    CONSTRAINT payments_mch_order_id_key UNIQUE (app_id, mch_order_id)
);
-- A VA or reference number identifies the order a payer's transfer belongs to, so no two open
-- orders of a channel may share one.
CREATE UNIQUE INDEX payments_open_pay_data ON payments (channel_code, pay_data)
    WHERE status = 'PENDING' AND channel_type = 'VA';
CREATE INDEX payments_pending_expiry ON payments (expires_at) WHERE status = 'PENDING';
CREATE INDEX payments_app_created ON payments (app_id, created_at);

CREATE TABLE journal_entries (
    id          {ID},
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    memo        TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX journal_entries_reference ON journal_entries (reference);

CREATE TABLE postings (
    id        {ID},
    entry_id  BIGINT NOT NULL REFERENCES journal_entries (id),
    account   TEXT NOT NULL,
    currency  TEXT NOT NULL,
    amount    BIGINT NOT NULL
);
CREATE INDEX postings_account ON postings (account);
CREATE INDEX postings_entry ON postings (entry_id);

CREATE TABLE balances (
    account     TEXT PRIMARY KEY,
    currency    TEXT NOT NULL,
    balance     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE notifications (
    id               {ID},
    app_id           TEXT NOT NULL,
    event            TEXT NOT NULL,
    reference        TEXT NOT NULL,
    url              TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX notifications_reference ON notifications (reference);

CREATE TABLE notification_attempts (
    notification_id   BIGINT NOT NULL REFERENCES notifications (id),
    attempt_no        BIGINT NOT NULL,
    at                BIGINT NOT NULL,
    http_status       BIGINT,
    response_excerpt  TEXT NOT NULL,
    latency_ms        BIGINT NOT NULL,
    delivered         BIGINT NOT NULL,
    PRIMARY KEY (notification_id, attempt_no)
);
