/*
 * The interpreter, checked and unchecked: each instruction group on
 * hand-built programs, the error paths and their exact messages, the budget
 * semantics, local calls and frames, helpers, callx and tail calls.
 */
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"
#include "testlib.h"

#define INS(c, d, s, o, i)                                                   \
	{ .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) }
#define MOV(d, i) INS(0xb7, d, 0, 0, i)
#define MOVR(d, s) INS(0xbf, d, s, 0, 0)
#define ALU64(op, d, i) INS(0x07 | (op), d, 0, 0, i)
#define ALU64R(op, d, s) INS(0x0f | (op), d, s, 0, 0)
#define ALU32(op, d, i) INS(0x04 | (op), d, 0, 0, i)
#define ALU32R(op, d, s) INS(0x0c | (op), d, s, 0, 0)
#define SDIV64(d, i) INS(0x37, d, 0, 1, i)
#define SMOD64R(d, s) INS(0x9f, d, s, 1, 0)
#define SDIV32R(d, s) INS(0x3c, d, s, 1, 0)
#define SMOD32(d, i) INS(0x94, d, 0, 1, i)
#define LDDW(d, v)                                                           \
	INS(0x18, d, 0, 0, (int32_t)(uint32_t)(uint64_t)(v)),                \
		INS(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define LDX(sz, d, s, o) INS(0x61 | (sz), d, s, o, 0)
#define LDXS(sz, d, s, o) INS(0x81 | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INS(0x62 | (sz), d, 0, o, i)
#define STX(sz, d, s, o) INS(0x63 | (sz), d, s, o, 0)
#define JA(o) INS(0x05, 0, 0, o, 0)
#define JI(op, d, i, o) INS(0x05 | (op), d, 0, o, i)
#define JR(op, d, s, o) INS(0x0d | (op), d, s, o, 0)
#define CALL(id) INS(0x85, 0, 0, 0, id)
#define CALL_LOCAL(rel) INS(0x85, 0, 1, 0, rel)
#define CALLX(r) INS(0x8d, r, 0, 0, 0)
#define EXIT INS(0x95, 0, 0, 0, 0)
#define W 0x00
#define H 0x08
#define B 0x10
#define DW 0x18

enum { ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50,
       LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0,
       MOVO = 0xb0, ARSH = 0xc0 };

static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}
static void t_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static struct ebpf_exec X;

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
	return ebpf_exec_abort(x, "refused argument %llu", (unsigned long long)a);
}
/* Tail call to the program in x->user with r1 as its context. */
static uint64_t h_tail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)c, (void)d, (void)e;
	x->tail_call = x->user;
	x->tail_ctx = a;
	return 0;
}
/* Same, but fails (returns 1, program goes on) at the limit, like Linux. */
static uint64_t h_tail_polite(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			      uint64_t e, struct ebpf_exec *x)
{
	if (x->tail_calls >= EBPF_MAX_TAIL_CALLS)
		return 1;
	return h_tail(a, b, c, d, e, x);
}

static const struct ebpf_helper helpers[] = {
	{ 1, "sum", h_sum },
	{ 2, "abort", h_abort },
	{ 12, "tail_call", h_tail },
	{ 13, "tail_call_polite", h_tail_polite },
};

static struct ebpf_prog *load(const struct ebpf_insn *insns, size_t n,
			      unsigned flags, struct graft_err *err)
{
	struct ebpf_load_opts o = {
		.helpers = helpers, .nhelpers = 4, .flags = flags,
		.alloc = { t_alloc, t_free, NULL },
	};
	struct ebpf_prog *p = NULL;
	struct graft_err e2;
	ebpf_prog_load(&p, insns, n, &o, err ? err : &e2);
	return p;
}

/* Run with mem as region (r1 = mem, r2 = len); returns status. */
static enum graft_status run(struct ebpf_prog *p, void *mem, size_t len,
			     unsigned perm, uint64_t budget)
{
	ebpf_exec_init(&X);
	X.budget = budget;
	if (mem)
		ebpf_exec_add_region(&X, mem, len, perm);
	X.arg[0] = (uint64_t)(uintptr_t)mem;
	X.arg[1] = len;
	return ebpf_prog_run(p, &X);
}

#define PROG(...) (const struct ebpf_insn[]){ __VA_ARGS__ },                 \
	sizeof((const struct ebpf_insn[]){ __VA_ARGS__ }) / sizeof(struct ebpf_insn)

/* Expect r0 == want, checked and unchecked, with a copy of mem. */
static void expect_r0(const char *name, const struct ebpf_insn *insns,
		      size_t n, const void *mem, size_t len, uint64_t want)
{
	for (unsigned flags = 0; flags <= EBPF_F_UNCHECKED; flags++) {
		struct graft_err err = { 0 };
		struct ebpf_prog *p = load(insns, n, flags, &err);
		if (!T_CHECK(p, "%s: load: %s", name, err.msg))
			continue;
		uint8_t buf[64] = { 0 };
		if (mem)
			memcpy(buf, mem, len);
		enum graft_status st = run(p, mem ? buf : NULL, len, EBPF_RW, 0);
		T_CHECK(st == GRAFT_OK && X.r0 == want,
			"%s (%s): status %s \"%s\" r0 0x%llx want 0x%llx", name,
			flags ? "unchecked" : "checked", graft_status_name(st),
			X.err.msg, (unsigned long long)X.r0,
			(unsigned long long)want);
		ebpf_prog_free(p);
	}
}
#define EXPECT(name, want, ...) expect_r0(name, PROG(__VA_ARGS__), NULL, 0, want)
#define EXPECT_MEM(name, mem, want, ...)                                     \
	expect_r0(name, PROG(__VA_ARGS__), mem, sizeof(mem), want)

