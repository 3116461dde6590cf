-- 013_locks_queue.sql: locks no reader can take, and the queue of providers
-- waiting to be rescored.
--
-- Every person has psql, so the application cannot rely on anything a login
-- could do by hand.  Two such things existed:
--
-- * Advisory locks.  pg_advisory_lock() is open to PUBLIC, and it is owned
--   by the bootstrap superuser, so the database owner cannot revoke it: any
--   login (readonly included) could take the assignment, import or nightly
--   key and make officers' `concern add` and the nightly hang or refuse.
--   The application's locks are now rows of app_lock, locked FOR UPDATE by
--   api.lock_take().  Row locks need UPDATE on the table, which no login has;
--   api.lock_take() runs as carewatch_api and lets each lock be taken only by
--   the roles that write under it.
--
-- * Score rows.  A person who may INSERT into provider_score can forge any
--   provider's score, band and flag.  Scores are now written only by the
--   scorer (`carewatch scorer`, the batch role) and the nightly.  Every write
--   that can change a score puts the provider on score_queue (statement-level
--   triggers, set-based, so an import of 150,000 ratings queues once per
--   provider) and notifies the channel `carewatch_score` (no payload: no
--   data in the notification).
--
-- The schema `api` holds every function people may call (PostgREST's "the
-- database is the API"): each one SECURITY DEFINER with a pinned
-- search_path, checking who is calling (session_user) and whether the step
-- is legal.  The schema and its functions belong to carewatch_api, a NOLOGIN
-- role that holds exactly the privileges those functions need
-- (schema/grants.tsv); nobody can log in as it.  (Owning the schema is what
-- lets pg_restore hand the functions back to it.)

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'carewatch_api') THEN
    CREATE ROLE carewatch_api NOLOGIN;
  END IF;
END $$;
-- The migrating owner must be a member to hand objects to it.
GRANT carewatch_api TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO carewatch_api;
CREATE SCHEMA api AUTHORIZATION carewatch_api;
GRANT USAGE ON SCHEMA api TO carewatch_readonly, carewatch_batch;

-- Locks -------------------------------------------------------------------

--   lock     held by                         while
--   assign   officers, managers, batch       a case's officer is chosen and written
--   import   managers                        a CQC file is imported
--   nightly  batch                           a nightly run or a rescore of everyone
CREATE TABLE app_lock (
  name    text PRIMARY KEY CHECK (name ~ '^[a-z_]{1,30}$'),
  takers  text[] NOT NULL
);
INSERT INTO app_lock (name, takers) VALUES
  ('assign',  ARRAY['carewatch_officer', 'carewatch_batch']),
  ('import',  ARRAY['carewatch_manager']),
  ('nightly', ARRAY['carewatch_batch']);

-- A member of role r, or the database owner (who runs `db migrate` and may
-- do anything a person may).  Every api function decides by this.
CREATE FUNCTION api.is_member(r text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT pg_has_role(session_user, r, 'MEMBER')
      OR EXISTS (SELECT 1 FROM pg_database d JOIN pg_roles o ON o.oid = d.datdba
                  WHERE d.datname = current_database() AND o.rolname = session_user)
$$;
ALTER FUNCTION api.is_member(text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.is_member(text) FROM PUBLIC;

-- Take lock `lock_name` until the end of the calling transaction.  wait =>
-- block until it is free; otherwise return false at once when it is held.
-- Raises 42501 for a caller who may not take it (the message names the
-- lock, never data).
CREATE FUNCTION api.lock_take(lock_name text, wait boolean DEFAULT true) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE t text[];
BEGIN
  SELECT takers INTO t FROM app_lock WHERE name = lock_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such lock' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM unnest(t) r WHERE api.is_member(r)) THEN
    RAISE EXCEPTION 'the % lock is not for this role', lock_name USING ERRCODE = '42501';
  END IF;
  IF wait THEN
    PERFORM 1 FROM app_lock WHERE name = lock_name FOR UPDATE;
  ELSE
    BEGIN
      PERFORM 1 FROM app_lock WHERE name = lock_name FOR UPDATE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
      RETURN false;
    END;
  END IF;
  RETURN true;
END $$;
ALTER FUNCTION api.lock_take(text, boolean) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.lock_take(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.lock_take(text, boolean)
  TO carewatch_officer, carewatch_manager, carewatch_batch;
GRANT SELECT, UPDATE ON app_lock TO carewatch_api;

-- The score queue ---------------------------------------------------------

CREATE TABLE score_queue (
  provider_id  uuid PRIMARY KEY REFERENCES provider,
  queued_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX score_queue_order ON score_queue (queued_at);

-- Statement-level: the distinct providers of the statement's new rows.
CREATE FUNCTION score_enqueue() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  IF TG_TABLE_NAME = 'restriction_lift' THEN
    INSERT INTO score_queue (provider_id)
    SELECT DISTINCT r.provider_id FROM new_rows l JOIN restriction r ON r.id = l.restriction_id
     ORDER BY 1 ON CONFLICT (provider_id) DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ruleset_activation' THEN
    INSERT INTO score_queue (provider_id)
    SELECT p.id FROM provider p WHERE p.status = 'active'
     ORDER BY 1 ON CONFLICT (provider_id) DO NOTHING;
  ELSIF TG_TABLE_NAME = 'provider' THEN
    INSERT INTO score_queue (provider_id)
    SELECT DISTINCT id FROM new_rows ORDER BY 1 ON CONFLICT (provider_id) DO NOTHING;
  ELSE
    INSERT INTO score_queue (provider_id)
    SELECT DISTINCT provider_id FROM new_rows ORDER BY 1 ON CONFLICT (provider_id) DO NOTHING;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('carewatch_score', '');
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['concern', 'visit', 'safeguarding', 'cqc_rating', 'ipc_inspection',
                           'survey', 'restriction', 'restriction_lift', 'performance_notice',
                           'provider_loss', 'ruleset_activation'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue()',
                   'score_enqueue_' || t, t);
  END LOOP;
END $$;
-- A provider's own facts (care type, beds, status) feed its score too.
CREATE TRIGGER score_enqueue_provider_insert AFTER INSERT ON provider
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue();
CREATE TRIGGER score_enqueue_provider_update AFTER UPDATE ON provider
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue();

GRANT SELECT, DELETE ON score_queue TO carewatch_batch;
GRANT SELECT ON score_queue TO carewatch_readonly;
