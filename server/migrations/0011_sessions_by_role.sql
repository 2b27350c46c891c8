-- Issue 20: sessions by role. Each session row says whose it is, where it was started, when it
-- began and when it was last used, so that
-- - idle expiry is real (a last-seen time, kept within a minute, not "14 days from sign-in"),
-- - staff and admin sessions can be short (30 minutes idle, 12 hours in all) while members
--   keep long ones,
-- - a member can see their signed-in devices and sign any of them out.
ALTER TABLE sessions
    ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    -- A short description of the browser ("Firefox on Android"), from its User-Agent.
    ADD COLUMN device text,
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX sessions_by_account ON sessions (account_id) WHERE account_id IS NOT NULL;
