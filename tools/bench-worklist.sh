#!/usr/bin/env bash
# tools/bench-worklist.sh - `worklist` and `caseload` at national scale.
#
# Issue 5: with 50,000 open cases among a million closed ones, an officer's
# `carewatch worklist` and the manager's `carewatch caseload` each answer in
# under 50 ms.  The time is the whole command as a person waits for it
# (process start, connection, queries, output), N runs each after a warm-up;
# the medians are printed against the 50 ms goal.  Then each command is run
# once more under auto_explain, so the plans printed are EXPLAIN (ANALYZE,
# BUFFERS) of exactly the queries the binary sends, showing the indexes used.
#
#   tools/bench-worklist.sh                  N=20 runs of each
#   CW_BENCH_N=50 tools/bench-worklist.sh
#   BENCH_CW=/path/to/carewatch ...          time another binary (as bench-data.sh)
#
# The data is the benchmarks' shared national data set (tools/bench-data.sh:
# 30,000 providers, 10 million intelligence records, about 1,700 officers,
# 50,000 open and about a million closed cases), generated once and kept in
# build/bench/.  It may predate later migrations, so `db migrate` runs first
# (005_worklist.sql adds the caseload index the command relies on).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

n=${CW_BENCH_N:-20}
goal_ms=50
bin=${BENCH_CW:-$top/bin/carewatch}
[ -x "$bin" ] && [ -x "$top/build/cwgen" ] || make -s bin/carewatch build/cwgen >/dev/null

# shellcheck source=bench-data.sh
. "$top/tools/bench-data.sh"
tmp=$(mktemp -d /tmp/carewatch-bench-worklist.XXXXXX)
cleanup() {
	bench_cluster_stop || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_cluster_start
bench_national_data
log="$BENCH_DIR/server.log"
unset PGSERVICE PGOPTIONS PGPASSWORD
export NO_COLOR=1
"$bin" db migrate >/dev/null
"$bin" db role add bench_manager --as manager >/dev/null
echo "data: $(pgc_psql -d "$PGDATABASE" -At -c \
	"SELECT count(*) FILTER (WHERE state <> 'closed') || ' open and ' || count(*) FILTER (WHERE state = 'closed')
	  || ' closed cases, ' || (SELECT count(*) FROM officer) || ' officers' FROM case_file")"

# The officer whose worklist is timed: one with a typical caseload.
officer=$(pgc_psql -d "$PGDATABASE" -At -c \
	"SELECT assigned_to FROM case_file WHERE state <> 'closed' AND assigned_to IS NOT NULL
	  GROUP BY assigned_to ORDER BY abs(count(*) - 46), assigned_to LIMIT 1")
held=$(pgc_psql -d "$PGDATABASE" -At -c \
	"SELECT count(*) FROM case_file WHERE state <> 'closed' AND assigned_to = '$officer'")

team=$(pgc_psql -d "$PGDATABASE" -At -c "SELECT count(*) FROM officer")
export PGUSER=bench_manager
worklist=("$bin" worklist --officer "$officer")
caseload=("$bin" caseload)

# Wall time of one run in microseconds, read from bash's own clock
# ($EPOCHREALTIME) so that no `date` process is timed with the command.
time_us() {
	local t0 t1
	t0=${EPOCHREALTIME/[.,]/}
	"$@" >/dev/null 2>"$tmp/err" || { echo "bench-worklist: '$*' failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	t1=${EPOCHREALTIME/[.,]/}
	echo $((t1 - t0))
}

median() {
	sort -n | awk '{v[NR] = $1} END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f\n", m }'
}

for _ in 1 2 3; do            # warm-up: page cache, catalog, binaries
	time_us "${worklist[@]}" >/dev/null
	time_us "${caseload[@]}" >/dev/null
done
: >"$tmp/worklist.us"
: >"$tmp/caseload.us"
for _ in $(seq 1 "$n"); do
	time_us "${worklist[@]}" >>"$tmp/worklist.us"
	time_us "${caseload[@]}" >>"$tmp/caseload.us"
done

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
verdict() { awk -v u="$1" -v g="$goal_ms" 'BEGIN { print (u / 1000 < g) ? "ok" : "SLOWER THAN THE GOAL" }'; }
wl=$(median <"$tmp/worklist.us")
cl=$(median <"$tmp/caseload.us")
printf '\nworklist and caseload at national scale, %d runs each (load average now %s):\n' "$n" \
	"$(cut -d' ' -f1 /proc/loadavg)"
printf '  carewatch worklist %s (%s open cases)   median %7s ms  (goal < %d ms: %s)\n' \
	"$officer" "$held" "$(ms "$wl")" "$goal_ms" "$(verdict "$wl")"
printf '  carewatch caseload (%s officers)         median %7s ms  (goal < %d ms: %s)\n' "$team" \
	"$(ms "$cl")" "$goal_ms" "$(verdict "$cl")"

# The plans of the queries each command sends, from auto_explain in the
# server log (superuser only: it loads a library into the session).
explain() {
	local name=$1 from
	shift
	from=$(($(wc -l <"$log") + 1))
	PGUSER=postgres PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on -c auto_explain.log_timing=on" \
		"$@" >/dev/null
	sleep 0.2
	printf '\nEXPLAIN (ANALYZE, BUFFERS) of every query %s sends:\n' "$name"
	# The plan blocks only: a block starts at auto_explain's "plan:" line
	# and ends at the next line the server log prefixes.
	tail -n +"$from" "$log" | awk '
		/LOG:  duration: .* plan:/ { inplan = 1; print; next }
		/^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] / { inplan = 0 }
		inplan' | sed -e 's/^[0-9-]* [0-9:.]* [A-Z]* \[[0-9]*\] //' -e 's/^/  /'
}
explain "carewatch worklist --officer $officer" "${worklist[@]}"
explain "carewatch caseload" "${caseload[@]}"
