-- 0003: redemptions, and live stock notifications.
--
-- A redemption is one member getting one unit of a drop item for points. The redeem transaction
-- decrements the item's stock (which cannot go below zero), writes the ledger entry (which cannot
-- take the balance below zero) and inserts the redemption; so for every item, confirmed
-- redemptions + remaining = quantity, and every acknowledged redemption is in this table.

-- Members may cancel a redemption for this long after making it, while the drop is open.
ALTER TABLE store_settings
    ADD COLUMN redemption_cancel_window interval NOT NULL DEFAULT interval '15 minutes'
        CONSTRAINT store_settings_cancel_window_non_negative CHECK (redemption_cancel_window >= interval '0');

CREATE TABLE redemptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What the member shows in store or enters at checkout, e.g. RB-7K3M-Q9XD.
    code text NOT NULL CONSTRAINT redemptions_code_unique UNIQUE,
    account_id bigint NOT NULL REFERENCES accounts (id),
    drop_item_id bigint NOT NULL REFERENCES drop_items (id),
    points bigint NOT NULL CONSTRAINT redemptions_points_positive CHECK (points > 0),
    status text NOT NULL DEFAULT 'confirmed' CONSTRAINT redemptions_status_known CHECK (status IN ('confirmed', 'cancelled')),
    -- Made by the browser for one press of the button and kept across its retries: a retried
    -- press finds the first redemption instead of making a second.
    idempotency_key uuid NOT NULL,
    ledger_entry_id bigint NOT NULL REFERENCES ledger_entries (id),
    refund_entry_id bigint REFERENCES ledger_entries (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    CONSTRAINT redemptions_idempotency_unique UNIQUE (account_id, idempotency_key),
    CONSTRAINT redemptions_cancel_complete CHECK (
        (status = 'confirmed' AND cancelled_at IS NULL AND refund_entry_id IS NULL)
        OR (status = 'cancelled' AND cancelled_at IS NOT NULL AND refund_entry_id IS NOT NULL)
    )
);

CREATE INDEX redemptions_by_item_member ON redemptions (drop_item_id, account_id) WHERE status = 'confirmed';
CREATE INDEX redemptions_by_account ON redemptions (account_id, created_at DESC);

-- Every stock change is announced on the 'bazaar_stock' channel when its transaction commits, so
-- every server instance can push it to the pages it serves.
CREATE FUNCTION drop_items_notify_stock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bazaar_stock', json_build_object('item', NEW.id, 'remaining', NEW.remaining)::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER drop_items_notify_stock
    AFTER UPDATE OF remaining ON drop_items
    FOR EACH ROW WHEN (OLD.remaining IS DISTINCT FROM NEW.remaining)
    EXECUTE FUNCTION drop_items_notify_stock();