static void test_alu(void)
{
	EXPECT("add64", 7, MOV(0, 3), ALU64(ADD, 0, 4), EXIT);
	EXPECT("add64 reg", 0x100000000ull, LDDW(0, 0xffffffffull), MOV(1, 1),
	       ALU64R(ADD, 0, 1), EXIT);
	EXPECT("add32 wraps, zero-extends", 1, MOV(0, -1), ALU32(ADD, 0, 2), EXIT);
	EXPECT("sub64 imm sign-extended", 5, MOV(0, 3), ALU64(SUB, 0, -2), EXIT);
	EXPECT("sub32 reg", 0xffffffffull, MOV(0, 1), MOV(1, 2), ALU32R(SUB, 0, 1), EXIT);
	EXPECT("mul64", (uint64_t)-6, MOV(0, 3), ALU64(MUL, 0, -2), EXIT);
	EXPECT("mul32", 0xfffffffaull, MOV(0, 3), MOV(1, -2), ALU32R(MUL, 0, 1), EXIT);
	EXPECT("or/and/xor", 0x5a ^ 0x0f, MOV(0, 0x50), ALU64(OR, 0, 0x0a),
	       MOV(1, 0xff), ALU64R(AND, 0, 1), ALU64(XOR, 0, 0x0f), EXIT);
	EXPECT("and32 clears high half", 0x1, LDDW(0, 0xff00000001ull),
	       ALU32(AND, 0, -1), EXIT);
	EXPECT("div64 imm unsigned", 0x7fffffffffffffffull, MOV(0, -1),
	       ALU64(DIV, 0, 2), EXIT);
	EXPECT("div64 by -1 imm is unsigned", 1, MOV(0, -1), ALU64(DIV, 0, -1), EXIT);
	EXPECT("div64 by zero reg is 0", 0, MOV(0, 9), MOV(1, 0), ALU64R(DIV, 0, 1), EXIT);
	EXPECT("div32 by zero imm is 0", 0, MOV(0, 9), ALU32(DIV, 0, 0), EXIT);
	EXPECT("div32 uses low halves", 2, LDDW(0, 0x100000004ull),
	       LDDW(1, 0x100000002ull), ALU32R(DIV, 0, 1), EXIT);
	EXPECT("mod64", 1, MOV(0, 7), ALU64(MOD, 0, 3), EXIT);
	EXPECT("mod64 by zero keeps dst", (uint64_t)-5, MOV(0, -5), MOV(1, 0),
	       ALU64R(MOD, 0, 1), EXIT);
	EXPECT("mod32 by zero keeps dst, zero-extended", 0xfffffffbull, MOV(0, -5),
	       ALU32(MOD, 0, 0), EXIT);
	EXPECT("sdiv64", (uint64_t)-3, MOV(0, -7), SDIV64(0, 2), EXIT);
	EXPECT("sdiv64 INT_MIN / -1", 0x8000000000000000ull,
	       LDDW(0, 0x8000000000000000ull), SDIV64(0, -1), EXIT);
	EXPECT("sdiv64 by zero", 0, MOV(0, -7), SDIV64(0, 0), EXIT);
	EXPECT("smod64", (uint64_t)-1, MOV(0, -7), MOV(1, 2), SMOD64R(0, 1), EXIT);
	EXPECT("smod64 INT_MIN % -1", 0, LDDW(0, 0x8000000000000000ull), MOV(1, -1),
	       SMOD64R(0, 1), EXIT);
	EXPECT("smod64 by zero keeps dst", (uint64_t)-7, MOV(0, -7), MOV(1, 0),
	       SMOD64R(0, 1), EXIT);
	EXPECT("sdiv32 INT_MIN / -1", 0x80000000ull, MOV(0, (int32_t)0x80000000),
	       MOV(1, -1), SDIV32R(0, 1), EXIT);
	EXPECT("sdiv32 by zero", 0, MOV(0, 5), MOV(1, 0), SDIV32R(0, 1), EXIT);
	EXPECT("smod32", 0xffffffffull, MOV(0, -7), SMOD32(0, 2), EXIT);
	EXPECT("smod32 by zero keeps dst", 0xfffffff9ull, MOV(0, -7), SMOD32(0, 0), EXIT);
	EXPECT("smod32 INT_MIN % -1", 0, MOV(0, (int32_t)0x80000000), SMOD32(0, -1), EXIT);
	EXPECT("lsh64 masks to 63", 2, MOV(0, 1), MOV(1, 65), ALU64R(LSH, 0, 1), EXIT);
	EXPECT("lsh32 masks to 31", 2, MOV(0, 1), ALU32(LSH, 0, 33), EXIT);
	EXPECT("lsh32 drops high bits", 0, MOV(0, 1), ALU32(LSH, 0, 31),
	       ALU32(LSH, 0, 1), EXIT);
	EXPECT("rsh64", 0x7fffffffffffffffull, MOV(0, -1), ALU64(RSH, 0, 1), EXIT);
	EXPECT("rsh32", 0x7fffffffull, MOV(0, -1), MOV(1, 33), ALU32R(RSH, 0, 1), EXIT);
	EXPECT("arsh64", (uint64_t)-1, MOV(0, -2), ALU64(ARSH, 0, 1), EXIT);
	EXPECT("arsh32", 0xf8000000ull, MOV(0, (int32_t)0x80000000), ALU32(ARSH, 0, 4), EXIT);
	EXPECT("neg64", (uint64_t)-5, MOV(0, 5), INS(0x87, 0, 0, 0, 0), EXIT);
	EXPECT("neg32", 0xfffffffbull, MOV(0, 5), INS(0x84, 0, 0, 0, 0), EXIT);
	EXPECT("mov32 imm zero-extends", 0xffffffffull, MOV(0, 7),
	       INS(0xb4, 0, 0, 0, -1), EXIT);
	EXPECT("mov32 reg", 0x89abcdefull, LDDW(1, 0x0123456789abcdefull),
	       INS(0xbc, 0, 1, 0, 0), EXIT);
	EXPECT("mov64 imm sign-extends", (uint64_t)-1, MOV(0, -1), EXIT);
	EXPECT("movsx864", (uint64_t)-128, MOV(1, 0x180), INS(0xbf, 0, 1, 8, 0), EXIT);
	EXPECT("movsx1664", (uint64_t)-32768, MOV(1, 0x18000), INS(0xbf, 0, 1, 16, 0), EXIT);
	EXPECT("movsx3264", (uint64_t)-1, LDDW(1, 0x1ffffffffull),
	       INS(0xbf, 0, 1, 32, 0), EXIT);
	EXPECT("movsx832", 0xffffff80ull, MOV(1, 0x80), INS(0xbc, 0, 1, 8, 0), EXIT);
	EXPECT("movsx1632", 0xffff8000ull, MOV(1, 0x8000), INS(0xbc, 0, 1, 16, 0), EXIT);
	EXPECT("lddw", 0x123456789abcdef0ull, LDDW(0, 0x123456789abcdef0ull), EXIT);
	/* lsh/rsh and lsh/arsh by 32 run fused; a jump may land between */
	EXPECT("lsh 32; rsh 32", 0x12345678, LDDW(0, 0xffffffff12345678ull),
	       ALU64(LSH, 0, 32), ALU64(RSH, 0, 32), EXIT);
	EXPECT("lsh 32; arsh 32", 0xfffffffff2345678ull, LDDW(0, 0x00000001f2345678ull),
	       ALU64(LSH, 0, 32), ALU64(ARSH, 0, 32), EXIT);
	EXPECT("jump onto the rsh of a pair", 0xffffffffull,
	       LDDW(0, 0xffffffff12345678ull), JA(1), ALU64(LSH, 0, 32),
	       ALU64(RSH, 0, 32), EXIT);
	EXPECT("lsh/rsh on different registers", 0x1234567800000000ull,
	       LDDW(0, 0xffffffff12345678ull), MOV(1, 7), ALU64(LSH, 0, 32),
	       ALU64(RSH, 1, 32), EXIT);
	EXPECT("lsh 32; rsh 31 is no pair", 0x2468acf0ull,
	       LDDW(0, 0xffffffff12345678ull), ALU64(LSH, 0, 32), ALU64(RSH, 0, 31), EXIT);
	printf("alu: add/sub/mul/or/and/xor, div/mod/sdiv/smod incl. zero and INT_MIN/-1, shifts masked, neg, mov/movsx, lddw, fused lsh/rsh pairs\n");
}

