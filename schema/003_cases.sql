-- 003_cases.sql: the QA team's unit of work.
--
-- A case is usually opened from a concern (one case per concern), sometimes by
-- hand.  Its state moves open -> responded -> closed (or open -> closed):
--
--   state      set when                          columns set
--   open       the case is opened                opened_at, due_at (from the rules)
--   responded  the first response is recorded    responded_at
--   closed     an officer closes it              closed_at, closure_note
--
-- Responses and assignments are append-only histories; the case row carries
-- the current state so worklists are one index scan.

CREATE SEQUENCE case_number_seq;

CREATE TABLE case_file (
  id            uuid PRIMARY KEY,
  number        bigint NOT NULL UNIQUE DEFAULT nextval('case_number_seq'),
  provider_id   uuid NOT NULL REFERENCES provider,
  concern_id    uuid UNIQUE REFERENCES concern,
  risk          text NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'very_high')),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  opened_at     timestamptz NOT NULL,
  due_at        timestamptz,
  state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'responded', 'closed')),
  responded_at  timestamptz,
  closed_at     timestamptz,
  closure_note  text CHECK (length(closure_note) <= 20000),
  assigned_to   text REFERENCES officer ON UPDATE CASCADE,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CHECK (responded_at IS NULL OR responded_at >= opened_at - interval '1 day'),
  CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
  CHECK (state <> 'responded' OR responded_at IS NOT NULL)
);
ALTER SEQUENCE case_number_seq OWNED BY case_file.number;
-- Worklists: an officer's open cases by due time; the unassigned queue.
CREATE INDEX case_file_worklist ON case_file (assigned_to, due_at) WHERE state <> 'closed';
CREATE INDEX case_file_unassigned ON case_file (due_at) WHERE state <> 'closed' AND assigned_to IS NULL;
CREATE INDEX case_file_provider_open ON case_file (provider_id) WHERE state <> 'closed';
CREATE INDEX case_file_due ON case_file (due_at);

CREATE TABLE case_assignment (
  id           uuid PRIMARY KEY,
  case_id      uuid NOT NULL REFERENCES case_file,
  officer      text REFERENCES officer ON UPDATE CASCADE,
  reason       text NOT NULL CHECK (reason IN ('continuity', 'lowest_load', 'manual',
                 'rebalance', 'unassigned')),
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX case_assignment_case ON case_assignment (case_id, recorded_at);

CREATE TABLE case_response (
  id            uuid PRIMARY KEY,
  case_id       uuid NOT NULL REFERENCES case_file,
  responded_at  timestamptz NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('visit', 'phone', 'email', 'letter', 'meeting')),
  visit_id      uuid REFERENCES visit,
  note          text CHECK (length(note) <= 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX case_response_case ON case_response (case_id, responded_at);

SELECT audit_attach('case_file', true), audit_attach('case_assignment', true),
       audit_attach('case_response', true);

GRANT SELECT (id, number, provider_id, concern_id, risk, title, opened_at, due_at, state,
              responded_at, closed_at, assigned_to, recorded_by, recorded_at)
  ON case_file TO carewatch_readonly;
GRANT SELECT (id, case_id, officer, reason, recorded_by, recorded_at)
  ON case_assignment TO carewatch_readonly;
GRANT SELECT (id, case_id, responded_at, kind, visit_id, recorded_by, recorded_at)
  ON case_response TO carewatch_readonly;
GRANT SELECT ON case_file, case_assignment, case_response TO carewatch_officer;
GRANT INSERT ON case_file, case_assignment, case_response TO carewatch_officer;
GRANT UPDATE (state, responded_at, closed_at, closure_note) ON case_file TO carewatch_officer;
GRANT UPDATE (assigned_to) ON case_file TO carewatch_manager;
GRANT USAGE ON SEQUENCE case_number_seq TO carewatch_officer;
