-- The merchant's catalog. (See the SQLite twin for the reasons.)

-- +goose Up
CREATE TABLE categories (
  id bigserial PRIMARY KEY,
  slug text NOT NULL,
  name text NOT NULL,
  name_zh text NOT NULL,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX idx_categories_slug ON categories(slug);

ALTER TABLE products ADD COLUMN category_id bigint REFERENCES categories(id) ON DELETE SET NULL;
ALTER TABLE products ADD COLUMN sort_order integer NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN hidden boolean NOT NULL DEFAULT false;
CREATE INDEX idx_products_category ON products(category_id);

CREATE TABLE pictures (
  id bigserial PRIMARY KEY,
  product_id bigint NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  position integer NOT NULL,
  alt text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL
);
CREATE INDEX idx_pictures_product ON pictures(product_id, position);
CREATE TABLE picture_files (
  id bigserial PRIMARY KEY,
  picture_id bigint NOT NULL REFERENCES pictures(id) ON DELETE CASCADE,
  width integer NOT NULL,
  height integer NOT NULL,
  content_type text NOT NULL,
  hash text NOT NULL,
  data bytea NOT NULL
);
CREATE UNIQUE INDEX idx_picture_files_hash ON picture_files(hash);
CREATE INDEX idx_picture_files_picture ON picture_files(picture_id);

ALTER TABLE order_lines ADD COLUMN name_zh text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN lang text NOT NULL DEFAULT 'en';

-- +goose Down
ALTER TABLE orders DROP COLUMN lang;
ALTER TABLE order_lines DROP COLUMN name_zh;
DROP TABLE picture_files;
DROP TABLE pictures;
DROP INDEX idx_products_category;
ALTER TABLE products DROP COLUMN hidden;
ALTER TABLE products DROP COLUMN sort_order;
ALTER TABLE products DROP COLUMN category_id;
DROP TABLE categories;
