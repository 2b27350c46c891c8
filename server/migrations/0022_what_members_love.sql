-- 0022: what members tell us they like ("What you love" on the account page), kept as
-- zero-party data: each answer with when it was given and how (the preference centre or a
-- question asked at a natural moment), every one optional and clearable. The bazaar's "For
-- you" row reads it when the member opens the page.

-- The interests members pick from, kept by staff. An interest's `tag` is the word staff put on
-- rewards (`rewards.tags`): a reward tagged `travel` is for members who love travel.
CREATE TABLE interests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag text NOT NULL CONSTRAINT interests_tag_unique UNIQUE
        CONSTRAINT interests_tag_shape CHECK (tag ~ '^[a-z0-9][a-z0-9-]{0,29}$'),
    name text NOT NULL CONSTRAINT interests_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 40),
    name_es text CONSTRAINT interests_name_es_length CHECK (length(btrim(name_es)) BETWEEN 1 AND 40),
    position integer NOT NULL DEFAULT 0,
    -- Retired interests are no longer offered; members' answers naming them stay until changed.
    retired_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A starting list any store can retire or add to.
INSERT INTO interests (tag, name, name_es, position) VALUES
    ('skincare', 'Skincare', 'Cuidado de la piel', 1),
    ('fragrance', 'Fragrance', 'Fragancias', 2),
    ('makeup', 'Makeup', 'Maquillaje', 3),
    ('wellness', 'Wellness', 'Bienestar', 4),
    ('travel', 'Travel', 'Viajes', 5),
    ('cooking', 'Cooking', 'Cocina', 6),
    ('home', 'Home', 'Hogar', 7);

-- One row per thing a member said they love: a reward type (a category slug) or an interest.
-- Deleting the account deletes them.
CREATE TABLE member_likes (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    category text CONSTRAINT member_likes_category_known
        CHECK (category IN ('sample', 'experience', 'service', 'discount', 'free_shipping', 'gift')),
    interest_id bigint REFERENCES interests (id),
    given_at timestamptz NOT NULL DEFAULT now(),
    given_via text NOT NULL CONSTRAINT member_likes_via_known CHECK (given_via IN ('preferences', 'question')),
    CONSTRAINT member_likes_one_thing CHECK (num_nonnulls(category, interest_id) = 1),
    CONSTRAINT member_likes_category_once UNIQUE (account_id, category),
    CONSTRAINT member_likes_interest_once UNIQUE (account_id, interest_id)
);

-- The rest of what a member told us, one row per member who said anything.
CREATE TABLE member_profiles (
    account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- Day and month only (no year: we do not need an age). 29 February is a real birthday.
    birthday_month smallint,
    birthday_day smallint,
    birthday_given_at timestamptz,
    birthday_via text CONSTRAINT member_profiles_birthday_via_known CHECK (birthday_via IN ('preferences', 'question')),
    CONSTRAINT member_profiles_birthday_whole
        CHECK (num_nulls(birthday_month, birthday_day, birthday_given_at, birthday_via) IN (0, 4)),
    CONSTRAINT member_profiles_birthday_real CHECK (
        birthday_month BETWEEN 1 AND 12
        AND birthday_day BETWEEN 1 AND CASE WHEN birthday_month = 2 THEN 29
                                            WHEN birthday_month IN (4, 6, 9, 11) THEN 30
                                            ELSE 31 END),
    -- When the member said "none of these" to the interests (an answer, not a silence).
    no_interests_at timestamptz
);

-- Offers by mail: off until the member turns it on.
ALTER TABLE accounts ADD COLUMN mail_offers boolean NOT NULL DEFAULT false;

-- The weights of the bazaar's "For you" ranking, a store setting. Keys left out take the
-- portal's defaults (app/src/bazaar/for_you.rs), so '{}' is the default ranking.
ALTER TABLE store_settings ADD COLUMN for_you_weights jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT store_settings_for_you_weights_object CHECK (jsonb_typeof(for_you_weights) = 'object');
