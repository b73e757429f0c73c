-- Static payment codes (issue 5) and the payments made to them.
--
-- A code is bound to a merchant order id and receives any number of payments. Payments to a
-- code live in their own table rather than in `payments`: they share the code's mchOrderId (so
-- `payments`' UNIQUE (app_id, mch_order_id) cannot hold them), they are born COMPLETED (no
-- PENDING state, no expiry, no cashier of their own), and `payment/query` must not find them.
-- Their money moves exactly like a dynamic payment's (journal kind payment.completed).

CREATE TABLE static_codes (
    code_id        TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (app_id),
    mch_order_id   TEXT NOT NULL,
    country        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    channel_code   TEXT NOT NULL,
    channel_type   TEXT NOT NULL,
    fixed_amount   BIGINT CHECK (fixed_amount IS NULL OR fixed_amount > 0),
    status         TEXT NOT NULL,
    customer_name  TEXT NOT NULL,
    email          TEXT NOT NULL,
    mobile         TEXT NOT NULL,
    remark         TEXT,
    notify_url     TEXT NOT NULL,
    pay_data       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    closed_at      BIGINT
);
-- One ACTIVE code per app + mchOrderId + channel (21007); a cancelled or expired one may be
-- replaced.
CREATE UNIQUE INDEX static_codes_active_mch_order_id
    ON static_codes (app_id, mch_order_id, channel_code) WHERE status = 'ACTIVE';
-- A VA number (or QR payload) belongs to one ACTIVE code of its channel.
CREATE UNIQUE INDEX static_codes_active_pay_data
    ON static_codes (channel_code, pay_data) WHERE status = 'ACTIVE';
CREATE INDEX static_codes_app_order ON static_codes (app_id, mch_order_id);
CREATE INDEX static_codes_by_pay_data ON static_codes (pay_data);
CREATE INDEX static_codes_active_expiry ON static_codes (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE code_payments (
    transaction_id   TEXT PRIMARY KEY,
    code_id          TEXT NOT NULL REFERENCES static_codes (code_id),
    app_id           TEXT NOT NULL REFERENCES apps (app_id),
    mch_order_id     TEXT NOT NULL,
    country          TEXT NOT NULL,
    currency         TEXT NOT NULL,
    channel_code     TEXT NOT NULL,
    channel_type     TEXT NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    fee              BIGINT NOT NULL CHECK (fee >= 0),
    status           TEXT NOT NULL,
    reference_number TEXT,
    remark           TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT,
    failed_code      BIGINT
);
CREATE INDEX code_payments_code ON code_payments (code_id, status);
CREATE INDEX code_payments_app_order_created ON code_payments (app_id, mch_order_id, created_at);
