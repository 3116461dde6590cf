-- 001_foundation.sql: roles, audit, reference data, organisations and providers.
--
-- Applied by `carewatch db migrate` as the database owner, in one transaction.
-- The owner is the only role that may UPDATE or DELETE intelligence and audit
-- rows; people connect as their own login, a member of one of the four group
-- roles below, so grants decide who may do what and the audit names a person.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['carewatch_readonly', 'carewatch_officer',
                           'carewatch_manager', 'carewatch_batch'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;

GRANT carewatch_readonly TO carewatch_officer;
GRANT carewatch_officer TO carewatch_manager;
GRANT carewatch_readonly TO carewatch_batch;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO carewatch_readonly, carewatch_batch;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Audit: one row per insert, update or delete on every audited table.
-- Free-text columns are recorded by length only: the text itself stays in
-- its append-only record, readable under that table's grants.
CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  role      text NOT NULL DEFAULT session_user,
  tbl       text NOT NULL,
  row_id    text NOT NULL,
  op        text NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
  change    jsonb NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_row ON audit_log (tbl, row_id);
CREATE INDEX audit_log_role ON audit_log (role, at);

CREATE FUNCTION audit_redact(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k,
           CASE WHEN k IN ('summary', 'notes', 'note', 'reason', 'closure_note', 'body')
                     AND jsonb_typeof(v) = 'string'
                THEN to_jsonb(format('<text, %s chars>', length(v #>> '{}')))
                ELSE v END), '{}'::jsonb)
  FROM jsonb_each(j) AS e(k, v)
$$;

CREATE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  newj jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  oldj jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  j jsonb := coalesce(newj, oldj);
  rid text := coalesce(j ->> 'id', j ->> 'login', j ->> 'day', j ->> 'version',
                       concat_ws('/', j ->> 'login', j ->> 'locality'));
  change jsonb;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value)), '{}')
      INTO change
      FROM jsonb_each(audit_redact(newj)) n
      JOIN jsonb_each(audit_redact(oldj)) o USING (key)
     WHERE n.value IS DISTINCT FROM o.value;
    IF change = '{}'::jsonb THEN
      RETURN NULL;
    END IF;
  ELSE
    change := audit_redact(j);
  END IF;
  INSERT INTO audit_log (tbl, row_id, op, change) VALUES (TG_TABLE_NAME, rid, TG_OP, change);
  RETURN NULL;
END $$;

-- Stamp who recorded a row and when; clients cannot forge either.
CREATE FUNCTION stamp_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.recorded_by := session_user;
  NEW.recorded_at := now();
  RETURN NEW;
END $$;

-- Attach the audit (and optionally stamp) triggers to a table.
CREATE FUNCTION audit_attach(t regclass, stamp boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s '
                 'FOR EACH ROW EXECUTE FUNCTION audit_row()', 'audit_' || t::text, t);
  IF stamp THEN
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION stamp_row()', 'stamp_' || t::text, t);
  END IF;
END $$;

-- Reference data --------------------------------------------------------

CREATE TABLE locality (
  code  text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,30}$'),
  name  text NOT NULL UNIQUE CHECK (name <> '')
);
INSERT INTO locality (code, name) VALUES
  ('north', 'North'), ('south', 'South'), ('east', 'East'), ('west', 'West'),
  ('norwich', 'Norwich');

CREATE TABLE care_type (
  code           text PRIMARY KEY,
  label          text NOT NULL,
  care_home      boolean NOT NULL,
  cqc_regulated  boolean NOT NULL,
  sort_order     int NOT NULL
);
INSERT INTO care_type VALUES
  ('home_care', 'Home care', false, true, 1),
  ('residential', 'Residential', true, true, 2),
  ('nursing', 'Nursing', true, true, 3),
  ('supported_living', 'Supported living', false, true, 4),
  ('housing_with_care', 'Housing with care', false, true, 5),
  ('day_care', 'Day care', false, false, 6);

