-- Asynchronous refunds (is_sync=N): a refund is accepted PROCESSING, due to
-- complete at due_at, and ends SUCCESS or FAILED (error_code) at
-- completed_at; its result is notified to its own notify_url, signed as
-- the refund request was (sign_type, charset). Refunds made before this
-- migration were executed at once: SUCCESS, completed when created.
--
-- A trade keeps the amount of its refunds still processing apart
-- (refund_pending_minor), so that no refund can exceed the payment
-- meanwhile, and only money actually refunded (refunded_minor) closes it.
--
-- Notifications are a trade's or a refund's (kind), the latter with the
-- refund's out_return_no and refund_status.

-- +goose Up
ALTER TABLE `sandbox_refunds` ADD COLUMN `status` text NOT NULL DEFAULT 'SUCCESS';
ALTER TABLE `sandbox_refunds` ADD COLUMN `error_code` text;
ALTER TABLE `sandbox_refunds` ADD COLUMN `notify_url` text;
ALTER TABLE `sandbox_refunds` ADD COLUMN `sign_type` text;
ALTER TABLE `sandbox_refunds` ADD COLUMN `charset` text;
ALTER TABLE `sandbox_refunds` ADD COLUMN `due_at` datetime;
ALTER TABLE `sandbox_refunds` ADD COLUMN `completed_at` datetime;
UPDATE `sandbox_refunds` SET `completed_at` = `created_at`;
CREATE INDEX `idx_sandbox_refunds_due` ON `sandbox_refunds`(`status`, `due_at`);
CREATE INDEX `idx_sandbox_refunds_partner_created` ON `sandbox_refunds`(`partner`, `created_at`);
ALTER TABLE `sandbox_trades` ADD COLUMN `refund_pending_minor` integer NOT NULL DEFAULT 0;
ALTER TABLE `sandbox_notifications` ADD COLUMN `kind` text NOT NULL DEFAULT 'trade';
ALTER TABLE `sandbox_notifications` ADD COLUMN `out_return_no` text;
ALTER TABLE `sandbox_notifications` ADD COLUMN `refund_status` text;

-- +goose Down
ALTER TABLE `sandbox_notifications` DROP COLUMN `refund_status`;
ALTER TABLE `sandbox_notifications` DROP COLUMN `out_return_no`;
ALTER TABLE `sandbox_notifications` DROP COLUMN `kind`;
ALTER TABLE `sandbox_trades` DROP COLUMN `refund_pending_minor`;
DROP INDEX `idx_sandbox_refunds_partner_created`;
DROP INDEX `idx_sandbox_refunds_due`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `completed_at`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `due_at`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `charset`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `sign_type`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `notify_url`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `error_code`;
ALTER TABLE `sandbox_refunds` DROP COLUMN `status`;
