-- 020_cqc_workbooks.sql: CQC's data as CQC publishes it since 2023: the
-- framework of every rating, service-level ratings, the active and
-- deactivated locations workbooks, every local authority's rating counts for
-- comparisons, and the API sync's cursor (docs/import.md).
--
-- Everything is written, as in 015, by SECURITY DEFINER functions in schema
-- api owned by carewatch_api from rows the client COPYs into UNLOGGED
-- staging tables keyed by its transaction; people's roles get no UPDATE or
-- DELETE on anything here.

-- The framework a rating came from:
--   legacy   the 2014 framework (key lines of enquiry), to November 2023
--   saf      the single assessment framework (quality statements), from
--            21 November 2023
--   sector   the sector frameworks of 2026 (judgements per key question)
-- and its basis: `location` when CQC rated the location, `services` when the
-- location-level row was Not Rated and the rating is the worst of its
-- services' ratings in that domain on that date (docs/import.md).
ALTER TABLE cqc_rating ADD COLUMN framework text
    CHECK (framework IN ('legacy', 'saf', 'sector')),
  ADD COLUMN basis text NOT NULL DEFAULT 'location' CHECK (basis IN ('location', 'services'));

-- A rating typed in with `cqc add` or held before this migration has the
-- framework its publication date implies.
CREATE FUNCTION cqc_rating_framework_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.framework IS NULL THEN
    NEW.framework := CASE WHEN NEW.published_on >= DATE '2023-11-21' THEN 'saf' ELSE 'legacy' END;
  END IF;
  RETURN NEW;
END $$;
-- Only when none is given: an import gives one for each of 150,000 rows, and
-- a PL/pgSQL call per row would cost it a few tenths of a second.
CREATE TRIGGER cqc_rating_framework BEFORE INSERT ON cqc_rating
  FOR EACH ROW WHEN (NEW.framework IS NULL) EXECUTE FUNCTION cqc_rating_framework_default();
UPDATE cqc_rating SET framework = CASE WHEN published_on >= DATE '2023-11-21' THEN 'saf'
                                       ELSE 'legacy' END;
ALTER TABLE cqc_rating ALTER COLUMN framework SET NOT NULL;
-- The view's * was expanded when it was made: add the new columns.
CREATE OR REPLACE VIEW cqc_rating_current AS
  SELECT * FROM cqc_rating r WHERE NOT EXISTS (SELECT 1 FROM cqc_rating s WHERE s.supersedes = r.id);

-- Ratings per service (the `Service / Population Group` rows): since the
-- single assessment framework a multi-service location is rated per
-- service.  Append-only like cqc_rating; written by imports and the sync.
CREATE TABLE cqc_service_rating (
  id             uuid PRIMARY KEY,
  provider_id    uuid NOT NULL REFERENCES provider,
  service_group  text NOT NULL CHECK (length(service_group) BETWEEN 1 AND 200),
  domain         text NOT NULL CHECK (domain IN ('safe', 'effective', 'caring', 'responsive',
                   'well_led', 'overall')),
  rating         text NOT NULL CHECK (rating IN ('outstanding', 'good', 'requires_improvement',
                   'inadequate')),
  published_on   date NOT NULL,
  framework      text NOT NULL CHECK (framework IN ('legacy', 'saf', 'sector')),
  recorded_by    text NOT NULL,
  recorded_at    timestamptz NOT NULL,
  UNIQUE (provider_id, service_group, domain, published_on)
);
SELECT audit_attach('cqc_service_rating', true);
SELECT audit_attach_statement('cqc_service_rating');

-- From the active locations workbook: whether the location is dormant and
-- the service types it is registered for (CQC's `Service type - ...`
-- columns marked Y, as words: care_home_service_with_nursing).
ALTER TABLE provider ADD COLUMN dormant boolean,
  ADD COLUMN service_types text[] CHECK (cardinality(service_types) <= 64);

