-- The schema as the shop's first release created it (with GORM's
-- automatic migration). IF NOT EXISTS lets a database made by that release adopt
-- this migration unchanged: its tables and indexes are exactly these.

-- +goose Up
CREATE TABLE IF NOT EXISTS `products` (`id` integer PRIMARY KEY AUTOINCREMENT,`slug` text NOT NULL,`name` text NOT NULL,`name_zh` text NOT NULL,`description` text NOT NULL,`description_zh` text NOT NULL,`price_minor` integer NOT NULL,`currency` text NOT NULL,`stock` integer NOT NULL,`image` text NOT NULL,`created_at` datetime,`updated_at` datetime,CONSTRAINT `chk_products_stock` CHECK (stock >= 0),CONSTRAINT `chk_products_price` CHECK (price_minor > 0));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_products_slug` ON `products`(`slug`);

CREATE TABLE IF NOT EXISTS `orders` (`id` integer PRIMARY KEY AUTOINCREMENT,`order_no` text NOT NULL,`owner_id` text NOT NULL,`checkout_key` text,`channel` text NOT NULL,`status` text NOT NULL,`currency` text NOT NULL,`total_minor` integer NOT NULL,`refunded_minor` integer NOT NULL,`name` text NOT NULL,`phone` text NOT NULL,`email` text NOT NULL,`address` text NOT NULL,`trade_no` text,`paid_at` datetime,`closed_at` datetime,`close_reason` text NOT NULL,`expires_at` datetime NOT NULL,`flagged` numeric NOT NULL,`flag_reason` text NOT NULL,`created_at` datetime,`updated_at` datetime,CONSTRAINT `chk_orders_status` CHECK (status IN ('pending','paid','closed','refunded')),CONSTRAINT `chk_orders_refunded` CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor),CONSTRAINT `chk_orders_total` CHECK (total_minor > 0),CONSTRAINT `chk_orders_channel` CHECK (channel IN ('wap','web','app')));
CREATE INDEX IF NOT EXISTS `idx_orders_flagged` ON `orders`(`flagged`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_orders_trade_no` ON `orders`(`trade_no`);
CREATE INDEX IF NOT EXISTS `idx_orders_status_expires` ON `orders`(`status`,`expires_at`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_orders_owner_checkout_key` ON `orders`(`owner_id`,`checkout_key`);
CREATE INDEX IF NOT EXISTS `idx_orders_owner_created` ON `orders`(`owner_id`,`created_at`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_orders_order_no` ON `orders`(`order_no`);

CREATE TABLE IF NOT EXISTS `order_lines` (`id` integer PRIMARY KEY AUTOINCREMENT,`order_id` integer NOT NULL,`product_id` integer NOT NULL,`name` text NOT NULL,`unit_minor` integer NOT NULL,`quantity` integer NOT NULL,CONSTRAINT `fk_order_lines_product` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE RESTRICT,CONSTRAINT `fk_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE CASCADE,CONSTRAINT `chk_order_lines_unit` CHECK (unit_minor > 0),CONSTRAINT `chk_order_lines_quantity` CHECK (quantity > 0));
CREATE INDEX IF NOT EXISTS `idx_order_lines_product_id` ON `order_lines`(`product_id`);
CREATE INDEX IF NOT EXISTS `idx_order_lines_order_id` ON `order_lines`(`order_id`);

CREATE TABLE IF NOT EXISTS `notifications` (`id` integer PRIMARY KEY AUTOINCREMENT,`received_at` datetime NOT NULL,`remote_addr` text NOT NULL,`content_type` text NOT NULL,`body` text NOT NULL,`notify_id` text NOT NULL,`out_trade_no` text NOT NULL,`trade_no` text NOT NULL,`trade_status` text NOT NULL,`verdict` text NOT NULL,`detail` text NOT NULL,`order_id` integer,`flagged` numeric NOT NULL,CONSTRAINT `fk_notifications_order` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE SET NULL,CONSTRAINT `chk_notifications_verdict` CHECK (verdict <> ''));
CREATE INDEX IF NOT EXISTS `idx_notifications_order_id` ON `notifications`(`order_id`);
CREATE INDEX IF NOT EXISTS `idx_notifications_out_trade_no` ON `notifications`(`out_trade_no`);
CREATE INDEX IF NOT EXISTS `idx_notifications_notify_id` ON `notifications`(`notify_id`);
CREATE INDEX IF NOT EXISTS `idx_notifications_received_at` ON `notifications`(`received_at`);

-- +goose Down
DROP TABLE `notifications`;
DROP TABLE `order_lines`;
DROP TABLE `orders`;
DROP TABLE `products`;
