# The verifier's corpus benchmark: a runner linked with libbpf (for the
# kernel's verifier and BTF) and `make bench-verify`, which installs the
# kernel source package when missing and runs bench/verify.sh;
# `make bench-verify VERIFY_ONLY=1` re-runs only the verification.

VERIFY_RUNNER := $(BUILD)/bench/verify-runner
VERIFY_RUNNER_SRCS := $(wildcard bench/verify/*.c)

$(VERIFY_RUNNER): $(VERIFY_RUNNER_SRCS) bench/verify/elfprog.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ibench/verify $(LDFLAGS) -o $@ $(VERIFY_RUNNER_SRCS) \
		$(LIB) -lbpf $(LDLIBS)

BENCH_DEPS += $(VERIFY_RUNNER)

.PHONY: bench-verify
bench-verify: deps
	@$(MAKE) --no-print-directory $(GRAFT) $(VERIFY_RUNNER)
	@BUILD=$(BUILD) VERIFY_ONLY=$(VERIFY_ONLY) bash bench/verify.sh

# Objects for the verifier's CLI tests (tests/verify_bpf/*.c).
VERIFY_BPF_OBJS := $(patsubst tests/verify_bpf/%.c,$(BUILD)/verify_bpf/%.o,$(wildcard tests/verify_bpf/*.c))
$(BUILD)/verify_bpf/%.o: tests/verify_bpf/%.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Wall -Werror \
		-idirafter /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null) -c $< -o $@
CHECK_DEPS += $(VERIFY_BPF_OBJS)
