#!/usr/bin/env bash
# make soak: mixed officer traffic against a private cluster for a bounded
# time, then throughput, p50/p99 latency per operation, and every error.
#
#   SOAK_SECONDS=120 SOAK_WORKERS=4 tools/soak.sh
#
# Each worker is an officer running the real binary in a loop: log a concern
# (30%), look at the worklist (30%), open a provider (20%), respond to one of
# their cases (10%), list providers by risk (10%).  A nightly run fires once
# in the middle.  The cluster lives under build/soak/ and is removed after.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
seconds=${SOAK_SECONDS:-120}
workers=${SOAK_WORKERS:-4}
bin="$top/bin/carewatch"
dir="$top/build/soak"

[ -x "$bin" ] || { echo "soak: build first (make)" >&2; exit 2; }
. tools/pgcluster.sh
rm -rf "$dir"
mkdir -p "$dir"
pgc_use "$dir" || exit 1
trap 'pgc_stop immediate >/dev/null 2>&1; rm -rf "$dir"' EXIT
pgc_init --no-sync >/dev/null || exit 1
pgc_configure "$(pgc_free_port 26000)" off "max_connections = 100" || exit 1
pgc_start "$dir/server.log" || exit 1
pgc_env
pgc_psql -q -c "CREATE ROLE soak_owner LOGIN CREATEROLE CREATEDB" \
	-c "CREATE DATABASE soak OWNER soak_owner" >/dev/null || exit 1
export PGUSER=soak_owner PGDATABASE=soak NO_COLOR=1

"$bin" db migrate >/dev/null || exit 1
"$bin" rules activate rules/default.rules >/dev/null || exit 1
locs=(north south east west norwich)
types=(residential nursing home_care supported_living day_care)
for w in $(seq 1 "$workers"); do
	"$bin" db role add "soak_off$w" --as officer >/dev/null || exit 1
	"$bin" officer add "soak_off$w" --name "Officer $w" --fte 1 \
		--locality "${locs[$(( (w - 1) % 5 ))]},${locs[$(( w % 5 ))]}" >/dev/null || exit 1
done
for p in $(seq 1 60); do
	"$bin" provider add "Soak Provider $p" --care-type "${types[$((p % 5))]}" \
		--locality "${locs[$((p % 5))]}" >/dev/null || exit 1
done

results="$dir/results"
mkdir -p "$results"

worker() {
	local w=$1 end=$(( $(date +%s) + seconds )) n=0 op t0 t1 rc
	local out="$results/w$w"
	export PGUSER="soak_off$w"
	local risks=(low medium high very_high) cats=(care_practice medication staffing environment)
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		r=$((RANDOM % 10))
		t0=$(date +%s%N)
		case $r in
		0|1|2) op=concern
			"$bin" concern add "Soak Provider $(( (RANDOM % 60) + 1 ))" --risk "${risks[$((RANDOM % 4))]}" \
				--category "${cats[$((RANDOM % 4))]}" --source family \
				--note "soak concern $w.$n" >/dev/null 2>>"$out.err"; rc=$? ;;
		3|4|5) op=worklist
			"$bin" worklist >/dev/null 2>>"$out.err"; rc=$? ;;
		6|7) op=provider_show
			"$bin" provider show "Soak Provider $(( (RANDOM % 60) + 1 ))" >/dev/null 2>>"$out.err"; rc=$? ;;
		8) op=case_respond
			c=$("$bin" case list --mine --open --format csv 2>>"$out.err" | awk -F, 'NR == 2 {print $1}')
			if [ -n "$c" ]; then
				"$bin" case respond "$c" --kind phone --note "soak" >/dev/null 2>>"$out.err"; rc=$?
			else
				rc=0
			fi ;;
		*) op=provider_list
			"$bin" provider list >/dev/null 2>>"$out.err"; rc=$? ;;
		esac
		t1=$(date +%s%N)
		echo "$op $(( (t1 - t0) / 1000 )) $rc" >>"$out"
	done
}

echo "soak: $workers officers for ${seconds}s against $PGHOST:$PGPORT"
for w in $(seq 1 "$workers"); do worker "$w" & done
sleep $(( seconds / 2 ))
PGUSER=soak_owner "$bin" nightly --quiet || echo "soak: the nightly run failed (exit $?)" >&2
wait

# Percentiles by sorting (mawk, Debian's default awk, has no asort).
pct() { # FILE P -> the P-th percentile of the numbers in FILE, in ms
	local n k
	n=$(wc -l <"$1")
	[ "$n" -gt 0 ] || { echo "-"; return; }
	k=$(awk -v n="$n" -v p="$2" 'BEGIN { k = int(n * p); if (k < n * p) k++; if (k < 1) k = 1; print k }')
	sort -n "$1" | sed -n "${k}p" | awk '{ printf "%.1f", $1 / 1000 }'
}
cat "$results"/w[0-9]* >"$results/all"
printf '%-15s %8s %10s %10s %10s %7s\n' operation count "per sec" "p50 ms" "p99 ms" errors
for op in concern worklist provider_show case_respond provider_list all; do
	if [ "$op" = all ]; then awk '{print $2}' "$results/all" >"$results/lat"
	else awk -v op="$op" '$1 == op {print $2}' "$results/all" >"$results/lat"; fi
	count=$(wc -l <"$results/lat")
	errs=$(awk -v op="$op" '(op == "all" || $1 == op) && $3 != 0' "$results/all" | wc -l)
	printf '%-15s %8d %10.1f %10s %10s %7d\n' "$op" "$count" \
		"$(awk -v c="$count" -v s="$seconds" 'BEGIN { print c / s }')" \
		"$(pct "$results/lat" 0.50)" "$(pct "$results/lat" 0.99)" "$errs"
done
errors=$(cat "$results"/*.err 2>/dev/null | sort | uniq -c | sort -rn)
if [ -n "$errors" ]; then
	echo "errors seen:"
	echo "$errors" | head -20
	exit 1
fi
echo "soak: no errors"
