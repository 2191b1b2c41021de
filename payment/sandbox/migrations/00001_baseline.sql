-- The schema gorm made from the models before the sandbox had migrations,
-- statement for statement. IF NOT EXISTS lets this file adopt such a
-- database as it is, data included, and create the same tables in a new one.
-- There is no Down: undoing a baseline would drop every trade.

-- +goose Up
CREATE TABLE IF NOT EXISTS `sandbox_trades` (`id` integer PRIMARY KEY AUTOINCREMENT,`partner` text NOT NULL,`out_trade_no` text NOT NULL,`service` text NOT NULL,`request_hash` text NOT NULL,`token` text NOT NULL,`subject` text,`body` text,`supplier` text,`currency` text NOT NULL,`total_minor` integer,`rmb_minor` integer,`notify_url` text,`return_url` text,`refer_url` text,`sign_type` text NOT NULL,`charset` text NOT NULL,`status` text NOT NULL,`trade_no` text,`buyer_id` text,`buyer_email` text,`opened` numeric,`refunded_minor` integer,`created_at` datetime,`updated_at` datetime,`expires_at` datetime,`paid_at` datetime,`closed_at` datetime);
CREATE INDEX IF NOT EXISTS `idx_sandbox_trades_expires_at` ON `sandbox_trades`(`expires_at`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sandbox_trades_trade_no` ON `sandbox_trades`(`trade_no`);
CREATE INDEX IF NOT EXISTS `idx_sandbox_trades_status` ON `sandbox_trades`(`status`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sandbox_trades_token` ON `sandbox_trades`(`token`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sandbox_trade_out` ON `sandbox_trades`(`partner`,`out_trade_no`);
CREATE TABLE IF NOT EXISTS `sandbox_notifications` (`id` integer PRIMARY KEY AUTOINCREMENT,`notify_id` text NOT NULL,`partner` text NOT NULL,`trade_id` integer NOT NULL,`out_trade_no` text NOT NULL,`trade_status` text,`url` text NOT NULL,`body` text NOT NULL,`content_type` text NOT NULL,`state` text NOT NULL,`attempts` integer,`next_at` datetime,`last_attempt_at` datetime,`delivered_at` datetime,`created_at` datetime);
CREATE INDEX IF NOT EXISTS `idx_sandbox_notifications_next_at` ON `sandbox_notifications`(`next_at`);
CREATE INDEX IF NOT EXISTS `idx_sandbox_notifications_state` ON `sandbox_notifications`(`state`);
CREATE INDEX IF NOT EXISTS `idx_sandbox_notifications_trade_id` ON `sandbox_notifications`(`trade_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sandbox_notifications_notify_id` ON `sandbox_notifications`(`notify_id`);
CREATE TABLE IF NOT EXISTS `sandbox_notification_attempts` (`id` integer PRIMARY KEY AUTOINCREMENT,`notification_id` integer NOT NULL,`at` datetime,`status_code` integer,`body` text,`latency_ms` integer,`error` text,`success` numeric,`manual` numeric,CONSTRAINT `fk_sandbox_notifications_deliveries` FOREIGN KEY (`notification_id`) REFERENCES `sandbox_notifications`(`id`));
CREATE INDEX IF NOT EXISTS `idx_sandbox_notification_attempts_notification_id` ON `sandbox_notification_attempts`(`notification_id`);
CREATE TABLE IF NOT EXISTS `sandbox_refunds` (`id` integer PRIMARY KEY AUTOINCREMENT,`partner` text NOT NULL,`out_return_no` text NOT NULL,`trade_id` integer NOT NULL,`out_trade_no` text NOT NULL,`request_hash` text NOT NULL,`currency` text,`amount_minor` integer,`reason` text,`gmt_return` text,`is_sync` numeric,`created_at` datetime);
CREATE INDEX IF NOT EXISTS `idx_sandbox_refunds_trade_id` ON `sandbox_refunds`(`trade_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sandbox_refund_out` ON `sandbox_refunds`(`partner`,`out_return_no`);
