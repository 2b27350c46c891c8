-- 0034: a campaign's offer may be a reward from the catalogue given outright (issue 25, part 3:
-- "a reward"): each treated member gets it with a code of their own to show in store, outside
-- any drop — no points spent, no drop's stock taken. Held-out members get nothing.

ALTER TABLE campaigns
    ADD COLUMN gift_reward_id bigint REFERENCES rewards (id),
    DROP CONSTRAINT campaigns_offer_something,
    ADD CONSTRAINT campaigns_offer_something CHECK (
        bonus_points > 0 OR with_email OR early_item_id IS NOT NULL OR gift_reward_id IS NOT NULL
    );

-- The key a gift points at: a member's group in the campaign, so the database itself refuses
-- a gift to a held-out member (below).
ALTER TABLE campaign_members
    ADD CONSTRAINT campaign_members_group_unique UNIQUE (campaign_id, account_id, held_out);

CREATE TABLE campaign_gifts (
    campaign_id bigint NOT NULL,
    account_id bigint NOT NULL,
    -- Always false: with the key below, a gift exists only for a member the campaign offered
    -- something to.
    held_out boolean NOT NULL DEFAULT false CONSTRAINT campaign_gifts_offered_only CHECK (NOT held_out),
    reward_id bigint NOT NULL REFERENCES rewards (id),
    -- What the member shows in store, e.g. GF-7K3M-Q9XD: a redemption's alphabet with a prefix
    -- of its own, so a gift's code is never taken for a redemption's.
    code text NOT NULL CONSTRAINT campaign_gifts_code_unique UNIQUE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, account_id),
    FOREIGN KEY (campaign_id, account_id, held_out)
        REFERENCES campaign_members (campaign_id, account_id, held_out) ON DELETE CASCADE
);

-- The account page lists a member's gifts, newest first.
CREATE INDEX campaign_gifts_by_member ON campaign_gifts (account_id, granted_at DESC);
