-- 002_intelligence.sql: the append-only intelligence held on each provider.
--
-- Every kind has its own table with CHECK constraints on its vocabulary (the
-- same words as src/vocab.c).  Rows are never updated: a correction is a new
-- row whose `supersedes` names the row it replaces, and the *_current views
-- show only rows nobody has superseded.  Only the owner may UPDATE or DELETE.
-- recorded_by/recorded_at are stamped by trigger from the session.

CREATE TABLE concern (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES concern,
  received_at   timestamptz NOT NULL,
  risk          text NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'very_high')),
  category      text NOT NULL CHECK (category IN ('care_practice', 'medication', 'staffing',
                  'environment', 'management', 'communication', 'infection_control',
                  'nutrition', 'other')),
  source        text NOT NULL CHECK (source IN ('family', 'service_user', 'public',
                  'professional', 'health', 'provider', 'cqc', 'whistleblower',
                  'anonymous', 'other')),
  safeguarding  boolean NOT NULL,
  summary       text NOT NULL CHECK (length(summary) BETWEEN 1 AND 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX concern_provider ON concern (provider_id, received_at);
CREATE INDEX concern_received ON concern (received_at);

CREATE TABLE visit (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES visit,
  visited_at    timestamptz NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('routine', 'response', 'pamms')),
  outcome       text NOT NULL CHECK (outcome IN ('no_concerns', 'minor_concerns',
                  'significant_concerns', 'serious_concerns')),
  notes         text CHECK (length(notes) <= 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX visit_provider ON visit (provider_id, visited_at);

CREATE TABLE safeguarding (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES safeguarding,
  referred_on   date NOT NULL,
  mash_ref      text CHECK (mash_ref ~ '^[A-Za-z0-9/-]{1,30}$'),
  category      text NOT NULL CHECK (category IN ('resident_on_resident', 'medication_error',
                  'neglect', 'financial_abuse', 'physical_abuse_by_staff', 'sexual_abuse',
                  'abuse_by_service_user', 'other')),
  outcome       text NOT NULL CHECK (outcome IN ('open', 'substantiated',
                  'partially_substantiated', 'not_substantiated', 'inconclusive')),
  summary       text CHECK (length(summary) <= 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX safeguarding_provider ON safeguarding (provider_id, referred_on);

-- One row per domain rating as published; the history builds up month by month.
CREATE TABLE cqc_rating (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES cqc_rating,
  domain        text NOT NULL CHECK (domain IN ('safe', 'effective', 'caring', 'responsive',
                  'well_led', 'overall')),
  rating        text NOT NULL CHECK (rating IN ('outstanding', 'good',
                  'requires_improvement', 'inadequate')),
  published_on  date NOT NULL,
  inspected_on  date,
  source        text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'import')),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CHECK (inspected_on IS NULL OR inspected_on <= published_on)
);
CREATE UNIQUE INDEX cqc_rating_once ON cqc_rating (provider_id, domain, published_on)
  WHERE supersedes IS NULL;
CREATE INDEX cqc_rating_published ON cqc_rating (published_on);

CREATE TABLE ipc_inspection (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES ipc_inspection,
  inspected_on  date NOT NULL,
  result        text NOT NULL CHECK (result IN ('compliant', 'partially_compliant',
                  'non_compliant')),
  score         int CHECK (score BETWEEN 0 AND 100),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX ipc_inspection_provider ON ipc_inspection (provider_id, inspected_on);

CREATE TABLE survey (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES survey,
  surveyed_on   date NOT NULL,
  satisfaction  int NOT NULL CHECK (satisfaction BETWEEN 0 AND 100),
  respondents   int NOT NULL CHECK (respondents BETWEEN 1 AND 100000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX survey_provider ON survey (provider_id, surveyed_on);

CREATE TABLE restriction (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES restriction,
  kind          text NOT NULL CHECK (kind IN ('all', 'partial')),
  starts_on     date NOT NULL,
  ends_on       date,
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX restriction_provider ON restriction (provider_id, starts_on);

-- Lifting a restriction is itself a record (the restriction row is never edited).
CREATE TABLE restriction_lift (
  id              uuid PRIMARY KEY,
  restriction_id  uuid NOT NULL UNIQUE REFERENCES restriction,
  lifted_on       date NOT NULL,
  note            text CHECK (length(note) <= 20000),
  recorded_by     text NOT NULL,
  recorded_at     timestamptz NOT NULL
);

CREATE TABLE performance_notice (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES performance_notice,
  kind          text NOT NULL CHECK (kind IN ('improvement', 'performance', 'default')),
  issued_on     date NOT NULL,
  closed_on     date,
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CHECK (closed_on IS NULL OR closed_on >= issued_on)
);
CREATE INDEX performance_notice_provider ON performance_notice (provider_id, issued_on);

CREATE TABLE provider_loss (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES provider_loss,
  kind          text NOT NULL CHECK (kind IN ('closure', 'nursing_deregistration', 'beds_lost')),
  occurred_on   date NOT NULL,
  beds_lost     int NOT NULL DEFAULT 0 CHECK (beds_lost BETWEEN 0 AND 10000),
  note          text CHECK (length(note) <= 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX provider_loss_provider ON provider_loss (provider_id, occurred_on);

-- Current (not superseded) rows of each kind, for every reader.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['concern', 'visit', 'safeguarding', 'cqc_rating', 'ipc_inspection',
                           'survey', 'restriction', 'performance_notice', 'provider_loss'] LOOP
    EXECUTE format('CREATE VIEW %I AS SELECT * FROM %I r WHERE NOT EXISTS '
                   '(SELECT 1 FROM %I s WHERE s.supersedes = r.id)', t || '_current', t, t);
    PERFORM audit_attach(t::regclass, true);
    EXECUTE format('GRANT SELECT ON %I, %I TO carewatch_officer', t, t || '_current');
    EXECUTE format('GRANT INSERT ON %I TO carewatch_officer', t);
  END LOOP;
END $$;
SELECT audit_attach('restriction_lift', true);
GRANT SELECT, INSERT ON restriction_lift TO carewatch_officer;

-- The read-only role (analysts, committee reports, the nightly batch) sees
-- every column but free text about people.
DO $$
DECLARE rec record;
BEGIN
  FOR rec IN
    SELECT c.table_name, string_agg(quote_ident(c.column_name), ', ' ORDER BY c.ordinal_position) AS cols
      FROM information_schema.columns c
     WHERE c.table_schema = 'public'
       AND c.table_name IN ('concern', 'visit', 'safeguarding', 'cqc_rating', 'ipc_inspection',
                            'survey', 'restriction', 'restriction_lift', 'performance_notice',
                            'provider_loss', 'concern_current', 'visit_current',
                            'safeguarding_current', 'cqc_rating_current', 'ipc_inspection_current',
                            'survey_current', 'restriction_current',
                            'performance_notice_current', 'provider_loss_current')
       AND c.column_name NOT IN ('summary', 'notes', 'note', 'reason')
     GROUP BY c.table_name
  LOOP
    EXECUTE format('GRANT SELECT (%s) ON %I TO carewatch_readonly', rec.cols, rec.table_name);
  END LOOP;
END $$;
