-- When the retry schedule had each attempt due, beside when it went out
-- (at): the schedule is what Alipay documents, and what a test can check
-- exactly. Attempts recorded before this migration, and manual ones, have
-- none.

-- +goose Up
ALTER TABLE `sandbox_notification_attempts` ADD COLUMN `scheduled_at` datetime;

-- +goose Down
ALTER TABLE `sandbox_notification_attempts` DROP COLUMN `scheduled_at`;
