/*
 * closure.c - the council's closure days as a working-day calendar: the
 * reference data that due times and response targets count working days
 * by (closure.h).  In the database layer, below cases and the worklist,
 * which both need it.
 */
#include "carewatch/closure.h"

struct cw_calendar *
cw_closure_calendar_from(const PGresult *r, struct cw_error *err)
{
	struct cw_calendar *cal = cw_calendar_new();

	if (cal == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		return NULL;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct cw_date d;
		if (!cw_date_parse(PQgetvalue(r, i, 0), "day", &d, err) ||
		    !cw_calendar_add_closure(cal, d, PQgetvalue(r, i, 1), err)) {
			cw_calendar_free(cal);
			return NULL;
		}
	}
	return cal;
}

struct cw_calendar *
cw_closure_calendar(struct cw_db *db, struct cw_error *err)
{
	PGresult *r = cw_db_query(db, CW_CLOSURE_DAYS_SQL, 0, NULL, err);
	struct cw_calendar *cal;

	if (r == NULL)
		return NULL;
	cal = cw_closure_calendar_from(r, err);
	PQclear(r);
	return cal;
}
