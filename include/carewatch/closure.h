/*
 * closure.h - the working-day calendar with the council's closure days
 * (closure_day, schema/022_closure_days.sql).
 */
#ifndef CAREWATCH_CLOSURE_H
#define CAREWATCH_CLOSURE_H

#include "carewatch/calendar.h"
#include "carewatch/db.h"

/* The query whose rows (day, reason) are the council's closure days, and the
 * calendar built from such a result (caller frees with cw_calendar_free).
 * cases.c sends the query in its pipelined batch; cw_closure_calendar runs it. */
#define CW_CLOSURE_DAYS_SQL "SELECT to_char(day, 'YYYY-MM-DD'), reason FROM closure_day"
struct cw_calendar *cw_closure_calendar_from(const PGresult *r, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The working-day calendar with the council's closure days (closure_day).
 * Returns NULL with err filled.  Caller frees with cw_calendar_free(). */
struct cw_calendar *cw_closure_calendar(struct cw_db *db, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
