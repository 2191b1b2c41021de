-- The mailbox: e-mails the merchant's application hands to the sandbox
-- instead of an SMTP server (the shop does so in sandbox mode, when no
-- SMTP_URL is set), kept to be read in the console and through the
-- control API. A message is stored once per Message-ID: a resent copy is
-- the same message.

-- +goose Up
CREATE TABLE `sandbox_mail` (
  `id` integer PRIMARY KEY AUTOINCREMENT,
  `message_id` text NOT NULL,
  `sender` text NOT NULL,
  `recipient` text NOT NULL,
  `subject` text NOT NULL,
  `text_body` text NOT NULL,
  `html_body` text NOT NULL,
  `received_at` datetime NOT NULL
);
CREATE UNIQUE INDEX `idx_sandbox_mail_message_id` ON `sandbox_mail`(`message_id`);
CREATE INDEX `idx_sandbox_mail_recipient` ON `sandbox_mail`(`recipient`);

-- +goose Down
DROP TABLE `sandbox_mail`;
