-- 0001: the store, its members and their points, the catalog, and drops.
--
-- Invariants live here rather than in application code, so that no code path (a new feature,
-- a hand-written fix in psql, a bug) can break them: a balance never goes negative, a ledger
-- entry is never edited, stock never goes below zero or above what was put in the drop.
-- Constraints are named because the application maps violations to messages by name.

-- One row: the store's own settings. Times of drops are shown and scheduled in `time_zone`.
CREATE TABLE store_settings (
    id boolean PRIMARY KEY DEFAULT true CONSTRAINT store_settings_single_row CHECK (id),
    name text NOT NULL CONSTRAINT store_settings_name_present CHECK (length(btrim(name)) > 0),
    -- An IANA zone name such as 'America/New_York'; parsed by the application with chrono-tz.
    time_zone text NOT NULL,
    currency char(3) NOT NULL DEFAULT 'USD' CONSTRAINT store_settings_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    -- Earned points expire this long after they were earned.
    points_expire_after interval NOT NULL DEFAULT interval '12 months'
        CONSTRAINT store_settings_expiry_positive CHECK (points_expire_after > interval '0')
);

-- Tiers by rolling 12-month spend. `earn_rate_pct` is points per currency unit, in percent
-- (100 = 1 point per unit, 150 = 1.5 points per unit), so no floating point touches points.
CREATE TABLE tiers (
    code text PRIMARY KEY CONSTRAINT tiers_code_shape CHECK (code ~ '^[a-z]+$'),
    name text NOT NULL,
    rank smallint NOT NULL CONSTRAINT tiers_rank_unique UNIQUE CONSTRAINT tiers_rank_non_negative CHECK (rank >= 0),
    min_spend_cents bigint NOT NULL CONSTRAINT tiers_min_spend_unique UNIQUE
        CONSTRAINT tiers_min_spend_non_negative CHECK (min_spend_cents >= 0),
    earn_rate_pct integer NOT NULL CONSTRAINT tiers_earn_rate_positive CHECK (earn_rate_pct > 0)
);

INSERT INTO tiers (code, name, rank, min_spend_cents, earn_rate_pct) VALUES
    ('bronze', 'Bronze', 0, 0, 100),
    ('silver', 'Silver', 1, 35000, 125),
    ('gold', 'Gold', 2, 100000, 150);

-- Everyone who signs in: members, staff and admins. `balance` is a cache of the sum of the
-- account's ledger entries, kept by the trigger below in the same transaction as each entry.
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored normalised (trimmed, lower case) by the application's Email type.
    email text NOT NULL
        CONSTRAINT accounts_email_unique UNIQUE
        CONSTRAINT accounts_email_normalised CHECK (email = lower(btrim(email)) AND email LIKE '_%@_%'),
    display_name text NOT NULL CONSTRAINT accounts_display_name_length CHECK (length(btrim(display_name)) BETWEEN 1 AND 80),
    -- argon2id PHC string; NULL for members imported without a password (they cannot sign in).
    password_hash text,
    role text NOT NULL DEFAULT 'member' CONSTRAINT accounts_role_known CHECK (role IN ('member', 'staff', 'admin')),
    tier text NOT NULL DEFAULT 'bronze' REFERENCES tiers (code),
    balance bigint NOT NULL DEFAULT 0 CONSTRAINT accounts_balance_non_negative CHECK (balance >= 0),
    -- The member's own zone for showing times; NULL means "use the browser's / the store's".
    time_zone text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Purchases sent by the store's shop and tills. (source, external_id) is the idempotency key:
-- a till that retries a purchase must not earn the member points twice.
CREATE TABLE purchases (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    source text NOT NULL,
    external_id text NOT NULL CONSTRAINT purchases_external_id_length CHECK (length(external_id) BETWEEN 1 AND 128),
    amount_cents bigint NOT NULL CONSTRAINT purchases_amount_positive CHECK (amount_cents > 0),
    currency char(3) NOT NULL CONSTRAINT purchases_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    purchased_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    points_earned bigint NOT NULL CONSTRAINT purchases_points_non_negative CHECK (points_earned >= 0),
    CONSTRAINT purchases_external_id_unique UNIQUE (source, external_id)
);

CREATE INDEX purchases_by_account_time ON purchases (account_id, purchased_at DESC);