static void test_end(void)
{
	uint64_t v = 0x0123456789abcdefull;
	EXPECT("be16", 0xefcd, LDDW(0, v), INS(0xdc, 0, 0, 0, 16), EXIT);
	EXPECT("be32", 0xefcdab89ull, LDDW(0, v), INS(0xdc, 0, 0, 0, 32), EXIT);
	EXPECT("be64", 0xefcdab8967452301ull, LDDW(0, v), INS(0xdc, 0, 0, 0, 64), EXIT);
	EXPECT("le16", 0xcdef, LDDW(0, v), INS(0xd4, 0, 0, 0, 16), EXIT);
	EXPECT("le32", 0x89abcdefull, LDDW(0, v), INS(0xd4, 0, 0, 0, 32), EXIT);
	EXPECT("le64", v, LDDW(0, v), INS(0xd4, 0, 0, 0, 64), EXIT);
	EXPECT("bswap16", 0xefcd, LDDW(0, v), INS(0xd7, 0, 0, 0, 16), EXIT);
	EXPECT("bswap32", 0xefcdab89ull, LDDW(0, v), INS(0xd7, 0, 0, 0, 32), EXIT);
	EXPECT("bswap64", 0xefcdab8967452301ull, LDDW(0, v), INS(0xd7, 0, 0, 0, 64), EXIT);
	printf("byte swaps: be/le/bswap 16/32/64 (zero-extended)\n");
}

static int jump_ref(unsigned op, uint64_t a, uint64_t b, bool w32)
{
	if (w32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	int64_t sa = w32 ? (int32_t)a : (int64_t)a, sb = w32 ? (int32_t)b : (int64_t)b;
	switch (op) {
	case 0x10: return a == b;
	case 0x20: return a > b;
	case 0x30: return a >= b;
	case 0x40: return (a & b) != 0;
	case 0x50: return a != b;
	case 0x60: return sa > sb;
	case 0x70: return sa >= sb;
	case 0xa0: return a < b;
	case 0xb0: return a <= b;
	case 0xc0: return sa < sb;
	default: return sa <= sb;
	}
}

static void test_jumps(void)
{
	static const unsigned ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
					0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
	static const int64_t vals[] = { 0, 1, 2, -1, -2, 0x7fffffff,
					(int32_t)0x80000000, 0x100000001ll,
					-0x100000000ll };
	unsigned n = 0;
	for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++)
		for (unsigned w = 0; w < 2; w++)
			for (unsigned i = 0; i < 9; i++)
				for (unsigned j = 0; j < 9; j++) {
					uint64_t a = (uint64_t)vals[i], b = (uint64_t)vals[j];
					uint8_t cls = w ? 0x06 : 0x05;
					char name[64];
					int want = jump_ref(ops[o], a, b, w);
					snprintf(name, sizeof name, "j 0x%02x %s %d,%d reg",
						 ops[o] | cls | 8, w ? "32" : "64", i, j);
					struct ebpf_insn r[] = {
						LDDW(1, a), LDDW(2, b), MOV(0, 1),
						INS(cls | 8 | ops[o], 1, 2, 1, 0),
						MOV(0, 0), EXIT
					};
					expect_r0(name, r, 8, NULL, 0, (uint64_t)want);
					if (vals[j] != (int32_t)vals[j])
						continue;
					snprintf(name, sizeof name, "j 0x%02x %s %d,%d imm",
						 ops[o] | cls, w ? "32" : "64", i, j);
					struct ebpf_insn k[] = {
						LDDW(1, a), MOV(0, 1),
						INS(cls | ops[o], 1, 0, 1, (int32_t)vals[j]),
						MOV(0, 0), EXIT
					};
					expect_r0(name, k, 6, NULL, 0, (uint64_t)want);
					n += 2;
				}
	EXPECT("ja", 1, MOV(0, 1), JA(1), MOV(0, 2), EXIT);
	EXPECT("ja32", 1, MOV(0, 1), INS(0x06, 0, 0, 0, 1), MOV(0, 2), EXIT);
	EXPECT("backward loop", 10, MOV(0, 0), MOV(1, 10), ALU64(ADD, 0, 1),
	       ALU64(SUB, 1, 1), JI(0x50, 1, 0, -3), EXIT);
	printf("jumps: %u compare cases over 11 conditions, JMP and JMP32, imm and reg; ja, ja32, loops\n", n);
}

