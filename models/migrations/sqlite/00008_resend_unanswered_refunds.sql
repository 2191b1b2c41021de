-- Refunds whose answer from Alipay was never recorded (no answer, a 5xx,
-- SYSTEM_ERROR, a crash) are now sent again by the refund checker. Those
-- left pending before this release are due at once; nothing else changes.

-- +goose Up
UPDATE refunds SET next_check_at = updated_at
  WHERE status = 'pending' AND accepted_at IS NULL AND next_check_at IS NULL;

-- +goose Down
-- Nothing to undo: the column keeps its meaning for the releases before.
SELECT 1;
