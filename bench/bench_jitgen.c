/*
 * JIT compile time: a generated ~1,000-instruction straight-line program
 * (mixed 64/32-bit ALU with register and immediate operands, stack loads
 * and stores, short forward branches, a few divisions), loaded many times
 * with EBPF_F_JIT. Loading without the JIT (validation and pre-decoding
 * only) is timed too, so the compiler's own share is visible. Before
 * timing, the program is run in the interpreter and the JIT and their r0
 * must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static struct ebpf_insn mk(uint8_t code, unsigned dst, unsigned src,
			   int16_t off, int32_t imm)
{
	struct ebpf_insn i = { .code = code, .dst = dst & 15, .src = src & 15,
			       .off = off, .imm = imm };
	return i;
}

void bench_gen_program(struct ebpf_insn *out, size_t n, uint32_t seed)
{
	/* ALU operation nibbles: add sub mul or and xor lsh rsh arsh mov */
	static const uint8_t alu[] = { 0x00, 0x10, 0x20, 0x40, 0x50,
				       0xa0, 0x60, 0x70, 0xc0, 0xb0 };
	/* jeq jgt jge jset jne jsgt jlt */
	static const uint8_t jmp[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				       0xa0 };
	uint32_t s = seed | 1;
	size_t pc = 0;
	for (unsigned r = 0; r < 10; r++)
		out[pc++] = mk(0xb7, r, 0, 0, (int32_t)rnd(&s)); /* mov rR, imm */
	for (unsigned k = 1; k <= 8; k++)
		out[pc++] = mk(0x7b, 10, k, (int16_t)(-8 * (int)k), 0); /* stxdw */
	while (pc < n - 2) {
		uint32_t c = rnd(&s) % 100;
		unsigned d = rnd(&s) % 10, sr = rnd(&s) % 10;
		int16_t slot = (int16_t)(-8 * (int)(1 + rnd(&s) % 8));
		if (c < 55) {
			uint8_t op = alu[rnd(&s) % sizeof alu];
			bool is64 = rnd(&s) % 4 != 0, reg = rnd(&s) % 2;
			uint8_t cls = is64 ? EBPF_CLS_ALU64 : EBPF_CLS_ALU;
			int32_t imm = (int32_t)(rnd(&s) % 4096) - 2048;
			if (op == 0x60 || op == 0x70 || op == 0xc0)
				imm = (int32_t)(rnd(&s) % (is64 ? 64 : 32));
			out[pc++] = reg ? mk(op | EBPF_SRC_X | cls, d, sr, 0, 0)
					: mk(op | cls, d, 0, 0, imm);
		} else if (c < 70) {
			bool dw = rnd(&s) % 2;
			out[pc++] = mk(dw ? 0x79 : 0x61, d, 10, slot, 0);
		} else if (c < 85) {
			bool dw = rnd(&s) % 2;
			if (rnd(&s) % 3)
				out[pc++] = mk(dw ? 0x7b : 0x63, 10, sr, slot, 0);
			else
				out[pc++] = mk(dw ? 0x7a : 0x62, 10, 0, slot,
					       (int32_t)rnd(&s) % 1000);
		} else if (c < 97) {
			size_t room = n - 2 - pc; /* insns before the last two */
			int16_t off = (int16_t)(1 + rnd(&s) % 3);
			if ((size_t)off > room)
				off = (int16_t)room;
			uint8_t op = jmp[rnd(&s) % sizeof jmp];
			out[pc++] = rnd(&s) % 2
					    ? mk(op | EBPF_SRC_X | EBPF_CLS_JMP, d,
						 sr, off, 0)
					    : mk(op | EBPF_CLS_JMP, d, 0, off,
						 (int32_t)(rnd(&s) % 256));
		} else {
			/* div / mod by a non-zero immediate */
			uint8_t op = rnd(&s) % 2 ? 0x30 : 0x90;
			out[pc++] = mk(op | EBPF_CLS_ALU64, d, 0, 0,
				       (int32_t)(1 + rnd(&s) % 1000));
		}
	}
	out[pc++] = mk(0xaf, 0, 7, 0, 0); /* xor r0, r7 */
	out[pc++] = mk(0x95, 0, 0, 0, 0); /* exit */
}

/*
 * Code memory that times another one (the library's default unless told),
 * so the system calls' share (mmap, mprotect, munmap and the page faults
 * they bring) is visible.
 */
struct timed_cm {
	const struct ebpf_codemem *inner;
	uint64_t ns;
};

static void *timed_install(void *ud, const void *code, size_t size)
{
	struct timed_cm *t = ud;
	uint64_t t0 = bench_now_ns();
	void *p = t->inner->install(t->inner->ud, code, size);
	t->ns += bench_now_ns() - t0;
	return p;
}

static void timed_release(void *ud, void *p, size_t size)
{
	struct timed_cm *t = ud;
	uint64_t t0 = bench_now_ns();
	t->inner->release(t->inner->ud, p, size);
	t->ns += bench_now_ns() - t0;
}

struct load_times {
	double load;    /* median ns of ebpf_prog_load */
	double codemem; /* median ns in code memory calls during the load */
	double unmap;   /* median ns in code memory calls during the free */
	size_t code;    /* bytes of machine code */
};

/*
 * Time `runs` loads (and frees) with these flags, the JIT's code going
 * through `inner` code memory; false with why.
 */
