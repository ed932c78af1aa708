/*
 * libFuzzer target: random bytes into the ELF loader. Whatever parses is
 * also loaded (maps created through a registry, programs validated) and
 * each program run once, checked, with a small budget, so the relocation
 * results, the map helpers and the ring buffer see fuzzed programs too.
 * A parse error must carry a message. Any crash or sanitizer report is a
 * finding. Seeds: the example objects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graft/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *f_alloc(void *ud, size_t n)
{
	(void)ud;
	void *p = NULL;
	return posix_memalign(&p, 16, n ? n : 1) ? NULL : p;
}

static void f_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct graft_alloc a = { f_alloc, f_free, NULL };
	static struct ebpf_exec x;
	static struct graft_env env;
	static uint8_t ctx[256];
	struct graft_err err = { 0 };
	struct graft_elf *e = NULL;
	if (graft_elf_open(&e, data, size, &a, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	struct graft_registry *reg = NULL;
	struct graft_obj *o = NULL;
	struct graft_obj_opts opts = { .name = "fuzz" };
	if (!graft_registry_create(&reg, &a, &err) &&
	    !graft_obj_load(&o, e, reg, &opts, &a, &err)) {
		graft_env_init(&env, reg);
		for (size_t i = 0; i < e->nprogs && i < 8; i++) {
			ebpf_exec_init(&x);
			x.budget = 10000;
			memset(ctx, 0, sizeof ctx);
			if (graft_obj_exec(o, &x, &env, &err) ||
			    ebpf_exec_add_region(&x, ctx, sizeof ctx, EBPF_RW))
				continue;
			x.arg[0] = (uint64_t)(uintptr_t)ctx;
			ebpf_prog_run(o->progs[i], &x);
		}
	}
	graft_obj_free(o);
	graft_registry_free(reg);
	graft_elf_close(e);
	return 0;
}
