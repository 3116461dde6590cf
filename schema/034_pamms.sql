-- 034_pamms.sql: (issue 18) PAMMS audits and their action plans.
--
-- PAMMS (the Provider Assessment and Market Management Solution of ADASS
-- Eastern and other regions) is the council's own audit: five domains,
-- sixteen standards, each standard and the provider overall rated
-- Excellent, Good, Requires Improvement or Poor.  An audit is one more kind
-- of intelligence (table pamms_audit, append-only, corrected and withdrawn
-- as every kind is: 030), with three things of its own:
--
--   what              where                 written by
--   domains and       pamms_domain,         this migration (Norfolk's), and a
--   standards         pamms_standard        council's own through
--                                           api.pamms_domain_set and
--                                           api.pamms_standard_set (managers)
--   draft -> final    pamms_final           api.pamms_finalise: the day the
--                                           report is published; only a final
--                                           audit is scored (scoring.c reads
--                                           audits joined to pamms_final)
--   action plan       pamms_action          api.pamms_action_add and
--                                           api.pamms_action_set (open ->
--                                           done or dropped)
--
-- An audit is recorded as a draft (`pamms add`, a plain INSERT, as every
-- kind is) with its overall rating, the standards rated (text
-- "CODE=rating,CODE=rating", every code one of pamms_standard's) and the
-- audit it follows up, if any (`follows`: the "before" audit of the same
-- provider, so before and after support are linked).  Finalising it is a
-- step no person can take behind the function's back: people have no
-- INSERT on pamms_final or pamms_action and no UPDATE anywhere.
--
-- The due dates (an action plan within `action_plan_days` of publication,
-- a follow-up audit `follow_up_months` after it, for an audit rated
-- Requires Improvement or Poor) come from the active ruleset's [pamms]
-- section (docs/rules.md) and are worked out by the client from the
-- publication date stored here (worklist, `pamms show`).
--
--   SQLSTATE  raised when                                        carewatch exit
--   42501     the caller may not take the step                   4
--   P0002     no such audit or action                            5
--   55000     the audit is a draft (actions), already final,     7
--             corrected or withdrawn; the action is closed; the
--             id given was used for another step
--   22023     a value is invalid: an unknown standard code, an   2
--             audit followed of another provider, a date out of
--             order, a rating that needs no action plan
--
-- Messages name records by id and fields by column, never a value: the
-- server log holds no text a person typed.

-- Reference data: the domains and standards ---------------------------------

CREATE TABLE pamms_domain (
  code      text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,30}$'),
  name      text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100 AND name !~ '[\x01-\x1f\x7f]'),
  position  int NOT NULL UNIQUE CHECK (position BETWEEN 1 AND 100)
);

CREATE TABLE pamms_standard (
  code      text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9.]{0,9}$'),
  domain    text NOT NULL REFERENCES pamms_domain,
  name      text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[\x01-\x1f\x7f]'),
  position  int NOT NULL UNIQUE CHECK (position BETWEEN 1 AND 1000)
);
SELECT audit_attach('pamms_domain', false), audit_attach('pamms_standard', false);

-- As Norfolk publishes them ("PAMMS audit", norfolk.gov.uk): the five areas
-- a service is rated in and the 16 standards assessed, numbered as there.
-- Loadable reference data, not code: a council whose tool differs replaces
-- them with api.pamms_domain_set and api.pamms_standard_set.
INSERT INTO pamms_domain (code, name, position) VALUES
  ('involvement', 'Involvement and information', 1),
  ('personalised', 'Personalised care and support', 2),
  ('safeguarding', 'Safeguarding and safety', 3),
  ('staffing', 'Suitability of staffing', 4),
  ('management', 'Quality of management', 5);
INSERT INTO pamms_standard (code, domain, name, position) VALUES
  ('1', 'involvement', 'Respecting and involving service users', 1),
  ('2', 'involvement', 'Consent', 2),
  ('3', 'personalised', 'Care and welfare of service users', 3),
  ('4', 'personalised', 'Meeting nutritional needs', 4),
  ('5', 'personalised', 'Co-operating with other providers', 5),
  ('6', 'safeguarding', 'Safeguarding people who use the service from abuse', 6),
  ('7', 'safeguarding', 'Cleanliness and infection control', 7),
  ('8', 'safeguarding', 'Management of medicines', 8),
  ('9', 'safeguarding', 'Safety and suitability of premises', 9),
  ('10', 'safeguarding', 'Safety, availability and suitability of equipment', 10),
  ('11', 'staffing', 'Requirements relating to workers', 11),
  ('12', 'staffing', 'Staffing', 12),
  ('13', 'staffing', 'Supporting workers', 13),
  ('14', 'management', 'Assessing and monitoring the quality of service provision', 14),
  ('15', 'management', 'Complaints', 15),
  ('16', 'management', 'Records', 16);

