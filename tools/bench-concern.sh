#!/usr/bin/env bash
# tools/bench-concern.sh - what one concern costs an officer at the terminal.
#
# DESIGN.md: "a one-shot `carewatch concern add` costs no more wall time than
# `psql -c` doing the same insert, by default, with no helper process of
# carewatch's own (a site that wants warm server connections puts PgBouncer
# in front, for both)".  So both are measured twice: directly on the
# server's unix socket, and through a PgBouncer in session pooling mode
# (docs/client.md) that this script starts on a private unix socket of its
# own.  Both run as the same officer login with the same connection settings
# (PGHOST, PGPORT, PGDATABASE, PGUSER); psql does the bare INSERT INTO concern
# with the same values, carewatch does the whole job (validation, provider
# lookup, the concern, its case with due time and officer, the provider's
# new score).  The four commands are run N times each, interleaved in a
# rotating order so that drift on a shared machine hits all alike, after a
# warm-up; the medians of the wall times, each with its ratio to psql's on
# the same path, are printed, and the goal (carewatch <= 1.00x psql, directly
# and through PgBouncer) as met or not met.  For comparison: the floor under
# each (`carewatch version`, which starts and exits; `psql -c 'SELECT 1'`,
# which also connects), the same N concerns through one `carewatch shell`
# (one connection, statements prepared once), and where a direct one-shot's
# server time goes, statement by statement (the median of ten runs logged
# with log_min_duration_statement = 0).
#
#   tools/bench.sh concern                  this benchmark alone, N=60
#   CW_BENCH_N=200 tools/bench-concern.sh
#
# PgBouncer is the Debian package `pgbouncer`, installed here when missing
# (tools/install-deps.sh pgbouncer: as root; otherwise it says what to
# install).  Like the server, it runs as the unprivileged `postgres` user
# when this script runs as root; its socket, log and settings live in this
# run's temporary directory and it is stopped, by its pid, at the end.
#
# The database: carewatch_bench_concern, made afresh in the benchmarks'
# shared cluster (tools/bench-data.sh: fsync on, tuned for this machine;
# stopped afterwards only if this script started it; the national data set
# is not needed) or, without that helper or with CW_BENCH_OWN_CLUSTER=1, in a
# cluster of our own (tools/pgcluster.sh; CW_BENCH_FSYNC=off to take the disk
# out).  It is seeded like a working council: 300 providers, six officers
# carrying about 44 open cases each, and the benchmarked provider with three
# years of intelligence (the score refresh reads it all).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

n=${CW_BENCH_N:-60}
bin="$top/bin/carewatch"
db=carewatch_bench_concern
[ -x "$bin" ] || make -s bin/carewatch >/dev/null
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || tools/install-deps.sh pgbouncer || {
	echo "bench-concern: error: PgBouncer is needed for the pooled figures" >&2
	exit 1
}
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

