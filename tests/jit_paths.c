/*
 * tests/jit_paths.c — the JIT's special paths, case by case (jit_diff
 * covers them at random):
 *   - ebpf_decode's table lookup agrees with a plain search of ebpf_opinfo
 *     for every opcode byte and the selector values that matter;
 *   - the direct entry (unchecked programs without calls) loads r1..r5 and
 *     r10, keeps callee-saved registers, and leaves the ebpf_exec exactly
 *     as a full run does, even after an earlier failed run on it;
 *   - the lean checked path (no helper calls) reports faults and budget
 *     errors like the interpreter;
 *   - unsigned 64-bit div/mod around 2^32 (the 32-bit divide and its
 *     64-bit fallback) give the C results in both modes.
 */
#include <stdio.h>
#include <string.h>

#include "graft/ebpf.h"
#include "testlib.h"

static enum ebpf_op ref_decode(const struct ebpf_insn *in)
{
	for (unsigned i = 0; i < EBPF_OP_COUNT; i++) {
		const struct ebpf_opinfo *e = &ebpf_opinfo[i];
		if (e->code != in->code)
			continue;
		int32_t v = e->sel == EBPF_SEL_OFF   ? in->off
			    : e->sel == EBPF_SEL_IMM ? in->imm
			    : e->sel == EBPF_SEL_SRC ? in->src
						     : e->selval;
		if (v == e->selval)
			return (enum ebpf_op)i;
	}
	return EBPF_OP_COUNT;
}

static void test_decode(void)
{
	static const int32_t vals[] = { 0, 1, 2, 3, 8, 16, 32, 64, 0x40, 0x41,
					0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, -1 };
	const size_t nv = sizeof vals / sizeof vals[0];
	long bad = 0, n = 0;
	for (unsigned c = 0; c < 256; c++)
		for (size_t a = 0; a < nv; a++)
			for (size_t b = 0; b < nv; b++)
				for (unsigned s = 0; s < 16; s += 1) {
					struct ebpf_insn in = { (uint8_t)c, 0, (uint8_t)s,
								(int16_t)vals[a], vals[b] };
					n++;
					bad += ebpf_decode(&in) != ref_decode(&in);
				}
	T_CHECK(bad == 0, "decode: %ld of %ld differ from the table search", bad, n);
	printf("jit_paths: ebpf_decode agrees with the opcode table (%ld encodings)\n", n);
}

static struct ebpf_prog *load(const struct ebpf_insn *in, size_t n,
			      unsigned flags)
{
	struct ebpf_load_opts o = { .flags = flags,
				    .alloc = { t_heap_alloc, t_heap_free, NULL } };
	struct graft_err err = { 0 };
	struct ebpf_prog *p = NULL;
	if (!T_CHECK(ebpf_prog_load(&p, in, n, &o, &err) == GRAFT_OK,
		     "load: %s", err.msg))
		return NULL;
	return p;
}

static struct ebpf_exec x;
static uint8_t mem[64];

/* r0 = a mix of r1..r5, r6..r9 (zero at entry) and the stack. */
static const struct ebpf_insn regs_prog[] = {
	{ 0xbf, 0, 1, 0, 0 },    /* mov r0, r1 */
	{ 0x27, 0, 0, 0, 3 },    /* mul r0, 3 */
	{ 0x0f, 0, 2, 0, 0 },    /* add r0, r2 */
	{ 0xaf, 0, 3, 0, 0 },    /* xor r0, r3 */
	{ 0x1f, 0, 4, 0, 0 },    /* sub r0, r4 */
	{ 0x0f, 0, 5, 0, 0 },    /* add r0, r5 */
	{ 0x0f, 0, 6, 0, 0 },    /* add r0, r6 */
	{ 0x0f, 0, 9, 0, 0 },    /* add r0, r9 */
	{ 0x7b, 10, 0, -8, 0 },  /* stxdw [r10-8], r0 */
	{ 0x79, 7, 10, -8, 0 },  /* ldxdw r7, [r10-8] */
	{ 0x07, 7, 0, 0, 11 },   /* add r7, 11 */
	{ 0xbf, 8, 7, 0, 0 },    /* mov r8, r7 */
	{ 0xbf, 0, 8, 0, 0 },    /* mov r0, r8 */
	{ 0x95, 0, 0, 0, 0 },    /* exit */
};

