#!/usr/bin/env bash
# tools/bench-nightly.sh - the nightly batch at national scale (issue 6):
# median wall time of `carewatch nightly` against the bare
# `COPY (SELECT <the columns the nightly reads>) TO STDOUT` of the same data,
# their ratio (goal: at most 1.5), and the nightly's peak memory (goal: under
# 200 MB).  Uses tools/bench-data.sh's national data set (30,000 providers,
# 10 million intelligence records), generated once and reused.
#
#   BENCH_RUNS=3 tools/bench.sh nightly
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. tools/bench-data.sh
runs=${BENCH_RUNS:-3}
cw=${BENCH_CW:-bin/carewatch}

started_here=""
pgc_running 2>/dev/null || started_here=1
bench_cluster_start || exit 1
[ -n "$started_here" ] && trap bench_cluster_stop EXIT
bench_national_data || exit 1

# The exact statement the nightly streams, without its ORDER BY: the bare
# read of the same columns from the same views.
query=$("$cw" nightly --show-query | sed 's/ ORDER BY 1$//')
[ -n "$query" ] || { echo "bench-nightly: cannot get the nightly's query" >&2; exit 1; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

# Every run is a new night: its as-of is the day after the latest run's, so
# each one recomputes and publishes every provider's score (a rerun for the
# same as-of would write nothing and flatter the figure).
next_as_of() {
	psql -X -At -c "SELECT greatest(date '$BENCH_AS_OF', coalesce(max((as_of AT TIME ZONE 'Europe/London')::date) + 1,
	                date '$BENCH_AS_OF')) FROM nightly_run WHERE outcome = 'succeeded'"
}

copy_times=() nightly_times=() peaks=()
for i in $(seq 1 "$runs"); do
	as_of=$(next_as_of)
	t0=$(now)
	psql -X -q -c "COPY ($query) TO STDOUT" >/dev/null || exit 1
	t1=$(now)
	copy_times+=("$(echo "$t1 - $t0" | bc -l)")
	t0=$(now)
	peak=$(/usr/bin/time -f '%M' "$cw" nightly --as-of "$as_of" --quiet 2>&1 >/dev/null | tail -n 1)
	t1=$(now)
	nightly_times+=("$(echo "$t1 - $t0" | bc -l)")
	peaks+=("$peak")
	written=$(psql -X -At -c "SELECT scores_written FROM nightly_run WHERE outcome = 'succeeded' ORDER BY started_at DESC LIMIT 1")
	echo "run $i: copy $(printf '%.2f' "${copy_times[-1]}") s, nightly (as of $as_of, $written scores written) $(printf '%.2f' "${nightly_times[-1]}") s, peak ${peak} kB"
done
copy_med=$(printf '%s\n' "${copy_times[@]}" | median)
night_med=$(printf '%s\n' "${nightly_times[@]}" | median)
peak_max=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -n 1)
records=$(psql -X -At -c "SELECT records FROM nightly_run WHERE outcome = 'succeeded' ORDER BY started_at DESC LIMIT 1")
printf 'records streamed:        %s\n' "$records"
printf 'bare COPY median:        %.2f s\n' "$copy_med"
printf 'carewatch nightly median: %.2f s\n' "$night_med"
printf 'ratio:                   %.2f (goal <= 1.5)\n' "$(echo "$night_med / $copy_med" | bc -l)"
printf 'nightly peak memory:     %.1f MB (goal < 200 MB)\n' "$(echo "$peak_max / 1024" | bc -l)"
