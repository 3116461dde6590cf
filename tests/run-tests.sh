#!/usr/bin/env bash
# Runs every test program against a throwaway PostgreSQL 15 cluster of its own.
#
# The cluster (tools/pgcluster.sh) lives in a fresh temp dir with a private
# socket and port, fsync off; as root it is run by the unprivileged `postgres`
# user (PostgreSQL refuses root).  A template database `carewatch_tmpl` is
# migrated once; integration tests clone it (tests/testlib.c).  The server is stopped by a trap even after a failure,
# and its log is printed when anything failed.
#
#   tests/run-tests.sh build/test/test_a build/test/test_b ...
#   CW_UNIT_ONLY=1 ...   skip the server; integration tests skip themselves
#   CW_KEEP=1 ...        keep the cluster's directory for a post-mortem
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)

[ $# -gt 0 ] || { echo "usage: $0 TEST..." >&2; exit 2; }

export CW_BIN="$top/build/test/carewatch" CW_TOP="$top"
# make valgrind: the same tests, unsanitised, each program and every binary
# they spawn under valgrind (tools/vg-carewatch); an error or a definite
# leak makes the program exit 99.
run=()
if [ -n "${CW_VALGRIND:-}" ]; then
	export CW_BIN="$top/tools/vg-carewatch"
	run=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
fi
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export NO_COLOR=1
export TZ=UTC
unset PGSERVICE PGDATABASE PGPASSWORD PGOPTIONS

# shellcheck source=../tools/pgcluster.sh
. "$top/tools/pgcluster.sh"
tmp=""
failed=0

stop_server() {
	if [ -n "$tmp" ]; then
		pgc_stop immediate
		if [ "$failed" -ne 0 ] && [ -f "$tmp/server.log" ]; then
			echo "---- PostgreSQL server log ($tmp/server.log) ----"
			tail -n 60 "$tmp/server.log"
			echo "---- end of server log ----"
		fi
		if [ -n "${CW_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
	fi
}
trap stop_server EXIT
trap 'failed=1; exit 130' INT TERM

start_server() {
	tmp=$(mktemp -d /tmp/carewatch-test.XXXXXX)
	pgc_use "$tmp" && pgc_init --no-sync || { failed=1; return 1; }
	# A port of our own: start from one derived from our pid and move on if taken.
	pgc_configure "$(pgc_free_port $((20000 + $$ % 20000)))" off \
		"max_connections = 60" "shared_buffers = 128MB" || { failed=1; return 1; }
	pgc_start "$tmp/server.log" || { failed=1; return 1; }
	pgc_env
	export PGUSER=cw_owner PGDATABASE=carewatch_tmpl
	pgc_psql -d postgres \
		-c "CREATE ROLE cw_owner LOGIN CREATEROLE CREATEDB" \
		-c "CREATE DATABASE carewatch_tmpl OWNER cw_owner" || { failed=1; return 1; }
	"$CW_BIN" db migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; failed=1; return 1; }
	export CW_TEST_TEMPLATE=carewatch_tmpl CW_TEST_PGBIN="$PGC_BIN"
	# Tests scan the server log for free text (tl_server_log_contains).
	export CW_SERVER_LOG="$tmp/server.log"
}

if [ -z "${CW_UNIT_ONLY:-}" ]; then
	start_server || { echo "carewatch: error: could not start the test cluster" >&2; exit 1; }
fi

passed_n=0 failed_n=0
for t in "$@"; do
	out=$(mktemp)
	"${run[@]}" "$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	rm -f "$out"
	passed_n=$((passed_n + p)); failed_n=$((failed_n + f))
	if [ "$rc" -ne 0 ]; then
		failed=1
		[ "$f" -eq 0 ] && failed_n=$((failed_n + 1))   # crashed before cmocka's summary
		echo "FAILED: $t (exit $rc)"
	fi
done
# After every test's bad input, the server log holds no statement text, no
# DETAIL line (a failing row) and no parameters: free text never reaches it
# (docs/operations.md, "The server log").  One more test, counted as such.
if [ -z "${CW_UNIT_ONLY:-}" ] && [ -f "$tmp/server.log" ]; then
	leaks=$(grep -nE 'STATEMENT: |DETAIL: |Failing row contains|parameters: ' "$tmp/server.log" | head -5)
	if [ -n "$leaks" ]; then
		echo "FAILED: the server log holds statement text or row data:"
		echo "$leaks"
		failed=1; failed_n=$((failed_n + 1))
	else
		echo "[  PASSED  ] 1 test(s): the server log holds no statement text or row data"
		passed_n=$((passed_n + 1))
	fi
fi
echo
echo "tests: $passed_n passed, $failed_n failed"
exit $failed