CREATE TABLE officer (
  login       text PRIMARY KEY CHECK (login ~ '^[a-z_][a-z0-9_]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  fte         numeric(3,2) NOT NULL CHECK (fte > 0 AND fte <= 1),
  post        text NOT NULL DEFAULT 'qa_officer'
              CHECK (post IN ('qa_officer', 'market_assurance', 'quality_manager')),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE officer_locality (
  login     text NOT NULL REFERENCES officer ON UPDATE CASCADE,
  locality  text NOT NULL REFERENCES locality,
  PRIMARY KEY (login, locality)
);

CREATE TABLE officer_leave (
  id           uuid PRIMARY KEY,
  login        text NOT NULL REFERENCES officer ON UPDATE CASCADE,
  first_day    date NOT NULL,
  last_day     date NOT NULL,
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL,
  CHECK (first_day <= last_day)
);
CREATE INDEX officer_leave_login ON officer_leave (login, last_day);

-- Extra days the council is closed, on top of weekends and bank holidays.
CREATE TABLE closure_day (
  day     date PRIMARY KEY,
  reason  text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200)
);

-- Organisations and providers ---------------------------------------------

CREATE TABLE organisation (
  id               uuid PRIMARY KEY,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  cqc_provider_id  text UNIQUE CHECK (cqc_provider_id ~ '^1-[0-9]{3,15}$'),
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE provider (
  id               uuid PRIMARY KEY,
  organisation_id  uuid REFERENCES organisation,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  care_type        text NOT NULL REFERENCES care_type,
  locality         text NOT NULL REFERENCES locality,
  cqc_location_id  text UNIQUE CHECK (cqc_location_id ~ '^1-[0-9]{3,15}$'),
  postcode         text CHECK (length(postcode) <= 10),
  beds             int CHECK (beds >= 0 AND beds <= 10000),
  registered_on    date,
  closed_on        date,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (closed_on IS NULL OR registered_on IS NULL OR closed_on >= registered_on),
  CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);
CREATE INDEX provider_name_trgm ON provider USING gin (lower(name) gin_trgm_ops);
CREATE INDEX provider_locality ON provider (locality, care_type) WHERE status = 'active';
CREATE INDEX provider_organisation ON provider (organisation_id);

SELECT audit_attach('officer', false), audit_attach('officer_locality', false),
       audit_attach('officer_leave', true), audit_attach('closure_day', false),
       audit_attach('organisation', false), audit_attach('provider', false);

GRANT SELECT ON locality, care_type, officer, officer_locality, officer_leave, closure_day,
                organisation, provider TO carewatch_readonly;
GRANT INSERT ON organisation, provider TO carewatch_officer;
GRANT INSERT, UPDATE ON officer, officer_locality, organisation, provider TO carewatch_manager;
GRANT DELETE ON officer_locality TO carewatch_manager;
GRANT INSERT ON officer_leave, closure_day TO carewatch_manager;
GRANT DELETE ON closure_day TO carewatch_manager;
GRANT SELECT ON audit_log TO carewatch_manager;

-- `carewatch db role add LOGIN --as KIND`: the login name arrives as a
-- parameter and becomes an identifier only through format('%I').
CREATE FUNCTION carewatch_role_add(login text, kind text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE created boolean := false;
BEGIN
  IF kind IS NULL OR kind NOT IN ('officer', 'manager', 'batch', 'readonly') THEN
    RAISE EXCEPTION 'invalid role kind %', coalesce(quote_literal(kind), 'NULL')
      USING ERRCODE = '22023', HINT = 'expected officer, manager, batch or readonly';
  END IF;
  IF login IS NULL OR login !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'invalid login name'
      USING ERRCODE = '22023',
            HINT = 'a login is lower-case letters, digits and underscores, starting with a letter';
  END IF;
  IF login LIKE 'carewatch\_%' OR login IN ('postgres', 'cw_owner') THEN
    RAISE EXCEPTION 'login % is reserved', quote_literal(login) USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', login);
    created := true;
  END IF;
  EXECUTE format('GRANT %I TO %I', 'carewatch_' || kind, login);
  RETURN created;
END $$;
REVOKE ALL ON FUNCTION carewatch_role_add(text, text) FROM PUBLIC;
