/*
 * test_calendar.c - the working-day calendar against known answers: Easter,
 * Christmas and New Year with their substitute days, the moved and extra
 * bank holidays carried as data, BST changes, due times (including the
 * Friday evening before a bank holiday Monday), closures added at run time,
 * leap years and the strict date and time parsers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcore.h"
#include "carewatch/calendar.h"

static struct cw_date
D(const char *s)
{
	struct cw_error err;
	struct cw_date d = {0, 0, 0};

	if (!cw_date_parse(s, NULL, &d, &err))
		fail_msg("bad test date %s: %s", s, err.msg);
	return d;
}

/* A London wall-clock time "YYYY-MM-DD HH:MM" as an instant. */
static cw_time
T(const char *s)
{
	struct cw_error err;
	cw_time t = 0;

	if (!cw_datetime_parse(s, NULL, &t, &err))
		fail_msg("bad test time %s: %s", s, err.msg);
	return t;
}

static const char *
utc(cw_time t)
{
	static char buf[CW_DATETIME_LEN];

	return cw_time_format_utc(t, buf, sizeof(buf));
}

/* ---------------------------------------------------------------- Easter -- */

static void
test_calendar_easter_known_answers(void **state)
{
	static const struct {
		int year;
		const char *good_friday, *easter_monday;
	} cases[] = {
		{2000, "2000-04-21", "2000-04-24"},
		{2008, "2008-03-21", "2008-03-24"},  /* early: Easter 23 March */
		{2011, "2011-04-22", "2011-04-25"},
		{2016, "2016-03-25", "2016-03-28"},
		{2019, "2019-04-19", "2019-04-22"},
		{2024, "2024-03-29", "2024-04-01"},  /* Easter Monday in April, Good Friday in March */
		{2025, "2025-04-18", "2025-04-21"},
		{2038, "2038-04-23", "2038-04-26"},  /* latest possible: Easter 25 April */
		{2285, "2285-03-20", "2285-03-23"},  /* earliest possible: Easter 22 March */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_date d[CW_CAL_MAX_HOLIDAYS];
		const char *names[CW_CAL_MAX_HOLIDAYS];
		int n = cw_calendar_bank_holidays(cases[i].year, d, names, CW_CAL_MAX_HOLIDAYS);
		int found = 0;
		char buf[CW_DATE_LEN];

		for (int k = 0; k < n; k++) {
			if (strcmp(names[k], "Good Friday") == 0) {
				assert_string_equal(cw_date_format(d[k], buf, sizeof(buf)),
						    cases[i].good_friday);
				found++;
			}
			if (strcmp(names[k], "Easter Monday") == 0) {
				assert_string_equal(cw_date_format(d[k], buf, sizeof(buf)),
						    cases[i].easter_monday);
				found++;
			}
		}
		assert_int_equal(found, 2);
		assert_false(cw_calendar_is_working_day(NULL, D(cases[i].good_friday)));
		assert_false(cw_calendar_is_working_day(NULL, D(cases[i].easter_monday)));
	}
}

/* ----------------------------------------------------- whole-year lists -- */

/* Each year's complete list, as published for England and Wales. */
static const struct {
	int year;
	const char *days;
} known_years[] = {
	{1995, "1995-01-02 1995-04-14 1995-04-17 1995-05-08 1995-05-29 1995-08-28 1995-12-25 1995-12-26"},
	{1999, "1999-01-01 1999-04-02 1999-04-05 1999-05-03 1999-05-31 1999-08-30 1999-12-27 1999-12-28 1999-12-31"},
	{2002, "2002-01-01 2002-03-29 2002-04-01 2002-05-06 2002-06-03 2002-06-04 2002-08-26 2002-12-25 2002-12-26"},
	{2010, "2010-01-01 2010-04-02 2010-04-05 2010-05-03 2010-05-31 2010-08-30 2010-12-27 2010-12-28"},
	{2011, "2011-01-03 2011-04-22 2011-04-25 2011-04-29 2011-05-02 2011-05-30 2011-08-29 2011-12-26 2011-12-27"},
	{2012, "2012-01-02 2012-04-06 2012-04-09 2012-05-07 2012-06-04 2012-06-05 2012-08-27 2012-12-25 2012-12-26"},
	{2016, "2016-01-01 2016-03-25 2016-03-28 2016-05-02 2016-05-30 2016-08-29 2016-12-26 2016-12-27"},
	{2017, "2017-01-02 2017-04-14 2017-04-17 2017-05-01 2017-05-29 2017-08-28 2017-12-25 2017-12-26"},
	{2019, "2019-01-01 2019-04-19 2019-04-22 2019-05-06 2019-05-27 2019-08-26 2019-12-25 2019-12-26"},
	{2020, "2020-01-01 2020-04-10 2020-04-13 2020-05-08 2020-05-25 2020-08-31 2020-12-25 2020-12-28"},
	{2021, "2021-01-01 2021-04-02 2021-04-05 2021-05-03 2021-05-31 2021-08-30 2021-12-27 2021-12-28"},
	{2022, "2022-01-03 2022-04-15 2022-04-18 2022-05-02 2022-06-02 2022-06-03 2022-08-29 2022-09-19 2022-12-26 2022-12-27"},
	{2023, "2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26"},
	{2024, "2024-01-01 2024-03-29 2024-04-01 2024-05-06 2024-05-27 2024-08-26 2024-12-25 2024-12-26"},
	{2025, "2025-01-01 2025-04-18 2025-04-21 2025-05-05 2025-05-26 2025-08-25 2025-12-25 2025-12-26"},
	{2038, "2038-01-01 2038-04-23 2038-04-26 2038-05-03 2038-05-31 2038-08-30 2038-12-27 2038-12-28"},
};

