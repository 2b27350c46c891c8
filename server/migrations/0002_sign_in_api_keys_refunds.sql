-- 0002: sign-in abuse limits, API keys for the earning API, and purchase refunds.
--
-- Sessions themselves live in the `tower_sessions` schema, created and managed by the session
-- store at start-up.

-- Every sign-in attempt, so that limits hold across server instances and restarts: after too
-- many failures for one email (or from one address) sign-in waits, whatever the password.
CREATE TABLE sign_in_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    ip text NOT NULL,
    succeeded boolean NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email, at DESC);
CREATE INDEX sign_in_attempts_by_ip ON sign_in_attempts (ip, at DESC);

-- Keys for integrators (the shop, the tills). Only a SHA-256 of the secret is stored: the key is
-- shown once when created. Keys are long random strings, so a fast hash is enough.
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CONSTRAINT api_keys_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 80),
    -- Purchases are idempotent per source: a new key for the same till keeps the same source,
    -- so a retried purchase still earns once after a key rotation.
    source text NOT NULL CONSTRAINT api_keys_source_shape CHECK (source ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    -- The first characters of the key, shown to staff to tell keys apart.
    prefix text NOT NULL CONSTRAINT api_keys_prefix_unique UNIQUE,
    secret_sha256 bytea NOT NULL CONSTRAINT api_keys_secret_unique UNIQUE,
    created_by bigint REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);

-- A purchase remembers a fingerprint of what was sent, so a replay with the same external id
-- but different details is refused instead of silently answered with the first purchase.
ALTER TABLE purchases ADD COLUMN request_sha256 bytea;

-- Refunds reverse a purchase's points once. If the member already spent them, only what is left
-- is taken back (a balance never goes negative); the rest is recorded as unrecovered.
ALTER TABLE purchases
    ADD COLUMN refunded_at timestamptz,
    ADD COLUMN points_reversed bigint,
    ADD COLUMN points_unrecovered bigint,
    ADD CONSTRAINT purchases_refund_complete CHECK (
        (refunded_at IS NULL AND points_reversed IS NULL AND points_unrecovered IS NULL)
        OR (refunded_at IS NOT NULL AND points_reversed >= 0 AND points_unrecovered >= 0
            AND points_reversed + points_unrecovered = points_earned)
    );

-- Sessions started before this moment are no longer valid: changing a password ends every other
-- session, including one an attacker may hold.
ALTER TABLE accounts ADD COLUMN sessions_valid_after timestamptz NOT NULL DEFAULT '-infinity';

-- Sessions, for every server instance to share. The key is a SHA-256 of the session id, so the
-- table alone cannot be used to take over a session.
CREATE TABLE sessions (
    id_sha256 bytea PRIMARY KEY,
    data jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_by_expiry ON sessions (expires_at);
