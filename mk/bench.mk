# Benchmarks (bench/): the eBPF runner and its programs.
#
# Every bench/progs/NAME.c is built twice from the same source: by clang as
# an XDP object (section "xdp") that graft and the Linux kernel run, and by
# gcc -O2 as the native anchor linked into the runner.

BENCH_PROGS := $(filter-out bench/progs/prog.h,$(wildcard bench/progs/*.c))
BENCH_NAMES := $(BENCH_PROGS:bench/progs/%.c=%)
BENCH_BPF_OBJS := $(BENCH_NAMES:%=$(BUILD)/bench/progs/%.bpf.o)
BENCH_NATIVE_OBJS := $(BENCH_NAMES:%=$(BUILD)/bench/native/%.o)
# The runner is bench/ebpf_bench.c and bench/bench_*.c (other bench/*.c
# belong to other benchmarks with rules of their own).
BENCH_SRCS := bench/ebpf_bench.c $(wildcard bench/bench_*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o)
EBPF_BENCH := $(BUILD)/bench/ebpf_bench

$(BUILD)/bench/progs/%.bpf.o: bench/progs/%.c bench/progs/prog.h
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Wall -Werror -c $< -o $@

# The anchor: plain gcc -O2, no sanitizers even under SAN=1.
$(BUILD)/bench/native/%.o: bench/progs/%.c bench/progs/prog.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -c $< -o $@

$(EBPF_BENCH): $(BENCH_OBJS) $(BENCH_NATIVE_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_NATIVE_OBJS) \
		$(LIB) -lbpf $(LDLIBS)

BENCH_DEPS += $(EBPF_BENCH) $(BENCH_BPF_OBJS)

# Map benchmarks: eBPF only (helpers have no native anchor).
$(BUILD)/bench/progs/maps.bpf.o: bench/mapprogs/maps.c bench/progs/prog.h
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Wall -Werror -c $< -o $@

BENCH_DEPS += $(BUILD)/bench/progs/maps.bpf.o
