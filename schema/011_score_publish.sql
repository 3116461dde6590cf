-- 011_score_publish.sql: publish scores once per statement, not per row.
--
-- provider_current_score (one row per provider, for fast lists) used to be
-- kept by a row trigger: one plpgsql upsert per inserted score, 2.3 s of the
-- nightly's 30,000-row publish.  A statement trigger with a transition table
-- does the same upsert set-based, for the one row a recorded concern adds and
-- the thousands the nightly, `rules activate` and an import add alike.  When
-- one statement adds several scores for a provider the newest (highest id)
-- is the current one, as the row trigger left it.
--
-- Stored score detail is now a per-factor summary (src/score.c,
-- cw_score_summary_json) rather than every contribution; rows already stored
-- keep the detail they were written with.
DROP TRIGGER provider_score_publish ON provider_score;
DROP FUNCTION provider_score_publish();

CREATE FUNCTION provider_score_publish() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO provider_current_score AS c
         (provider_id, score_id, score, band, flag, previous_score, previous_band, as_of, updated_at)
  SELECT DISTINCT ON (n.provider_id) n.provider_id, n.id, n.score, n.band, n.flag, NULL::numeric,
         NULL, n.as_of, now()
    FROM new_scores n
   ORDER BY n.provider_id, n.id DESC
  ON CONFLICT (provider_id) DO UPDATE
     SET previous_score = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.score ELSE c.previous_score END,
         previous_band  = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.band ELSE c.previous_band END,
         score_id = EXCLUDED.score_id, score = EXCLUDED.score, band = EXCLUDED.band,
         flag = EXCLUDED.flag, as_of = EXCLUDED.as_of, updated_at = now();
  RETURN NULL;
END $$;

CREATE TRIGGER provider_score_publish AFTER INSERT ON provider_score
  REFERENCING NEW TABLE AS new_scores
  FOR EACH STATEMENT EXECUTE FUNCTION provider_score_publish();
