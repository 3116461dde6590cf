/*
 * calendar.c - dates, London time and the England and Wales working-day
 * calendar (see calendar.h for the rules and why the module is pure).
 *
 * Every date becomes an int64 day number (days since 1970-01-01) through
 * Howard Hinnant's days_from_civil / civil_from_days, so date arithmetic is
 * plain integer arithmetic with no libc time functions and no time zone
 * database.  Bank holidays are computed per year from the standing rules and
 * then corrected from a small table of one-off changes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"

#define MIN_YEAR 1
#define MAX_YEAR 9999
#define MAX_DUE_DAYS 100000
#define CLOSURE_NAME_LEN 64

/* ---------------------------------------------------------------- dates -- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Hinnant, "chrono-Compatible Low-Level Date Algorithms": days_from_civil. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Hinnant: civil_from_days.  Years beyond int are clamped (never in range). */
static struct cw_date
civil_from_days(int64_t z)
{
	struct cw_date r;
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y > 2000000000)
		y = 2000000000;
	if (y < -2000000000)
		y = -2000000000;
	r.y = (int)y;
	r.m = (int)m;
	r.d = (int)d;
	return r;
}

/* ISO weekday (1 Monday .. 7 Sunday) of a day number; 1970-01-01 was a Thursday. */
static int
weekday_of(int64_t day)
{
	return (int)(day + 3 - floor_div(day + 3, 7) * 7) + 1;
}

bool
cw_is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
cw_days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && cw_is_leap_year(y) ? 29 : dim[m - 1];
}

bool
cw_date_valid(struct cw_date d)
{
	return d.y >= MIN_YEAR && d.y <= MAX_YEAR && d.m >= 1 && d.m <= 12 && d.d >= 1 &&
	       d.d <= cw_days_in_month(d.y, d.m);
}

int64_t
cw_date_to_days(struct cw_date d)
{
	return days_from_civil(d.y, d.m, d.d);
}

struct cw_date
cw_date_from_days(int64_t days)
{
	return civil_from_days(days);
}

int
cw_date_weekday(struct cw_date d)
{
	return weekday_of(cw_date_to_days(d));
}

struct cw_date
cw_date_add_days(struct cw_date d, int64_t n)
{
	return civil_from_days(cw_date_to_days(d) + n);
}

int
cw_date_cmp(struct cw_date a, struct cw_date b)
{
	if (a.y != b.y)
		return a.y < b.y ? -1 : 1;
	if (a.m != b.m)
		return a.m < b.m ? -1 : 1;
	if (a.d != b.d)
		return a.d < b.d ? -1 : 1;
	return 0;
}

cw_time
cw_date_to_time(struct cw_date d)
{
	return cw_date_to_days(d) * CW_DAY;
}

struct cw_date
cw_date_from_time(cw_time t)
{
	return civil_from_days(floor_div(t, CW_DAY));
}