-- Add a domain or rename or move one (managers).
CREATE FUNCTION api.pamms_domain_set(p_code text, p_name text, p_position int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM api.require('carewatch_manager', 'the PAMMS domains are the quality manager''s to load');
  IF p_code IS NULL OR p_code !~ '^[a-z][a-z0-9_]{0,30}$' OR p_position IS NULL
     OR p_position NOT BETWEEN 1 AND 100 OR p_name IS NULL OR NOT api.text_ok(p_name, 100)
     OR p_name ~ '\n' THEN
    RAISE EXCEPTION 'invalid PAMMS domain' USING ERRCODE = '22023';
  END IF;
  BEGIN
    INSERT INTO pamms_domain (code, name, position) VALUES (p_code, p_name, p_position)
    ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, position = EXCLUDED.position;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'another PAMMS domain has that name or position' USING ERRCODE = '22023';
  END;
END $$;

-- Add a standard or change one (managers).  A standard's code stays: the
-- audits rated against it name it.
CREATE FUNCTION api.pamms_standard_set(p_code text, p_domain text, p_name text, p_position int)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM api.require('carewatch_manager', 'the PAMMS standards are the quality manager''s to load');
  IF p_code IS NULL OR p_code !~ '^[A-Za-z0-9][A-Za-z0-9.]{0,9}$' OR p_position IS NULL
     OR p_position NOT BETWEEN 1 AND 1000 OR p_name IS NULL OR NOT api.text_ok(p_name, 200)
     OR p_name ~ '\n' THEN
    RAISE EXCEPTION 'invalid PAMMS standard' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pamms_domain WHERE code = p_domain) THEN
    RAISE EXCEPTION 'no such PAMMS domain' USING ERRCODE = 'P0002';
  END IF;
  BEGIN
    INSERT INTO pamms_standard (code, domain, name, position) VALUES (p_code, p_domain, p_name, p_position)
    ON CONFLICT (code) DO UPDATE SET domain = EXCLUDED.domain, name = EXCLUDED.name,
                                     position = EXCLUDED.position;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'another PAMMS standard has that name or position' USING ERRCODE = '22023';
  END;
END $$;

-- The audits ------------------------------------------------------------------

CREATE TABLE pamms_audit (
  id            uuid PRIMARY KEY,
  provider_id   uuid NOT NULL REFERENCES provider,
  supersedes    uuid UNIQUE REFERENCES pamms_audit,
  overall       text NOT NULL CHECK (overall IN ('excellent', 'good', 'requires_improvement', 'poor')),
  audited_on    date NOT NULL,
  -- The standards rated, "CODE=rating" joined by ',' (as `--standard` takes
  -- them); every code is one of pamms_standard's (pamms_audit_check).
  standards     text CHECK (length(standards) <= 1000 AND standards ~
                  '^[A-Za-z0-9][A-Za-z0-9.]{0,9}=(excellent|good|requires_improvement|poor)(,[A-Za-z0-9][A-Za-z0-9.]{0,9}=(excellent|good|requires_improvement|poor))*$'),
  follows       uuid REFERENCES pamms_audit,
  summary       text NOT NULL CHECK (length(summary) BETWEEN 1 AND 20000),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CONSTRAINT pamms_audit_audited_not_future
    CHECK (audited_on <= (now() AT TIME ZONE 'Europe/London')::date)
);
CREATE INDEX pamms_audit_provider ON pamms_audit (provider_id, audited_on);
CREATE INDEX pamms_audit_recorded_by ON pamms_audit (recorded_by, recorded_at);
CREATE INDEX pamms_audit_follows ON pamms_audit (follows) WHERE follows IS NOT NULL;
CREATE INDEX pamms_audit_supersedes ON pamms_audit (supersedes) WHERE supersedes IS NOT NULL;

CREATE VIEW pamms_audit_current AS SELECT * FROM pamms_audit r
 WHERE NOT EXISTS (SELECT 1 FROM pamms_audit s WHERE s.supersedes = r.id)
   AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id);
SELECT audit_attach('pamms_audit', true);

