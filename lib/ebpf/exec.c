/*
 * The execution state: regions, memory checks for helpers and engines, and
 * the run-time error messages both engines share (so the interpreter and
 * the JIT word every failure the same way).
 */
#include <stdio.h>
#include <string.h>

#include "prog.h"

void ebpf_exec_init(struct ebpf_exec *x)
{
	/* The stack is the program's scratch space: no need to clear it. */
	memset(x, 0, offsetof(struct ebpf_exec, stack));
}

enum graft_status ebpf_exec_add_region(struct ebpf_exec *x, const void *p,
				       uint64_t len, unsigned perm)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	if (x->nregion >= EBPF_MAX_REGIONS)
		return GRAFT_ENOMEM;
	if (a + len < a || (perm & ~(unsigned)EBPF_RW))
		return GRAFT_EINVAL;
	x->region[x->nregion++] = (struct ebpf_region){ a, len, perm };
	return GRAFT_OK;
}

static bool in_range(uint64_t lo, uint64_t len, uint64_t addr, uint64_t size)
{
	return addr >= lo && addr - lo <= len && size <= len - (addr - lo);
}

static bool region_ok(const struct ebpf_exec *x, uint64_t addr, uint64_t size,
		      unsigned perm)
{
	for (unsigned i = 0; i < x->nregion && i < EBPF_MAX_REGIONS; i++) {
		const struct ebpf_region *r = &x->region[i];
		if ((r->perm & perm) == perm && in_range(r->addr, r->len, addr, size))
			return true;
	}
	return false;
}

bool ebpf_exec_access_ok(const struct ebpf_exec *x, uint64_t addr,
			 uint64_t len, unsigned perm)
{
	/* Helpers do not know the current frame: the whole stack is the
	 * program's own memory. */
	uint64_t lo = (uint64_t)(uintptr_t)x->stack;
	if (in_range(lo, sizeof x->stack, addr, len))
		return true;
	return region_ok(x, addr, len, perm);
}

bool ebpf_mem_ok(const struct ebpf_exec *x, uint64_t stack_lo, uint64_t addr,
		 uint64_t size, unsigned perm)
{
	uint64_t top = (uint64_t)(uintptr_t)(x->stack + sizeof x->stack);
	if (in_range(stack_lo, top - stack_lo, addr, size))
		return true;
	return region_ok(x, addr, size, perm);
}

uint64_t ebpf_exec_abort(struct ebpf_exec *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	graft_verrf(&x->err, GRAFT_EHELPER, fmt, ap);
	va_end(ap);
	x->abort = true;
	return 0;
}

enum graft_status ebpf_fail_budget(struct ebpf_exec *x, uint32_t pc)
{
	x->err_pc = pc;
	return graft_errf(&x->err, GRAFT_EBUDGET,
			  "instruction budget of %llu exhausted at pc %u",
			  (unsigned long long)ebpf_budget_limit(x), pc);
}

enum graft_status ebpf_fail_access(struct ebpf_exec *x, uint32_t pc,
				   uint64_t addr, unsigned size, bool store)
{
	x->err_pc = pc;
	return graft_errf(&x->err, GRAFT_EFAULT,
			  "pc %u: invalid %s of %u bytes at 0x%llx", pc,
			  store ? "store" : "load", size,
			  (unsigned long long)addr);
}

enum graft_status ebpf_fail_depth(struct ebpf_exec *x, uint32_t pc)
{
	x->err_pc = pc;
	return graft_errf(&x->err, GRAFT_EDEPTH,
			  "call depth limit of %d exceeded at pc %u",
			  EBPF_MAX_FRAMES, pc);
}

enum graft_status ebpf_fail_callx(struct ebpf_exec *x, uint32_t pc,
				  uint64_t id)
{
	x->err_pc = pc;
	return graft_errf(&x->err, GRAFT_EHELPER,
			  "pc %u: callx to unknown helper %llu", pc,
			  (unsigned long long)id);
}

enum graft_status ebpf_fail_tail(struct ebpf_exec *x, uint32_t pc)
{
	x->err_pc = pc;
	x->tail_call = NULL;
	return graft_errf(&x->err, GRAFT_EHELPER,
			  "pc %u: tail call from inside a local call", pc);
}

enum graft_status ebpf_fail_helper(struct ebpf_exec *x, uint32_t pc)
{
	x->err_pc = pc;
	if (x->err.status == GRAFT_OK)
		graft_errf(&x->err, GRAFT_EHELPER, "pc %u: helper aborted", pc);
	return x->err.status;
}
