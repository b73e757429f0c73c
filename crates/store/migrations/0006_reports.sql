-- Report files (issue 7) read one app's transactions of one country and day in
-- (created_at, transaction_id) order, a page at a time; the daily summary scans one day of
-- everything.
CREATE INDEX payments_report ON payments (app_id, country, created_at, transaction_id);
CREATE INDEX payouts_report ON payouts (app_id, country, created_at, transaction_id);
CREATE INDEX code_payments_report ON code_payments (app_id, country, created_at, transaction_id);
CREATE INDEX code_payments_created ON code_payments (created_at);
CREATE INDEX payments_created ON payments (created_at);
CREATE INDEX payouts_created ON payouts (created_at);
CREATE INDEX refunds_created ON refunds (created_at);
