-- A press recorded against a drop item (even one refused because the drop had not opened) kept
-- staff from taking that reward out of the drop or archiving it: the delete hit this foreign
-- key and staff saw an internal error. Items that can still be removed are those of drops that
-- have not opened, so their attempts are refusals only; they leave with the item.
ALTER TABLE redemption_attempts
    DROP CONSTRAINT redemption_attempts_drop_item_id_fkey,
    ADD CONSTRAINT redemption_attempts_drop_item_id_fkey
        FOREIGN KEY (drop_item_id) REFERENCES drop_items (id) ON DELETE CASCADE;
