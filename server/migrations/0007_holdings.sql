-- 0007: how many units of each drop item each member holds, one row per (member, item).
--
-- A press is checked against the item's per-member limit, so a batch needs each of its
-- members' confirmed redemptions of its items. Counting them read every one a member held:
-- late in a drop where members may take many units, and for long-standing members whose
-- history the old query scanned by account, each batch read thousands of rows while the hot
-- item's row stayed locked, and every batch after it was slower than the one before. Here the
-- count is one row, read by its key.
--
-- Triggers on `redemptions` keep it, in the statement that changes the redemptions, so no code
-- path can redeem or cancel and forget the count. Statement triggers (with transition tables)
-- touch each (member, item) once per statement, like the balance trigger of 0006. Every
-- writer of redemptions holds the member's account row first, so two statements changing the
-- same count queue there rather than deadlock here.

CREATE TABLE holdings (
    account_id bigint NOT NULL REFERENCES accounts (id),
    drop_item_id bigint NOT NULL REFERENCES drop_items (id),
    -- Confirmed redemptions only: a cancelled one gives its unit back to the member's limit.
    held integer NOT NULL CONSTRAINT holdings_held_not_negative CHECK (held >= 0),
    PRIMARY KEY (account_id, drop_item_id)
);

CREATE FUNCTION redemptions_count_new_holdings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO holdings (account_id, drop_item_id, held)
    SELECT account_id, drop_item_id, count(*)
    FROM new_rows WHERE status = 'confirmed'
    GROUP BY account_id, drop_item_id
    ON CONFLICT (account_id, drop_item_id) DO UPDATE SET held = holdings.held + excluded.held;
    RETURN NULL;
END;
$$;

-- An update changes a count by what it confirmed minus what it un-confirmed (a cancellation
-- is -1); updates that leave the status alone change nothing. Not an upsert: PostgreSQL checks
-- the proposed row against `holdings_held_not_negative` before it looks for the existing one,
-- so a -1 could never reach it. A change for a count that does not exist is inserted as it
-- is, and a negative one is refused by that CHECK: un-confirming what was never counted.
CREATE FUNCTION redemptions_count_changed_holdings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH changes AS (
        SELECT account_id, drop_item_id, sum(change)::integer AS change
        FROM (SELECT account_id, drop_item_id, 1 AS change FROM new_rows WHERE status = 'confirmed'
              UNION ALL
              SELECT account_id, drop_item_id, -1 FROM old_rows WHERE status = 'confirmed') c
        GROUP BY account_id, drop_item_id
        HAVING sum(change) <> 0
    ),
    counted AS (
        UPDATE holdings h SET held = h.held + c.change
        FROM changes c
        WHERE h.account_id = c.account_id AND h.drop_item_id = c.drop_item_id
        RETURNING h.account_id, h.drop_item_id
    )
    INSERT INTO holdings (account_id, drop_item_id, held)
    SELECT c.account_id, c.drop_item_id, c.change
    FROM changes c
    WHERE NOT EXISTS (SELECT 1 FROM counted WHERE counted.account_id = c.account_id
                                              AND counted.drop_item_id = c.drop_item_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER redemptions_count_holdings_on_insert
    AFTER INSERT ON redemptions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redemptions_count_new_holdings();

CREATE TRIGGER redemptions_count_holdings_on_update
    AFTER UPDATE ON redemptions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redemptions_count_changed_holdings();

-- Redemptions are never deleted (their ledger entries and the drop report refer to them), so
-- there is no delete trigger; the invariant check compares this table with the redemptions.

INSERT INTO holdings (account_id, drop_item_id, held)
SELECT account_id, drop_item_id, count(*)
FROM redemptions WHERE status = 'confirmed'
GROUP BY account_id, drop_item_id;
