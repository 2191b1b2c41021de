-- The merchant admin: staff accounts and their server-side sessions,
-- sign-in attempts, the audit log, each order's timeline, review flags
-- and their resolution, refunds, and fulfilment.

-- +goose Up
CREATE TABLE `staff` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `name` text NOT NULL,
  `password_hash` text NOT NULL,
  `password_changed_at` datetime NOT NULL,
  `created_at` datetime NOT NULL
);
CREATE UNIQUE INDEX `idx_staff_name` ON `staff`(`name`);

-- The id is the SHA-256 of the cookie's token: a copy of the table does
-- not hold usable cookies.
CREATE TABLE `admin_sessions` (
  `id` text PRIMARY KEY,
  `staff_id` integer NOT NULL REFERENCES `staff`(`id`) ON DELETE CASCADE,
  `csrf_token` text NOT NULL,
  `created_at` datetime NOT NULL,
  `last_seen_at` datetime NOT NULL,
  `expires_at` datetime NOT NULL,
  `remote` text NOT NULL,
  `user_agent` text NOT NULL
);
CREATE INDEX `idx_admin_sessions_staff` ON `admin_sessions`(`staff_id`);

CREATE TABLE `login_attempts` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `at` datetime NOT NULL,
  `client` text NOT NULL,
  `name` text NOT NULL,
  `known_device` numeric NOT NULL,
  `ok` numeric NOT NULL
);
CREATE INDEX `idx_login_attempts_client` ON `login_attempts`(`client`,`at`);
CREATE INDEX `idx_login_attempts_name` ON `login_attempts`(`name`,`at`);

CREATE TABLE `audit_log` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `at` datetime NOT NULL,
  `staff` text NOT NULL,
  `action` text NOT NULL,
  `target` text NOT NULL,
  `detail` text NOT NULL,
  `remote` text NOT NULL
);
CREATE INDEX `idx_audit_log_at` ON `audit_log`(`at`);

CREATE TABLE `order_events` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `order_id` integer NOT NULL REFERENCES `orders`(`id`) ON DELETE CASCADE,
  `at` datetime NOT NULL,
  `kind` text NOT NULL,
  `detail` text NOT NULL,
  `actor` text NOT NULL
);
CREATE INDEX `idx_order_events_order` ON `order_events`(`order_id`,`at`);

CREATE TABLE `reviews` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `order_id` integer REFERENCES `orders`(`id`) ON DELETE SET NULL,
  `notification_id` integer REFERENCES `notifications`(`id`) ON DELETE SET NULL,
  `kind` text NOT NULL,
  `reason` text NOT NULL,
  `created_at` datetime NOT NULL,
  `resolved_at` datetime,
  `resolved_by` text NOT NULL DEFAULT '',
  `resolution` text NOT NULL DEFAULT ''
);
CREATE INDEX `idx_reviews_open` ON `reviews`(`resolved_at`,`created_at`);
CREATE INDEX `idx_reviews_order` ON `reviews`(`order_id`);
-- Flags raised before reviews existed become open reviews.
INSERT INTO `reviews` (`order_id`, `notification_id`, `kind`, `reason`, `created_at`)
  SELECT `order_id`, `id`, `verdict`, `detail`, `received_at` FROM `notifications` WHERE `flagged`;

CREATE TABLE `refunds` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `order_id` integer NOT NULL REFERENCES `orders`(`id`) ON DELETE RESTRICT,
  `out_return_no` text NOT NULL,
  `amount_minor` integer NOT NULL CHECK (`amount_minor` > 0),
  `currency` text NOT NULL,
  `reason` text NOT NULL,
  `restock` numeric NOT NULL,
  `status` text NOT NULL CHECK (`status` IN ('pending','succeeded','failed')),
  `error_code` text NOT NULL DEFAULT '',
  `error_message` text NOT NULL DEFAULT '',
  `created_by` text NOT NULL,
  `created_at` datetime NOT NULL,
  `updated_at` datetime NOT NULL
);
CREATE UNIQUE INDEX `idx_refunds_out_return_no` ON `refunds`(`out_return_no`);
CREATE INDEX `idx_refunds_order` ON `refunds`(`order_id`);

ALTER TABLE `orders` ADD COLUMN `shipped_at` datetime;
ALTER TABLE `orders` ADD COLUMN `carrier` text NOT NULL DEFAULT '';
ALTER TABLE `orders` ADD COLUMN `tracking_no` text NOT NULL DEFAULT '';
ALTER TABLE `orders` ADD COLUMN `restocked_at` datetime;
CREATE INDEX `idx_orders_paid_at` ON `orders`(`paid_at`);
CREATE INDEX `idx_orders_created_at` ON `orders`(`created_at`);

-- +goose Down
DROP INDEX `idx_orders_created_at`;
DROP INDEX `idx_orders_paid_at`;
ALTER TABLE `orders` DROP COLUMN `restocked_at`;
ALTER TABLE `orders` DROP COLUMN `tracking_no`;
ALTER TABLE `orders` DROP COLUMN `carrier`;
ALTER TABLE `orders` DROP COLUMN `shipped_at`;
DROP TABLE `refunds`;
DROP TABLE `reviews`;
DROP TABLE `order_events`;
DROP TABLE `audit_log`;
DROP TABLE `login_attempts`;
DROP TABLE `admin_sessions`;
DROP TABLE `staff`;