-- Comparisons: for every local authority in a ratings file, how many adult
-- social care locations had each overall rating at the file's date, by
-- care type (care_home: `Care Home?` Y; community: the rest; the file does
-- not tell nursing homes from residential ones).  No other council's
-- providers are imported: only these counts.
CREATE TABLE cqc_la_rating (
  id               uuid PRIMARY KEY,
  as_of            date NOT NULL,
  local_authority  text NOT NULL CHECK (length(local_authority) BETWEEN 1 AND 200),
  region           text NOT NULL CHECK (length(region) <= 200),
  care_type        text NOT NULL CHECK (care_type IN ('care_home', 'community')),
  rating           text NOT NULL CHECK (rating IN ('outstanding', 'good', 'requires_improvement',
                     'inadequate')),
  locations        int NOT NULL CHECK (locations > 0),
  run_id           uuid NOT NULL REFERENCES import_run,
  UNIQUE (as_of, local_authority, care_type, rating)
);
SELECT audit_attach('cqc_la_rating', false);
SELECT audit_attach_statement('cqc_la_rating');

-- Groups of councils to compare with (`report compare --group NAME`):
-- reference data, like the localities.  The family group is the 17 county
-- councils most like Norfolk (CIPFA's nearest-neighbour model), Norfolk
-- itself making 18, as in the 2017/18 quality report.
CREATE TABLE compare_group (
  name             text NOT NULL CHECK (name ~ '^[a-z0-9_]{1,40}$'),
  local_authority  text NOT NULL CHECK (length(local_authority) BETWEEN 1 AND 200),
  PRIMARY KEY (name, local_authority)
);
INSERT INTO compare_group (name, local_authority)
SELECT 'family', unnest(ARRAY['Norfolk', 'Suffolk', 'Lincolnshire', 'Devon', 'Somerset', 'Cumbria',
  'North Yorkshire', 'Worcestershire', 'Staffordshire', 'Gloucestershire', 'Warwickshire',
  'Leicestershire', 'Nottinghamshire', 'Derbyshire', 'Cambridgeshire', 'Essex', 'Kent',
  'West Sussex']);

-- The API sync's cursor: the end of the last /changes/location window stored
-- whole.  One row; moved only by api.cqc_sync_apply, in the window's own
-- transaction.
CREATE TABLE cqc_sync_state (
  name        text PRIMARY KEY CHECK (name = 'changes_location'),
  cursor_at   timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

ALTER TABLE import_run DROP CONSTRAINT import_run_kind_check,
  ADD CONSTRAINT import_run_kind_check
    CHECK (kind IN ('cqc_directory', 'cqc_ratings', 'cqc_active', 'cqc_deactivated', 'cqc_sync')),
  ADD COLUMN file_date date,
  ADD COLUMN service_ratings int NOT NULL DEFAULT 0 CHECK (service_ratings >= 0),
  ADD COLUMN closed int NOT NULL DEFAULT 0 CHECK (closed >= 0);

-- The sync runs from cron or a systemd timer, as the batch login or a
-- manager's: both may take the import lock.
UPDATE app_lock SET takers = ARRAY['carewatch_manager', 'carewatch_batch'] WHERE name = 'import';

-- Staging, as in 015: no constraints, keyed by the inserting transaction.
ALTER TABLE api.import_stage_rating ADD COLUMN framework text, ADD COLUMN basis text;
CREATE UNLOGGED TABLE api.import_stage_service_rating (
  txn            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  line           int,
  id             uuid,
  location_id    text,
  service_group  text,
  domain         text,
  rating         text,
  published_on   date,
  framework      text
);
CREATE UNLOGGED TABLE api.import_stage_la_count (
  txn              xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id               uuid,
  local_authority  text,
  region           text,
  care_type        text,
  rating           text,
  n                int
);
CREATE UNLOGGED TABLE api.import_stage_location (
  txn            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  line           int,
  location_id    text,
  beds           int,
  dormant        boolean,
  service_types  text[],
  closed_on      date,
  loss_id        uuid
);
ALTER TABLE api.import_stage_service_rating OWNER TO carewatch_api;
ALTER TABLE api.import_stage_la_count OWNER TO carewatch_api;
ALTER TABLE api.import_stage_location OWNER TO carewatch_api;
GRANT INSERT (framework, basis) ON api.import_stage_rating TO carewatch_manager;
GRANT INSERT (line, id, location_id, service_group, domain, rating, published_on, framework)
  ON api.import_stage_service_rating TO carewatch_manager;
GRANT INSERT (id, local_authority, region, care_type, rating, n)
  ON api.import_stage_la_count TO carewatch_manager;
GRANT INSERT (line, location_id, beds, dormant, service_types, closed_on, loss_id)
  ON api.import_stage_location TO carewatch_manager;
-- The sync (batch or manager) stages ratings and locations.
GRANT INSERT (line, id, location_id, domain, rating, published_on, framework, basis)
  ON api.import_stage_rating TO carewatch_batch;
GRANT INSERT (line, location_id, beds, dormant, service_types, closed_on, loss_id)
  ON api.import_stage_location TO carewatch_batch;

-- What the functions below need.
GRANT SELECT, INSERT ON cqc_service_rating TO carewatch_api;
GRANT SELECT, INSERT, UPDATE (locations, region, run_id), DELETE ON cqc_la_rating TO carewatch_api;
GRANT SELECT, INSERT, UPDATE (cursor_at, updated_at) ON cqc_sync_state TO carewatch_api;
GRANT SELECT ON compare_group TO carewatch_api;
GRANT INSERT, DELETE ON compare_group TO carewatch_api;
GRANT UPDATE (beds, dormant, service_types, status, closed_on) ON provider TO carewatch_api;
GRANT SELECT, INSERT ON provider_loss TO carewatch_api;
GRANT SELECT ON provider_loss_current TO carewatch_api;

-- Readers: counts and reference data have no free text.
GRANT SELECT (id, as_of, local_authority, region, care_type, rating, locations, run_id) ON cqc_la_rating
  TO carewatch_readonly;
GRANT SELECT (name, local_authority) ON compare_group TO carewatch_readonly;
GRANT SELECT (name, cursor_at, updated_at) ON cqc_sync_state
  TO carewatch_readonly;
GRANT SELECT (id, provider_id, service_group, domain, rating, published_on, framework, recorded_by,
              recorded_at) ON cqc_service_rating TO carewatch_readonly;
GRANT SELECT (framework, basis) ON cqc_rating, cqc_rating_current TO carewatch_readonly;
GRANT SELECT (dormant, service_types) ON provider TO carewatch_readonly;
GRANT SELECT (file_date, service_ratings, closed) ON import_run TO carewatch_readonly;

-- Raise 42501 unless the session's login is a manager or (the sync) the batch.
CREATE FUNCTION api.import_require_writer(sync boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT (api.is_member('carewatch_manager') OR (sync AND api.is_member('carewatch_batch'))) THEN
    RAISE EXCEPTION 'importing CQC data is for managers%', CASE WHEN sync THEN ' and the batch' ELSE '' END
      USING ERRCODE = '42501';
  END IF;
END $$;

-- 015's check of the client's counts, with the skip reasons of 020.
CREATE OR REPLACE FUNCTION api.import_run_check(run uuid, file text, sha256 text, la text,
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
                                     'not_a_rating', 'population_group_duplicate', 'repeated_row',
                                     'same_date_duplicate', 'service_level', 'not_deactivated')
                    OR jsonb_typeof(e.value) <> 'number' OR e.value::text !~ '^[0-9]{1,9}$') THEN
    RAISE EXCEPTION 'invalid skipped row counts'
      USING ERRCODE = '22023',
            HINT = 'an object of blank, other_local_authority, not_adult_social_care, not_a_rating,'
                   ' population_group_duplicate, repeated_row, same_date_duplicate, service_level,'
                   ' not_deactivated counts';
  END IF;
  SELECT coalesce(sum(e.value::text::bigint), 0) INTO total FROM jsonb_each(parse_skipped) e;
  RETURN total + parse_rejected;
END $$;

-- Store this transaction's staged ratings (api.import_stage_rating and
-- api.import_stage_service_rating): location ratings once per (provider,
-- domain, publication date) as in 015, service ratings once per (provider,
-- service, domain, date).  Checks every staged value first (22023, the line
-- and the field, never the value).  Returns the counts; empties the staging
-- tables.  Called by the functions below only.
CREATE FUNCTION api.ratings_store(OUT n_staged bigint, OUT n_imported int, OUT n_unknown int,
                                  OUT n_queued int, OUT n_service int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  bad_line int;
  bad text;
BEGIN
  ANALYZE api.import_stage_rating;
  SELECT count(*), count(*) FILTER (WHERE p.id IS NULL),
         min(x.line) FILTER (WHERE x.what IS NOT NULL),
         (array_agg(x.what ORDER BY x.line NULLS FIRST) FILTER (WHERE x.what IS NOT NULL))[1]
    INTO n_staged, n_unknown, bad_line, bad
    FROM (SELECT s.line, s.location_id, CASE
            WHEN s.line IS NULL OR s.line < 1 THEN 'line number'
            WHEN s.id IS NULL THEN 'id'
            WHEN s.domain IS NULL OR s.domain NOT IN ('safe', 'effective', 'caring', 'responsive',
                                                      'well_led', 'overall') THEN 'domain'
            WHEN s.rating IS NULL OR s.rating NOT IN ('outstanding', 'good', 'requires_improvement',
                                                      'inadequate') THEN 'rating'
            WHEN s.published_on IS NULL THEN 'publication date'
            WHEN s.framework IS NOT NULL AND s.framework NOT IN ('legacy', 'saf', 'sector')
              THEN 'framework'
            WHEN s.basis IS NOT NULL AND s.basis NOT IN ('location', 'services') THEN 'basis'
            END AS what
            FROM api.import_stage_rating s WHERE s.txn = me OFFSET 0) x
    LEFT JOIN provider p ON p.cqc_location_id = x.location_id;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'staged rating at line % has an invalid %', coalesce(bad_line, 0), bad
      USING ERRCODE = '22023';
  END IF;
  SELECT min(s.line) INTO bad_line FROM api.import_stage_service_rating s
   WHERE s.txn = me AND (s.line IS NULL OR s.line < 1 OR s.id IS NULL
          OR s.service_group IS NULL OR NOT api.text_ok(s.service_group, 200)
          OR s.domain IS NULL OR s.domain NOT IN ('safe', 'effective', 'caring', 'responsive',
                                                  'well_led', 'overall')
          OR s.rating IS NULL OR s.rating NOT IN ('outstanding', 'good', 'requires_improvement',
                                                  'inadequate')
          OR s.published_on IS NULL OR s.framework IS NULL
          OR s.framework NOT IN ('legacy', 'saf', 'sector'));
  IF FOUND AND bad_line IS NOT NULL OR EXISTS (
       SELECT 1 FROM api.import_stage_service_rating s WHERE s.txn = me AND s.line IS NULL) THEN
    RAISE EXCEPTION 'staged service rating at line % is invalid', coalesce(bad_line, 0)
      USING ERRCODE = '22023';
  END IF;

  WITH ins AS (INSERT INTO cqc_rating (id, provider_id, domain, rating, published_on, source,
                                       framework, basis)
               SELECT r.id, p.id, r.domain, r.rating, r.published_on, 'import', r.framework,
                      coalesce(r.basis, 'location')
                 FROM api.import_stage_rating r JOIN provider p ON p.cqc_location_id = r.location_id
                WHERE r.txn = me
                  AND NOT EXISTS (SELECT 1 FROM cqc_rating c WHERE c.provider_id = p.id
                                     AND c.domain = r.domain AND c.published_on = r.published_on
                                     AND c.supersedes IS NULL)
                ORDER BY p.id, r.domain, r.published_on
               ON CONFLICT DO NOTHING RETURNING provider_id)
  SELECT count(*), count(DISTINCT provider_id) INTO n_imported, n_queued FROM ins;

  INSERT INTO cqc_service_rating (id, provider_id, service_group, domain, rating, published_on,
                                  framework)
  SELECT DISTINCT ON (p.id, s.service_group, s.domain, s.published_on)
         s.id, p.id, s.service_group, s.domain, s.rating, s.published_on, s.framework
    FROM api.import_stage_service_rating s JOIN provider p ON p.cqc_location_id = s.location_id
   WHERE s.txn = me
     AND NOT EXISTS (SELECT 1 FROM cqc_service_rating c WHERE c.provider_id = p.id
                        AND c.service_group = s.service_group AND c.domain = s.domain
                        AND c.published_on = s.published_on)
   ORDER BY p.id, s.service_group, s.domain, s.published_on, s.line
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n_service = ROW_COUNT;
  TRUNCATE api.import_stage_rating, api.import_stage_service_rating;
END $$;

-- The ratings import of 015, with service ratings, the framework and the
-- comparison counts.  as_of is the file's date (the counts are kept under
-- it: a file of the same date replaces them, changing only what differs).
DROP FUNCTION api.import_ratings_apply(uuid, text, text, text, jsonb, int);
CREATE FUNCTION api.import_ratings_apply(run uuid, file text, sha256 text, la text,
                                         parse_skipped jsonb, parse_rejected int, as_of date)
RETURNS TABLE (n_imported int, n_unchanged int, n_unknown_location int, n_queued int,
               n_service int, n_counts int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  outside bigint;
  st record;
  c int := 0;
  k int;
BEGIN
  PERFORM api.import_require_writer(false);
  PERFORM api.lock_take('import');
  outside := api.import_run_check(run, file, sha256, la, parse_skipped, parse_rejected);
  IF as_of IS NULL THEN
    RAISE EXCEPTION 'missing file date' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM api.import_stage_la_count s WHERE s.txn = me
              AND (s.id IS NULL OR s.local_authority IS NULL OR NOT api.text_ok(s.local_authority, 200)
                   OR length(s.local_authority) = 0 OR s.region IS NULL
                   OR NOT api.text_ok(s.region, 200)
                   OR s.care_type IS NULL OR s.care_type NOT IN ('care_home', 'community')
                   OR s.rating IS NULL OR s.rating NOT IN ('outstanding', 'good',
                                                           'requires_improvement', 'inadequate')
                   OR s.n IS NULL OR s.n < 1)) THEN
    RAISE EXCEPTION 'staged local authority count is invalid' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO st FROM api.ratings_store();

  -- The run first: the counts name it.
  INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read, imported,
                          updated, unchanged, skipped, rejected, skipped_by_reason,
                          organisations_created, organisations_updated, rescored, queued,
                          file_date, service_ratings)
  SELECT run, 'cqc_ratings', file, sha256, la, st.n_staged + outside, st.n_imported, 0,
         st.n_staged - st.n_imported - st.n_unknown, outside - parse_rejected + st.n_unknown,
         parse_rejected,
         jsonb_build_object('blank', 0, 'other_local_authority', 0, 'not_adult_social_care', 0,
                            'not_a_rating', 0, 'population_group_duplicate', 0, 'repeated_row', 0)
           || parse_skipped || jsonb_build_object('no_locality', 0, 'unknown_location', st.n_unknown),
         0, 0, 0, st.n_queued, as_of, st.n_service;

  -- Every authority's counts at this date: only what differs is written.
  IF EXISTS (SELECT 1 FROM api.import_stage_la_count s WHERE s.txn = me) THEN
    DELETE FROM cqc_la_rating r WHERE r.as_of = import_ratings_apply.as_of
       AND NOT EXISTS (SELECT 1 FROM api.import_stage_la_count s WHERE s.txn = me
                          AND s.local_authority = r.local_authority AND s.care_type = r.care_type
                          AND s.rating = r.rating);
    GET DIAGNOSTICS k = ROW_COUNT;
    c := c + k;
    UPDATE cqc_la_rating r SET locations = s.n, region = s.region, run_id = run
      FROM api.import_stage_la_count s
     WHERE s.txn = me AND r.as_of = import_ratings_apply.as_of
       AND r.local_authority = s.local_authority AND r.care_type = s.care_type
       AND r.rating = s.rating AND (r.locations, r.region) IS DISTINCT FROM (s.n, s.region);
    GET DIAGNOSTICS k = ROW_COUNT;
    c := c + k;
    INSERT INTO cqc_la_rating (id, as_of, local_authority, region, care_type, rating, locations,
                               run_id)
    SELECT s.id, import_ratings_apply.as_of, s.local_authority, s.region, s.care_type, s.rating,
           s.n, run
      FROM api.import_stage_la_count s
     WHERE s.txn = me
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS k = ROW_COUNT;
    c := c + k;
  END IF;
  TRUNCATE api.import_stage_la_count;
  RETURN QUERY SELECT st.n_imported, (st.n_staged - st.n_imported - st.n_unknown)::int,
                      st.n_unknown, st.n_queued, st.n_service, c;
