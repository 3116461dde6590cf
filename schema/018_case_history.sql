-- 018_case_history.sql: a case's whole history, strictly ordered, and
-- reopening a closed case.
--
-- `case show` read its history from two tables (assignments, responses),
-- ordered by minute, with no "opened" or "closed" event: two events in the
-- same minute came out in either order and a reopened case would have
-- lost its closure.  Every step is now one row of case_event, written by
-- triggers on the tables the api functions change (so every path, bulk
-- loads included, leaves the same history) and by api.case_reopen:
--
--   kind        written when                                  detail
--   opened      a case_file row is inserted                   the risk level
--   assigned    a case_assignment row is inserted             officer, reason
--   responded   a case_response row is inserted               response kind
--   closed      case_file.state becomes closed                (note: the closure note)
--   reopened    api.case_reopen                               (note: the reason)
--
-- Events are ordered by (at, id): at is when it happened (a response can be
-- recorded after the fact), id the order it was recorded in.
--
-- The case's state machine (schema/016_trust_boundary.sql):
--
--   open --respond--> responded --close--> closed --reopen--> responded
--   open --close----> closed    --reopen--> open   (never responded)

CREATE TABLE case_event (
  id           bigserial PRIMARY KEY,
  case_id      uuid NOT NULL REFERENCES case_file ON DELETE CASCADE,
  at           timestamptz NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('opened', 'assigned', 'responded', 'closed',
                                             'reopened')),
  officer      text,
  detail       text NOT NULL DEFAULT '' CHECK (length(detail) <= 200),
  note         text CHECK (length(note) <= 20000),
  recorded_by  text NOT NULL DEFAULT session_user,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_event_case ON case_event (case_id, at, id);

-- The cases and steps already recorded, in the order they happened.
INSERT INTO case_event (case_id, at, kind, detail, recorded_by, recorded_at)
SELECT id, opened_at, 'opened', risk, recorded_by, recorded_at FROM case_file;
INSERT INTO case_event (case_id, at, kind, officer, detail, note, recorded_by, recorded_at)
SELECT case_id, recorded_at, 'assigned', officer, reason, note, recorded_by, recorded_at
  FROM case_assignment;
INSERT INTO case_event (case_id, at, kind, detail, note, recorded_by, recorded_at)
SELECT case_id, responded_at, 'responded', kind, note, recorded_by, recorded_at
  FROM case_response;
INSERT INTO case_event (case_id, at, kind, note, recorded_by, recorded_at)
SELECT id, closed_at, 'closed', closure_note, recorded_by, closed_at FROM case_file
 WHERE closed_at IS NOT NULL;

-- Set-based, so a bulk load of cases or a rebalance of a hundred writes its
-- events in one statement.
CREATE FUNCTION case_event_record() RETURNS trigger
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
     WHERE n.state = 'closed' AND o.state <> 'closed' ORDER BY n.closed_at, n.number;
  ELSIF TG_TABLE_NAME = 'case_assignment' THEN
    INSERT INTO case_event (case_id, at, kind, officer, detail, note)
    SELECT case_id, now(), 'assigned', officer, reason, note FROM new_rows ORDER BY case_id;
  ELSE
    INSERT INTO case_event (case_id, at, kind, detail, note)
    SELECT case_id, responded_at, 'responded', kind, note FROM new_rows ORDER BY responded_at;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER case_event_open AFTER INSERT ON case_file
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_event_record();
CREATE TRIGGER case_event_close AFTER UPDATE ON case_file
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION case_event_record();
CREATE TRIGGER case_event_assign AFTER INSERT ON case_assignment
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_event_record();
CREATE TRIGGER case_event_respond AFTER INSERT ON case_response
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_event_record();

-- Reopen a closed case, with a reason: it goes back to responded if it
-- ever had a response, else to open (and its response target with it).
-- Only the case's officer or the quality manager.  Returns the number.
CREATE FUNCTION api.case_reopen(p_case uuid, p_reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE k case_file%ROWTYPE;
BEGIN
  k := api.case_for_work(p_case, 'reopening a case');
  IF k.state <> 'closed' THEN
    RAISE EXCEPTION 'case % is not closed', k.number USING ERRCODE = '55000';
  END IF;
  IF p_reason IS NULL OR NOT api.text_ok(p_reason, 20000) THEN
    RAISE EXCEPTION 'a reason is required to reopen a case' USING ERRCODE = '22023';
  END IF;
  UPDATE case_file
     SET state = CASE WHEN responded_at IS NOT NULL THEN 'responded' ELSE 'open' END,
         closed_at = NULL, closure_note = NULL
   WHERE id = p_case;
  INSERT INTO case_event (case_id, at, kind, note) VALUES (p_case, now(), 'reopened', p_reason);
  RETURN k.number;
END $$;
ALTER FUNCTION api.case_reopen(uuid, text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION api.case_reopen(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.case_reopen(uuid, text) TO carewatch_readonly, carewatch_batch;

GRANT SELECT ON case_event TO carewatch_officer;
GRANT SELECT (id, case_id, at, kind, officer, detail, recorded_by, recorded_at)
  ON case_event TO carewatch_readonly;
GRANT INSERT ON case_event TO carewatch_api;
GRANT USAGE ON SEQUENCE case_event_id_seq TO carewatch_api;

-- Event times that have not happened yet are refused (a concern "received"
-- on Christmas Day, typed on 6 December, would open a case not due for
-- weeks).  Five minutes allow for clocks that differ; a date may be today
-- in London.  A row that holds today holds for ever, so these checks stay
-- true of every stored row; NOT VALID: rows typed before this migration
-- are left as they are.
ALTER TABLE concern ADD CONSTRAINT concern_received_not_future
  CHECK (received_at <= now() + interval '5 minutes') NOT VALID;
ALTER TABLE visit ADD CONSTRAINT visit_visited_not_future
  CHECK (visited_at <= now() + interval '5 minutes') NOT VALID;
ALTER TABLE safeguarding ADD CONSTRAINT safeguarding_referred_not_future
  CHECK (referred_on <= (now() AT TIME ZONE 'Europe/London')::date) NOT VALID;
ALTER TABLE cqc_rating ADD CONSTRAINT cqc_rating_published_not_future
  CHECK (published_on <= (now() AT TIME ZONE 'Europe/London')::date + 1) NOT VALID;
ALTER TABLE ipc_inspection ADD CONSTRAINT ipc_inspection_inspected_not_future
  CHECK (inspected_on <= (now() AT TIME ZONE 'Europe/London')::date) NOT VALID;
ALTER TABLE survey ADD CONSTRAINT survey_surveyed_not_future
  CHECK (surveyed_on <= (now() AT TIME ZONE 'Europe/London')::date) NOT VALID;
ALTER TABLE provider_loss ADD CONSTRAINT provider_loss_occurred_not_future
  CHECK (occurred_on <= (now() AT TIME ZONE 'Europe/London')::date) NOT VALID;
