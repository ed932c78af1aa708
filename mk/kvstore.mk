# mk/kvstore.mk — the overlay's demo applications (apps/kvstore, apps/compute),
# their load generator and the eBPF and native programs the tests, the demo
# and the benchmark attach to them.

# The apps' own code gets patchable function entries (5 bytes of nops the
# overlay rewrites into a call to its trampoline) on both platforms.
APP_EXTRA_CFLAGS_kvstore := -fpatchable-function-entry=5,0
APP_EXTRA_CFLAGS_compute := -fpatchable-function-entry=5,0

# A host tool: drives get/set/del at a store, checks every reply.
KVLOAD := $(BUILD)/bench/kvload
$(KVLOAD): bench/kvload.c bench/kvload_net.c bench/kvload.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ bench/kvload.c bench/kvload_net.c

# eBPF programs (counter, variable reader, faulty) and native programs
# (reader, writer) for the store, built as an operator would.
KV_BPF_OBJS := $(patsubst apps/kvstore/probes/bpf/%.c,$(BUILD)/kvstore/bpf/%.o,$(wildcard apps/kvstore/probes/bpf/*.c))
KV_NAT_OBJS := $(patsubst apps/kvstore/probes/native/%.c,$(BUILD)/kvstore/native/%.o,$(wildcard apps/kvstore/probes/native/*.c))
$(BUILD)/kvstore/bpf/%.o: apps/kvstore/probes/bpf/%.c examples/bpf/include/overlay_helpers.h
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Wall -Werror -Iexamples/bpf/include \
		-idirafter /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null) -c $< -o $@
$(BUILD)/kvstore/native/%.o: apps/kvstore/probes/native/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -fno-common -fno-stack-protector -fcf-protection=none -fPIC -c $< -o $@

KV_ALL := $(KVLOAD) $(KV_BPF_OBJS) $(KV_NAT_OBJS)
CHECK_DEPS += $(KV_ALL)
BENCH_DEPS += $(KV_ALL)
DEMO_DEPS += $(KV_ALL)
all: $(KV_ALL)
