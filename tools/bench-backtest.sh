#!/usr/bin/env bash
# tools/bench-backtest.sh - `carewatch backtest` over 24 month ends (issue 19).
#
# Goals: a 24-month backtest at national scale (30,000 providers, 10 million
# intelligence records: tools/bench-data.sh's data set) in under 5 minutes,
# Norfolk (760 providers, build/cwgen's default scale) in under 10 seconds,
# memory bounded by providers (x month ends), not by records.  Each is timed
# as a person waits for it (the whole command, output included), the median
# of BENCH_RUNS runs, with the peak memory (max RSS) of the runs; the
# figures are printed against their goals.
#
# Both data sets end on BENCH_AS_OF - 1 (2026-01-04).  The 24 month ends are
# January 2024 to December 2025 with --as-of the data's last day and the
# default 12-month horizon: every month end is scored at every provider, and
# the first 12 (whose outcome windows have passed) make the statistics.
#
#   tools/bench.sh backtest
#   BENCH_RUNS=3 tools/bench-backtest.sh
#   BENCH_CW=/path/to/carewatch ...      time another binary (as bench-data.sh)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
runs=${BENCH_RUNS:-3}
cw=${BENCH_CW:-$top/bin/carewatch}
[ -x "$cw" ] && [ -x "$top/build/cwgen" ] || make -s bin/carewatch build/cwgen >/dev/null || exit 1

# shellcheck source=bench-data.sh
. "$top/tools/bench-data.sh"
started_here=""
pgc_running 2>/dev/null || started_here=1
bench_cluster_start || exit 1
[ -n "$started_here" ] && trap bench_cluster_stop EXIT
unset PGSERVICE PGOPTIONS PGPASSWORD
export NO_COLOR=1

data_as_of=$(date -d "$BENCH_AS_OF - 1 day" +%Y-%m-%d)
args=(backtest --from 2024-01 --to 2025-12 --as-of "$data_as_of" --rules "$top/rules/default.rules" --quiet --format csv)

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_runs NAME: BENCH_RUNS timed runs of the backtest on $PGDATABASE;
# sets med (seconds), peak (kB) and keeps the last output in $out.
out=""
time_runs() {
	local times=() peaks=() t0 t1 one i
	out=$(mktemp /tmp/carewatch-bench-backtest.XXXXXX)
	for i in $(seq 1 "$runs"); do
		t0=$(date +%s.%N)
		one=$(/usr/bin/time -f '%M' "$cw" "${args[@]}" 2>&1 >"$out" | tail -n 1) || {
			echo "bench-backtest: the backtest failed on $PGDATABASE" >&2
			cat "$out" >&2
			return 1
		}
		t1=$(date +%s.%N)
		times+=("$(echo "$t1 - $t0" | bc -l)")
		peaks+=("$one")
		printf '%s run %d: %.2f s, peak %s kB\n' "$1" "$i" "${times[-1]}" "$one"
	done
	med=$(printf '%s\n' "${times[@]}" | median)
	peak=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -n 1)
}

# What the run saw, from its own output: providers, records, observations.
seen() {
	awk -F, '/^# months/ { f = 1; getline; next } f && NF == 0 { f = 0 } f { n++; p += $3 }
		END { printf "%d month ends, %d provider-month ends scored", n, p }' "$out"
	echo
	sed -n 's/^All providers,\([^,]*\),\([0-9]*\),\([0-9]*\),\([0-9.]*\),.*/  AUC \4 (\1; \2 observations, \3 adverse)/p' "$out"
}

# ---- national
bench_national_data || exit 1
"$cw" db migrate >/dev/null || exit 1
echo "national: $(pgc_psql -d "$PGDATABASE" -At -c "SELECT count(*) FROM provider") providers"
time_runs national || exit 1
nat_med=$med nat_peak=$peak
seen
nat_scored=$(awk -F, '/^# months/ { f = 1; getline; next } f && NF == 0 { f = 0 } f { p += $3 } END { print p }' "$out")
rm -f "$out"

# ---- Norfolk: build/cwgen's default scale in a database of its own,
# generated once per generator version (as the national set is).
export PGDATABASE=carewatch_norfolk_backtest
stamp="$BENCH_DIR/norfolk-backtest.stamp"
want="cwgen $(md5sum <"$top/tools/cwgen.c" | cut -c1-12) scale norfolk seed $BENCH_SEED as-of $BENCH_AS_OF"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
	pgc_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'" | grep -q 1; then
	echo "bench: reusing the Norfolk data set ($want)"
else
	rm -f "$stamp"
	pgc_psql -d postgres -c "DROP DATABASE IF EXISTS $PGDATABASE" -c "CREATE DATABASE $PGDATABASE OWNER cw_owner" >/dev/null || exit 1
	"$cw" db migrate >/dev/null && "$cw" rules activate "$top/rules/default.rules" >/dev/null &&
		"$top/build/cwgen" --quiet --seed "$BENCH_SEED" --as-of "$BENCH_AS_OF" --rules "$top/rules/default.rules" &&
		pgc_psql -d "$PGDATABASE" -c "VACUUM (ANALYZE)" >/dev/null || exit 1
	echo "$want" >"$stamp"
fi
"$cw" db migrate >/dev/null || exit 1
time_runs Norfolk || exit 1
nor_med=$med nor_peak=$peak
seen
nor_scored=$(awk -F, '/^# months/ { f = 1; getline; next } f && NF == 0 { f = 0 } f { p += $3 } END { print p }' "$out")
rm -f "$out"

verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? "met" : "NOT MET" }'; }
printf '\n24-month backtest, median of %d runs:\n' "$runs"
printf 'national (%s provider-month ends):  %7.1f s   (goal < 300 s: %s)\n' "$nat_scored" "$nat_med" "$(verdict "$nat_med" 300)"
printf 'Norfolk (%s provider-month ends):     %7.2f s   (goal < 10 s: %s)\n' "$nor_scored" "$nor_med" "$(verdict "$nor_med" 10)"
printf 'peak memory: national %.1f MB, Norfolk %.1f MB: %.0f bytes per provider-month end nationally\n' \
	"$(echo "$nat_peak / 1024" | bc -l)" "$(echo "$nor_peak / 1024" | bc -l)" \
	"$(echo "$nat_peak * 1024 / $nat_scored" | bc -l)"
printf '  (goal: bounded by providers x month ends, not by the %s records)\n' \
	"$(pgc_psql -d carewatch_national -At -c "SELECT (SELECT count(*) FROM concern) + (SELECT count(*) FROM visit)
	   + (SELECT count(*) FROM safeguarding) + (SELECT count(*) FROM cqc_rating) + (SELECT count(*) FROM ipc_inspection)
	   + (SELECT count(*) FROM survey) + (SELECT count(*) FROM restriction) + (SELECT count(*) FROM performance_notice)
	   + (SELECT count(*) FROM provider_loss)")"
