-- 027_closure_loss.sql: a provider closed by any path is recorded as a loss.
--
-- The quality report counts closures (and the beds they took) from
-- provider_loss (008's market figures, issue 7).  CQC's deactivated
-- locations import wrote that row itself (020), but `carewatch provider
-- edit P --status closed` (023: day care providers, absent from CQC's
-- files) changed the provider alone, so a closure made by hand was missing
-- from the market figures.  One rule, in one place: whenever a statement
-- moves providers from another status to 'closed', each such provider that
-- has no current closure loss gets one, on its closing day, with its beds.
-- The import's own row (written before its UPDATE) is found and not
-- repeated.  Reopening a provider keeps the loss: the closure happened; a
-- closure entered in error is withdrawn like any other record.
--
-- Only api functions update provider (people have no UPDATE, 016), so the
-- trigger runs as carewatch_api, which may insert into provider_loss (020);
-- stamp_row (001) still records the person (session_user) who closed it.

CREATE FUNCTION provider_closure_loss() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO provider_loss (id, provider_id, kind, occurred_on, beds_lost)
  SELECT gen_random_uuid(), n.id, 'closure', n.closed_on, coalesce(n.beds, 0)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE n.status = 'closed' AND o.status IS DISTINCT FROM 'closed' AND n.closed_on IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM provider_loss_current l
                      WHERE l.provider_id = n.id AND l.kind = 'closure');
  RETURN NULL;
END $$;

CREATE TRIGGER provider_closure_loss AFTER UPDATE ON provider
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION provider_closure_loss();
