-- 014_scorer_nightly.sql: the scorer's side of the score queue, a score
-- history that never moves time backwards, nightly run history that the
-- batch role can only append to, and the index behind a provider's read.
--
-- * The queue.  `carewatch scorer` (the batch role) takes providers off
--   score_queue with api.score_claim() and stores their new scores in the
--   same transaction, so a crash loses nothing.  A writer's trigger now locks
--   the provider's queue row (ON CONFLICT DO UPDATE, no longer DO NOTHING)
--   until the writer commits, which closes the one race there was: a writer
--   finding the row already queued did not touch it, the scorer could take
--   it and read the provider before that writer committed, and the new
--   record was never scored.  Now the scorer's SKIP LOCKED passes over a row
--   a writer holds, and a writer reaching a row the scorer has taken waits
--   for the scorer's commit and queues the provider again (see src/scorer.c).
--   Each queued provider says why (`cause`): an activation, or a record.
--
-- * Current scores.  A score becomes a provider's current one only when its
--   as-of is not earlier than the current one's (equal as-of: the newer row),
--   so a rerun of a past night, or any history row from anyone, adds history
--   without moving the current picture back in time.
--
-- * Nightly run history.  The batch role may insert a run's start row (its
--   id, as-of and ruleset; the outcome starts 'running') and nothing else:
--   finishing a run and marking stale ones abandoned go through
--   api.nightly_finish() and api.nightly_abandon(), which move only
--   'running' rows, only for the batch role, only while no other session
--   holds the nightly lock, and (finish) only the caller's own run.  The
--   message is chosen from a fixed list: never free text.
--
-- * The per-provider read (cw_intel_rows_one_sql) found no index on
--   cqc_rating leading with provider_id (the unique one is partial, the
--   report one leads with domain), so every provider's read scanned the
--   table: `rules activate` took over ten minutes at national scale.

-- The owner runs `carewatch nightly` and `carewatch scorer` by hand on a
-- fresh install, before any batch login exists (the demo, the benchmarks):
-- it may take the batch role's lock and call its functions.
GRANT carewatch_batch TO CURRENT_USER;

-- The queue ---------------------------------------------------------------

ALTER TABLE score_queue
  ADD COLUMN cause text NOT NULL DEFAULT 'record' CHECK (cause IN ('record', 'activate'));

-- An activation outranks a record: the rescore is the ruleset's.
CREATE OR REPLACE FUNCTION score_enqueue() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n bigint;
  why text := CASE WHEN TG_TABLE_NAME = 'ruleset_activation' THEN 'activate' ELSE 'record' END;
BEGIN
  IF TG_TABLE_NAME = 'restriction_lift' THEN
    INSERT INTO score_queue AS q (provider_id, cause)
    SELECT DISTINCT r.provider_id, why FROM new_rows l JOIN restriction r ON r.id = l.restriction_id
     ORDER BY 1
    ON CONFLICT (provider_id) DO UPDATE
       SET cause = CASE WHEN EXCLUDED.cause = 'activate' THEN 'activate' ELSE q.cause END;
  ELSIF TG_TABLE_NAME = 'ruleset_activation' THEN
    INSERT INTO score_queue AS q (provider_id, cause)
    SELECT p.id, why FROM provider p WHERE p.status = 'active'
     ORDER BY 1
    ON CONFLICT (provider_id) DO UPDATE SET cause = 'activate';
  ELSIF TG_TABLE_NAME = 'provider' THEN
    INSERT INTO score_queue AS q (provider_id, cause)
    SELECT DISTINCT id, why FROM new_rows ORDER BY 1
    ON CONFLICT (provider_id) DO UPDATE
       SET cause = CASE WHEN EXCLUDED.cause = 'activate' THEN 'activate' ELSE q.cause END;
  ELSE
    INSERT INTO score_queue AS q (provider_id, cause)
    SELECT DISTINCT provider_id, why FROM new_rows ORDER BY 1
    ON CONFLICT (provider_id) DO UPDATE
       SET cause = CASE WHEN EXCLUDED.cause = 'activate' THEN 'activate' ELSE q.cause END;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('carewatch_score', '');
  END IF;
  RETURN NULL;
END $$;