static void test_memory(void)
{
	uint8_t mem[16] = { 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
			    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7 };
	EXPECT_MEM("ldxb", mem, 0x81, LDX(B, 0, 1, 0), EXIT);
	EXPECT_MEM("ldxh", mem, 0x8483, LDX(H, 0, 1, 2), EXIT);
	EXPECT_MEM("ldxw unaligned", mem, 0x85848382ull, LDX(W, 0, 1, 1), EXIT);
	EXPECT_MEM("ldxdw", mem, 0xf7f6f5f4f3f2f1f0ull, LDX(DW, 0, 1, 8), EXIT);
	EXPECT_MEM("ldxsb", mem, (uint64_t)(int8_t)0x81, LDXS(B, 0, 1, 0), EXIT);
	EXPECT_MEM("ldxsh", mem, (uint64_t)(int16_t)0x8483, LDXS(H, 0, 1, 2), EXIT);
	EXPECT_MEM("ldxsw", mem, (uint64_t)(int32_t)0x88878685, LDXS(W, 0, 1, 4), EXIT);
	EXPECT_MEM("ldx negative offset", mem, 0xf7, ALU64(ADD, 1, 16),
		   LDX(B, 0, 1, -1), EXIT);
	EXPECT_MEM("st b/h/w/dw", mem, 0x88ffffffff1111a5ull, ST(B, 1, 0, 0xa5),
		   ST(H, 1, 1, 0x1111), ST(W, 1, 3, -1), ST(DW, 1, 8, -1),
		   LDX(DW, 0, 1, 0), LDX(DW, 2, 1, 8), ALU64(ADD, 2, 1),
		   ALU64R(OR, 0, 2), EXIT);
	EXPECT_MEM("stx b/h/w/dw", mem, 0x8182838485868788ull,
		   LDDW(2, 0x8182838485868788ull), STX(DW, 1, 2, 8),
		   STX(W, 1, 2, 0), STX(H, 1, 2, 4), STX(B, 1, 2, 6),
		   LDX(DW, 0, 1, 8), LDX(DW, 3, 1, 0), ALU64(RSH, 3, 56),
		   JI(0x55, 3, 0x88, 1), EXIT, MOV(0, 0), EXIT);
	EXPECT("stack store and load", 0x1234, MOV(1, 0x1234), STX(DW, 10, 1, -8),
	       LDX(DW, 0, 10, -8), EXIT);
	EXPECT("stack bottom byte", 0x7f, ST(B, 10, -512, 0x7f),
	       LDX(B, 0, 10, -512), EXIT);
	printf("memory: ldx b/h/w/dw, ldxs b/h/w, st and stx all widths, unaligned, stack ends\n");
}

