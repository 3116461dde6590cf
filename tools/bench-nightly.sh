#!/usr/bin/env bash
# tools/bench-nightly.sh - the nightly batch at national scale (issues 6 and
# 20): wall time of `carewatch nightly` with one reader and with two (the
# default) against the bare `COPY (SELECT <the columns the nightly reads>)
# TO STDOUT` of the same data, their ratios (goal: at most 1.0x the bare
# COPY, issue 20; the brief's own bound is 1.5x), and the nightly's peak
# memory (goal: under 200 MB).  Uses tools/bench-data.sh's national data set
# (30,000 providers, 10 million intelligence records), generated once and
# reused.  Each run times all three, in turns (the order reversed every
# other run, so a busy spell on this shared machine does not always land on
# the same one); the median and the minimum of each are given, the minimum
# being the figure least moved by other work.
#
#   BENCH_RUNS=5 tools/bench.sh nightly
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
minimum() { sort -n | head -n 1; }
now() { date +%s.%N; }

# Every run is a new night: its as-of is the day after the latest run's, so
# each one recomputes and publishes every provider's score (a rerun for the
# same as-of would write nothing and flatter the figure).
next_as_of() {
	psql -X -At -c "SELECT greatest(date '$BENCH_AS_OF', coalesce(max((as_of AT TIME ZONE 'Europe/London')::date) + 1,
	                date '$BENCH_AS_OF')) FROM nightly_run WHERE outcome = 'succeeded'"
}

copy_times=() r1_times=() r2_times=() peaks1=() peaks2=()
time_copy() {
	local t0 t1
	t0=$(now)
	psql -X -q -c "COPY ($query) TO STDOUT" >/dev/null || return 1
	t1=$(now)
	copy_times+=("$(echo "$t1 - $t0" | bc -l)")
	line+=" copy $(printf '%.2f' "${copy_times[-1]}") s,"
}
# time_nightly N: one night with N readers.
time_nightly() {
	local n=$1 as_of t0 t1 peak written t
	as_of=$(next_as_of)
	t0=$(now)
	peak=$(/usr/bin/time -f '%M' "$cw" nightly --as-of "$as_of" --readers "$n" --quiet 2>&1 >/dev/null | tail -n 1)
	t1=$(now)
	written=$(psql -X -At -c "SELECT scores_written FROM nightly_run WHERE outcome = 'succeeded' ORDER BY started_at DESC LIMIT 1")
	[ "$written" -gt 0 ] 2>/dev/null || { echo "bench-nightly: the run with $n readers wrote no scores" >&2; return 1; }
	if [ "$n" = 1 ]; then r1_times+=("$(echo "$t1 - $t0" | bc -l)"); peaks1+=("$peak"); t=${r1_times[-1]}
	else r2_times+=("$(echo "$t1 - $t0" | bc -l)"); peaks2+=("$peak"); t=${r2_times[-1]}; fi
	line+=" $n reader$([ "$n" = 1 ] || echo s) $(printf '%.2f' "$t") s (${peak} kB),"
}
for i in $(seq 1 "$runs"); do
	line="run $i:"
	if [ $((i % 2)) = 1 ]; then
		time_copy && time_nightly 1 && time_nightly 2 || exit 1
	else
		time_nightly 2 && time_nightly 1 && time_copy || exit 1
	fi
	echo "${line%,} (load $(cut -d' ' -f1 /proc/loadavg))"
done
copy_med=$(printf '%s\n' "${copy_times[@]}" | median)
copy_min=$(printf '%s\n' "${copy_times[@]}" | minimum)
r1_med=$(printf '%s\n' "${r1_times[@]}" | median)
r1_min=$(printf '%s\n' "${r1_times[@]}" | minimum)
r2_med=$(printf '%s\n' "${r2_times[@]}" | median)
r2_min=$(printf '%s\n' "${r2_times[@]}" | minimum)
peak1=$(printf '%s\n' "${peaks1[@]}" | sort -n | tail -n 1)
peak2=$(printf '%s\n' "${peaks2[@]}" | sort -n | tail -n 1)
records=$(psql -X -At -c "SELECT records FROM nightly_run WHERE outcome = 'succeeded' ORDER BY started_at DESC LIMIT 1")
ratio() { echo "$1 / $2" | bc -l; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g) ? "met" : "not met" }'; }
r1_ratio=$(ratio "$r1_med" "$copy_med")
r2_ratio=$(ratio "$r2_med" "$copy_med")
r2_ratio_min=$(ratio "$r2_min" "$copy_min")
printf 'records streamed:              %s (%s runs; cores: %s)\n' "$records" "$runs" "$(nproc)"
printf 'bare COPY:                     median %.2f s, min %.2f s\n' "$copy_med" "$copy_min"
printf 'nightly, 1 reader:             median %.2f s, min %.2f s\n' "$r1_med" "$r1_min"
printf 'nightly, 2 readers (default):  median %.2f s, min %.2f s\n' "$r2_med" "$r2_min"
printf 'ratio, 1 reader:               %.2f (median), %.2f (min)\n' "$r1_ratio" "$(ratio "$r1_min" "$copy_min")"
printf 'ratio, 2 readers:              %.2f (median), %.2f (min) (goal <= 1.0: %s; brief <= 1.5: %s)\n' \
	"$r2_ratio" "$r2_ratio_min" "$(verdict "$r2_ratio" 1.0)" "$(verdict "$r2_ratio" 1.5)"
printf 'nightly peak memory:           %.1f MB with 1 reader, %.1f MB with 2 (goal < 200 MB: %s)\n' \
	"$(echo "$peak1 / 1024" | bc -l)" "$(echo "$peak2 / 1024" | bc -l)" \
	"$(verdict "$(( (peak2 > peak1 ? peak2 : peak1) / 1024 ))" 199)"
