/*
 * x86_emit.h — x86-64 instruction encoders for the JIT (internal).
 *
 * The lowest layer of the emitter: each function writes one machine
 * instruction form into a byte buffer. They do no bounds checks; the JIT
 * reserves room (X86_MAX_INSN bytes per BPF instruction it translates)
 * before it calls them. Registers are x86 numbers (0 = rax ... 15 = r15).
 */
#ifndef GRAFT_X86_EMIT_H
#define GRAFT_X86_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Condition codes (the low nibble of jcc). */
enum {
	CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6,
	CC_A = 0x7, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

/* Flags for the generic encoders. */
enum {
	X_W = 1,    /* REX.W: 64-bit operand */
	X_66 = 2,   /* operand-size prefix: 16-bit operand */
	X_BYTE = 4, /* byte registers: force REX so 4..7 mean spl..dil */
	X_LOCK = 8, /* lock prefix */
};

/* ALU opcodes of the `op r/m, reg` form and their /digit for immediates. */
enum {
	XA_ADD = 0, XA_OR = 1, XA_AND = 4, XA_SUB = 5, XA_XOR = 6, XA_CMP = 7,
};

struct xbuf {
	uint8_t *p;
	size_t n;
};

/*
 * The encoders write through a local cursor and store b->n once per
 * instruction: byte stores may alias anything, b->n included, so writing
 * b->p[b->n++] byte by byte would reload and store b->n for every byte
 * (a store-forwarding chain that was most of the JIT's compile time).
 * c_* take a cursor and return it advanced; emit_* wrap one instruction.
 */
static inline uint8_t *c_d(uint8_t *c, uint32_t v)
{
	memcpy(c, &v, 4);
	return c + 4;
}

static inline void x_b(struct xbuf *b, uint8_t v) { b->p[b->n++] = v; }

static inline void x_d(struct xbuf *b, uint32_t v)
{
	memcpy(b->p + b->n, &v, 4);
	b->n += 4;
}

static inline void x_q(struct xbuf *b, uint64_t v)
{
	memcpy(b->p + b->n, &v, 8);
	b->n += 8;
}

static inline bool x_is_s8(int64_t v) { return v >= -128 && v <= 127; }
static inline bool x_is_s32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* [66] [F0] [REX] opcode — op is one byte, or 0x0fXX for two. */
static inline uint8_t *c_prefix_op(uint8_t *c, unsigned fl, unsigned op,
				   unsigned reg, unsigned x, unsigned rm)
{
	if (fl & X_LOCK)
		*c++ = 0xf0;
	if (fl & X_66)
		*c++ = 0x66;
	unsigned rex = ((fl & X_W) ? 8 : 0) | ((reg & 8) ? 4 : 0) |
		       ((x & 8) ? 2 : 0) | ((rm & 8) ? 1 : 0);
	if (rex || ((fl & X_BYTE) && ((reg & 7) >= 4 || (rm & 7) >= 4)))
		*c++ = (uint8_t)(0x40 | rex);
	if (op > 0xff)
		*c++ = (uint8_t)(op >> 8);
	*c++ = (uint8_t)op;
	return c;
}

static inline uint8_t x_modrm(unsigned mod, unsigned reg, unsigned rm)
{
	return (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

static inline void emit_prefix_op(struct xbuf *b, unsigned fl, unsigned op,
				  unsigned reg, unsigned x, unsigned rm)
{
	uint8_t *s = b->p, *c = c_prefix_op(s + b->n, fl, op, reg, x, rm);
	b->n = (size_t)(c - s);
}

static inline void emit_modrm(struct xbuf *b, unsigned mod, unsigned reg,
			      unsigned rm)
{
	x_b(b, x_modrm(mod, reg, rm));
}

/* op with register-direct operands: ModRM.reg = reg, ModRM.rm = rm. */
static inline uint8_t *c_rr(uint8_t *c, unsigned fl, unsigned op,
			    unsigned reg, unsigned rm)
{
	c = c_prefix_op(c, fl, op, reg, 0, rm);
	*c++ = x_modrm(3, reg, rm);
	return c;
}

static inline void emit_rr(struct xbuf *b, unsigned fl, unsigned op,
			   unsigned reg, unsigned rm)
{
	uint8_t *s = b->p, *c = c_rr(s + b->n, fl, op, reg, rm);
	b->n = (size_t)(c - s);
}

/* op with a memory operand [base + disp]. */
static inline uint8_t *c_rm(uint8_t *c, unsigned fl, unsigned op,
			    unsigned reg, unsigned base, int32_t disp)
{
	c = c_prefix_op(c, fl, op, reg, 0, base);
	unsigned mod = disp == 0 && (base & 7) != RBP ? 0 : x_is_s8(disp) ? 1 : 2;
	*c++ = x_modrm(mod, reg, (base & 7) == RSP ? 4 : base);
	if ((base & 7) == RSP)
		*c++ = 0x24; /* SIB: base only */
	if (mod == 1)
		*c++ = (uint8_t)disp;
	else if (mod == 2)
		c = c_d(c, (uint32_t)disp);
	return c;
}

static inline void emit_rm(struct xbuf *b, unsigned fl, unsigned op,
			   unsigned reg, unsigned base, int32_t disp)
{
	uint8_t *s = b->p, *c = c_rm(s + b->n, fl, op, reg, base, disp);
	b->n = (size_t)(c - s);
}

/* alu dst, src — add/or/and/sub/xor/cmp, 32 or 64 bits. */
static inline void emit_alu_rr(struct xbuf *b, bool w, unsigned aop,
			       unsigned dst, unsigned src)
{
	emit_rr(b, w ? X_W : 0, aop * 8 + 1, src, dst);
}

/* alu dst, imm — the imm8 form when it fits. */
static inline void emit_alu_ri(struct xbuf *b, bool w, unsigned aop,
			       unsigned dst, int32_t imm)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (x_is_s8(imm)) {
		c = c_rr(c, w ? X_W : 0, 0x83, aop, dst);
		*c++ = (uint8_t)imm;
	} else {
		c = c_rr(c, w ? X_W : 0, 0x81, aop, dst);
		c = c_d(c, (uint32_t)imm);
	}
	b->n = (size_t)(c - s);
}

/* alu qword/dword [base+disp], imm */
static inline void emit_alu_mi(struct xbuf *b, unsigned fl, unsigned aop,
			       unsigned base, int32_t disp, int32_t imm)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (x_is_s8(imm)) {
		c = c_rm(c, fl, 0x83, aop, base, disp);
		*c++ = (uint8_t)imm;
	} else {
		c = c_rm(c, fl, 0x81, aop, base, disp);
		c = c_d(c, (uint32_t)imm);
	}
	b->n = (size_t)(c - s);
}

/* mov dst, src */
static inline void emit_mov_rr(struct xbuf *b, bool w, unsigned dst,
			       unsigned src)
{
	emit_rr(b, w ? X_W : 0, 0x89, src, dst);
}

/* The shortest mov of a 64-bit constant: xor, mov r32, mov r64 simm32, movabs. */
static inline void emit_mov_imm64(struct xbuf *b, unsigned dst, uint64_t v)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (v == 0) {
		c = c_rr(c, 0, 0x31, dst, dst); /* xor dst32, dst32 */
	} else if (v <= UINT32_MAX) {
		c = c_prefix_op(c, 0, 0xb8 + (dst & 7), 0, 0, dst); /* mov r32, imm32 */
		c = c_d(c, (uint32_t)v);
	} else if (x_is_s32((int64_t)v)) {
		c = c_rr(c, X_W, 0xc7, 0, dst); /* mov r64, simm32 */
		c = c_d(c, (uint32_t)v);
	} else {
		c = c_prefix_op(c, X_W, 0xb8 + (dst & 7), 0, 0, dst); /* movabs */
		memcpy(c, &v, 8);
		c += 8;
	}
	b->n = (size_t)(c - s);
}