static void test_atomics(void)
{
	/* Each: [r10-8] = 0x0f0f (64) ; r1 = 0x1100 ; op ; r0 = mem + r1 */
	struct { const char *name; uint8_t code; int32_t op; uint64_t mem, r1; } t[] = {
		{ "lock add", 0xdb, 0x00, 0x200f, 0x1100 },
		{ "lock fetch add", 0xdb, 0x01, 0x200f, 0x0f0f },
		{ "lock or", 0xdb, 0x40, 0x1f0f, 0x1100 },
		{ "lock fetch or", 0xdb, 0x41, 0x1f0f, 0x0f0f },
		{ "lock and", 0xdb, 0x50, 0x0100, 0x1100 },
		{ "lock fetch and", 0xdb, 0x51, 0x0100, 0x0f0f },
		{ "lock xor", 0xdb, 0xa0, 0x1e0f, 0x1100 },
		{ "lock fetch xor", 0xdb, 0xa1, 0x1e0f, 0x0f0f },
		{ "lock xchg", 0xdb, 0xe1, 0x1100, 0x0f0f },
		{ "lock add32", 0xc3, 0x00, 0x200f, 0x1100 },
		{ "lock fetch add32", 0xc3, 0x01, 0x200f, 0x0f0f },
		{ "lock or32", 0xc3, 0x40, 0x1f0f, 0x1100 },
		{ "lock fetch or32", 0xc3, 0x41, 0x1f0f, 0x0f0f },
		{ "lock and32", 0xc3, 0x50, 0x0100, 0x1100 },
		{ "lock fetch and32", 0xc3, 0x51, 0x0100, 0x0f0f },
		{ "lock xor32", 0xc3, 0xa0, 0x1e0f, 0x1100 },
		{ "lock fetch xor32", 0xc3, 0xa1, 0x1e0f, 0x0f0f },
		{ "lock xchg32", 0xc3, 0xe1, 0x1100, 0x0f0f },
	};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t sz = t[i].code == 0xdb ? DW : W;
		/* off -15: misaligned, done without atomicity */
		for (int off = -16; off <= -15; off++) {
			struct ebpf_insn p[] = {
				MOV(2, 0), STX(DW, 10, 2, -16), STX(DW, 10, 2, -8),
				MOV(2, 0x0f0f), STX(sz, 10, 2, (int16_t)off),
				MOV(1, 0x1100),
				INS(t[i].code, 10, 1, (int16_t)off, t[i].op),
				LDX(sz, 0, 10, (int16_t)off), ALU64R(SUB, 0, 1),
				ALU64(ADD, 0, 1), EXIT
			};
			char name[64];
			snprintf(name, sizeof name, "%s off %d", t[i].name, off);
			/* result: mem - r1 + 1, so both are checked */
			expect_r0(name, p, 11, NULL, 0, t[i].mem - t[i].r1 + 1);
		}
	}
	EXPECT("lock cmpxchg match", 0x1234 + 0x55,
	       MOV(2, 0x55), STX(DW, 10, 2, -8), MOV(0, 0x55), MOV(1, 0x1234),
	       INS(0xdb, 10, 1, -8, 0xf1), LDX(DW, 3, 10, -8), ALU64R(ADD, 0, 3), EXIT);
	EXPECT("lock cmpxchg mismatch", 0x55 + 0x55,
	       MOV(2, 0x55), STX(DW, 10, 2, -8), MOV(0, 0x66), MOV(1, 0x1234),
	       INS(0xdb, 10, 1, -8, 0xf1), LDX(DW, 3, 10, -8), ALU64R(ADD, 0, 3), EXIT);
	EXPECT("lock cmpxchg32 zero-extends r0", 0x55 + 0x1234,
	       MOV(2, 0x55), STX(W, 10, 2, -8), LDDW(0, 0xff00000055ull),
	       MOV(1, 0x1234), INS(0xc3, 10, 1, -8, 0xf1), LDX(W, 3, 10, -8),
	       ALU64R(ADD, 0, 3), EXIT);
	EXPECT("lock fetch add32 zero-extends", 0xffffffffull,
	       MOV(2, -1), STX(W, 10, 2, -4), MOV(1, 0), INS(0xc3, 10, 1, -4, 0x01),
	       MOVR(0, 1), EXIT);
	printf("atomics: add/or/and/xor with and without fetch, xchg, cmpxchg; 32 and 64; aligned and misaligned\n");
}

static void test_calls(void)
{
	EXPECT("helper call", 15, MOV(1, 1), MOV(2, 2), MOV(3, 3), MOV(4, 4),
	       MOV(5, 5), CALL(1), EXIT);
	EXPECT("callx", 3, MOV(1, 1), MOV(2, 2), MOV(3, 0), MOV(4, 0), MOV(5, 0),
	       MOV(6, 1), CALLX(6), EXIT);
	/* r6..r9 survive a local call; the callee's r10 frame is fresh */
	EXPECT("local call keeps r6-r9 and the caller's frame", 6 + 7 + 8 + 9 + 0x77 + 5,
	       MOV(6, 6), MOV(7, 7), MOV(8, 8), MOV(9, 9), ST(DW, 10, -8, 0x77),
	       MOV(1, 5), CALL_LOCAL(8), ALU64R(ADD, 0, 6), ALU64R(ADD, 0, 7),
	       ALU64R(ADD, 0, 8), ALU64R(ADD, 0, 9), LDX(DW, 1, 10, -8),
	       ALU64R(ADD, 0, 1), EXIT,
	       /* callee: clobber r6-r9 and its own [r10-8] */
	       MOV(6, 0), MOV(7, 0), MOV(8, 0), MOV(9, 0), ST(DW, 10, -8, 0),
	       MOVR(0, 1), EXIT);
	/* 8 frames is the limit: 7 nested calls are fine */
	struct ebpf_insn nest[] = {
		MOV(0, 0), MOV(1, 7), CALL_LOCAL(1), EXIT,
		ALU64(ADD, 0, 1), JI(0x15, 1, 1, 3), ALU64(SUB, 1, 1),
		CALL_LOCAL(-4), EXIT, EXIT,
	};
	expect_r0("7 nested local calls", nest, 10, NULL, 0, 7);
	printf("calls: helpers with r1-r5, callx, local calls keep r6-r9 and frames, 8 frames allowed\n");
}

static void test_ldabs(void)
{
	static const uint8_t pkt[] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct ebpf_insn p[] = {
		INS(0x20, 0, 0, 0, 1), MOVR(6, 0),         /* ldabsw [1] */
		MOV(7, 3), INS(0x48, 0, 7, 0, 0), ALU64(LSH, 6, 16), ALU64R(OR, 6, 0),
		INS(0x30, 0, 0, 0, 4), ALU64(LSH, 6, 8), ALU64R(OR, 6, 0),
		MOVR(0, 6), EXIT,
	};
	struct ebpf_prog *pr = load(p, 11, 0, NULL);
	ebpf_exec_init(&X);
	X.pkt = pkt;
	X.pkt_len = sizeof pkt;
	T_CHECK(pr && ebpf_prog_run(pr, &X) == GRAFT_OK &&
			X.r0 == 0x22334455445555ull,
		"ld_abs/ld_ind big-endian: r0 0x%llx", (unsigned long long)X.r0);
	ebpf_prog_free(pr);
	struct ebpf_insn q[] = { MOV(0, 9), INS(0x28, 0, 0, 0, 4), MOV(0, 9), EXIT };
	pr = load(q, 4, 0, NULL);
	ebpf_exec_init(&X);
	X.pkt = pkt;
	X.pkt_len = sizeof pkt;
	T_CHECK(pr && ebpf_prog_run(pr, &X) == GRAFT_OK && X.r0 == 0,
		"ld_abs out of range ends with r0 = 0: r0 %llu",
		(unsigned long long)X.r0);
	ebpf_prog_free(pr);
	printf("legacy packet loads: ld_abs/ld_ind big-endian; out of range ends the program with r0 = 0\n");
}

