-- 030_corrections.sql: (issue 14) correcting and withdrawing intelligence.
--
-- Every intelligence table had `supersedes` and a *_current view from the
-- start (002), but nothing wrote a correction, and a record entered in
-- error (the wrong provider, a test entry, a duplicate) could not be taken
-- back at all.  Two steps now, both through api functions that check who is
-- calling (SECURITY DEFINER, owned by carewatch_api, as 016's):
--
--   step        function             writes
--   correct     api.record_correct   a new row of the kind's table that
--                                    supersedes the old one (every field not
--                                    given carried over) and a
--                                    record_correction row with the reason
--   withdraw    api.record_withdraw  a record_withdrawal row with the reason
--
-- Nothing is updated or deleted: history and audit keep both versions.  A
-- record is current when nobody supersedes it and it is not withdrawn; the
-- *_current views (redefined below) and every other reader of intelligence
-- for scores, cases and reports (scoring.c's per-provider reads, api.search (032),
-- month-end counts) say exactly that.
--
-- Only a current record can be corrected or withdrawn: one that was
-- corrected names its correction ("concern X was already corrected by Y;
-- correct Y instead"), one withdrawn says so.  Concurrent steps on records
-- of one provider queue on the provider's row lock (FOR NO KEY UPDATE:
-- recording new intelligence, whose foreign key takes FOR KEY SHARE, is not
-- held up, and no person's role can take a row lock at all), so a record is
-- never both corrected and withdrawn.
--
-- Cases.  Withdrawing a concern withdraws its case: the case is closed (if
-- it was open) and marked withdrawn_at, so it leaves every worklist and
-- caseload, and the response-time outcome leaves it out (worklist.c,
-- report_work.c), as do the month-end active-case counts.  Correcting a
-- concern moves its case to the correction (case_file.concern_id), and
-- when the risk level or the received time changes the case takes the new
-- risk, opening time and due time: the client works the due time out from
-- the active rules and the calendar (as for api.case_open) and the function
-- checks it is not before the concern was received.  Each is one case_event
-- ('corrected' with the new risk and due time, 'withdrawn').
--
--   SQLSTATE  raised when                                        carewatch exit
--   42501     the caller is not an officer or manager            4
--   P0002     no such record                                     5
--   55000     the record was corrected or withdrawn already, or  7
--             the id given was used for another step
--   22023     a value is invalid, the reason is missing, or the  2
--             correction changes nothing
--
-- A retried step (the same p_id, as a client sends after a lost
-- connection) writes nothing and returns written = false.  Messages name
-- records by kind and id and fields by column, never a value or a reason:
-- the server log, which records ERROR lines, holds no free text.  A value
-- the table refuses (a CHECK) is caught and re-raised without the failing
-- row, which PostgreSQL would otherwise put in the log's DETAIL line.

CREATE TABLE record_withdrawal (
  id           uuid PRIMARY KEY,              -- the client's id: a retry writes once
  kind         text NOT NULL CHECK (kind IN ('concern', 'visit', 'safeguarding', 'cqc', 'ipc',
                                             'survey', 'notice', 'restriction', 'loss')),
  record_id    uuid NOT NULL UNIQUE,          -- a row of the kind's table
  provider_id  uuid NOT NULL REFERENCES provider,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
  recorded_by  text NOT NULL,                 -- stamped: session_user
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX record_withdrawal_by ON record_withdrawal (recorded_by, recorded_at);
CREATE INDEX record_withdrawal_provider ON record_withdrawal (provider_id);

-- Why each correction was made: one row per correcting row (id is the new
-- row's), beside the row itself.
CREATE TABLE record_correction (
  id           uuid PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('concern', 'visit', 'safeguarding', 'cqc', 'ipc',
                                             'survey', 'notice', 'restriction', 'loss')),
  supersedes   uuid NOT NULL UNIQUE,
  provider_id  uuid NOT NULL REFERENCES provider,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);

SELECT audit_attach('record_withdrawal', true), audit_attach('record_correction', true);
-- A withdrawal changes the provider's score: the scorer rescores it
-- (013's statement trigger; a correction's new row queues it itself).
CREATE TRIGGER score_enqueue_record_withdrawal AFTER INSERT ON record_withdrawal
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue();

-- `carewatch recent` and `KIND list --mine`: what one person recorded, newest first.
CREATE INDEX concern_recorded_by ON concern (recorded_by, recorded_at);
CREATE INDEX visit_recorded_by ON visit (recorded_by, recorded_at);
CREATE INDEX safeguarding_recorded_by ON safeguarding (recorded_by, recorded_at);
CREATE INDEX cqc_rating_recorded_by ON cqc_rating (recorded_by, recorded_at);
CREATE INDEX ipc_inspection_recorded_by ON ipc_inspection (recorded_by, recorded_at);
CREATE INDEX survey_recorded_by ON survey (recorded_by, recorded_at);
CREATE INDEX restriction_recorded_by ON restriction (recorded_by, recorded_at);
CREATE INDEX performance_notice_recorded_by ON performance_notice (recorded_by, recorded_at);
CREATE INDEX provider_loss_recorded_by ON provider_loss (recorded_by, recorded_at);

-- The current rows: nobody supersedes them and they are not withdrawn.
-- (The same columns as before, so every grant on the views stands.)
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['concern', 'visit', 'safeguarding', 'cqc_rating', 'ipc_inspection',
                           'survey', 'restriction', 'performance_notice', 'provider_loss'] LOOP
    EXECUTE format('CREATE OR REPLACE VIEW %I AS SELECT * FROM %I r'
                   ' WHERE NOT EXISTS (SELECT 1 FROM %I s WHERE s.supersedes = r.id)'
                   '   AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id)',
                   t || '_current', t, t);
  END LOOP;
END $$;

-- Cases of withdrawn concerns ----------------------------------------------

ALTER TABLE case_file ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE case_file ADD CONSTRAINT case_file_withdrawn_closed
  CHECK (withdrawn_at IS NULL OR state = 'closed');
ALTER TABLE case_event DROP CONSTRAINT case_event_kind_check;
ALTER TABLE case_event ADD CONSTRAINT case_event_kind_check
  CHECK (kind IN ('opened', 'assigned', 'responded', 'closed', 'reopened', 'corrected',
                  'withdrawn'));

-- 018's trigger function, with a withdrawn case's closing written as its
-- withdrawal rather than as a closure.
CREATE OR REPLACE FUNCTION case_event_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_TABLE_NAME = 'case_file' AND TG_OP = 'INSERT' THEN
    INSERT INTO case_event (case_id, at, kind, detail)
    SELECT id, opened_at, 'opened', risk FROM new_rows ORDER BY opened_at, number;
    INSERT INTO case_event (case_id, at, kind, note)
    SELECT id, closed_at, 'closed', closure_note FROM new_rows WHERE closed_at IS NOT NULL
     ORDER BY closed_at, number;
  ELSIF TG_TABLE_NAME = 'case_file' THEN
    INSERT INTO case_event (case_id, at, kind, note)
    SELECT n.id, n.closed_at, 'closed', n.closure_note
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.state = 'closed' AND o.state <> 'closed' AND n.withdrawn_at IS NULL
     ORDER BY n.closed_at, n.number;
    INSERT INTO case_event (case_id, at, kind, detail)
    SELECT n.id, n.withdrawn_at, 'withdrawn', 'the concern was withdrawn'
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.withdrawn_at IS NOT NULL AND o.withdrawn_at IS NULL
     ORDER BY n.withdrawn_at, n.number;
  ELSIF TG_TABLE_NAME = 'case_assignment' THEN
    INSERT INTO case_event (case_id, at, kind, officer, detail, note)
    SELECT case_id, now(), 'assigned', officer, reason, note FROM new_rows ORDER BY case_id;
  ELSE
    INSERT INTO case_event (case_id, at, kind, detail, note)
    SELECT case_id, responded_at, 'responded', kind, note FROM new_rows ORDER BY responded_at;
  END IF;
  RETURN NULL;
END $$;

-- A withdrawn case is no active case at any month end (016's function,
-- with that one condition added).
CREATE OR REPLACE FUNCTION api.month_end_record(p_month date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE p_end timestamptz;
BEGIN
  IF NOT (api.is_member('carewatch_manager') OR api.is_member('carewatch_batch')) THEN
    RAISE EXCEPTION 'month-end counts are recorded by the nightly batch or the quality manager'
      USING ERRCODE = '42501';
  END IF;
  IF p_month IS NULL OR extract(day FROM p_month) <> 1 THEN
    RAISE EXCEPTION 'invalid month' USING ERRCODE = '22023';
  END IF;
  p_end := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/London';
  IF p_end > now() THEN
    RAISE EXCEPTION 'the month has not ended yet' USING ERRCODE = '22023';
  END IF;
  LOCK TABLE month_end_cases IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM month_end_cases WHERE month = p_month;
  WITH active AS (SELECT p.care_type, p.locality, count(*) AS n
                    FROM case_file c JOIN provider p ON p.id = c.provider_id
                   WHERE c.opened_at < p_end AND coalesce(c.closed_at, 'infinity') >= p_end
                     AND c.withdrawn_at IS NULL
                   GROUP BY p.care_type, p.locality)
  INSERT INTO month_end_cases (month, care_type, locality, active)
  SELECT p_month, t.code, l.code, coalesce(a.n, 0)
    FROM care_type t CROSS JOIN locality l
    LEFT JOIN active a ON a.care_type = t.code AND a.locality = l.code;
END $$;

-- The kinds ------------------------------------------------------------------
--
--   kind          table                what (in messages)       fields a correction may change
--   concern       concern              concern                  received_at risk category source safeguarding summary
--   visit         visit                visit                    visited_at kind outcome notes
--   safeguarding  safeguarding         safeguarding             referred_on mash_ref category outcome summary
--   cqc           cqc_rating           CQC rating               rating published_on inspected_on
--   ipc           ipc_inspection       IPC inspection           inspected_on result score
--   survey        survey               survey                   surveyed_on satisfaction respondents
--   notice        performance_notice   performance notice       kind issued_on closed_on reason
--   restriction   restriction          placement restriction    kind starts_on ends_on reason
--   loss          provider_loss        provider loss            kind occurred_on beds_lost note
--
-- (The provider, and a CQC rating's domain, are not corrected: a record
-- about the wrong provider is withdrawn and recorded again.)

CREATE FUNCTION api.record_kind(p_kind text, OUT tbl text, OUT what text, OUT fields text[])
LANGUAGE sql IMMUTABLE AS $$
  SELECT k.tbl, k.what, k.fields FROM (VALUES
    ('concern', 'concern', 'concern',
     ARRAY['received_at', 'risk', 'category', 'source', 'safeguarding', 'summary']),
    ('visit', 'visit', 'visit', ARRAY['visited_at', 'kind', 'outcome', 'notes']),
    ('safeguarding', 'safeguarding', 'safeguarding',
     ARRAY['referred_on', 'mash_ref', 'category', 'outcome', 'summary']),
    ('cqc', 'cqc_rating', 'CQC rating', ARRAY['rating', 'published_on', 'inspected_on']),
    ('ipc', 'ipc_inspection', 'IPC inspection', ARRAY['inspected_on', 'result', 'score']),
    ('survey', 'survey', 'survey', ARRAY['surveyed_on', 'satisfaction', 'respondents']),
    ('notice', 'performance_notice', 'performance notice',
     ARRAY['kind', 'issued_on', 'closed_on', 'reason']),
    ('restriction', 'restriction', 'placement restriction',
     ARRAY['kind', 'starts_on', 'ends_on', 'reason']),
    ('loss', 'provider_loss', 'provider loss', ARRAY['kind', 'occurred_on', 'beds_lost', 'note'])
  ) k(kind, tbl, what, fields) WHERE k.kind = p_kind
$$;

-- The provider of record p_record of kind k, or P0002.
CREATE FUNCTION api.record_provider(k text, p_record uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  kk record := api.record_kind(k);
  pid uuid;
BEGIN
  EXECUTE format('SELECT provider_id FROM %I WHERE id = $1', kk.tbl) INTO pid USING p_record;
  IF pid IS NULL THEN
    RAISE EXCEPTION 'no % %', kk.what, p_record USING ERRCODE = 'P0002';
  END IF;
  RETURN pid;
END $$;

-- Raise unless record p_record of kind k is current, naming what happened
-- to it (step: 'correct' or 'withdraw', for the way on).  Called with the
-- provider's row locked.
CREATE FUNCTION api.record_current(k text, p_record uuid, step text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  kk record := api.record_kind(k);
  nxt uuid;
  last uuid := p_record;
  w record_withdrawal%ROWTYPE;
BEGIN
  -- The end of its chain of corrections: that is the one to work on.
  LOOP
    EXECUTE format('SELECT id FROM %I WHERE supersedes = $1', kk.tbl) INTO nxt USING last;
    EXIT WHEN nxt IS NULL;
    last := nxt;
  END LOOP;
  IF last <> p_record THEN
    RAISE EXCEPTION '% % was already corrected by %; % % instead', kk.what, p_record, last, step,
      last USING ERRCODE = '55000';
  END IF;
  SELECT * INTO w FROM record_withdrawal WHERE record_id = p_record;
  IF FOUND THEN
    RAISE EXCEPTION '% % was already withdrawn (by %, %)', kk.what, p_record, w.recorded_by,
      to_char(w.recorded_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')
      USING ERRCODE = '55000';
  END IF;
END $$;

-- Withdraw a current record entered in error, with a reason.  A concern's
-- case is withdrawn with it (closed if open, withdrawn_at set).  Returns
-- written (false: this p_id was recorded before, a retry) and the case's
-- number (NULL when no case was withdrawn).
CREATE FUNCTION api.record_withdraw(p_id uuid, p_kind text, p_record uuid, p_reason text)
RETURNS TABLE (written boolean, case_number bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  kk record;
  old record_withdrawal%ROWTYPE;
  pid uuid;
  n bigint;
BEGIN
  PERFORM api.require('carewatch_officer', 'withdrawing records is for QA officers and managers');
  kk := api.record_kind(p_kind);
  IF kk.tbl IS NULL THEN
    RAISE EXCEPTION 'invalid record kind' USING ERRCODE = '22023';
  END IF;
  IF p_id IS NULL OR p_record IS NULL THEN
    RAISE EXCEPTION 'a withdrawal id and a record are required' USING ERRCODE = '22023';
  END IF;
  IF p_reason IS NULL OR NOT api.text_ok(p_reason, 20000) THEN
    RAISE EXCEPTION 'a reason is required to withdraw a record' USING ERRCODE = '22023';
  END IF;
  pid := api.record_provider(p_kind, p_record);
  PERFORM 1 FROM provider WHERE id = pid FOR NO KEY UPDATE;
  -- A retry, answered after the lock: the first attempt has committed or
  -- failed by now.
  SELECT * INTO old FROM record_withdrawal WHERE id = p_id;
  IF FOUND THEN
    IF old.kind = p_kind AND old.record_id = p_record AND old.reason = p_reason THEN
      SELECT c.number INTO n FROM case_file c WHERE c.concern_id = p_record AND p_kind = 'concern';
      RETURN QUERY SELECT false, n;
      RETURN;
    END IF;
    RAISE EXCEPTION 'withdrawal % is already recorded with different content', p_id
      USING ERRCODE = '55000';
  END IF;
  PERFORM api.record_current(p_kind, p_record, 'withdraw');
  INSERT INTO record_withdrawal (id, kind, record_id, provider_id, reason)
  VALUES (p_id, p_kind, p_record, pid, p_reason);
  IF p_kind = 'concern' THEN
    UPDATE case_file
       SET withdrawn_at = now(), state = 'closed', closed_at = coalesce(closed_at, now())
     WHERE concern_id = p_record
    RETURNING number INTO n;
  END IF;
  RETURN QUERY SELECT true, n;
END $$;

-- Correct a current record: a new row p_id of the kind's table, the old
-- row with the fields in p_values (column name -> value as text, JSON null
-- to clear an optional one) changed, superseding p_record; the reason in
-- record_correction.  For a concern whose case exists, the case follows
-- the correction, and when the risk or received time changed it takes
-- p_due (NULL: no response target) and, when given, p_title.  A lifted
-- restriction stays lifted: its lift is copied to the correction.
-- Returns written (false for a retry), the case's number, its due time now
-- and whether that moved.
CREATE FUNCTION api.record_correct(p_id uuid, p_kind text, p_record uuid, p_values jsonb,
                                   p_reason text, p_due timestamptz DEFAULT NULL,
                                   p_title text DEFAULT NULL)
RETURNS TABLE (written boolean, case_number bigint, due_at timestamptz, due_moved boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  kk record;
  pid uuid;
  same boolean;
  bad text;
  vals jsonb;
  c concern%ROWTYPE;
  o concern%ROWTYPE;
  k case_file%ROWTYPE;
  lift restriction_lift%ROWTYPE;
  starts date;
  retime boolean;
  cols text;
BEGIN
  PERFORM api.require('carewatch_officer', 'correcting records is for QA officers and managers');
  kk := api.record_kind(p_kind);
  IF kk.tbl IS NULL THEN
    RAISE EXCEPTION 'invalid record kind' USING ERRCODE = '22023';
  END IF;
  IF p_id IS NULL OR p_record IS NULL OR p_values IS NULL OR jsonb_typeof(p_values) <> 'object' THEN
    RAISE EXCEPTION 'a correction id, a record and an object of values are required'
      USING ERRCODE = '22023';
  END IF;
  IF p_reason IS NULL OR NOT api.text_ok(p_reason, 20000) THEN
    RAISE EXCEPTION 'a reason is required to correct a record' USING ERRCODE = '22023';
  END IF;
  IF p_values = '{}'::jsonb THEN
    RAISE EXCEPTION 'nothing to correct: no field was given' USING ERRCODE = '22023';
  END IF;
  SELECT min(f) INTO bad FROM jsonb_object_keys(p_values) f WHERE f <> ALL (kk.fields);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'a % correction changes only %', kk.what, array_to_string(kk.fields, ', ')
      USING ERRCODE = '22023';
  END IF;
  IF p_title IS NOT NULL AND (NOT api.text_ok(p_title, 200) OR p_title ~ '\n') THEN
    RAISE EXCEPTION 'invalid case title' USING ERRCODE = '22023';
  END IF;
  pid := api.record_provider(p_kind, p_record);
  PERFORM 1 FROM provider WHERE id = pid FOR NO KEY UPDATE;

  -- A retry: the row exists, supersedes p_record and holds p_values.
  EXECUTE format('SELECT r.supersedes = $2 AND jsonb_populate_record(r, $3) IS NOT DISTINCT FROM r'
                 ' FROM %I r WHERE r.id = $1', kk.tbl) INTO same USING p_id, p_record, p_values;
  IF same IS NOT NULL THEN
    IF same AND EXISTS (SELECT 1 FROM record_correction x WHERE x.id = p_id
                           AND x.reason = p_reason) THEN
      SELECT f.number, f.due_at INTO k.number, k.due_at FROM case_file f
       WHERE f.concern_id = p_id AND p_kind = 'concern';
      RETURN QUERY SELECT false, k.number, k.due_at, false;
      RETURN;
    END IF;
    RAISE EXCEPTION 'record % is already recorded with different content', p_id
      USING ERRCODE = '55000';
  END IF;
  PERFORM api.record_current(p_kind, p_record, 'correct');

  EXECUTE format('SELECT jsonb_populate_record(r, $2) IS NOT DISTINCT FROM r FROM %I r'
                 ' WHERE r.id = $1', kk.tbl) INTO same USING p_record, p_values;
  IF same THEN
    RAISE EXCEPTION 'nothing to correct: % % already holds those values', kk.what, p_record
      USING ERRCODE = '22023';
  END IF;
  vals := p_values || jsonb_build_object('id', p_id, 'supersedes', p_record);
  -- A CQC rating moved across a framework's start takes that framework
  -- (020's default), unless an import said which.
  IF p_kind = 'cqc' AND p_values ? 'published_on' THEN
    vals := vals || '{"framework": null}';
  END IF;
  -- Every column but those PostgreSQL computes (032's stored words).
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a
   WHERE a.attrelid = kk.tbl::regclass AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attgenerated = '';
  BEGIN
    EXECUTE format('INSERT INTO %1$I (%2$s) SELECT %2$s FROM'
                   ' (SELECT (jsonb_populate_record(r, $2)).* FROM %1$I r WHERE r.id = $1) x',
                   kk.tbl, cols) USING p_record, vals;
  EXCEPTION
    WHEN check_violation OR not_null_violation OR invalid_text_representation
         OR datetime_field_overflow OR invalid_datetime_format OR numeric_value_out_of_range THEN
      GET STACKED DIAGNOSTICS bad = CONSTRAINT_NAME;
      RAISE EXCEPTION 'the corrected % is not valid%', kk.what,
        CASE WHEN bad <> '' THEN ' (' || bad || ')' ELSE '' END USING ERRCODE = '22023';
    WHEN unique_violation THEN
      RAISE EXCEPTION '% % was corrected meanwhile', kk.what, p_record USING ERRCODE = '55000';
  END;
  INSERT INTO record_correction (id, kind, supersedes, provider_id, reason)
  VALUES (p_id, p_kind, p_record, pid, p_reason);

  IF p_kind = 'restriction' THEN
    SELECT * INTO lift FROM restriction_lift l WHERE l.restriction_id = p_record;
    IF FOUND THEN
      SELECT r.starts_on INTO starts FROM restriction r WHERE r.id = p_id;
      IF lift.lifted_on < starts THEN
        RAISE EXCEPTION 'the corrected restriction starts after it was lifted (%)', lift.lifted_on
          USING ERRCODE = '22023';
      END IF;
      INSERT INTO restriction_lift (id, restriction_id, lifted_on, note)
      VALUES (gen_random_uuid(), p_id, lift.lifted_on, lift.note);
    END IF;
  END IF;

  IF p_kind = 'concern' THEN
    SELECT * INTO k FROM case_file f WHERE f.concern_id = p_record FOR UPDATE;
    IF FOUND THEN
      SELECT * INTO o FROM concern WHERE id = p_record;
      SELECT * INTO c FROM concern WHERE id = p_id;
      retime := c.risk <> o.risk OR c.received_at <> o.received_at;
      IF retime AND p_due IS NOT NULL AND p_due < c.received_at THEN
        RAISE EXCEPTION 'the due time is before the concern was received' USING ERRCODE = '22023';
      END IF;
      BEGIN
        UPDATE case_file f
           SET concern_id = p_id,
               risk = c.risk,
               opened_at = c.received_at,
               due_at = CASE WHEN retime THEN p_due ELSE f.due_at END,
               title = CASE WHEN retime THEN coalesce(p_title, f.title) ELSE f.title END,
               overdue_at = CASE WHEN retime THEN NULL ELSE f.overdue_at END
         WHERE f.id = k.id;
      EXCEPTION WHEN check_violation THEN
        RAISE EXCEPTION 'case % has a response more than a day before the corrected received time',
          k.number USING ERRCODE = '22023';
      END;
      IF retime THEN
        INSERT INTO case_event (case_id, at, kind, detail)
        VALUES (k.id, now(), 'corrected',
                format('%s risk, due %s', c.risk,
                       coalesce(to_char(p_due AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'),
                                'no target')));
      END IF;
      RETURN QUERY SELECT true, k.number,
        CASE WHEN retime THEN p_due ELSE k.due_at END,
        retime AND p_due IS DISTINCT FROM k.due_at;
      RETURN;
    END IF;
  END IF;
  RETURN QUERY SELECT true, NULL::bigint, NULL::timestamptz, false;
END $$;

-- Ownership and who may call what (as 016: every login may call the step
-- functions, which say who may take the step; the grants themselves are
-- schema/grants.tsv's).
ALTER FUNCTION api.record_kind(text) OWNER TO carewatch_api;
ALTER FUNCTION api.record_provider(text, uuid) OWNER TO carewatch_api;
ALTER FUNCTION api.record_current(text, uuid, text) OWNER TO carewatch_api;
ALTER FUNCTION api.record_withdraw(uuid, text, uuid, text) OWNER TO carewatch_api;
ALTER FUNCTION api.record_correct(uuid, text, uuid, jsonb, text, timestamptz, text)
  OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.record_kind(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.record_provider(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.record_current(text, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.record_withdraw(uuid, text, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.record_correct(uuid, text, uuid, jsonb, text, timestamptz, text)
  FROM PUBLIC;
