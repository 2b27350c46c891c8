-- Issue 22: two-factor sign-in (TOTP, RFC 6238) — required for admins, offered to everyone.
-- The shared secret is kept as the authenticator app has it (20 random bytes); a code is
-- accepted once (`totp_last_step`, the 30-second step of the last code taken), so a code seen
-- over a shoulder cannot be replayed within its window.
ALTER TABLE accounts
    ADD COLUMN totp_secret bytea
        CONSTRAINT accounts_totp_secret_length CHECK (length(totp_secret) = 20),
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN totp_last_step bigint,
    ADD CONSTRAINT accounts_totp_enabled_with_secret CHECK ((totp_enabled_at IS NULL) = (totp_secret IS NULL));

-- Ten single-use recovery codes per account with two-factor on, for a lost phone. Only their
-- SHA-256 is kept; turning two-factor on again (or an admin's reset) replaces them.
CREATE TABLE recovery_codes (
    account_id bigint NOT NULL REFERENCES accounts (id),
    code_sha256 bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (account_id, code_sha256)
);
