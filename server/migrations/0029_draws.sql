-- 0029: scarce rewards drawn fairly (issue 26, parts 1 to 5). A drop item is given first come,
-- first served (as before) or by a draw: members enter during a window, the entry holds the
-- points, and at the window's close winners are picked at random in a way anyone can check
-- (app/src/draws/ssr/algorithm.rs; README, "Draws").

-- Entering holds the points: a `hold` entry takes them from the balance (and from the lots,
-- which the entry records), and a `release` gives them back to the same lots with their
-- original expiry when the member withdraws, loses, or the draw is cancelled. A winner's hold
-- is released and the reward redeemed in the same transaction, so the history reads "held",
-- "released", "redeemed".
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_kind_known,
    ADD CONSTRAINT ledger_entries_kind_known
        CHECK (kind IN ('earn', 'redeem', 'refund', 'adjust', 'expire', 'hold', 'release')),
    DROP CONSTRAINT ledger_entries_sign_matches_kind,
    ADD CONSTRAINT ledger_entries_sign_matches_kind CHECK (
        (kind IN ('earn', 'refund', 'release') AND points > 0)
        OR (kind IN ('redeem', 'expire', 'hold') AND points < 0)
        OR kind = 'adjust'
    );

ALTER TABLE drop_items ADD COLUMN allocation text NOT NULL DEFAULT 'first_come'
    CONSTRAINT drop_items_allocation_known CHECK (allocation IN ('first_come', 'draw'));

-- One draw per drop item given by draw. The seed is secret until the draw; its SHA-256 (the
-- commitment) is published from the start. At the close the entry list and its hash are
-- fixed; at the draw the seed is published. Winners are the item's quantity.
CREATE TABLE draws (
    drop_item_id bigint PRIMARY KEY REFERENCES drop_items (id),
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    seed bytea NOT NULL CONSTRAINT draws_seed_length CHECK (length(seed) = 32),
    commitment text NOT NULL,
    -- Tickets per entry by tier (`{"gold": 2}`); a tier not named has one.
    tickets jsonb NOT NULL DEFAULT '{}' CONSTRAINT draws_tickets_object CHECK (jsonb_typeof(tickets) = 'object'),
    -- Who may enter, beyond the item's tier and audience (anti-bot).
    require_verified_email boolean NOT NULL DEFAULT true,
    min_account_days integer NOT NULL DEFAULT 0 CONSTRAINT draws_account_days_range CHECK (min_account_days BETWEEN 0 AND 3650),
    require_purchase boolean NOT NULL DEFAULT false,
    -- Published at the draw: the entry list (`code,tickets` lines in entry order) and its hash.
    entry_list text,
    entries_hash text,
    drawn_at timestamptz,
    cancelled_at timestamptz,
    CONSTRAINT draws_window_forward CHECK (closes_at > opens_at),
    CONSTRAINT draws_drawn_completely CHECK ((drawn_at IS NULL) = (entries_hash IS NULL) AND (drawn_at IS NULL) = (entry_list IS NULL)),
    CONSTRAINT draws_drawn_or_cancelled CHECK (drawn_at IS NULL OR cancelled_at IS NULL)
);

-- What the draw job looks for.
CREATE INDEX draws_due ON draws (closes_at) WHERE drawn_at IS NULL AND cancelled_at IS NULL;

-- Each entry: one open entry per member per draw, found again by its idempotency key (a
-- retried press gets the same answer). `code` is the anonymous id published in the entry list.
CREATE TABLE draw_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drop_item_id bigint NOT NULL REFERENCES draws (drop_item_id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    code text NOT NULL CONSTRAINT draw_entries_code_unique UNIQUE,
    tickets integer NOT NULL CONSTRAINT draw_entries_tickets_range CHECK (tickets BETWEEN 1 AND 10),
    points bigint NOT NULL CONSTRAINT draw_entries_points_positive CHECK (points > 0),
    idempotency_key uuid NOT NULL,
    hold_entry_id bigint NOT NULL REFERENCES ledger_entries (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- How it ended: withdrawn by the member, won, lost, or the draw cancelled; with the entry
    -- that released the hold (a winner's too: the redemption then takes the points).
    outcome text CONSTRAINT draw_entries_outcome_known CHECK (outcome IN ('withdrawn', 'won', 'lost', 'cancelled')),
    ended_at timestamptz,
    release_entry_id bigint REFERENCES ledger_entries (id),
    redemption_id bigint REFERENCES redemptions (id),
    CONSTRAINT draw_entries_ended_completely CHECK (
        (outcome IS NULL AND ended_at IS NULL AND release_entry_id IS NULL)
        OR (outcome IS NOT NULL AND ended_at IS NOT NULL AND release_entry_id IS NOT NULL)),
    CONSTRAINT draw_entries_winner_redeemed CHECK ((outcome = 'won') = (redemption_id IS NOT NULL)),
    CONSTRAINT draw_entries_key_unique UNIQUE (account_id, idempotency_key)
);

CREATE UNIQUE INDEX draw_entries_one_open_per_member ON draw_entries (drop_item_id, account_id)
    WHERE outcome IS NULL;
CREATE INDEX draw_entries_by_account ON draw_entries (account_id, created_at DESC);

-- Which lots a hold took and how much from each: a release gives them back to the same lots,
-- with their original expiry, as cancelling a redemption does.
CREATE TABLE draw_entry_lots (
    entry_id bigint NOT NULL REFERENCES draw_entries (id),
    lot_id bigint NOT NULL REFERENCES point_lots (id),
    points bigint NOT NULL CONSTRAINT draw_entry_lots_points_positive CHECK (points > 0),
    PRIMARY KEY (entry_id, lot_id)
);
