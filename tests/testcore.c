/*
 * testcore.c - helpers for every test, the pure modules' unit tests
 * included (testcore.h): nothing here may need libpq.
 */
#include <stdio.h>
#include <stdlib.h>

#include "testcore.h"

const char *
tl_path(const char *rel)
{
	static char buf[1024];
	const char *top = getenv("CW_TOP");

	snprintf(buf, sizeof(buf), "%s/tests/%s", top ? top : ".", rel);
	return buf;
}
