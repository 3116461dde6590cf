-- 031_score_history.sql: (issue 15) month-end score history that never
-- touches the current picture.
--
-- The risk-band chart ([17/18 3.10.1] "risk scores for higher-risk
-- providers over the past 18 months") needs each provider's score at each
-- month end.  provider_score holds scores as they were made (when
-- intelligence was recorded, by nightly runs), so a database loaded with two
-- years of records but scored once has one date of history, and the only way
-- to fill the past, `nightly --as-of`, scores today's active providers (not
-- those open then) and, for a provider with no current score yet, makes the
-- past score its current one.
--
-- score_history is the other kind: one row per provider and London month
-- end, computed by `carewatch scores backfill` (src/backfill.c) with the
-- nightly's evaluator from the records dated on or before that month end,
-- for the providers registered and open then.  Nothing reads it for current
-- scores, flags or the score queue; the reports read it for month ends
-- (src/report_work.c, risk bands).  Rows are replaced, never appended: a
-- rerun upserts by (provider, month end), rewriting only rows whose score
-- changed, and removes the rows of providers the new run no longer finds
-- open at a month end it covers, so running it twice leaves the same rows
-- (their recorded_at and run_id included).
--
-- Writing goes through two api functions (SECURITY DEFINER, owned by
-- carewatch_api) and a staging table, as imports do (015): the batch role
-- (the nightly's login, or the database owner) COPYs its rows into
-- api.score_history_stage, keyed by its transaction, then
-- api.score_history_apply() checks every staged value and the months, and
-- writes.  No person's role holds any privilege on either function or the
-- staging table, and none has INSERT, UPDATE or DELETE on score_history.
-- Each run is logged in score_history_run, with what it changed.
--
--   SQLSTATE  raised when                                        carewatch exit
--   42501     the caller is not the batch role (or the owner)    4
--   22023     a month not over, not a month, or a staged value    2
--             out of range (counts and months, never values)
--   55000     a staged provider or ruleset that does not exist    7

INSERT INTO app_lock (name, takers) VALUES ('score_history', ARRAY['carewatch_batch']);

CREATE TABLE score_history (
  provider_id   uuid NOT NULL REFERENCES provider,
  -- 23:59:59 London on the month's last day (src/calendar.c, cw_london_month_end)
  as_of         timestamptz NOT NULL
                CHECK (as_of = ((date_trunc('month', as_of AT TIME ZONE 'Europe/London')
                                 + interval '1 month')::timestamp AT TIME ZONE 'Europe/London')
                               - interval '1 second'),
  ruleset_name  text NOT NULL,
  ruleset_hash  text NOT NULL REFERENCES ruleset (hash),
  score         numeric(10,2) NOT NULL CHECK (score >= 0),
  band          text NOT NULL CHECK (band IN ('low', 'medium', 'high', 'very_high')),
  flag          boolean NOT NULL,
  detail        jsonb NOT NULL,
  run_id        uuid NOT NULL,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  -- The report's probe: one provider at one month end, index only.
  PRIMARY KEY (provider_id, as_of) INCLUDE (band)
);
-- Which month ends have history (the report asks once per month).
CREATE INDEX score_history_month ON score_history (as_of);

CREATE TABLE score_history_run (
  id            uuid PRIMARY KEY,
  first_month   date NOT NULL,
  last_month    date NOT NULL CHECK (last_month >= first_month),
  ruleset_name  text NOT NULL,
  ruleset_hash  text NOT NULL REFERENCES ruleset (hash),
  providers     int NOT NULL CHECK (providers >= 0),   -- distinct providers scored
  scores        int NOT NULL CHECK (scores >= 0),      -- provider-month scores computed
  written       int NOT NULL CHECK (written >= 0),     -- rows added or changed
  removed       int NOT NULL CHECK (removed >= 0),     -- rows of providers no longer open then
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE TRIGGER stamp_score_history_run BEFORE INSERT ON score_history_run
  FOR EACH ROW EXECUTE FUNCTION stamp_row();

-- Staging, as 015's: persistent, unlogged, owned by carewatch_api, rows
-- keyed by the inserting transaction (a default no one may set), no
-- constraints (the function checks and names counts, never values).
CREATE UNLOGGED TABLE api.score_history_stage (
  txn          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  provider_id  uuid,
  as_of        timestamptz,
  score        numeric,
  band         text,
  flag         boolean,
  detail       jsonb
);
ALTER TABLE api.score_history_stage OWNER TO carewatch_api;
-- The function ANALYZEs what was staged (a national run stages half a
-- million rows, which an unanalysed table hides from the planner); a small
-- sample plans its joins.
ALTER TABLE api.score_history_stage ALTER COLUMN txn SET STATISTICS 10,
  ALTER COLUMN provider_id SET STATISTICS 10, ALTER COLUMN as_of SET STATISTICS 10,
  ALTER COLUMN score SET STATISTICS 10, ALTER COLUMN band SET STATISTICS 10,
  ALTER COLUMN flag SET STATISTICS 10, ALTER COLUMN detail SET STATISTICS 10;
GRANT INSERT (provider_id, as_of, score, band, flag, detail) ON api.score_history_stage
  TO carewatch_batch;

-- Check the caller and take the score_history lock for its transaction:
-- false when another backfill holds it.
CREATE FUNCTION api.score_history_begin() RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM api.require('carewatch_batch',
                      'storing score history is for the batch role (the nightly''s login) or the database owner');
  RETURN api.lock_take('score_history', false);
END $$;

-- Write the staged month-end scores of the caller's transaction for the
-- months p_months (first days; each over, London time), scored under the
-- ruleset p_hash, as run p_run: upsert what changed, remove the rows of
-- providers not staged for a month covered, log the run.  Returns the run's
-- counts.
CREATE FUNCTION api.score_history_apply(p_run uuid, p_hash text, p_months date[])
RETURNS TABLE (providers int, scores int, written int, removed int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  rs_name text;
  ends timestamptz[];
  bad bigint;
BEGIN
  PERFORM api.require('carewatch_batch',
                      'storing score history is for the batch role (the nightly''s login) or the database owner');
  PERFORM api.lock_take('score_history', true);
  IF p_run IS NULL OR p_hash IS NULL OR p_months IS NULL OR cardinality(p_months) = 0 THEN
    RAISE EXCEPTION 'a run id, a ruleset and at least one month are required' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_months) m WHERE m IS NULL OR m <> date_trunc('month', m)::date) THEN
    RAISE EXCEPTION 'a month is given by its first day' USING ERRCODE = '22023';
  END IF;
  -- A month still running has no month end yet: its history would change.
  IF EXISTS (SELECT 1 FROM unnest(p_months) m
              WHERE ((m + interval '1 month')::timestamp AT TIME ZONE 'Europe/London') > now()) THEN
    RAISE EXCEPTION 'month % has not ended yet',
      (SELECT to_char(max(m), 'YYYY-MM') FROM unnest(p_months) m) USING ERRCODE = '22023';
  END IF;
  SELECT r.name INTO rs_name FROM ruleset r WHERE r.hash = p_hash;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such ruleset' USING ERRCODE = '55000';
  END IF;
  SELECT array_agg(((m + interval '1 month')::timestamp AT TIME ZONE 'Europe/London') - interval '1 second')
    INTO ends FROM unnest(p_months) m;

  ANALYZE api.score_history_stage;
  SELECT count(*) INTO bad FROM api.score_history_stage s
   WHERE s.txn = me AND (s.provider_id IS NULL OR s.as_of IS NULL OR NOT s.as_of = ANY (ends)
         OR s.score IS NULL OR s.score < 0 OR s.score >= 1e8 OR s.score <> round(s.score, 2)
         OR s.band IS NULL OR s.band NOT IN ('low', 'medium', 'high', 'very_high')
         OR s.flag IS NULL OR s.detail IS NULL OR jsonb_typeof(s.detail) <> 'object');
  IF bad > 0 THEN
    RAISE EXCEPTION '% staged scores are invalid (a missing value, a band, a score or a month end out of range)', bad
      USING ERRCODE = '22023';
  END IF;
  SELECT count(*) INTO bad FROM (SELECT 1 FROM api.score_history_stage s WHERE s.txn = me
                                  GROUP BY s.provider_id, s.as_of HAVING count(*) > 1) d;
  IF bad > 0 THEN
    RAISE EXCEPTION '% providers are staged twice for one month end', bad USING ERRCODE = '22023';
  END IF;
  SELECT count(*) INTO bad FROM api.score_history_stage s
   WHERE s.txn = me AND NOT EXISTS (SELECT 1 FROM provider p WHERE p.id = s.provider_id);
  IF bad > 0 THEN
    RAISE EXCEPTION '% staged scores are for providers that do not exist', bad USING ERRCODE = '55000';
  END IF;

  SELECT count(DISTINCT s.provider_id), count(*) INTO providers, scores
    FROM api.score_history_stage s WHERE s.txn = me;
  WITH w AS (
    INSERT INTO score_history AS h (provider_id, as_of, ruleset_name, ruleset_hash, score, band, flag,
                                    detail, run_id, recorded_by, recorded_at)
    SELECT s.provider_id, s.as_of, rs_name, p_hash, s.score, s.band, s.flag, s.detail, p_run,
           session_user, now()
      FROM api.score_history_stage s
      LEFT JOIN score_history o ON o.provider_id = s.provider_id AND o.as_of = s.as_of
     WHERE s.txn = me
       -- A rerun finds its rows here and writes none: one hash join, not an
       -- upsert's conflict check per row.
       AND (o.provider_id IS NULL
            OR (o.ruleset_hash, o.score, o.band, o.flag, o.detail)
               IS DISTINCT FROM (p_hash, s.score, s.band, s.flag, s.detail))
    ON CONFLICT (provider_id, as_of) DO UPDATE
       SET ruleset_name = EXCLUDED.ruleset_name, ruleset_hash = EXCLUDED.ruleset_hash,
           score = EXCLUDED.score, band = EXCLUDED.band, flag = EXCLUDED.flag,
           detail = EXCLUDED.detail, run_id = EXCLUDED.run_id,
           recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at
     WHERE (h.ruleset_hash, h.score, h.band, h.flag, h.detail)
           IS DISTINCT FROM (EXCLUDED.ruleset_hash, EXCLUDED.score, EXCLUDED.band, EXCLUDED.flag,
                             EXCLUDED.detail)
    RETURNING 1)
  SELECT count(*) INTO written FROM w;
  WITH d AS (
    DELETE FROM score_history h
     WHERE h.as_of = ANY (ends)
       AND NOT EXISTS (SELECT 1 FROM api.score_history_stage s
                        WHERE s.txn = me AND s.provider_id = h.provider_id AND s.as_of = h.as_of)
    RETURNING 1)
  SELECT count(*) INTO removed FROM d;

  INSERT INTO score_history_run (id, first_month, last_month, ruleset_name, ruleset_hash, providers,
                                 scores, written, removed)
  SELECT p_run, min(m), max(m), rs_name, p_hash, providers, scores, written, removed
    FROM unnest(p_months) m;
  -- The lock serialises backfills, so no other run's rows are here.
  TRUNCATE api.score_history_stage;
  RETURN NEXT;
END $$;

ALTER FUNCTION api.score_history_begin() OWNER TO carewatch_api;
ALTER FUNCTION api.score_history_apply(uuid, text, date[]) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.score_history_begin(), api.score_history_apply(uuid, text, date[])
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.score_history_begin(), api.score_history_apply(uuid, text, date[])
  TO carewatch_batch;

-- What the functions need, as carewatch_api.
GRANT SELECT, INSERT, UPDATE, DELETE ON score_history TO carewatch_api;
GRANT INSERT ON score_history_run TO carewatch_api;
GRANT SELECT ON ruleset TO carewatch_api;

-- Everyone reads the history (no free text in it); the batch writes only
-- through the functions.
GRANT SELECT ON score_history, score_history_run TO carewatch_readonly;
