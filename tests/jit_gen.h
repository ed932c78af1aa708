/*
 * tests/jit_gen.h — random valid eBPF programs and the harness that runs
 * one program in the interpreter and the JIT and compares everything
 * (r0, status, message, err_pc, executed, the whole stack and the
 * regions). Shared by tests/jit_diff.c and fuzz/fuzz_jit_diff.c.
 *
 * Programs use every opcode class: ALU32/64 (imm and reg), movsx, byte
 * swaps, lddw, loads/stores/atomics on region A (RW), region B (read only)
 * and the stack, mostly in bounds and sometimes not, legacy packet loads,
 * forward branches, counted loops (which random code may make endless, so
 * the budget stops them), helper calls (one aborts, one tail-calls),
 * callx with valid and unknown IDs, and local calls (some recursive, to hit
 * the depth limit).
 */
#ifndef GRAFT_TESTS_JIT_GEN_H
#define GRAFT_TESTS_JIT_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"

#define GEN_MAX 512 /* instruction slots */
#define REG_A 64
#define REG_B 32

struct gen_rng {
	uint64_t s;
};

static inline uint64_t gen_next(struct gen_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline unsigned gen_below(struct gen_rng *r, unsigned n)
{
	return (unsigned)(gen_next(r) % n);
}

/* ---------------------------------------------------------------------- */
/* Helpers the programs call                                              */

static uint64_t h_mix(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct ebpf_exec *x)
{
	(void)x;
	return a * 31 + (b ^ c) + (d << 1) + e;
}

static uint64_t h_abort_if(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			   uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)c, (void)d, (void)e;
	if ((a & 7) == 3)
		return ebpf_exec_abort(x, "abort_if %llu", (unsigned long long)a);
	return a + 1;
}

static uint64_t h_tail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)d, (void)e;
	if (((a + c) & 1) && x->tail_calls < 3) {
		x->tail_call = x->user;
		x->tail_ctx = a + 1;
		return 0;
	}
	return 7;
}

static uint64_t h_store(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct ebpf_exec *x)
{
	(void)c, (void)d, (void)e;
	if (!ebpf_exec_access_ok(x, a, 8, EBPF_W))
		return 0;
	memcpy((void *)(uintptr_t)a, &b, 8);
	return 1;
}

static const struct ebpf_helper gen_helpers[] = {
	{ 1, "mix", h_mix },
	{ 2, "abort_if", h_abort_if },
	{ 3, "tail", h_tail },
	{ 4, "store", h_store },
	{ 0x10000, "mix_hi", h_mix },
};
#define GEN_NHELPERS (sizeof gen_helpers / sizeof gen_helpers[0])

/* ---------------------------------------------------------------------- */
/* The generator: items with symbolic targets, laid out at the end.      */

struct gen_item {
	struct ebpf_insn in[2];
	int slots;
	int target; /* item index, or -1 */
	int tfield; /* 0: off, 1: imm */
};

struct gen {
	struct gen_rng r;
	struct gen_item it[GEN_MAX];
	int nit, nslots;
	int fn_start[4], nfn;
	bool nocall; /* no calls or packet loads: the JIT's direct entry */
};

static inline struct ebpf_insn gen_insn(uint8_t code, unsigned dst,
					unsigned src, int16_t off, int32_t imm)
{
	struct ebpf_insn in = { code, (uint8_t)dst, (uint8_t)src, off, imm };
	return in;
}

static inline int gen_add(struct gen *g, struct ebpf_insn in, int target,
			  int tfield)
{
	if (g->nit >= GEN_MAX - 4 || g->nslots >= GEN_MAX - 8)
		return -1;
	struct gen_item *t = &g->it[g->nit];
	t->in[0] = in;
	t->slots = in.code == 0x18 ? 2 : 1;
	t->target = target;
	t->tfield = tfield;
	g->nslots += t->slots;
	return g->nit++;
}

static inline int32_t gen_imm(struct gen_rng *r)
{
	static const int32_t special[] = { 0, 1, -1, 2, 7, 8, 31, 32, 63, 64,
					   INT32_MIN, INT32_MAX, 0xff, 0x7fff,
					   -2, 16 };
	if (gen_below(r, 3) == 0)
		return special[gen_below(r, 16)];
	return (int32_t)gen_next(r) >> gen_below(r, 31);
}