static void
test_calendar_bank_holidays_whole_years(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known_years) / sizeof(known_years[0]); i++) {
		struct cw_date d[CW_CAL_MAX_HOLIDAYS];
		char got[CW_CAL_MAX_HOLIDAYS * CW_DATE_LEN] = "";
		int n = cw_calendar_bank_holidays(known_years[i].year, d, NULL, CW_CAL_MAX_HOLIDAYS);

		for (int k = 0; k < n; k++) {
			char buf[CW_DATE_LEN];
			if (k > 0)
				strcat(got, " ");
			strcat(got, cw_date_format(d[k], buf, sizeof(buf)));
		}
		if (strcmp(got, known_years[i].days) != 0)
			fail_msg("%d: got %s, expected %s", known_years[i].year, got,
				 known_years[i].days);
	}
}

static void
test_calendar_bank_holidays_respects_max(void **state)
{
	struct cw_date d[4] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {-1, -1, -1}};
	const char *names[4] = {NULL, NULL, NULL, "untouched"};

	(void)state;
	/* 2022 has ten; only three are written, the count is still ten. */
	assert_int_equal(cw_calendar_bank_holidays(2022, d, names, 3), 10);
	assert_int_equal(d[2].m, 4);
	assert_int_equal(d[2].d, 18);
	assert_string_equal(names[2], "Easter Monday");
	assert_int_equal(d[3].y, -1);
	assert_string_equal(names[3], "untouched");
	assert_int_equal(cw_calendar_bank_holidays(2024, NULL, NULL, 0), 8);
	assert_int_equal(cw_calendar_bank_holidays(0, d, names, 3), 0);
	assert_int_equal(cw_calendar_bank_holidays(10000, d, names, 3), 0);
}

/* ---------------------------------------------- Christmas and New Year -- */

static void
test_calendar_christmas_and_new_year_substitutes(void **state)
{
	static const struct {
		const char *date;
		bool working;
		const char *name;       /* NULL: none */
	} cases[] = {
		/* 2010: Christmas on Saturday -> Mon 27th and Tue 28th */
		{"2010-12-24", true, NULL},
		{"2010-12-25", false, NULL},
		{"2010-12-26", false, NULL},
		{"2010-12-27", false, "Christmas Day (substitute day)"},
		{"2010-12-28", false, "Boxing Day (substitute day)"},
		{"2010-12-29", true, NULL},
		/* 2011: New Year on Saturday -> Mon 3rd; Christmas on Sunday ->
		 * Boxing Day Mon 26th, Christmas Tue 27th */
		{"2011-01-03", false, "New Year's Day (substitute day)"},
		{"2011-01-04", true, NULL},
		{"2011-12-26", false, "Boxing Day"},
		{"2011-12-27", false, "Christmas Day (substitute day)"},
		{"2011-12-28", true, NULL},
		/* 2016: Christmas on Sunday */
		{"2016-12-26", false, "Boxing Day"},
		{"2016-12-27", false, "Christmas Day (substitute day)"},
		/* 2017: New Year on Sunday -> Mon 2nd */
		{"2017-01-02", false, "New Year's Day (substitute day)"},
		{"2017-01-03", true, NULL},
		/* 2020: Boxing Day on Saturday -> Mon 28th */
		{"2020-12-25", false, "Christmas Day"},
		{"2020-12-28", false, "Boxing Day (substitute day)"},
		{"2020-12-29", true, NULL},
		/* 2021: Christmas on Saturday; 2022 New Year on Saturday -> Mon 3rd */
		{"2021-12-27", false, "Christmas Day (substitute day)"},
		{"2021-12-28", false, "Boxing Day (substitute day)"},
		{"2021-12-31", true, NULL},
		{"2022-01-03", false, "New Year's Day (substitute day)"},
		/* 2022: Christmas on Sunday */
		{"2022-12-26", false, "Boxing Day"},
		{"2022-12-27", false, "Christmas Day (substitute day)"},
		{"2022-12-28", true, NULL},
		/* an ordinary Christmas on weekdays */
		{"2024-12-25", false, "Christmas Day"},
		{"2024-12-26", false, "Boxing Day"},
		{"2024-12-27", true, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_date d = D(cases[i].date);
		const char *name = cw_calendar_holiday_name(NULL, d);

		if (cw_calendar_is_working_day(NULL, d) != cases[i].working)
			fail_msg("%s: expected %s", cases[i].date,
				 cases[i].working ? "a working day" : "not a working day");
		if (cases[i].name == NULL)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].name);
	}
}

/* ------------------------------------------ moved and extra (as data) -- */

