-- 015_import_api.sql: CQC imports and the postcode district map through api
-- functions; people lose UPDATE and DELETE on what an import writes.
--
-- Every person has psql.  The import used to run its own set-based SQL as
-- the manager, so a manager held INSERT and UPDATE on organisation and
-- provider, INSERT, UPDATE and DELETE on postcode_district and INSERT on
-- import_run: by hand that is renaming any provider, moving it to another
-- locality, deleting the district map, or logging an import that never
-- happened.  Now the import's writes are api.import_directory_apply() and
-- api.import_ratings_apply(), SECURITY DEFINER functions owned by the NOLOGIN
-- carewatch_api (schema/013_locks_queue.sql), which check the caller, take the
-- import lock, validate every staged value, do the same set-based upserts as
-- before, and write the import_run row with counts they computed themselves.
-- The district map changes through api.postcode_district_set() and
-- api.postcode_district_remove().  Scores are not written by an import any
-- more: the score_queue triggers (013) queue every provider whose row or
-- ratings changed, and the scorer rescores them.
--
-- Staging.  The client still streams the file's rows with COPY (one round
-- trip, whatever the size), into persistent UNLOGGED tables in schema api,
-- owned by carewatch_api, not into the session's temp tables.  A definer
-- function can read a caller's temp table once the caller grants SELECT on
-- it (tried: it works), but the caller then chooses what that "table" is: a view, a table with row security
-- policies or child tables, whose expressions may call the caller's own
-- pg_temp functions -- and those would run as carewatch_api.  The tables here
-- are defined by this migration; people may only INSERT into their data
-- columns.  Each row is keyed by the inserting transaction (txn, a default
-- no person may set: they have no INSERT privilege on that column), so no
-- one can slip rows into another person's import, and a function reads only
-- its own transaction's rows.  Unlogged: staging rows never outlive their
-- transaction (the function truncates the table), so writing them to the
-- WAL would be wasted.  Imports are serialised by the import lock, which
-- the functions take themselves too, so the TRUNCATE meets no other import.
-- No constraints on the staging columns: the functions check every value
-- and raise a clean error (SQLSTATE 22023, the line number, never the
-- value), so no CHECK or NOT NULL failure logs "Failing row contains".

CREATE UNLOGGED TABLE api.import_stage_directory (
  txn              xid8 NOT NULL DEFAULT pg_current_xact_id(),
  line             int,
  location_id      text,
  cqc_provider_id  text,
  new_id           uuid,
  org_id           uuid,
  name             text,
  provider_name    text,
  care_type        text,
  postcode         text,
  district         text
);
CREATE UNLOGGED TABLE api.import_stage_rating (
  txn           xid8 NOT NULL DEFAULT pg_current_xact_id(),
  line          int,
  id            uuid,
  location_id   text,
  domain        text,
  rating        text,
  published_on  date
);
-- carewatch_api owns them so that the functions may ANALYZE (the planner's
-- estimates for 150,000 staged ratings) and TRUNCATE them.  A small sample
-- (3,000 rows) is enough to plan the joins, and ANALYZE of the default
-- 30,000 was a tenth of a re-import's time.
ALTER TABLE api.import_stage_directory OWNER TO carewatch_api;
ALTER TABLE api.import_stage_rating OWNER TO carewatch_api;
ALTER TABLE api.import_stage_rating ALTER COLUMN txn SET STATISTICS 10,
  ALTER COLUMN line SET STATISTICS 10, ALTER COLUMN id SET STATISTICS 10,
  ALTER COLUMN location_id SET STATISTICS 10, ALTER COLUMN domain SET STATISTICS 10,
  ALTER COLUMN rating SET STATISTICS 10, ALTER COLUMN published_on SET STATISTICS 10;
GRANT INSERT (line, location_id, cqc_provider_id, new_id, org_id, name, provider_name, care_type,
              postcode, district) ON api.import_stage_directory TO carewatch_manager;
GRANT INSERT (line, id, location_id, domain, rating, published_on)
  ON api.import_stage_rating TO carewatch_manager;

