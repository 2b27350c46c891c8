-- Issue 22: email that reaches members. An outbox written in the same transaction as the event
-- that causes a message, single-use tokens for verifying an address and resetting a password,
-- what each member has said about the mail they want, and the key that signs unsubscribe links.

-- When the member proved the address is theirs (a verification link), and when a server
-- answered that it does not exist (a hard bounce: the account page says "we couldn't reach your
-- email"; changing nothing else). Mail a member asks for is on unless they turned it off:
-- drop reminders are consented drop by drop (the reminder button), expiring points only when
-- the member turns them on.
ALTER TABLE accounts
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN email_undeliverable_at timestamptz,
    ADD COLUMN mail_drop_reminders boolean NOT NULL DEFAULT true,
    ADD COLUMN mail_expiring_points boolean NOT NULL DEFAULT false;

-- Every message the portal sends, rendered when it is written (in the member's language and
-- time zone), sent by the delivery worker. A message is claimed by one server at a time
-- (`claimed_until`, taken with FOR UPDATE SKIP LOCKED); a server that dies after sending and
-- before marking leaves the claim to lapse, and the message goes once more with the same
-- Message-ID (mail systems drop the duplicate).
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL for a message to an address with no account (an admin's test message).
    account_id bigint REFERENCES accounts (id),
    to_address text NOT NULL CONSTRAINT outbox_to_address_shape CHECK (to_address LIKE '_%@_%' AND length(to_address) <= 254),
    kind text NOT NULL CONSTRAINT outbox_kind_known CHECK (kind IN (
        'verify_email', 'sign_up_attempt', 'password_reset', 'drop_reminder', 'test'
    )),
    -- Transactional (verification, reset, receipts): sent whatever the member's settings and
    -- outside the per-member cap on the others.
    essential boolean NOT NULL,
    message_id text NOT NULL CONSTRAINT outbox_message_id_unique UNIQUE,
    subject text NOT NULL CONSTRAINT outbox_subject_present CHECK (length(btrim(subject)) > 0),
    text_body text NOT NULL,
    html_body text NOT NULL,
    -- The one-click unsubscribe address for List-Unsubscribe (RFC 8058); none for essentials.
    unsubscribe_url text,
    created_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    claimed_until timestamptz,
    last_error text,
    sent_at timestamptz,
    -- 'smtp', or 'mailbox' when no SMTP server is configured and the admins' mailbox keeps it.
    sent_via text CONSTRAINT outbox_sent_via_known CHECK (sent_via IN ('smtp', 'mailbox')),
    -- Given up: a hard bounce, or too many failed attempts.
    failed_at timestamptz,
    CONSTRAINT outbox_sent_or_failed CHECK (sent_at IS NULL OR failed_at IS NULL),
    CONSTRAINT outbox_sent_says_how CHECK ((sent_at IS NULL) = (sent_via IS NULL))
);

-- What the delivery worker looks for, and only that.
CREATE INDEX outbox_due ON outbox (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;
-- A member's recent messages (the per-member cap, the mailbox, "Download my data" later).
CREATE INDEX outbox_by_account ON outbox (account_id, created_at);

-- Links sent by email: verifying an address (24 hours) and resetting a password (30 minutes).
-- Only the SHA-256 of the token is kept: a copy of the database does not open accounts.
CREATE TABLE email_tokens (
    token_sha256 bytea PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    purpose text NOT NULL CONSTRAINT email_tokens_purpose_known CHECK (purpose IN ('verify_email', 'password_reset')),
    -- The address the link was sent to: following it proves that address, not a later one.
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE INDEX email_tokens_by_account ON email_tokens (account_id, purpose);

-- Password-reset requests, whether or not the address has an account, for their limits (per
-- address asked about and per client address).
CREATE TABLE password_reset_requests (
    email text NOT NULL,
    ip text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX password_reset_requests_by_email ON password_reset_requests (email, at);
CREATE INDEX password_reset_requests_by_ip ON password_reset_requests (ip, at);

-- When a drop's reminder went into the outbox: once per member and drop, whichever server
-- looks first.
ALTER TABLE drop_reminders ADD COLUMN emailed_at timestamptz;

-- Keys the servers share, made once by the first server to start (never in the repository):
-- 'unsubscribe' signs unsubscribe links.
CREATE TABLE server_keys (
    name text PRIMARY KEY,
    key bytea NOT NULL CONSTRAINT server_keys_long_enough CHECK (length(key) >= 32)
);
