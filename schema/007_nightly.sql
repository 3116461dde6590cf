-- 007_nightly.sql: the nightly batch's run log, placement-restriction flags
-- and overdue marks.
--
-- A run writes everything in one transaction (scores, flags, overdue marks,
-- its own log row's outcome), so a run killed at any point leaves the last
-- published results as they were; a run row left 'running' by a killed run
-- is marked 'abandoned' by the next one.
--
--   flag state  set by                        meaning
--   open        the nightly batch             proposed; waits for the manager
--   accepted    `flag accept` (manager)       a restriction was created
--   dismissed   `flag dismiss` (manager)      reviewed, no restriction
--   lapsed      the nightly batch             no longer holds before review

CREATE TABLE nightly_run (
  id              uuid PRIMARY KEY,
  as_of           timestamptz NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at     timestamptz,
  ruleset_name    text NOT NULL,
  ruleset_hash    text NOT NULL,
  providers       int NOT NULL DEFAULT 0,
  records         bigint NOT NULL DEFAULT 0,
  scores_written  int NOT NULL DEFAULT 0,
  flags_raised    int NOT NULL DEFAULT 0,
  flags_lapsed    int NOT NULL DEFAULT 0,
  cases_overdue   int NOT NULL DEFAULT 0,
  outcome         text NOT NULL DEFAULT 'running'
                  CHECK (outcome IN ('running', 'succeeded', 'failed', 'abandoned')),
  message         text,
  recorded_by     text NOT NULL,
  recorded_at     timestamptz NOT NULL
);
CREATE INDEX nightly_run_started ON nightly_run (started_at DESC);

CREATE SEQUENCE restriction_flag_number_seq;
CREATE TABLE restriction_flag (
  id              uuid PRIMARY KEY,
  number          bigint NOT NULL UNIQUE DEFAULT nextval('restriction_flag_number_seq'),
  provider_id     uuid NOT NULL REFERENCES provider,
  run_id          uuid REFERENCES nightly_run,
  as_of           timestamptz NOT NULL,
  score           numeric(10,2) NOT NULL,
  band            text NOT NULL CHECK (band IN ('low', 'medium', 'high', 'very_high')),
  reasons         text NOT NULL,
  state           text NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'accepted', 'dismissed', 'lapsed')),
  decided_at      timestamptz,
  decided_by      text,
  decision_note   text CHECK (length(decision_note) <= 20000),
  restriction_id  uuid REFERENCES restriction,
  recorded_by     text NOT NULL,
  recorded_at     timestamptz NOT NULL,
  CHECK ((state IN ('accepted', 'dismissed')) = (decided_at IS NOT NULL)),
  CHECK (state <> 'accepted' OR restriction_id IS NOT NULL)
);
ALTER SEQUENCE restriction_flag_number_seq OWNED BY restriction_flag.number;
-- An open flag that still holds is never raised twice.
CREATE UNIQUE INDEX restriction_flag_one_open ON restriction_flag (provider_id) WHERE state = 'open';
CREATE INDEX restriction_flag_state ON restriction_flag (state, recorded_at DESC);

ALTER TABLE case_file ADD COLUMN overdue_at timestamptz;
CREATE INDEX case_file_overdue ON case_file (overdue_at) WHERE overdue_at IS NOT NULL;

SELECT audit_attach('nightly_run', true), audit_attach('restriction_flag', true);

GRANT SELECT ON nightly_run, restriction_flag TO carewatch_readonly;
GRANT SELECT (overdue_at) ON case_file TO carewatch_readonly;
GRANT INSERT, UPDATE ON nightly_run TO carewatch_batch;
GRANT INSERT ON restriction_flag TO carewatch_batch;
GRANT UPDATE (state) ON restriction_flag TO carewatch_batch;
GRANT USAGE ON SEQUENCE restriction_flag_number_seq TO carewatch_batch;
GRANT UPDATE (overdue_at) ON case_file TO carewatch_batch;
GRANT UPDATE (state, decided_at, decided_by, decision_note, restriction_id)
  ON restriction_flag TO carewatch_manager;