-- import_run.rescored counted the providers an import scored itself (runs
-- before this migration).  From here on an import scores none (rescored is
-- 0) and queued counts the providers it put on score_queue.
ALTER TABLE import_run ADD COLUMN queued int NOT NULL DEFAULT 0 CHECK (queued >= 0);

-- People's roles: no UPDATE or DELETE on what imports write, no INSERT into
-- the district map or the import log.  (Officers keep INSERT on organisation
-- and provider for `provider add`; cqc_rating stays append-only for `cqc add`.)
REVOKE UPDATE, DELETE ON organisation, provider, cqc_rating, postcode_district, import_run
  FROM carewatch_readonly, carewatch_officer, carewatch_manager, carewatch_batch;
REVOKE INSERT ON postcode_district, import_run
  FROM carewatch_readonly, carewatch_officer, carewatch_manager, carewatch_batch;

-- What the functions below need, and no more.
GRANT SELECT ON locality, care_type, postcode_district, organisation, provider, cqc_rating,
                import_run TO carewatch_api;
GRANT INSERT, UPDATE (locality, area), DELETE ON postcode_district TO carewatch_api;
GRANT INSERT, UPDATE (name) ON organisation TO carewatch_api;
GRANT INSERT, UPDATE (name, care_type, postcode, organisation_id, locality) ON provider
  TO carewatch_api;
GRANT INSERT ON cqc_rating, import_run TO carewatch_api;

-- Raise 42501 unless the session's login is a manager.
CREATE FUNCTION api.import_require_manager() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT api.is_member('carewatch_manager') THEN
    RAISE EXCEPTION 'importing CQC files and changing the postcode district map is for managers'
      USING ERRCODE = '42501';
  END IF;
END $$;

-- The import_run row's inputs that only the client knows: checked, and the
-- skipped counts of the file's parse (blank, other_local_authority, ...)
-- returned as the full skipped_by_reason object with the server's two.
CREATE FUNCTION api.import_run_check(run uuid, file text, sha256 text, la text,
                                     parse_skipped jsonb, parse_rejected int)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE total bigint;
BEGIN
  IF run IS NULL THEN
    RAISE EXCEPTION 'missing import run id' USING ERRCODE = '22023';
  END IF;
  IF file IS NULL OR length(file) NOT BETWEEN 1 AND 1000
     OR file ~ '[\x01-\x1f\x7f-\x9f]' THEN
    RAISE EXCEPTION 'invalid import file name' USING ERRCODE = '22023';
  END IF;
  IF sha256 IS NULL OR sha256 !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'invalid import file sha256' USING ERRCODE = '22023';
  END IF;
  IF la IS NOT NULL AND (length(la) NOT BETWEEN 1 AND 200 OR la ~ '[\x01-\x1f\x7f-\x9f]') THEN
    RAISE EXCEPTION 'invalid local authority' USING ERRCODE = '22023';
  END IF;
  IF parse_rejected IS NULL OR parse_rejected < 0 THEN
    RAISE EXCEPTION 'invalid rejected row count' USING ERRCODE = '22023';
  END IF;
  IF parse_skipped IS NULL OR jsonb_typeof(parse_skipped) <> 'object'
     OR EXISTS (SELECT 1 FROM jsonb_each(parse_skipped) e
                 WHERE e.key NOT IN ('blank', 'other_local_authority', 'not_adult_social_care',
                                     'not_a_rating', 'population_group_duplicate', 'repeated_row')
                    OR jsonb_typeof(e.value) <> 'number' OR e.value::text !~ '^[0-9]{1,9}$') THEN
    RAISE EXCEPTION 'invalid skipped row counts'
      USING ERRCODE = '22023',
            HINT = 'an object of blank, other_local_authority, not_adult_social_care, not_a_rating,'
                   ' population_group_duplicate, repeated_row counts';
  END IF;
  IF EXISTS (SELECT 1 FROM import_run r WHERE r.id = run) THEN
    RAISE EXCEPTION 'import run % is already recorded', run USING ERRCODE = '23505';
  END IF;
  SELECT coalesce(sum(e.value::text::bigint), 0) + parse_rejected INTO total
    FROM jsonb_each(parse_skipped) e;
  RETURN total;
