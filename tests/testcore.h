/*
 * testcore.h - what the unit tests of the pure modules (src/ files in
 * CORE_MODULES, Makefile) need: cmocka and the test data's path.  These
 * tests link the pure modules only, without libpq or the database layer,
 * so a pure module that calls the database no longer links (the layers
 * in docs/architecture.md, enforced by the build).
 */
#ifndef CAREWATCH_TESTCORE_H
#define CAREWATCH_TESTCORE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>

/* Path of a file under tests/ (CW_TOP, set by run-tests.sh, or "."). */
const char *tl_path(const char *rel);

#endif
