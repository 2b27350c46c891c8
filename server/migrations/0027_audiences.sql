-- 0027: audiences (issue 25, part 1). A named, reusable group of members that staff aim a drop
-- item or its early access at: "valuable members slipping away", "Gold members who love
-- experiences". An audience is a set of rules, not a list: who is in it is judged when it is
-- asked (at the press, on the bazaar page, when staff count it) from the member's latest
-- scores and profile, so a member who moves in or out needs nothing rewritten.

CREATE TABLE audiences (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CONSTRAINT audiences_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    -- The rules, as app/src/domain/audience.rs writes them (`AudienceRules`): a key left out
    -- is no condition; the conditions present must all hold; a list holds when any of its
    -- values does. Parsed there; the function below is the one reading of them.
    rules jsonb NOT NULL CONSTRAINT audiences_rules_object CHECK (jsonb_typeof(rules) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Names are how staff pick an audience: two alike would be a trap.
CREATE UNIQUE INDEX audiences_name_unique ON audiences (lower(btrim(name)));

-- What the rules look at, one row per member (not staff, not deleted accounts). The lists of
-- types and interests and the last redemption are read only for the rows asked about.
CREATE VIEW audience_facts AS
SELECT a.id AS account_id,
       a.tier,
       a.language,
       s.segment,
       s.p_alive,
       s.clv_cents,
       p.birthday_month,
       ARRAY(SELECT l.category FROM member_likes l
             WHERE l.account_id = a.id AND l.category IS NOT NULL) AS types,
       ARRAY(SELECT i.tag FROM member_likes l JOIN interests i ON i.id = l.interest_id
             WHERE l.account_id = a.id) AS interests,
       (SELECT max(r.created_at) FROM redemptions r
        WHERE r.account_id = a.id AND r.status = 'confirmed') AS last_redeemed_at
FROM accounts a
LEFT JOIN member_scores s ON s.account_id = a.id
LEFT JOIN member_profiles p ON p.account_id = a.id
WHERE a.role = 'member' AND a.deleted_at IS NULL;

-- Whether a member (`f`) is in an audience (`rules`). A member who never chose a language
-- speaks the store's: BAZAAR_DEFAULT_LANGUAGE, which the server gives each of its database
-- connections as the setting `bazaar.default_language` (English where it is not set). A
-- member without scores yet (no purchase) is in no audience that asks for a segment, P(alive)
-- or lifetime value.
CREATE FUNCTION fits_audience(f audience_facts, rules jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (NOT rules ? 'tiers'
            OR f.tier = ANY (ARRAY(SELECT jsonb_array_elements_text(rules -> 'tiers'))))
        AND (NOT rules ? 'segments'
            OR f.segment = ANY (ARRAY(SELECT jsonb_array_elements_text(rules -> 'segments'))))
        AND (NOT rules ? 'p_alive_min_pct'
            OR f.p_alive * 100 >= (rules ->> 'p_alive_min_pct')::double precision)
        AND (NOT rules ? 'p_alive_max_pct'
            OR f.p_alive * 100 <= (rules ->> 'p_alive_max_pct')::double precision)
        AND (NOT rules ? 'clv_min_cents' OR f.clv_cents >= (rules ->> 'clv_min_cents')::bigint)
        AND (NOT rules ? 'clv_max_cents' OR f.clv_cents <= (rules ->> 'clv_max_cents')::bigint)
        AND (NOT rules ? 'types'
            OR f.types && ARRAY(SELECT jsonb_array_elements_text(rules -> 'types')))
        AND (NOT rules ? 'interests'
            OR f.interests && ARRAY(SELECT jsonb_array_elements_text(rules -> 'interests')))
        AND (NOT rules ? 'birthday_month'
            OR f.birthday_month = (rules ->> 'birthday_month')::smallint)
        AND (NOT rules ? 'redeemed_within_days'
            OR f.last_redeemed_at > now() - make_interval(days => (rules ->> 'redeemed_within_days')::int))
        AND (NOT rules ? 'not_redeemed_within_days'
            OR f.last_redeemed_at IS NULL
            OR f.last_redeemed_at <= now() - make_interval(days => (rules ->> 'not_redeemed_within_days')::int))
        AND (NOT rules ? 'languages'
            OR COALESCE(f.language, NULLIF(current_setting('bazaar.default_language', true), ''), 'en')
                = ANY (ARRAY(SELECT jsonb_array_elements_text(rules -> 'languages')))),
        false)
$$;

-- A drop item for an audience only (`audience_id`): others see it greyed with a kind reason
-- (`audience_shown`) or not at all. Early access goes to a tier and above, as before, or to
-- an audience: one or the other.
ALTER TABLE drop_items
    ADD COLUMN audience_id bigint REFERENCES audiences (id),
    ADD COLUMN audience_shown boolean NOT NULL DEFAULT true,
    ADD COLUMN early_access_audience_id bigint REFERENCES audiences (id),
    DROP CONSTRAINT drop_items_early_access_complete,
    ADD CONSTRAINT drop_items_early_access_complete CHECK (
        (early_access_tier IS NULL AND early_access_audience_id IS NULL AND early_access IS NULL)
        OR (num_nonnulls(early_access_tier, early_access_audience_id) = 1 AND early_access > interval '0')
    );

-- An audience in use by an item is not deleted from under it.
CREATE INDEX drop_items_by_audience ON drop_items (audience_id) WHERE audience_id IS NOT NULL;
CREATE INDEX drop_items_by_early_audience ON drop_items (early_access_audience_id)
    WHERE early_access_audience_id IS NOT NULL;

-- A press refused because the member is not in the item's audience is counted as such in the
-- post-drop report.
ALTER TABLE redemption_attempts
    DROP CONSTRAINT redemption_attempts_outcome_known,
    ADD CONSTRAINT redemption_attempts_outcome_known CHECK (outcome IN (
        'redeemed', 'repeated', 'sold_out', 'not_enough_points', 'limit_reached', 'tier_required',
        'audience_only', 'not_open', 'closed', 'busy', 'other'
    ));
