# eBPF example programs: examples/bpf/*.c -> $(BUILD)/examples/bpf/*.o with
# the same command libbpf users run. examples/bpf/bad/*.c are objects graft
# must refuse (CO-RE, kfuncs); the tests check the refusal.

EXAMPLE_SRCS := $(wildcard examples/bpf/*.c) $(wildcard examples/bpf/bad/*.c)
EXAMPLE_OBJS := $(EXAMPLE_SRCS:%.c=$(BUILD)/%.o)
# linux/bpf.h needs asm/types.h, which Debian keeps under the host triplet.
BPF_MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Iexamples/bpf/include \
	-idirafter /usr/include/$(BPF_MULTIARCH)

$(BUILD)/examples/bpf/%.o: examples/bpf/%.c $(wildcard examples/bpf/include/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

.PHONY: examples
examples: $(EXAMPLE_OBJS)

CHECK_DEPS += $(EXAMPLE_OBJS)
DEMO_DEPS += $(EXAMPLE_OBJS)

# tests/examples.c runs the same objects in the kernel through libbpf.
$(BUILD)/tests/examples: LDLIBS += -lbpf
$(BUILD)/tests/examples: $(EXAMPLE_OBJS)
