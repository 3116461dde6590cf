-- 008_reports.sql: what the monthly dashboards and the annual quality report need.
--
-- Every report is one set-based query over the intelligence and case history
-- (src/report*.c); nothing here is a snapshot, so a report for any past month
-- can be run again and gives the same figures from the same records.
-- Reports read no free-text column, so carewatch_readonly may run them all.

-- Report settings with the day each value took effect, so a trend across a
-- change of target shows each month against the target then in force.
-- [17/18 2.3.1] the RIG target: at least 80% of providers good or better;
-- [17/18 3.13.2] "A target of 85% is now needed": `carewatch report target 85`.
CREATE TABLE report_setting (
  name            text NOT NULL CHECK (name IN ('good_or_better_target')),
  effective_from  date NOT NULL,
  value           numeric(4,1) NOT NULL CHECK (value > 0 AND value <= 100),
  recorded_by     text NOT NULL,
  recorded_at     timestamptz NOT NULL,
  PRIMARY KEY (name, effective_from)
);
-- The default is schema, like the reference data of 001: inserted before the
-- audit trigger exists.  (An audited insert here would also leave the audit
-- sequence part-way through its logged-ahead values in the template that
-- test databases are cloned from, which PostgreSQL 15 does not recover
-- correctly after a crash of a clone: tests/test_faults.c.)
INSERT INTO report_setting (name, effective_from, value, recorded_by, recorded_at)
VALUES ('good_or_better_target', '2000-01-01', 80.0, session_user, now());
SELECT audit_attach('report_setting', true);

GRANT SELECT ON report_setting TO carewatch_readonly;
GRANT INSERT ON report_setting TO carewatch_manager;

-- The provider facts reports group by, with the day it left the market: its
-- closed_on, or the first closure recorded as provider loss, whichever is
-- earlier.  A closed provider no longer counts in ratings, bands or
-- restrictions from that day.
-- (A join to the closures rather than a subquery per provider, so a report
-- that crosses every provider with every month computes it once.)
CREATE VIEW report_provider AS
  SELECT p.id, p.name, p.care_type, p.locality, p.beds, p.cqc_location_id,
         least(p.closed_on, c.closed_on) AS closed_on
    FROM provider p
    LEFT JOIN (SELECT l.provider_id, min(l.occurred_on) AS closed_on
                 FROM provider_loss_current l WHERE l.kind = 'closure'
                GROUP BY l.provider_id) c ON c.provider_id = p.id;
GRANT SELECT ON report_provider TO carewatch_readonly;

-- Indexes where someone waits for a report.
-- Ratings: each provider's latest rating in a domain on or before a date,
-- and the overall-rating history behind trends, shifts and reinspections.
CREATE INDEX cqc_rating_domain_history ON cqc_rating (domain, provider_id, published_on, recorded_at);
-- Score history: each provider's latest band at or before a month end, one
-- index-only probe per provider and month (the history grows every night, so
-- reports must not scan it).
CREATE INDEX provider_score_as_of ON provider_score (provider_id, as_of, id) INCLUDE (band);
-- Active cases at a month end: cases open then (never closed, or closed
-- after it) are a short range of this index even with a million closed ones.
CREATE INDEX case_file_active_until ON case_file ((coalesce(closed_at, 'infinity'::timestamptz)));
-- Safeguardings and provider loss by period.
CREATE INDEX safeguarding_referred ON safeguarding (referred_on);
CREATE INDEX provider_loss_occurred ON provider_loss (occurred_on);
