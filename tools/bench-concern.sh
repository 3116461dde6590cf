#!/usr/bin/env bash
# tools/bench-concern.sh - what one concern costs an officer at the terminal.
#
# DESIGN.md: "a one-shot `carewatch concern add` costs no more wall time than
# `psql -c` doing the same insert".  Both run as the same officer login over
# the same unix socket with the same connection settings (PGHOST, PGPORT,
# PGDATABASE, PGUSER); psql does the bare INSERT INTO concern with the same
# values, carewatch does the whole job (validation, provider lookup, the
# concern, its case with due time and officer, the provider's new score).
# Each is run N times, interleaved so that drift on a shared machine hits
# both alike, after a warm-up; the medians of the wall times and their ratio
# are printed.  The ratio is the figure to hold at or below 1.0.  For
# comparison: the floor under each (`carewatch version`, which starts and
# exits; `psql -c 'SELECT 1'`, which also connects), the same N concerns
# through one `carewatch shell` (one connection, statements prepared once),
# and where a one-shot's server time goes, statement by statement (the
# median of ten runs logged with log_min_duration_statement = 0).
#
#   tools/bench-concern.sh                  N=60 runs of each
#   CW_BENCH_N=200 tools/bench-concern.sh
#
# The database: carewatch_bench_concern, made afresh in the benchmarks'
# shared cluster (tools/bench-data.sh: fsync on, tuned for this machine;
# stopped afterwards only if this script started it) or, without that
# helper or with CW_BENCH_OWN_CLUSTER=1, in a cluster of our own
# (tools/pgcluster.sh; CW_BENCH_FSYNC=off to take the disk out).  It is
# seeded like a working council: 300 providers, six officers carrying about
# 44 open cases each, and the benchmarked provider with three years of
# intelligence (the score refresh reads it all).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

n=${CW_BENCH_N:-60}
bin="$top/bin/carewatch"
db=carewatch_bench_concern
[ -x "$bin" ] || make -s bin/carewatch >/dev/null

own="" started=""
tmp=$(mktemp -d /tmp/carewatch-bench-concern.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	# An agent left by a failed run would hold the database open.
	[ ! -d "$tmp/agent" ] || CAREWATCH_AGENT_DIR="$tmp/agent" "$bin" agent stop >/dev/null 2>&1 || true
	# Stop only a cluster we started: another bench may be using the shared one.
	if [ -n "$own" ]; then
		pgc_stop immediate
	else
		pgc_psql -d postgres -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
		[ -z "$started" ] || bench_cluster_stop
	fi
	rm -rf "$tmp"
}
if [ -f "$top/tools/bench-data.sh" ] && [ -z "${CW_BENCH_OWN_CLUSTER:-}" ]; then
	# shellcheck source=bench-data.sh
	. "$top/tools/bench-data.sh"
	trap cleanup EXIT
	pgc_use "$BENCH_DIR"
	pgc_running || started=1
	bench_cluster_start >/dev/null
else
	# shellcheck source=pgcluster.sh
	. "$top/tools/pgcluster.sh"
	own="$tmp/pg"
	trap cleanup EXIT
	pgc_use "$own" && pgc_init --no-sync && pgc_configure "$(pgc_free_port 30000)" "${CW_BENCH_FSYNC:-on}" &&
		pgc_start "$own/server.log" && pgc_env
	pgc_psql -d postgres -c "CREATE ROLE cw_owner LOGIN CREATEROLE CREATEDB" >/dev/null
fi
trap 'exit 130' INT TERM
psql_bin="$PGC_BIN/psql"

pgc_psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" \
	-c "CREATE DATABASE $db OWNER cw_owner" >/dev/null
export PGDATABASE=$db PGUSER=cw_owner NO_COLOR=1
unset PGSERVICE PGOPTIONS PGPASSWORD

# ---- a working council's worth of data --------------------------------------
pid=0b0b0b0b-0000-4000-8000-000000000001
"$bin" db migrate >/dev/null
"$bin" db role add bench_officer --as officer >/dev/null
"$bin" officer add bench_officer --name "Bench Officer" --fte 1 --locality north >/dev/null
for o in 1 2 3 4 5; do
	"$bin" officer add "bench_colleague$o" --name "Colleague $o" --fte 0.8 --locality north,south >/dev/null
done
"$bin" provider add "Bench House" --care-type residential --locality north \
	--cqc-id 1-1000000001 --beds 30 --id "$pid" >/dev/null
"$psql_bin" -X -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO provider (id, name, care_type, locality, beds)
 SELECT gen_random_uuid(), 'Seeded Provider ' || g,
        (ARRAY['residential','nursing','home_care','supported_living'])[1 + g % 4],
        (ARRAY['north','south','east','west','norwich'])[1 + g % 5], 20 + g % 40
 FROM generate_series(1, 299) g;
