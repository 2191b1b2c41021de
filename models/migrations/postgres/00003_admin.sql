-- The merchant admin. (See the SQLite twin for the reasons.)

-- +goose Up
CREATE TABLE staff (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX idx_staff_name ON staff(name);

CREATE TABLE admin_sessions (
  id text PRIMARY KEY,
  staff_id bigint NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  remote text NOT NULL,
  user_agent text NOT NULL
);
CREATE INDEX idx_admin_sessions_staff ON admin_sessions(staff_id);

CREATE TABLE login_attempts (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  client text NOT NULL,
  name text NOT NULL,
  known_device boolean NOT NULL,
  ok boolean NOT NULL
);
CREATE INDEX idx_login_attempts_client ON login_attempts(client, at);
CREATE INDEX idx_login_attempts_name ON login_attempts(name, at);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  staff text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text NOT NULL,
  remote text NOT NULL
);
CREATE INDEX idx_audit_log_at ON audit_log(at);

CREATE TABLE order_events (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  detail text NOT NULL,
  actor text NOT NULL
);
CREATE INDEX idx_order_events_order ON order_events(order_id, at);

CREATE TABLE reviews (
  id bigserial PRIMARY KEY,
  order_id bigint REFERENCES orders(id) ON DELETE SET NULL,
  notification_id bigint REFERENCES notifications(id) ON DELETE SET NULL,
  kind text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  resolved_by text NOT NULL DEFAULT '',
  resolution text NOT NULL DEFAULT ''
);
CREATE INDEX idx_reviews_open ON reviews(resolved_at, created_at);
CREATE INDEX idx_reviews_order ON reviews(order_id);
INSERT INTO reviews (order_id, notification_id, kind, reason, created_at)
  SELECT order_id, id, verdict, detail, received_at FROM notifications WHERE flagged;

CREATE TABLE refunds (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders(id) ON DELETE RESTRICT,
  out_return_no text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL,
  reason text NOT NULL,
  restock boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('pending','succeeded','failed')),
  error_code text NOT NULL DEFAULT '',
  error_message text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX idx_refunds_out_return_no ON refunds(out_return_no);
CREATE INDEX idx_refunds_order ON refunds(order_id);

ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
ALTER TABLE orders ADD COLUMN carrier text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN tracking_no text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN restocked_at timestamptz;
CREATE INDEX idx_orders_paid_at ON orders(paid_at);
CREATE INDEX idx_orders_created_at ON orders(created_at);

-- +goose Down
DROP INDEX idx_orders_created_at;
DROP INDEX idx_orders_paid_at;
ALTER TABLE orders DROP COLUMN restocked_at;
ALTER TABLE orders DROP COLUMN tracking_no;
ALTER TABLE orders DROP COLUMN carrier;
ALTER TABLE orders DROP COLUMN shipped_at;
DROP TABLE refunds;
DROP TABLE reviews;
DROP TABLE order_events;
DROP TABLE audit_log;
DROP TABLE login_attempts;
DROP TABLE admin_sessions;
DROP TABLE staff;