static const char *const month_names[12] = {"January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December"};
static const char *const day_abbr[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

char *
cw_date_format(struct cw_date d, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02d", d.y, d.m, d.d);
	return buf;
}

char *
cw_date_format_long(struct cw_date d, char *buf, size_t size)
{
	const char *mon = d.m >= 1 && d.m <= 12 ? month_names[d.m - 1] : "?";

	snprintf(buf, size, "%s %d %s %d", day_abbr[cw_date_weekday(d) - 1], d.d, mon, d.y);
	return buf;
}

/* ---------------------------------------------------------- London time -- */

static const cw_time min_time = -62135596800;  /* 0001-01-01T00:00:00Z */
static const cw_time max_time = 253402300799;  /* 9999-12-31T23:59:59Z */

static bool
time_in_range(cw_time t)
{
	return t >= min_time && t <= max_time;
}

/* Day number of the last Sunday of month m of year y. */
static int64_t
last_sunday(int64_t y, int m)
{
	int64_t last = days_from_civil(y, m, cw_days_in_month((int)y, m));

	return last - weekday_of(last) % 7;
}

bool
cw_london_is_bst(cw_time t)
{
	int64_t y = cw_date_from_time(t).y;
	cw_time start = last_sunday(y, 3) * CW_DAY + 3600;
	cw_time end = last_sunday(y, 10) * CW_DAY + 3600;

	return t >= start && t < end;
}

struct cw_datetime
cw_time_to_london(cw_time t)
{
	struct cw_datetime r;
	int off = cw_london_is_bst(t) ? 3600 : 0;
	cw_time lt = t + off;
	int64_t day = floor_div(lt, CW_DAY);
	int64_t secs = lt - day * CW_DAY;
	struct cw_date d = civil_from_days(day);

	r.y = d.y;
	r.m = d.m;
	r.d = d.d;
	r.hh = (int)(secs / 3600);
	r.mi = (int)(secs / 60 % 60);
	r.ss = (int)(secs % 60);
	r.utc_offset = off;
	return r;
}

struct cw_date
cw_london_date(cw_time t)
{
	struct cw_datetime l = cw_time_to_london(t);
	struct cw_date d = {l.y, l.m, l.d};

	return d;
}

cw_time
cw_london_to_time(struct cw_datetime local)
{
	cw_time wall = days_from_civil(local.y, local.m, local.d) * CW_DAY +
		       (int64_t)local.hh * 3600 + (int64_t)local.mi * 60 + local.ss;

	/* Try BST first: that picks the first of the repeated autumn hour, and a
	 * spring-gap time fails the test and falls through to GMT. */
	if (cw_london_is_bst(wall - 3600))
		return wall - 3600;
	return wall;
}

cw_time
cw_london_end_of_day(struct cw_date d)
{
	struct cw_datetime l = {d.y, d.m, d.d, 23, 59, 59, 0};

	return cw_london_to_time(l);
}

cw_time
cw_london_month_end(struct cw_date month, int add)
{
	int idx = month.y * 12 + (month.m - 1) + add;
	struct cw_date d = {idx / 12, idx % 12 + 1, 1};

	d.d = cw_days_in_month(d.y, d.m);
	return cw_london_end_of_day(d);
}

int
cw_month_span(struct cw_date from, struct cw_date to, int max, cw_time as_of, struct cw_error *err)
{
	int n = (to.y * 12 + to.m) - (from.y * 12 + from.m) + 1;
	char day[CW_DATE_LEN];

	if (n < 1) {
		cw_error_field(err, "to", "--to %04d-%02d is before --from %04d-%02d", to.y, to.m, from.y, from.m);
		return 0;
	}
	if (n > max) {
		cw_error_field(err, "to", "%d month ends from %04d-%02d to %04d-%02d is too many (at most %d)", n,
			       from.y, from.m, to.y, to.m, max);
		return 0;
	}
	if (cw_london_month_end(to, 0) > as_of) {
		cw_date_format(cw_london_date(as_of), day, sizeof(day));
		cw_error_field(err, "to", "month %04d-%02d has not ended by %s", to.y, to.m, day);
		return 0;
	}
	return n;
}

char *
cw_time_format(cw_time t, char *buf, size_t size)
{
	struct cw_datetime l;

	if (!time_in_range(t)) {
		snprintf(buf, size, "-");
		return buf;
	}
	l = cw_time_to_london(t);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d %s", l.y, l.m, l.d, l.hh, l.mi,
		 l.utc_offset ? "BST" : "GMT");
	return buf;
}