-- What one row's CHECKs cannot say: its standards are the loaded ones, and
-- the audit it follows is the same provider's and not later.  Run as the
-- schema's owner (SECURITY DEFINER, as 030's triggers), for people cannot
-- read every audit's row (readonly).
CREATE FUNCTION pamms_audit_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  f pamms_audit%ROWTYPE;
BEGIN
  IF NEW.standards IS NOT NULL AND EXISTS (
       SELECT 1 FROM unnest(string_to_array(NEW.standards, ',')) s
        WHERE split_part(s, '=', 1) NOT IN (SELECT code FROM pamms_standard)) THEN
    RAISE EXCEPTION 'a standard rated is not one of the PAMMS standards loaded (pamms_standard)'
      USING ERRCODE = '22023';
  END IF;
  IF NEW.follows IS NOT NULL THEN
    SELECT * INTO f FROM pamms_audit WHERE id = NEW.follows;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no PAMMS audit % to follow', NEW.follows USING ERRCODE = 'P0002';
    END IF;
    IF f.provider_id <> NEW.provider_id THEN
      RAISE EXCEPTION 'PAMMS audit % is another provider''s', NEW.follows USING ERRCODE = '22023';
    END IF;
    IF f.id = NEW.supersedes OR f.supersedes = NEW.id THEN
      RAISE EXCEPTION 'a PAMMS audit cannot follow itself' USING ERRCODE = '22023';
    END IF;
    IF f.audited_on > NEW.audited_on THEN
      RAISE EXCEPTION 'the follow-up audit is dated before PAMMS audit % (%)', f.id, f.audited_on
        USING ERRCODE = '22023';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pamms_audit_check BEFORE INSERT ON pamms_audit
  FOR EACH ROW EXECUTE FUNCTION pamms_audit_check();

-- Final: the day the report was published.  One row per audit; a
-- correction of a final audit is final from the same day (below).
CREATE TABLE pamms_final (
  id            uuid PRIMARY KEY,              -- the client's id: a retry writes once
  audit_id      uuid NOT NULL UNIQUE REFERENCES pamms_audit,
  provider_id   uuid NOT NULL REFERENCES provider,
  published_on  date NOT NULL,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CONSTRAINT pamms_final_published_not_future
    CHECK (published_on <= (now() AT TIME ZONE 'Europe/London')::date)
);
CREATE INDEX pamms_final_provider ON pamms_final (provider_id);
SELECT audit_attach('pamms_final', true);

-- Scores: a new audit (a correction of a final one), a finalisation.
CREATE TRIGGER score_enqueue_pamms_audit AFTER INSERT ON pamms_audit
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue();
CREATE TRIGGER score_enqueue_pamms_final AFTER INSERT ON pamms_final
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION score_enqueue();

-- Make a draft final, published on p_on.  Returns written (false: p_id was
-- recorded before with the same content, a retry).
CREATE FUNCTION api.pamms_finalise(p_id uuid, p_audit uuid, p_on date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  a pamms_audit%ROWTYPE;
  old pamms_final%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_officer', 'finalising a PAMMS audit is for QA officers and managers');
  IF p_id IS NULL OR p_audit IS NULL OR p_on IS NULL THEN
    RAISE EXCEPTION 'a finalisation id, an audit and a publication date are required'
      USING ERRCODE = '22023';
  END IF;
  SELECT * INTO a FROM pamms_audit WHERE id = p_audit;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no PAMMS audit %', p_audit USING ERRCODE = 'P0002';
  END IF;
  PERFORM 1 FROM provider WHERE id = a.provider_id FOR NO KEY UPDATE;
  SELECT * INTO old FROM pamms_final WHERE id = p_id OR audit_id = p_audit;
  IF FOUND THEN
    IF old.id = p_id AND old.audit_id = p_audit AND old.published_on = p_on THEN
      RETURN false;
    END IF;
    RAISE EXCEPTION 'PAMMS audit % is already final (published %)', old.audit_id, old.published_on
      USING ERRCODE = '55000';
  END IF;
  PERFORM api.record_current('pamms', p_audit, 'finalise');
  IF p_on < a.audited_on THEN
    RAISE EXCEPTION 'the publication date is before the audit (%)', a.audited_on USING ERRCODE = '22023';
  END IF;
  IF p_on > (now() AT TIME ZONE 'Europe/London')::date THEN
    RAISE EXCEPTION 'the publication date is in the future' USING ERRCODE = '22023';
  END IF;
  INSERT INTO pamms_final (id, audit_id, provider_id, published_on)
  VALUES (p_id, p_audit, a.provider_id, p_on);
  RETURN true;
END $$;

-- Action plans ------------------------------------------------------------------
--
--   status    to        by
--   open      done      api.pamms_action_set: it was done
--   open      dropped   api.pamms_action_set: no longer needed (a later audit)
--
-- An action belongs to a final audit rated Requires Improvement or Poor;
-- a correction of the audit takes its actions with it (below), a
-- withdrawal leaves them with the withdrawn audit, off every worklist.

CREATE SEQUENCE pamms_action_number_seq;
CREATE TABLE pamms_action (
  id            uuid PRIMARY KEY,              -- the client's id: a retry writes once
  number        bigint NOT NULL UNIQUE DEFAULT nextval('pamms_action_number_seq'),
  audit_id      uuid NOT NULL REFERENCES pamms_audit,
  provider_id   uuid NOT NULL REFERENCES provider,
  note          text NOT NULL CHECK (length(note) BETWEEN 1 AND 20000),  -- what is to be done
  owner         text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200 AND owner !~ '[\x01-\x1f\x7f]'),
  due_on        date NOT NULL,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
  closed_on     date,
  closed_by     text,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL,
  CHECK ((status = 'open') = (closed_on IS NULL) AND (closed_on IS NULL) = (closed_by IS NULL))
);
ALTER SEQUENCE pamms_action_number_seq OWNED BY pamms_action.number;
CREATE INDEX pamms_action_audit ON pamms_action (audit_id);
CREATE INDEX pamms_action_open_due ON pamms_action (due_on) WHERE status = 'open';
SELECT audit_attach('pamms_action', true);

