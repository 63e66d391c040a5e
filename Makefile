# mm - production ML monitoring as small C programs.
#
#   make            build bin/ and build/libmm.a (installs missing packages)
#   make test       build and run every test, the store suites on SQLite
#                   and on PostgreSQL; ends with "N passed, N failed"
#   make sim        build, train a model if none, run the drift simulation
#   make train      train a first model into models/ (mm-train --synthetic)
#   make check-asan the whole suite under address + undefined sanitizers
#   make check-valgrind  unit tests and pipelines under valgrind
#   make check-pg-sim    the simulation on SQLite and PostgreSQL, compared
#   make check-pg   only the storage, exactly-once, crash and concurrency
#                   suites, on PostgreSQL (tests/pg/*.pg)
#   make bench      benchmarks (bench/)
#   make lint       house style checks
#   make install    PREFIX=/usr/local
#   make fuzz       each libFuzzer harness in tests/fuzz/ for FUZZ_SECONDS
#   make fuzz-smoke each harness for a few seconds, and its crashers replayed

PREFIX ?= /usr/local
CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
BUILD ?= build
BIN ?= bin

MM_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Ilib -I/usr/include/postgresql \
	$(EXTRA_CFLAGS)
MM_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -fno-exceptions $(EXTRA_CFLAGS)
# libstdc++ (std::to_chars, in lib/numparse.cc) is linked in: loading the
# shared one cost every program start 40 page faults and about 1.5 ms,
# a third of a start, and the programs are started per batch from shell
# scripts.  The sanitizer and fuzzing builds take the shared one, as
# their runtimes do.
STDCXX = -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic
LDLIBS = -ljansson -lyaml -lsqlite3 -lgsl -lgslcblas -lnettle -lmicrohttpd -lpthread -ldl \
	$(STDCXX) -lm

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/lib/numparse.o \
	$(BUILD)/lib/report_css.o
