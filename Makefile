# Paspor — build, test, fuzz, bench, run. See README.md.
#
#   make            build/paspor (gcc, -O2)
#   make test       install missing packages, build (gcc release + clang ASan/UBSan),
#                   run every test; ends with "N passed, N failed"
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60) seconds
#   make bench      the benchmarks under bench/, figures for docs/BENCHMARKS.md
#   make run        an office node with a demo key set, serving its API (README.md)
#   make demo-icao  the ICAO 9303 demonstration: CSCA, DS, MRZ, chip, verification

ifeq ($(origin CC),default)
CC       := gcc
endif
SAN_CC   ?= clang
FUZZ_CC  ?= clang
NPROC    := $(shell nproc 2>/dev/null || echo 2)

PKGS     := libcrypto libsodium libutf8proc jansson libjpeg sqlite3 libmicrohttpd libconfig liboath p11-kit-1 cairo fontconfig libpng libisal libcurl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wvla -Wformat=2 -Wno-format-nonliteral
BASE     = -std=c17 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -pthread -MMD -MP
REL_FLAGS  := -O2 -g
# -DPASPOR_TESTING compiles the test-only knobs (docs/ARCHITECTURE.md "Test-only
# knobs") into the sanitizer build that tests/run.sh drives; never into build/paspor
SAN_FLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -DPASPOR_TESTING
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -DPASPOR_FUZZING

LIB_SRC  := $(sort $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c)))
# compiled into test builds only (-DPASPOR_TESTING): the test-only routes
TESTING_SRC := src/office/test_routes.c
REL_SRC  := $(filter-out $(TESTING_SRC),$(LIB_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

REL_OBJ  := $(REL_SRC:src/%.c=build/obj/%.o)
SAN_OBJ  := $(LIB_SRC:src/%.c=build/san/obj/%.o)
FZ_OBJ   := $(REL_SRC:src/%.c=build/fuzz/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=build/san/unit/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all deps test check-build fuzz fuzz-build bench run demo-icao clean
all: build/paspor

deps:
	@scripts/deps.sh

# ---- release (gcc) ----
build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(REL_FLAGS) -c $< -o $@
build/libpaspor.a: $(REL_OBJ)
	@rm -f $@; ar rcs $@ $^
build/paspor: build/obj/main.o build/libpaspor.a
	$(CC) $(REL_FLAGS) -pthread -o $@ $^ $(PKG_LIBS)

# ---- sanitizer build for tests (clang) ----
build/san/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(SAN_FLAGS) -c $< -o $@
build/san/libpaspor.a: $(SAN_OBJ)
	@rm -f $@; ar rcs $@ $^
build/san/paspor: build/san/obj/main.o build/san/libpaspor.a
	$(SAN_CC) $(SAN_FLAGS) -pthread -o $@ $^ $(PKG_LIBS)
build/san/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) -Itests/unit $(SAN_FLAGS) -c $< -o $@
build/san/unit-tests: $(UNIT_OBJ) build/san/libpaspor.a
	$(SAN_CC) $(SAN_FLAGS) -pthread -o $@ $^ $(PKG_LIBS)
# the fixture node's helper (tests/fixture/fixture_tool.c, docs/TESTING.md): test build
# only; the wrap lets it list the kind registry
build/san/fixture-tool: tests/fixture/fixture_tool.c build/san/libpaspor.a
	$(SAN_CC) $(BASE) $(SAN_FLAGS) -Wl,--wrap=kinds_register -o $@ $< build/san/libpaspor.a $(PKG_LIBS)

# ---- libFuzzer targets (clang) ----
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/libpaspor.a: $(FZ_OBJ)
	@rm -f $@; ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libpaspor.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libpaspor.a $(PKG_LIBS)

# ---- benchmarks (gcc, -O2) ----
# the load client (bench/office_bench.c) uses libcurl too (the product links it for the
# booking code senders, src/office/notify.c)
BENCH_PKGS := libcurl
BENCH_CFLAGS = $(shell pkg-config --cflags $(BENCH_PKGS) 2>/dev/null)
BENCH_LIBS   = $(shell pkg-config --libs $(BENCH_PKGS) 2>/dev/null)
build/bench/%: bench/%.c build/libpaspor.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(BENCH_CFLAGS) $(REL_FLAGS) -o $@ $< build/libpaspor.a $(PKG_LIBS) $(BENCH_LIBS)

check-build: build/paspor build/san/paspor build/san/unit-tests build/san/fixture-tool $(FUZZ_BIN)

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) check-build
	@tests/run.sh

fuzz-build: $(FUZZ_BIN)
fuzz: deps
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build
	@scripts/fuzz.sh $(FUZZ_BIN)

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build/paspor $(BENCH_BIN)
	@bench/run.sh

run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build/paspor
	@scripts/run-office.sh

demo-icao: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build/paspor
	@scripts/demo-icao.sh

clean:
	rm -rf build

-include $(REL_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(FZ_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) \
	build/obj/main.d build/san/obj/main.d $(BENCH_BIN:=.d)
