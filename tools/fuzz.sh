#!/usr/bin/env bash
# Bounded fuzzing of carewatch's parsers with libFuzzer (clang).
#
# Every tests/fuzz/fuzz_<name>.c is one target.  It lists the sources it
# needs in a comment line "FUZZ_SOURCES: src/a.c src/b.c"; this script builds
# it with clang -fsanitize=fuzzer,address,undefined against those files, seeds
# a corpus (kept in build/fuzz/corpus/<name>, so later runs start where the
# last one stopped) from the checked-in examples, and runs it for
# FUZZ_SECONDS.  A tests/fuzz/fuzz_<name>.dict next to the target is used as
# its dictionary.  Crashes are written to build/fuzz/artifacts/<name>/ and
# make the script exit 1.
#
#   tools/fuzz.sh                 every target, 60 s each
#   FUZZ_SECONDS=600 tools/fuzz.sh fuzz_rules
#   FUZZ_JOBS=2 ...               parallel libFuzzer workers per target
#
# Seeds: rules/ and tests/rules/ (rules files) for every target, plus
# tests/fuzz/seeds/<name>/ when a target has seeds of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
cc=${FUZZ_CC:-clang}
out=build/fuzz

command -v "$cc" >/dev/null || {
	echo "carewatch: error: $cc not found" >&2
	echo "hint: apt-get install clang libclang-rt-14-dev (or make fuzz)" >&2
	exit 1
}

targets=()
if [ $# -gt 0 ]; then
	for t in "$@"; do targets+=("tests/fuzz/${t%.c}.c"); done
else
	for t in tests/fuzz/fuzz_*.c; do [ -e "$t" ] && targets+=("$t"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "carewatch: error: no fuzz targets in tests/fuzz/" >&2; exit 1; }

pg_inc=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
status=0
for src in "${targets[@]}"; do
	[ -f "$src" ] || { echo "carewatch: error: no such target $src" >&2; exit 2; }
	name=$(basename "$src" .c)
	read -r -a deps <<<"$(sed -n 's/^.*FUZZ_SOURCES:[[:space:]]*//p' "$src" | head -n 1)"
	mkdir -p "$out/corpus/$name" "$out/artifacts/$name"

	echo "== $name: building"
	"$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Iinclude -I"$pg_inc" -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
		-o "$out/$name" "$src" "${deps[@]}" -lnettle -luuid -lm

	# Seed from every rules file we have (including the bad corpus: the
	# interesting paths are the errors).
	seeds=$(mktemp -d)
	find rules tests/rules -type f -name '*.rules' -exec cp {} "$seeds/" \; 2>/dev/null || true
	if [ -d "tests/fuzz/seeds/$name" ]; then
		cp "tests/fuzz/seeds/$name"/* "$seeds/" 2>/dev/null || true
	fi
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")

	echo "== $name: fuzzing for ${seconds}s ($(ls "$seeds" | wc -l) seeds, $(ls "$out/corpus/$name" | wc -l) in corpus)"
	log="$out/$name.log"
	par=()
	[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
	set +e
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
	"$out/$name" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 "${par[@]}" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name/" \
		"$out/corpus/$name" "$seeds" >"$log" 2>&1
	rc=$?
	set -e
	rm -rf "$seeds"
	# With -jobs, libFuzzer writes each worker's output to fuzz-N.log.
	for f in fuzz-*.log; do [ -e "$f" ] && { cat "$f" >>"$log"; rm -f "$f"; }; done
	grep -E '^(stat::|#[0-9]+ +DONE|Done [0-9]+ runs)' "$log" | tail -n 8 || true
	if [ "$rc" -ne 0 ] || ls "$out/artifacts/$name" | grep -q .; then
		echo "carewatch: error: $name found a problem (exit $rc); see $log and $out/artifacts/$name/" >&2
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 20 >&2 || true
		status=1
	else
		echo "== $name: no crash, leak or undefined behaviour in ${seconds}s"
	fi
done
exit $status