/* Mostly r0 and r3..r9, so r1 (region A) and r2 (region B) stay pointers. */
static inline unsigned gen_dst(struct gen_rng *r)
{
	static const uint8_t regs[] = { 0, 3, 4, 5, 6, 7, 8, 9 };
	if (gen_below(r, 40) == 0)
		return 1 + gen_below(r, 2);
	return regs[gen_below(r, 8)];
}

static inline unsigned gen_src(struct gen_rng *r)
{
	return gen_below(r, 11);
}

static void gen_lddw(struct gen *g, unsigned dst, uint64_t v)
{
	int k = gen_add(g, gen_insn(0x18, dst, 0, 0, (int32_t)v), -1, 0);
	if (k >= 0)
		g->it[k].in[1] = gen_insn(0, 0, 0, 0, (int32_t)(v >> 32));
}

/*
 * Unsigned 64-bit div/mod with operands around 2^32, so the JIT's 32-bit
 * divide (divisor < 2^32 and the dividend's high half below it) is taken
 * and refused on both sides of each bound.
 */
static void gen_div(struct gen *g)
{
	struct gen_rng *r = &g->r;
	static const uint64_t big[] = {
		1ull << 40, 0xffffffffull, 1ull << 32, (1ull << 32) + 1,
		~0ull, 7ull << 32 | 5, 0x8000000000000000ull, 123456789,
	};
	static const uint64_t small[] = {
		1, 3, 7, 0xffffffffull, 1ull << 32, (1ull << 32) + 1,
		0x80000000ull, 2, 0x7fffffffull,
	};
	unsigned dst = gen_dst(r), src = gen_dst(r);
	uint64_t a = gen_below(r, 3) ? big[gen_below(r, 8)]
				     : gen_next(r) >> gen_below(r, 64);
	uint64_t hi = a >> 32, d;
	switch (gen_below(r, 4)) {
	case 0: d = hi; break;         /* high half == divisor: 64-bit path */
	case 1: d = hi + 1; break;     /* just above: 32-bit path */
	case 2: d = small[gen_below(r, 9)]; break;
	default: d = gen_next(r) >> gen_below(r, 64); break;
	}
	gen_lddw(g, dst, a);
	uint8_t op = gen_below(r, 2) ? 0x30 : 0x90;
	if (gen_below(r, 4) == 0) { /* imm divisor: sign-extended */
		int32_t imm = (int32_t)d;
		gen_add(g, gen_insn(op | EBPF_CLS_ALU64, dst, 0, 0, imm), -1, 0);
		return;
	}
	if (src != dst)
		gen_lddw(g, src, d);
	gen_add(g, gen_insn(op | EBPF_CLS_ALU64 | EBPF_SRC_X, dst, src, 0, 0), -1, 0);
}

static void gen_alu(struct gen *g)
{
	if (gen_below(&g->r, 10) == 0) {
		gen_div(g);
		return;
	}
	static const uint8_t ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0x70, 0x90, 0xa0, 0xb0, 0xc0, 0x80 };
	struct gen_rng *r = &g->r;
	uint8_t op = ops[gen_below(r, sizeof ops)];
	uint8_t cls = gen_below(r, 2) ? EBPF_CLS_ALU64 : EBPF_CLS_ALU;
	unsigned dst = gen_dst(r);
	if (op == 0x80) { /* neg */
		gen_add(g, gen_insn(op | cls, dst, 0, 0, 0), -1, 0);
		return;
	}
	bool reg = gen_below(r, 2);
	int16_t off = 0;
	if ((op == 0x30 || op == 0x90) && gen_below(r, 2))
		off = 1; /* sdiv / smod */
	if (op == 0xb0 && reg && gen_below(r, 3) == 0) {
		static const int16_t sx[] = { 8, 16, 32 };
		off = sx[gen_below(r, cls == EBPF_CLS_ALU64 ? 3 : 2)];
	}
	if (reg)
		gen_add(g, gen_insn(op | cls | EBPF_SRC_X, dst, gen_src(r), off, 0),
			-1, 0);
	else
		gen_add(g, gen_insn(op | cls, dst, 0, off, gen_imm(r)), -1, 0);
}

