#!/usr/bin/env bash
# tools/layers.sh - the pure modules include nothing but each other (make lint).
#
#   tools/layers.sh MODULE...     (the Makefile passes CORE_MODULES)
#
# docs/architecture.md's layers: the evaluator, the calendar, the balancer
# and the other pure modules never touch the database.  The build enforces
# the calls (their unit tests link without libpq, Makefile); this checks
# the includes, so a pure module cannot even see the database's types:
# src/M.c and include/carewatch/M.h of each module given may include
# system headers and the given modules' headers only, never libpq-fe.h or
# another carewatch header.  Prints each offending line; exit 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: tools/layers.sh MODULE..." >&2; exit 2; }
declare -A core
for m in "$@"; do core[$m]=1; done
bad=0
for m in "$@"; do
	for f in "src/$m.c" "include/carewatch/$m.h"; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			n=${line%%:*}
			inc=${line#*:}
			if [[ $inc =~ \"carewatch/([a-z_0-9]+)\.h\" ]]; then
				dep=${BASH_REMATCH[1]}
				[ -n "${core[$dep]:-}" ] && continue
				echo "$f:$n: a pure module includes carewatch/$dep.h, which is not pure" >&2
				bad=1
			elif [[ $inc =~ \<libpq-fe\.h\>|\"libpq-fe\.h\" ]]; then
				echo "$f:$n: a pure module includes libpq-fe.h" >&2
				bad=1
			fi
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
	done
done
exit $bad