static void
test_calendar_moved_and_extra_bank_holidays(void **state)
{
	static const struct {
		const char *date;
		bool working;
		const char *name;
	} cases[] = {
		/* 2020: early May moved from Mon 4th to Fri 8th (VE day 75) */
		{"2020-05-04", true, NULL},
		{"2020-05-08", false, "Early May bank holiday (VE day)"},
		/* 2022: spring bank holiday moved from Mon 30 May to Thu 2 June,
		 * plus Fri 3 June for the Platinum Jubilee; the state funeral */
		{"2022-05-30", true, NULL},
		{"2022-06-02", false, "Spring bank holiday"},
		{"2022-06-03", false, "Platinum Jubilee bank holiday"},
		{"2022-09-19", false, "Bank holiday for the State Funeral of Queen Elizabeth II"},
		/* 2023: the coronation is extra; the early May holiday stays */
		{"2023-05-01", false, "Early May bank holiday"},
		{"2023-05-08", false, "Bank holiday for the coronation of King Charles III"},
		/* 2012 and 2002 jubilees */
		{"2012-05-28", true, NULL},
		{"2012-06-04", false, "Spring bank holiday"},
		{"2012-06-05", false, "Diamond Jubilee bank holiday"},
		{"2002-05-27", true, NULL},
		{"2002-06-03", false, "Golden Jubilee bank holiday"},
		{"2002-06-04", false, "Spring bank holiday"},
		/* 1995: VE day 50 on Mon 8 May instead of Mon 1 May */
		{"1995-05-01", true, NULL},
		{"1995-05-08", false, "Early May bank holiday (VE day)"},
		/* the millennium and the 2011 royal wedding */
		{"1999-12-31", false, "Millennium celebrations"},
		{"2000-01-03", false, "New Year's Day (substitute day)"},
		{"2011-04-29", false, "Royal wedding bank holiday"},
		/* the standing rule is back the year after each change */
		{"2021-05-03", false, "Early May bank holiday"},
		{"2023-05-29", false, "Spring bank holiday"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_date d = D(cases[i].date);
		const char *name = cw_calendar_holiday_name(NULL, d);

		if (cw_calendar_is_working_day(NULL, d) != cases[i].working)
			fail_msg("%s: expected %s", cases[i].date,
				 cases[i].working ? "a working day" : "not a working day");
		if (cases[i].name == NULL)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].name);
	}
}

/* ------------------------------------------------------------ due times -- */

static void
test_calendar_due_friday_evening_before_bank_holiday(void **state)
{
	cw_time received = T("2024-05-03 18:30");
	cw_time due = cw_calendar_due(NULL, received, 1);
	char buf[256];
	int len;

	(void)state;
	/* Sat, Sun, then Mon 6 May is the early May bank holiday: due end of Tue. */
	assert_string_equal(utc(due), "2024-05-07T22:59:59Z");
	assert_string_equal(cw_time_format(due, buf, sizeof(buf)), "2024-05-07 23:59 BST");
	assert_int_equal(cw_calendar_working_days_between(NULL, received, due), 1);
	len = cw_calendar_explain_due(NULL, received, 1, buf, sizeof(buf));
	assert_string_equal(buf, "due Tue 7 May 2024 23:59 BST: 1 working day after Fri 3 May 2024, "
			    "not counting Mon 6 May 2024 (Early May bank holiday)");
	assert_int_equal(len, (int)strlen(buf));
	/* truncated like snprintf, still terminated, same length reported */
	assert_int_equal(cw_calendar_explain_due(NULL, received, 1, buf, 10), len);
	assert_string_equal(buf, "due Tue 7");
}

