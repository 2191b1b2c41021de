-- After the payment: asynchronous refunds followed to their end (checked
-- with alipay.acquire.refund.query on a backoff until their notification
-- or an answer ends them), refund notifications told apart from trade
-- notifications, and the lines of Alipay's reconciliation
-- (forex_compare_file) and settlement (forex_liquidation_file) files,
-- stored by the day they belong to, with the days fetched.

-- +goose Up
ALTER TABLE refunds
  ADD COLUMN is_async boolean NOT NULL DEFAULT false,
  ADD COLUMN accepted_at timestamptz,
  ADD COLUMN next_check_at timestamptz,
  ADD COLUMN checks integer NOT NULL DEFAULT 0,
  ADD COLUMN finished_at timestamptz;
CREATE INDEX idx_refunds_next_check ON refunds(status, next_check_at);
CREATE INDEX idx_refunds_finished ON refunds(finished_at);
-- Refunds that ended before: their last change is when they ended.
UPDATE refunds SET finished_at = updated_at WHERE status <> 'pending';

ALTER TABLE notifications ADD COLUMN out_return_no text NOT NULL DEFAULT '';

CREATE TABLE settlement_lines (
  id bigserial PRIMARY KEY,
  file text NOT NULL CHECK (file IN ('compare','liquidation')),
  day text NOT NULL,
  partner_trans_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('P','R')),
  amount_minor bigint NOT NULL,
  fee_minor bigint NOT NULL,
  currency text NOT NULL,
  transaction_at timestamptz NOT NULL,
  settled_at timestamptz,
  status text NOT NULL,
  remarks text NOT NULL,
  line integer NOT NULL,
  fetched_at timestamptz NOT NULL
);
CREATE INDEX idx_settlement_lines_file_day ON settlement_lines(file, day);
CREATE INDEX idx_settlement_lines_trans ON settlement_lines(partner_trans_id);

CREATE TABLE settlement_days (
  file text NOT NULL CHECK (file IN ('compare','liquidation')),
  day text NOT NULL,
  lines integer NOT NULL,
  fetched_at timestamptz NOT NULL,
  fetched_by text NOT NULL,
  PRIMARY KEY (file, day)
);

-- +goose Down
DROP TABLE settlement_days;
DROP TABLE settlement_lines;
ALTER TABLE notifications DROP COLUMN out_return_no;
DROP INDEX idx_refunds_finished;
DROP INDEX idx_refunds_next_check;
ALTER TABLE refunds
  DROP COLUMN finished_at,
  DROP COLUMN checks,
  DROP COLUMN next_check_at,
  DROP COLUMN accepted_at,
  DROP COLUMN is_async;
