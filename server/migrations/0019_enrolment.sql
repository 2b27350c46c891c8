-- Members enrolled by the store's systems: a store adopting the portal brings its customers
-- (email, name, its own customer id, the date they joined) before they have ever signed in.
-- Such an account has no password (password_hash NULL, as 0001 allowed); its owner claims it
-- by following a link mailed to the address, never by signing up with the address.

-- The integration that enrolled the member and the member's id in that integration's system.
-- Unique per integration, so enrolling the same customer again finds the same account.
ALTER TABLE accounts
    ADD COLUMN enrolled_by text,
    ADD COLUMN customer_id text,
    ADD CONSTRAINT accounts_customer_id_with_source CHECK ((enrolled_by IS NULL) = (customer_id IS NULL)),
    ADD CONSTRAINT accounts_customer_id_length CHECK (length(customer_id) BETWEEN 1 AND 128),
    ADD CONSTRAINT accounts_customer_id_unique UNIQUE (enrolled_by, customer_id);
