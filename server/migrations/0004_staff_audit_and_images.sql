-- 0004: the staff console's audit trail and uploaded reward images.

-- Every staff action: who did what to which thing, when, and the thing before and after.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id bigint NOT NULL REFERENCES accounts (id),
    action text NOT NULL CONSTRAINT audit_log_action_present CHECK (length(btrim(action)) > 0),
    -- What was acted on, e.g. 'reward:42'.
    subject text NOT NULL,
    before jsonb,
    after jsonb,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_by_time ON audit_log (at DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at DESC);

-- Pictures staff upload for rewards, kept by the app (no outside storage to set up). Type and
-- size are limited here as well as in the app.
CREATE TABLE reward_images (
    reward_id bigint PRIMARY KEY REFERENCES rewards (id),
    content_type text NOT NULL CONSTRAINT reward_images_type_known CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    bytes bytea NOT NULL CONSTRAINT reward_images_size_limit CHECK (octet_length(bytes) BETWEEN 1 AND 1048576),
    updated_at timestamptz NOT NULL DEFAULT now()
);
