-- The outbox: e-mails to send, each written in the transaction that makes
-- the change it reports (an order paid), and sent afterwards by a worker
-- that records every attempt. One e-mail of a kind per order: the unique
-- index keeps a second one out whatever happens above it.
--
-- A worker claims a due row by leasing it (lease_token, leased_until) and
-- counting an attempt; only the holder of the token records the result.
-- Rows that are sent or given up (status failed, with their last error)
-- stay, for the record.

-- +goose Up
CREATE TABLE `outbox` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `kind` text NOT NULL,
  `order_id` integer NOT NULL REFERENCES `orders`(`id`) ON DELETE CASCADE,
  `recipient` text NOT NULL,
  `status` text NOT NULL CONSTRAINT `chk_outbox_status` CHECK (`status` IN ('pending','sent','failed')),
  `attempts` integer NOT NULL DEFAULT 0,
  `next_at` datetime NOT NULL,
  `lease_token` text NOT NULL DEFAULT '',
  `leased_until` datetime,
  `last_error` text NOT NULL DEFAULT '',
  `sent_at` datetime,
  `created_at` datetime NOT NULL,
  `updated_at` datetime NOT NULL
);
CREATE UNIQUE INDEX `idx_outbox_order_kind` ON `outbox`(`order_id`,`kind`);
CREATE INDEX `idx_outbox_due` ON `outbox`(`status`,`next_at`);

-- +goose Down
DROP TABLE `outbox`;