static void gen_misc(struct gen *g)
{
	struct gen_rng *r = &g->r;
	unsigned dst = gen_dst(r);
	static const int32_t widths[] = { 16, 32, 64 };
	switch (gen_below(r, 4)) {
	case 3: { /* what the JIT folds: zero-extension pairs, mov + add */
		unsigned src = gen_src(r), k = gen_below(r, 4);
		if (k == 0 || k == 3)
			gen_add(g, gen_insn(0xbf, dst, src, 0, 0), -1, 0);
		if (k <= 1) {
			gen_add(g, gen_insn(0x67, dst, 0, 0, gen_below(r, 4) ? 32 : 31), -1, 0);
			gen_add(g, gen_insn(0x77, dst, 0, 0, 32), -1, 0);
		} else if (k == 2) {
			gen_add(g, gen_insn(0xbf, dst, src, 0, 0), -1, 0);
			gen_add(g, gen_insn(0x07, dst, 0, 0, gen_imm(r)), -1, 0);
		} else {
			gen_add(g, gen_insn(0x0f, dst, gen_below(r, 3) ? gen_src(r) : dst, 0, 0),
				-1, 0);
		}
		break;
	}
	case 0: { /* le / be / bswap */
		static const uint8_t codes[] = { 0xd4, 0xdc, 0xd7 };
		gen_add(g, gen_insn(codes[gen_below(r, 3)], dst, 0, 0,
				    widths[gen_below(r, 3)]), -1, 0);
		break;
	}
	case 1: /* lddw */
		gen_lddw(g, dst, gen_next(r) >> gen_below(r, 64));
		break;
	default: { /* legacy packet load */
		if (g->nocall) {
			gen_lddw(g, dst, gen_next(r));
			break;
		}
		static const uint8_t codes[] = { 0x20, 0x28, 0x30, 0x40, 0x48, 0x50 };
		uint8_t c = codes[gen_below(r, 6)];
		int32_t imm = (int32_t)gen_below(r, 24) - 2;
		gen_add(g, gen_insn(c, 0, c >= 0x40 ? gen_src(r) : 0, 0, imm), -1, 0);
		break;
	}
	}
}

/* A memory offset for an access of `size` through base: mostly inside. */
static int16_t gen_off(struct gen_rng *r, unsigned base, unsigned size)
{
	int lo = 0, len = base == 1 ? REG_A : base == 2 ? REG_B : 32;
	if (base == 10)
		lo = -EBPF_STACK_SIZE, len = EBPF_STACK_SIZE;
	switch (gen_below(r, 36)) {
	case 0: /* anywhere near */
		return (int16_t)(lo + (int)gen_below(r, (unsigned)len + 32) - 16);
	case 1: /* just past the end: the last byte or a few beyond */
		return (int16_t)(lo + len - (int)size + 1 + (int)gen_below(r, 3));
	case 2: /* just before the start */
		return (int16_t)(lo - 1 - (int)gen_below(r, 3));
	default:
		break;
	}
	int o = lo + (int)gen_below(r, (unsigned)(len - (int)size + 1));
	if (gen_below(r, 2))
		o &= ~(int)(size - 1); /* aligned */
	return (int16_t)o;
}

static void gen_mem(struct gen *g)
{
	struct gen_rng *r = &g->r;
	static const uint8_t sz[] = { EBPF_SZ_B, EBPF_SZ_H, EBPF_SZ_W, EBPF_SZ_DW };
	static const uint8_t bases[] = { 1, 1, 2, 10, 10 };
	unsigned k = gen_below(r, 4), size = 1u << k;
	unsigned base = gen_below(r, 20) ? bases[gen_below(r, 5)] : gen_src(r);
	unsigned kind = gen_below(r, 9);
	if (kind < 3) { /* ldx, ldxs */
		uint8_t mode = kind == 2 && k < 3 ? EBPF_MODE_MEMSX : EBPF_MODE_MEM;
		gen_add(g, gen_insn(EBPF_CLS_LDX | mode | sz[k], gen_dst(r), base,
				    gen_off(r, base, size), 0), -1, 0);
		return;
	}
	if (base == 2 && gen_below(r, 4))
		base = 1; /* stores mostly where they may go */
	int16_t off = gen_off(r, base, size);
	if (kind < 5) {
		gen_add(g, gen_insn(EBPF_CLS_STX | EBPF_MODE_MEM | sz[k], base,
				    gen_src(r), off, 0), -1, 0);
	} else if (kind < 7) {
		gen_add(g, gen_insn(EBPF_CLS_ST | EBPF_MODE_MEM | sz[k], base, 0,
				    off, gen_imm(r)), -1, 0);
	} else { /* atomics */
		static const int32_t aops[] = { 0x00, 0x01, 0x40, 0x41, 0x50,
						0x51, 0xa0, 0xa1, 0xe1, 0xf1 };
		size = gen_below(r, 2) ? 8 : 4;
		off = gen_off(r, base, size);
		if (gen_below(r, 4))
			off = (int16_t)(off & ~(int)(size - 1));
		int32_t aop = aops[gen_below(r, 10)];
		unsigned src = gen_src(r);
		if (src == 10 && (aop & EBPF_ATOMIC_FETCH))
			src = 0; /* r10 is read-only */
		gen_add(g, gen_insn(EBPF_CLS_STX | EBPF_MODE_ATOMIC |
					    (size == 8 ? EBPF_SZ_DW : EBPF_SZ_W),
				    base, src, off, aop),
			-1, 0);
	}
}

