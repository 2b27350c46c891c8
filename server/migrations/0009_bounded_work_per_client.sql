-- Issue 20: bounded work per client, and staff who cannot give themselves points.

-- Where each account was created from, so sign-ups can be limited per address (the index
-- answers "how many from this address in the last hour").
ALTER TABLE accounts ADD COLUMN sign_up_ip text;
CREATE INDEX accounts_by_sign_up_ip ON accounts (sign_up_ip, created_at) WHERE sign_up_ip IS NOT NULL;
-- "How many accounts were made everywhere in the last minute" (the global sign-up limit).
CREATE INDEX accounts_by_created_at ON accounts (created_at);

-- Sign-in failures are now counted per (email, address), so a stranger's failures never lock
-- the owner out of their own device.
CREATE INDEX sign_in_attempts_by_email_ip ON sign_in_attempts (email, ip, at DESC);

-- Adjustments larger than this (either way) need an admin: one staff account, stolen or
-- careless, cannot move large amounts of points.
ALTER TABLE store_settings ADD COLUMN staff_adjustment_limit bigint NOT NULL DEFAULT 10000
    CONSTRAINT store_settings_staff_adjustment_limit_positive CHECK (staff_adjustment_limit > 0);
