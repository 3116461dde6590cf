# tools/bench-data.sh - the benchmarks' shared cluster and national data set, for sourcing.
# shellcheck shell=bash
#
# Every tools/bench-*.sh that needs data at national scale sources this file
# and calls, in order:
#
#   bench_cluster_start     start (initdb the first time) the cluster kept in
#                           build/bench/, and export PGHOST, PGPORT, PGUSER
#   bench_national_data     make sure database carewatch_national holds the
#                           national data set (30,000 providers, 10 million
#                           intelligence records, the default rules active),
#                           generating it only when it is missing or was made
#                           by another version of the generator; exports
#                           PGDATABASE and BENCH_AS_OF (the day after the
#                           data's last day: pass it as --as-of)
#   bench_cluster_stop      stop the cluster (benches call it from a trap)
#
# The data is generated once and reused by every bench and every later run:
# build/bench/national.stamp records what made it (the generator's source
# hash, scale, seed, as-of date).  `make clean` removes it all.  The cluster
# runs with fsync on and settings for a machine of this size (docs/operations.md,
# "Data generator").
#
#   BENCH_SEED   generator seed (default 1)
#   BENCH_CW     the carewatch binary (default bin/carewatch)

bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pgcluster.sh
. "$bench_top/tools/pgcluster.sh"

BENCH_DIR="$bench_top/build/bench"
BENCH_DB=carewatch_national
BENCH_AS_OF=2026-01-05
BENCH_SEED=${BENCH_SEED:-1}
export BENCH_AS_OF

bench_cluster_start() {
	pgc_use "$BENCH_DIR" || return 1
	pgc_init || return 1
	pgc_running || {
		pgc_configure "$(pgc_free_port 25400)" on \
			"max_connections = 40" "shared_buffers = 2GB" "work_mem = 64MB" \
			"maintenance_work_mem = 1GB" "max_wal_size = 8GB" "checkpoint_timeout = 30min" \
			"effective_cache_size = 8GB" "jit = off" || return 1
		pgc_start "$BENCH_DIR/server.log" || return 1
	}
	pgc_env
	export PGUSER=cw_owner
	pgc_psql -d postgres -tA -c "SELECT 1 FROM pg_roles WHERE rolname = 'cw_owner'" | grep -q 1 ||
		pgc_psql -d postgres -c "CREATE ROLE cw_owner LOGIN CREATEROLE CREATEDB" || return 1
}

bench_cluster_stop() {
	pgc_stop fast
}

bench_national_data() {
	local stamp want cw=${BENCH_CW:-$bench_top/bin/carewatch} gen="$bench_top/build/cwgen" t0 t1
	stamp="$BENCH_DIR/national.stamp"
	want="cwgen $(md5sum <"$bench_top/tools/cwgen.c" | cut -c1-12) scale national seed $BENCH_SEED as-of $BENCH_AS_OF"
	[ -x "$cw" ] && [ -x "$gen" ] || { echo "bench: error: run 'make bin/carewatch build/cwgen' first" >&2; return 1; }
	export PGDATABASE=$BENCH_DB
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
		pgc_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" | grep -q 1; then
		echo "bench: reusing the national data set in $BENCH_DIR ($want)"
		return 0
	fi
	echo "bench: generating the national data set (once; several minutes) ..."
	rm -f "$stamp"
	pgc_psql -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" \
		-c "CREATE DATABASE $BENCH_DB OWNER cw_owner" || return 1
	"$cw" db migrate >/dev/null || return 1
	"$cw" rules activate "$bench_top/rules/default.rules" >/dev/null || return 1
	t0=$(date +%s.%N)
	"$gen" --verbose --scale national --seed "$BENCH_SEED" --as-of "$BENCH_AS_OF" --rules "$bench_top/rules/default.rules" || return 1
	t1=$(date +%s.%N)
	# As a database that has been in use would be: hint bits set, visibility
	# map current.
	pgc_psql -d "$BENCH_DB" -c "VACUUM (ANALYZE)" || return 1
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "bench: national data set generated in %.0f s\n", b - a }'
	echo "$want" >"$stamp"
}