static void gen_call(struct gen *g)
{
	struct gen_rng *r = &g->r;
	if (g->nocall)
		return;
	unsigned k = gen_below(r, 10);
	if (k < 5) {
		gen_add(g, gen_insn(0x85, 0, 0, 0, (int32_t)gen_helpers[gen_below(r, GEN_NHELPERS)].id),
			-1, 0);
	} else if (k < 7) { /* callx: a valid ID, or whatever the register holds */
		unsigned d = gen_dst(r);
		if (gen_below(r, 3))
			gen_add(g, gen_insn(0xb7, d, 0, 0, (int32_t)gen_helpers[gen_below(r, GEN_NHELPERS)].id),
				-1, 0);
		gen_add(g, gen_insn(0x8d, d, 0, 0, 0), -1, 0);
	} else if (g->nfn) { /* local call: the target is filled in later */
		gen_add(g, gen_insn(0x85, 0, 1, 0, 0), -2 - (int)gen_below(r, (unsigned)g->nfn), 1);
	}
}

static void gen_jump(struct gen *g, int fn_end_hint)
{
	struct gen_rng *r = &g->r;
	static const uint8_t jops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
					0xa0, 0xb0, 0xc0, 0xd0 };
	uint8_t cls = gen_below(r, 2) ? EBPF_CLS_JMP : EBPF_CLS_JMP32;
	int target = g->nit + 1 + (int)gen_below(r, 6);
	if (target > fn_end_hint)
		target = fn_end_hint;
	if (gen_below(r, 8) == 0) {
		bool ja32 = gen_below(r, 2);
		gen_add(g, gen_insn(ja32 ? 0x06 : 0x05, 0, 0, 0, 0), target, ja32);
		return;
	}
	uint8_t op = jops[gen_below(r, sizeof jops)];
	if (gen_below(r, 2))
		gen_add(g, gen_insn(op | cls | EBPF_SRC_X, gen_src(r), gen_src(r), 0, 0),
			target, 0);
	else
		gen_add(g, gen_insn(op | cls, gen_src(r), 0, 0, gen_imm(r)), target, 0);
}

/* A function body of about n items ending in exit; loops inside. */
static void gen_body(struct gen *g, int n)
{
	struct gen_rng *r = &g->r;
	int end = g->nit + n; /* the exit item, roughly */
	int loop_start = -1, loop_reg = 0;
	for (int i = 0; i < n && g->nit < end; i++) {
		unsigned k = gen_below(r, 100);
		if (loop_start < 0 && k < 4) {
			loop_reg = 3 + (int)gen_below(r, 7);
			gen_add(g, gen_insn(0xb7, (unsigned)loop_reg, 0, 0,
					    (int32_t)gen_below(r, 20)), -1, 0);
			loop_start = g->nit;
		} else if (loop_start >= 0 && k < 12) {
			gen_add(g, gen_insn(0x07, (unsigned)loop_reg, 0, 0, -1), -1, 0);
			gen_add(g, gen_insn(0x55, (unsigned)loop_reg, 0, 0, 0),
				loop_start, 0);
			loop_start = -1;
		} else if (k < 45) {
			gen_alu(g);
		} else if (k < 55) {
			gen_misc(g);
		} else if (k < 78) {
			gen_mem(g);
		} else if (k < 86) {
			gen_call(g);
		} else if (k < 99) {
			gen_jump(g, end);
		} else { /* a backward jump anywhere: often endless */
			int back = g->nit - (int)gen_below(r, 8);
			gen_add(g, gen_insn(0x05, 0, 0, 0, 0), back > 0 ? back : 0, 0);
		}
	}
	while (g->nit < end && gen_add(g, gen_insn(0x07, 0, 0, 0, 1), -1, 0) >= 0)
		;
	gen_add(g, gen_insn(0x95, 0, 0, 0, 0), -1, 0);
}