/* push/pop r64 */
static inline void emit_push(struct xbuf *b, unsigned r)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (r & 8)
		*c++ = 0x41;
	*c++ = (uint8_t)(0x50 + (r & 7));
	b->n = (size_t)(c - s);
}

static inline void emit_pop(struct xbuf *b, unsigned r)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (r & 8)
		*c++ = 0x41;
	*c++ = (uint8_t)(0x58 + (r & 7));
	b->n = (size_t)(c - s);
}

/* shl/shr/sar (ext 4/5/7) dst, imm or cl */
static inline void emit_shift_ri(struct xbuf *b, bool w, unsigned ext,
				 unsigned dst, unsigned imm)
{
	uint8_t *s = b->p, *c = s + b->n;
	if (imm == 1) {
		c = c_rr(c, w ? X_W : 0, 0xd1, ext, dst);
	} else {
		c = c_rr(c, w ? X_W : 0, 0xc1, ext, dst);
		*c++ = (uint8_t)imm;
	}
	b->n = (size_t)(c - s);
}

static inline void emit_shift_cl(struct xbuf *b, bool w, unsigned ext,
				 unsigned dst)
{
	emit_rr(b, w ? X_W : 0, 0xd3, ext, dst);
}

/* Jumps: the rel8 form when disp fits, else rel32. Returns where the
 * displacement field starts (for patching). */
