-- 009_security.sql: indexes behind `carewatch audit` (who did what, to which
-- provider, since when).  The audit table itself is in 001_foundation.sql.

CREATE INDEX audit_log_provider ON audit_log ((change ->> 'provider_id'), at);
CREATE INDEX audit_log_case ON audit_log ((change ->> 'case_id'), at);