END $$;

-- This transaction's staged locations (api.import_stage_location) applied
-- to the providers carewatch holds.  kind 'active': beds, dormancy and
-- service types where they differ.  kind 'deactivated': the provider is
-- closed on the HSCA end date with its beds at deactivation, and the
-- closure is recorded as provider loss (once: the loss id is made from the
-- location and the date).  Returns the counts.
CREATE FUNCTION api.locations_store(kind text, OUT n_staged bigint, OUT n_updated int,
                                    OUT n_unknown int, OUT n_closed int, OUT n_losses int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  bad_line int;
  bad text;
BEGIN
  SELECT count(*), count(*) FILTER (WHERE x.pid IS NULL),
         min(x.line) FILTER (WHERE x.what IS NOT NULL),
         (array_agg(x.what ORDER BY x.line NULLS FIRST) FILTER (WHERE x.what IS NOT NULL))[1]
    INTO n_staged, n_unknown, bad_line, bad
    FROM (SELECT s.line, p.id AS pid, CASE
            WHEN s.line IS NULL OR s.line < 1 THEN 'line number'
            WHEN s.location_id IS NULL THEN 'location id'
            WHEN s.beds IS NOT NULL AND (s.beds < 0 OR s.beds > 10000) THEN 'beds'
            WHEN cardinality(s.service_types) > 64
                 OR EXISTS (SELECT 1 FROM unnest(s.service_types) t WHERE t IS NULL OR t !~ '^[a-z0-9_]{1,80}$')
              THEN 'service types'
            WHEN kind = 'deactivated' AND (s.closed_on IS NULL OR s.loss_id IS NULL) THEN 'end date'
            WHEN kind = 'deactivated' AND p.registered_on IS NOT NULL AND s.closed_on < p.registered_on
              THEN 'end date'
            END AS what
            FROM api.import_stage_location s LEFT JOIN provider p ON p.cqc_location_id = s.location_id
           WHERE s.txn = me) x;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'staged location at line % has an invalid %', coalesce(bad_line, 0), bad
      USING ERRCODE = '22023';
  END IF;
  IF (SELECT count(DISTINCT s.location_id) FROM api.import_stage_location s WHERE s.txn = me) <> n_staged THEN
    RAISE EXCEPTION 'staged locations repeat a location' USING ERRCODE = '22023';
  END IF;
  n_closed := 0;
  n_losses := 0;
  IF kind = 'active' THEN
    UPDATE provider p SET beds = coalesce(s.beds, p.beds), dormant = coalesce(s.dormant, p.dormant),
           service_types = coalesce(s.service_types, p.service_types)
      FROM api.import_stage_location s
     WHERE s.txn = me AND p.cqc_location_id = s.location_id
       AND (coalesce(s.beds, p.beds), coalesce(s.dormant, p.dormant),
            coalesce(s.service_types, p.service_types))
           IS DISTINCT FROM (p.beds, p.dormant, p.service_types);
    GET DIAGNOSTICS n_updated = ROW_COUNT;
  ELSE
    INSERT INTO provider_loss (id, provider_id, kind, occurred_on, beds_lost)
    SELECT s.loss_id, p.id, 'closure', s.closed_on, coalesce(s.beds, p.beds, 0)
      FROM api.import_stage_location s JOIN provider p ON p.cqc_location_id = s.location_id
     WHERE s.txn = me
       AND NOT EXISTS (SELECT 1 FROM provider_loss_current l WHERE l.provider_id = p.id
                          AND l.kind = 'closure')
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n_losses = ROW_COUNT;
    UPDATE provider p SET status = 'closed', closed_on = s.closed_on, beds = coalesce(s.beds, p.beds)
      FROM api.import_stage_location s
     WHERE s.txn = me AND p.cqc_location_id = s.location_id
       AND (p.status, p.closed_on, p.beds) IS DISTINCT FROM ('closed', s.closed_on, coalesce(s.beds, p.beds));
    GET DIAGNOSTICS n_closed = ROW_COUNT;
    n_updated := n_closed;
  END IF;
  TRUNCATE api.import_stage_location;
END $$;

CREATE FUNCTION api.import_locations_apply(run uuid, file text, sha256 text, la text,
                                           parse_skipped jsonb, parse_rejected int, kind text,
                                           as_of date)
RETURNS TABLE (n_updated int, n_unchanged int, n_unknown_location int, n_closed int,
               n_losses int, n_queued int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  outside bigint;
  st record;
BEGIN
  PERFORM api.import_require_writer(false);
  PERFORM api.lock_take('import');
  IF kind IS NULL OR kind NOT IN ('active', 'deactivated') THEN
    RAISE EXCEPTION 'invalid location import kind' USING ERRCODE = '22023';
  END IF;
  outside := api.import_run_check(run, file, sha256, la, parse_skipped, parse_rejected);
  SELECT * INTO st FROM api.locations_store(kind);
  INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read, imported,
                          updated, unchanged, skipped, rejected, skipped_by_reason,
                          organisations_created, organisations_updated, rescored, queued,
                          file_date, closed)
  SELECT run, 'cqc_' || kind, file, sha256, la, st.n_staged + outside, 0, st.n_updated,
         st.n_staged - st.n_updated - st.n_unknown, outside - parse_rejected + st.n_unknown,
         parse_rejected,
         jsonb_build_object('blank', 0, 'other_local_authority', 0, 'not_adult_social_care', 0,
                            'not_a_rating', 0, 'population_group_duplicate', 0, 'repeated_row', 0)
           || parse_skipped || jsonb_build_object('no_locality', 0, 'unknown_location', st.n_unknown),
         0, 0, 0, st.n_updated, as_of, st.n_closed;
  RETURN QUERY SELECT st.n_updated, (st.n_staged - st.n_updated - st.n_unknown)::int, st.n_unknown,
                      st.n_closed, st.n_losses, st.n_updated;
END $$;

-- One /changes/location window of the API sync, stored whole: the staged
-- ratings and locations (beds, deregistrations) of every changed location
-- carewatch holds, the run logged, and the cursor moved from window_start
-- to window_end -- only if it was at window_start, so two syncs never both
-- store a window and a failed window leaves the cursor where it was.
CREATE FUNCTION api.cqc_sync_apply(run uuid, window_start timestamptz, window_end timestamptz,
                                   changes int, not_found int)
RETURNS TABLE (n_imported int, n_unchanged int, n_unknown_location int, n_queued int,
               n_service int, n_beds int, n_closed int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  cur timestamptz;
  st record;
  lo record;
  me xid8 := pg_current_xact_id();
  closing boolean;
BEGIN
  PERFORM api.import_require_writer(true);
  PERFORM api.lock_take('import');
  IF run IS NULL OR window_start IS NULL OR window_end IS NULL OR window_end <= window_start
     OR changes IS NULL OR changes < 0 OR not_found IS NULL OR not_found < 0 THEN
    RAISE EXCEPTION 'invalid sync window' USING ERRCODE = '22023';
  END IF;
  SELECT s.cursor_at INTO cur FROM cqc_sync_state s WHERE s.name = 'changes_location' FOR UPDATE;
  IF FOUND AND cur <> window_start THEN
    RAISE EXCEPTION 'the sync cursor is not at the window''s start (another sync ran)'
      USING ERRCODE = '55000';
  END IF;
  SELECT * INTO st FROM api.ratings_store();
  -- Deregistered locations close like deactivated ones; the rest set beds.
  closing := EXISTS (SELECT 1 FROM api.import_stage_location s WHERE s.txn = me AND s.closed_on IS NOT NULL);
  IF closing THEN
    CREATE TEMP TABLE cqc_sync_open ON COMMIT DROP AS
      SELECT * FROM api.import_stage_location s WHERE s.txn = me AND s.closed_on IS NULL;
    DELETE FROM api.import_stage_location s WHERE s.txn = me AND s.closed_on IS NULL;
    SELECT * INTO lo FROM api.locations_store('deactivated');
    INSERT INTO api.import_stage_location (line, location_id, beds, dormant, service_types, closed_on, loss_id)
    SELECT o.line, o.location_id, o.beds, o.dormant, o.service_types, o.closed_on, o.loss_id
      FROM pg_temp.cqc_sync_open o;
    n_closed := lo.n_closed;
  ELSE
    n_closed := 0;
  END IF;
  SELECT * INTO lo FROM api.locations_store('active');
  n_beds := lo.n_updated;
  INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read, imported,
                          updated, unchanged, skipped, rejected, skipped_by_reason,
                          organisations_created, organisations_updated, rescored, queued,
                          file_date, service_ratings, closed)
  SELECT run, 'cqc_sync', to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '/'
                       || to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         repeat('0', 64), NULL, st.n_staged + not_found, st.n_imported, 0,
         st.n_staged - st.n_imported - st.n_unknown, st.n_unknown + not_found, 0,
         jsonb_build_object('not_found', not_found, 'unknown_location', st.n_unknown,
                            'changes', changes),
         0, 0, 0, st.n_queued, (window_end AT TIME ZONE 'UTC')::date, st.n_service, n_closed;
  INSERT INTO cqc_sync_state (name, cursor_at, updated_at)
  VALUES ('changes_location', window_end, now())
  ON CONFLICT (name) DO UPDATE SET cursor_at = EXCLUDED.cursor_at, updated_at = EXCLUDED.updated_at;
  RETURN QUERY SELECT st.n_imported, (st.n_staged - st.n_imported - st.n_unknown)::int, st.n_unknown,
                      st.n_queued, st.n_service, n_beds, n_closed;
END $$;

-- A comparison group, replaced whole (managers): `carewatch report compare
-- --group NAME` reads it.  Returns how many authorities it now has.
CREATE FUNCTION api.compare_group_set(group_name text, members text[]) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE k int;
BEGIN
  PERFORM api.require('carewatch_manager', 'changing comparison groups is for managers');
  IF group_name IS NULL OR group_name !~ '^[a-z0-9_]{1,40}$' THEN
    RAISE EXCEPTION 'invalid comparison group name' USING ERRCODE = '22023';
  END IF;
  IF members IS NULL OR cardinality(members) = 0 OR cardinality(members) > 200
     OR EXISTS (SELECT 1 FROM unnest(members) m WHERE m IS NULL OR length(m) = 0
                   OR NOT api.text_ok(m, 200)) THEN
    RAISE EXCEPTION 'invalid comparison group members' USING ERRCODE = '22023';
  END IF;
  DELETE FROM compare_group g WHERE g.name = group_name AND g.local_authority <> ALL (members);
  INSERT INTO compare_group (name, local_authority)
  SELECT DISTINCT group_name, m FROM unnest(members) m ON CONFLICT DO NOTHING;
  SELECT count(*) INTO k FROM compare_group g WHERE g.name = group_name;
  RETURN k;
END $$;

-- The cursor, for `cqc sync` to start from (NULL before the first window).
CREATE FUNCTION api.cqc_sync_cursor() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.cursor_at FROM cqc_sync_state s WHERE s.name = 'changes_location'
$$;

ALTER FUNCTION api.import_require_writer(boolean) OWNER TO carewatch_api;
ALTER FUNCTION api.ratings_store() OWNER TO carewatch_api;
ALTER FUNCTION api.locations_store(text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.import_require_writer(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.ratings_store() FROM PUBLIC;
REVOKE ALL ON FUNCTION api.locations_store(text) FROM PUBLIC;
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['api.import_ratings_apply(uuid, text, text, text, jsonb, int, date)',
                           'api.import_locations_apply(uuid, text, text, text, jsonb, int, text, date)',
                           'api.compare_group_set(text, text[])'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO carewatch_api', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO carewatch_manager', f);
  END LOOP;
  FOREACH f IN ARRAY ARRAY['api.cqc_sync_apply(uuid, timestamptz, timestamptz, int, int)',
                           'api.cqc_sync_cursor()'] LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO carewatch_api', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO carewatch_manager, carewatch_batch', f);
  END LOOP;
END $$;
