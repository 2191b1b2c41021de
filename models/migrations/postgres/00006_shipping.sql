-- Shipping: the delivery address in parts (the free-text address stays,
-- filled with the parts formatted, for everything that reads it), and the
-- shipping charge, which is part of total_minor (the amount sent to
-- Alipay): the items are total_minor - shipping_minor. Orders made before
-- have no parts and no charge.

-- +goose Up
ALTER TABLE orders
  ADD COLUMN shipping_minor bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT chk_orders_shipping CHECK (shipping_minor >= 0 AND shipping_minor < total_minor),
  ADD COLUMN country text NOT NULL DEFAULT '',
  ADD COLUMN province text NOT NULL DEFAULT '',
  ADD COLUMN city text NOT NULL DEFAULT '',
  ADD COLUMN street text NOT NULL DEFAULT '',
  ADD COLUMN postcode text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders
  DROP COLUMN postcode,
  DROP COLUMN street,
  DROP COLUMN city,
  DROP COLUMN province,
  DROP COLUMN country,
  DROP CONSTRAINT chk_orders_shipping,
  DROP COLUMN shipping_minor;
