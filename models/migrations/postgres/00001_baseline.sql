-- The shop's first schema, for PostgreSQL: the same tables, columns,
-- constraints and index names as the SQLite baseline.

-- +goose Up
CREATE TABLE products (
  id bigserial PRIMARY KEY,
  slug text NOT NULL,
  name text NOT NULL,
  name_zh text NOT NULL,
  description text NOT NULL,
  description_zh text NOT NULL,
  price_minor bigint NOT NULL CONSTRAINT chk_products_price CHECK (price_minor > 0),
  currency text NOT NULL,
  stock integer NOT NULL CONSTRAINT chk_products_stock CHECK (stock >= 0),
  image text NOT NULL,
  created_at timestamptz,
  updated_at timestamptz
);
CREATE UNIQUE INDEX idx_products_slug ON products(slug);

CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  order_no text NOT NULL,
  owner_id text NOT NULL,
  checkout_key text,
  channel text NOT NULL CONSTRAINT chk_orders_channel CHECK (channel IN ('wap','web','app')),
  status text NOT NULL CONSTRAINT chk_orders_status CHECK (status IN ('pending','paid','closed','refunded')),
  currency text NOT NULL,
  total_minor bigint NOT NULL CONSTRAINT chk_orders_total CHECK (total_minor > 0),
  refunded_minor bigint NOT NULL,
  name text NOT NULL,
  phone text NOT NULL,
  email text NOT NULL,
  address text NOT NULL,
  trade_no text,
  paid_at timestamptz,
  closed_at timestamptz,
  close_reason text NOT NULL,
  expires_at timestamptz NOT NULL,
  flagged boolean NOT NULL,
  flag_reason text NOT NULL,
  created_at timestamptz,
  updated_at timestamptz,
  CONSTRAINT chk_orders_refunded CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor)
);
CREATE INDEX idx_orders_flagged ON orders(flagged);
CREATE UNIQUE INDEX idx_orders_trade_no ON orders(trade_no);
CREATE INDEX idx_orders_status_expires ON orders(status, expires_at);
CREATE UNIQUE INDEX idx_orders_owner_checkout_key ON orders(owner_id, checkout_key);
CREATE INDEX idx_orders_owner_created ON orders(owner_id, created_at);
CREATE UNIQUE INDEX idx_orders_order_no ON orders(order_no);

CREATE TABLE order_lines (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL CONSTRAINT fk_orders_lines REFERENCES orders(id) ON DELETE CASCADE,
  product_id bigint NOT NULL CONSTRAINT fk_order_lines_product REFERENCES products(id) ON DELETE RESTRICT,
  name text NOT NULL,
  unit_minor bigint NOT NULL CONSTRAINT chk_order_lines_unit CHECK (unit_minor > 0),
  quantity integer NOT NULL CONSTRAINT chk_order_lines_quantity CHECK (quantity > 0)
);
CREATE INDEX idx_order_lines_product_id ON order_lines(product_id);
CREATE INDEX idx_order_lines_order_id ON order_lines(order_id);

CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  remote_addr text NOT NULL,
  content_type text NOT NULL,
  body text NOT NULL,
  notify_id text NOT NULL,
  out_trade_no text NOT NULL,
  trade_no text NOT NULL,
  trade_status text NOT NULL,
  verdict text NOT NULL CONSTRAINT chk_notifications_verdict CHECK (verdict <> ''),
  detail text NOT NULL,
  order_id bigint CONSTRAINT fk_notifications_order REFERENCES orders(id) ON DELETE SET NULL,
  flagged boolean NOT NULL
);
CREATE INDEX idx_notifications_order_id ON notifications(order_id);
CREATE INDEX idx_notifications_out_trade_no ON notifications(out_trade_no);
CREATE INDEX idx_notifications_notify_id ON notifications(notify_id);
CREATE INDEX idx_notifications_received_at ON notifications(received_at);

-- +goose Down
DROP TABLE notifications;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE products;
