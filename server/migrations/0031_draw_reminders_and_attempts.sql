-- 0031: what members and staff still missed around draws (issue 26, parts 4 and 5): a
-- reminder before a draw's entries close, and a record of every press on "Enter" for staff
-- (entries over time, refusals by reason, suspected automation, as the post-drop report shows
-- for first-come rewards).

-- A member's wish to hear before a draw's entries close: asked for on the draw's page, or
-- carried over from their reminder for the draw's drop. `emailed_at` is set in the transaction
-- that writes the message, so it goes once across server instances.
CREATE TABLE draw_reminders (
    drop_item_id bigint NOT NULL REFERENCES draws (drop_item_id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    requested_at timestamptz NOT NULL DEFAULT now(),
    emailed_at timestamptz,
    PRIMARY KEY (drop_item_id, account_id)
);
-- Deleting an account removes its reminders.
CREATE INDEX draw_reminders_by_account ON draw_reminders (account_id);

-- Each press on "Enter" by a signed-in member, with how it ended: 'entered', 'again' (a
-- repeated press answered with the entry there was) or the refusal's reason. Written after
-- the entry's own transaction, so a refusal still writes nothing to points or entries. The
-- address is the one the request came from (erased with the account, as for redemptions).
CREATE TABLE draw_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drop_item_id bigint NOT NULL REFERENCES draws (drop_item_id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    client_ip text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL CONSTRAINT draw_attempts_outcome_known CHECK (outcome IN (
        'entered', 'again', 'cancelled', 'early', 'closed', 'tier', 'audience', 'unverified',
        'account_age', 'no_purchase', 'points'
    ))
);
CREATE INDEX draw_attempts_by_draw ON draw_attempts (drop_item_id, at);
CREATE INDEX draw_attempts_by_account ON draw_attempts (account_id);

-- The reminder is a message of its own kind: non-essential, turned off with drop reminders.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known CHECK (kind IN (
    'verify_email', 'sign_up_attempt', 'password_reset', 'drop_reminder', 'test',
    'receipt', 'drop_changed', 'expiring_points', 'offer', 'draw_reminder'
));