static void
test_calendar_due_known_answers(void **state)
{
	static const struct {
		const char *received;   /* London local */
		int days;
		const char *due;        /* UTC */
	} cases[] = {
		{"2024-05-03 18:30", 1, "2024-05-07T22:59:59Z"},
		{"2024-05-03 18:30", 2, "2024-05-08T22:59:59Z"},
		{"2024-05-03 00:00", 1, "2024-05-07T22:59:59Z"},
		/* 0 days: the day received if working, else the next working day */
		{"2024-05-03 18:30", 0, "2024-05-03T22:59:59Z"},
		{"2024-05-04 10:00", 0, "2024-05-07T22:59:59Z"},
		{"2024-05-06 09:00", 0, "2024-05-07T22:59:59Z"},
		/* received on a non-working day: the first counted day is the next working one */
		{"2024-05-06 09:00", 1, "2024-05-07T22:59:59Z"},
		{"2024-05-04 23:59", 1, "2024-05-07T22:59:59Z"},
		/* five working days across the spring bank holiday */
		{"2024-05-20 10:00", 5, "2024-05-28T22:59:59Z"},
		/* Easter 2025 (BST) and 2024 */
		{"2025-04-17 16:00", 1, "2025-04-22T22:59:59Z"},
		{"2024-03-28 12:00", 1, "2024-04-02T22:59:59Z"},
		/* Christmas 2020 (Boxing Day substitute on Mon 28th), GMT */
		{"2020-12-24 15:00", 2, "2020-12-30T23:59:59Z"},
		/* Christmas 2022 on a Sunday: Mon 26 and Tue 27 are holidays */
		{"2022-12-23 12:00", 1, "2022-12-28T23:59:59Z"},
		/* New Year 2022 substitute Monday */
		{"2021-12-31 17:00", 1, "2022-01-04T23:59:59Z"},
		/* moved and extra holidays */
		{"2020-05-07 10:00", 1, "2020-05-11T22:59:59Z"},
		{"2020-05-01 10:00", 1, "2020-05-04T22:59:59Z"},
		{"2022-06-01 09:00", 1, "2022-06-06T22:59:59Z"},
		{"2022-05-27 09:00", 1, "2022-05-30T22:59:59Z"},
		{"2022-09-16 09:00", 1, "2022-09-20T22:59:59Z"},
		{"2023-05-05 09:00", 1, "2023-05-09T22:59:59Z"},
		/* clocks go forward Sun 26 March 2023: received in GMT, due in BST */
		{"2023-03-24 17:00", 1, "2023-03-27T22:59:59Z"},
		/* clocks go back Sun 29 October 2023: received in BST, due in GMT */
		{"2023-10-27 18:00", 1, "2023-10-30T23:59:59Z"},
		/* a leap day counts */
		{"2024-02-28 09:00", 1, "2024-02-29T23:59:59Z"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cw_time r = T(cases[i].received), due = cw_calendar_due(NULL, r, cases[i].days);
		if (strcmp(utc(due), cases[i].due) != 0)
			fail_msg("received %s, %d days: due %s, expected %s", cases[i].received,
				 cases[i].days, utc(due), cases[i].due);
		if (cases[i].days > 0)
			assert_int_equal(cw_calendar_working_days_between(NULL, r, due), cases[i].days);
	}
}

static void
test_calendar_due_uses_the_london_date(void **state)
{
	/* 23:30 UTC on Friday 3 May 2024 is 00:30 BST on Saturday: the concern
	 * was received on Saturday as far as anyone in Norfolk is concerned. */
	cw_time r = 1714779000;  /* 2024-05-03T23:30:00Z */
	char buf[256];

	(void)state;
	assert_string_equal(utc(r), "2024-05-03T23:30:00Z");
	assert_string_equal(cw_time_format(r, buf, sizeof(buf)), "2024-05-04 00:30 BST");
	assert_string_equal(utc(cw_calendar_due(NULL, r, 0)), "2024-05-07T22:59:59Z");
	cw_calendar_explain_due(NULL, r, 0, buf, sizeof(buf));
	assert_string_equal(buf, "due Tue 7 May 2024 23:59 BST: received on Sat 4 May 2024, not a "
			    "working day, so the next working day (a target of 0 working days), "
			    "not counting Mon 6 May 2024 (Early May bank holiday)");
	/* In winter the London date is the UTC date. */
	r = T("2024-01-05 23:30");
	assert_string_equal(utc(r), "2024-01-05T23:30:00Z");
	assert_string_equal(utc(cw_calendar_due(NULL, r, 0)), "2024-01-05T23:59:59Z");
	cw_calendar_explain_due(NULL, r, 0, buf, sizeof(buf));
	assert_string_equal(buf, "due Fri 5 January 2024 23:59 GMT: the day received (a target of "
			    "0 working days)");
}

static void
test_calendar_due_out_of_range(void **state)
{
	char buf[128];

	(void)state;
	assert_true(cw_calendar_due(NULL, T("2024-05-03 18:30"), -1) == CW_TIME_NONE);
	assert_true(cw_calendar_due(NULL, T("2024-05-03 18:30"), 100001) == CW_TIME_NONE);
	assert_true(cw_calendar_due(NULL, CW_TIME_NONE, 1) == CW_TIME_NONE);
	assert_int_equal(cw_calendar_working_days_between(NULL, CW_TIME_NONE, 0), 0);
	cw_calendar_explain_due(NULL, 0, -1, buf, sizeof(buf));
	assert_string_equal(buf, "no due time (a target of -1 working days is out of range)");
	assert_string_equal(cw_time_format(CW_TIME_NONE, buf, sizeof(buf)), "-");
	/* a long target still answers: 2024 has 262 weekdays less 8 bank holidays */
	assert_string_equal(utc(cw_calendar_due(NULL, T("2024-01-01 09:00"), 254)),
			    "2024-12-31T23:59:59Z");
}

/* ------------------------------------------------------------- closures -- */

static void
test_calendar_closures_at_run_time(void **state)
{
	struct cw_calendar *cal = cw_calendar_new();
	struct cw_error err;
	struct cw_date bad = {2024, 2, 30};
	cw_time r = T("2024-05-03 18:30");
	char buf[256];

	(void)state;
	assert_non_null(cal);
	assert_true(cw_calendar_add_closure(cal, D("2024-05-07"), "staff training day", &err));
	assert_true(cw_calendar_add_closure(cal, D("2024-05-07"), "second name ignored", &err));
	assert_true(cw_calendar_add_closure(cal, D("2024-05-04"), NULL, &err));  /* a Saturday */
	assert_true(cw_calendar_add_closure(cal, D("2024-05-06"), NULL, &err));  /* a bank holiday */
	assert_true(cw_calendar_add_closure(cal, D("2024-12-24"), NULL, &err));
	assert_true(cw_calendar_add_closure(cal, D("2024-01-02"), NULL, &err));  /* out of order */

	assert_false(cw_calendar_is_working_day(cal, D("2024-05-07")));
	assert_true(cw_calendar_is_working_day(NULL, D("2024-05-07")));
	assert_string_equal(cw_calendar_holiday_name(cal, D("2024-05-07")), "staff training day");
	assert_string_equal(cw_calendar_holiday_name(cal, D("2024-05-06")), "Early May bank holiday");
	assert_string_equal(cw_calendar_holiday_name(cal, D("2024-12-24")), "council closure");
	assert_string_equal(cw_calendar_holiday_name(cal, D("2024-01-02")), "council closure");
	assert_null(cw_calendar_holiday_name(cal, D("2024-05-08")));

	assert_string_equal(utc(cw_calendar_due(cal, r, 1)), "2024-05-08T22:59:59Z");
	assert_string_equal(utc(cw_calendar_due(NULL, r, 1)), "2024-05-07T22:59:59Z");
	assert_int_equal(cw_calendar_working_days_between(cal, r, T("2024-05-08 09:00")), 1);
	/* the weekend and bank holiday closures are not counted twice */
	assert_int_equal(cw_calendar_working_days_between(cal, T("2024-05-01 12:00"),
							  T("2024-05-10 12:00")), 5);
	cw_calendar_explain_due(cal, r, 1, buf, sizeof(buf));
	assert_string_equal(buf, "due Wed 8 May 2024 23:59 BST: 1 working day after Fri 3 May 2024, "
			    "not counting Mon 6 May 2024 (Early May bank holiday), Tue 7 May 2024 "
			    "(staff training day)");
	assert_int_equal(cw_calendar_next_working_day(cal, D("2024-05-03")).d, 8);
	assert_int_equal(cw_calendar_next_working_day(cal, D("2024-12-23")).d, 27);

	/* an invalid closure date is refused and changes nothing */
	assert_false(cw_calendar_add_closure(cal, bad, "x", &err));
	assert_string_equal(err.msg, "invalid closure date '2024-02-30'");
	assert_string_equal(err.field, "closure");
	assert_int_equal(err.code, CW_EXIT_USAGE);
	assert_string_equal(utc(cw_calendar_due(cal, r, 1)), "2024-05-08T22:59:59Z");
	cw_calendar_free(cal);
	cw_calendar_free(NULL);
}

static void
test_calendar_many_closures_stay_sorted(void **state)
{
	struct cw_calendar *cal = cw_calendar_new();
	struct cw_error err;
	struct cw_date d = {2030, 1, 1};

	(void)state;
	/* Every Wednesday of 2030, added backwards: the calendar grows and sorts. */
	for (int i = 364; i >= 0; i--) {
		struct cw_date x = cw_date_add_days(d, i);
		if (cw_date_weekday(x) == 3)
			assert_true(cw_calendar_add_closure(cal, x, "midweek closure", &err));
	}
	for (int i = 0; i < 365; i++) {
		struct cw_date x = cw_date_add_days(d, i);
		int wd = cw_date_weekday(x);
		bool expect = wd <= 5 && wd != 3 && cw_calendar_holiday_name(NULL, x) == NULL;
		assert_int_equal(cw_calendar_is_working_day(cal, x), expect);
	}
	cw_calendar_free(cal);
}

/* Counting by formula agrees with walking day by day. */
static void
test_calendar_working_days_between_matches_walking(void **state)
{
	struct cw_calendar *cal = cw_calendar_new();
	struct cw_error err;
	unsigned seed = 12345;

	(void)state;
	assert_true(cw_calendar_add_closure(cal, D("2021-08-31"), NULL, &err));
	assert_true(cw_calendar_add_closure(cal, D("2022-12-24"), NULL, &err));
	assert_true(cw_calendar_add_closure(cal, D("2023-12-29"), NULL, &err));
	for (int i = 0; i < 300; i++) {
		int64_t base = cw_date_to_days(D("2019-06-01"));
		int64_t a, b, lo, hi;
		int walk = 0, got;
		seed = seed * 1103515245u + 12345u;
		a = base + (seed >> 8) % 2200;
		seed = seed * 1103515245u + 12345u;
		b = base + (seed >> 8) % 2200;
		lo = a < b ? a : b;
		hi = a < b ? b : a;
		for (int64_t x = lo + 1; x <= hi; x++)
			walk += cw_calendar_is_working_day(cal, cw_date_from_days(x));
		got = cw_calendar_working_days_between(cal,
			cw_london_end_of_day(cw_date_from_days(a)) - 3600,
			cw_london_end_of_day(cw_date_from_days(b)) - 3600);
		assert_int_equal(got, a <= b ? walk : -walk);
	}
	/* across a year end */
	assert_int_equal(cw_calendar_working_days_between(NULL, T("2023-12-22 10:00"),
							  T("2024-01-05 10:00")), 7);
	assert_int_equal(cw_calendar_working_days_between(NULL, T("2024-01-05 10:00"),
							  T("2023-12-22 10:00")), -7);
	assert_int_equal(cw_calendar_working_days_between(NULL, T("2024-01-05 10:00"),
							  T("2024-01-05 23:00")), 0);
	cw_calendar_free(cal);
}

/* ----------------------------------------------------- dates and times -- */

static void
test_calendar_leap_years(void **state)
{
	struct cw_error err;
	struct cw_date d = {1, 2, 3};

	(void)state;
	assert_true(cw_is_leap_year(2000));
	assert_true(cw_is_leap_year(2024));
	assert_false(cw_is_leap_year(1900));
	assert_false(cw_is_leap_year(2023));
	assert_false(cw_is_leap_year(2100));
	assert_int_equal(cw_days_in_month(2024, 2), 29);
	assert_int_equal(cw_days_in_month(2023, 2), 28);
	assert_int_equal(cw_days_in_month(2000, 2), 29);
	assert_int_equal(cw_days_in_month(1900, 2), 28);
	assert_int_equal(cw_days_in_month(2024, 13), 0);
	assert_true(cw_date_parse("2024-02-29", NULL, &d, &err));
	assert_true(cw_date_parse("2000-02-29", NULL, &d, &err));
	assert_int_equal(cw_date_weekday(D("2024-02-29")), 4);
	assert_int_equal(cw_date_add_days(D("2024-02-28"), 1).d, 29);
	assert_int_equal(cw_date_add_days(D("2024-02-28"), 2).m, 3);
	assert_int_equal(cw_date_add_days(D("2023-02-28"), 1).m, 3);
	assert_int_equal(cw_date_to_days(D("2025-01-01")) - cw_date_to_days(D("2024-01-01")), 366);
	assert_int_equal(cw_date_to_days(D("2024-01-01")) - cw_date_to_days(D("2023-01-01")), 365);
	d.y = 7;
	assert_false(cw_date_parse("2023-02-29", NULL, &d, &err));
	assert_string_equal(err.msg, "invalid date '2023-02-29' (February 2023 has 28 days)");
	assert_false(cw_date_parse("1900-02-29", "--from", &d, &err));
	assert_string_equal(err.msg, "invalid date '1900-02-29' (February 1900 has 28 days)");
	assert_string_equal(err.field, "--from");
	assert_int_equal(d.y, 7);
}

static void
test_calendar_date_parse_rejects_bad_input(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"2018-02-30", "invalid date '2018-02-30' (February 2018 has 28 days)"},
		{"2018-04-31", "invalid date '2018-04-31' (April 2018 has 30 days)"},
		{"2018-04-00", "invalid date '2018-04-00' (day must be 01 to 30 in April 2018)"},
		{"2018-13-01", "invalid date '2018-13-01' (month must be 01 to 12)"},
		{"2018-00-10", "invalid date '2018-00-10' (month must be 01 to 12)"},
		{"0000-01-01", "invalid date '0000-01-01' (year must be 0001 to 9999)"},
		{"2018-1-1", "invalid date '2018-1-1' (expected YYYY-MM-DD)"},
		{"2018/01/01", "invalid date '2018/01/01' (expected YYYY-MM-DD)"},
		{"20180101", "invalid date '20180101' (expected YYYY-MM-DD)"},
		{"2018-01-01 ", "invalid date '2018-01-01 ' (expected YYYY-MM-DD)"},
		{" 2018-01-01", "invalid date ' 2018-01-01' (expected YYYY-MM-DD)"},
		{"2018-01-0a", "invalid date '2018-01-0a' (expected YYYY-MM-DD)"},
		{"+018-01-01", "invalid date '+018-01-01' (expected YYYY-MM-DD)"},
		{"2018-01\n01", "invalid date '2018-01?01' (expected YYYY-MM-DD)"},
		{"", "invalid date '' (expected YYYY-MM-DD)"},
		{"yesterday and also a very long argument indeed",
		 "invalid date 'yesterday and also a very long argument ...' (expected YYYY-MM-DD)"},
		{NULL, "invalid date '' (expected YYYY-MM-DD)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_error err;
		struct cw_date d = {1234, 5, 6};

		cw_error_clear(&err);
		assert_false(cw_date_parse(bad[i].in, NULL, &d, &err));
		assert_string_equal(err.msg, bad[i].msg);
		assert_string_equal(err.field, "date");
		assert_int_equal(err.code, CW_EXIT_USAGE);
		assert_int_equal(d.y, 1234);
		assert_int_equal(d.m, 5);
		assert_int_equal(d.d, 6);
	}
}