-- Take up to n queued providers (NULL: all), oldest first, skipping rows
-- another transaction holds (a writer not yet committed, another scorer).
-- They leave the queue when the caller commits, with the scores it stored;
-- if it rolls back or dies they are queued again.
CREATE FUNCTION api.score_claim(n integer) RETURNS TABLE (claimed uuid, claim_cause text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT pg_has_role(session_user, 'carewatch_batch', 'MEMBER') THEN
    RAISE EXCEPTION 'only the batch role takes providers off the score queue' USING ERRCODE = '42501';
  END IF;
  IF n IS NOT NULL AND n < 1 THEN
    RAISE EXCEPTION 'invalid claim size (expected at least 1)' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    WITH c AS MATERIALIZED (
      SELECT s.provider_id FROM score_queue s ORDER BY s.queued_at LIMIT n FOR UPDATE SKIP LOCKED
    ), d AS (
      DELETE FROM score_queue q USING c WHERE q.provider_id = c.provider_id
      RETURNING q.provider_id, q.cause
    )
    SELECT d.provider_id, d.cause FROM d ORDER BY 1;
END $$;
ALTER FUNCTION api.score_claim(integer) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.score_claim(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.score_claim(integer) TO carewatch_batch;
-- FOR UPDATE needs UPDATE; the batch role itself no longer deletes.
GRANT SELECT, UPDATE, DELETE ON score_queue TO carewatch_api;
REVOKE DELETE ON score_queue FROM carewatch_batch;

-- Current scores ----------------------------------------------------------

CREATE OR REPLACE FUNCTION provider_score_publish() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO provider_current_score AS c
         (provider_id, score_id, score, band, flag, previous_score, previous_band, as_of, updated_at)
  SELECT DISTINCT ON (n.provider_id) n.provider_id, n.id, n.score, n.band, n.flag, NULL::numeric,
         NULL, n.as_of, now()
    FROM new_scores n
   ORDER BY n.provider_id, n.as_of DESC, n.id DESC
  ON CONFLICT (provider_id) DO UPDATE
     SET previous_score = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.score ELSE c.previous_score END,
         previous_band  = CASE WHEN c.score IS DISTINCT FROM EXCLUDED.score
                                 OR c.band IS DISTINCT FROM EXCLUDED.band
                               THEN c.band ELSE c.previous_band END,
         score_id = EXCLUDED.score_id, score = EXCLUDED.score, band = EXCLUDED.band,
         flag = EXCLUDED.flag, as_of = EXCLUDED.as_of, updated_at = now()
   WHERE (EXCLUDED.as_of, EXCLUDED.score_id) > (c.as_of, c.score_id);
  RETURN NULL;
END $$;

-- Nightly run history -----------------------------------------------------

REVOKE INSERT, UPDATE ON nightly_run FROM carewatch_batch;
GRANT INSERT (id, as_of, ruleset_name, ruleset_hash) ON nightly_run TO carewatch_batch;
GRANT SELECT, UPDATE ON nightly_run TO carewatch_api;

-- Raises 55P03 unless the calling transaction holds the nightly lock or
-- nobody does (it then holds it until the caller's transaction ends).
CREATE FUNCTION api.nightly_lock_hold() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM 1 FROM app_lock WHERE name = 'nightly' FOR UPDATE NOWAIT;
EXCEPTION WHEN lock_not_available THEN
  RAISE EXCEPTION 'another session holds the nightly lock' USING ERRCODE = '55P03';
END $$;
ALTER FUNCTION api.nightly_lock_hold() OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.nightly_lock_hold() FROM PUBLIC;

-- Mark every 'running' run abandoned: only when no run is live (one holds
-- the nightly lock while it runs).  Returns how many.
CREATE FUNCTION api.nightly_abandon() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  IF NOT pg_has_role(session_user, 'carewatch_batch', 'MEMBER') THEN
    RAISE EXCEPTION 'only the batch role ends nightly runs' USING ERRCODE = '42501';
  END IF;
  PERFORM api.nightly_lock_hold();
  UPDATE nightly_run SET outcome = 'abandoned', finished_at = clock_timestamp(),
         message = 'the run was interrupted before it finished; nothing it computed was published'
   WHERE outcome = 'running';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
ALTER FUNCTION api.nightly_abandon() OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.nightly_abandon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.nightly_abandon() TO carewatch_batch;

--   failure     message
--   connection  the connection to the database was lost
--   reading     reading the intelligence failed
--   scoring     a provider's records could not be scored
--   storing     storing the scores failed
--   publishing  publishing the results failed
-- each followed by " (SQLSTATE xxxxx)" when one is given.
CREATE FUNCTION api.nightly_finish(run uuid, outcome text, failure text, failure_sqlstate text,
                                   providers integer, records bigint, scores_written integer,
                                   flags_raised integer, flags_lapsed integer, cases_overdue integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  msg text;
  r nightly_run%ROWTYPE;
BEGIN
  IF NOT pg_has_role(session_user, 'carewatch_batch', 'MEMBER') THEN
    RAISE EXCEPTION 'only the batch role finishes nightly runs' USING ERRCODE = '42501';
  END IF;
  IF outcome IS NULL OR outcome NOT IN ('succeeded', 'failed') THEN
    RAISE EXCEPTION 'invalid outcome (expected succeeded or failed)' USING ERRCODE = '22023';
  END IF;
  IF (outcome = 'succeeded') <> (failure IS NULL) THEN
    RAISE EXCEPTION 'a failed run needs a failure, a succeeded one none' USING ERRCODE = '22023';
  END IF;
  msg := CASE failure
           WHEN 'connection' THEN 'the connection to the database was lost'
           WHEN 'reading' THEN 'reading the intelligence failed'
           WHEN 'scoring' THEN 'a provider''s records could not be scored'
           WHEN 'storing' THEN 'storing the scores failed'
           WHEN 'publishing' THEN 'publishing the results failed'
         END;
  IF failure IS NOT NULL AND msg IS NULL THEN
    RAISE EXCEPTION 'invalid failure (expected connection, reading, scoring, storing or publishing)'
      USING ERRCODE = '22023';
  END IF;
  IF failure_sqlstate IS NOT NULL THEN
    IF failure IS NULL OR failure_sqlstate !~ '^[0-9A-Z]{5}$' THEN
      RAISE EXCEPTION 'invalid SQLSTATE (expected five digits or capitals, with a failure)'
        USING ERRCODE = '22023';
    END IF;
    msg := msg || ' (SQLSTATE ' || failure_sqlstate || ')';
  END IF;
  IF least(providers, records, scores_written, flags_raised, flags_lapsed, cases_overdue) < 0
     OR num_nulls(providers, records, scores_written, flags_raised, flags_lapsed, cases_overdue) > 0 THEN
    RAISE EXCEPTION 'invalid count (expected whole numbers, 0 or more)' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO r FROM nightly_run WHERE id = run FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no nightly run %', run USING ERRCODE = 'P0002';
  END IF;
  IF r.outcome <> 'running' THEN
    RAISE EXCEPTION 'nightly run % is already %', run, r.outcome USING ERRCODE = '55000',
      HINT = 'run history is append-only: a finished run stays as it finished';
  END IF;
  IF r.recorded_by <> session_user THEN
    RAISE EXCEPTION 'nightly run % was started by another login', run USING ERRCODE = '42501';
  END IF;
  PERFORM api.nightly_lock_hold();
  UPDATE nightly_run n
     SET outcome = nightly_finish.outcome, message = msg, finished_at = clock_timestamp(),
         providers = nightly_finish.providers, records = nightly_finish.records,
         scores_written = nightly_finish.scores_written, flags_raised = nightly_finish.flags_raised,
         flags_lapsed = nightly_finish.flags_lapsed, cases_overdue = nightly_finish.cases_overdue
   WHERE n.id = run;
END $$;
ALTER FUNCTION api.nightly_finish(uuid, text, text, text, integer, bigint, integer, integer, integer,
                                  integer) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.nightly_finish(uuid, text, text, text, integer, bigint, integer, integer,
                                          integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.nightly_finish(uuid, text, text, text, integer, bigint, integer, integer,
                                             integer, integer) TO carewatch_batch;

-- Indexes -----------------------------------------------------------------

CREATE INDEX cqc_rating_provider ON cqc_rating (provider_id, published_on);
