# tools/pgcluster.sh - a private PostgreSQL 15 cluster, for sourcing.
# shellcheck shell=bash
#
# The test harness (tests/run-tests.sh), the demo (tools/demo.sh) and the
# benchmarks (tools/bench-data.sh) each run a cluster of their own: initdb
# into a directory, a unix socket in that same directory and a port of its
# own, no TCP listener, trust authentication (only the socket reaches it),
# the server log where the caller says.  PostgreSQL refuses to run as root,
# so as root the cluster belongs to and is run by the unprivileged `postgres`
# user (the one Debian's postgresql package creates).
#
#   . tools/pgcluster.sh
#   pgc_use DIR                  pick the cluster kept in DIR (DIR/data, socket in DIR)
#   pgc_init [--no-sync]         initdb DIR/data unless it already holds a cluster
#   pgc_configure PORT FSYNC [SETTING...]
#                                write DIR/data/carewatch.conf: private socket and
#                                port, fsync on|off (off also turns off
#                                synchronous_commit and full_page_writes), UTC,
#                                the log settings of docs/operations.md (no
#                                statement text, parameters or failing rows in
#                                the log), then any "name = value" lines given
#   pgc_start LOG                start (waits until it accepts connections)
#   pgc_stop [fast|immediate]    stop if running (default fast)
#   pgc_running                  status 0 when the server is up
#   pgc_port                     print the configured port
#   pgc_env                      export PGHOST and PGPORT for this cluster
#   pgc_free_port START          print a port from START on that nothing listens on
#   pgc_psql ARGS...             psql as the superuser `postgres` (ON_ERROR_STOP)
#
# Functions return non-zero and say why on stderr; none of them exits, so the
# caller's trap decides what happens next (tests print the server log).

PGC_BIN=${PGC_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
PGC_DIR=""
PGC_DATA=""
PGC_AS=()

pgc_use() {
	[ -n "${1:-}" ] || { echo "pgcluster: error: pgc_use needs a directory" >&2; return 2; }
	mkdir -p "$1" || return 1
	PGC_DIR=$(cd "$1" && pwd) || return 1
	PGC_DATA="$PGC_DIR/data"
	PGC_AS=()
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || {
			echo "pgcluster: error: running as root needs the 'postgres' user (apt-get install postgresql-15)" >&2
			return 1
		}
		PGC_AS=(runuser -u postgres --)
		chmod 755 "$PGC_DIR" && chown postgres: "$PGC_DIR" || return 1
		# The server reaches its directory through every parent: say so
		# plainly rather than let initdb fail with "permission denied".
		if ! runuser -u postgres -- test -w "$PGC_DIR"; then
			echo "pgcluster: error: the postgres user cannot reach $PGC_DIR" >&2
			echo "hint: every parent directory must be searchable by others (chmod o+x)" >&2
			return 1
		fi
	fi
}

# Run a command as the cluster's owner.
pgc_as() {
	"${PGC_AS[@]}" "$@"
}

pgc_init() {
	local sync=()
	[ "${1:-}" = "--no-sync" ] && sync=(--no-sync)
	[ -n "$PGC_DIR" ] || { echo "pgcluster: error: call pgc_use first" >&2; return 2; }
	[ -f "$PGC_DATA/PG_VERSION" ] && return 0
	if ! pgc_as "$PGC_BIN/initdb" -D "$PGC_DATA" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 "${sync[@]}" >"$PGC_DIR/initdb.log" 2>&1; then
		cat "$PGC_DIR/initdb.log" >&2
		echo "pgcluster: error: initdb into $PGC_DATA failed" >&2
		return 1
	fi
	# Our settings live in one file of their own, rewritten by pgc_configure.
	echo "include_if_exists = 'carewatch.conf'" | pgc_as tee -a "$PGC_DATA/postgresql.conf" >/dev/null
}

pgc_configure() {
	local port=${1:-} fsync=${2:-on} line conf
	[ -n "$port" ] || { echo "pgcluster: error: pgc_configure needs a port" >&2; return 2; }
	case $fsync in on|off) ;; *) echo "pgcluster: error: fsync must be on or off, not '$fsync'" >&2; return 2 ;; esac
	shift 2
	conf="listen_addresses = ''
port = $port
unix_socket_directories = '$PGC_DIR'
fsync = $fsync
timezone = 'UTC'
log_min_messages = warning
log_error_verbosity = terse
log_min_error_statement = panic
log_statement = none
log_min_duration_statement = -1
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0"
	if [ "$fsync" = off ]; then
		conf="$conf
synchronous_commit = off
full_page_writes = off"
	fi
	for line in "$@"; do
		conf="$conf
$line"
	done
	printf '%s\n' "$conf" | pgc_as tee "$PGC_DATA/carewatch.conf" >/dev/null
}

pgc_port() {
	[ -f "$PGC_DATA/carewatch.conf" ] || return 0
	sed -n "s/^port = \([0-9]*\)$/\1/p" "$PGC_DATA/carewatch.conf"
}

pgc_env() {
	PGHOST=$PGC_DIR
	PGPORT=$(pgc_port)
	export PGHOST PGPORT
}

pgc_running() {
	[ -f "$PGC_DATA/postmaster.pid" ] && pgc_as "$PGC_BIN/pg_ctl" -D "$PGC_DATA" status >/dev/null 2>&1
}

pgc_start() {
	local log=${1:-$PGC_DIR/server.log}
	# The log is written by the server, so it must belong to its user.
	touch "$log" || return 1
	[ ${#PGC_AS[@]} -eq 0 ] || chown postgres: "$log" || return 1
	if ! pgc_as "$PGC_BIN/pg_ctl" -D "$PGC_DATA" -l "$log" -w -t 60 start >/dev/null; then
		echo "pgcluster: error: the server in $PGC_DATA did not start; its log ($log) ends:" >&2
		tail -n 30 "$log" >&2
		return 1
	fi
}

pgc_stop() {
	local mode=${1:-fast}
	[ -n "$PGC_DATA" ] && [ -f "$PGC_DATA/postmaster.pid" ] || return 0
	pgc_as "$PGC_BIN/pg_ctl" -D "$PGC_DATA" -m "$mode" -w stop >/dev/null 2>&1
}

pgc_free_port() {
	local port=${1:-5432} _
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
		port=$((port + 1))
	done
	echo "$port"
}

pgc_psql() {
	"$PGC_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGC_DIR" -p "$(pgc_port)" -U postgres "$@"
}