/* Run checked, expect failure with status and exact message and pc. */
static void expect_fail(const char *name, const struct ebpf_insn *insns,
			size_t n, void *mem, size_t len, unsigned perm,
			uint64_t budget, enum graft_status want,
			const char *msg, uint32_t pc)
{
	struct graft_err err = { 0 };
	struct ebpf_prog *p = load(insns, n, 0, &err);
	if (!T_CHECK(p, "%s: load: %s", name, err.msg))
		return;
	enum graft_status st = run(p, mem, len, perm, budget);
	T_CHECK(st == want && (!msg || !strcmp(X.err.msg, msg)) && X.err_pc == pc &&
			X.err.status == st,
		"%s: got %s \"%s\" pc %u, want %s \"%s\" pc %u", name,
		graft_status_name(st), X.err.msg, X.err_pc,
		graft_status_name(want), msg ? msg : "", pc);
	ebpf_prog_free(p);
}

static void test_faults(void)
{
	uint8_t mem[8] = { 0 };
	char msg[128];
	uint64_t a = (uint64_t)(uintptr_t)mem;
	snprintf(msg, sizeof msg, "pc 1: invalid load of 4 bytes at 0x%llx",
		 (unsigned long long)(a + 6));
	expect_fail("load past the region", PROG(MOV(0, 0), LDX(W, 0, 1, 6), EXIT),
		    mem, 8, EBPF_RW, 0, GRAFT_EFAULT, msg, 1);
	snprintf(msg, sizeof msg, "pc 0: invalid store of 1 bytes at 0x%llx",
		 (unsigned long long)(a - 1));
	expect_fail("store before the region", PROG(ST(B, 1, -1, 1), EXIT),
		    mem, 8, EBPF_RW, 0, GRAFT_EFAULT, msg, 0);
	snprintf(msg, sizeof msg, "pc 0: invalid store of 8 bytes at 0x%llx",
		 (unsigned long long)a);
	expect_fail("store to a read-only region", PROG(STX(DW, 1, 1, 0), EXIT),
		    mem, 8, EBPF_R, 0, GRAFT_EFAULT, msg, 0);
	snprintf(msg, sizeof msg, "pc 0: invalid load of 1 bytes at 0x%llx",
		 (unsigned long long)a);
	expect_fail("load from a write-only region", PROG(LDX(B, 0, 1, 0), EXIT),
		    mem, 8, EBPF_W, 0, GRAFT_EFAULT, msg, 0);
	expect_fail("load from address 0", PROG(MOV(1, 0), LDX(DW, 0, 1, 16), EXIT),
		    NULL, 0, 0, 0, GRAFT_EFAULT,
		    "pc 1: invalid load of 8 bytes at 0x10", 1);
	snprintf(msg, sizeof msg, "pc 0: invalid store of 8 bytes at 0x%llx",
		 (unsigned long long)(uintptr_t)(X.stack + sizeof X.stack - 4));
	expect_fail("store across the stack top", PROG(STX(DW, 10, 1, -4), EXIT),
		    NULL, 0, 0, 0, GRAFT_EFAULT, msg, 0);
	snprintf(msg, sizeof msg, "pc 0: invalid load of 1 bytes at 0x%llx",
		 (unsigned long long)(uintptr_t)(X.stack + sizeof X.stack - 513));
	expect_fail("load below frame 0", PROG(LDX(B, 0, 10, -513), EXIT),
		    NULL, 0, 0, 0, GRAFT_EFAULT, msg, 0);
	/* After the callee returns, its frame is dead. */
	snprintf(msg, sizeof msg, "pc 1: invalid load of 8 bytes at 0x%llx",
		 (unsigned long long)(uintptr_t)(X.stack + sizeof X.stack - 512 - 8));
	expect_fail("load from a returned frame",
		    PROG(CALL_LOCAL(2), LDX(DW, 0, 0, -8), EXIT, MOVR(0, 10), EXIT),
		    NULL, 0, 0, 0, GRAFT_EFAULT, msg, 1);
	snprintf(msg, sizeof msg, "pc 0: invalid store of 8 bytes at 0x%llx",
		 (unsigned long long)(a + 4));
	expect_fail("atomic past the region", PROG(INS(0xdb, 1, 1, 4, 0), EXIT),
		    mem, 8, EBPF_RW, 0, GRAFT_EFAULT, msg, 0);
	expect_fail("infinite recursion hits the depth limit",
		    PROG(CALL_LOCAL(-1), EXIT), NULL, 0, 0, 0, GRAFT_EDEPTH,
		    "call depth limit of 8 exceeded at pc 0", 0);
	expect_fail("callx to an unknown helper",
		    PROG(MOV(0, 0), MOV(3, 99), CALLX(3), EXIT), NULL, 0, 0, 0,
		    GRAFT_EHELPER, "pc 2: callx to unknown helper 99", 2);
	expect_fail("callx to an ID above 32 bits",
		    PROG(LDDW(3, 0x100000001ull), CALLX(3), EXIT), NULL, 0, 0, 0,
		    GRAFT_EHELPER, "pc 2: callx to unknown helper 4294967297", 2);
	expect_fail("helper abort", PROG(MOV(1, 42), CALL(2), MOV(0, 1), EXIT),
		    NULL, 0, 0, 0, GRAFT_EHELPER, "refused argument 42", 1);
	expect_fail("helper abort through callx",
		    PROG(MOV(1, 7), MOV(2, 2), CALLX(2), EXIT), NULL, 0, 0, 0,
		    GRAFT_EHELPER, "refused argument 7", 2);
	/* A fault leaves memory before it written and the host goes on. */
	expect_fail("fault after a store", PROG(ST(B, 1, 0, 9), LDX(B, 0, 1, 8), EXIT),
		    mem, 8, EBPF_RW, 0, GRAFT_EFAULT, NULL, 1);
	T_CHECK(mem[0] == 9, "store before the fault landed");
	printf("faults: OOB load/store (region ends, perms, address 0, stack top/bottom, dead frames, atomics), depth, callx unknown, helper abort\n");
}