/*
 * Generate a program into out[] (GEN_MAX slots); returns its length.
 * Jumps that point past their function's exit are clamped to it.
 */
static int gen_program(uint64_t seed, struct ebpf_insn *out)
{
	static struct gen g; /* big; tests are single-threaded */
	memset(&g, 0, sizeof g);
	g.r.s = seed;
	g.nocall = gen_below(&g.r, 4) == 0;
	int nfn = g.nocall ? 0 : (int)gen_below(&g.r, 3);
	g.nfn = nfn;
	int fn_len[4];
	for (int f = 0; f < nfn; f++)
		fn_len[f] = 3 + (int)gen_below(&g.r, 10);
	gen_body(&g, 8 + (int)gen_below(&g.r, 60));
	int main_end = g.nit;
	for (int f = 0; f < nfn; f++) {
		g.fn_start[f] = g.nit;
		gen_body(&g, fn_len[f]);
	}
	/* slot of each item */
	int slot[GEN_MAX + 1], s = 0;
	for (int i = 0; i < g.nit; i++) {
		slot[i] = s;
		s += g.it[i].slots;
	}
	slot[g.nit] = s;
	for (int i = 0; i < g.nit; i++) {
		struct gen_item *t = &g.it[i];
		int tgt = t->target;
		if (tgt <= -2)
			tgt = g.fn_start[-2 - tgt];
		if (tgt >= 0) {
			/* keep jumps inside their function */
			int fend = main_end - 1;
			for (int f = 0; f < nfn; f++)
				if (i >= g.fn_start[f])
					fend = f + 1 < nfn ? g.fn_start[f + 1] - 1 : g.nit - 1;
			if (t->target >= 0 && tgt > fend)
				tgt = fend;
			int32_t d = slot[tgt] - slot[i] - 1;
			if (t->tfield)
				t->in[0].imm = d;
			else
				t->in[0].off = (int16_t)d;
		}
		memcpy(&out[slot[i]], t->in, (size_t)t->slots * sizeof t->in[0]);
	}
	return s;
}

/* ---------------------------------------------------------------------- */
/* Running one program both ways                                          */

struct diff_env {
	struct ebpf_exec x;
	_Alignas(16) uint8_t a[REG_A];
	_Alignas(16) uint8_t b[REG_B];
	uint8_t a0[REG_A], b0[REG_B], pkt[16];
	uint64_t arg2, arg3, budget;
};

struct diff_res {
	enum graft_status st;
	char msg[GRAFT_ERR_MSG];
	uint32_t err_pc;
	uint64_t r0, executed;
	unsigned tail_calls;
	uint8_t stack[EBPF_STACK_SIZE * EBPF_MAX_FRAMES];
	uint8_t a[REG_A], b[REG_B];
};

/* Outcomes, for the closing summary. */
struct diff_counts {
	unsigned long programs, invalid, runs, unchecked, mismatches, tail_calls;
	unsigned long by_status[GRAFT_EIO + 1];
};

static void *diff_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void diff_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static void diff_setup(struct diff_env *e, uint64_t seed)
{
	struct gen_rng r = { seed ^ 0x5eed };
	for (size_t i = 0; i < REG_A; i++)
		e->a0[i] = (uint8_t)gen_next(&r);
	for (size_t i = 0; i < REG_B; i++)
		e->b0[i] = (uint8_t)gen_next(&r);
	for (size_t i = 0; i < sizeof e->pkt; i++)
		e->pkt[i] = (uint8_t)gen_next(&r);
	e->arg2 = gen_next(&r);
	e->arg3 = gen_next(&r) >> gen_below(&r, 64);
	static const uint64_t budgets[] = { 0, 0, 0, 1, 5, 30, 200, 5000 };
	e->budget = budgets[gen_below(&r, 8)];
}

