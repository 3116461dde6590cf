-- 016_trust_boundary.sql: every state change a person makes goes through a
-- function that checks who is calling and whether the step is legal.
--
-- Every person has psql.  Before this migration officers could UPDATE
-- case_file (set responded_at on anyone's late case, rewrite another
-- officer's closure note), INSERT a case assigned to a colleague with a
-- 'manual' assignment, and managers could rewrite flag decisions with any
-- decided_by.  From here on people's roles have no UPDATE or DELETE on any
-- table; they append intelligence (whose triggers stamp and audit it) and
-- call the api functions below.  The client calls the same functions, so
-- psql gets exactly the answers carewatch gets.
--
-- Each function is SECURITY DEFINER, owned by carewatch_api (013), with a
-- pinned search_path.  It decides by session_user (the person's login; a
-- definer function's current_user is carewatch_api) and raises:
--
--   SQLSTATE  meaning                                   carewatch exit
--   42501     this person may not take this step        4
--   P0002     no such case, flag, officer or record     5
--   55000     the record's state forbids the step       7
--   22023     a value is out of range                   2
--
-- Messages name the step and the record's number, never free text, so the
-- server log (which records ERROR lines) holds nothing a person wrote.

-- Who is calling (api.is_member, 013) --------------------------------------

CREATE FUNCTION api.require(r text, step text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT api.is_member(r) THEN
    RAISE EXCEPTION '%', step USING ERRCODE = '42501';
  END IF;
END $$;

CREATE FUNCTION api.text_ok(t text, max int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT t IS NULL OR (length(t) BETWEEN 1 AND max AND btrim(t, E' \t\n') <> ''
                       AND t !~ '[\x01-\x08\x0b-\x1f\x7f\u0080-\u009f]')
$$;

-- Officers: who takes cases ----------------------------------------------
--
-- The caseload figure counted every officer as available: the market
-- assurance officers (no locality; proactive PAMMS work) and the quality
-- manager pulled the team's mean load per FTE down (13.5 instead of about
-- 18.4 on the seed's team), so every QA officer showed "above band" after a
-- balanced --apply and --suggest chased a band nobody could reach.  Whether
-- an officer takes cases is now a fact about the officer: by default QA
-- officers do and market assurance officers and the quality manager do
-- not; `officer add --takes-cases yes|no` overrides it.  Those who do not
-- take cases are neither given new cases nor counted in the balance
-- (`caseload` shows them apart); a manager may still assign them a case by
-- hand.

ALTER TABLE officer ADD COLUMN takes_cases boolean;
UPDATE officer SET takes_cases = (post = 'qa_officer');
ALTER TABLE officer ALTER COLUMN takes_cases SET NOT NULL,
  ALTER COLUMN takes_cases SET DEFAULT true;


-- NULL when p_officer may be given a new case in p_locality, else why not.
-- (A manager assigning by hand may give a case to any active officer.)
CREATE FUNCTION api.officer_may_take(p_officer text, p_locality text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM officer WHERE login = p_officer AND active) THEN 'inactive'
    WHEN NOT (SELECT takes_cases FROM officer WHERE login = p_officer) THEN 'takes no cases'
    WHEN NOT EXISTS (SELECT 1 FROM officer_locality WHERE login = p_officer
                        AND locality = p_locality) THEN 'does not cover the locality'
    WHEN EXISTS (SELECT 1 FROM officer_leave v WHERE v.login = p_officer
                    AND (now() AT TIME ZONE 'Europe/London')::date BETWEEN v.first_day AND v.last_day)
      THEN 'on leave'
  END
$$;

-- Cases --------------------------------------------------------------------
--
--   state      entered by                          allowed next
--   open       api.case_open                       responded, closed
--   responded  api.case_respond (first response)   closed
--   closed     api.case_close                      (reopen: a later issue)
--
-- Only the case's officer or a manager may respond or close; a closed case
-- takes no response.

-- Open the case of a concern the caller has just recorded.  The due time
-- and officer are worked out by the client (rules and calendar in C); the
-- function checks they are legal: the concern is the caller's and has no
-- case, the case's risk and opening time are the concern's, the officer is
-- active, covers the provider's locality and is not on leave, and only a
-- manager may assign by hand.  Returns the case number, or NULL when this
-- case id exists already (a retry).
CREATE FUNCTION api.case_open(p_id uuid, p_concern uuid, p_title text, p_due timestamptz,
                              p_officer text, p_assignment uuid, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  c concern%ROWTYPE;
  loc text;
  why text;
  n bigint;
BEGIN
  PERFORM api.require('carewatch_officer', 'opening cases is for QA officers and managers');
  IF EXISTS (SELECT 1 FROM case_file WHERE id = p_id) THEN
    RETURN NULL;
  END IF;
  SELECT * INTO c FROM concern WHERE id = p_concern;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no concern % to open a case for', p_concern USING ERRCODE = 'P0002';
  END IF;
  IF c.recorded_by <> session_user AND NOT api.is_member('carewatch_manager') THEN
    RAISE EXCEPTION 'a case is opened by the officer who recorded its concern'
      USING ERRCODE = '42501';
  END IF;
  IF EXISTS (SELECT 1 FROM case_file WHERE concern_id = p_concern) THEN
    RAISE EXCEPTION 'the concern already has a case' USING ERRCODE = '55000';
  END IF;
  IF p_reason IS NULL OR p_reason NOT IN ('continuity', 'lowest_load', 'manual', 'unassigned') THEN
    RAISE EXCEPTION 'invalid assignment reason' USING ERRCODE = '22023';
  END IF;
  IF p_reason = 'manual' AND NOT api.is_member('carewatch_manager') THEN
    RAISE EXCEPTION 'assigning a case by hand is for the quality manager' USING ERRCODE = '42501';
  END IF;
  IF (p_officer IS NULL) <> (p_reason = 'unassigned') THEN
    RAISE EXCEPTION 'an unassigned case has no officer, and an assigned one has one'
      USING ERRCODE = '22023';
  END IF;
  IF p_title IS NULL OR NOT api.text_ok(p_title, 200) OR p_title ~ '\n' THEN
    RAISE EXCEPTION 'invalid case title' USING ERRCODE = '22023';
  END IF;
  IF p_due IS NOT NULL AND p_due < c.received_at THEN
    RAISE EXCEPTION 'the due time is before the concern was received' USING ERRCODE = '22023';
  END IF;
  SELECT locality INTO loc FROM provider WHERE id = c.provider_id;
  IF p_officer IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM officer WHERE login = p_officer AND active) THEN
      RAISE EXCEPTION 'no active officer %', quote_literal(p_officer) USING ERRCODE = 'P0002';
    END IF;
    why := api.officer_may_take(p_officer, loc);
    IF p_reason <> 'manual' AND why IS NOT NULL THEN
      RAISE EXCEPTION 'officer % cannot be given new cases: %', quote_literal(p_officer), why
        USING ERRCODE = '55000';
    END IF;
  END IF;
  INSERT INTO case_file (id, provider_id, concern_id, risk, title, opened_at, due_at, assigned_to)
  VALUES (p_id, c.provider_id, c.id, c.risk, p_title, c.received_at, p_due, p_officer)
  RETURNING number INTO n;
  INSERT INTO case_assignment (id, case_id, officer, reason)
  VALUES (p_assignment, p_id, p_officer, p_reason);
  RETURN n;
END $$;

-- The case row, locked, with the caller's right to work it checked.
CREATE FUNCTION api.case_for_work(p_case uuid, step text) RETURNS case_file
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE k case_file%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_officer', step || ' is for QA officers and managers');
  SELECT * INTO k FROM case_file WHERE id = p_case FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no case %', p_case USING ERRCODE = 'P0002';
  END IF;
  IF k.assigned_to IS DISTINCT FROM session_user::text AND NOT api.is_member('carewatch_manager') THEN
    RAISE EXCEPTION 'case % is assigned to %; % is for its officer or the quality manager',
      k.number, coalesce(quote_literal(k.assigned_to), 'nobody'), step USING ERRCODE = '42501';
  END IF;
  RETURN k;
END $$;

-- Record a response (at NULL: now).  Returns false when this response id
-- was recorded before with the same content (a retry: a value left out,
-- NULL, is not compared); the same id with other content is refused.
CREATE FUNCTION api.case_respond(p_id uuid, p_case uuid, p_at timestamptz, p_kind text,
                                 p_note text, p_visit uuid DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  k case_file%ROWTYPE;
  old case_response%ROWTYPE;
BEGIN
  SELECT * INTO old FROM case_response WHERE id = p_id;
  IF FOUND THEN
    IF old.case_id = p_case AND old.kind = p_kind AND (p_at IS NULL OR old.responded_at = p_at)
       AND (p_note IS NULL OR old.note = p_note)
       AND (p_visit IS NULL OR old.visit_id = p_visit) THEN
      RETURN false;
    END IF;
    RAISE EXCEPTION 'response % is already recorded with different content', p_id
      USING ERRCODE = '55000';
  END IF;
  k := api.case_for_work(p_case, 'responding to a case');
  IF k.state = 'closed' THEN
    RAISE EXCEPTION 'case % is closed; it takes no more responses', k.number
      USING ERRCODE = '55000';
  END IF;
  IF p_kind IS NULL OR p_kind NOT IN ('visit', 'phone', 'email', 'letter', 'meeting') THEN
    RAISE EXCEPTION 'invalid response kind' USING ERRCODE = '22023';
  END IF;
  p_at := coalesce(p_at, now());
  IF p_at < k.opened_at THEN
    RAISE EXCEPTION 'the response time is before case % was opened', k.number
      USING ERRCODE = '22023';
  END IF;
  IF p_at > now() + interval '5 minutes' THEN
    RAISE EXCEPTION 'the response time is in the future' USING ERRCODE = '22023';
  END IF;
  IF NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'invalid response note' USING ERRCODE = '22023';
  END IF;
  IF p_visit IS NOT NULL AND NOT EXISTS (SELECT 1 FROM visit WHERE id = p_visit
                                            AND provider_id = k.provider_id) THEN
    RAISE EXCEPTION 'no visit % at this case''s provider', p_visit USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO case_response (id, case_id, responded_at, kind, visit_id, note)
  VALUES (p_id, p_case, p_at, p_kind, p_visit, p_note);
  -- The first response (earliest time) is the case's response.
  UPDATE case_file c SET responded_at = f.first,
         state = CASE WHEN c.state = 'open' THEN 'responded' ELSE c.state END
    FROM (SELECT min(responded_at) AS first FROM case_response WHERE case_id = p_case) f
   WHERE c.id = p_case AND c.responded_at IS DISTINCT FROM f.first;
  RETURN true;
END $$;

-- Close a case with a note.  Returns the case number.
CREATE FUNCTION api.case_close(p_case uuid, p_note text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE k case_file%ROWTYPE;
BEGIN
  k := api.case_for_work(p_case, 'closing a case');
  IF k.state = 'closed' THEN
    RAISE EXCEPTION 'case % is already closed', k.number USING ERRCODE = '55000';
  END IF;
  IF p_note IS NULL OR NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'a closure note is required' USING ERRCODE = '22023';
  END IF;
  UPDATE case_file SET state = 'closed', closed_at = now(), closure_note = p_note
   WHERE id = p_case;
  RETURN k.number;
END $$;

-- Move cases to other officers (NULL: the unassigned queue), all or none:
-- each case must still be open and held by the officer the move was worked
-- out from.  For the quality manager only.  A case goes only to someone
-- who could take it -- takes cases and covers the provider's locality, and
-- for a move by hand is not on leave on the day the case is due (today when
-- it has no target) -- unless forced, with a reason (kept with the
-- assignment).  Returns the cases moved.
ALTER TABLE case_assignment ADD COLUMN note text CHECK (length(note) <= 20000);

CREATE FUNCTION api.case_assign(p_assignments uuid[], p_cases uuid[], p_from text[],
                                p_to text[], p_reason text, p_force boolean DEFAULT false,
                                p_note text DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n int;
  bad record;
BEGIN
  PERFORM api.require('carewatch_manager', 'assigning cases is for the quality manager');
  IF p_reason IS NULL OR p_reason NOT IN ('manual', 'rebalance', 'unassigned') THEN
    RAISE EXCEPTION 'invalid assignment reason' USING ERRCODE = '22023';
  END IF;
  IF cardinality(p_cases) IS DISTINCT FROM cardinality(p_to)
     OR cardinality(p_cases) IS DISTINCT FROM cardinality(p_from)
     OR cardinality(p_cases) IS DISTINCT FROM cardinality(p_assignments) THEN
    RAISE EXCEPTION 'the moves'' arrays differ in length' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_to) t(o) WHERE o IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM officer WHERE login = o AND active)) THEN
    RAISE EXCEPTION 'a case can only go to an active officer' USING ERRCODE = 'P0002';
  END IF;
  IF EXISTS (SELECT 1 FROM case_file c JOIN unnest(p_cases) m(id) USING (id)
              WHERE c.state = 'closed') THEN
    RAISE EXCEPTION 'a closed case cannot be assigned' USING ERRCODE = '55000';
  END IF;
  IF p_force AND (p_note IS NULL OR NOT api.text_ok(p_note, 20000)) THEN
    RAISE EXCEPTION 'forcing an assignment needs a reason' USING ERRCODE = '22023';
  END IF;
  IF NOT p_force THEN
    SELECT c.number, m.o, w.why INTO bad
      FROM unnest(p_cases, p_to) AS m(id, o)
      JOIN case_file c ON c.id = m.id JOIN provider p ON p.id = c.provider_id
     CROSS JOIN LATERAL (SELECT CASE
        WHEN NOT (SELECT takes_cases FROM officer WHERE login = m.o) THEN 'takes no cases'
        WHEN NOT EXISTS (SELECT 1 FROM officer_locality l WHERE l.login = m.o
                            AND l.locality = p.locality) THEN 'does not cover the locality'
        WHEN p_reason = 'manual' AND EXISTS (
               SELECT 1 FROM officer_leave v WHERE v.login = m.o
                  AND coalesce((c.due_at AT TIME ZONE 'Europe/London')::date,
                               (now() AT TIME ZONE 'Europe/London')::date)
                      BETWEEN v.first_day AND v.last_day) THEN 'is on leave on the day it is due'
      END AS why) w
     WHERE m.o IS NOT NULL AND w.why IS NOT NULL
     ORDER BY c.number LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'case % cannot go to %: % (force it, with a reason)', bad.number,
        quote_literal(bad.o), bad.why USING ERRCODE = '55000';
    END IF;
  END IF;
  UPDATE case_file c SET assigned_to = m.to_officer
    FROM unnest(p_cases, p_from, p_to) AS m(case_id, from_officer, to_officer)
   WHERE c.id = m.case_id AND c.state <> 'closed'
     AND c.assigned_to IS NOT DISTINCT FROM m.from_officer;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> cardinality(p_cases) THEN
    RAISE EXCEPTION '% of the % cases changed hands or closed meanwhile; nothing was moved',
      cardinality(p_cases) - n, cardinality(p_cases) USING ERRCODE = '40001';
  END IF;
  INSERT INTO case_assignment (id, case_id, officer, reason, note)
  SELECT a, c, o, p_reason, p_note FROM unnest(p_assignments, p_cases, p_to) AS m(a, c, o);
  RETURN n;
END $$;

-- Placement-restriction flags --------------------------------------------
--
-- Only the quality manager decides; the decider is the session user (never
-- a parameter).  Accepting creates the restriction (id given by the client,
-- derived from the flag's, so a retry adds none).  Returns false when the
-- flag was already decided this way by this person (a retry).
CREATE FUNCTION api.flag_decide(p_flag uuid, p_accept boolean, p_note text, p_kind text,
                                p_from date, p_restriction uuid)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE f restriction_flag%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_manager', 'flag decisions are for the quality manager');
  SELECT * INTO f FROM restriction_flag WHERE id = p_flag FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no flag %', p_flag USING ERRCODE = 'P0002';
  END IF;
  IF f.state <> 'open' THEN
    IF f.state = (CASE WHEN p_accept THEN 'accepted' ELSE 'dismissed' END)
       AND f.decided_by = session_user AND f.decision_note IS NOT DISTINCT FROM p_note THEN
      RETURN false;
    END IF;
    RAISE EXCEPTION 'flag % is already %', f.number, f.state USING ERRCODE = '55000';
  END IF;
  IF p_note IS NULL OR NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'a decision note is required' USING ERRCODE = '22023';
  END IF;
  IF p_accept THEN
    IF p_kind IS NULL OR p_kind NOT IN ('all', 'partial') THEN
      RAISE EXCEPTION 'invalid restriction kind' USING ERRCODE = '22023';
    END IF;
    IF p_from IS NULL OR p_from > (now() AT TIME ZONE 'Europe/London')::date + 366 THEN
      RAISE EXCEPTION 'invalid restriction start date' USING ERRCODE = '22023';
    END IF;
    INSERT INTO restriction (id, provider_id, kind, starts_on, reason)
    VALUES (p_restriction, f.provider_id, p_kind, p_from, p_note);
  END IF;
  UPDATE restriction_flag
     SET state = CASE WHEN p_accept THEN 'accepted' ELSE 'dismissed' END,
         decided_at = now(), decided_by = session_user, decision_note = p_note,
         restriction_id = CASE WHEN p_accept THEN p_restriction END
   WHERE id = p_flag;
  RETURN true;
END $$;

-- Restrictions -----------------------------------------------------------

-- Lift a current restriction on a day on or after it started.  Returns
-- false for a retry with the same content.
CREATE FUNCTION api.restriction_lift(p_id uuid, p_restriction uuid, p_on date, p_note text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  r restriction%ROWTYPE;
  old restriction_lift%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_officer', 'lifting a restriction is for QA officers and managers');
  SELECT * INTO old FROM restriction_lift WHERE id = p_id OR restriction_id = p_restriction;
  IF FOUND THEN
    IF old.id = p_id AND old.restriction_id = p_restriction AND old.lifted_on = p_on
       AND old.note IS NOT DISTINCT FROM p_note THEN
      RETURN false;
    END IF;
    RAISE EXCEPTION 'the restriction is already lifted' USING ERRCODE = '55000';
  END IF;
  SELECT * INTO r FROM restriction_current WHERE id = p_restriction;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no current restriction %', p_restriction USING ERRCODE = 'P0002';
  END IF;
  IF p_on IS NULL OR p_on < r.starts_on THEN
    RAISE EXCEPTION 'the lift date is before the restriction started' USING ERRCODE = '22023';
  END IF;
  IF p_on > (now() AT TIME ZONE 'Europe/London')::date + 1 THEN
    RAISE EXCEPTION 'the lift date is in the future' USING ERRCODE = '22023';
  END IF;
  IF NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'invalid lift note' USING ERRCODE = '22023';
  END IF;
  INSERT INTO restriction_lift (id, restriction_id, lifted_on, note)
  VALUES (p_id, p_restriction, p_on, p_note);
  RETURN true;
END $$;

-- Officers, leave and month-end counts -------------------------------------

-- Add or change an officer (name, FTE, post, localities covered, and
-- whether they take cases: NULL keeps what they had, or for a new officer
-- follows the post).
CREATE FUNCTION api.officer_set(p_login text, p_name text, p_fte numeric, p_post text,
                                p_localities text[], p_takes_cases boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM api.require('carewatch_manager', 'managing officers is for the quality manager');
  IF p_login IS NULL OR p_login !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'invalid login name' USING ERRCODE = '22023';
  END IF;
  IF p_name IS NULL OR NOT api.text_ok(p_name, 200) OR p_name ~ '\n' THEN
    RAISE EXCEPTION 'invalid officer name' USING ERRCODE = '22023';
  END IF;
  IF p_fte IS NULL OR p_fte <= 0 OR p_fte > 1 THEN
    RAISE EXCEPTION 'invalid FTE' USING ERRCODE = '22023';
  END IF;
  IF p_post IS NULL OR p_post NOT IN ('qa_officer', 'market_assurance', 'quality_manager') THEN
    RAISE EXCEPTION 'invalid post' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_localities) l(code)
              WHERE NOT EXISTS (SELECT 1 FROM locality WHERE locality.code = l.code)) THEN
    RAISE EXCEPTION 'no such locality' USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO officer (login, name, fte, post, takes_cases)
  VALUES (p_login, p_name, p_fte, p_post, coalesce(p_takes_cases, p_post = 'qa_officer'))
  ON CONFLICT (login) DO UPDATE SET name = EXCLUDED.name, fte = EXCLUDED.fte,
         post = EXCLUDED.post, active = true,
         takes_cases = coalesce(p_takes_cases, officer.takes_cases)
   WHERE (officer.name, officer.fte, officer.post, officer.active, officer.takes_cases)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.fte, EXCLUDED.post, true,
                           coalesce(p_takes_cases, officer.takes_cases));
  DELETE FROM officer_locality o WHERE o.login = p_login
     AND o.locality <> ALL (coalesce(p_localities, '{}'));
  INSERT INTO officer_locality (login, locality)
  SELECT p_login, l FROM unnest(p_localities) l ON CONFLICT DO NOTHING;
END $$;
-- Record an officer's leave.  Returns false for a retry with the same
-- content.
CREATE FUNCTION api.officer_leave_add(p_id uuid, p_login text, p_first date, p_last date)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE old officer_leave%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_manager', 'recording leave is for the quality manager');
  SELECT * INTO old FROM officer_leave WHERE id = p_id;
  IF FOUND THEN
    IF old.login = p_login AND old.first_day = p_first AND old.last_day = p_last THEN
      RETURN false;
    END IF;
    RAISE EXCEPTION 'leave % is already recorded with different content', p_id
      USING ERRCODE = '55000';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM officer WHERE login = p_login) THEN
    RAISE EXCEPTION 'no officer %', quote_literal(p_login) USING ERRCODE = 'P0002';
  END IF;
  IF p_first IS NULL OR p_last IS NULL OR p_last < p_first THEN
    RAISE EXCEPTION 'the last day of leave is before the first' USING ERRCODE = '22023';
  END IF;
  INSERT INTO officer_leave (id, login, first_day, last_day) VALUES (p_id, p_login, p_first, p_last);
  RETURN true;
END $$;

-- Recompute the active cases at the end of one month (London midnight
-- after its last day; the month must have ended).  A month's rows are
-- replaced under a table lock only this function can take (LOCK in this
-- mode needs DELETE), so recomputations queue behind each other.
CREATE FUNCTION api.month_end_record(p_month date) RETURNS void
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
                   GROUP BY p.care_type, p.locality)
  INSERT INTO month_end_cases (month, care_type, locality, active)
  SELECT p_month, t.code, l.code, coalesce(a.n, 0)
    FROM care_type t CROSS JOIN locality l
    LEFT JOIN active a ON a.care_type = t.code AND a.locality = l.code;
END $$;

-- Audit: a manager's decision note is free text, audited by length -------

CREATE OR REPLACE FUNCTION audit_redact(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k,
           CASE WHEN k IN ('summary', 'notes', 'note', 'reason', 'closure_note', 'body',
                           'decision_note')
                     AND jsonb_typeof(v) = 'string'
                THEN to_jsonb(format('<text, %s chars>', length(v #>> '{}')))
                ELSE v END), '{}'::jsonb)
  FROM jsonb_each(j) AS e(k, v)
$$;

-- Ownership and who may call what -----------------------------------------

DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = 'api'::regnamespace
              AND p.proname IN ('require', 'text_ok', 'case_open', 'case_for_work',
                                'case_respond', 'case_close', 'case_assign', 'flag_decide',
                                'restriction_lift', 'officer_set', 'officer_may_take',
                                'officer_leave_add',
                                'month_end_record') LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO carewatch_api', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;

-- Every login may call the step functions: each checks who is calling and
-- refuses with a message that says who may take the step ("flag decisions
-- are for the quality manager"), rather than a bare "permission denied".
GRANT EXECUTE ON FUNCTION api.case_open(uuid, uuid, text, timestamptz, text, uuid, text),
                          api.case_respond(uuid, uuid, timestamptz, text, text, uuid),
                          api.case_close(uuid, text),
                          api.restriction_lift(uuid, uuid, date, text),
                          api.case_assign(uuid[], uuid[], text[], text[], text, boolean, text),
                          api.flag_decide(uuid, boolean, text, text, date, uuid),
                          api.officer_set(text, text, numeric, text, text[], boolean),
                          api.officer_leave_add(uuid, text, date, date),
                          api.month_end_record(date)
  TO carewatch_readonly, carewatch_batch;
-- Whether the caller holds a role: the client asks before a long step, to
-- refuse early with a clear message (the functions check again).
GRANT EXECUTE ON FUNCTION api.is_member(text) TO carewatch_readonly, carewatch_batch;
-- The other helpers are called by the functions above as their owner.

-- What the functions need, as carewatch_api.
GRANT SELECT ON officer, officer_locality, officer_leave, locality, provider, concern,
                visit, restriction, restriction_current, case_file, case_response,
                restriction_lift, restriction_flag, care_type, month_end_cases
  TO carewatch_api;
GRANT INSERT ON case_file, case_assignment, case_response, restriction, restriction_lift,
                officer, officer_locality, officer_leave, month_end_cases TO carewatch_api;
GRANT UPDATE ON case_file, restriction_flag, officer TO carewatch_api;
GRANT DELETE ON officer_locality, month_end_cases TO carewatch_api;
GRANT USAGE ON SEQUENCE case_number_seq TO carewatch_api;

-- People's roles: no UPDATE or DELETE anywhere; no INSERT that a function
-- now makes legal.  (The complete allow-list is schema/grants.tsv, applied
-- by `carewatch db migrate` after the migrations.)
REVOKE UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public
  FROM carewatch_officer, carewatch_manager, carewatch_readonly;
REVOKE INSERT ON case_file, case_assignment, case_response, restriction_lift, provider_score,
                 officer, officer_locality, officer_leave, month_end_cases
  FROM carewatch_officer, carewatch_manager;
REVOKE USAGE ON SEQUENCE case_number_seq, provider_score_id_seq
  FROM carewatch_officer, carewatch_manager;