/* ldxdw r0, [r1 + 64]: one past the region, a fault when checked */
static const struct ebpf_insn fault_prog[] = {
	{ 0x79, 0, 1, 64, 0 },
	{ 0x95, 0, 0, 0, 0 },
};

/* an endless loop: the budget stops it */
static const struct ebpf_insn loop_prog[] = {
	{ 0x07, 0, 0, 0, 1 },    /* add r0, 1 */
	{ 0x05, 0, 0, -2, 0 },   /* ja -2 */
};

static void setup(void)
{
	ebpf_exec_init(&x);
	ebpf_exec_add_region(&x, mem, sizeof mem, EBPF_RW);
	x.arg[0] = 1000;
	x.arg[1] = 20;
	x.arg[2] = 0x5555;
	x.arg[3] = 7;
	x.arg[4] = 1ull << 40;
}

static void test_direct(void)
{
	struct ebpf_prog *pi = load(regs_prog, 14, EBPF_F_UNCHECKED);
	struct ebpf_prog *pj = load(regs_prog, 14, EBPF_F_UNCHECKED | EBPF_F_JIT);
	struct ebpf_prog *pf = load(fault_prog, 2, EBPF_F_JIT);
	if (!pi || !pj || !pf)
		return;
	setup();
	T_CHECK(ebpf_prog_run(pi, &x) == GRAFT_OK, "interpreter run");
	uint64_t want = x.r0;
	/* a failed run first, so the direct path must clear its traces */
	x.arg[0] = (uint64_t)(uintptr_t)mem;
	T_CHECK(ebpf_prog_run(pf, &x) == GRAFT_EFAULT && x.err_pc == 0,
		"checked fault: %s", x.err.msg);
	x.arg[0] = 1000;
	T_CHECK(ebpf_prog_run(pj, &x) == GRAFT_OK && x.r0 == want,
		"direct entry: r0 0x%llx, want 0x%llx",
		(unsigned long long)x.r0, (unsigned long long)want);
	T_CHECK(x.err.status == GRAFT_OK && x.err.msg[0] == 0 &&
			x.err_pc == 0 && x.executed == 0 && x.tail_calls == 0 &&
			!x.tail_call && !x.abort,
		"direct entry leaves the exec as a full run does");
	T_CHECK(x.arg[0] == 1000 && x.arg[4] == 1ull << 40, "arguments kept");
	/* the public direct call: the same r0, and x's results untouched */
	ebpf_direct_fn fn = ebpf_prog_direct(pj);
	T_CHECK(fn != NULL, "ebpf_prog_direct of an unchecked call-free program");
	T_CHECK(!ebpf_prog_direct(pi) && !ebpf_prog_direct(pf),
		"no direct call for the interpreter or checked JIT code");
	if (fn) {
		x.r0 = 7;
		x.executed = 9;
		uint64_t r0 = fn(&x);
		T_CHECK(r0 == want && x.r0 == 7 && x.executed == 9,
			"direct call: r0 0x%llx (want 0x%llx), x->r0 %llu, executed %llu",
			(unsigned long long)r0, (unsigned long long)want,
			(unsigned long long)x.r0, (unsigned long long)x.executed);
	}
	ebpf_prog_free(pi);
	ebpf_prog_free(pj);
	ebpf_prog_free(pf);
	printf("jit_paths: the direct entry agrees with the interpreter and resets the exec\n");
}

