#!/usr/bin/env bash
# tools/demo.sh - `make demo`: carewatch on a realistic county, in one command.
#
# On a fresh Debian 12 machine: installs what is missing (tools/install-deps.sh),
# starts a PostgreSQL 15 cluster of its own kept in ./demo/ (private socket in
# that directory, fsync on; run by the `postgres` user when you are root),
# creates the owner role and database `carewatch` if missing, migrates,
# activates rules/default.rules, loads the Norfolk-scale data set
# (build/cwgen: about 760 providers, the QA team, two years of intelligence
# and cases; only the first time), gives each member of the team a login,
# runs the nightly batch as the batch login cw_batch, stores the score
# history of the 18 month ends before today (`carewatch scores backfill`, as
# cw_batch; CW_DEMO_HISTORY_MONTHS=N for another number), starts the scorer
# (`carewatch scorer`, as cw_batch, in the background: log demo/scorer.log,
# pid demo/scorer.pid) so that what officers record is rescored at once, and
# prints the county picture with carewatch's own commands.  It ends by saying
# how to use the client against that database.  Running it again reuses the
# cluster, the data and a scorer still running, and prints the picture anew.
#
#   tools/demo.sh          set up (or reuse) and show the county
#   tools/demo.sh stop     stop the scorer and the demo cluster (the data stays in ./demo/)
#   tools/demo.sh env      print the export line for the demo database
#
#   CW_DEMO_SEED=N         generator seed for a first run (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
demo="$top/demo"
cw="$top/bin/carewatch"
gen="$top/build/cwgen"
export NO_COLOR=${NO_COLOR:-}

# shellcheck source=pgcluster.sh
. "$top/tools/pgcluster.sh"

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: error: $*" >&2; exit 1; }

# The demo's scorer, if it is running: its pid (from demo/scorer.pid).
scorer_pid() {
	local pid
	pid=$(cat "$demo/scorer.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = carewatch ] &&
		echo "$pid"
}

stop_scorer() {
	local pid
	if pid=$(scorer_pid); then
		kill -TERM "$pid"
		# It stops between transactions: a few seconds at most.
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		echo "scorer (pid $pid) stopped"
	fi
	rm -f "$demo/scorer.pid"
}

use_cluster() {
	pgc_use "$demo" || die "cannot use $demo for the demo cluster"
	unset PGSERVICE PGPASSWORD PGOPTIONS PGDATABASE PGUSER
}

case "${1:-}" in
stop)
	use_cluster
	stop_scorer
	pgc_stop fast && echo "demo cluster in $demo stopped"
	exit 0 ;;
env)
	use_cluster
	[ -f "$demo/data/carewatch.conf" ] || die "no demo cluster yet: run 'make demo'"
	echo "export PGHOST=$demo PGPORT=$(pgc_port) PGDATABASE=carewatch PGUSER=carewatch"
	exit 0 ;;
"") ;;
*) echo "usage: tools/demo.sh [stop|env]" >&2; exit 2 ;;
esac

tools/install-deps.sh || die "missing packages (above)"
[ -x "$cw" ] && [ -x "$gen" ] || make -s bin/carewatch build/cwgen

say "PostgreSQL cluster in $demo"
use_cluster
pgc_init || die "initdb failed"
if pgc_running; then
	echo "running already"
else
	# Keep the port chosen the first time, so the printed settings stay true.
	port=$(pgc_port)
	[ -n "$port" ] || port=$(pgc_free_port 5433)
	pgc_configure "$port" on "max_connections = 30" "shared_buffers = 256MB" || die "cannot configure"
	pgc_start "$demo/server.log" || die "the demo cluster did not start"
	echo "started (log: $demo/server.log)"
fi
pgc_env
export PGDATABASE=carewatch PGUSER=carewatch

[ "$(pgc_psql -d postgres -tA -c "SELECT count(*) FROM pg_roles WHERE rolname = 'carewatch'")" = 1 ] ||
	pgc_psql -d postgres -c "CREATE ROLE carewatch LOGIN CREATEROLE"
[ "$(pgc_psql -d postgres -tA -c "SELECT count(*) FROM pg_database WHERE datname = 'carewatch'")" = 1 ] ||
	pgc_psql -d postgres -c "CREATE DATABASE carewatch OWNER carewatch"

say "Schema and rules"
if ! "$cw" db migrate; then
	echo "demo: the database in $demo was made with another version of the schema;" >&2
	echo "hint: 'tools/demo.sh stop && rm -rf demo' and run 'make demo' again for a fresh one" >&2
	exit 1
fi
active=$("$cw" rules show 2>/dev/null | sed -n 's/^# sha256 //p' || true)
if [ "$active" = "$(sha256sum < rules/default.rules | cut -d' ' -f1)" ]; then
	echo "rules/default.rules is the active ruleset"
else
	"$cw" rules activate rules/default.rules
fi

say "Norfolk-scale data (build/cwgen)"
generated=""
out=$("$gen" --if-empty --seed "${CW_DEMO_SEED:-1}") || die "the generator failed"
echo "$out"
case $out in *"nothing generated"*) ;; *) generated=1 ;; esac

# Everyone in the team gets a login of their own, so the audit trail and
# `worklist` (with no argument) know who is at the keyboard.
while IFS=, read -r login post; do
	case $post in
	quality_manager) kind=manager ;;
	*) kind=officer ;;
	esac
	"$cw" db role add "$login" --as "$kind" >/dev/null
