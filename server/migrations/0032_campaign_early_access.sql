-- 0032: a campaign's offer may be early access to a reward of a coming drop (issue 25, part 3:
-- "a targeted drop or early access"). The campaign's treated members — not the held-out ones,
-- and not the audience as it is at the press — may redeem the item some hours before the drop
-- opens: the writer reads the member's group from `campaign_members` in the press's own
-- transaction, as it judges an audience.

-- The item's early access goes to a tier, an audience or a campaign's treated members: one.
ALTER TABLE drop_items
    ADD COLUMN early_access_campaign_id bigint REFERENCES campaigns (id),
    DROP CONSTRAINT drop_items_early_access_complete,
    ADD CONSTRAINT drop_items_early_access_complete CHECK (
        (early_access_tier IS NULL AND early_access_audience_id IS NULL
         AND early_access_campaign_id IS NULL AND early_access IS NULL)
        OR (num_nonnulls(early_access_tier, early_access_audience_id, early_access_campaign_id) = 1
            AND early_access > interval '0')
    );

-- What the campaign offered, as staff chose it (the item keeps the access itself).
ALTER TABLE campaigns
    ADD COLUMN early_item_id bigint REFERENCES drop_items (id),
    ADD COLUMN early_hours smallint CONSTRAINT campaigns_early_hours_range CHECK (early_hours BETWEEN 1 AND 24),
    ADD CONSTRAINT campaigns_early_complete CHECK ((early_item_id IS NULL) = (early_hours IS NULL)),
    DROP CONSTRAINT campaigns_offer_something,
    ADD CONSTRAINT campaigns_offer_something CHECK (bonus_points > 0 OR with_email OR early_item_id IS NOT NULL);
