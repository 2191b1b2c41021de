-- The outbox. (See the SQLite twin for the reasons.)

-- +goose Up
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  order_id bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  recipient text NOT NULL,
  status text NOT NULL CONSTRAINT chk_outbox_status CHECK (status IN ('pending','sent','failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL,
  lease_token text NOT NULL DEFAULT '',
  leased_until timestamptz,
  last_error text NOT NULL DEFAULT '',
  sent_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX idx_outbox_order_kind ON outbox(order_id, kind);
CREATE INDEX idx_outbox_due ON outbox(status, next_at);

-- +goose Down
DROP TABLE outbox;
