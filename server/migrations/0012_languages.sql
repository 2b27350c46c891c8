-- Issue 21: Spanish and English. A member's chosen language, saved with their account when they
-- choose it (the header's switch, the account page) and brought back to any device they sign in
-- on. NULL: they have not chosen, and each visit goes by their browser's Accept-Language, else
-- the store's default language.
ALTER TABLE accounts
    ADD COLUMN language text
        CONSTRAINT accounts_language_known CHECK (language IN ('en', 'es'));
