-- 022_closure_days.sql: council closure days are added and removed through
-- two api functions, `carewatch calendar closure add | remove` (#14).
--
-- closure_day (001) is read by the working-day calendar that sets a new
-- case's due time (src/worklist.c loads it, src/calendar.c counts it).
-- Until now the manager changed it with plain INSERT and DELETE, so a
-- closure could be put on a Saturday (changing nothing), on a day already
-- gone (cases opened then keep due times counted without it, and the
-- response report would disagree with them) or removed without a trace of
-- why.  From here on the manager has no INSERT or DELETE on the table
-- (schema/grants.tsv); the functions below are the only way in, and they:
--
--   refuse                                         SQLSTATE  carewatch exit
--   a caller who is not a manager                  42501     4
--   a Saturday or Sunday                           22023     2
--   a day before today (London)                    22023     2
--   a missing or malformed reason or note          22023     2
--   adding a day already closed for another reason 55000     7
--   removing a day that is not a closure day       P0002     5
--
-- Adding a day already closed for the same reason is a retry: it returns
-- false and writes nothing.  Bank holidays are computed in C (calendar.c),
-- so the client refuses them before calling; here they would be harmless.
--
-- Every change is audited with who (closure_day is audit_attach'ed, and the
-- audit's role is session_user, the person, inside a definer function too);
-- a removal also keeps its day, the reason it had and the note saying why it
-- was removed in closure_day_removal, stamped with who and when.  Messages
-- name days, never the reason or note, so the server log holds no free text.

CREATE TABLE closure_day_removal (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  day          date NOT NULL,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  note         text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX closure_day_removal_day ON closure_day_removal (day);
SELECT audit_attach('closure_day_removal', true);

-- The checks both functions make on a day.
CREATE FUNCTION api.closure_day_check(p_day date, step text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_day IS NULL THEN
    RAISE EXCEPTION '% needs a day', step USING ERRCODE = '22023';
  END IF;
  IF extract(isodow FROM p_day) IN (6, 7) THEN
    RAISE EXCEPTION '% is a %, never a working day: closure days are Monday to Friday',
                    to_char(p_day, 'YYYY-MM-DD'), trim(to_char(p_day, 'Day'))
      USING ERRCODE = '22023';
  END IF;
  IF p_day < (now() AT TIME ZONE 'Europe/London')::date THEN
    RAISE EXCEPTION '% is in the past: closure days are changed from today on',
                    to_char(p_day, 'YYYY-MM-DD')
      USING ERRCODE = '22023',
            HINT = 'cases opened then keep the due times counted from the calendar of the time';
  END IF;
END $$;

-- Add a closure day.  Returns true when written, false for a retry (the day
-- is already closed for the same reason).
CREATE FUNCTION api.closure_add(p_day date, p_reason text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE old text;
BEGIN
  PERFORM api.require('carewatch_manager', 'adding closure days is for the quality manager');
  IF p_reason IS NULL OR NOT api.text_ok(p_reason, 200) OR p_reason ~ '\n' THEN
    RAISE EXCEPTION 'invalid closure reason (one line of 1 to 200 characters)' USING ERRCODE = '22023';
  END IF;
  -- A retry is answered before the day's checks: it has been written
  -- already, whatever day it is now.
  SELECT reason INTO old FROM closure_day WHERE day = p_day;
  IF NOT FOUND THEN
    PERFORM api.closure_day_check(p_day, 'adding a closure day');
    INSERT INTO closure_day (day, reason) VALUES (p_day, p_reason) ON CONFLICT (day) DO NOTHING;
    IF FOUND THEN
      RETURN true;
    END IF;
    -- Another manager added it in the meantime.
    SELECT reason INTO old FROM closure_day WHERE day = p_day;
  END IF;
  IF old = p_reason THEN
    RETURN false;
  END IF;
  RAISE EXCEPTION '% is already a closure day, for another reason', to_char(p_day, 'YYYY-MM-DD')
    USING ERRCODE = '55000', HINT = 'remove it first to give it another reason';
END $$;

-- Remove a closure day, saying why.  Returns the reason it had.
CREATE FUNCTION api.closure_remove(p_day date, p_note text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE old text;
BEGIN
  PERFORM api.require('carewatch_manager', 'removing closure days is for the quality manager');
  IF p_note IS NULL OR NOT api.text_ok(p_note, 2000) THEN
    RAISE EXCEPTION 'a note saying why the closure day is removed is required (1 to 2000 characters)'
      USING ERRCODE = '22023';
  END IF;
  -- Not there is answered first (a retried removal is told so), then the
  -- day's checks.  No FOR UPDATE (that needs UPDATE): the DELETE decides.
  IF NOT EXISTS (SELECT 1 FROM closure_day WHERE day = p_day) THEN
    RAISE EXCEPTION '% is not a closure day', coalesce(to_char(p_day, 'YYYY-MM-DD'), 'NULL')
      USING ERRCODE = 'P0002';
  END IF;
  PERFORM api.closure_day_check(p_day, 'removing a closure day');
  DELETE FROM closure_day WHERE day = p_day RETURNING reason INTO old;
  IF NOT FOUND THEN
    -- Another manager removed it in the meantime.
    RAISE EXCEPTION '% is not a closure day', to_char(p_day, 'YYYY-MM-DD') USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO closure_day_removal (day, reason, note) VALUES (p_day, old, p_note);
  RETURN old;
END $$;

ALTER FUNCTION api.closure_day_check(date, text) OWNER TO carewatch_api;
ALTER FUNCTION api.closure_add(date, text) OWNER TO carewatch_api;
ALTER FUNCTION api.closure_remove(date, text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.closure_day_check(date, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.closure_add(date, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.closure_remove(date, text) FROM PUBLIC;

-- Every login may call them, to be told who may (016's pattern); the
-- complete allow-list is schema/grants.tsv.
GRANT EXECUTE ON FUNCTION api.closure_add(date, text), api.closure_remove(date, text)
  TO carewatch_readonly;
GRANT SELECT, INSERT, DELETE ON closure_day TO carewatch_api;
GRANT SELECT, INSERT ON closure_day_removal TO carewatch_api;
REVOKE INSERT, DELETE ON closure_day FROM carewatch_manager;
GRANT SELECT (id, day, reason, note, recorded_by, recorded_at) ON closure_day_removal
  TO carewatch_readonly;
