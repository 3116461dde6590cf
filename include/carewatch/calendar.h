/*
 * calendar.h - dates, Europe/London wall-clock time and working days.
 *
 * A case's response target is "N working days", so every due time in the
 * program comes from here.  Working days are Monday to Friday except the
 * England and Wales bank holidays, which are computed for any year (Easter by
 * the anonymous Gregorian algorithm, substitute days when a holiday falls at
 * a weekend), corrected by a small table of one-off changes carried as data in
 * calendar.c (1995 and 2020 VE day, the 2002, 2012 and 2022 jubilees, the
 * 1999 millennium, the 2011 royal wedding, the 2022 state funeral and the
 * 2023 coronation), plus the council's own closure days added at run time.
 *
 * The module is pure and deterministic: it uses no libc time-zone function,
 * no TZ variable and no tzdata.  Dates use Howard Hinnant's days-from-civil
 * arithmetic on int64; Europe/London is GMT, or BST (UTC+1) from 01:00 UTC
 * on the last Sunday of March to 01:00 UTC on the last Sunday of October
 * (today's rule, applied to every year).  Supported years are 0001 to 9999.
 *
 * Due time: the end (23:59:59 London time) of the Nth working day after the
 * concern was received.  The first of the N days is the first working day
 * strictly after the local date of receipt, whatever the day and time of
 * receipt.  N = 0 means the end of the day of receipt if that is a working
 * day, else the end of the next working day.  docs/worklist.md has examples.
 */
#ifndef CAREWATCH_CALENDAR_H
#define CAREWATCH_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carewatch/error.h"
#include "carewatch/intel.h"   /* cw_time, CW_TIME_NONE, CW_DAY */

/* A calendar date (proleptic Gregorian): y 1..9999, m 1..12, d 1..31. */
struct cw_date {
	int y, m, d;
};

/* A Europe/London wall-clock time, with the offset in force at that instant. */
struct cw_datetime {
	int y, m, d;
	int hh, mi, ss;
	int utc_offset;        /* seconds east of UTC: 0 (GMT) or 3600 (BST) */
};

#define CW_DATE_LEN 11          /* "YYYY-MM-DD" plus NUL */
#define CW_DATETIME_LEN 24      /* "YYYY-MM-DD HH:MM BST" / "...THH:MM:SSZ" plus NUL */
#define CW_DATE_LONG_LEN 24     /* "Wed 30 September 2025" plus NUL */
#define CW_CAL_MAX_HOLIDAYS 16  /* bank holidays in one year never exceed this */

/* ---- dates: all never fail; arguments are assumed valid unless stated ---- */

bool cw_is_leap_year(int y);
/* 28..31; 0 when m is not 1..12. */
int cw_days_in_month(int y, int m);
/* True when d is a real date in years 0001..9999. */
bool cw_date_valid(struct cw_date d);
/* ISO day of week: 1 Monday .. 7 Sunday. */
int cw_date_weekday(struct cw_date d);
/* Days since 1970-01-01 (negative before), and back. */
int64_t cw_date_to_days(struct cw_date d);
struct cw_date cw_date_from_days(int64_t days);
struct cw_date cw_date_add_days(struct cw_date d, int64_t n);
/* <0, 0, >0 like strcmp. */
int cw_date_cmp(struct cw_date a, struct cw_date b);
/* Midnight UTC of d, and the UTC date of t (the convention of intel.h). */
cw_time cw_date_to_time(struct cw_date d);
struct cw_date cw_date_from_time(cw_time t);

/* "YYYY-MM-DD" into buf (at least CW_DATE_LEN); returns buf. */
char *cw_date_format(struct cw_date d, char *buf, size_t size);
/* "Tue 7 May 2024" into buf (at least CW_DATE_LONG_LEN); returns buf. */
char *cw_date_format_long(struct cw_date d, char *buf, size_t size);

/* Strict "YYYY-MM-DD" (exactly ten characters, a real date, year 0001..9999).
 * On success sets *out and returns true; otherwise leaves *out alone, fills
 * err (code CW_EXIT_USAGE, field = field or "date") with a message quoting the
 * value, e.g. "invalid date '2018-02-30' (February 2018 has 28 days)". */
bool cw_date_parse(const char *s, const char *field, struct cw_date *out,
		   struct cw_error *err) __attribute__((warn_unused_result));

/* Strict "YYYY-MM": sets *first to the first day of that month.  Errors as
 * cw_date_parse ("invalid month '2024-13' (month must be 01 to 12)"). */
bool cw_month_parse(const char *s, const char *field, struct cw_date *first,
		    struct cw_error *err) __attribute__((warn_unused_result));

/* ---- Europe/London time: never fail ---- */

/* True when British Summer Time is in force at instant t. */
bool cw_london_is_bst(cw_time t);
/* The London wall clock at instant t. */
struct cw_datetime cw_time_to_london(cw_time t);
/* The London local date at instant t. */
struct cw_date cw_london_date(cw_time t);
/* The instant a London wall clock shows local (utc_offset is ignored; fields
 * out of range roll over arithmetically).  In the autumn hour that happens
 * twice the first (BST) instant is returned; a time in the spring gap, which
 * never appears on a London clock, is read as GMT (01:30 becomes 02:30 BST). */