static void
test_calendar_month_parse(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"2024-13", "invalid month '2024-13' (month must be 01 to 12)"},
		{"2024-00", "invalid month '2024-00' (month must be 01 to 12)"},
		{"2024-5", "invalid month '2024-5' (expected YYYY-MM)"},
		{"2024-05-01", "invalid month '2024-05-01' (expected YYYY-MM)"},
		{"0000-05", "invalid month '0000-05' (year must be 0001 to 9999)"},
		{"May 2024", "invalid month 'May 2024' (expected YYYY-MM)"},
	};
	struct cw_error err;
	struct cw_date d = {0, 0, 0};

	(void)state;
	assert_true(cw_month_parse("2024-05", "--month", &d, &err));
	assert_int_equal(d.y, 2024);
	assert_int_equal(d.m, 5);
	assert_int_equal(d.d, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_date x = {9, 9, 9};
		assert_false(cw_month_parse(bad[i].in, "--month", &x, &err));
		assert_string_equal(err.msg, bad[i].msg);
		assert_string_equal(err.field, "--month");
		assert_int_equal(x.y, 9);
	}
}

static void
test_calendar_datetime_parse(void **state)
{
	static const struct {
		const char *in, *utc;
	} good[] = {
		{"2024-05-03 18:30", "2024-05-03T17:30:00Z"},
		{"2024-01-15T09:05", "2024-01-15T09:05:00Z"},
		{"2024-01-15 09:05:30", "2024-01-15T09:05:30Z"},
		{"2024-03-31 00:59", "2024-03-31T00:59:00Z"},
		{"2024-03-31 02:00", "2024-03-31T01:00:00Z"},
		/* the repeated hour in autumn: the first (BST) one */
		{"2024-10-27 01:30", "2024-10-27T00:30:00Z"},
		{"2024-10-27 02:30", "2024-10-27T02:30:00Z"},
		{"2024-02-29 12:00", "2024-02-29T12:00:00Z"},
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"2024-03-31 01:30", "invalid time '2024-03-31 01:30' (01:00 to 01:59 does not exist in "
				     "London on 31 March 2024: the clocks go forward an hour)"},
		{"2024-05-03 24:00", "invalid time '2024-05-03 24:00' (hour must be 00 to 23)"},
		{"2024-05-03 12:60", "invalid time '2024-05-03 12:60' (minute must be 00 to 59)"},
		{"2024-05-03 12:00:60", "invalid time '2024-05-03 12:00:60' (second must be 00 to 59)"},
		{"2023-02-29 12:00", "invalid time '2023-02-29 12:00' (February 2023 has 28 days)"},
		{"2024-05-03", "invalid time '2024-05-03' (expected YYYY-MM-DD HH:MM)"},
		{"2024-05-03 9:30", "invalid time '2024-05-03 9:30' (expected YYYY-MM-DD HH:MM)"},
		{"2024-05-03_09:30", "invalid time '2024-05-03_09:30' (expected YYYY-MM-DD HH:MM)"},
		{"2024-05-03 09:30Z", "invalid time '2024-05-03 09:30Z' (expected YYYY-MM-DD HH:MM)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cw_error err;
		cw_time t = 0;
		if (!cw_datetime_parse(good[i].in, NULL, &t, &err))
			fail_msg("%s: %s", good[i].in, err.msg);
		assert_string_equal(utc(t), good[i].utc);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_error err;
		cw_time t = 42;
		assert_false(cw_datetime_parse(bad[i].in, "--at", &t, &err));
		assert_string_equal(err.msg, bad[i].msg);
		assert_string_equal(err.field, "--at");
		assert_true(t == 42);
	}
}

