#!/usr/bin/env bash
# Prints docs/security.md's role matrix (Markdown) from schema/grants.tsv,
# the one allow-list of privileges, so the page cannot drift from what the
# database grants (tests/test_grants.c compares the page with this output).
#
#   tools/role-matrix.sh [schema/grants.tsv]
#
# Each cell is what the role may do, inherited grants included (officers
# hold readonly's, managers officers', the batch readonly's): S reads every
# column, s reads some (the count of the table's listed columns is given),
# I inserts, U updates (u: some columns), D deletes, E executes, - nothing.
set -euo pipefail
file=${1:-"$(dirname "$0")/../schema/grants.tsv"}

awk -F '\t' '
function add(role, obj, what) {
	if (!((role, obj, what) in have)) { have[role, obj, what] = 1 }
}
BEGIN {
	n = split("carewatch_readonly carewatch_officer carewatch_manager carewatch_batch carewatch_api", R, " ")
	# Who inherits whom (schema/001_foundation.sql).
	heir["carewatch_readonly"] = "carewatch_officer carewatch_manager carewatch_batch"
	heir["carewatch_officer"] = "carewatch_manager"
}
/^[[:space:]]*(#|$)/ { next }
NF != 4 { printf "role-matrix: %s:%d: expected 4 fields\n", FILENAME, FNR > "/dev/stderr"; exit 2 }
{
	role = $1; obj = $2; col = $3; priv = $4
	if (!(obj in seen)) { seen[obj] = 1; objs[++nobj] = obj }
	who = role " " heir[role]
	m = split(who, W, " ")
	for (i = 1; i <= m; i++) {
		r = W[i]
		if (priv == "SELECT" && col == "*") add(r, obj, "S")
		else if (priv == "SELECT") { if (!((r, obj, col) in cols)) { cols[r, obj, col] = 1; ncol[r, obj]++ } }
		else if (priv == "INSERT") add(r, obj, "I")
		else if (priv == "UPDATE" && col == "*") add(r, obj, "U")
		else if (priv == "UPDATE") add(r, obj, "u")
		else if (priv == "DELETE") add(r, obj, "D")
		else if (priv == "EXECUTE") add(r, obj, "E")
		else if (priv == "USAGE") add(r, obj, "USAGE")
	}
}
function cell(r, obj,   s) {
	s = ""
	if ((r, obj, "S") in have) s = s "S"
	else if (ncol[r, obj] > 0) s = s "s" ncol[r, obj]
	if ((r, obj, "I") in have) s = s " I"
	if ((r, obj, "U") in have) s = s " U"
	else if ((r, obj, "u") in have) s = s " u"
	if ((r, obj, "D") in have) s = s " D"
	if ((r, obj, "E") in have) s = s "E"
	if ((r, obj, "USAGE") in have) s = s "use"
	sub(/^ /, "", s)
	return s == "" ? "-" : s
}
END {
	printf "| object | readonly | officer | manager | batch | api (functions'"'"' owner) |\n"
	printf "|---|---|---|---|---|---|\n"
	for (k = 1; k <= nobj; k++) {
		o = objs[k]
		printf "| `%s` |", o
		for (i = 1; i <= n; i++) printf " %s |", cell(R[i], o)
		printf "\n"
	}
}' "$file" | { read -r h; read -r s; echo "$h"; echo "$s"; sort -t'|' -k2,2; }
