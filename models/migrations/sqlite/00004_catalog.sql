-- The merchant's catalog: categories, hiding and ordering products,
-- pictures stored in the database (every instance reads them), and the
-- shopper's language kept with the order so its lines and Alipay's
-- subject stay in it after the catalog changes.

-- +goose Up
CREATE TABLE `categories` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `slug` text NOT NULL,
  `name` text NOT NULL,
  `name_zh` text NOT NULL,
  `sort_order` integer NOT NULL DEFAULT 0,
  `created_at` datetime NOT NULL,
  `updated_at` datetime NOT NULL
);
CREATE UNIQUE INDEX `idx_categories_slug` ON `categories`(`slug`);

ALTER TABLE `products` ADD COLUMN `category_id` integer REFERENCES `categories`(`id`) ON DELETE SET NULL;
ALTER TABLE `products` ADD COLUMN `sort_order` integer NOT NULL DEFAULT 0;
ALTER TABLE `products` ADD COLUMN `hidden` numeric NOT NULL DEFAULT 0;
CREATE INDEX `idx_products_category` ON `products`(`category_id`);

-- A picture of a product, in the sizes the pages need. Each file is
-- served at a URL made of its content's hash, so it can be cached for
-- ever.
CREATE TABLE `pictures` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `product_id` integer NOT NULL REFERENCES `products`(`id`) ON DELETE CASCADE,
  `position` integer NOT NULL,
  `alt` text NOT NULL DEFAULT '',
  `created_at` datetime NOT NULL
);
CREATE INDEX `idx_pictures_product` ON `pictures`(`product_id`,`position`);
CREATE TABLE `picture_files` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `picture_id` integer NOT NULL REFERENCES `pictures`(`id`) ON DELETE CASCADE,
  `width` integer NOT NULL,
  `height` integer NOT NULL,
  `content_type` text NOT NULL,
  `hash` text NOT NULL,
  `data` blob NOT NULL
);
CREATE UNIQUE INDEX `idx_picture_files_hash` ON `picture_files`(`hash`);
CREATE INDEX `idx_picture_files_picture` ON `picture_files`(`picture_id`);

ALTER TABLE `order_lines` ADD COLUMN `name_zh` text NOT NULL DEFAULT '';
ALTER TABLE `orders` ADD COLUMN `lang` text NOT NULL DEFAULT 'en';

-- +goose Down
ALTER TABLE `orders` DROP COLUMN `lang`;
ALTER TABLE `order_lines` DROP COLUMN `name_zh`;
DROP TABLE `picture_files`;
DROP TABLE `pictures`;
DROP INDEX `idx_products_category`;
ALTER TABLE `products` DROP COLUMN `hidden`;
ALTER TABLE `products` DROP COLUMN `sort_order`;
ALTER TABLE `products` DROP COLUMN `category_id`;
DROP TABLE `categories`;