static void
test_calendar_utc_timestamp_parse(void **state)
{
	static const struct {
		const char *in, *utc;
	} good[] = {
		{"2024-05-07T22:59:59Z", "2024-05-07T22:59:59Z"},
		{"2024-05-07 22:59:59+00", "2024-05-07T22:59:59Z"},
		{"2024-05-07 23:59:59+01", "2024-05-07T22:59:59Z"},
		{"2024-05-07 23:59:59.123456+01:00", "2024-05-07T22:59:59Z"},
		{"2024-05-07 17:29:59-0530", "2024-05-07T22:59:59Z"},
		{"2024-12-31 23:30:00-01", "2025-01-01T00:30:00Z"},
	};
	static const char *const bad[] = {
		"2024-05-07T22:59:59", "2024-05-07T22:59Z", "2024-05-07T22:59:59ZZ",
		"2024-05-07T22:59:59.Z", "2024-05-07T22:59:59+1", "2024-05-07T22:59:59+01:0",
		"2024-05-07T24:00:00Z", "2024-05-07 22:59:59+00 ", "", NULL,
	};
	struct cw_error err;
	cw_time t = 42;
	char buf[CW_DATETIME_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!cw_time_parse_utc(good[i].in, NULL, &t, &err))
			fail_msg("%s: %s", good[i].in, err.msg);
		assert_string_equal(utc(t), good[i].utc);
	}
	/* what cw_time_format_utc writes reads back */
	assert_true(cw_time_parse_utc(cw_time_format_utc(1714779000, buf, sizeof(buf)), NULL, &t,
				      &err));
	assert_true(t == 1714779000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[160];
		t = 42;
		assert_false(cw_time_parse_utc(bad[i], "due", &t, &err));
		snprintf(want, sizeof(want), "invalid timestamp '%s' (expected YYYY-MM-DDTHH:MM:SSZ)",
			 bad[i] ? bad[i] : "");
		assert_string_equal(err.msg, want);
		assert_string_equal(err.field, "due");
		assert_true(t == 42);
	}
	assert_false(cw_time_parse_utc("2023-02-29T10:00:00Z", NULL, &t, &err));
	assert_string_equal(err.msg, "invalid timestamp '2023-02-29T10:00:00Z' (February 2023 has 28 days)");
}

