-- 0005: recurring drop schedules, duplicate-drop protection, reminders and notices for members,
-- and the log of redemption attempts that the post-drop report reads.

-- Lets an exclusion constraint compare titles (=) alongside time ranges (&&). A trusted
-- extension shipped with PostgreSQL, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- "Every Tuesday and Thursday at 09:00 America/Mexico_City": the rule is kept so staff can see
-- where a drop came from; its occurrences are ordinary rows in `drops`, created ahead of time.
CREATE TABLE drop_schedules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL CONSTRAINT drop_schedules_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    -- ISO weekdays, Monday = 1 ... Sunday = 7.
    weekdays smallint[] NOT NULL CONSTRAINT drop_schedules_weekdays_valid
        CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
    -- Wall-clock time in `time_zone`; the UTC moment moves with daylight saving, the local time does not.
    local_time time NOT NULL,
    time_zone text NOT NULL CONSTRAINT drop_schedules_zone_present CHECK (length(time_zone) > 0),
    duration interval NOT NULL CONSTRAINT drop_schedules_duration_positive CHECK (duration > interval '0'),
    created_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE drops
    ADD COLUMN schedule_id bigint REFERENCES drop_schedules (id),
    -- A schedule makes each occurrence once.
    ADD CONSTRAINT drops_schedule_occurrence_unique UNIQUE (schedule_id, starts_at),
    -- The same drop entered twice (same title, overlapping time) is a mistake members would see
    -- as two identical drops; cancelled drops do not count.
    ADD CONSTRAINT drops_no_overlapping_duplicate EXCLUDE USING gist (
        lower(btrim(title)) WITH =,
        tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (cancelled_at IS NULL);

-- Members who asked to be reminded of a drop; they are told if it is cancelled.
CREATE TABLE drop_reminders (
    account_id bigint NOT NULL REFERENCES accounts (id),
    drop_id bigint NOT NULL REFERENCES drops (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, drop_id)
);

CREATE INDEX drop_reminders_by_drop ON drop_reminders (drop_id);

-- Messages for a member, shown on their account page (e.g. "the drop you wanted was cancelled").
CREATE TABLE member_notices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    message text NOT NULL CONSTRAINT member_notices_message_present CHECK (length(btrim(message)) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX member_notices_by_account ON member_notices (account_id, created_at DESC);

-- Every press of a Redeem button and how it ended, for the post-drop report: failures by reason
-- and bursts from one account or address (suspected automation). Written outside the redeem
-- transaction: a failed redemption rolls back, its attempt must still be counted.
CREATE TABLE redemption_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drop_item_id bigint NOT NULL REFERENCES drop_items (id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    client_ip text NOT NULL,
    outcome text NOT NULL CONSTRAINT redemption_attempts_outcome_known CHECK (outcome IN (
        'redeemed', 'repeated', 'sold_out', 'not_enough_points', 'limit_reached', 'tier_required',
        'not_open', 'closed', 'busy', 'other'
    )),
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX redemption_attempts_by_item ON redemption_attempts (drop_item_id, at);
