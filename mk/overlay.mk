# The overlay: `graft console` uses libedit for line editing and history.
LDLIBS += -ledit

# The console benchmark reuses the tests' Linux server.
$(BUILD)/bench/overlay_rt: bench/overlay_rt.c tests/overlay_server.h $(PLAT) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(PLAT) $(LIB) $(LDLIBS)

BENCH_DEPS += $(BUILD)/bench/overlay_rt

DEMO_DEPS += $(BUILD)/tests/overlay_socket
