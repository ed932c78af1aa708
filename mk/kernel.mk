# mk/kernel.mk — the graft unikernel images and the platform's apps.
#
# kernel/*.c and kernel/*.S are built freestanding (no red zone, no PIE,
# frame pointers for backtraces) against musl's headers; apps/NAME/*.c are
# ordinary C. An image links kernel + app + musl's libc.a twice: the first
# pass's `nm` output becomes the embedded symbol table of the second (it is
# the last section, so no other address moves). apps/NAME/files/** become
# built-in files of the RAM file system. Each app is also built as a Linux
# program against libgraft-linux.a.

.SECONDEXPANSION:
KBUILD := $(BUILD)/kernel
MUSL_LIBC := $(firstword $(wildcard /usr/lib/x86_64-linux-musl/libc.a /usr/lib/musl/lib/libc.a))
MUSL_INC := $(firstword $(wildcard /usr/include/x86_64-linux-musl /usr/lib/musl/include))
GCC_INC := $(shell $(CC) -print-file-name=include)
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

KCFLAGS := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -ffreestanding -fno-pie -fno-pic \
	-fno-stack-protector -mno-red-zone -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-nostdinc -isystem $(MUSL_INC) -isystem $(GCC_INC) -Iinclude -Ikernel -MMD -MP
# Extra flags for application code in images (e.g. patchable function
# entries for tracing); other areas may append. APP_EXTRA_CFLAGS_NAME adds
# flags for app NAME's own objects only, on both platforms.
KAPP_EXTRA_CFLAGS ?=
APP_KCFLAGS = $(KAPP_EXTRA_CFLAGS) -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -fno-pie -fno-pic \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-nostdinc -isystem $(MUSL_INC) -isystem $(GCC_INC) -Iinclude -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack -T kernel/kernel.ld

KERNEL_SRCS := $(filter-out kernel/mksyms.c,$(wildcard kernel/*.c)) $(wildcard kernel/*.S)
KERNEL_OBJS := $(patsubst kernel/%,$(KBUILD)/obj/%.o,$(KERNEL_SRCS))
MKSYMS := $(KBUILD)/mksyms
APPS := $(notdir $(patsubst %/,%,$(dir $(wildcard apps/*/main.c))))
IMAGES := $(APPS:%=$(KBUILD)/%.elf)
LINUX_APPS := $(APPS:%=$(BUILD)/apps/%)

$(KBUILD)/obj/%.c.o: kernel/%.c
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -c $< -o $@

$(KBUILD)/obj/%.S.o: kernel/%.S
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -c $< -o $@

$(KBUILD)/apps/%.o: apps/%.c
	@mkdir -p $(@D)
	$(CC) $(APP_KCFLAGS) $(APP_EXTRA_CFLAGS_$(*D)) -c $< -o $@

$(MKSYMS): kernel/mksyms.c kernel/symtab.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -D_GNU_SOURCE -o $@ $<

# The built-in files of app $*: an assembly file of .incbin's.
$(KBUILD)/%-files.S: $$(shell find apps/$$*/files -type f 2>/dev/null) kernel/mkfiles.sh
	@mkdir -p $(@D)
	sh kernel/mkfiles.sh apps/$*/files > $@

$(KBUILD)/%-files.o: $(KBUILD)/%-files.S
	$(CC) -c $< -o $@

kernel_app_objs = $(patsubst apps/%.c,$(KBUILD)/apps/%.o,$(wildcard apps/$(1)/*.c))
.PRECIOUS: $(KBUILD)/obj/%.o $(KBUILD)/apps/%.o $(KBUILD)/%-files.o $(KBUILD)/%-files.S

# graft's own library (lib/), built like application code, so an image's
# application can start the overlay; an archive, so images that do not use
# it pull nothing from it.
KLIB := $(KBUILD)/libgraft.a
# lib/sign needs libsodium, which is built for glibc: not in images (yet).
KLIB_OBJS := $(patsubst lib/%.c,$(KBUILD)/lib/%.o,$(filter-out lib/sign/%,$(LIB_SRCS)))
$(KBUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(APP_KCFLAGS) -c $< -o $@
$(KLIB): $(KLIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(KBUILD)/%.elf: $(KERNEL_OBJS) $$(call kernel_app_objs,$$*) \
		$(KBUILD)/%-files.o $(KLIB) $(MKSYMS) kernel/kernel.ld
	ld $(KLDFLAGS) -o $@.pass1 $(filter %.o,$^) --start-group $(KLIB) $(MUSL_LIBC) $(LIBGCC) --end-group
	nm -n -S --defined-only $@.pass1 | $(MKSYMS) > $@.syms
	objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
		--rename-section .data=.graft_syms,alloc,load,readonly,data,contents $@.syms $@.syms.o
	ld $(KLDFLAGS) -o $@ $(filter %.o,$^) $@.syms.o --start-group $(KLIB) $(MUSL_LIBC) $(LIBGCC) --end-group
	@# The table is only right if the second link moved nothing.
	@nm -n --defined-only $@.pass1 | awk '{print $$1, $$3}' | grep -v -e __syms_end -e __image_end > $@.nm1
	@nm -n --defined-only $@ | awk '{print $$1, $$3}' | grep -v -e __syms_end -e __image_end -e _binary_ > $@.nm2
	@cmp -s $@.nm1 $@.nm2 || { echo "$@: symbols moved between the two links"; rm -f $@; exit 1; }
	rm -f $@.pass1 $@.syms.o $@.nm1 $@.nm2

$(BUILD)/apps/%: $$(wildcard apps/$$*/*.c apps/$$*/*.h) include/graft/platform.h $(PLAT) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(APP_EXTRA_CFLAGS_$*) -fno-omit-frame-pointer -Iinclude $(LDFLAGS) -o $@ $(filter %.c,$^) $(GRAFT_LIBS) $(LDLIBS)

kernel: $(IMAGES) $(LINUX_APPS)
.PHONY: kernel

all: $(IMAGES) $(LINUX_APPS)
CHECK_DEPS += $(IMAGES) $(LINUX_APPS)
BENCH_DEPS += $(IMAGES) $(LINUX_APPS)
DEMO_DEPS += $(IMAGES) $(LINUX_APPS)

-include $(wildcard $(KBUILD)/obj/*.d $(KBUILD)/apps/*/*.d $(KBUILD)/lib/*/*.d)
