-- Safe by default: who holds stock, a bounded record of forged
-- notifications, and a row /healthz writes to prove the database takes
-- writes. (See the SQLite twin for the reasons.)

-- +goose Up
ALTER TABLE orders ADD COLUMN client_ip text NOT NULL DEFAULT '';
CREATE INDEX idx_orders_client_pending ON orders(client_ip, status, expires_at);

CREATE TABLE notification_rejects (
  id bigserial PRIMARY KEY,
  bucket timestamptz NOT NULL,
  reason text NOT NULL,
  count bigint NOT NULL CHECK (count > 0),
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  last_remote text NOT NULL,
  sample text NOT NULL
);
CREATE UNIQUE INDEX idx_notification_rejects_bucket_reason ON notification_rejects(bucket, reason);

CREATE TABLE heartbeats (id integer PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO heartbeats (id, at) VALUES (1, '1970-01-01 00:00:00+00');

-- +goose Down
DROP TABLE heartbeats;
DROP TABLE notification_rejects;
DROP INDEX idx_orders_client_pending;
ALTER TABLE orders DROP COLUMN client_ip;