static void test_budget(void)
{
	/* pc0-1 run (2), loop body pc2-4 (3) x 10, exit run pc5 (1) */
	struct ebpf_insn loop[] = {
		MOV(0, 0), MOV(1, 10),
		ALU64(ADD, 0, 1), ALU64(SUB, 1, 1), JI(0x55, 1, 0, -3),
		EXIT,
	};
	struct ebpf_prog *p = load(loop, 6, 0, NULL);
	T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_OK && X.executed == 2 + 30 + 1,
		"executed is exact: %llu", (unsigned long long)X.executed);
	T_CHECK(run(p, NULL, 0, 0, 33) == GRAFT_OK && X.executed == 33,
		"a budget of exactly the count suffices");
	T_CHECK(run(p, NULL, 0, 0, 32) == GRAFT_EBUDGET &&
			!strcmp(X.err.msg, "instruction budget of 32 exhausted at pc 5") &&
			X.err_pc == 5 && X.executed == 32,
		"budget 32: %s (executed %llu)", X.err.msg,
		(unsigned long long)X.executed);
	T_CHECK(run(p, NULL, 0, 0, 7) == GRAFT_EBUDGET &&
			!strcmp(X.err.msg, "instruction budget of 7 exhausted at pc 2") &&
			X.err_pc == 2 && X.executed == 5 && X.r0 == 0,
		"budget 7: a run that does not fit does not start: %s", X.err.msg);
	T_CHECK(run(p, NULL, 0, 0, 1) == GRAFT_EBUDGET &&
			!strcmp(X.err.msg, "instruction budget of 1 exhausted at pc 0"),
		"budget 1 stops at pc 0: %s", X.err.msg);
	ebpf_prog_free(p);
	/* No instruction of a refused run executes: the store must not land. */
	uint8_t mem[8] = { 0 };
	struct ebpf_insn st[] = { MOV(0, 0), JA(0), ST(B, 1, 0, 1), EXIT };
	p = load(st, 4, 0, NULL);
	T_CHECK(run(p, mem, 8, EBPF_RW, 3) == GRAFT_EBUDGET && mem[0] == 0 &&
			X.err_pc == 2,
		"refused run has no effect");
	T_CHECK(run(p, mem, 8, EBPF_RW, 4) == GRAFT_OK && mem[0] == 1 &&
			X.executed == 4,
		"helper-free straight line counts each instruction");
	ebpf_prog_free(p);
	/* Helper calls do not end a run; local calls and returns start runs. */
	struct ebpf_insn calls[] = {
		MOV(1, 1), CALL(1), CALL_LOCAL(2), ALU64(ADD, 0, 1), EXIT,
		MOV(0, 5), EXIT,
	};
	p = load(calls, 7, 0, NULL);
	T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_OK && X.executed == 7 && X.r0 == 6,
		"runs across helper and local calls: executed %llu r0 %llu",
		(unsigned long long)X.executed, (unsigned long long)X.r0);
	ebpf_prog_free(p);
	/* Fused pairs still count as two. */
	struct ebpf_insn pair[] = { MOV(0, -1), ALU64(LSH, 0, 32), ALU64(RSH, 0, 32), EXIT };
	p = load(pair, 4, 0, NULL);
	T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_OK && X.executed == 4 && X.r0 == 0xffffffffull,
		"fused pair counts two: %llu", (unsigned long long)X.executed);
	ebpf_prog_free(p);
	/* A lddw counts as one instruction. */
	struct ebpf_insn ld[] = { LDDW(0, 1), LDDW(1, 2), EXIT };
	p = load(ld, 5, 0, NULL);
	T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_OK && X.executed == 3,
		"lddw counts once: %llu", (unsigned long long)X.executed);
	ebpf_prog_free(p);
	/* Runaway program, default budget. */
	p = load(PROG(JA(-1)), 0, NULL);
	T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_EBUDGET &&
			!strcmp(X.err.msg, "instruction budget of 1000000 exhausted at pc 0") &&
			X.executed == EBPF_DEFAULT_BUDGET,
		"runaway: %s", X.err.msg);
	ebpf_prog_free(p);
	/* Unchecked programs skip the budget. */
	p = load(loop, 6, EBPF_F_UNCHECKED, NULL);
	T_CHECK(run(p, NULL, 0, 0, 5) == GRAFT_OK && X.r0 == 10,
		"unchecked ignores the budget: %s r0 %llu", X.err.msg,
		(unsigned long long)X.r0);
	ebpf_prog_free(p);
	printf("budget: charged per run, exact executed count, refused runs do not start, message and pc, default 1000000\n");
}

