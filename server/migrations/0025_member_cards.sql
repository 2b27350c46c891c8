-- 0025: each member's card (issue 24, part 6): the number the till scans from the QR code on the
-- member's phone, or types from the card, to name the member when a purchase is sent through
-- the earning API (`card_number`).
--
-- Sixteen digits: fifteen random ones and a Luhn check digit, so a till that mistypes one digit
-- (or swaps two neighbours) is told so before anything is looked up. Random, not the account's
-- id: a card number says nothing about how many members the store has, and the next member's
-- number cannot be guessed from one's own.

CREATE FUNCTION new_card_number() RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    body text := lpad(floor(random() * 1e15)::bigint::text, 15, '0');
    total int := 0;
    digit int;
BEGIN
    -- Luhn: counting from the body's last digit (beside the check digit), every other digit is
    -- doubled, and a doubled digit over 9 counts as its digits' sum.
    FOR i IN 1..15 LOOP
        digit := substr(body, 16 - i, 1)::int;
        IF i % 2 = 1 THEN
            digit := digit * 2;
            IF digit > 9 THEN
                digit := digit - 9;
            END IF;
        END IF;
        total := total + digit;
    END LOOP;
    RETURN body || ((10 - total % 10) % 10)::text;
END
$$;

-- A volatile default: adding the column gives every existing member a number of their own.
ALTER TABLE accounts
    ADD COLUMN card_number text NOT NULL DEFAULT new_card_number()
        CONSTRAINT accounts_card_number_unique UNIQUE
        CONSTRAINT accounts_card_number_digits CHECK (card_number ~ '^[0-9]{16}$');
