-- Issue 22: more mail members ask for — a receipt for every redemption (with its code), a mail
-- when a drop they asked about moves or is cancelled, and a mail when points are about to
-- expire (for members who turned it on).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known CHECK (kind IN (
    'verify_email', 'sign_up_attempt', 'password_reset', 'drop_reminder', 'test',
    'receipt', 'drop_changed', 'expiring_points'
));

-- When a redemption's receipt went into the outbox. Written by the receipts job, never by the
-- redemption writer: mail adds nothing to a press at drop time. Redemptions made before
-- receipts existed are not mailed now.
ALTER TABLE redemptions ADD COLUMN receipt_mailed_at timestamptz;
UPDATE redemptions SET receipt_mailed_at = created_at;
-- What the receipts job looks for: only the redemptions not mailed yet (a handful at any time).
CREATE INDEX redemptions_receipt_due ON redemptions (id) WHERE receipt_mailed_at IS NULL;

-- When the member was last told that points are about to expire (at most weekly).
ALTER TABLE accounts ADD COLUMN expiring_points_mailed_at timestamptz;
