-- 023_provider_edit.sql: (issue 14) editing a provider's own facts, with
-- their history.
--
-- Until now no person could change a provider's care type, locality, beds,
-- status or name: people have no UPDATE (016), and day care providers, absent
-- from CQC's files, were never corrected by an import either.  Only the
-- database owner could, with SQL, leaving no trace of who changed what or
-- why.  api.provider_edit is the one way in: an officer or manager changes
-- the fields given, each changed field is one provider_change row (old
-- value, new value, who, when, the note saying why), and the UPDATE's
-- statement trigger (013) puts the provider on score_queue, so the scorer
-- rescores it with its new care type or locality.
--
--   SQLSTATE  raised when                                   carewatch exit
--   42501     the caller is not an officer or manager       4
--   P0002     no such provider                              5
--   22023     a value is invalid, or nothing would change   2
--   55000     the request id was used for another edit      7
--
-- A retried request (the same p_request, as a client sends after a lost
-- connection) changes nothing and returns the changes it made the first
-- time, marked already.  Messages name fields, never values or notes, so
-- the server log holds no free text.

CREATE TABLE provider_change (
  id           uuid PRIMARY KEY,
  provider_id  uuid NOT NULL REFERENCES provider,
  request_id   uuid NOT NULL,
  changed_at   timestamptz NOT NULL DEFAULT now(),
  changed_by   text NOT NULL DEFAULT session_user,
  field        text NOT NULL CHECK (field IN ('name', 'care_type', 'locality', 'beds', 'status',
                                              'closed_on')),
  old_value    text,
  new_value    text,
  note         text NOT NULL CHECK (length(note) BETWEEN 1 AND 20000),
  UNIQUE (request_id, field),
  CHECK (old_value IS DISTINCT FROM new_value)
);
-- A provider's history, newest first (provider show's timeline).
CREATE INDEX provider_change_provider ON provider_change (provider_id, changed_at DESC);