-- Three years of intelligence about the benchmarked provider.
INSERT INTO concern (id, provider_id, received_at, risk, category, source, safeguarding, summary)
 SELECT gen_random_uuid(), '$pid', now() - g * interval '7 days',
        (ARRAY['low','medium','high','very_high'])[1 + g % 4],
        (ARRAY['medication','staffing','care_practice'])[1 + g % 3], 'family', g % 9 = 0,
        'Seeded concern ' || g
 FROM generate_series(1, 150) g;
INSERT INTO visit (id, provider_id, visited_at, kind, outcome)
 SELECT gen_random_uuid(), '$pid', now() - g * interval '30 days',
        (ARRAY['routine','response','pamms'])[1 + g % 3],
        (ARRAY['no_concerns','minor_concerns','significant_concerns'])[1 + g % 3]
 FROM generate_series(1, 36) g;
-- About 44 open cases for each officer.
INSERT INTO case_file (id, provider_id, risk, title, opened_at, due_at, assigned_to)
 SELECT gen_random_uuid(), p.id, (ARRAY['medium','high','very_high'])[1 + g % 3], 'Seeded case',
        now() - (g % 20) * interval '1 day', now() + (g % 15) * interval '1 day',
        (SELECT login FROM officer ORDER BY login OFFSET g % 6 LIMIT 1)
 FROM generate_series(1, 264) g
 JOIN LATERAL (SELECT id FROM provider WHERE name = 'Seeded Provider ' || (1 + g % 299)) p ON true;
SET client_min_messages = error;
VACUUM ANALYZE provider, concern, visit, case_file, officer, officer_locality;
SQL
"$bin" rules activate rules/default.rules >/dev/null

# ---- the two commands ---------------------------------------------------------
export PGUSER=bench_officer
summary="Bench concern: missed medication on the evening round"
cw_cmd=("$bin" concern add "Bench House" --risk high --category medication --source family
	--summary "$summary")
# The same row as carewatch writes: the id is made on the client there, by
# the server here; received "now" in both.
sql="INSERT INTO concern (id, provider_id, risk, category, source, safeguarding, received_at, summary)
 VALUES (gen_random_uuid(), '$pid', 'high', 'medication', 'family', false, now(), '$summary')"
ps_cmd=("$psql_bin" -X -q -v ON_ERROR_STOP=1 -c "$sql")

