-- 0028: campaigns measured against a holdout, and next best actions (issue 25, parts 2 and 3).
--
-- A campaign aims an offer at an audience for a window of days and keeps a random share of
-- the audience (the holdout) out of it, so what the offer did can be read as the difference
-- between the two groups. Who is in which group is drawn once, when the campaign starts, and
-- recorded here: a member stays in their group whatever happens to the audience afterwards.

CREATE TABLE campaigns (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CONSTRAINT campaigns_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    audience_id bigint NOT NULL REFERENCES audiences (id),
    -- The next best action the campaign tries (app/src/campaigns/ssr/next.rs `Action`): its
    -- results become that action's learned response for each segment.
    action text NOT NULL CONSTRAINT campaigns_action_known CHECK (action IN (
        'win_back', 'reach_tier', 'expiring_points', 'ask_preference', 'early_access'
    )),
    -- The offer: bonus points on the member's next purchase in the window (0: none).
    bonus_points bigint NOT NULL CONSTRAINT campaigns_bonus_range CHECK (bonus_points BETWEEN 0 AND 100000),
    -- Whether treated members who want offers by mail get one (through the outbox).
    with_email boolean NOT NULL,
    -- The share of the audience kept out of the offer, in whole percent.
    holdout_pct smallint NOT NULL CONSTRAINT campaigns_holdout_range CHECK (holdout_pct BETWEEN 1 AND 50),
    starts_at timestamptz NOT NULL DEFAULT now(),
    ends_at timestamptz NOT NULL,
    created_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_offer_something CHECK (bonus_points > 0 OR with_email),
    CONSTRAINT campaigns_window_forward CHECK (ends_at > starts_at)
);

CREATE UNIQUE INDEX campaigns_name_unique ON campaigns (lower(btrim(name)));

-- Each member the campaign took in, their group, and what they were given. The segment is the
-- member's at the draw: the learned response is per segment, and a member's segment moves.
-- No foreign key to `accounts` (as `member_scores`): a row referencing an account takes a
-- KEY SHARE lock on it, which would queue behind the redemption writer at drop time.
CREATE TABLE campaign_members (
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    account_id bigint NOT NULL,
    held_out boolean NOT NULL,
    segment text,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    -- The offer's points, once paid on a purchase in the window (treated members only).
    bonus_entry_id bigint REFERENCES ledger_entries (id),
    -- The offer's message, once written to the outbox (treated members who want offers only).
    mailed_at timestamptz,
    PRIMARY KEY (campaign_id, account_id),
    CONSTRAINT campaign_members_holdout_gets_nothing
        CHECK (NOT held_out OR (bonus_entry_id IS NULL AND mailed_at IS NULL))
);

-- A purchase looks up the member's open offers; "Download my data" lists their campaigns.
CREATE INDEX campaign_members_by_member ON campaign_members (account_id);

-- Offers by mail: a kind of message of their own, which members turn on and off
-- (`accounts.mail_offers`) and which counts towards the weekly contact cap.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known CHECK (kind IN (
    'verify_email', 'sign_up_attempt', 'password_reset', 'drop_reminder', 'test',
    'receipt', 'drop_changed', 'expiring_points', 'offer'
));

-- What next best actions are worth to the store, set by staff (app/src/campaigns/ssr/next.rs
-- `Terms`; keys left out take the defaults written there): the margin on extra spend, how
-- many messages a member may get in a week, and per action the response staff expect until
-- campaigns have measured one, the extra spend it brings and what it costs.
ALTER TABLE store_settings ADD COLUMN next_action_terms jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT store_settings_next_action_terms_object CHECK (jsonb_typeof(next_action_terms) = 'object');