own="" started="" pgb_pid=""
tmp=$(mktemp -d /tmp/carewatch-bench-concern.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	# Our PgBouncer first: its pooled connections hold the database open.
	if [ -n "$pgb_pid" ]; then
		kill "$pgb_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pgb_pid" 2>/dev/null || break; sleep 0.1; done
	fi
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

# ---- PgBouncer in front, session pooling ------------------------------------
# On a private unix socket in this run's directory (no TCP listener), in front
# of the same server and database.  Each login gets its own pool (no forced
# user in [databases]), so the server's session_user is the officer, as when
# connecting directly.  auth_type trust: only the socket reaches it, as for
# the cluster itself; the auth file still has to list the users.  PgBouncer
# before 1.20 (Debian 12 ships 1.18) refuses a startup `options` parameter,
# which carewatch sends for its time zone: it is ignored there and the time
# zone set on the pooled server connections instead (timezone= below).
export PGUSER=bench_officer
pgb="$tmp/pgbouncer"
mkdir -p "$pgb"
pgb_port=$(pgc_free_port 26432)
cat >"$pgb/pgbouncer.ini" <<INI
[databases]
$db = host=$PGHOST port=$PGPORT dbname=$db timezone=Europe/London

[pgbouncer]
listen_addr =
listen_port = $pgb_port
unix_socket_dir = $pgb
auth_type = trust
auth_file = $pgb/userlist.txt
pool_mode = session
default_pool_size = 4
server_reset_query = DISCARD ALL
ignore_startup_parameters = options
logfile = $pgb/pgbouncer.log
pidfile = $pgb/pgbouncer.pid
INI
printf '"bench_officer" ""\n' >"$pgb/userlist.txt"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$pgb"
pgc_as "$pgbouncer_bin" -d -q "$pgb/pgbouncer.ini" || {
	echo "bench-concern: error: PgBouncer did not start:" >&2
	cat "$pgb/pgbouncer.log" >&2 2>/dev/null
	exit 1
}
for _ in $(seq 1 50); do [ -s "$pgb/pgbouncer.pid" ] && break; sleep 0.1; done
pgb_pid=$(cat "$pgb/pgbouncer.pid")
for _ in $(seq 1 50); do
	PGHOST=$pgb PGPORT=$pgb_port "$psql_bin" -X -q -c "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done
tz=$(PGHOST=$pgb PGPORT=$pgb_port "$psql_bin" -X -At -c "SHOW TimeZone") || {
	echo "bench-concern: error: cannot connect through PgBouncer; its log ends:" >&2
	tail -n 20 "$pgb/pgbouncer.log" >&2
	exit 1
}
[ "$tz" = Europe/London ] || { echo "bench-concern: error: the pooled session's time zone is '$tz'" >&2; exit 1; }
pgb_version=$("$pgbouncer_bin" --version | awk 'NR == 1 { print $2 }')

# ---- the four commands --------------------------------------------------------
summary="Bench concern: missed medication on the evening round"
cw_cmd=("$bin" concern add "Bench House" --risk high --category medication --source family
	--note "$summary")
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

# One timed run of the k-th of the four: carewatch and psql, directly and
# through PgBouncer (the same commands with PGHOST and PGPORT pointing at it).
run_k() {
	case $1 in
	0) time_us "${cw_cmd[@]}" >>"$tmp/cw.us" ;;
	1) time_us "${ps_cmd[@]}" >>"$tmp/ps.us" ;;
	2) PGHOST=$pgb PGPORT=$pgb_port time_us "${cw_cmd[@]}" >>"$tmp/cwb.us" ;;
	3) PGHOST=$pgb PGPORT=$pgb_port time_us "${ps_cmd[@]}" >>"$tmp/psb.us" ;;
	esac
}

median() {
	sort -n | awk '{v[NR] = $1} END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f\n", m }'
}

ms() { awk -v u="$1" 'BEGIN { printf "%7.2f", u / 1000 }'; }

for _ in 1 2 3; do            # warm-up: page cache, catalog, binaries, PgBouncer's pool
	for k in 0 1 2 3; do run_k "$k"; done
done
: >"$tmp/cw.us"
: >"$tmp/ps.us"
: >"$tmp/cwb.us"
: >"$tmp/psb.us"
: >"$tmp/cwv.us"
: >"$tmp/ps1.us"
for i in $(seq 1 "$n"); do
	for j in 0 1 2 3; do run_k $(((i + j) % 4)); done
	# The floor under each: start, connect (psql), and exit.
	time_us "$bin" version >>"$tmp/cwv.us"
	time_us "$psql_bin" -X -q -c "SELECT 1" >>"$tmp/ps1.us"
done
# The pool's server connections, still open for the next client.
pooled=$("$psql_bin" -X -At -c "SELECT count(*) FROM pg_stat_activity
 WHERE datname = '$db' AND usename = 'bench_officer' AND pid <> pg_backend_pid()")
[ "$pooled" -ge 1 ] || { echo "bench-concern: PgBouncer kept no server connection open" >&2; exit 1; }

# The same concerns through one shell session.
line=$(printf 'concern add "Bench House" --risk high --category medication --source family --note "%s"' "$summary")
for i in $(seq 1 "$n"); do echo "$line"; done >"$tmp/shell.in"
t0=$(date +%s%N)
"$bin" shell <"$tmp/shell.in" >/dev/null
t1=$(date +%s%N)
shell_us=$(((t1 - t0) / 1000 / n))

rows=$("$psql_bin" -X -At -c "SELECT count(*) FROM concern WHERE summary = '$summary'")
want=$((5 * n + 12))   # checked before the profile runs below
[ "$rows" -eq "$want" ] || { echo "bench-concern: expected $want concerns, found $rows" >&2; exit 1; }

cw_med=$(median <"$tmp/cw.us")
ps_med=$(median <"$tmp/ps.us")
cwb_med=$(median <"$tmp/cwb.us")
psb_med=$(median <"$tmp/psb.us")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "met" : "not met") }'; }
printf 'concern add, %d runs of each, interleaved (fsync %s, unix sockets, PgBouncer %s in session mode):\n' \
	"$n" "$("$psql_bin" -X -At -c "SHOW fsync")" "$pgb_version"
printf '                                   direct              through PgBouncer\n'
printf '  carewatch concern add         %s ms  %sx    %s ms  %sx\n' "$(ms "$cw_med")" \
	"$(ratio "$cw_med" "$ps_med")" "$(ms "$cwb_med")" "$(ratio "$cwb_med" "$psb_med")"
