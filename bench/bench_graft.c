/*
 * graft's side of the runner: loading with a malloc allocator, an execution
 * state holding the context and packet regions, and the timing loop.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static void *bench_alloc(void *ud, size_t size)
{
	(void)ud;
	return aligned_alloc(16, (size + 15) & ~(size_t)15);
}

static void bench_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

struct ebpf_prog *bench_graft_load(const struct ebpf_insn *insns, size_t n,
				   unsigned flags,
				   const struct ebpf_codemem *cm,
				   enum graft_status *st, char *why,
				   size_t whylen)
{
	struct ebpf_load_opts o = {
		.flags = flags,
		.codemem = cm,
		.alloc = { bench_alloc, bench_free, NULL },
	};
	struct graft_err err = { 0 };
	struct ebpf_prog *p = NULL;
	*st = ebpf_prog_load(&p, insns, n, &o, &err);
	if (*st != GRAFT_OK) {
		snprintf(why, whylen, "%s: %s", graft_status_name(*st),
			 err.msg);
		return NULL;
	}
	return p;
}

void bench_graft_free(struct ebpf_prog *p)
{
	if (p)
		ebpf_prog_free(p);
}

struct ebpf_exec *bench_graft_exec(const void *ctx, size_t ctxlen,
				   void *pkt, size_t pktlen, char *why,
				   size_t whylen)
{
	struct ebpf_exec *x = aligned_alloc(64, (sizeof *x + 63) & ~(size_t)63);
	if (!x) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	ebpf_exec_init(x);
	x->arg[0] = (uint64_t)(uintptr_t)ctx;
	if (ebpf_exec_add_region(x, ctx, ctxlen, EBPF_R) != GRAFT_OK ||
	    ebpf_exec_add_region(x, pkt, pktlen, EBPF_RW) != GRAFT_OK) {
		snprintf(why, whylen, "cannot add the context and packet regions");
		free(x);
		return NULL;
	}
	return x;
}

bool bench_graft_time(const struct ebpf_prog *p, struct ebpf_exec *x,
		      uint64_t iters, bool direct, double *ns, char *why,
		      size_t whylen)
{
	ebpf_direct_fn fn = direct ? ebpf_prog_direct(p) : NULL;
	uint64_t t0 = bench_cpu_ns();
	if (fn) {
		uint64_t r0 = 0;
		for (uint64_t i = 0; i < iters; i++)
			r0 = fn(x);
		uint64_t t1 = bench_cpu_ns();
		x->r0 = r0;
		*ns = (double)(t1 - t0) / (double)iters;
		return true;
	}
	for (uint64_t i = 0; i < iters; i++) {
		if (ebpf_prog_run(p, x) != GRAFT_OK) {
			snprintf(why, whylen, "run failed at pc %u: %s",
				 x->err_pc, x->err.msg);
			return false;
		}
	}
	uint64_t t1 = bench_cpu_ns();
	*ns = (double)(t1 - t0) / (double)iters;
	return true;
}