-- The fields in the order they are reported.
CREATE FUNCTION api.provider_field_order(f text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_position(ARRAY['name', 'care_type', 'locality', 'beds', 'status', 'closed_on'], f)
$$;

-- Change the given (non-NULL) fields of provider p_id.  status 'closed'
-- needs a closing day (closed_on, or the one already recorded); 'active'
-- clears it.  Returns one row per field changed (field_name, value_was,
-- value_now; values as text, NULL when none), already true on a retry.
CREATE FUNCTION api.provider_edit(p_id uuid, p_request uuid, care_type text, locality text,
                                  beds int, status text, closed_on date, name text, note text)
RETURNS TABLE (field_name text, value_was text, value_now text, already boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  p provider%ROWTYPE;
  want_status text;
  want_closed date;
  n bigint;
  today date := (now() AT TIME ZONE 'Europe/London')::date;
BEGIN
  PERFORM api.require('carewatch_officer', 'editing providers is for QA officers and managers');
  IF p_id IS NULL OR p_request IS NULL THEN
    RAISE EXCEPTION 'a provider and a request id are required' USING ERRCODE = '22023';
  END IF;
  IF provider_edit.note IS NULL OR NOT api.text_ok(provider_edit.note, 20000) THEN
    RAISE EXCEPTION 'a note saying why the provider is edited is required' USING ERRCODE = '22023';
  END IF;
  -- The row lock orders concurrent edits of one provider, retries of one
  -- request included: the second sees the first's rows below.
  SELECT * INTO p FROM provider pr WHERE pr.id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no provider %', p_id USING ERRCODE = 'P0002';
  END IF;

  IF EXISTS (SELECT 1 FROM provider_change c WHERE c.request_id = p_request) THEN
    IF EXISTS (SELECT 1 FROM provider_change c WHERE c.request_id = p_request
                 AND (c.provider_id <> p_id OR c.note <> provider_edit.note
                      OR c.new_value IS DISTINCT FROM CASE c.field
                           WHEN 'name' THEN provider_edit.name
                           WHEN 'care_type' THEN provider_edit.care_type
                           WHEN 'locality' THEN provider_edit.locality
                           WHEN 'beds' THEN provider_edit.beds::text
                           WHEN 'status' THEN provider_edit.status
                           WHEN 'closed_on' THEN provider_edit.closed_on::text END)) THEN
      RAISE EXCEPTION 'edit % is already recorded with different content', p_request
        USING ERRCODE = '55000';
    END IF;
    RETURN QUERY SELECT c.field, c.old_value, c.new_value, true FROM provider_change c
                  WHERE c.request_id = p_request ORDER BY api.provider_field_order(c.field);
    RETURN;
  END IF;

  IF provider_edit.name IS NOT NULL
     AND (NOT api.text_ok(provider_edit.name, 300) OR provider_edit.name ~ '\n') THEN
    RAISE EXCEPTION 'invalid provider name (one line, 1 to 300 characters)' USING ERRCODE = '22023';
  END IF;
  IF provider_edit.care_type IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM care_type t WHERE t.code = provider_edit.care_type) THEN
    RAISE EXCEPTION 'invalid care type' USING ERRCODE = '22023';
  END IF;
  IF provider_edit.locality IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM locality l WHERE l.code = provider_edit.locality) THEN
    RAISE EXCEPTION 'invalid locality' USING ERRCODE = '22023';
  END IF;
  IF provider_edit.beds IS NOT NULL AND provider_edit.beds NOT BETWEEN 0 AND 10000 THEN
    RAISE EXCEPTION 'invalid number of beds (expected 0 to 10000)' USING ERRCODE = '22023';
  END IF;
  IF provider_edit.status IS NOT NULL AND provider_edit.status NOT IN ('active', 'closed') THEN
    RAISE EXCEPTION 'invalid status (expected active or closed)' USING ERRCODE = '22023';
  END IF;
  want_status := coalesce(provider_edit.status, p.status);
  IF want_status = 'closed' THEN
    want_closed := coalesce(provider_edit.closed_on, p.closed_on);
    IF want_closed IS NULL THEN
      RAISE EXCEPTION 'closing a provider needs the day it closed' USING ERRCODE = '22023';
    END IF;
    IF want_closed > today THEN
      RAISE EXCEPTION 'the closing day is in the future' USING ERRCODE = '22023';
    END IF;
    IF want_closed < p.registered_on THEN
      RAISE EXCEPTION 'the closing day is before the provider was registered'
        USING ERRCODE = '22023';
    END IF;
  ELSIF provider_edit.closed_on IS NOT NULL THEN
    RAISE EXCEPTION 'only a closed provider has a closing day' USING ERRCODE = '22023';
  END IF;

  INSERT INTO provider_change (id, provider_id, request_id, field, old_value, new_value, note)
  SELECT gen_random_uuid(), p_id, p_request, v.f, v.was, v.now_is, provider_edit.note
    FROM (VALUES ('name', p.name, coalesce(provider_edit.name, p.name)),
                 ('care_type', p.care_type, coalesce(provider_edit.care_type, p.care_type)),
                 ('locality', p.locality, coalesce(provider_edit.locality, p.locality)),
                 ('beds', p.beds::text, coalesce(provider_edit.beds, p.beds)::text),
                 ('status', p.status, want_status),
                 ('closed_on', p.closed_on::text, want_closed::text)) v(f, was, now_is)
   WHERE v.was IS DISTINCT FROM v.now_is;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN
    RAISE EXCEPTION 'nothing to change: the provider already has those values'
      USING ERRCODE = '22023';
  END IF;
  -- One statement: score_enqueue_provider_update (013) queues the rescore
  -- and notifies the scorer.
  UPDATE provider pr
     SET name = coalesce(provider_edit.name, pr.name),
         care_type = coalesce(provider_edit.care_type, pr.care_type),
         locality = coalesce(provider_edit.locality, pr.locality),
         beds = coalesce(provider_edit.beds, pr.beds),
         status = want_status, closed_on = want_closed
   WHERE pr.id = p_id;
  RETURN QUERY SELECT c.field, c.old_value, c.new_value, false FROM provider_change c
                WHERE c.request_id = p_request ORDER BY api.provider_field_order(c.field);
END $$;

ALTER FUNCTION api.provider_field_order(text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.provider_field_order(text) FROM PUBLIC;
ALTER FUNCTION api.provider_edit(uuid, uuid, text, text, int, text, date, text, text)
  OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.provider_edit(uuid, uuid, text, text, int, text, date, text, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.provider_edit(uuid, uuid, text, text, int, text, date, text, text)
  TO carewatch_officer, carewatch_manager;

-- What the function needs, as carewatch_api (it already reads provider,
-- care_type and locality and updates provider's columns: 016, 015, 020).
GRANT SELECT, INSERT ON provider_change TO carewatch_api;
-- The history for officers and managers; readonly reads it without the note.
GRANT SELECT ON provider_change TO carewatch_officer, carewatch_manager;
GRANT SELECT (id, provider_id, request_id, changed_at, changed_by, field, old_value, new_value)
  ON provider_change TO carewatch_readonly;
