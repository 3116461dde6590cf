-- 029_caseload_batch.sql: (issue 14) `caseload --apply` moves exactly the
-- cases it showed, as one numbered batch with a note, and `caseload --undo
-- BATCH` moves them back.
--
-- Until now --apply worked its moves out and made them in one go: the
-- manager saw the set only afterwards, gave no reason, and had no way back
-- short of moving each case by hand.  Now the client shows the moves first
-- (case, provider, from, to), asks, and sends exactly those moves here;
-- api.caseload_apply makes them only if every case is still open and still
-- held by the officer the preview showed, and records them as one
-- caseload_batch (a small number a person can type) with one caseload_move
-- per case.  api.caseload_undo moves a batch's cases back to the officers
-- they came from, if nobody has touched them since, as a new batch that
-- names the one it undoes (a batch is undone at most once).
--
-- Each move is still an ordinary reassignment: api.case_assign (016) makes
-- it, so every case gets its case_assignment row (reason 'rebalance', or
-- 'unassigned' for a case an undo puts back in the queue, with the batch's
-- note), its 'assigned' case_event (018) and its audit rows, and the move's
-- id is its case_assignment's.
--
--   SQLSTATE  raised when                                          carewatch exit
--   42501     the caller is not a quality manager                  4
--   P0002     no such case or batch                                5
--   55000     a case changed since the preview (or since the       7
--             batch, for an undo); the batch is already undone;
--             the request id was used for another batch
--   22023     no note, no moves, a case twice, mismatched arrays   2
--
-- A retried request (the same p_request, as the client sends after a lost
-- connection) writes nothing and returns the batch it made the first time,
-- marked already.  Messages name case and batch numbers and logins, never
-- the note, so the server log holds no free text.

CREATE TABLE caseload_batch (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  uuid NOT NULL UNIQUE,
  undoes      bigint UNIQUE REFERENCES caseload_batch,
  made_by     text NOT NULL DEFAULT session_user,
  made_at     timestamptz NOT NULL DEFAULT now(),
  note        text NOT NULL CHECK (length(note) BETWEEN 1 AND 20000)
);

CREATE TABLE caseload_move (
  id            uuid PRIMARY KEY REFERENCES case_assignment,
  batch_id      bigint NOT NULL REFERENCES caseload_batch,
  case_id       uuid NOT NULL REFERENCES case_file,
  from_officer  text REFERENCES officer ON UPDATE CASCADE,
  to_officer    text REFERENCES officer ON UPDATE CASCADE,
  UNIQUE (batch_id, case_id),
  CHECK (from_officer IS DISTINCT FROM to_officer)
);
CREATE INDEX caseload_move_case ON caseload_move (case_id);

SELECT audit_attach('caseload_batch', false), audit_attach('caseload_move', false);

