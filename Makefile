# carewatch build.
#
#   make            bin/carewatch (optimised, warnings are errors)
#   make check      install missing Debian packages, build the tests with
#                   ASan+UBSan, start a throwaway PostgreSQL and run every test
#   make unit       only the tests that need no database (fast edit loop)
#   make demo       local cluster under demo/, realistic data, nightly run
#   make bench      benchmarks (never part of check)
#   make fuzz       bounded fuzzing of the parsers (clang/libFuzzer)
#   make lint       cppcheck and clang-tidy
#   make screenshots  every report as HTML and PNG (headless Chromium) in build/screenshots
#   make install    bin/carewatch, its man page and its bash completion under
#                   $(DESTDIR)$(PREFIX) (PREFIX=/usr/local unless given)
#   make uninstall  remove what make install installed (same PREFIX and DESTDIR)
#
# Sources are found by wildcard: a new src/foo.c is part of the binary, and a
# new tests/test_foo.c is a new test program.

CC       ?= cc
PG_INC   := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
PG_BIN   := $(shell pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpointer-arith -Wundef -Wno-format-nonliteral
XML_INC  := $(shell xml2-config --cflags 2>/dev/null || echo -I/usr/include/libxml2)
CPPFLAGS := -Iinclude -I$(PG_INC) $(XML_INC) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP
# libcurl, libxml2, libzip and libjansson are not linked: lazylib.c loads
# them on first use (docs/architecture.md).  The tests call two directly.
LDLIBS   := -lpq -luuid -lnettle -lreadline -lm -lpthread
TLDLIBS  := $(LDLIBS) -lzip -ljansson -lcmocka

SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# CW_TEST_HOOKS: test-only fault injection (db.c), never in bin/carewatch.
TCFLAGS  := -std=c11 $(WARN) -O1 -g $(SAN) -MMD -MP -DCW_TEST_HOOKS

SRC      := $(wildcard src/*.c)
MIGRATIONS := $(sort $(wildcard schema/[0-9]*.sql))
OBJ      := $(SRC:src/%.c=build/rel/%.o) build/rel/migrations.o
TOBJ     := $(SRC:src/%.c=build/test/%.o) build/test/migrations.o
TLIBOBJ  := $(filter-out build/test/main.o,$(TOBJ)) build/test/testlib.o build/test/testcore.o
TESTSRC  := $(wildcard tests/test_*.c)
TESTS    := $(TESTSRC:tests/%.c=build/test/%)

.PHONY: all check unit deps test-build demo bench fuzz lint clean man soak screenshots valgrind \
	install uninstall
all: bin/carewatch

bin/carewatch: $(OBJ)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/rel/%.o: src/%.c
	@mkdir -p build/rel
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The list of migrations, rewritten only when it changes, so that removing or
# renaming one regenerates migrations.c too (a removed file is no prerequisite).
MIGRATIONS_LIST := build/gen/migrations.list
$(shell mkdir -p build/gen && { echo '$(MIGRATIONS)' | cmp -s - $(MIGRATIONS_LIST) || echo '$(MIGRATIONS)' > $(MIGRATIONS_LIST); })
build/gen/migrations.c: $(MIGRATIONS) $(MIGRATIONS_LIST) schema/grants.tsv tools/embed-migrations.sh
	@mkdir -p build/gen
	tools/embed-migrations.sh --grants schema/grants.tsv $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

build/rel/migrations.o: build/gen/migrations.c
	@mkdir -p build/rel
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/test/migrations.o: build/gen/migrations.c
	@mkdir -p build/test
	$(CC) $(CPPFLAGS) $(TCFLAGS) -c -o $@ $<

build/test/%.o: src/%.c
	@mkdir -p build/test
	$(CC) $(CPPFLAGS) $(TCFLAGS) -c -o $@ $<

build/test/testlib.o: tests/testlib.c
	@mkdir -p build/test
	$(CC) $(CPPFLAGS) -Itests $(TCFLAGS) -c -o $@ $<

build/test/test_%.o: tests/test_%.c
	@mkdir -p build/test
	$(CC) $(CPPFLAGS) -Itests $(TCFLAGS) -c -o $@ $<

build/test/test_%: build/test/test_%.o $(TLIBOBJ)
	$(CC) $(TCFLAGS) -o $@ $^ $(TLDLIBS)

# The pure modules (docs/architecture.md, "Layers"): they touch no database
# and call nothing outside this list.  Their unit tests link these objects
# only, without libpq, so a pure module that calls the database or the
# engine fails to link; tools/layers.sh (make lint) checks their includes.
CORE_MODULES := balance calendar copybuf csv error field html intel output rng rules score \
                sha256 stats suppress vocab
CORE_TESTS   := $(patsubst %,build/test/test_%,balance calendar csv html output score stats suppress)
TCOREOBJ     := $(CORE_MODULES:%=build/test/%.o) build/test/testcore.o
$(CORE_TESTS): build/test/test_%: build/test/test_%.o $(TCOREOBJ)
	$(CC) $(TCFLAGS) -o $@ $^ -luuid -lnettle -lcmocka -lm

build/test/testcore.o: tests/testcore.c
	@mkdir -p build/test
	$(CC) $(CPPFLAGS) -Itests $(TCFLAGS) -c -o $@ $<

# The sanitised binary the command-line tests run.
build/test/carewatch: $(TOBJ)
	$(CC) $(TCFLAGS) -o $@ $^ $(LDLIBS)

# The valgrind build: the same tests without sanitisers (valgrind and ASan
# cannot share a process).
VGFLAGS  := -std=c11 $(WARN) -O1 -g -MMD -MP -DCW_TEST_HOOKS
VOBJ     := $(SRC:src/%.c=build/vg/%.o) build/vg/migrations.o
VLIBOBJ  := $(filter-out build/vg/main.o,$(VOBJ)) build/vg/testlib.o build/vg/testcore.o
VTESTS   := $(TESTSRC:tests/%.c=build/vg/%)

build/vg/%.o: src/%.c
	@mkdir -p build/vg
	$(CC) $(CPPFLAGS) $(VGFLAGS) -c -o $@ $<

build/vg/migrations.o: build/gen/migrations.c
	@mkdir -p build/vg
	$(CC) $(CPPFLAGS) $(VGFLAGS) -c -o $@ $<

build/vg/testlib.o: tests/testlib.c
	@mkdir -p build/vg
	$(CC) $(CPPFLAGS) -Itests $(VGFLAGS) -c -o $@ $<

build/vg/testcore.o: tests/testcore.c
	@mkdir -p build/vg
	$(CC) $(CPPFLAGS) -Itests $(VGFLAGS) -c -o $@ $<

build/vg/test_%.o: tests/test_%.c
	@mkdir -p build/vg
	$(CC) $(CPPFLAGS) -Itests $(VGFLAGS) -c -o $@ $<

build/vg/test_%: build/vg/test_%.o $(VLIBOBJ)
	$(CC) $(VGFLAGS) -o $@ $^ $(TLDLIBS)

build/vg/carewatch: $(VOBJ)
	$(CC) $(VGFLAGS) -o $@ $^ $(LDLIBS)

# Every test under valgrind (slow: run it before a release, not on each edit).
# VG_TESTS="test_record test_nightly" limits it to some programs.
valgrind: deps build/vg/carewatch build/test/carewatch build/cwgen $(VTESTS)
	CW_VALGRIND=1 tests/run-tests.sh $(if $(VG_TESTS),$(addprefix build/vg/,$(VG_TESTS)),$(VTESTS))

deps:
	@tools/install-deps.sh

test-build: deps
	@$(MAKE) --no-print-directory build/test/carewatch build/cwgen $(TESTS)

check: test-build
	tests/run-tests.sh $(TESTS)

unit: test-build
	CW_UNIT_ONLY=1 tests/run-tests.sh $(TESTS)

demo: all build/cwgen
	tools/demo.sh

bench: all build/cwgen
	tools/bench.sh

# The data generator (tools/cwgen.c): links the pure modules it shares with
# carewatch (calendar, rules, balancer, vocabularies) and the SQL wrapper.
CWGEN_OBJ := $(addprefix build/rel/,calendar.o vocab.o rules.o sha256.o balance.o db.o error.o rng.o csv.o output.o \
	ods_write.o lazylib.o)
build/cwgen: tools/cwgen.c $(CWGEN_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tools/cwgen.c $(CWGEN_OBJ) $(LDLIBS)

# Mixed officer traffic for SOAK_SECONDS (default 120): throughput, p50/p99, errors.
soak: all
	tools/soak.sh

# Every report rendered to PNG by headless Chromium (build/screenshots/), to
# look at the charts; chromium is installed here, not for make check.
screenshots: all
	@tools/install-deps.sh chromium
	tools/screenshots.sh build/screenshots

fuzz:
	@tools/install-deps.sh clang libclang-rt-14-dev
	tools/fuzz.sh

lint:
	tools/layers.sh $(CORE_MODULES)
	tools/include-cycles.py
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr --std=c11 -Iinclude src tests
	clang-tidy --quiet $(SRC) -- $(CPPFLAGS) -std=c11

# The man page is generated from the command table (tests check it is current).
man: bin/carewatch
	bin/carewatch help --man > docs/carewatch.1

# Installing: the binary, the man page and the bash completion script (made
# from the binary's command table, as the man page is).  BIN is the binary
# to install; the tests install build/test/carewatch so as not to build the
# optimised one.
PREFIX  ?= /usr/local
BIN     ?= bin/carewatch
BASHCOMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

build/carewatch.bash: $(BIN)
	@mkdir -p build
	$(BIN) help --bash-completion > $@.tmp && mv $@.tmp $@

install: $(BIN) build/carewatch.bash
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/carewatch
	install -D -m 644 docs/carewatch.1 $(DESTDIR)$(PREFIX)/share/man/man1/carewatch.1
	install -D -m 644 build/carewatch.bash $(BASHCOMPDIR)/carewatch

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/carewatch $(DESTDIR)$(PREFIX)/share/man/man1/carewatch.1 \
	    $(BASHCOMPDIR)/carewatch

clean:
	rm -rf bin build

-include $(wildcard build/rel/*.d build/test/*.d build/vg/*.d build/cwgen.d)