static void test_lean_checked(void)
{
	struct ebpf_prog *p[2] = { load(fault_prog, 2, 0),
				   load(fault_prog, 2, EBPF_F_JIT) };
	struct ebpf_prog *l[2] = { load(loop_prog, 2, 0),
				   load(loop_prog, 2, EBPF_F_JIT) };
	if (!p[0] || !p[1] || !l[0] || !l[1])
		return;
	char msg[2][GRAFT_ERR_MSG];
	uint64_t exec[2];
	for (int k = 0; k < 2; k++) {
		setup();
		x.arg[0] = (uint64_t)(uintptr_t)mem;
		T_CHECK(ebpf_prog_run(p[k], &x) == GRAFT_EFAULT, "fault %d", k);
		memcpy(msg[k], x.err.msg, sizeof msg[k]);
	}
	T_CHECK(!strcmp(msg[0], msg[1]), "fault: \"%s\" vs JIT \"%s\"", msg[0],
		msg[1]);
	for (int k = 0; k < 2; k++) {
		setup();
		x.budget = 1001;
		T_CHECK(ebpf_prog_run(l[k], &x) == GRAFT_EBUDGET, "budget %d", k);
		memcpy(msg[k], x.err.msg, sizeof msg[k]);
		exec[k] = x.executed;
	}
	T_CHECK(!strcmp(msg[0], msg[1]) && exec[0] == exec[1],
		"budget: \"%s\" (%llu) vs JIT \"%s\" (%llu)", msg[0],
		(unsigned long long)exec[0], msg[1], (unsigned long long)exec[1]);
	for (int k = 0; k < 2; k++) {
		ebpf_prog_free(p[k]);
		ebpf_prog_free(l[k]);
	}
	printf("jit_paths: checked programs without helpers fail like the interpreter\n");
}

static void test_div32(void)
{
	static const uint64_t as[] = {
		0, 1, 1ull << 40, 0xffffffffull, 1ull << 32, (1ull << 32) + 1,
		7ull << 32, (7ull << 32) - 1, ~0ull, 0x123456789abcdefull,
	};
	static const uint64_t ds[] = {
		0, 1, 3, 6, 7, 8, 0xffffffffull, 1ull << 32, (1ull << 32) + 1,
		0x80000000ull, ~0ull, 1ull << 63,
	};
	int cases = 0;
	/* mode bit 0: unchecked; bit 1: the 64-bit divide only (else the
	 * 32-bit one first) */
	for (unsigned mode = 0; mode < 4; mode++)
		for (size_t ia = 0; ia < sizeof as / sizeof as[0]; ia++)
			for (size_t id = 0; id < sizeof ds / sizeof ds[0]; id++)
				for (unsigned k = 0; k < 6; k++) {
					uint64_t a = as[ia], d = ds[id];
					bool mod = k & 1, imm = (k & 6) == 2;
					/* k 4, 5: dividend in r0 (rax), divisor in r3 (rdx) */
					unsigned ra = k >= 4 ? 0 : 6, rd = k >= 4 ? 3 : 7;
					if (imm && d > INT32_MAX)
						continue;
					struct ebpf_insn in[] = {
						{ 0x18, (uint8_t)ra, 0, 0, (int32_t)a },
						{ 0, 0, 0, 0, (int32_t)(a >> 32) },
						{ 0x18, (uint8_t)rd, 0, 0, (int32_t)d },
						{ 0, 0, 0, 0, (int32_t)(d >> 32) },
						{ (uint8_t)((mod ? 0x90 : 0x30) | (imm ? 0x07 : 0x0f)),
						  (uint8_t)ra, imm ? 0 : (uint8_t)rd, 0,
						  imm ? (int32_t)d : 0 },
						/* r0 = quotient ^ the divisor register */
						{ 0xbf, 0, (uint8_t)ra, 0, 0 },
						{ 0xaf, 0, (uint8_t)rd, 0, 0 },
						{ 0x95, 0, 0, 0, 0 },
					};
					struct ebpf_prog *p = load(in, sizeof in / sizeof in[0], EBPF_F_JIT |
								   (mode & 1 ? EBPF_F_UNCHECKED : 0) |
								   (mode & 2 ? EBPF_F_JIT_DIV64 : 0));
					if (!p)
						return;
					setup();
					uint64_t want = d ? (mod ? a % d : a / d) : (mod ? a : 0);
					want ^= d; /* the divisor register is kept */
					T_CHECK(ebpf_prog_run(p, &x) == GRAFT_OK && x.r0 == want,
						"%s 0x%llx %s 0x%llx (%s): 0x%llx, want 0x%llx",
						mod ? "mod" : "div", (unsigned long long)a,
						imm ? "imm" : "reg", (unsigned long long)d,
						mode & 1 ? "unchecked" : "checked",
						(unsigned long long)x.r0, (unsigned long long)want);
					ebpf_prog_free(p);
					cases++;
				}
	printf("jit_paths: unsigned 64-bit div/mod around 2^32, both modes, both divides, divisor kept (%d cases)\n",
	       cases);
}

int main(void)
{
	test_decode();
	test_direct();
	test_lean_checked();
	test_div32();
	return t_done();
}
