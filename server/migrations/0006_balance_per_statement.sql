-- 0006: the cached balance is kept by one UPDATE per ledger write instead of one per entry.
--
-- A redemption batch writes dozens of ledger entries in one statement, all while the hot drop
-- item's row is locked and the drop's crowd waits on it. The row trigger from 0001 ran a
-- PL/pgSQL UPDATE of `accounts` for each entry, one at a time: about half of the batch's
-- write. A statement trigger sees every entry the statement added (its transition table) and
-- updates each account once with the sum.
--
-- What stays the same: the balance changes in the same statement as its entries, so no code
-- path can add an entry and forget the balance, and `accounts_balance_non_negative` still
-- rejects a write that would leave any account below zero (judged on the statement's net
-- change per account, which for every writer we have is the same as entry by entry: a
-- statement writes only spending entries or only earning ones for an account).

DROP TRIGGER ledger_entries_apply_to_balance ON ledger_entries;
DROP FUNCTION ledger_entries_apply_to_balance();

CREATE FUNCTION ledger_entries_apply_to_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts a SET balance = a.balance + added.points
    FROM (SELECT account_id, sum(points) AS points FROM new_entries GROUP BY account_id) added
    WHERE a.id = added.account_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_entries_apply_to_balances
    AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_apply_to_balances();
