-- Issue 21: what staff write, in Spanish and English. A reward's title and description and a
-- drop's title are written in English (the columns that exist, still required) and may also
-- be written in Spanish; a Spanish reader gets the Spanish text where there is one and the
-- English one otherwise. Empty text is not a translation: NULL says "not written".
ALTER TABLE rewards
    ADD COLUMN title_es text
        CONSTRAINT rewards_title_es_not_blank CHECK (btrim(title_es) <> ''),
    ADD COLUMN description_es text;

ALTER TABLE drops
    ADD COLUMN title_es text
        CONSTRAINT drops_title_es_not_blank CHECK (btrim(title_es) <> '');