static void
test_calendar_bst_transitions(void **state)
{
	struct cw_datetime l;
	char buf[CW_DATETIME_LEN];

	(void)state;
	/* 2024: forward at 01:00 UTC on 31 March, back at 01:00 UTC on 27 October */
	assert_false(cw_london_is_bst(1711846799));   /* 2024-03-31T00:59:59Z */
	assert_true(cw_london_is_bst(1711846800));    /* 2024-03-31T01:00:00Z */
	assert_true(cw_london_is_bst(1729990799));    /* 2024-10-27T00:59:59Z */
	assert_false(cw_london_is_bst(1729990800));   /* 2024-10-27T01:00:00Z */
	l = cw_time_to_london(1711846799);
	assert_int_equal(l.hh, 0);
	assert_int_equal(l.mi, 59);
	assert_int_equal(l.utc_offset, 0);
	l = cw_time_to_london(1711846800);
	assert_int_equal(l.hh, 2);
	assert_int_equal(l.mi, 0);
	assert_int_equal(l.utc_offset, 3600);
	assert_string_equal(cw_time_format(1729990799, buf, sizeof(buf)), "2024-10-27 01:59 BST");
	assert_string_equal(cw_time_format(1729990800, buf, sizeof(buf)), "2024-10-27 01:00 GMT");
	/* 2023: forward on Sun 26 March, back on Sun 29 October */
	assert_false(cw_london_is_bst(T("2023-03-26 00:30")));
	assert_true(cw_london_is_bst(T("2023-03-26 03:00")));
	assert_true(cw_london_is_bst(T("2023-10-28 12:00")));
	assert_false(cw_london_is_bst(T("2023-10-29 12:00")));
	/* a spring-gap wall time is read as GMT */
	l.y = 2024;
	l.m = 3;
	l.d = 31;
	l.hh = 1;
	l.mi = 30;
	l.ss = 0;
	assert_string_equal(utc(cw_london_to_time(l)), "2024-03-31T01:30:00Z");
	assert_string_equal(utc(cw_london_end_of_day(D("2024-03-31"))), "2024-03-31T22:59:59Z");
	assert_string_equal(utc(cw_london_end_of_day(D("2024-10-27"))), "2024-10-27T23:59:59Z");
}