-- An action against final audit p_audit.  Returns written (false for a
-- retry of p_id with the same content) and the action's number.
CREATE FUNCTION api.pamms_action_add(p_id uuid, p_audit uuid, p_owner text, p_due date, p_note text)
RETURNS TABLE (written boolean, number bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  a pamms_audit%ROWTYPE;
  old pamms_action%ROWTYPE;
  n bigint;
BEGIN
  PERFORM api.require('carewatch_officer', 'action plans are for QA officers and managers');
  IF p_id IS NULL OR p_audit IS NULL OR p_due IS NULL THEN
    RAISE EXCEPTION 'an action id, an audit and a due date are required' USING ERRCODE = '22023';
  END IF;
  IF p_owner IS NULL OR NOT api.text_ok(p_owner, 200) OR p_owner ~ '\n' THEN
    RAISE EXCEPTION 'an action needs an owner (one line, at most 200 characters)' USING ERRCODE = '22023';
  END IF;
  IF p_note IS NULL OR NOT api.text_ok(p_note, 20000) THEN
    RAISE EXCEPTION 'an action needs a note saying what is to be done' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO a FROM pamms_audit WHERE id = p_audit;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no PAMMS audit %', p_audit USING ERRCODE = 'P0002';
  END IF;
  PERFORM 1 FROM provider WHERE id = a.provider_id FOR NO KEY UPDATE;
  SELECT * INTO old FROM pamms_action x WHERE x.id = p_id;
  IF FOUND THEN
    IF old.audit_id = p_audit AND old.owner = p_owner AND old.due_on = p_due AND old.note = p_note THEN
      RETURN QUERY SELECT false, old.number;
      RETURN;
    END IF;
    RAISE EXCEPTION 'action % is already recorded with different content', p_id USING ERRCODE = '55000';
  END IF;
  PERFORM api.record_current('pamms', p_audit, 'add the action to');
  IF NOT EXISTS (SELECT 1 FROM pamms_final f WHERE f.audit_id = p_audit) THEN
    RAISE EXCEPTION 'PAMMS audit % is a draft: an action plan follows the final report', p_audit
      USING ERRCODE = '55000';
  END IF;
  IF a.overall NOT IN ('requires_improvement', 'poor') THEN
    RAISE EXCEPTION 'PAMMS audit % is rated %: only Requires Improvement and Poor need an action plan',
      p_audit, a.overall USING ERRCODE = '22023';
  END IF;
  IF p_due < a.audited_on THEN
    RAISE EXCEPTION 'the due date is before the audit (%)', a.audited_on USING ERRCODE = '22023';
  END IF;
  INSERT INTO pamms_action (id, audit_id, provider_id, note, owner, due_on)
  VALUES (p_id, p_audit, a.provider_id, p_note, p_owner, p_due)
  RETURNING pamms_action.number INTO n;
  RETURN QUERY SELECT true, n;
END $$;

-- Close action p_number as done or dropped.  Returns false when it is in
-- that state already (a retry); another closed state is refused.
CREATE FUNCTION api.pamms_action_set(p_number bigint, p_status text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  x pamms_action%ROWTYPE;
BEGIN
  PERFORM api.require('carewatch_officer', 'action plans are for QA officers and managers');
  IF p_status IS NULL OR p_status NOT IN ('done', 'dropped') THEN
    RAISE EXCEPTION 'invalid action status' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO x FROM pamms_action WHERE number = p_number FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no action %', p_number USING ERRCODE = 'P0002';
  END IF;
  IF x.status = p_status THEN
    RETURN false;
  END IF;
  IF x.status <> 'open' THEN
    RAISE EXCEPTION 'action % is already %', p_number, x.status USING ERRCODE = '55000';
  END IF;
  UPDATE pamms_action SET status = p_status, closed_on = (now() AT TIME ZONE 'Europe/London')::date,
         closed_by = session_user
   WHERE id = x.id;
  RETURN true;
END $$;

-- Corrections and withdrawals (030) for the new kind ------------------------

ALTER TABLE record_withdrawal DROP CONSTRAINT record_withdrawal_kind_check;
ALTER TABLE record_withdrawal ADD CONSTRAINT record_withdrawal_kind_check
  CHECK (kind IN ('concern', 'visit', 'safeguarding', 'cqc', 'ipc', 'survey', 'notice',
                  'restriction', 'loss', 'pamms'));
ALTER TABLE record_correction DROP CONSTRAINT record_correction_kind_check;
ALTER TABLE record_correction ADD CONSTRAINT record_correction_kind_check
  CHECK (kind IN ('concern', 'visit', 'safeguarding', 'cqc', 'ipc', 'survey', 'notice',
                  'restriction', 'loss', 'pamms'));

-- 030's table of kinds, with pamms: a correction may change the overall
-- rating, the audit's date, the standards, the audit followed and the note.
CREATE OR REPLACE FUNCTION api.record_kind(p_kind text, OUT tbl text, OUT what text, OUT fields text[])
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
    ('loss', 'provider_loss', 'provider loss', ARRAY['kind', 'occurred_on', 'beds_lost', 'note']),
    ('pamms', 'pamms_audit', 'PAMMS audit',
     ARRAY['overall', 'audited_on', 'standards', 'follows', 'summary'])
  ) k(kind, tbl, what, fields) WHERE k.kind = p_kind
$$;

-- A correction of an audit takes its state with it: a final audit's
-- correction is final from the same publication day (its audit date may
-- not then move past it), and its actions move to the correction, as a
-- concern's case does (030).  Fires inside api.record_correct; runs as
-- the schema's owner.
CREATE FUNCTION pamms_correction_follow() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  f pamms_final%ROWTYPE;
  a pamms_audit%ROWTYPE;
BEGIN
  SELECT * INTO f FROM pamms_final WHERE audit_id = NEW.supersedes;
  IF FOUND THEN
    SELECT * INTO a FROM pamms_audit WHERE id = NEW.id;
    IF a.audited_on > f.published_on THEN
      RAISE EXCEPTION 'the corrected audit is dated after its publication (%)', f.published_on
        USING ERRCODE = '22023';
    END IF;
    INSERT INTO pamms_final (id, audit_id, provider_id, published_on)
    VALUES (gen_random_uuid(), NEW.id, f.provider_id, f.published_on);
  END IF;
  UPDATE pamms_action SET audit_id = NEW.id WHERE audit_id = NEW.supersedes;
  RETURN NULL;
END $$;
CREATE TRIGGER pamms_correction_follow AFTER INSERT ON record_correction
  FOR EACH ROW WHEN (NEW.kind = 'pamms') EXECUTE FUNCTION pamms_correction_follow();

-- Ownership and who may call what (the grants are schema/grants.tsv's; the
-- trigger functions are no one's to call).
ALTER FUNCTION api.pamms_domain_set(text, text, int) OWNER TO carewatch_api;
ALTER FUNCTION api.pamms_standard_set(text, text, text, int) OWNER TO carewatch_api;
ALTER FUNCTION api.pamms_finalise(uuid, uuid, date) OWNER TO carewatch_api;
ALTER FUNCTION api.pamms_action_add(uuid, uuid, text, date, text) OWNER TO carewatch_api;
ALTER FUNCTION api.pamms_action_set(bigint, text) OWNER TO carewatch_api;
REVOKE ALL ON FUNCTION pamms_audit_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION pamms_correction_follow() FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pamms_domain_set(text, text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pamms_standard_set(text, text, text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pamms_finalise(uuid, uuid, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pamms_action_add(uuid, uuid, text, date, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pamms_action_set(bigint, text) FROM PUBLIC;
