/*
 * test_lazylib.c - libcurl, libxml2, libzip and libjansson load on first use.
 *
 * lazylib.c keeps the four libraries only four commands need out of every
 * other command's start-up (issue 20).  The dynamic loader says what it
 * maps (LD_DEBUG=files): a command that uses none of them maps none, while
 * libpq, which is linked, shows the report is read right.  In this process
 * the first call through a wrapper loads its library, and only that one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/lazylib.h"
#include "testlib.h"

static const char *const lazy[] = {"libcurl.so", "libxml2.so", "libzip.so", "libjansson.so"};

/* The loader's report of the files the binary maps for args. */
static char *
mapped(const char *const argv[])
{
	char *out, *err;

	assert_int_equal(tl_run(argv, NULL, &out, &err, "LD_DEBUG=files"), 0);
	free(out);
	return err;
}

static void
test_lazylib_a_plain_command_maps_none_of_them(void **state)
{
	const char *const *cmds[] = {TL_ARGV("version"), TL_ARGV("provider", "list", "--help"),
				     TL_ARGV("help", "import")};

	(void)state;
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		char *log = mapped(cmds[c]);
		char want[64];

		assert_non_null(strstr(log, "file=libpq.so.5"));
		for (size_t i = 0; i < sizeof(lazy) / sizeof(lazy[0]); i++) {
			snprintf(want, sizeof(want), "file=%s", lazy[i]);
			if (strstr(log, want) != NULL)
				fail_msg("'carewatch %s' mapped %s", cmds[c][0], lazy[i]);
		}
		free(log);
	}
}

static void
test_lazylib_first_call_loads_its_library_only(void **state)
{
	json_error_t e;
	json_t *j;

	(void)state;
	assert_string_equal(cw_lazylib_loaded(), "");
	j = json_loadb("[1, 2]", 6, 0, &e);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 2);
	assert_int_equal(json_integer_value(json_array_get(j, 1)), 2);
	json_decref(j);
	assert_string_equal(cw_lazylib_loaded(), "libjansson");
	zip_stat_t st;
	zip_stat_init(&st);
	assert_string_equal(cw_lazylib_loaded(), "libzip libjansson");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazylib_a_plain_command_maps_none_of_them),
		cmocka_unit_test(test_lazylib_first_call_loads_its_library_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