static inline size_t emit_jcc32(struct xbuf *b, unsigned cc)
{
	uint8_t *c = b->p + b->n;
	c[0] = 0x0f;
	c[1] = (uint8_t)(0x80 | cc);
	memset(c + 2, 0, 4);
	b->n += 6;
	return b->n - 4;
}

static inline size_t emit_jmp32(struct xbuf *b)
{
	uint8_t *c = b->p + b->n;
	c[0] = 0xe9;
	memset(c + 1, 0, 4);
	b->n += 5;
	return b->n - 4;
}

static inline void patch32(struct xbuf *b, size_t at, size_t to);

/* A jump to an already emitted offset. */
static inline void emit_jcc_back(struct xbuf *b, unsigned cc, size_t to)
{
	int64_t d = (int64_t)to - (int64_t)(b->n + 2);
	if (x_is_s8(d)) {
		uint8_t *c = b->p + b->n;
		c[0] = (uint8_t)(0x70 | cc);
		c[1] = (uint8_t)d;
		b->n += 2;
	} else {
		size_t at = emit_jcc32(b, cc);
		patch32(b, at, to);
	}
}

static inline void emit_jmp_back(struct xbuf *b, size_t to)
{
	int64_t d = (int64_t)to - (int64_t)(b->n + 2);
	if (x_is_s8(d)) {
		uint8_t *c = b->p + b->n;
		c[0] = 0xeb;
		c[1] = (uint8_t)d;
		b->n += 2;
	} else {
		size_t at = emit_jmp32(b);
		patch32(b, at, to);
	}
}

/* Short forward jumps inside one instruction's code. */
static inline size_t emit_jcc8(struct xbuf *b, unsigned cc)
{
	uint8_t *c = b->p + b->n;
	c[0] = (uint8_t)(0x70 | cc);
	c[1] = 0;
	b->n += 2;
	return b->n - 1;
}

static inline size_t emit_jmp8(struct xbuf *b)
{
	uint8_t *c = b->p + b->n;
	c[0] = 0xeb;
	c[1] = 0;
	b->n += 2;
	return b->n - 1;
}

static inline void patch8(struct xbuf *b, size_t at)
{
	b->p[at] = (uint8_t)(b->n - (at + 1));
}

static inline void patch32(struct xbuf *b, size_t at, size_t to)
{
	uint32_t rel = (uint32_t)((int64_t)to - (int64_t)(at + 4));
	memcpy(b->p + at, &rel, 4);
}

/* call r/m64 (register), ret */
static inline void emit_call_reg(struct xbuf *b, unsigned r)
{
	emit_rr(b, 0, 0xff, 2, r);
}

static inline void emit_ret(struct xbuf *b) { x_b(b, 0xc3); }

#endif
