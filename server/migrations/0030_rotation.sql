-- 0030: rotation that runs itself (issue 26, part 0). A weekly schedule keeps at least eight
-- weeks of drops ahead (not eight drops once), and can carry a template: pools of rewards (by
-- category, tag or a hand-picked list) with how many of each, their quantity, cost, limit and
-- early access. A set time before each occurrence opens the portal fills it from the pools,
-- skipping rewards used in the schedule's last few drops and archived ones. Staff can pause or
-- end a schedule and skip a date, and adjust a filled drop until it opens.

ALTER TABLE drop_schedules
    ADD COLUMN paused_at timestamptz,
    ADD COLUMN ended_at timestamptz,
    -- How long before an occurrence opens its rewards are picked.
    ADD COLUMN fill_hours integer NOT NULL DEFAULT 48
        CONSTRAINT drop_schedules_fill_hours_range CHECK (fill_hours BETWEEN 1 AND 336),
    -- A reward is not picked again within this many of the schedule's drops.
    ADD COLUMN no_repeat_drops integer NOT NULL DEFAULT 4
        CONSTRAINT drop_schedules_no_repeat_range CHECK (no_repeat_drops BETWEEN 0 AND 52),
    -- The last fill's shortfalls, in the store's language ("Gifts: 1 of 2"), for the staff
    -- home page; NULL when the last fill found every pool deep enough.
    ADD COLUMN dry_pools text;

-- The template: one row per pool, in the order they fill.
CREATE TABLE schedule_pools (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id bigint NOT NULL REFERENCES drop_schedules (id) ON DELETE CASCADE,
    -- What the pool draws from: a category, a tag, or a hand-picked list (exactly one).
    category text CONSTRAINT schedule_pools_category_known
        CHECK (category IN ('sample', 'experience', 'service', 'discount', 'free_shipping', 'gift')),
    tag text CONSTRAINT schedule_pools_tag_shape CHECK (tag ~ '^[a-z0-9][a-z0-9-]{0,29}$'),
    reward_ids bigint[],
    picks integer NOT NULL CONSTRAINT schedule_pools_picks_range CHECK (picks BETWEEN 1 AND 20),
    quantity integer NOT NULL CONSTRAINT schedule_pools_quantity_range CHECK (quantity BETWEEN 1 AND 100000),
    -- NULL: each reward's usual cost.
    points_cost bigint CONSTRAINT schedule_pools_cost_positive CHECK (points_cost > 0),
    per_member_limit integer NOT NULL DEFAULT 1 CONSTRAINT schedule_pools_limit_range CHECK (per_member_limit BETWEEN 1 AND 100),
    early_access_tier text REFERENCES tiers (code),
    early_minutes integer CONSTRAINT schedule_pools_early_range CHECK (early_minutes BETWEEN 1 AND 1440),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schedule_pools_one_source CHECK (num_nonnulls(category, tag, reward_ids) = 1),
    CONSTRAINT schedule_pools_early_complete CHECK ((early_access_tier IS NULL) = (early_minutes IS NULL))
);

CREATE INDEX schedule_pools_by_schedule ON schedule_pools (schedule_id, id);

-- Dates staff skipped (a holiday), in the schedule's own zone: no occurrence is made for them,
-- and one already made and not yet filled is cancelled.
CREATE TABLE schedule_skips (
    schedule_id bigint NOT NULL REFERENCES drop_schedules (id) ON DELETE CASCADE,
    local_date date NOT NULL,
    PRIMARY KEY (schedule_id, local_date)
);

-- When an occurrence was filled from its schedule's template: filled once, never again, so
-- staff changes to it stick.
ALTER TABLE drops ADD COLUMN filled_at timestamptz;

-- What the fill looks for.
CREATE INDEX drops_to_fill ON drops (starts_at) WHERE schedule_id IS NOT NULL AND filled_at IS NULL AND cancelled_at IS NULL;
