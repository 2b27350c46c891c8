-- 0033: a campaign's offer may be a reward set aside for its treated members (issue 25, part 3:
-- "a targeted drop"): only they see the drop item and may redeem it; held-out members and
-- everyone else do not see it, and a press from them is refused as for an audience's item.

-- An item is for an audience only, or for a campaign's treated members only: not both.
ALTER TABLE drop_items
    ADD COLUMN campaign_id bigint REFERENCES campaigns (id),
    ADD CONSTRAINT drop_items_one_group_only CHECK (audience_id IS NULL OR campaign_id IS NULL);

-- Whether the campaign's reward is theirs only (besides any early access it gives).
ALTER TABLE campaigns
    ADD COLUMN exclusive boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT campaigns_exclusive_has_item CHECK (NOT exclusive OR early_item_id IS NOT NULL);

-- A reward theirs only needs no early access: its hours may be left out then.
ALTER TABLE campaigns
    DROP CONSTRAINT campaigns_early_complete,
    ADD CONSTRAINT campaigns_early_complete CHECK (
        (early_item_id IS NOT NULL OR early_hours IS NULL)
        AND (early_item_id IS NULL OR early_hours IS NOT NULL OR exclusive)
    );