char *
cw_time_format_utc(cw_time t, char *buf, size_t size)
{
	struct cw_date d;
	int64_t secs;

	if (!time_in_range(t)) {
		snprintf(buf, size, "-");
		return buf;
	}
	d = cw_date_from_time(t);
	secs = t - floor_div(t, CW_DAY) * CW_DAY;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.y, d.m, d.d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

/* -------------------------------------------------------------- parsing -- */

/* The value as it may be quoted in a message: at most 40 bytes, with
 * control characters shown as '?', so a stray argument cannot garble it. */
static const char *
quote(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	if (s == NULL)
		s = "";
	for (; i < 40 && i + 4 < size && s[i] != '\0'; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Checks y, m, d (already digits); on a fault fills err about `what` 's'. */
static bool
check_ymd(int y, int m, int d, const char *what, const char *s, const char *field,
	  struct cw_error *err)
{
	char q[48];

	if (y < MIN_YEAR)
		return cw_error_field(err, field, "invalid %s '%s' (year must be 0001 to 9999)",
				      what, quote(s, q, sizeof(q)));
	if (m < 1 || m > 12)
		return cw_error_field(err, field, "invalid %s '%s' (month must be 01 to 12)",
				      what, quote(s, q, sizeof(q)));
	if (d == 0)
		return cw_error_field(err, field, "invalid %s '%s' (day must be 01 to %02d in %s %d)",
				      what, quote(s, q, sizeof(q)), cw_days_in_month(y, m),
				      month_names[m - 1], y);
	if (d > cw_days_in_month(y, m))
		return cw_error_field(err, field, "invalid %s '%s' (%s %d has %d days)", what,
				      quote(s, q, sizeof(q)), month_names[m - 1], y,
				      cw_days_in_month(y, m));
	return true;
}

/* "YYYY-MM-DD" at the start of s (no length check); -1 fields when malformed. */
static bool
scan_date(const char *s, int *y, int *m, int *d)
{
	*y = digits(s, 4);
	*m = s[4] == '-' ? digits(s + 5, 2) : -1;
	*d = s[7] == '-' ? digits(s + 8, 2) : -1;
	return *y >= 0 && *m >= 0 && *d >= 0;
}

bool
cw_date_parse(const char *s, const char *field, struct cw_date *out, struct cw_error *err)
{
	char q[48];
	int y, m, d;

	if (field == NULL)
		field = "date";
	if (s == NULL || strlen(s) != 10 || !scan_date(s, &y, &m, &d))
		return cw_error_field(err, field, "invalid date '%s' (expected YYYY-MM-DD)",
				      quote(s, q, sizeof(q)));
	if (!check_ymd(y, m, d, "date", s, field, err))
		return false;
	out->y = y;
	out->m = m;
	out->d = d;
	return true;
}

bool
cw_month_parse(const char *s, const char *field, struct cw_date *first, struct cw_error *err)
{
	char q[48];
	int y, m;

	if (field == NULL)
		field = "month";
	if (s == NULL || strlen(s) != 7 || (y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (m = digits(s + 5, 2)) < 0)
		return cw_error_field(err, field, "invalid month '%s' (expected YYYY-MM)",
				      quote(s, q, sizeof(q)));
	if (!check_ymd(y, m, 1, "month", s, field, err))
		return false;
	first->y = y;
	first->m = m;
	first->d = 1;
	return true;
}

bool
cw_datetime_parse(const char *s, const char *field, cw_time *out, struct cw_error *err)
{
	char q[48];
	size_t len = s ? strlen(s) : 0;
	struct cw_datetime l = {0, 0, 0, 0, 0, 0, 0};

	if (field == NULL)
		field = "time";
	if ((len != 16 && len != 19) || !scan_date(s, &l.y, &l.m, &l.d) ||
	    (s[10] != ' ' && s[10] != 'T') || (l.hh = digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (l.mi = digits(s + 14, 2)) < 0 ||
	    (len == 19 && (s[16] != ':' || (l.ss = digits(s + 17, 2)) < 0)))
		return cw_error_field(err, field, "invalid time '%s' (expected YYYY-MM-DD HH:MM)",
				      quote(s, q, sizeof(q)));
	if (!check_ymd(l.y, l.m, l.d, "time", s, field, err))
		return false;
	if (l.hh > 23)
		return cw_error_field(err, field, "invalid time '%s' (hour must be 00 to 23)",
				      quote(s, q, sizeof(q)));
	if (l.mi > 59)
		return cw_error_field(err, field, "invalid time '%s' (minute must be 00 to 59)",
				      quote(s, q, sizeof(q)));
	if (l.ss > 59)
		return cw_error_field(err, field, "invalid time '%s' (second must be 00 to 59)",
				      quote(s, q, sizeof(q)));
	if (l.hh == 1 && days_from_civil(l.y, l.m, l.d) == last_sunday(l.y, 3))
		return cw_error_field(err, field,
				      "invalid time '%s' (01:00 to 01:59 does not exist in London "
				      "on %d March %d: the clocks go forward an hour)",
				      quote(s, q, sizeof(q)), l.d, l.y);
	*out = cw_london_to_time(l);
	return true;
}

bool
cw_time_parse_utc(const char *s, const char *field, cw_time *out, struct cw_error *err)
{
	char q[48];
	size_t len = s ? strlen(s) : 0, i = 19;
	int y, m, d, hh, mi, ss, oh = 0, om = 0, sign = 1;

	if (field == NULL)
		field = "timestamp";
	if (len < 20 || !scan_date(s, &y, &m, &d) || (s[10] != ' ' && s[10] != 'T') ||
	    (hh = digits(s + 11, 2)) < 0 || s[13] != ':' || (mi = digits(s + 14, 2)) < 0 ||
	    s[16] != ':' || (ss = digits(s + 17, 2)) < 0)
		goto bad;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			goto bad;
	}
	if (s[i] == 'Z' && s[i + 1] == '\0') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '-' ? -1 : 1;
		if ((oh = digits(s + i + 1, 2)) < 0)
			goto bad;
		i += 3;
		if (s[i] == ':')
			i++;
		if (s[i] != '\0' && ((om = digits(s + i, 2)) < 0 || s[i + 2] != '\0'))
			goto bad;
		i = len;
	}
	if (i != len)
		goto bad;
	if (!check_ymd(y, m, d, "timestamp", s, field, err))
		return false;
	if (hh > 23 || mi > 59 || ss > 59 || oh > 23 || om > 59)
		goto bad;
	*out = days_from_civil(y, m, d) * CW_DAY + (cw_time)hh * 3600 + (cw_time)mi * 60 + ss -
	       sign * ((cw_time)oh * 3600 + (cw_time)om * 60);
	return true;
bad:
	return cw_error_field(err, field, "invalid timestamp '%s' (expected YYYY-MM-DDTHH:MM:SSZ)",
			      quote(s, q, sizeof(q)));
}

/* --------------------------------------------------------- bank holidays -- */

struct hol {
	int64_t day;
	const char *name;
};

enum moved_rule { EXTRA_DAY, MOVES_EARLY_MAY, MOVES_SPRING };

/*
 * One-off changes to the England and Wales bank holidays, as proclaimed.
 * A row either moves a standing holiday of its year to another date (and may
 * rename it) or adds an extra day.  Earlier years (before 1995) get today's
 * standing rules, which is not exact history before 1978.  A new change is
 * one more row here and one more known answer in tests/test_calendar.c.
 */
static const struct {
	int y, m, d;
	enum moved_rule rule;
	const char *name;
} exceptions[] = {
	{1995, 5, 8, MOVES_EARLY_MAY, "Early May bank holiday (VE day)"},
	{1999, 12, 31, EXTRA_DAY, "Millennium celebrations"},
	{2002, 6, 3, EXTRA_DAY, "Golden Jubilee bank holiday"},
	{2002, 6, 4, MOVES_SPRING, "Spring bank holiday"},
	{2011, 4, 29, EXTRA_DAY, "Royal wedding bank holiday"},
	{2012, 6, 4, MOVES_SPRING, "Spring bank holiday"},
	{2012, 6, 5, EXTRA_DAY, "Diamond Jubilee bank holiday"},
	{2020, 5, 8, MOVES_EARLY_MAY, "Early May bank holiday (VE day)"},
	{2022, 6, 2, MOVES_SPRING, "Spring bank holiday"},
	{2022, 6, 3, EXTRA_DAY, "Platinum Jubilee bank holiday"},
	{2022, 9, 19, EXTRA_DAY, "Bank holiday for the State Funeral of Queen Elizabeth II"},
	{2023, 5, 8, EXTRA_DAY, "Bank holiday for the coronation of King Charles III"},
};

/* Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
static int64_t
easter_sunday(int y)
{
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;

	return days_from_civil(y, month, day);
}

/* Day number of the first Monday of month m. */
static int64_t
first_monday(int y, int m)
{
	int64_t first = days_from_civil(y, m, 1);

	return first + (8 - weekday_of(first)) % 7;
}

/* Day number of the last Monday of month m. */
static int64_t
last_monday(int y, int m)
{
	int64_t last = days_from_civil(y, m, cw_days_in_month(y, m));

	return last - (weekday_of(last) + 6) % 7;
}

static void
add_hol(struct hol *h, int *n, int64_t day, const char *name)
{
	if (*n < CW_CAL_MAX_HOLIDAYS) {
		h[*n].day = day;
		h[*n].name = name;
		(*n)++;
	}
}

/* The bank holidays of year y in date order; returns how many.  h has room
 * for CW_CAL_MAX_HOLIDAYS (a year has at most 11). */
static int
year_holidays(int y, struct hol *h)
{
	int n = 0;
	int64_t jan1 = days_from_civil(y, 1, 1), xmas = days_from_civil(y, 12, 25);
	int64_t easter = easter_sunday(y);
	int early_may = -1, spring = -1;

	switch (weekday_of(jan1)) {
	case 6: add_hol(h, &n, jan1 + 2, "New Year's Day (substitute day)"); break;
	case 7: add_hol(h, &n, jan1 + 1, "New Year's Day (substitute day)"); break;
	default: add_hol(h, &n, jan1, "New Year's Day"); break;
	}
	add_hol(h, &n, easter - 2, "Good Friday");
	add_hol(h, &n, easter + 1, "Easter Monday");
	early_may = n;
	add_hol(h, &n, first_monday(y, 5), "Early May bank holiday");
	spring = n;
	add_hol(h, &n, last_monday(y, 5), "Spring bank holiday");
	add_hol(h, &n, last_monday(y, 8), "Summer bank holiday");
	switch (weekday_of(xmas)) {
	case 5: /* Boxing Day on Saturday moves to Monday 28th */
		add_hol(h, &n, xmas, "Christmas Day");
		add_hol(h, &n, xmas + 3, "Boxing Day (substitute day)");
		break;
	case 6: /* Monday 27th and Tuesday 28th */
		add_hol(h, &n, xmas + 2, "Christmas Day (substitute day)");
		add_hol(h, &n, xmas + 3, "Boxing Day (substitute day)");
		break;
	case 7: /* Boxing Day is Monday 26th; Christmas moves to Tuesday 27th */
		add_hol(h, &n, xmas + 1, "Boxing Day");
		add_hol(h, &n, xmas + 2, "Christmas Day (substitute day)");
		break;
	default:
		add_hol(h, &n, xmas, "Christmas Day");
		add_hol(h, &n, xmas + 1, "Boxing Day");
		break;
	}
	for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
		int64_t day;

		if (exceptions[i].y != y)
			continue;
		day = days_from_civil(exceptions[i].y, exceptions[i].m, exceptions[i].d);
		if (exceptions[i].rule == EXTRA_DAY) {
			add_hol(h, &n, day, exceptions[i].name);
		} else {
			int at = exceptions[i].rule == MOVES_EARLY_MAY ? early_may : spring;
			h[at].day = day;
			h[at].name = exceptions[i].name;
		}
	}
	for (int i = 1; i < n; i++) {  /* insertion sort: a dozen entries */
		struct hol x = h[i];
		int j = i;
		for (; j > 0 && h[j - 1].day > x.day; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
	return n;
}

int
cw_calendar_bank_holidays(int year, struct cw_date *out, const char **names, int max)
{
	struct hol h[CW_CAL_MAX_HOLIDAYS];
	int n;

	if (year < MIN_YEAR || year > MAX_YEAR)
		return 0;
	n = year_holidays(year, h);
	for (int i = 0; i < n && i < max; i++) {
		if (out != NULL)
			out[i] = civil_from_days(h[i].day);
		if (names != NULL)
			names[i] = h[i].name;
	}
	return n;
}

/* ------------------------------------------------------------- calendar -- */

struct closure {
	int64_t day;
	char name[CLOSURE_NAME_LEN];
};

struct cw_calendar {
	struct closure *c;      /* sorted by day, no duplicates */
	size_t n, cap;
};

struct cw_calendar *
cw_calendar_new(void)
{
	return calloc(1, sizeof(struct cw_calendar));
}

void
cw_calendar_free(struct cw_calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->c);
	free(cal);
}

/* Index of the first closure on or after day. */
static size_t
closure_lower_bound(const struct cw_calendar *cal, int64_t day)
{
	size_t lo = 0, hi = cal->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->c[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct closure *
closure_on(const struct cw_calendar *cal, int64_t day)
{
	size_t i;

	if (cal == NULL)
		return NULL;
	i = closure_lower_bound(cal, day);
	return i < cal->n && cal->c[i].day == day ? &cal->c[i] : NULL;
}

bool
cw_calendar_add_closure(struct cw_calendar *cal, struct cw_date d, const char *name,
			struct cw_error *err)
{
	char ds[CW_DATE_LEN + 32];
	int64_t day;
	size_t at;

	if (!cw_date_valid(d)) {
		snprintf(ds, sizeof(ds), "%04d-%02d-%02d", d.y, d.m, d.d);
		return cw_error_field(err, "closure", "invalid closure date '%s'", ds);
	}
	day = cw_date_to_days(d);
	at = closure_lower_bound(cal, day);
	if (at < cal->n && cal->c[at].day == day)
		return true;
	if (cal->n == cal->cap) {
		size_t cap = cal->cap ? cal->cap * 2 : 16;
		struct closure *c = realloc(cal->c, cap * sizeof(*c));
		if (c == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory adding a closure day");
		cal->c = c;
		cal->cap = cap;
	}
	memmove(&cal->c[at + 1], &cal->c[at], (cal->n - at) * sizeof(cal->c[0]));
	cal->c[at].day = day;
	snprintf(cal->c[at].name, sizeof(cal->c[at].name), "%s",
		 name != NULL ? name : "council closure");
	cal->n++;
	return true;
}

/*
 * Walking day by day needs each year's holidays once, not once per day: a
 * year cache holds the holidays of the year last asked about.
 */
struct year_cache {
	int year;               /* INT_MIN: empty */
	int n;
	struct hol h[CW_CAL_MAX_HOLIDAYS];
};
#define YEAR_CACHE_INIT {INT_MIN, 0, {{0, NULL}}}

/* The bank holiday's name on day, or NULL. */
static const char *
bank_holiday_on(struct year_cache *yc, int64_t day)
{
	struct cw_date d = civil_from_days(day);

	if (yc->year != d.y) {
		yc->year = d.y;
		yc->n = year_holidays(d.y, yc->h);
	}
	for (int i = 0; i < yc->n; i++)
		if (yc->h[i].day == day)
			return yc->h[i].name;
	return NULL;
}

/* Working-day test with the reason when not: *why is the holiday or closure
 * name, or NULL for a weekend. */
static bool
working(const struct cw_calendar *cal, struct year_cache *yc, int64_t day, const char **why)
{
	const struct closure *c;
	const char *name;

	*why = NULL;
	if (weekday_of(day) >= 6)
		return false;
	if ((name = bank_holiday_on(yc, day)) != NULL) {
		*why = name;
		return false;
	}
	if ((c = closure_on(cal, day)) != NULL) {
		*why = c->name;
		return false;
	}
	return true;
}

bool
cw_calendar_is_working_day(const struct cw_calendar *cal, struct cw_date d)
{
	struct year_cache yc = YEAR_CACHE_INIT;
	const char *why;

	return working(cal, &yc, cw_date_to_days(d), &why);
}

const char *
cw_calendar_holiday_name(const struct cw_calendar *cal, struct cw_date d)
{
	struct year_cache yc = YEAR_CACHE_INIT;
	int64_t day = cw_date_to_days(d);
	const struct closure *c;
	const char *name = bank_holiday_on(&yc, day);

	if (name != NULL)
		return name;
	c = closure_on(cal, day);
	return c != NULL ? c->name : NULL;
}

struct cw_date
cw_calendar_next_working_day(const struct cw_calendar *cal, struct cw_date d)
{
	struct year_cache yc = YEAR_CACHE_INIT;
	const char *why;
	int64_t day = cw_date_to_days(d) + 1;

	while (!working(cal, &yc, day, &why))
		day++;
	return civil_from_days(day);
}

/* The local day number the due time falls on, or INT64_MIN when undefined.
 * When skipped is not NULL, the named non-working weekdays passed over on
 * the way are reported to it (for the explanation). */
typedef void skip_fn(void *ctx, int64_t day, const char *name);

static int64_t
due_day(const struct cw_calendar *cal, cw_time received, int n, skip_fn *skipped, void *ctx)
{
	struct year_cache yc = YEAR_CACHE_INIT;
	const char *why;
	int64_t day;

	if (n < 0 || n > MAX_DUE_DAYS || !time_in_range(received))
		return INT64_MIN;
	day = cw_date_to_days(cw_london_date(received));
	if (n == 0) {
		while (!working(cal, &yc, day, &why)) {
			if (why != NULL && skipped != NULL)
				skipped(ctx, day, why);
			day++;
		}
		return day;
	}
	for (int count = 0; count < n;) {
		day++;
		if (working(cal, &yc, day, &why))
			count++;
		else if (why != NULL && skipped != NULL)
			skipped(ctx, day, why);
	}
	return day;
}

cw_time
cw_calendar_due(const struct cw_calendar *cal, cw_time received, int working_days)
{
	int64_t day = due_day(cal, received, working_days, NULL, NULL);

	if (day == INT64_MIN)
		return CW_TIME_NONE;
	return cw_london_end_of_day(civil_from_days(day));
}

/* Weekdays among day numbers up to and including x, counted from the Monday
 * 1970-01-05 (day 4); only differences of this are meaningful. */
static int64_t
weekdays_through(int64_t x)
{
	int64_t k = x - 4, w = floor_div(k, 7), r = k - w * 7;

	return w * 5 + (r + 1 < 5 ? r + 1 : 5);
}

/* Working days in (a, b], a <= b: weekdays less the bank holidays and the
 * closures on weekdays, computed per year rather than per day. */
static int64_t
working_in(const struct cw_calendar *cal, int64_t a, int64_t b)
{
	int64_t count = weekdays_through(b) - weekdays_through(a);
	int y0 = civil_from_days(a + 1).y, y1 = civil_from_days(b).y;
	struct year_cache yc = YEAR_CACHE_INIT;

	if (a >= b)
		return 0;
	for (int y = y0; y <= y1; y++) {
		struct hol h[CW_CAL_MAX_HOLIDAYS];
		int n = year_holidays(y, h);
		for (int i = 0; i < n; i++)
			if (h[i].day > a && h[i].day <= b && weekday_of(h[i].day) <= 5)
				count--;
	}
	if (cal != NULL) {
		for (size_t i = closure_lower_bound(cal, a + 1); i < cal->n && cal->c[i].day <= b; i++)
			if (weekday_of(cal->c[i].day) <= 5 && bank_holiday_on(&yc, cal->c[i].day) == NULL)
				count--;
	}
	return count;
}

int
cw_calendar_working_days_between(const struct cw_calendar *cal, cw_time from, cw_time to)
{
	int64_t a, b;

	if (!time_in_range(from) || !time_in_range(to))
		return 0;
	a = cw_date_to_days(cw_london_date(from));
	b = cw_date_to_days(cw_london_date(to));
	return a <= b ? (int)working_in(cal, a, b) : -(int)working_in(cal, b, a);
}

/* ---------------------------------------------------------- explanation -- */

/* A bounded string builder that, like snprintf, keeps counting past the end. */
struct sb {
	char *buf;
	size_t size;
	size_t len;             /* length the full text needs */
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	char *dst = b->len < b->size ? b->buf + b->len : NULL;
	size_t room = b->len < b->size ? b->size - b->len : 0;
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->len += (size_t)w;
}

#define EXPLAIN_MAX_LISTED 6

struct skips {
	int n;
	int64_t day[EXPLAIN_MAX_LISTED];
	const char *name[EXPLAIN_MAX_LISTED];
};

static void
note_skip(void *ctx, int64_t day, const char *name)
{
	struct skips *s = ctx;

	if (s->n < EXPLAIN_MAX_LISTED) {
		s->day[s->n] = day;
		s->name[s->n] = name;
	}
	s->n++;
}

int
cw_calendar_explain_due(const struct cw_calendar *cal, cw_time received, int working_days,
			char *buf, size_t size)
{
	struct sb b = {buf, size, 0};
	struct skips sk = {0, {0}, {NULL}};
	char dl[CW_DATE_LONG_LEN], rl[CW_DATE_LONG_LEN];
	int64_t day, rday;
	cw_time due;

	if (size > 0)
		buf[0] = '\0';
	day = due_day(cal, received, working_days, note_skip, &sk);
	if (day == INT64_MIN) {
		if (working_days < 0 || working_days > MAX_DUE_DAYS)
			sb_add(&b, "no due time (a target of %d working days is out of range)",
			       working_days);
		else
			sb_add(&b, "no due time (the received time is out of range)");
		return (int)b.len;
	}
	due = cw_london_end_of_day(civil_from_days(day));
	rday = cw_date_to_days(cw_london_date(received));
	cw_date_format_long(civil_from_days(day), dl, sizeof(dl));
	cw_date_format_long(civil_from_days(rday), rl, sizeof(rl));
	sb_add(&b, "due %s 23:59 %s: ", dl, cw_london_is_bst(due) ? "BST" : "GMT");
	if (working_days == 0 && day == rday)
		sb_add(&b, "the day received (a target of 0 working days)");
	else if (working_days == 0)
		sb_add(&b, "received on %s, not a working day, so the next working day "
		       "(a target of 0 working days)", rl);
	else
		sb_add(&b, "%d working day%s after %s", working_days, working_days == 1 ? "" : "s",
		       rl);
	for (int i = 0; i < sk.n && i < EXPLAIN_MAX_LISTED; i++) {
		char sl[CW_DATE_LONG_LEN];
		sb_add(&b, "%s%s (%s)", i == 0 ? ", not counting " : ", ",
		       cw_date_format_long(civil_from_days(sk.day[i]), sl, sizeof(sl)), sk.name[i]);
	}
	if (sk.n > EXPLAIN_MAX_LISTED)
		sb_add(&b, " and %d more holidays or closures", sk.n - EXPLAIN_MAX_LISTED);
	return (int)b.len;
}
