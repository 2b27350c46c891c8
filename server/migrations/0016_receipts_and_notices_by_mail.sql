-- Issue 22: more mail members ask for — a receipt for every redemption (with its code), a mail
-- when a drop they asked about moves or is cancelled, and a mail when points are about to
-- expire (for members who turned it on).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known CHECK (kind IN (
    'verify_email', 'sign_up_attempt', 'password_reset', 'drop_reminder', 'test',
    'receipt', 'drop_changed', 'expiring_points'
));

-- Which mail goes first when there is a queue (a drop's receipts can be thousands): 0 for mail
-- a person is waiting for (a verification or reset link), 1 for what is due at a time (drop
-- reminders and changes), 2 for the rest (receipts, expiring points, tests).
ALTER TABLE outbox ADD COLUMN priority smallint NOT NULL DEFAULT 2
    CONSTRAINT outbox_priority_known CHECK (priority BETWEEN 0 AND 2);
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (priority, due_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- When a redemption's receipt went into the outbox. Written by the receipts job, never by the
-- redemption writer: mail adds nothing to a press at drop time. Redemptions made before
-- receipts existed are not mailed now.
ALTER TABLE redemptions ADD COLUMN receipt_mailed_at timestamptz;
UPDATE redemptions SET receipt_mailed_at = created_at;
-- What the receipts job looks for: only the redemptions not mailed yet (a handful at any time).
CREATE INDEX redemptions_receipt_due ON redemptions (id) WHERE receipt_mailed_at IS NULL;

-- When the member was last told that points are about to expire (at most weekly).
ALTER TABLE accounts ADD COLUMN expiring_points_mailed_at timestamptz;