# Wall time of one run in microseconds; output discarded, failure fatal.
time_us() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>"$tmp/err" || { echo "bench-concern: '$*' failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

median() {
	sort -n | awk '{v[NR] = $1} END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f\n", m }'
}

ms() { awk -v u="$1" 'BEGIN { printf "%7.2f", u / 1000 }'; }

for _ in 1 2 3; do            # warm-up: page cache, catalog, binaries
	time_us "${cw_cmd[@]}" >/dev/null
	time_us "${ps_cmd[@]}" >/dev/null
done
: >"$tmp/cw.us"
: >"$tmp/ps.us"
: >"$tmp/cwv.us"
: >"$tmp/ps1.us"
for i in $(seq 1 "$n"); do
	if [ $((i % 2)) -eq 0 ]; then
		time_us "${cw_cmd[@]}" >>"$tmp/cw.us"
		time_us "${ps_cmd[@]}" >>"$tmp/ps.us"
	else
		time_us "${ps_cmd[@]}" >>"$tmp/ps.us"
		time_us "${cw_cmd[@]}" >>"$tmp/cw.us"
	fi
	# The floor under each: start, connect (psql), and exit.
	time_us "$bin" version >>"$tmp/cwv.us"
	time_us "$psql_bin" -X -q -c "SELECT 1" >>"$tmp/ps1.us"
done

# The same one-shot command with the connection agent on (CAREWATCH_AGENT=1,
# docs/client.md): the first run starts it, the warm-up runs reach it, then
# it is timed interleaved with psql as above.
export CAREWATCH_AGENT_DIR="$tmp/agent"
for _ in 1 2 3; do
	CAREWATCH_AGENT=1 time_us "${cw_cmd[@]}" >/dev/null
	sleep 0.1
done
: >"$tmp/cwa.us"
: >"$tmp/ps2.us"
for i in $(seq 1 "$n"); do
	if [ $((i % 2)) -eq 0 ]; then
		CAREWATCH_AGENT=1 time_us "${cw_cmd[@]}" >>"$tmp/cwa.us"
		time_us "${ps_cmd[@]}" >>"$tmp/ps2.us"
	else
		time_us "${ps_cmd[@]}" >>"$tmp/ps2.us"
		CAREWATCH_AGENT=1 time_us "${cw_cmd[@]}" >>"$tmp/cwa.us"
	fi
done
agents=$("$psql_bin" -X -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'carewatch agent'")
"$bin" agent stop >/dev/null || { echo "bench-concern: the agent was not running" >&2; exit 1; }
[ "$agents" -eq 1 ] || { echo "bench-concern: expected the agent's one connection, found $agents" >&2; exit 1; }

# The same concerns through one shell session.
line=$(printf 'concern add "Bench House" --risk high --category medication --source family --summary "%s"' "$summary")
for i in $(seq 1 "$n"); do echo "$line"; done >"$tmp/shell.in"
t0=$(date +%s%N)
"$bin" shell <"$tmp/shell.in" >/dev/null
t1=$(date +%s%N)
shell_us=$(((t1 - t0) / 1000 / n))

rows=$("$psql_bin" -X -At -c "SELECT count(*) FROM concern WHERE summary = '$summary'")
want=$((5 * n + 9))   # checked before the profile runs below
[ "$rows" -eq "$want" ] || { echo "bench-concern: expected $want concerns, found $rows" >&2; exit 1; }

cw_med=$(median <"$tmp/cw.us")
ps_med=$(median <"$tmp/ps.us")
ratio=$(awk -v a="$cw_med" -v b="$ps_med" 'BEGIN { printf "%.2f", a / b }')
printf 'concern add, %d runs each (fsync %s, unix socket):\n' "$n" \
	"$("$psql_bin" -X -At -c "SHOW fsync")"
printf '  carewatch concern add          median %s ms\n' "$(ms "$cw_med")"
printf '  psql -c INSERT INTO concern    median %s ms\n' "$(ms "$ps_med")"
printf '  ratio carewatch/psql           %s (goal: <= 1.00)\n' "$ratio"
cwa_med=$(median <"$tmp/cwa.us")
ps2_med=$(median <"$tmp/ps2.us")
printf 'with the connection agent (CAREWATCH_AGENT=1), %d runs each, interleaved:\n' "$n"
printf '  carewatch concern add          median %s ms\n' "$(ms "$cwa_med")"
printf '  psql -c INSERT INTO concern    median %s ms\n' "$(ms "$ps2_med")"
printf '  ratio carewatch/psql           %s (goal: <= 1.00)\n' \
	"$(awk -v a="$cwa_med" -v b="$ps2_med" 'BEGIN { printf "%.2f", a / b }')"
printf 'for comparison:\n'
printf '  carewatch version (no database)  median %s ms\n' "$(ms "$(median <"$tmp/cwv.us")")"
printf '  psql -c SELECT 1                 median %s ms\n' "$(ms "$(median <"$tmp/ps1.us")")"
printf '  concern add in carewatch shell   mean   %s ms per concern (one connection)\n' "$(ms "$shell_us")"

# ---- where a one-shot's time goes: server time per statement ---------------
# bench_officer's statements in this database are logged with their times
# for ten more runs of each; marker queries say whose statements follow.
# Medians over the runs, per statement (parse + bind + execute).
log="$PGC_DIR/server.log"
pgc_psql -d postgres -q -c "ALTER ROLE bench_officer IN DATABASE $db SET log_min_duration_statement = 0"
before=$(wc -c <"$log")
for i in $(seq 1 10); do
	"$psql_bin" -X -q -c "SELECT 'cwbench carewatch $i'" >/dev/null
	"${cw_cmd[@]}" >/dev/null
	"$psql_bin" -X -q -c "SELECT 'cwbench psql $i'" >/dev/null
	"${ps_cmd[@]}" >/dev/null
done
"$psql_bin" -X -q -c "SELECT 'cwbench end'" >/dev/null
pgc_psql -d postgres -q -c "ALTER ROLE bench_officer IN DATABASE $db RESET log_min_duration_statement"
tail -c +"$((before + 1))" "$log" | grep 'duration: ' >"$tmp/stmts.log" || true
echo "server time per statement, median of 10 runs (parse + bind + execute, ms):"
awk '
function median(list,    v, n, i, j, x) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++) { x = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function flush(   k) {
	for (k in cur) runs[k] = runs[k] " " cur[k]
	if (who != "") totals[who] = totals[who] " " curtot
	delete cur; curtot = 0
}
/cwbench carewatch/ { flush(); who = "carewatch"; next }
/cwbench psql/ { flush(); who = "psql"; next }
/cwbench end/ { flush(); who = ""; next }
who != "" {
	ms = 0; text = ""
	for (i = 1; i <= NF; i++) if ($i == "duration:") { ms = $(i + 1); start = i + 2; break }
	# "ms  parse <unnamed>: SQL", "ms  execute cw4: SQL" or "ms  statement: SQL"
	if ($(start + 1) == "parse" || $(start + 1) == "bind" || $(start + 1) == "execute") start += 3
	else start += 2
	for (i = start; i <= NF && length(text) < 70; i++) text = text " " $i
	key = who SUBSEP text
	if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	cur[key] += ms; curtot += ms
}
END {
	for (k = 1; k <= n; k++) {
		split(order[k], part, SUBSEP)
		printf "  %-9s %7.2f %s\n", part[1], median(runs[order[k]]), substr(part[2], 1, 66)
	}
	printf "  %-9s %7.2f  in all\n", "carewatch", median(totals["carewatch"])
	printf "  %-9s %7.2f  in all\n", "psql", median(totals["psql"])
}' "$tmp/stmts.log"
