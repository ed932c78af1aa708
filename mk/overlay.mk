# The overlay: `graft console` uses libedit for line editing and history.
LDLIBS += -ledit

# The console benchmark reuses the tests' Linux server.
$(BUILD)/bench/overlay_rt: bench/overlay_rt.c tests/overlay_server.h $(PLAT) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(PLAT) $(LIB) $(LDLIBS)

BENCH_DEPS += $(BUILD)/bench/overlay_rt

DEMO_DEPS += $(BUILD)/tests/overlay_socket

# eBPF objects for the overlay's tests: tests/overlay_bpf/*.c built the way
# libbpf users build, plus a file that is not ELF at all.
OVL_BPF_SRCS := $(wildcard tests/overlay_bpf/*.c)
OVL_BPF_OBJS := $(OVL_BPF_SRCS:tests/overlay_bpf/%.c=$(BUILD)/overlay_bpf/%.o) \
	$(BUILD)/overlay_bpf/notelf.o
OVL_BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror \
	-idirafter /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

$(BUILD)/overlay_bpf/%.o: tests/overlay_bpf/%.c $(wildcard examples/bpf/include/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(OVL_BPF_CFLAGS) -Iexamples/bpf/include -c $< -o $@

$(BUILD)/overlay_bpf/notelf.o:
	@mkdir -p $(@D)
	printf 'this is not an ELF object\n' >$@

CHECK_DEPS += $(OVL_BPF_OBJS)

# Native programs for the overlay's tests: relocatable x86-64 objects as an
# operator would build them against the image (-fPIC so they may live
# anywhere); reader.o again without -fPIC, which must be refused on Linux
# where the image is out of 32-bit reach.
OVL_NAT_SRCS := $(wildcard tests/overlay_native/*.c)
OVL_NAT_OBJS := $(OVL_NAT_SRCS:tests/overlay_native/%.c=$(BUILD)/overlay_native/%.o) \
	$(BUILD)/overlay_native/reader_nopic.o
OVL_NAT_CFLAGS := -O2 -fno-common -fno-stack-protector -fcf-protection=none

$(BUILD)/overlay_native/%.o: tests/overlay_native/%.c
	@mkdir -p $(@D)
	$(CC) $(OVL_NAT_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/overlay_native/reader_nopic.o: tests/overlay_native/reader.c
	@mkdir -p $(@D)
	$(CC) $(OVL_NAT_CFLAGS) -fno-pic -mcmodel=small -c $< -o $@

CHECK_DEPS += $(OVL_NAT_OBJS)

$(BUILD)/bench/overlay_trace: bench/overlay_trace.c $(PLAT) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(GRAFT_LIBS) $(LDLIBS)

BENCH_DEPS += $(BUILD)/bench/overlay_trace $(BUILD)/overlay_bpf/exec.o \
	$(BUILD)/overlay_bpf/entry.o \
	$(BUILD)/overlay_native/hello.o

# lib/overlay/console.c calls the platform, so this test links the library
# before the platform (the generic test rule puts the platform first).
$(BUILD)/tests/overlay_platform: tests/overlay_platform.c $(PLAT) $(LIB) tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIB) $(PLAT) $(LDLIBS)

# The demo drives the test bed with these objects.
DEMO_DEPS += $(OVL_BPF_OBJS) $(OVL_NAT_OBJS)