static void
test_calendar_date_helpers(void **state)
{
	char buf[CW_DATE_LONG_LEN];
	struct cw_date d;

	(void)state;
	assert_int_equal(cw_date_to_days(D("1970-01-01")), 0);
	assert_int_equal(cw_date_to_days(D("2000-03-01")), 11017);
	assert_int_equal(cw_date_to_days(D("1969-12-31")), -1);
	assert_int_equal(cw_date_to_days(D("0001-01-01")), -719162);
	d = cw_date_from_days(-719162);
	assert_int_equal(d.y, 1);
	d = cw_date_from_time(-1);
	assert_string_equal(cw_date_format(d, buf, sizeof(buf)), "1969-12-31");
	assert_true(cw_date_to_time(D("2024-05-03")) == 1714694400);
	d = cw_date_from_time(1714694400 + 86399);
	assert_string_equal(cw_date_format(d, buf, sizeof(buf)), "2024-05-03");
	d = cw_london_date(1714694400 + 86399);  /* 23:59:59Z is 00:59:59 BST next day */
	assert_string_equal(cw_date_format(d, buf, sizeof(buf)), "2024-05-04");
	assert_int_equal(cw_date_weekday(D("1970-01-01")), 4);
	assert_int_equal(cw_date_weekday(D("2024-05-05")), 7);
	assert_int_equal(cw_date_weekday(D("2024-05-06")), 1);
	assert_int_equal(cw_date_cmp(D("2024-05-06"), D("2024-05-07")), -1);
	assert_int_equal(cw_date_cmp(D("2024-06-01"), D("2024-05-31")), 1);
	assert_int_equal(cw_date_cmp(D("2024-05-06"), D("2024-05-06")), 0);
	assert_string_equal(cw_date_format_long(D("2025-12-31"), buf, sizeof(buf)),
			    "Wed 31 December 2025");
	assert_string_equal(cw_date_format_long(D("2025-09-30"), buf, sizeof(buf)),
			    "Tue 30 September 2025");
	assert_true(cw_date_valid(D("9999-12-31")));
	d.y = 10000;
	d.m = 1;
	d.d = 1;
	assert_false(cw_date_valid(d));
	assert_string_equal(cw_date_format(cw_date_add_days(D("2024-12-31"), -366), buf, sizeof(buf)),
			    "2023-12-31");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_easter_known_answers),
		cmocka_unit_test(test_calendar_bank_holidays_whole_years),
		cmocka_unit_test(test_calendar_bank_holidays_respects_max),
		cmocka_unit_test(test_calendar_christmas_and_new_year_substitutes),
		cmocka_unit_test(test_calendar_moved_and_extra_bank_holidays),
		cmocka_unit_test(test_calendar_due_friday_evening_before_bank_holiday),
		cmocka_unit_test(test_calendar_due_known_answers),
		cmocka_unit_test(test_calendar_due_uses_the_london_date),
		cmocka_unit_test(test_calendar_due_out_of_range),
		cmocka_unit_test(test_calendar_closures_at_run_time),
		cmocka_unit_test(test_calendar_many_closures_stay_sorted),
		cmocka_unit_test(test_calendar_working_days_between_matches_walking),
		cmocka_unit_test(test_calendar_leap_years),
		cmocka_unit_test(test_calendar_date_parse_rejects_bad_input),
		cmocka_unit_test(test_calendar_month_parse),
		cmocka_unit_test(test_calendar_datetime_parse),
		cmocka_unit_test(test_calendar_utc_timestamp_parse),
		cmocka_unit_test(test_calendar_bst_transitions),
		cmocka_unit_test(test_calendar_date_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
