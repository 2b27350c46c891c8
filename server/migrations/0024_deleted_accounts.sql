-- 0024: members can delete their account ("Delete my account", or staff on their request).
-- The row stays, anonymised, because the ledger, purchases and redemptions keep pointing at it
-- for the store's accounting; everything that says who the member was is erased (see
-- app/src/account/ssr/data_rights.rs). `deleted_at` says when.
ALTER TABLE accounts ADD COLUMN deleted_at timestamptz;
