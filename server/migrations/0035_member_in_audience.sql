-- 0035: whether one member is in one audience, as a function with a plan of its own (issue 24:
-- "the signed-in bazaar page must render at least as fast as today").
--
-- The bazaar's rows query asked `EXISTS (... audience_facts f ... fits_audience(f, au.rules))`
-- twice per row (the item's audience, its early access audience). Inlined, each brought the
-- facts view's whole plan (its joins and three lists) into the query, and PostgreSQL builds
-- and tears down every node of a plan at each execution, run or not: about a third of the
-- query's time on every signed-in page, though few items name an audience. PL/pgSQL keeps its
-- statement's plan per connection and runs it only when called, for the items that name one.
-- The rule itself stays `fits_audience`'s: this only asks it.
CREATE FUNCTION member_in_audience(account bigint, audience bigint)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM audiences au, audience_facts f
                   WHERE au.id = audience AND f.account_id = account
                     AND fits_audience(f, au.rules));
END
$$;