done < <("$cw" officer list --format csv | awk -F, 'NR > 1 { print $1 "," $3 }')
"$cw" db role add cw_batch --as batch >/dev/null

say "Nightly batch (as the batch login cw_batch)"
if "$cw" help nightly >/dev/null 2>&1; then
	PGUSER=cw_batch "$cw" nightly
elif [ -n "$generated" ]; then
	# Until the nightly command exists, activating the ruleset again scores
	# every provider on the new data.
	echo "(no 'carewatch nightly' in this build: rescoring with 'rules activate')"
	"$cw" rules activate rules/default.rules
else
	echo "(no 'carewatch nightly' in this build; scores are as last computed)"
fi

# The month-end score history behind the risk-band charts of the dashboards
# and the annual report: the months before this one (a rerun changes nothing).
months=${CW_DEMO_HISTORY_MONTHS:-18}
[[ $months =~ ^[1-9][0-9]*$ ]] || die "CW_DEMO_HISTORY_MONTHS must be a number of months, not '$months'"
this_month=$(TZ=Europe/London date +%Y-%m-01)
hist_from=$(date -d "$this_month -$months month" +%Y-%m)
hist_to=$(date -d "$this_month -1 month" +%Y-%m)
say "Score history, $hist_from to $hist_to (carewatch scores backfill, as cw_batch)"
PGUSER=cw_batch "$cw" scores backfill --from "$hist_from" --to "$hist_to"

say "Scorer (carewatch scorer, as cw_batch, in the background)"
if pid=$(scorer_pid); then
	echo "running already (pid $pid, log $demo/scorer.log)"
else
	PGUSER=cw_batch nohup "$cw" scorer >>"$demo/scorer.log" 2>&1 </dev/null &
	echo $! >"$demo/scorer.pid"
	echo "started (pid $!, log $demo/scorer.log); 'tools/demo.sh stop' stops it"
fi

say "Providers by risk band and care type (carewatch provider list --format csv)"
"$cw" provider list --format csv | awk '
	# A CSV line into F[1..n]: quoted fields may hold commas and "" quotes.
	function split_csv(line,   n, i, c, f, q) {
		n = 0; f = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (q) {
				if (c == "\"" && substr(line, i + 1, 1) == "\"") { f = f c; i++ }
				else if (c == "\"") q = 0
				else f = f c
			} else if (c == "\"") q = 1
			else if (c == ",") { F[++n] = f; f = "" }
			else f = f c
		}
		F[++n] = f
		return n
	}
	NR == 1 {
		n = split_csv($0)
		for (i = 1; i <= n; i++) col[F[i]] = i
		if (!("care_type" in col) || !("band" in col)) { print "demo: provider list has no care_type/band column" > "/dev/stderr"; exit 1 }
		next
	}
	{
		split_csv($0)
		t = F[col["care_type"]]; b = F[col["band"]]
		if (b == "") b = "unscored"
		count[t, b]++; rows[t]++; cols[b]++; total++
	}
	END {
		nt = split("home_care residential nursing supported_living housing_with_care day_care", types, " ")
		nb = split("low medium high very_high unscored", bands, " ")
		printf "%-20s", "care type"
		for (j = 1; j <= nb; j++) if (j < 5 || cols["unscored"]) printf "%10s", bands[j]
		printf "%10s\n", "total"
		for (i = 1; i <= nt; i++) {
			printf "%-20s", types[i]
			for (j = 1; j <= nb; j++) if (j < 5 || cols["unscored"]) printf "%10d", count[types[i], bands[j]]
			printf "%10d\n", rows[types[i]]
		}
		printf "%-20s", "all"
		for (j = 1; j <= nb; j++) if (j < 5 || cols["unscored"]) printf "%10d", cols[bands[j]]
		printf "%10d\n", total
	}'

say "Highest-risk providers (carewatch provider list --band very_high)"
"$cw" provider list --band very_high

if "$cw" help flags >/dev/null 2>&1; then
	say "Providers flagged for placement restriction (carewatch flags)"
	"$cw" flags
fi

say "An officer's worklist (carewatch worklist --officer shewitt)"
"$cw" worklist --officer shewitt

if "$cw" help caseload >/dev/null 2>&1; then
	say "Caseload balance (carewatch caseload)"
	"$cw" caseload
fi

say "Use it yourself"
cat <<EOF
The demo database stays running (cluster and data in $demo, log in $demo/server.log).
Point the client at it:

    export PGHOST=$demo PGPORT=$(pgc_port) PGDATABASE=carewatch PGUSER=shewitt
    $cw worklist                         # your cases, as QA officer Sarah Hewitt
    $cw provider list --band high
    $cw provider show "$("$cw" provider list --format csv | awk -F, 'NR == 2 { print $1 }' | tr -d '"')"
    $cw shell                            # a session: history, Tab completion, \\? for help

To be the quality manager, log in as jferris: 'export PGUSER=jferris' (or
'PGUSER=jferris $cw caseload' for one command); flag decisions, case moves and
audit are hers.

Logins: shewitt jokafor praman tblake hmorris gpointer (QA officers), radeyemi mgedge
(market assurance), jferris (quality manager), carewatch (owner), cw_batch (nightly, scorer).
The scorer rescores what you record within a second (log: $demo/scorer.log).
'tools/demo.sh stop' stops the scorer and the cluster; 'make demo' starts them again, keeping the data.
EOF
