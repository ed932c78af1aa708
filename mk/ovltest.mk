# apps/ovltest: the overlay's end-to-end test application. Its own objects
# get patchable function entries (five NOPs) so bpf_attach can trace them;
# `private` keeps the flag off the prerequisites (libgraft, the kernel).
OVLTEST_PFE := -fpatchable-function-entry=5,0
$(KBUILD)/apps/ovltest/%.o: private KAPP_EXTRA_CFLAGS += $(OVLTEST_PFE)

# The Linux build: the overlay calls the platform, so the libraries link as
# one group (the generic apps rule in mk/kernel.mk links them in order).
$(BUILD)/apps/ovltest: apps/ovltest/main.c include/graft/platform.h $(PLAT) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(OVLTEST_PFE) -fno-omit-frame-pointer \
		$(LDFLAGS) -o $@ $< $(GRAFT_LIBS) $(LDLIBS)
