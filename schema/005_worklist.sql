-- 005_worklist.sql: the caseload counts and the month-end active case counts.
--
-- `carewatch caseload` must answer in milliseconds at national scale (50,000
-- open cases among a million closed).  Counting every open case by holder
-- and risk level on each call costs more than the rest of the command, so
-- the counts are kept, set-based, by statement-level triggers on case_file:
-- each INSERT, UPDATE, DELETE or COPY adds its net change per (holder, risk
-- level) in one upsert, and the command reads a few thousand rows at most.
-- Overdue counts depend on the clock, so they are counted when asked, from a
-- partial index of the open cases with no response yet.

-- Open (not closed) cases per holder and risk level; holder '' is the
-- unassigned queue.  Written only by the triggers below (and the rebuild).
CREATE TABLE caseload_count (
  holder  text NOT NULL,
  risk    text NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'very_high')),
  open    int NOT NULL,
  PRIMARY KEY (holder, risk)
);

-- Net change of one statement, from its transition tables: +1 for each row
-- that is open afterwards, -1 for each that was open before, per (holder,
-- risk level); locked in key order, so concurrent statements cannot
-- deadlock on the counts.
CREATE FUNCTION caseload_count_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM caseload_count;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO caseload_count AS k (holder, risk, open)
    SELECT coalesce(assigned_to, ''), risk, count(*) FROM new_rows
     WHERE state <> 'closed' GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (holder, risk) DO UPDATE SET open = k.open + EXCLUDED.open;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO caseload_count AS k (holder, risk, open)
    SELECT coalesce(assigned_to, ''), risk, -count(*) FROM old_rows
     WHERE state <> 'closed' GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (holder, risk) DO UPDATE SET open = k.open + EXCLUDED.open;
  ELSE
    INSERT INTO caseload_count AS k (holder, risk, open)
    SELECT holder, risk, sum(d) FROM (
      SELECT coalesce(assigned_to, '') AS holder, risk, 1 AS d FROM new_rows WHERE state <> 'closed'
      UNION ALL
      SELECT coalesce(assigned_to, ''), risk, -1 FROM old_rows WHERE state <> 'closed') c
     GROUP BY 1, 2 HAVING sum(d) <> 0 ORDER BY 1, 2
    ON CONFLICT (holder, risk) DO UPDATE SET open = k.open + EXCLUDED.open;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER caseload_count_insert AFTER INSERT ON case_file
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION caseload_count_sync();
CREATE TRIGGER caseload_count_update AFTER UPDATE ON case_file
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION caseload_count_sync();
CREATE TRIGGER caseload_count_delete AFTER DELETE ON case_file
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION caseload_count_sync();
CREATE TRIGGER caseload_count_truncate AFTER TRUNCATE ON case_file
  FOR EACH STATEMENT EXECUTE FUNCTION caseload_count_sync();

-- Recount from the cases: after a bulk load with triggers off (a superuser's
-- session_replication_role = replica), or to check the counts.  Writers of
-- case_file wait for the moment it takes.  Returns the open cases counted.
CREATE FUNCTION caseload_count_rebuild() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  LOCK TABLE case_file IN SHARE MODE;
  DELETE FROM caseload_count;
  INSERT INTO caseload_count (holder, risk, open)
  SELECT coalesce(assigned_to, ''), risk, count(*) FROM case_file
   WHERE state <> 'closed' GROUP BY 1, 2;
  SELECT coalesce(sum(open), 0) INTO n FROM caseload_count;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION caseload_count_rebuild() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION caseload_count_rebuild() TO carewatch_manager, carewatch_batch;

-- The cases already open when this migration runs.
INSERT INTO caseload_count (holder, risk, open)
SELECT coalesce(assigned_to, ''), risk, count(*) FROM case_file
 WHERE state <> 'closed' GROUP BY 1, 2;

-- Overdue (open, no response yet, past due) by holder: a range of this index.
CREATE INDEX case_file_open_due ON case_file (due_at) INCLUDE (assigned_to) WHERE state = 'open';
-- Who is on leave today, for the caseload's one team query: a short range of
-- leave not yet over, however long the history of past leave grows.
CREATE INDEX officer_leave_current ON officer_leave (last_day) INCLUDE (login, first_day);

GRANT SELECT ON caseload_count TO carewatch_readonly;

-- Active cases at the end of each month by care type and locality, for the
-- monthly dashboards.  Written by `carewatch caseload --month-end YYYY-MM`
-- or the nightly batch (cw_worklist_record_month_end): recomputing a month
-- replaces its rows in one transaction.  Every care type x locality pair has
-- a row, zero included, so a dashboard never has to guess a missing cell.
CREATE TABLE month_end_cases (
  month        date NOT NULL CHECK (extract(day FROM month) = 1),
  care_type    text NOT NULL REFERENCES care_type,
  locality     text NOT NULL REFERENCES locality,
  active       int NOT NULL CHECK (active >= 0),
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (month, care_type, locality)
);

SELECT audit_attach('month_end_cases', true);

GRANT SELECT ON month_end_cases TO carewatch_readonly;
GRANT INSERT, DELETE ON month_end_cases TO carewatch_manager, carewatch_batch;
