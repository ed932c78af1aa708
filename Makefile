# graft — one GNU make for the whole tree.
#
#   make            build the library, the CLI and the tests
#   make demo       the tour (installs missing Debian packages first)
#   make check      every test, fuzz smokes included (SAN=1: ASan + UBSan)
#   make bench      benchmarks with their anchors
#   make fuzz       each fuzz target for FUZZ_TIME seconds (default 300)
#
# Areas with rules of their own (the unikernel, eBPF examples, benchmarks)
# keep them in mk/*.mk, included below.

SAN ?= 0
CC := gcc
CLANG ?= clang

BUILD := build
ifeq ($(SAN),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CFLAGS := -std=c11 -O2 -g $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Iinclude -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS := -lelf -lz -lsodium -lm

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

# ---------------------------------------------------------------------------
# The portable libraries (lib/*/) and the Linux-process platform.

LIB_SRCS := $(wildcard lib/*/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libgraft.a

PLAT_SRCS := $(wildcard platform/linux/*.c)
PLAT_OBJS := $(PLAT_SRCS:%.c=$(BUILD)/%.o)
PLAT := $(BUILD)/libgraft-linux.a

# lib/overlay calls the platform and the platform may call lib/: one group.
GRAFT_LIBS = -Wl,--start-group $(LIB) $(PLAT) -Wl,--end-group

TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
GRAFT := $(BUILD)/graft

# Each tests/*.c is one test program; tests/*.sh are script suites.
TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_SCRIPTS := $(wildcard tests/*.sh)

# Things that must be built before `make check` runs; fragments add to it.
CHECK_DEPS = $(GRAFT) $(TEST_BINS)
BENCH_DEPS = $(GRAFT)
DEMO_DEPS = $(GRAFT)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(PLAT): $(PLAT_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(GRAFT): $(TOOL_OBJS) $(PLAT) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(GRAFT_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(PLAT) $(LIB) tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(GRAFT_LIBS) $(LDLIBS)

# ---------------------------------------------------------------------------
# libFuzzer targets: fuzz/*.c, built with clang and ASan + UBSan.

FUZZ_BUILD := build-fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_CFLAGS := -std=c11 $(WARN) -D_GNU_SOURCE -Iinclude $(FUZZ_FLAGS) \
	-fsanitize=fuzzer-no-link
FUZZ_SRCS := $(wildcard fuzz/*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB := $(FUZZ_BUILD)/libgraft.a
FUZZ_TIME ?= 300

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/%: fuzz/%.c $(FUZZ_LIB)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)

-include $(wildcard mk/*.mk)

# ---------------------------------------------------------------------------
# Entry points.

.PHONY: all deps demo check bench fuzz fuzz-build clean

all: $(GRAFT) $(TEST_BINS)

deps:
	@scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory $(DEMO_DEPS)
	@BUILD=$(BUILD) scripts/demo.sh

fuzz-build: $(FUZZ_BINS)

check: deps
	@$(MAKE) --no-print-directory $(CHECK_DEPS) fuzz-build
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) SAN=$(SAN) scripts/check.sh

bench: deps
	@$(MAKE) --no-print-directory $(BENCH_DEPS)
	@BUILD=$(BUILD) scripts/bench.sh

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) scripts/fuzz.sh $(FUZZ_TIME)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find build build-san build-fuzz -name '*.d' 2>/dev/null)
