#!/usr/bin/env bash
# tools/bench.sh - `make bench`: every benchmark, one after another.
#
# Each tools/bench-<name>.sh is one benchmark and prints its own figures
# against its goal; tools/bench-data.sh is not one (it is the benchmarks'
# shared cluster and national data set, sourced by those that need it).
# They run in turn, never in parallel, since they measure the same machine.
#
#   tools/bench.sh                  every benchmark
#   tools/bench.sh nightly import   only these (by name)
#
# Exit status: 0 when every benchmark ran to the end, 1 when one failed
# (each failure is named at the end; the others still run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

want=("$@")
ran=() failed=()
for script in tools/bench-*.sh; do
	[ -e "$script" ] || continue
	name=${script#tools/bench-}
	name=${name%.sh}
	[ "$name" = data ] && continue
	if [ ${#want[@]} -gt 0 ]; then
		hit=""
		for w in "${want[@]}"; do [ "$w" = "$name" ] && hit=1; done
		[ -n "$hit" ] || continue
	fi
	echo "==== bench $name ($script) ===="
	start=$(date +%s)
	if bash "$script"; then
		ran+=("$name")
		echo "==== bench $name: done in $(($(date +%s) - start)) s ===="
	else
		rc=$?
		failed+=("$name")
		echo "==== bench $name: FAILED (exit $rc) after $(($(date +%s) - start)) s ===="
	fi
	echo
done

for w in "${want[@]}"; do
	[ -f "tools/bench-$w.sh" ] && [ "$w" != data ] || { echo "bench: error: no benchmark '$w' (tools/bench-$w.sh)" >&2; failed+=("$w"); }
done
echo "benchmarks: ${#ran[@]} ran, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