-- The points ledger: append-only. Positive entries add points, negative entries spend them.
CREATE TABLE ledger_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    kind text NOT NULL CONSTRAINT ledger_entries_kind_known CHECK (kind IN ('earn', 'redeem', 'refund', 'adjust', 'expire')),
    points bigint NOT NULL CONSTRAINT ledger_entries_points_non_zero CHECK (points <> 0),
    reason text NOT NULL CONSTRAINT ledger_entries_reason_present CHECK (length(btrim(reason)) > 0),
    -- What the entry is about, for people: a purchase's external id, a redemption code, a ticket.
    reference text,
    purchase_id bigint REFERENCES purchases (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entries_sign_matches_kind CHECK (
        (kind IN ('earn', 'refund') AND points > 0)
        OR (kind IN ('redeem', 'expire') AND points < 0)
        OR kind = 'adjust'
    )
);

CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, id DESC);

-- Keeping the cached balance in a trigger means no code path can add an entry and forget the
-- balance; the balance CHECK then rejects any entry that would overspend.
CREATE FUNCTION ledger_entries_apply_to_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET balance = balance + NEW.points WHERE id = NEW.account_id;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_entries_apply_to_balance
    AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_apply_to_balance();

-- History is never rewritten: corrections are new entries (adjust, refund).
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only; record a correcting entry instead'
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

-- Points come in lots that expire; spending draws from the soonest-expiring lots first. Every
-- positive ledger entry opens a lot, so the open lots of an account add up to its balance.
CREATE TABLE point_lots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    entry_id bigint NOT NULL CONSTRAINT point_lots_entry_unique UNIQUE REFERENCES ledger_entries (id),
    points bigint NOT NULL CONSTRAINT point_lots_points_positive CHECK (points > 0),
    remaining bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT point_lots_remaining_in_range CHECK (remaining BETWEEN 0 AND points)
);

CREATE INDEX point_lots_open_by_expiry ON point_lots (account_id, expires_at) WHERE remaining > 0;

-- The catalog. A reward is what a member can get; a drop item puts it on sale in a drop.
CREATE TABLE rewards (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL CONSTRAINT rewards_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    description text NOT NULL DEFAULT '' CONSTRAINT rewards_description_length CHECK (length(description) <= 2000),
    category text NOT NULL CONSTRAINT rewards_category_known
        CHECK (category IN ('sample', 'experience', 'service', 'discount', 'free_shipping', 'gift')),
    -- The usual price; each drop item carries its own cost, defaulting to this.
    points_cost bigint NOT NULL CONSTRAINT rewards_points_cost_positive CHECK (points_cost > 0),
    tags text[] NOT NULL DEFAULT '{}',
    min_tier text REFERENCES tiers (code),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A drop: a window of time in which its items can be redeemed.
CREATE TABLE drops (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL CONSTRAINT drops_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drops_window_ordered CHECK (ends_at > starts_at)
);

CREATE INDEX drops_by_window ON drops (ends_at, starts_at) WHERE cancelled_at IS NULL;

CREATE TABLE drop_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drop_id bigint NOT NULL REFERENCES drops (id),
    reward_id bigint NOT NULL REFERENCES rewards (id),
    quantity integer NOT NULL CONSTRAINT drop_items_quantity_positive CHECK (quantity > 0),
    -- Stock left. The range check is what makes overselling impossible: a decrement past zero
    -- fails instead of succeeding.
    remaining integer NOT NULL,
    points_cost bigint NOT NULL CONSTRAINT drop_items_points_cost_positive CHECK (points_cost > 0),
    per_member_limit integer NOT NULL DEFAULT 1 CONSTRAINT drop_items_limit_positive CHECK (per_member_limit >= 1),
    min_tier text REFERENCES tiers (code),
    -- Members of `early_access_tier` and above may redeem `early_access` before the drop opens.
    early_access_tier text REFERENCES tiers (code),
    early_access interval,
    CONSTRAINT drop_items_remaining_in_range CHECK (remaining BETWEEN 0 AND quantity),
    CONSTRAINT drop_items_reward_once_per_drop UNIQUE (drop_id, reward_id),
    CONSTRAINT drop_items_early_access_complete CHECK (
        (early_access_tier IS NULL AND early_access IS NULL)
        OR (early_access_tier IS NOT NULL AND early_access > interval '0')
    )
);

CREATE INDEX drop_items_by_reward ON drop_items (reward_id);