static void diff_run(struct diff_env *e, const struct ebpf_prog *p, bool jit,
		     struct diff_res *out)
{
	struct ebpf_exec *x = &e->x;
	ebpf_exec_init(x);
	for (size_t i = 0; i < sizeof x->stack; i++)
		x->stack[i] = (uint8_t)(i * 7 + 3);
	memcpy(e->a, e->a0, REG_A);
	memcpy(e->b, e->b0, REG_B);
	ebpf_exec_add_region(x, e->a, REG_A, EBPF_RW);
	ebpf_exec_add_region(x, e->b, REG_B, EBPF_R);
	x->arg[0] = (uint64_t)(uintptr_t)e->a;
	x->arg[1] = (uint64_t)(uintptr_t)e->b;
	x->arg[2] = e->arg2;
	x->arg[3] = e->arg3;
	x->arg[4] = 5;
	x->budget = e->budget;
	x->pkt = e->pkt;
	x->pkt_len = sizeof e->pkt;
	x->user = (void *)(uintptr_t)p;
	out->st = jit ? ebpf_prog_run(p, x) : ebpf_prog_interp(p, x);
	memcpy(out->msg, x->err.msg, sizeof out->msg);
	out->err_pc = x->err_pc;
	out->r0 = x->r0;
	out->executed = x->executed;
	out->tail_calls = x->tail_calls;
	memcpy(out->stack, x->stack, sizeof out->stack);
	memcpy(out->a, e->a, REG_A);
	memcpy(out->b, e->b, REG_B);
}

/* Empty when equal, else what differs. */
static void diff_compare(const struct diff_res *i, const struct diff_res *j,
			 char *why, size_t len)
{
	why[0] = 0;
	if (i->st != j->st || strcmp(i->msg, j->msg))
		snprintf(why, len, "status %s \"%.200s\" vs JIT %s \"%.200s\"",
			 graft_status_name(i->st), i->msg,
			 graft_status_name(j->st), j->msg);
	else if (i->err_pc != j->err_pc)
		snprintf(why, len, "err_pc %u vs JIT %u", i->err_pc, j->err_pc);
	else if (i->r0 != j->r0)
		snprintf(why, len, "r0 0x%llx vs JIT 0x%llx",
			 (unsigned long long)i->r0, (unsigned long long)j->r0);
	else if (i->executed != j->executed)
		snprintf(why, len, "executed %llu vs JIT %llu",
			 (unsigned long long)i->executed,
			 (unsigned long long)j->executed);
	else if (memcmp(i->stack, j->stack, sizeof i->stack))
		snprintf(why, len, "stack contents differ");
	else if (memcmp(i->a, j->a, REG_A) || memcmp(i->b, j->b, REG_B))
		snprintf(why, len, "region contents differ");
}

/*
 * Load insns checked (and, when that run neither faulted nor ran out of
 * budget, unchecked) with the JIT; run interpreter and JIT; compare.
 * Returns the number of mismatches; `why` describes the first.
 */
static int diff_one(struct diff_env *e, const struct ebpf_insn *insns,
		    size_t n, struct diff_counts *c, char *why, size_t len)
{
	static struct diff_res ri, rj;
	struct ebpf_load_opts o = {
		.helpers = gen_helpers,
		.nhelpers = GEN_NHELPERS,
		.flags = EBPF_F_JIT,
		.alloc = { diff_alloc, diff_free, NULL },
	};
	struct graft_err err = { 0 };
	struct ebpf_prog *p;
	int bad = 0;
	c->programs++;
	why[0] = 0;
	/* every other program with each of the JIT's two ways to divide */
	unsigned div = c->programs & 1 ? EBPF_F_JIT_DIV64 : 0;
	for (int mode = 0; mode < 2; mode++) {
		o.flags = EBPF_F_JIT | div | (mode ? EBPF_F_UNCHECKED : 0);
		if (ebpf_prog_load(&p, insns, n, &o, &err)) {
			o.flags &= ~(unsigned)EBPF_F_JIT;
			if (ebpf_prog_load(&p, insns, n, &o, &err)) {
				c->invalid += !mode;
				return bad;
			}
			ebpf_prog_free(p);
			snprintf(why, len, "JIT refused a valid program: %.200s", err.msg);
			c->mismatches++;
			return bad + 1;
		}
		diff_run(e, p, false, &ri);
		diff_run(e, p, true, &rj);
		ebpf_prog_free(p);
		c->runs++;
		c->unchecked += mode;
		if (!mode && (unsigned)ri.st <= GRAFT_EIO)
			c->by_status[ri.st]++;
		c->tail_calls += ri.tail_calls;
		if (ri.tail_calls != rj.tail_calls)
			snprintf(why, len, "tail calls %u vs JIT %u", ri.tail_calls,
				 rj.tail_calls);
		else
			diff_compare(&ri, &rj, why, len);
		if (why[0]) {
			size_t k = strlen(why);
			snprintf(why + k, len - k, " (%s)", mode ? "unchecked" : "checked");
			c->mismatches++;
			return bad + 1;
		}
		if (ri.st == GRAFT_EFAULT || ri.st == GRAFT_EBUDGET)
			break; /* not safe without checks */
	}
	return bad;
}

#endif