cw_time cw_london_to_time(struct cw_datetime local);
/* 23:59:59 London time on date d, as an instant. */
cw_time cw_london_end_of_day(struct cw_date d);
/* The end (23:59:59 London) of the last day of the month add months after
 * the one month lies in (add may be negative): a month end, the instant the
 * backtest and the score history score at. */
cw_time cw_london_month_end(struct cw_date month, int add);

/* The months from the month of from to that of to (first days), both
 * included: their number, after checking that to is not before from (field
 * "to"), that they are at most max, and that the month of to has ended by
 * as_of (its month end is not after as_of).  Returns 0 with err filled
 * (CW_EXIT_USAGE, the message naming the months) when a check fails. */
int cw_month_span(struct cw_date from, struct cw_date to, int max, cw_time as_of,
		  struct cw_error *err) __attribute__((warn_unused_result));

/* "YYYY-MM-DD HH:MM GMT|BST" (London) into buf (at least CW_DATETIME_LEN). */
char *cw_time_format(cw_time t, char *buf, size_t size);
/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (at least CW_DATETIME_LEN). */
char *cw_time_format_utc(cw_time t, char *buf, size_t size);

/* Strict London local time "YYYY-MM-DD HH:MM" (a 'T' may replace the space;
 * ":SS" may follow).  A time in the spring-forward gap is an error naming the
 * change; in the repeated autumn hour the first (BST) instant is taken.
 * On failure *out is untouched and err is filled as for cw_date_parse. */
bool cw_datetime_parse(const char *s, const char *field, cw_time *out,
		       struct cw_error *err) __attribute__((warn_unused_result));

/* A stored instant: "YYYY-MM-DDTHH:MM:SSZ" as cw_time_format_utc writes it,
 * or PostgreSQL's timestamptz text "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (any
 * offset "+HH", "+HH:MM" or "-HHMM"; fractions of a second are dropped).
 * On failure *out is untouched and err is filled ("invalid timestamp '...'
 * (expected YYYY-MM-DDTHH:MM:SSZ)"). */
bool cw_time_parse_utc(const char *s, const char *field, cw_time *out,
		       struct cw_error *err) __attribute__((warn_unused_result));

/* ---- bank holidays and the working-day calendar ---- */

/* The England and Wales bank holidays of year (1..9999) in date order: writes
 * at most max dates to out and, when names is not NULL, their names (static
 * strings such as "Early May bank holiday" or "Christmas Day (substitute
 * day)").  Returns how many there are (which may exceed max, like snprintf),
 * or 0 for a year out of range.  Never fails. */
int cw_calendar_bank_holidays(int year, struct cw_date *out, const char **names, int max);

struct cw_calendar;

/* An empty calendar: weekends and bank holidays only.  Returns NULL only when
 * out of memory.  Caller frees with cw_calendar_free() (NULL is fine). */
struct cw_calendar *cw_calendar_new(void);
void cw_calendar_free(struct cw_calendar *cal);

/* Add one council closure day (name copied, truncated to 63 bytes; NULL gives
 * "council closure").  Adding a date twice keeps the first name; a closure on
 * a weekend or bank holiday is accepted and changes nothing.  Fails (err
 * filled, calendar unchanged) for an invalid date or when out of memory. */
bool cw_calendar_add_closure(struct cw_calendar *cal, struct cw_date d, const char *name,
			     struct cw_error *err) __attribute__((warn_unused_result));

/* In every function below cal may be NULL, meaning no closures. */

/* Monday to Friday, not a bank holiday, not a closure.  Never fails. */
bool cw_calendar_is_working_day(const struct cw_calendar *cal, struct cw_date d);

/* The bank holiday's name, else the closure's name, else NULL (weekends have
 * no name).  The string is static or owned by cal.  Never fails. */
const char *cw_calendar_holiday_name(const struct cw_calendar *cal, struct cw_date d);

/* The first working day strictly after d.  Never fails. */
struct cw_date cw_calendar_next_working_day(const struct cw_calendar *cal, struct cw_date d);

/* The due instant for a concern received at `received` with a target of
 * working_days (see the top of this file).  Returns CW_TIME_NONE when
 * working_days is negative or above 100000, or received is outside years
 * 0001..9999.  Never fails otherwise. */
cw_time cw_calendar_due(const struct cw_calendar *cal, cw_time received, int working_days);

/* The number of working days whose London date is after the date of `from`
 * and on or before the date of `to`; negative (the same count, negated) when
 * `to` is earlier.  So cw_calendar_working_days_between(c, r,
 * cw_calendar_due(c, r, n)) == n for n >= 1.  0 for times out of range. */
int cw_calendar_working_days_between(const struct cw_calendar *cal, cw_time from, cw_time to);

/* One line saying how the due time of cw_calendar_due() was reached, e.g.
 * "due Tue 7 May 2024 23:59 BST: 1 working day after Fri 3 May 2024, not
 * counting Mon 6 May 2024 (Early May bank holiday)".  Written into buf
 * (truncated to size); returns the length the full line needs, like
 * snprintf.  Never fails. */
int cw_calendar_explain_due(const struct cw_calendar *cal, cw_time received, int working_days,
			    char *buf, size_t size);

#endif