-- The first of the moves' cases (by number) that is closed or no longer
-- held by the officer it is expected to be held by, with what it is now;
-- no row when every case is as expected.  The rows are locked first (in id
-- order), so nothing changes between this check and the moves.
CREATE FUNCTION api.caseload_changed(p_cases uuid[], p_held text[])
RETURNS TABLE (case_no bigint, closed boolean, held_by text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n int;
BEGIN
  PERFORM 1 FROM case_file c WHERE c.id = ANY (p_cases) ORDER BY c.id FOR UPDATE;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> cardinality(p_cases) THEN
    RAISE EXCEPTION 'no case % to move', (SELECT m.id FROM unnest(p_cases) m(id)
                                          WHERE NOT EXISTS (SELECT 1 FROM case_file c
                                                             WHERE c.id = m.id) LIMIT 1)
      USING ERRCODE = 'P0002';
  END IF;
  RETURN QUERY
    SELECT c.number, c.state = 'closed', c.assigned_to
      FROM unnest(p_cases, p_held) m(id, held) JOIN case_file c ON c.id = m.id
     WHERE c.state = 'closed' OR c.assigned_to IS DISTINCT FROM m.held
     ORDER BY c.number LIMIT 1;
END $$;

-- Make the moves a manager was shown: case p_cases[i] from p_from[i] (NULL:
-- the unassigned queue) to p_to[i], all or none, as one new batch.  Returns
-- the batch's number, the cases moved, and already: true for a retry of
-- p_request (nothing written).
CREATE FUNCTION api.caseload_apply(p_request uuid, p_cases uuid[], p_from text[], p_to text[],
                                   p_note text)
RETURNS TABLE (batch_no bigint, moved int, already boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  b caseload_batch%ROWTYPE;
  bad record;
  ids uuid[];
BEGIN
  PERFORM api.require('carewatch_manager', 'moving cases is for the quality manager');
  IF p_request IS NULL THEN
    RAISE EXCEPTION 'a request id is required' USING ERRCODE = '22023';
  END IF;
  IF p_note IS NULL OR NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'a note saying why the cases are moved is required' USING ERRCODE = '22023';
  END IF;
  IF coalesce(cardinality(p_cases), 0) = 0 THEN
    RAISE EXCEPTION 'no moves to make' USING ERRCODE = '22023';
  END IF;
  IF cardinality(p_cases) IS DISTINCT FROM cardinality(p_from)
     OR cardinality(p_cases) IS DISTINCT FROM cardinality(p_to) THEN
    RAISE EXCEPTION 'the moves'' arrays differ in length' USING ERRCODE = '22023';
  END IF;
  -- New-case assignment waits meanwhile, and so does another batch (a
  -- retry of this one included: it finds this one's row below).
  PERFORM api.lock_take('assign');
  SELECT * INTO b FROM caseload_batch WHERE request_id = p_request;
  IF FOUND THEN
    IF b.undoes IS NULL AND b.made_by = session_user AND b.note = p_note AND NOT EXISTS (
         (SELECT case_id, from_officer, to_officer FROM caseload_move WHERE batch_id = b.id
          EXCEPT SELECT * FROM unnest(p_cases, p_from, p_to))
         UNION ALL
         (SELECT * FROM unnest(p_cases, p_from, p_to)
          EXCEPT SELECT case_id, from_officer, to_officer FROM caseload_move WHERE batch_id = b.id))
    THEN
      RETURN QUERY SELECT b.id, (SELECT count(*)::int FROM caseload_move WHERE batch_id = b.id), true;
      RETURN;
    END IF;
    RAISE EXCEPTION 'caseload request % is already recorded with different moves', p_request
      USING ERRCODE = '55000';
  END IF;
  IF (SELECT count(DISTINCT m.id) FROM unnest(p_cases) m(id)) <> cardinality(p_cases) THEN
    RAISE EXCEPTION 'a case appears twice in the moves' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_from, p_to) m(f, t) WHERE f IS NOT DISTINCT FROM t) THEN
    RAISE EXCEPTION 'a move goes to the officer who holds the case' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO bad FROM api.caseload_changed(p_cases, p_from);
  IF FOUND THEN
    IF bad.closed THEN
      RAISE EXCEPTION 'case % was closed after the moves were shown; nothing was moved', bad.case_no
        USING ERRCODE = '55000', HINT = 'run the command again to see the moves as they are now';
    END IF;
    RAISE EXCEPTION 'case % is now held by %, not by % as shown; nothing was moved', bad.case_no,
      coalesce(quote_literal(bad.held_by), 'nobody'),
      coalesce(quote_literal((SELECT m.f FROM unnest(p_cases, p_from) m(id, f)
                               JOIN case_file c ON c.id = m.id WHERE c.number = bad.case_no)),
               'nobody')
      USING ERRCODE = '55000', HINT = 'run the command again to see the moves as they are now';
  END IF;
  INSERT INTO caseload_batch (request_id, note) VALUES (p_request, p_note) RETURNING * INTO b;
  SELECT array_agg(gen_random_uuid()) INTO ids FROM unnest(p_cases);
  -- case_assign checks each officer may take the case (active, takes
  -- cases, covers the locality) and writes the assignment rows.
  PERFORM api.case_assign(ids, p_cases, p_from, p_to, 'rebalance', false, p_note);
  INSERT INTO caseload_move (id, batch_id, case_id, from_officer, to_officer)
  SELECT a, b.id, c, f, t FROM unnest(ids, p_cases, p_from, p_to) m(a, c, f, t);
  RETURN QUERY SELECT b.id, cardinality(p_cases), false;
END $$;

-- Move the cases of batch p_batch back where they came from, as a new
-- batch that names it, if every case is still open and held by the officer
-- the batch gave it to.  The rows say what moves (or, for p_dry_run, would
-- move: every check is made, nothing written), by case number: batch_no
-- is the new batch (NULL for a dry run), move_from the case's officer now,
-- move_to the one it goes back to (NULL: the unassigned queue), already
-- true for a retry of p_request (nothing written).
CREATE FUNCTION api.caseload_undo(p_request uuid, p_batch bigint, p_note text,
                                  p_dry_run boolean DEFAULT false)
RETURNS TABLE (batch_no bigint, case_no bigint, provider_name text, move_from text, move_to text,
               already boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  b caseload_batch%ROWTYPE;
  u caseload_batch%ROWTYPE;
  bad record;
  cases uuid[];
  back_from text[];
  back_to text[];
  ids uuid[];
BEGIN
  PERFORM api.require('carewatch_manager', 'undoing moved cases is for the quality manager');
  IF p_request IS NULL OR p_batch IS NULL THEN
    RAISE EXCEPTION 'a request id and a batch are required' USING ERRCODE = '22023';
  END IF;
  IF p_note IS NULL OR NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'a note saying why the moves are undone is required' USING ERRCODE = '22023';
  END IF;
  PERFORM api.lock_take('assign');
  SELECT * INTO u FROM caseload_batch WHERE request_id = p_request;
  IF FOUND THEN
    IF u.undoes IS NOT DISTINCT FROM p_batch AND u.made_by = session_user AND u.note = p_note THEN
      RETURN QUERY
        SELECT u.id, c.number, p.name, m.from_officer, m.to_officer, true
          FROM caseload_move m JOIN case_file c ON c.id = m.case_id
          JOIN provider p ON p.id = c.provider_id
         WHERE m.batch_id = u.id ORDER BY c.number;
      RETURN;
    END IF;
    RAISE EXCEPTION 'caseload request % is already recorded with different content', p_request
      USING ERRCODE = '55000';
  END IF;
  SELECT * INTO b FROM caseload_batch WHERE id = p_batch;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no caseload batch %', p_batch USING ERRCODE = 'P0002';
  END IF;
  SELECT * INTO u FROM caseload_batch WHERE undoes = p_batch;
  IF FOUND THEN
    RAISE EXCEPTION 'batch % was already undone by batch %', p_batch, u.id USING ERRCODE = '55000';
  END IF;
  SELECT array_agg(m.case_id ORDER BY c.number), array_agg(m.to_officer ORDER BY c.number),
         array_agg(m.from_officer ORDER BY c.number)
    INTO cases, back_from, back_to
    FROM caseload_move m JOIN case_file c ON c.id = m.case_id WHERE m.batch_id = p_batch;
  SELECT * INTO bad FROM api.caseload_changed(cases, back_from);
  IF FOUND THEN
    IF bad.closed THEN
      RAISE EXCEPTION 'case % was closed after batch %; nothing was moved back', bad.case_no, p_batch
        USING ERRCODE = '55000';
    END IF;
    RAISE EXCEPTION 'case % was moved after batch % (it is now held by %); nothing was moved back',
      bad.case_no, p_batch, coalesce(quote_literal(bad.held_by), 'nobody') USING ERRCODE = '55000';
  END IF;
  -- An officer who has left cannot take the cases back; one who no longer
  -- covers the locality or takes cases may (it restores what held before).
  SELECT c.number, m.o INTO bad
    FROM unnest(cases, back_to) m(id, o) JOIN case_file c ON c.id = m.id
   WHERE m.o IS NOT NULL AND NOT EXISTS (SELECT 1 FROM officer f WHERE f.login = m.o AND f.active)
   ORDER BY c.number LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'case % cannot go back to %: no longer an active officer; nothing was moved back',
      bad.number, quote_literal(bad.o) USING ERRCODE = '55000';
  END IF;
  IF p_dry_run THEN
    RETURN QUERY
      SELECT NULL::bigint, c.number, p.name, m.f, m.t, false
        FROM unnest(cases, back_from, back_to) m(id, f, t) JOIN case_file c ON c.id = m.id
        JOIN provider p ON p.id = c.provider_id ORDER BY c.number;
    RETURN;
  END IF;
  INSERT INTO caseload_batch (request_id, undoes, note) VALUES (p_request, p_batch, p_note)
  RETURNING * INTO u;
  SELECT array_agg(gen_random_uuid()) INTO ids FROM unnest(cases);
  -- Back to officers, then back to the queue: one reason per call.  Forced
  -- (with the note as the reason): see above.
  PERFORM api.case_assign(array_agg(a), array_agg(c), array_agg(f), array_agg(t), 'rebalance', true,
                          p_note)
     FROM unnest(ids, cases, back_from, back_to) m(a, c, f, t) WHERE t IS NOT NULL HAVING count(*) > 0;
  PERFORM api.case_assign(array_agg(a), array_agg(c), array_agg(f), array_agg(t), 'unassigned', true,
                          p_note)
     FROM unnest(ids, cases, back_from, back_to) m(a, c, f, t) WHERE t IS NULL HAVING count(*) > 0;
  INSERT INTO caseload_move (id, batch_id, case_id, from_officer, to_officer)
  SELECT a, u.id, c, f, t FROM unnest(ids, cases, back_from, back_to) m(a, c, f, t);
  RETURN QUERY
    SELECT u.id, c.number, p.name, m.f, m.t, false
      FROM unnest(cases, back_from, back_to) m(id, f, t) JOIN case_file c ON c.id = m.id
      JOIN provider p ON p.id = c.provider_id ORDER BY c.number;
END $$;

DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = 'api'::regnamespace
              AND p.proname IN ('caseload_changed', 'caseload_apply', 'caseload_undo') LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO carewatch_api', f);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;
-- Every login may call them (readonly is every person's role, and the
-- batch's); each refuses all but the quality manager with a message that
-- says so.  caseload_changed is a helper, called as its owner.
GRANT EXECUTE ON FUNCTION api.caseload_apply(uuid, uuid[], text[], text[], text),
                          api.caseload_undo(uuid, bigint, text, boolean)
  TO carewatch_readonly;

-- What the functions need, as carewatch_api (they already read and update
-- case_file and read officer and provider: 016).
GRANT SELECT, INSERT ON caseload_batch, caseload_move TO carewatch_api;
-- The batches for officers and managers; readonly reads them without the note.
GRANT SELECT ON caseload_batch, caseload_move TO carewatch_officer;
GRANT SELECT (id, request_id, undoes, made_by, made_at) ON caseload_batch TO carewatch_readonly;
GRANT SELECT (id, batch_id, case_id, from_officer, to_officer) ON caseload_move TO carewatch_readonly;