END $$;

-- Store the caller's staged directory rows (api.import_stage_directory, this
-- transaction's): organisations by CQC provider ID, created or renamed;
-- providers by CQC location ID, created with the locality of their postcode
-- district, or changed only where a value differs.  Returns the counts and
-- the unmapped districts of new providers with their rows (most rows first,
-- at most 8).
CREATE FUNCTION api.import_directory_apply(run uuid, file text, sha256 text, la text,
                                           parse_skipped jsonb, parse_rejected int)
RETURNS TABLE (n_imported int, n_updated int, n_unchanged int, n_no_locality int,
               n_organisations_created int, n_organisations_updated int, n_queued int,
               unmapped_districts text[], unmapped_rows int[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  outside bigint;
  staged bigint;
  bad_line int;
  bad text;
  i int; u int; nl int; oc int; ou int;
  dist text[];
  dist_n int[];
BEGIN
  PERFORM api.import_require_manager();
  PERFORM api.lock_take('import');
  outside := api.import_run_check(run, file, sha256, la, parse_skipped, parse_rejected);

  -- Each row with its locality (from the district map), the provider
  -- already holding its CQC location ID, if any, and what the tables'
  -- CHECKs and foreign keys would refuse in it (refused below, before any
  -- write), all in one pass.
  CREATE TEMP TABLE import_directory ON COMMIT DROP AS
    SELECT d.line, d.location_id, d.cqc_provider_id, d.new_id, d.org_id, d.name, d.provider_name,
           d.care_type, d.postcode, d.district, pd.locality, p.id AS provider_id,
           p.care_type AS old_care_type,
           CASE
             WHEN d.line IS NULL OR d.line < 1 THEN 'line number'
             WHEN d.location_id IS NULL OR d.location_id !~ '^1-[0-9]+$'
                  OR length(d.location_id) NOT BETWEEN 5 AND 17 THEN 'location id'
             WHEN d.cqc_provider_id IS NULL OR d.cqc_provider_id !~ '^1-[0-9]+$'
                  OR length(d.cqc_provider_id) NOT BETWEEN 5 AND 17 THEN 'provider id'
             WHEN d.new_id IS NULL OR d.org_id IS NULL THEN 'id'
             WHEN d.name IS NULL OR length(d.name) NOT BETWEEN 1 AND 300
                  OR d.name ~ '[\x01-\x1f\x7f-\x9f\ufeff]' THEN 'name'
             WHEN d.provider_name IS NULL OR length(d.provider_name) NOT BETWEEN 1 AND 300
                  OR d.provider_name ~ '[\x01-\x1f\x7f-\x9f\ufeff]' THEN 'provider name'
             WHEN c.code IS NULL THEN 'care type'
             WHEN d.postcode IS NULL OR length(d.postcode) NOT BETWEEN 1 AND 10
                  OR d.postcode ~ '[\x01-\x1f\x7f-\x9f]' THEN 'postcode'
             WHEN d.district IS NULL OR d.district !~ '^[A-Z0-9]+$' OR length(d.district) > 8
               THEN 'postcode district'
             WHEN o.id IS NOT NULL AND o.cqc_provider_id IS DISTINCT FROM d.cqc_provider_id
               THEN 'organisation id'
           END AS fault
      FROM api.import_stage_directory d
      LEFT JOIN care_type c ON c.code = d.care_type
      LEFT JOIN organisation o ON o.id = d.org_id
      LEFT JOIN postcode_district pd ON pd.district = d.district
      LEFT JOIN provider p ON p.cqc_location_id = d.location_id
     WHERE d.txn = me;
  GET DIAGNOSTICS staged = ROW_COUNT;
  SELECT d.line, d.fault INTO bad_line, bad FROM pg_temp.import_directory d
   WHERE d.fault IS NOT NULL ORDER BY d.line NULLS FIRST LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'staged directory row at line % has an invalid %', coalesce(bad_line, 0), bad
      USING ERRCODE = '22023';
  END IF;
  -- One row per location, one organisation id per CQC provider ID (the
  -- client's ids are UUID v5 of CQC's IDs): else an upsert would meet its
  -- own rows.
  IF (SELECT count(DISTINCT d.location_id) FROM pg_temp.import_directory d) <> staged
     OR EXISTS (SELECT 1 FROM pg_temp.import_directory d GROUP BY d.org_id
                HAVING count(DISTINCT d.cqc_provider_id) > 1) THEN
    RAISE EXCEPTION 'staged directory rows repeat a location or an organisation id'
      USING ERRCODE = '22023';
  END IF;
  -- The columns the statements below join and filter on (the names would
  -- make ANALYZE twice as long for nothing).
  ANALYZE pg_temp.import_directory (location_id, cqc_provider_id, org_id, provider_id, locality);

  -- A new provider needs a locality; one already held keeps its own.
  SELECT coalesce(sum(k.n), 0),
         coalesce(array_agg(k.district ORDER BY k.r) FILTER (WHERE k.r <= 8), '{}'),
         coalesce(array_agg(k.n ORDER BY k.r) FILTER (WHERE k.r <= 8), '{}')
    INTO nl, dist, dist_n
    FROM (SELECT d.district, count(*)::int AS n,
                 row_number() OVER (ORDER BY count(*) DESC, d.district) AS r
            FROM pg_temp.import_directory d
           WHERE d.provider_id IS NULL AND d.locality IS NULL
           GROUP BY d.district) k;

  -- Organisations by CQC provider ID: the first row's name wins.
  WITH src AS (SELECT DISTINCT ON (d.cqc_provider_id) d.cqc_provider_id, d.provider_name, d.org_id
                 FROM pg_temp.import_directory d
                WHERE d.provider_id IS NOT NULL OR d.locality IS NOT NULL
                ORDER BY d.cqc_provider_id, d.line),
       up AS (INSERT INTO organisation AS o (id, name, cqc_provider_id)
              SELECT src.org_id, src.provider_name, src.cqc_provider_id FROM src
              ON CONFLICT (cqc_provider_id) DO UPDATE SET name = EXCLUDED.name
              WHERE o.name IS DISTINCT FROM EXCLUDED.name
              RETURNING (xmax = 0) AS created)
  SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) INTO oc, ou FROM up;

  -- Providers already held: change only what differs.  The locality
  -- follows the postcode only when the postcode moved to a mapped
  -- district, so a locality a manager set by hand survives re-imports.
  UPDATE provider p SET name = d.name, care_type = d.care_type, postcode = d.postcode,
         organisation_id = o.id,
         locality = CASE WHEN p.postcode IS DISTINCT FROM d.postcode
                         THEN coalesce(d.locality, p.locality) ELSE p.locality END
    FROM pg_temp.import_directory d JOIN organisation o ON o.cqc_provider_id = d.cqc_provider_id
   WHERE p.id = d.provider_id
     AND (p.name, p.care_type, p.postcode, p.organisation_id)
         IS DISTINCT FROM (d.name, d.care_type, d.postcode, o.id);
  GET DIAGNOSTICS u = ROW_COUNT;

  -- New providers.
  INSERT INTO provider (id, organisation_id, name, care_type, locality, cqc_location_id, postcode)
  SELECT d.new_id, o.id, d.name, d.care_type, d.locality, d.location_id, d.postcode
    FROM pg_temp.import_directory d JOIN organisation o ON o.cqc_provider_id = d.cqc_provider_id
   WHERE d.provider_id IS NULL AND d.locality IS NOT NULL
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS i = ROW_COUNT;

  TRUNCATE api.import_stage_directory;
  -- Every provider written is on score_queue now (013's triggers).
  INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read, imported,
                          updated, unchanged, skipped, rejected, skipped_by_reason,
                          organisations_created, organisations_updated, rescored, queued)
  SELECT run, 'cqc_directory', file, sha256, la, staged + outside, i, u, staged - i - u - nl,
         outside - parse_rejected + nl, parse_rejected,
         jsonb_build_object('blank', 0, 'other_local_authority', 0, 'not_adult_social_care', 0,
                            'not_a_rating', 0, 'population_group_duplicate', 0, 'repeated_row', 0)
           || parse_skipped || jsonb_build_object('no_locality', nl, 'unknown_location', 0),
         oc, ou, 0, i + u;
  RETURN QUERY SELECT i, u, (staged - i - u - nl)::int, nl, oc, ou, i + u, dist, dist_n;
END $$;

-- Store the caller's staged ratings (api.import_stage_rating, this
-- transaction's): each (provider, domain, publication date) once, a rating
-- already held -- imported before, or typed in with `cqc add` -- left as it
-- is.  The anti-join leaves only new ratings to insert, so a month's file,
-- mostly ratings already held, costs little; ON CONFLICT still guards
-- against a rating typed in meanwhile.  In provider order, the index
-- insertions and the foreign-key checks touch each page once.
CREATE FUNCTION api.import_ratings_apply(run uuid, file text, sha256 text, la text,
                                         parse_skipped jsonb, parse_rejected int)
RETURNS TABLE (n_imported int, n_unchanged int, n_unknown_location int, n_queued int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  outside bigint;
  staged bigint;
  unknown int;
  i int; q int;
  bad_line int;
  bad text;
BEGIN
  PERFORM api.import_require_manager();
  PERFORM api.lock_take('import');
  outside := api.import_run_check(run, file, sha256, la, parse_skipped, parse_rejected);
  ANALYZE api.import_stage_rating;

  -- One pass: what cqc_rating's CHECKs would refuse, and the rows whose
  -- location carewatch does not hold (any text: it only has to match a
  -- provider).  OFFSET 0 keeps the CASE evaluated once per row, not once
  -- per aggregate that reads it.  (PostgreSQL's bounded repetitions such as
  -- {3,15} cost twice a + and a length() here, hence the spelling of the
  -- id checks in the directory's.)
  SELECT count(*), count(*) FILTER (WHERE p.id IS NULL),
         min(x.line) FILTER (WHERE x.what IS NOT NULL),
         (array_agg(x.what ORDER BY x.line NULLS FIRST) FILTER (WHERE x.what IS NOT NULL))[1]
    INTO staged, unknown, bad_line, bad
    FROM (SELECT s.line, s.location_id, CASE
            WHEN s.line IS NULL OR s.line < 1 THEN 'line number'
            WHEN s.id IS NULL THEN 'id'
            WHEN s.domain IS NULL OR s.domain NOT IN ('safe', 'effective', 'caring', 'responsive',
                                                      'well_led', 'overall') THEN 'domain'
            WHEN s.rating IS NULL OR s.rating NOT IN ('outstanding', 'good', 'requires_improvement',
                                                      'inadequate') THEN 'rating'
            WHEN s.published_on IS NULL THEN 'publication date'
            END AS what
            FROM api.import_stage_rating s WHERE s.txn = me OFFSET 0) x
    LEFT JOIN provider p ON p.cqc_location_id = x.location_id;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'staged rating at line % has an invalid %', coalesce(bad_line, 0), bad
      USING ERRCODE = '22023';
  END IF;

  WITH ins AS (INSERT INTO cqc_rating (id, provider_id, domain, rating, published_on, source)
               SELECT r.id, p.id, r.domain, r.rating, r.published_on, 'import'
                 FROM api.import_stage_rating r JOIN provider p ON p.cqc_location_id = r.location_id
                WHERE r.txn = me
                  AND NOT EXISTS (SELECT 1 FROM cqc_rating c WHERE c.provider_id = p.id
                                     AND c.domain = r.domain AND c.published_on = r.published_on
                                     AND c.supersedes IS NULL)
                ORDER BY p.id, r.domain, r.published_on
               ON CONFLICT DO NOTHING RETURNING provider_id)
  SELECT count(*), count(DISTINCT provider_id) INTO i, q FROM ins;

  TRUNCATE api.import_stage_rating;
  -- Every provider with a new rating is on score_queue now (013's triggers).
  INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read, imported,
                          updated, unchanged, skipped, rejected, skipped_by_reason,
                          organisations_created, organisations_updated, rescored, queued)
  SELECT run, 'cqc_ratings', file, sha256, la, staged + outside, i, 0, staged - i - unknown,
         outside - parse_rejected + unknown, parse_rejected,
         jsonb_build_object('blank', 0, 'other_local_authority', 0, 'not_adult_social_care', 0,
                            'not_a_rating', 0, 'population_group_duplicate', 0, 'repeated_row', 0)
           || parse_skipped || jsonb_build_object('no_locality', 0, 'unknown_location', unknown),
         0, 0, 0, q;
  RETURN QUERY SELECT i, (staged - i - unknown)::int, unknown, q;
END $$;

-- The district map.  Returns 'added', 'changed' or 'unchanged'.
CREATE FUNCTION api.postcode_district_set(district text, locality text, area text DEFAULT '')
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE old postcode_district;
BEGIN
  PERFORM api.import_require_manager();
  IF postcode_district_set.district IS NULL
     OR postcode_district_set.district !~ '^[A-Z]{1,2}[0-9][0-9A-Z]?$' THEN
    RAISE EXCEPTION 'invalid postcode district'
      USING ERRCODE = '22023', HINT = 'the outward code of a postcode in capitals, e.g. NR1 or PE30';
  END IF;
  IF postcode_district_set.locality IS NULL
     OR NOT EXISTS (SELECT 1 FROM locality l WHERE l.code = postcode_district_set.locality) THEN
    RAISE EXCEPTION 'no such locality' USING ERRCODE = '23503';
  END IF;
  area := coalesce(postcode_district_set.area, '');
  IF length(area) > 200 OR area ~ '[\x01-\x1f\x7f-\x9f\ufeff]' THEN
    RAISE EXCEPTION 'invalid district area'
      USING ERRCODE = '22023', HINT = 'at most 200 characters on one line';
  END IF;
  SELECT * INTO old FROM postcode_district d WHERE d.district = postcode_district_set.district
    FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO postcode_district (district, locality, area)
    VALUES (postcode_district_set.district, postcode_district_set.locality, area)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN 'added';
    END IF;
    RAISE EXCEPTION 'postcode district was added meanwhile' USING ERRCODE = '40001';
  END IF;
  IF old.locality = postcode_district_set.locality AND old.area = area THEN
    RETURN 'unchanged';
  END IF;
  UPDATE postcode_district d SET locality = postcode_district_set.locality,
                                 area = postcode_district_set.area
   WHERE d.district = postcode_district_set.district;
  RETURN 'changed';
END $$;

-- Remove a district from the map; false when it was not there.  Providers
-- keep their locality: the map only places new ones.
CREATE FUNCTION api.postcode_district_remove(district text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM api.import_require_manager();
  DELETE FROM postcode_district d WHERE d.district = postcode_district_remove.district;
  RETURN FOUND;
END $$;

-- The two helpers run only inside the functions (as their owner).
ALTER FUNCTION api.import_require_manager() OWNER TO carewatch_api;
ALTER FUNCTION api.import_run_check(uuid, text, text, text, jsonb, int) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.import_require_manager() FROM PUBLIC;
REVOKE ALL ON FUNCTION api.import_run_check(uuid, text, text, text, jsonb, int) FROM PUBLIC;
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['api.import_directory_apply(uuid, text, text, text, jsonb, int)',
                           'api.import_ratings_apply(uuid, text, text, text, jsonb, int)',
                           'api.postcode_district_set(text, text, text)',
                           'api.postcode_district_remove(text)'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO carewatch_api', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO carewatch_manager', f);
  END LOOP;
END $$;
