-- 012_supersedes_partial.sql: index only the corrections.
--
-- Each intelligence table's `supersedes` was UNIQUE, so its index held an
-- entry for every row, nearly all of them NULL: every insert paid for one,
-- and the *_current views' "no row supersedes this one" test made the planner
-- hash every row's NULL (5.8 million for concern at national scale) before
-- the nightly could stream a record.  A unique index on the non-NULL values
-- enforces the same rule (a record is superseded at most once; NULLs never
-- conflicted) and holds only the corrections, so the views' anti-join reads
-- a handful of entries.  `s.supersedes = r.id` implies `s.supersedes IS NOT
-- NULL`, so the planner uses it.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['concern', 'visit', 'safeguarding', 'cqc_rating', 'ipc_inspection',
                           'survey', 'restriction', 'performance_notice', 'provider_loss'] LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_supersedes_key');
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (supersedes) WHERE supersedes IS NOT NULL',
                   t || '_supersedes_once', t);
  END LOOP;
END $$;
