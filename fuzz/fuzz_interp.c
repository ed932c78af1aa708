/*
 * libFuzzer target: random bytes as an eBPF program. Validate; when valid,
 * load and run it checked with a small budget, two regions (one read-only),
 * a packet and a few helpers (incl. abort and a tail call to itself). Any
 * crash, sanitizer report or inconsistent result is a bug.
 */
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"

static void *f_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}
static void f_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static uint64_t h_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct ebpf_exec *x)
{
	(void)x;
	return a + b + c + d + e;
}
static uint64_t h_abort(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)c, (void)d, (void)e;
	return a & 1 ? ebpf_exec_abort(x, "abort %llu", (unsigned long long)a) : 0;
}
/* Reads [r1, r1+r2) when the program may, like a real helper would. */
static uint64_t h_read(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct ebpf_exec *x)
{
	(void)c, (void)d, (void)e;
	if (b > 64 || !ebpf_exec_access_ok(x, a, b, EBPF_R))
		return (uint64_t)-1;
	uint64_t s = 0;
	for (uint64_t i = 0; i < b; i++)
		s += ((const uint8_t *)(uintptr_t)a)[i];
	return s;
}
static uint64_t h_tail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)c, (void)d, (void)e;
	if (x->tail_calls >= 3)
		return 1;
	x->tail_call = x->user;
	x->tail_ctx = a;
	return 0;
}

static const struct ebpf_helper helpers[] = {
	{ 1, "sum", h_sum }, { 2, "abort", h_abort },
	{ 3, "read", h_read }, { 12, "tail_call", h_tail },
};

static enum graft_status resolve(void *ud, const struct ebpf_insn pair[2],
				 uint64_t *value, struct graft_err *err)
{
	(void)ud;
	if (pair[0].imm < 0)
		return graft_errf(err, GRAFT_ENOENT, "no map %d", pair[0].imm);
	*value = (uint64_t)pair[0].imm;
	return GRAFT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct ebpf_insn);
	if (n > 4096)
		return 0;
	struct ebpf_insn *insns = malloc(n ? n * sizeof *insns : 1);
	memcpy(insns, data, n * sizeof *insns);
	struct ebpf_load_opts o = {
		.helpers = helpers, .nhelpers = 4, .max_insns = 4096,
		.resolve_ld64 = resolve, .alloc = { f_alloc, f_free, NULL },
	};
	struct graft_err err = { 0 }, lerr = { 0 };
	enum graft_status vst = ebpf_validate(insns, n, &o, &err);
	struct ebpf_prog *p = NULL;
	enum graft_status lst = ebpf_prog_load(&p, insns, n, &o, &lerr);
	/* load = validate + resolve: it may only fail where validate passed
	 * if the resolver refused. */
	if (vst && (lst != vst || p))
		abort();
	if (!vst && lst && lst != GRAFT_ENOENT)
		abort();
	if (p) {
		static struct ebpf_exec x;
		static uint8_t rw[64], ro[32], pkt[16];
		for (int round = 0; round < 2; round++) {
			ebpf_exec_init(&x);
			x.budget = 20000;
			ebpf_exec_add_region(&x, rw, sizeof rw, EBPF_RW);
			ebpf_exec_add_region(&x, ro, sizeof ro, EBPF_R);
			x.arg[0] = (uint64_t)(uintptr_t)rw;
			x.arg[1] = sizeof rw;
			x.arg[2] = (uint64_t)(uintptr_t)ro;
			x.pkt = pkt;
			x.pkt_len = sizeof pkt;
			x.user = p;
			enum graft_status st = round ? ebpf_prog_interp(p, &x)
						     : ebpf_prog_run(p, &x);
			if (x.executed > x.budget || (st && !x.err.msg[0]) ||
			    (st && x.err.status != st))
				abort();
		}
		ebpf_prog_free(p);
	}
	free(insns);
	return 0;
}