static void test_tail_calls(void)
{
	/* prog b: r0 = r1 + 100 */
	struct ebpf_prog *b = load(PROG(MOVR(0, 1), ALU64(ADD, 0, 100), EXIT), 0, NULL);
	/* prog a: tail call to b with ctx 5; what follows must not run */
	struct ebpf_prog *a = load(PROG(MOV(1, 5), CALL(12), MOV(0, 1), EXIT), 0, NULL);
	ebpf_exec_init(&X);
	X.user = b;
	X.arg[0] = 77;
	T_CHECK(ebpf_prog_run(a, &X) == GRAFT_OK && X.r0 == 105 &&
			X.executed == 2 + 3 && X.tail_calls == 1 && X.arg[0] == 77,
		"tail call: r0 %llu executed %llu", (unsigned long long)X.r0,
		(unsigned long long)X.executed);
	T_CHECK(ebpf_prog_interp(a, &X) == GRAFT_OK && X.r0 == 105,
		"tail call through ebpf_prog_interp");
	/* From inside a local call: an error. */
	struct ebpf_prog *c = load(PROG(CALL_LOCAL(1), EXIT, CALL(12), EXIT), 0, NULL);
	X.user = b;
	T_CHECK(ebpf_prog_run(c, &X) == GRAFT_EHELPER && X.err_pc == 2 &&
			!strcmp(X.err.msg, "pc 2: tail call from inside a local call"),
		"tail call in a local call: %s", X.err.msg);
	/* Endless self tail calls: stopped at the limit, or refused politely. */
	struct ebpf_prog *d = load(PROG(CALL(12), EXIT), 0, NULL);
	X.user = d;
	T_CHECK(ebpf_prog_run(d, &X) == GRAFT_EHELPER &&
			!strcmp(X.err.msg, "tail call limit of 33 exceeded"),
		"endless tail calls: %s", X.err.msg);
	struct ebpf_prog *e = load(PROG(CALL(13), EXIT), 0, NULL);
	X.user = e;
	T_CHECK(ebpf_prog_run(e, &X) == GRAFT_OK && X.r0 == 1 &&
			X.tail_calls == EBPF_MAX_TAIL_CALLS &&
			X.executed == EBPF_MAX_TAIL_CALLS + 2,
		"polite tail-call helper: r0 %llu calls %u",
		(unsigned long long)X.r0, X.tail_calls);
	/* The budget covers the chain. */
	X.user = e;
	X.budget = 11;
	T_CHECK(ebpf_prog_run(e, &X) == GRAFT_EBUDGET && X.executed == 10,
		"budget spans the tail-call chain: %s", X.err.msg);
	ebpf_prog_free(a);
	ebpf_prog_free(b);
	ebpf_prog_free(c);
	ebpf_prog_free(d);
	ebpf_prog_free(e);
	printf("tail calls: chain r0, ctx, no return, not from local calls, limit 33, budget across the chain\n");
}

static void test_api(void)
{
	ebpf_exec_init(&X);
	static uint8_t big[16];
	unsigned i;
	for (i = 0; i < EBPF_MAX_REGIONS; i++)
		if (ebpf_exec_add_region(&X, big + i % 16, 1, EBPF_R))
			break;
	T_CHECK(i == EBPF_MAX_REGIONS &&
			ebpf_exec_add_region(&X, big, 1, EBPF_R) == GRAFT_ENOMEM,
		"regions fill at %d", EBPF_MAX_REGIONS);
	ebpf_exec_init(&X);
	T_CHECK(ebpf_exec_add_region(&X, (void *)(uintptr_t)-8, 16, EBPF_R) == GRAFT_EINVAL,
		"a region that wraps is refused");
	ebpf_exec_add_region(&X, big, 16, EBPF_R);
	uint64_t a = (uint64_t)(uintptr_t)big;
	T_CHECK(ebpf_exec_access_ok(&X, a, 16, EBPF_R) &&
			!ebpf_exec_access_ok(&X, a, 17, EBPF_R) &&
			!ebpf_exec_access_ok(&X, a + 1, UINT64_MAX, EBPF_R) &&
			!ebpf_exec_access_ok(&X, a, 4, EBPF_W) &&
			ebpf_exec_access_ok(&X, (uint64_t)(uintptr_t)X.stack, 64, EBPF_RW),
		"access_ok: bounds, perms, stack");
	T_CHECK(ebpf_exec_abort(&X, "x %d", 1) == 0 && X.abort &&
			X.err.status == GRAFT_EHELPER && !strcmp(X.err.msg, "x 1"),
		"ebpf_exec_abort records the message");
	/* The JIT placeholder (or the JIT) and the loaded instructions. */
	struct graft_err err = { 0 };
	struct ebpf_insn prog[] = { MOV(0, 3), EXIT };
	struct ebpf_prog *p = load(prog, 2, EBPF_F_JIT, &err);
	T_CHECK(p || err.status == GRAFT_ENOTSUP, "EBPF_F_JIT: %s", err.msg);
	if (p) {
		T_CHECK(run(p, NULL, 0, 0, 0) == GRAFT_OK && X.r0 == 3, "JIT run");
		ebpf_prog_free(p);
	}
	p = load(prog, 2, EBPF_F_UNCHECKED, NULL);
	size_t n = 0;
	const struct ebpf_insn *in = ebpf_prog_insns(p, &n);
	T_CHECK(n == 2 && !memcmp(in, prog, sizeof prog) &&
			ebpf_prog_flags(p) == EBPF_F_UNCHECKED,
		"ebpf_prog_insns/flags");
	ebpf_prog_free(p);
	struct ebpf_helper dup[] = { { 1, "a", h_sum }, { 1, "b", h_sum } };
	struct ebpf_load_opts o = { .helpers = dup, .nhelpers = 2,
				    .alloc = { t_alloc, t_free, NULL } };
	T_CHECK(ebpf_prog_load(&p, prog, 2, &o, &err) == GRAFT_EINVAL && !p &&
			strstr(err.msg, "registered twice"),
		"duplicate helper IDs refused: %s", err.msg);
	printf("api: regions, access_ok, abort, JIT flag, insns/flags, duplicate helpers\n");
}

int main(void)
{
	test_alu();
	test_end();
	test_jumps();
	test_memory();
	test_atomics();
	test_calls();
	test_ldabs();
	test_faults();
	test_budget();
	test_tail_calls();
	test_api();
	return t_done();
}