static bool time_loads(const struct ebpf_insn *p, size_t n, unsigned flags,
		       const struct ebpf_codemem *inner, unsigned runs,
		       struct load_times *t, char *why, size_t whylen)
{
	double *v = calloc(3 * (size_t)runs, sizeof *v), *c = v + runs;
	double *u = c + runs;
	struct timed_cm tcm = { inner, 0 };
	struct ebpf_codemem cm = { timed_install, timed_release, &tcm };
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	t->code = 0;
	for (unsigned i = 0; i < runs; i++) {
		enum graft_status st;
		tcm.ns = 0;
		uint64_t t0 = bench_now_ns();
		struct ebpf_prog *g = bench_graft_load(p, n, flags, &cm, &st,
						       why, whylen);
		uint64_t t1 = bench_now_ns();
		if (!g) {
			free(v);
			return false;
		}
		if (flags & EBPF_F_JIT)
			ebpf_prog_jit_code(g, &t->code);
		c[i] = (double)tcm.ns;
		bench_graft_free(g);
		v[i] = (double)(t1 - t0);
		u[i] = (double)tcm.ns - c[i];
	}
	t->load = bench_median(v, runs);
	t->codemem = bench_median(c, runs);
	t->unmap = bench_median(u, runs);
	free(v);
	return true;
}

/* r0 of one run with these flags; false and why on failure. */
static bool run_once(const struct ebpf_insn *p, size_t n, unsigned flags,
		     uint64_t *r0, char *why, size_t whylen)
{
	enum graft_status st;
	uint8_t dummy[16] = { 0 };
	struct ebpf_prog *g = bench_graft_load(p, n, flags, NULL, &st, why,
					       whylen);
	if (!g)
		return false;
	struct ebpf_exec *x = bench_graft_exec(dummy, sizeof dummy, dummy,
					       sizeof dummy, why, whylen);
	double ns;
	bool ok = x && bench_graft_time(g, x, 1, false, &ns, why, whylen);
	if (ok)
		*r0 = x->r0;
	free(x);
	bench_graft_free(g);
	return ok;
}

bool bench_jit_compile_time(unsigned runs)
{
	enum { N = 1000 };
	static struct ebpf_insn prog[N];
	char why[256] = "";
	bench_gen_program(prog, N, 0x5eed);
	printf("JIT compile time, generated %d-instruction program, median of "
	       "%u loads\n", N, runs);
	uint64_t ri = 0, rj = 0, rju = 0;
	if (!run_once(prog, N, 0, &ri, why, sizeof why)) {
		printf("FAIL generated program in the interpreter: %s\n", why);
		return false;
	}
	struct load_times ti, jc, ju;
	const struct ebpf_codemem *dflt = &ebpf_codemem_memfd;
	if (!time_loads(prog, N, 0, dflt, runs, &ti, why, sizeof why)) {
		printf("FAIL loading the generated program: %s\n", why);
		return false;
	}
	printf("  load, interpreter only (validate + pre-decode): %9.1f ns\n",
	       ti.load);
	if (!run_once(prog, N, EBPF_F_JIT, &rj, why, sizeof why)) {
		if (strncmp(why, "ENOTSUP", 7) == 0) {
			printf("  JIT: skipped: JIT not built (%s)\n", why);
			return true;
		}
		printf("FAIL generated program in the JIT: %s\n", why);
		return false;
	}
	if (!run_once(prog, N, EBPF_F_JIT | EBPF_F_UNCHECKED, &rju, why,
		      sizeof why)) {
		printf("FAIL generated program in the unchecked JIT: %s\n", why);
		return false;
	}
	if (ri != rj || ri != rju) {
		printf("MISMATCH generated program: interpreter 0x%llx, JIT "
		       "0x%llx, JIT unchecked 0x%llx\n", (unsigned long long)ri,
		       (unsigned long long)rj, (unsigned long long)rju);
		return false;
	}
	struct load_times jp;
	if (!time_loads(prog, N, EBPF_F_JIT, dflt, runs, &jc, why,
			sizeof why) ||
	    !time_loads(prog, N, EBPF_F_JIT | EBPF_F_UNCHECKED, dflt, runs,
			&ju, why, sizeof why) ||
	    !time_loads(prog, N, EBPF_F_JIT, &ebpf_codemem_posix, runs, &jp,
			why, sizeof why)) {
		printf("FAIL loading the generated program with the JIT: %s\n",
		       why);
		return false;
	}
	printf("  load with JIT, checked:                        %9.1f ns "
	       "(%.1f us; target < 50 us: %s), %zu bytes of code\n", jc.load,
	       jc.load / 1000, jc.load < 50000 ? "met" : "MISSED", jc.code);
	printf("  load with JIT, unchecked:                      %9.1f ns, "
	       "%zu bytes of code\n", ju.load, ju.code);
	printf("  JIT's share (checked load - interpreter load): %9.1f ns\n",
	       jc.load - ti.load);
	printf("  of which code memory (install, memfd):         %9.1f ns "
	       "(and release at free: %.1f ns)\n", jc.codemem, jc.unmap);
	printf("  load with JIT less code memory:                %9.1f ns "
	       "(%s 50 us)\n", jc.load - jc.codemem,
	       jc.load - jc.codemem < 50000 ? "under" : "over");
	printf("  load with JIT, checked, ebpf_codemem_posix:    %9.1f ns "
	       "(install %.1f ns, release %.1f ns)\n", jp.load, jp.codemem,
	       jp.unmap);
	return true;
}
