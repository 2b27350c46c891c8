-- 0023: a gift of points on each member's birthday (the day they gave on "What you love";
-- 29 February is 28 February in other years), a store setting. One gift per member per year,
-- and never two within twelve months however often the member changes the day: the hourly
-- job on every server may race, the key below decides.

ALTER TABLE store_settings
    -- 0 turns the gift off.
    ADD COLUMN birthday_points bigint NOT NULL DEFAULT 0
        CONSTRAINT store_settings_birthday_points_range CHECK (birthday_points BETWEEN 0 AND 1000000),
    -- The gift's window: its points expire this many days after it is given.
    ADD COLUMN birthday_window_days integer NOT NULL DEFAULT 30
        CONSTRAINT store_settings_birthday_window_range CHECK (birthday_window_days BETWEEN 1 AND 366);

CREATE TABLE birthday_gifts (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The store's calendar year the gift was given in.
    year smallint NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    points bigint NOT NULL CONSTRAINT birthday_gifts_points_positive CHECK (points > 0),
    expires_at timestamptz NOT NULL,
    ledger_entry_id bigint NOT NULL REFERENCES ledger_entries (id),
    PRIMARY KEY (account_id, year)
);

CREATE INDEX birthday_gifts_by_member_and_time ON birthday_gifts (account_id, granted_at DESC);