LIB_HDR = $(wildcard lib/*.h)
# The pure modules: computation only, no I/O and no clock (mm(7)).  make
# lint holds each .c and its .h to that (scripts/lint.sh).
PURE = lib/policy.c lib/trust.c lib/psi.c lib/metrics.c lib/forest.c \
	lib/train.c lib/rng.c lib/gen.c lib/rows.c lib/bh.c lib/homog.c \
	lib/encode.c
PROG_SRC = $(wildcard cmd/mm-*.c)
PROGS = $(PROG_SRC:cmd/%.c=$(BIN)/%)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNITS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# The fuzz harnesses built without libFuzzer: each seed and crasher
# replayed once by make test (tests/fuzz/replay.c).
REPLAYS = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/replay/fuzz_%,\
	$(wildcard tests/fuzz/fuzz_*.c))
MANS = $(wildcard man/*.1)
MANS5 = $(wildcard man/*.5)
MANS7 = $(wildcard man/*.7)

.PHONY: all deps deps-test test unit sim check-asan check-valgrind \
	check-pg-sim check-pg bench lint \
	install clean verify train fuzz fuzz-build fuzz-smoke deps-fuzz run \
	check-docker

all: deps $(PROGS)

deps:
	@scripts/deps.sh build

# Packages come first: a parallel build must not compile before they are in.
$(BUILD)/lib/%.o: lib/%.c $(LIB_HDR) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -c -o $@ $<

$(BUILD)/lib/numparse.o: lib/numparse.cc | deps
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(MM_CXXFLAGS) -c -o $@ $<

# mm-report's style sheet is kept as CSS, lib/report.css, and built in
# as a C array (scripts/embed.sh; od and awk, no xxd).
$(BUILD)/lib/report_css.c: lib/report.css scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh mm_report_css lib/report.css >$@.tmp
	mv $@.tmp $@

$(BUILD)/lib/report_css.o: $(BUILD)/lib/report_css.c | deps
	$(CC) $(CFLAGS) $(MM_CFLAGS) -c -o $@ $<

$(BUILD)/libmm.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BIN)/%: cmd/%.c $(BUILD)/libmm.a $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -o $@ $< $(BUILD)/libmm.a $(LDFLAGS) \
		$(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmm.a $(LIB_HDR) \
    $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(BUILD)/libmm.a $(LDFLAGS) -lcmocka $(LDLIBS)

test: deps-test $(PROGS) $(UNITS) $(REPLAYS)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run.sh

deps-test:
	@scripts/deps.sh test

unit: deps-test $(UNITS)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run.sh unit

check-asan: deps-test
	$(MAKE) BUILD=build/asan BIN=build/asan/bin \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" STDCXX=-lstdc++ test

# The simulation on SQLite and on PostgreSQL: the same decisions and
# models (tests/pg-sim.sh; two simulations, too long for make test).
check-pg-sim: deps-test $(PROGS)
	@MM_BIN="$(abspath $(BIN))" tests/pg-sim.sh

# Only the suites that run on either store (helper.bash's db and sq), on
# a throwaway PostgreSQL cluster a file (tests/pg/*.pg); make test runs
# them on both stores.
check-pg: deps-test $(PROGS)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run.sh pg

check-valgrind: deps-test $(PROGS) $(UNITS)
	@scripts/deps.sh test
	@BUILD=$(BUILD) BIN=$(BIN) tests/valgrind.sh

train: all
	@if [ -f models/active.json ]; then \
		echo "models/ has an active version; mm-train --synthetic --stage adds a candidate"; \
	else bin/mm-train --synthetic --models models; fi

sim: all
	@DB="$(DB)" scripts/sim.sh

# mm-serve in the foreground on the simulation's database and store,
# with a first model trained there if none (scripts/run.sh); LISTEN
# sets the address: make run LISTEN=0.0.0.0:8000
run: all
	@LISTEN="$(LISTEN)" MM_BIN="$(abspath $(BIN))" scripts/run.sh

# The Docker image end to end: build it, serve from a container on
# temporary host directories, ask /health and /metrics from the host
# (scripts/check-docker.sh; installs docker.io, starts dockerd if need
# be).  Not part of make test.
check-docker:
	@scripts/check-docker.sh

bench: all
	@scripts/deps.sh bench
	@bench/run.sh

verify: all
	@scripts/deps.sh verify
	@scripts/verify.sh

# Fuzzing: the harnesses tests/fuzz/fuzz_*.c and the library, built by
# clang with libFuzzer and the sanitizers into build/fuzz/ (a make of
# its own, as check-asan does).  tests/fuzz/run.sh runs them FUZZ_JOBS
# at a time; findings land in build/fuzz/artifacts/.  Some of them:
#   make fuzz FUZZ_TARGETS="ref model" FUZZ_SECONDS=60
FUZZ_BUILD = build/fuzz
FUZZ_CC = clang
FUZZ_CXX = clang++
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_JOBS ?= 2
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

deps-fuzz:
	@scripts/deps.sh fuzz

fuzz-build: deps-fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		CXX=$(FUZZ_CXX) \
		CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
		CXXFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
		STDCXX=-lstdc++ $(FUZZ_BINS)

fuzz: fuzz-build
	@tests/fuzz/run.sh -t $(FUZZ_SECONDS) -j $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh -t $(FUZZ_SMOKE_SECONDS) -j $(FUZZ_JOBS) -r \
		$(FUZZ_TARGETS)

# The harnesses without libFuzzer (REPLAYS), for tests/bats/fuzz.bats.
$(BUILD)/replay/replay.o: tests/fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -c -o $@ $<

$(BUILD)/replay/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/replay/replay.o \
		tests/fuzz/fuzz.h $(BUILD)/libmm.a $(LIB_HDR)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(BUILD)/replay/replay.o $(BUILD)/libmm.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/replay/fuzz_mmbatch: tests/fuzz/fuzz_mmbatch.c \
		$(BUILD)/replay/replay.o tests/fuzz/fuzz.h \
		tests/fuzz/mmbatch_shim.h cmd/mm-batch.c $(BUILD)/libmm.a \
		$(LIB_HDR)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -Wno-missing-prototypes \
		-include tests/fuzz/mmbatch_shim.h -o $@ $< cmd/mm-batch.c \
		$(BUILD)/replay/replay.o $(BUILD)/libmm.a $(LDFLAGS) $(LDLIBS)

# Only through fuzz-build, where BUILD is $(FUZZ_BUILD).
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libmm.a \
		$(LIB_HDR)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(BUILD)/libmm.a $(LDFLAGS) $(LDLIBS)

$(FUZZ_BUILD)/fuzz_mmbatch: tests/fuzz/fuzz_mmbatch.c tests/fuzz/fuzz.h \
		tests/fuzz/mmbatch_shim.h cmd/mm-batch.c $(BUILD)/libmm.a \
		$(LIB_HDR)
	$(CC) $(CFLAGS) $(MM_CFLAGS) -fsanitize=fuzzer \
		-include tests/fuzz/mmbatch_shim.h -o $@ $< cmd/mm-batch.c \
		$(BUILD)/libmm.a $(LDFLAGS) $(LDLIBS)

lint: deps-test
	@PURE="$(PURE)" scripts/lint.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(MANS5) $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 $(MANS7) $(DESTDIR)$(PREFIX)/share/man/man7

clean:
	rm -rf build bin tests/log