printf '  psql -c INSERT INTO concern   %s ms  %sx    %s ms  %sx\n' "$(ms "$ps_med")" \
	"$(ratio "$ps_med" "$ps_med")" "$(ms "$psb_med")" "$(ratio "$psb_med" "$psb_med")"
printf '  (ratios against psql -c on the same path; through PgBouncer against direct psql -c:\n'
printf '   carewatch %sx, psql %sx; %d server connections left pooled)\n' \
	"$(ratio "$cwb_med" "$ps_med")" "$(ratio "$psb_med" "$ps_med")" "$pooled"
printf 'goal: carewatch concern add <= 1.00x psql -c\n'
printf '  directly                      %sx  %s\n' "$(ratio "$cw_med" "$ps_med")" "$(verdict "$cw_med" "$ps_med")"
printf '  through PgBouncer             %sx  %s\n' "$(ratio "$cwb_med" "$psb_med")" "$(verdict "$cwb_med" "$psb_med")"
printf 'for comparison:\n'
printf '  carewatch version (no database)  median %s ms\n' "$(ms "$(median <"$tmp/cwv.us")")"
printf '  psql -c SELECT 1                 median %s ms\n' "$(ms "$(median <"$tmp/ps1.us")")"
printf '  concern add in carewatch shell   mean   %s ms per concern (one connection)\n' "$(ms "$shell_us")"

# ---- where a one-shot's time goes: server time per statement ----------------
# bench_officer's statements in this database are logged with their times
# for ten more runs of each, directly (a new backend each time) and through
# PgBouncer (its pooled backend, started after the setting so that it logs
# too, and warmed by one run first); marker queries say whose statements
# follow.  Medians over the runs, per statement (parse + bind + execute).
log="$PGC_DIR/server.log"
backends="SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND usename = 'bench_officer'"
pgc_psql -d postgres -q -c "ALTER ROLE bench_officer IN DATABASE $db SET log_min_duration_statement = 0" \
	-c "$backends" >/dev/null
PGHOST=$pgb PGPORT=$pgb_port "${cw_cmd[@]}" >/dev/null
PGHOST=$pgb PGPORT=$pgb_port "${ps_cmd[@]}" >/dev/null
before=$(wc -c <"$log")
for i in $(seq 1 10); do
	"$psql_bin" -X -q -c "SELECT 'cwbench who=carewatch $i'" >/dev/null
	"${cw_cmd[@]}" >/dev/null
	"$psql_bin" -X -q -c "SELECT 'cwbench who=psql $i'" >/dev/null
	"${ps_cmd[@]}" >/dev/null
	"$psql_bin" -X -q -c "SELECT 'cwbench who=carewatch+pgb $i'" >/dev/null
	PGHOST=$pgb PGPORT=$pgb_port "${cw_cmd[@]}" >/dev/null
	"$psql_bin" -X -q -c "SELECT 'cwbench who=psql+pgb $i'" >/dev/null
	PGHOST=$pgb PGPORT=$pgb_port "${ps_cmd[@]}" >/dev/null
done
"$psql_bin" -X -q -c "SELECT 'cwbench who=end'" >/dev/null
pgc_psql -d postgres -q -c "ALTER ROLE bench_officer IN DATABASE $db RESET log_min_duration_statement" \
	-c "$backends" >/dev/null
tail -c +"$((before + 1))" "$log" | grep 'duration: ' >"$tmp/stmts.log" || true
echo "server time per statement, median of 10 runs (parse + bind + execute, ms; +pgb: through PgBouncer):"
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
/cwbench who=/ {
	flush()
	match($0, /cwbench who=[a-z+]+/)
	who = substr($0, RSTART + 12, RLENGTH - 12)
	if (who == "end") who = ""
	next
}
# PgBouncer resetting its server connection between clients: not the clients.
/DISCARD ALL/ { next }
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
		if (part[1] ~ /pgb/) continue
		printf "  %-13s %7.2f %s\n", part[1], median(runs[order[k]]), substr(part[2], 1, 62)
	}
	for (k = 1; k <= n; k++) {
		split(order[k], part, SUBSEP)
		if (part[1] !~ /pgb/) continue
		printf "  %-13s %7.2f %s\n", part[1], median(runs[order[k]]), substr(part[2], 1, 62)
	}
	split("carewatch psql carewatch+pgb psql+pgb", whos, " ")
	for (k = 1; k <= 4; k++)
		printf "  %-13s %7.2f  in all\n", whos[k], median(totals[whos[k]])
}' "$tmp/stmts.log"
