/*
 * The JIT's per-instruction translators: each BPF operation becomes a few
 * encoder calls (x86_emit.h), with the x86 mnemonics in comments.
 *
 * Semantics follow graft/ebpf.h exactly: 32-bit results are zero-extended
 * (x86 does this for every 32-bit write, so no extra instruction), shift
 * counts are masked like x86 masks them, division by zero gives 0 and
 * modulo by zero keeps dst, INT_MIN / -1 is handled before idiv can trap.
 * Every translation stays below JIT_MAX_INSN bytes.
 */
#include "jit_x86_64.h"
#include "prog.h"

#define D(in) (jit_reg[(in)->dst])
#define S(in) (jit_reg[(in)->src])

/* mov r32, imm32 (always 5-6 bytes, never xor: keeps flags) */
static void mov_r32_imm(struct xbuf *b, unsigned r, uint32_t v)
{
	emit_prefix_op(b, 0, 0xb8 + (r & 7), 0, 0, r);
	x_d(b, v);
}

/* mov dst32, dst32: zero-extend in place */
static void zext32(struct xbuf *b, unsigned r)
{
	emit_mov_rr(b, false, r, r);
}

static void call_rel(struct xbuf *b, size_t to)
{
	x_b(b, 0xe8); /* call rel32 */
	x_d(b, 0);
	patch32(b, b->n - 4, to);
}

/*
 * The memory operand of an access to [bpf_base + off]. Checked code that is
 * not statically inside the current frame first tries the region that
 * allowed the last access of this direction (cache_lo/lim), inline; a miss
 * jumps to a cold path that calls the check stub for `perm` with the
 * address in r11 and comes back, so the hot path falls through. Atomics
 * (perm RW, no cache) call the stub inline and use [r11].
 */
static void mem_operand(struct jit *j, unsigned bpf_base, int16_t off,
			unsigned size, unsigned perm, unsigned *base,
			int32_t *disp)
{
	struct xbuf *b = &j->b;
	unsigned r = jit_reg[bpf_base];
	*base = r;
	*disp = off;
	if (!j->checked || (bpf_base == 10 && off >= -EBPF_STACK_SIZE &&
			    off + (int)size <= 0))
		return;
	if (perm != EBPF_RW) {
		int k = perm == EBPF_W;
		emit_rm(b, X_W, 0x8d, R10, r, off);             /* lea r10, [r+off] */
		emit_rm(b, X_W, 0x2b, R10, R12, CTX(cache_lo[k]));  /* sub r10, [lo] */
		emit_rm(b, X_W, 0x3b, R10, R12, CTX(cache_lim[k])); /* cmp r10, [lim] */
		size_t at = emit_jcc32(b, CC_A);                /* ja .check */
		jit_add_cold(j, (struct jit_cold){
			.at = (uint32_t)at, .pc = (uint32_t)j->pc, .kind = JC_MEM,
			.base = (uint8_t)r, .size = (uint8_t)size,
			.perm = (uint8_t)perm, .off = off, .back = (uint32_t)b->n,
		});
		return;
	}
	emit_rm(b, X_W, 0x8d, R11, r, off);             /* lea r11, [r+off] */
	mov_r32_imm(b, R10, (uint32_t)(j->pc << 5 | size)); /* mov r10d, info */
	call_rel(b, j->l_check[perm]);                  /* call check */
	*base = R11;
	*disp = 0;
}

static void op_alu(struct jit *j, const struct ebpf_insn *in, bool w,
		   unsigned aop, bool reg)
{
	if (reg)
		emit_alu_rr(&j->b, w, aop, D(in), S(in)); /* op dst, src */
	else
		emit_alu_ri(&j->b, w, aop, D(in), in->imm); /* op dst, imm */
}

/* shl/shr/sar: ext 4/5/7 */
static void op_shift(struct jit *j, const struct ebpf_insn *in, bool w,
		     unsigned ext, bool reg)
{
	struct xbuf *b = &j->b;
	unsigned d = D(in);
	if (!reg) {
		unsigned c = (unsigned)in->imm & (w ? 63 : 31);
		if (c)
			emit_shift_ri(b, w, ext, d, c); /* shl dst, imm */
		else if (!w)
			zext32(b, d);
		return;
	}
	unsigned s = S(in);
	if (s == RCX) {
		emit_shift_cl(b, w, ext, d);             /* shl dst, cl */
	} else if (d == RCX) {
		emit_mov_rr(b, true, R11, RCX);          /* mov r11, rcx */
		emit_mov_rr(b, true, RCX, s);            /* mov rcx, src */
		emit_shift_cl(b, w, ext, R11);           /* shl r11, cl */
		emit_mov_rr(b, true, RCX, R11);          /* mov rcx, r11 */
	} else {
		emit_mov_rr(b, true, R11, RCX);          /* mov r11, rcx */
		emit_mov_rr(b, true, RCX, s);            /* mov rcx, src */
		emit_shift_cl(b, w, ext, d);             /* shl dst, cl */
		emit_mov_rr(b, true, RCX, R11);          /* mov rcx, r11 */
	}
}

/* div/mod by a constant: zero, -1 and powers of two need no div. */
static bool divmod_const(struct jit *j, unsigned d, bool w, bool mod,
			 bool sign, int32_t imm)
{
	struct xbuf *b = &j->b;
	uint64_t u = w ? (uint64_t)(int64_t)imm : (uint32_t)imm;
	if (u == 0) {
		if (!mod)
			emit_rr(b, 0, 0x31, d, d);       /* xor dst32, dst32 */
		else if (!w)
			zext32(b, d);
		return true;
	}
	if (sign && imm == -1) {
		if (mod)
			emit_rr(b, 0, 0x31, d, d);       /* xor dst32, dst32 */
		else
			emit_rr(b, w ? X_W : 0, 0xf7, 3, d); /* neg dst */
		return true;
	}
	if (!sign && (u & (u - 1)) == 0 && u - 1 <= INT32_MAX) {
		unsigned k = (unsigned)__builtin_ctzll(u);
		if (mod)
			emit_alu_ri(b, w, XA_AND, d, (int32_t)(u - 1)); /* and dst, u-1 */
		else if (k)
			emit_shift_ri(b, w, 5, d, k);    /* shr dst, k */
		else if (!w)
			zext32(b, d);
		return true;
	}
	return false;
}

/*
 * div/idiv want the dividend in rdx:rax, which hold r3 and r0: the divisor
 * goes to r11, rax is parked in r10 and rdx in r9 (free in unchecked code)
 * or on the machine stack (r9 is the budget in checked code), unless rdx
 * is the 64-bit divisor itself: then its copy in r11 restores it.
 *
 * A register divisor of 0 (and -1, signed) leaves the straight line for a
 * cold stub that makes the interpreter's result in rax or rdx and jumps
 * back to the join, so the common case takes no branch.
 *
 * Unless EBPF_F_JIT_DIV64 (j->narrow_div), unsigned 64-bit division takes
 * the 32-bit `div r11d` (edx:eax / r11d) when the divisor fits in 32 bits
 * and the dividend's high half is below it: the quotient then fits in 32
 * bits, so nothing can trap, and both results are the 64-bit ones
 * zero-extended. It is the faster divide on Intel and on AMD Zen 4 alike
 * (leibniz: 0.87-0.91x native here, 1.00x with the 64-bit one); the full
 * one is the out-of-line `.wide` path.
 */
static void op_divmod(struct jit *j, const struct ebpf_insn *in, bool w,
		      bool reg)
{
	struct xbuf *b = &j->b;
	unsigned d = D(in);
	bool mod = (in->code & 0xf0) == 0x90, sign = in->off == 1;
	unsigned fw = w ? X_W : 0;
	if (!reg && divmod_const(j, d, w, mod, sign, in->imm))
		return;
	/* 32-bit path: the divisor may be wide (reg) or is a small constant */
	bool narrow = j->narrow_div && w && !sign && (reg || in->imm > 0);
	if (reg)
		emit_mov_rr(b, w, R11, S(in));           /* mov r11, src */
	else if (w)
		emit_mov_imm64(b, R11, (uint64_t)(int64_t)in->imm);
	else
		mov_r32_imm(b, R11, (uint32_t)in->imm);
	/* rsp: the machine stack; r11: rdx is the 64-bit divisor, whose copy
	 * in r11 survives the division */
	unsigned park = reg && w && S(in) == RDX ? R11 : j->checked ? RSP : R9;
	if (d != RDX && park != R11) {
		if (park == RSP)
			emit_push(b, RDX);               /* push rdx */
		else
			emit_mov_rr(b, true, R9, RDX);   /* mov r9, rdx */
	}
	if (d != RAX) {
		emit_mov_rr(b, true, R10, RAX);          /* mov r10, rax */
		emit_mov_rr(b, true, RAX, d);            /* mov rax, dst */
	}
	size_t j_zero = 0, j_neg = 0;
	if (reg) {
		emit_rr(b, fw, 0x85, R11, R11);          /* test r11, r11 */
		j_zero = emit_jcc32(b, CC_E);            /* jz .zero (cold) */
		if (sign) {
			emit_alu_ri(b, w, XA_CMP, R11, -1); /* cmp r11, -1 */
			j_neg = emit_jcc32(b, CC_E);     /* je .neg1 (cold) */
		}
	}
	size_t j_wide1 = 0, j_wide2 = 0;
	if (narrow) {
		if (reg) {
			emit_mov_rr(b, true, RDX, R11);  /* mov rdx, r11 */
			emit_shift_ri(b, true, 5, RDX, 32); /* shr rdx, 32 */
			j_wide1 = emit_jcc8(b, CC_NE);   /* jnz .wide */
		}
		emit_mov_rr(b, true, RDX, RAX);          /* mov rdx, rax */
		emit_shift_ri(b, true, 5, RDX, 32);      /* shr rdx, 32 */
		emit_alu_rr(b, false, XA_CMP, RDX, R11); /* cmp edx, r11d */
		j_wide2 = emit_jcc8(b, CC_AE);           /* jae .wide */
		emit_rr(b, 0, 0xf7, 6, R11);             /* div r11d */
	} else {
		if (!sign)
			emit_rr(b, 0, 0x31, RDX, RDX);   /* xor edx, edx */
		else if (w)
			x_b(b, 0x48), x_b(b, 0x99);      /* cqo */
		else
			x_b(b, 0x99);                    /* cdq */
		emit_rr(b, fw, 0xf7, sign ? 7 : 6, R11); /* div/idiv r11 */
	}
	size_t join = b->n;                              /* .join: */
	uint8_t how = (uint8_t)((mod ? JD_MOD : 0) | (w ? JD_W : 0));
	if (reg)
		jit_add_cold(j, (struct jit_cold){ .at = (uint32_t)j_zero,
			.kind = JC_DIV0, .size = how, .back = (uint32_t)join });
	if (reg && sign)
		jit_add_cold(j, (struct jit_cold){ .at = (uint32_t)j_neg,
			.kind = JC_DIVNEG1, .size = how, .back = (uint32_t)join });
	unsigned res = mod ? RDX : RAX;
	if (d != res)
		emit_mov_rr(b, true, d, res);            /* mov dst, rax|rdx */
	if (d != RAX)
		emit_mov_rr(b, true, RAX, R10);          /* mov rax, r10 */
	if (d != RDX) {
		if (park == RSP)
			emit_pop(b, RDX);                /* pop rdx */
		else
			emit_mov_rr(b, true, RDX, park); /* mov rdx, r9|r11 */
	}
	if (!narrow)
		return;
	size_t j_done = emit_jmp8(b);
	if (j_wide1)
		patch8(b, j_wide1);
	patch8(b, j_wide2);                              /* .wide: */
	emit_rr(b, 0, 0x31, RDX, RDX);                   /* xor edx, edx */
	emit_rr(b, X_W, 0xf7, 6, R11);                   /* div r11 */
	emit_jmp_back(b, join);                          /* jmp .join */
	patch8(b, j_done);
}

/*
 * The cold end of a division by a register: 0 gives 0 (mod: the dividend,
 * in rax), signed -1 gives -dividend (mod: 0), as the interpreter does;
 * then back to the join, which moves the result to dst and unparks.
 */
void jit_emit_div_cold(struct jit *j, const struct jit_cold *c)
{
	struct xbuf *b = &j->b;
	bool mod = c->size & JD_MOD, w = c->size & JD_W;
	if (c->kind == JC_DIV0) {
		if (mod)
			emit_mov_rr(b, w, RDX, RAX);     /* mov rdx, rax */
		else
			emit_rr(b, 0, 0x31, RAX, RAX);   /* xor eax, eax */
	} else if (mod) {
		emit_rr(b, 0, 0x31, RDX, RDX);           /* xor edx, edx */
	} else {
		emit_rr(b, w ? X_W : 0, 0xf7, 3, RAX);   /* neg rax */
	}
	patch32(b, emit_jmp32(b), c->back);              /* jmp .join */
}

static void op_mul(struct jit *j, const struct ebpf_insn *in, bool w, bool reg)
{
	struct xbuf *b = &j->b;
	unsigned fw = w ? X_W : 0;
	if (reg) {
		emit_rr(b, fw, 0x0faf, D(in), S(in));    /* imul dst, src */
	} else if (x_is_s8(in->imm)) {
		emit_rr(b, fw, 0x6b, D(in), D(in));      /* imul dst, dst, imm8 */
		x_b(b, (uint8_t)in->imm);
	} else {
		emit_rr(b, fw, 0x69, D(in), D(in));      /* imul dst, dst, imm32 */
		x_d(b, (uint32_t)in->imm);
	}
}

static void op_mov(struct jit *j, enum ebpf_op op, const struct ebpf_insn *in)
{
	struct xbuf *b = &j->b;
	unsigned d = D(in), s = S(in);
	switch (op) {
	case EBPF_OP_MOV64_IMM:
		emit_mov_imm64(b, d, (uint64_t)(int64_t)in->imm); /* mov dst, imm */
		break;
	case EBPF_OP_MOV32_IMM:
		emit_mov_imm64(b, d, (uint32_t)in->imm);  /* mov dst32, imm */
		break;
	case EBPF_OP_MOV64_REG:
		if (d != s)
			emit_mov_rr(b, true, d, s);       /* mov dst, src */
		break;
	case EBPF_OP_MOV32_REG:
		emit_mov_rr(b, false, d, s);              /* mov dst32, src32 */
		break;
	case EBPF_OP_MOVSX832:
		emit_rr(b, X_BYTE, 0x0fbe, d, s);         /* movsx dst32, src8 */
		break;
	case EBPF_OP_MOVSX1632:
		emit_rr(b, 0, 0x0fbf, d, s);              /* movsx dst32, src16 */
		break;
	case EBPF_OP_MOVSX864:
		emit_rr(b, X_W | X_BYTE, 0x0fbe, d, s);   /* movsx dst, src8 */
		break;
	case EBPF_OP_MOVSX1664:
		emit_rr(b, X_W, 0x0fbf, d, s);            /* movsx dst, src16 */
		break;
	default: /* MOVSX3264 */
		emit_rr(b, X_W, 0x63, d, s);              /* movsxd dst, src32 */
		break;
	}
}

static void op_end(struct jit *j, const struct ebpf_insn *in, bool swap)
{
	struct xbuf *b = &j->b;
	unsigned d = D(in);
	switch (in->imm) {
	case 16:
		if (swap) {
			emit_rr(b, X_66, 0xc1, 1, d);     /* ror dst16, 8 */
			x_b(b, 8);
		}
		emit_rr(b, 0, 0x0fb7, d, d);              /* movzx dst32, dst16 */
		break;
	case 32:
		if (swap)
			emit_prefix_op(b, 0, 0x0fc8 + (d & 7), 0, 0, d); /* bswap dst32 */
		else
			zext32(b, d);
		break;
	default:
		if (swap)
			emit_prefix_op(b, X_W, 0x0fc8 + (d & 7), 0, 0, d); /* bswap dst */
		break;
	}
}

static void op_ldx(struct jit *j, enum ebpf_op op, const struct ebpf_insn *in)
{
	static const struct { uint16_t opc; uint8_t fl, size; } t[] = {
		[0] = { 0x0fb6, 0, 1 },   /* movzx dst32, byte */
		[1] = { 0x0fb7, 0, 2 },   /* movzx dst32, word */
		[2] = { 0x8b, 0, 4 },     /* mov dst32, dword */
		[3] = { 0x8b, X_W, 8 },   /* mov dst, qword */
		[4] = { 0x0fbe, X_W, 1 }, /* movsx dst, byte */
		[5] = { 0x0fbf, X_W, 2 }, /* movsx dst, word */
		[6] = { 0x63, X_W, 4 },   /* movsxd dst, dword */
	};
	unsigned k = op == EBPF_OP_LDXB ? 0 : op == EBPF_OP_LDXH ? 1
		   : op == EBPF_OP_LDXW ? 2 : op == EBPF_OP_LDXDW ? 3
		   : op == EBPF_OP_LDXSB ? 4 : op == EBPF_OP_LDXSH ? 5 : 6;
	unsigned base;
	int32_t disp;
	mem_operand(j, in->src, in->off, t[k].size, EBPF_R, &base, &disp);
	emit_rm(&j->b, t[k].fl, t[k].opc, D(in), base, disp);
}

static unsigned size_of(uint8_t code)
{
	switch (code & 0x18) {
	case EBPF_SZ_B: return 1;
	case EBPF_SZ_H: return 2;
	case EBPF_SZ_W: return 4;
	default: return 8;
	}
}

static void op_st(struct jit *j, const struct ebpf_insn *in, bool reg)
{
	struct xbuf *b = &j->b;
	unsigned size = size_of(in->code), base;
	int32_t disp;
	mem_operand(j, in->dst, in->off, size, EBPF_W, &base, &disp);
	unsigned fl = size == 2 ? X_66 : size == 8 ? X_W : 0;
	if (reg) {
		if (size == 1)
			emit_rm(b, X_BYTE, 0x88, S(in), base, disp); /* mov byte [m], src8 */
		else
			emit_rm(b, fl, 0x89, S(in), base, disp);     /* mov [m], src */
		return;
	}
	if (size == 1) {
		emit_rm(b, 0, 0xc6, 0, base, disp);       /* mov byte [m], imm8 */
		x_b(b, (uint8_t)in->imm);
	} else {
		emit_rm(b, fl, 0xc7, 0, base, disp);      /* mov [m], imm */
		if (size == 2)
			x_b(b, (uint8_t)in->imm), x_b(b, (uint8_t)(in->imm >> 8));
		else
			x_d(b, (uint32_t)in->imm);
	}
}

static void op_atomic(struct jit *j, const struct ebpf_insn *in)
{
	struct xbuf *b = &j->b;
	bool w = (in->code & 0x18) == EBPF_SZ_DW;
	unsigned fw = w ? X_W : 0, s = S(in), base;
	int32_t disp;
	int aop = in->imm & ~EBPF_ATOMIC_FETCH;
	mem_operand(j, in->dst, in->off, w ? 8 : 4, EBPF_RW, &base, &disp);
	if (in->imm == EBPF_ATOMIC_XCHG) {
		emit_rm(b, fw, 0x87, s, base, disp);      /* xchg [m], src */
		return;
	}
	if (in->imm == EBPF_ATOMIC_CMPXCHG) {
		emit_rm(b, fw | X_LOCK, 0x0fb1, s, base, disp); /* lock cmpxchg [m], src */
		if (!w)
			zext32(b, RAX);                   /* eax is not written on success */
		return;
	}
	unsigned x86op = aop == EBPF_ATOMIC_ADD ? XA_ADD
		       : aop == EBPF_ATOMIC_OR ? XA_OR
		       : aop == EBPF_ATOMIC_AND ? XA_AND : XA_XOR;
	if (!(in->imm & EBPF_ATOMIC_FETCH)) {
		emit_rm(b, fw | X_LOCK, x86op * 8 + 1, s, base, disp); /* lock op [m], src */
		return;
	}
	if (aop == EBPF_ATOMIC_ADD) {
		emit_rm(b, fw | X_LOCK, 0x0fc1, s, base, disp); /* lock xadd [m], src */
		return;
	}
	/* fetch or/and/xor: a cmpxchg loop with the old value in rax */
	if (base != R11)
		emit_rm(b, X_W, 0x8d, R11, base, disp);   /* lea r11, [m] */
	emit_mov_rr(b, true, R10, s);                     /* mov r10, src */
	if (s != RAX)
		emit_push(b, RAX);                        /* push rax */
	emit_push(b, R9);                                 /* push r9 */
	emit_rm(b, fw, 0x8b, RAX, R11, 0);                /* mov rax, [r11] */
	size_t again = b->n;
	emit_mov_rr(b, true, R9, RAX);                    /* mov r9, rax */
	emit_alu_rr(b, w, x86op, R9, R10);                /* op r9, r10 */
	emit_rm(b, fw | X_LOCK, 0x0fb1, R9, R11, 0);      /* lock cmpxchg [r11], r9 */
	emit_jcc_back(b, CC_NE, again);                   /* jne again */
	emit_pop(b, R9);                                  /* pop r9 */
	emit_mov_rr(b, w, s, RAX);                        /* mov src, rax */
	if (s != RAX)
		emit_pop(b, RAX);                         /* pop rax */
}

static const uint8_t jcc_of[16] = {
	[0x1] = CC_E, [0x2] = CC_A, [0x3] = CC_AE, [0x4] = CC_NE,
	[0x5] = CC_NE, [0x6] = CC_G, [0x7] = CC_GE, [0xa] = CC_B,
	[0xb] = CC_BE, [0xc] = CC_L, [0xd] = CC_LE,
};

/* cmp/test dst, src|imm; jcc target — fused by the CPU */
static void op_jcond(struct jit *j, const struct ebpf_insn *in, size_t pc)
{
	struct xbuf *b = &j->b;
	bool w = EBPF_CLASS(in->code) == EBPF_CLS_JMP;
	bool reg = in->code & EBPF_SRC_X;
	unsigned jop = in->code >> 4, d = D(in), fw = w ? X_W : 0;
	unsigned cc = jcc_of[jop];
	if (jop == 0x4) {                                 /* jset */
		if (reg) {
			emit_rr(b, fw, 0x85, S(in), d);   /* test dst, src */
		} else {
			emit_rr(b, fw, 0xf7, 0, d);       /* test dst, imm */
			x_d(b, (uint32_t)in->imm);
		}
	} else if (reg) {
		emit_alu_rr(b, w, XA_CMP, d, S(in));      /* cmp dst, src */
	} else if (in->imm == 0 && (cc == CC_E || cc == CC_NE)) {
		emit_rr(b, fw, 0x85, d, d);               /* test dst, dst */
	} else {
		emit_alu_ri(b, w, XA_CMP, d, in->imm);    /* cmp dst, imm */
	}
	jit_jump_to(j, (int)cc, pc + 1 + (int64_t)in->off);
}

/*
 * A helper: r1..r5 are already in rdi..r8; r9 = exec. r1..r5 are kept for
 * the program (the interpreter keeps them), r9 (the budget) is saved with
 * them, which also keeps the stack aligned. Afterwards the program stops
 * when the helper aborted or asked for a tail call.
 */
static void emit_helper_call(struct jit *j, size_t pc, bool callx)
{
	struct xbuf *b = &j->b;
	static const uint8_t saved[] = { RDI, RSI, RDX, RCX, R8, R9 };
	for (unsigned i = 0; i < sizeof saved; i++)
		emit_push(b, saved[i]);                   /* push ... */
	emit_rm(b, X_W, 0x8b, R9, R12, CTX(x));           /* mov r9, [r12+x] */
	if (callx) {
		emit_call_reg(b, R10);                    /* call r10 */
	} else {
		ebpf_helper_fn fn = ebpf_prog_helper(j->p, (uint32_t)j->insns[pc].imm);
		emit_mov_imm64(b, R11, (uint64_t)(uintptr_t)fn); /* mov r11, fn */
		emit_call_reg(b, R11);                    /* call r11 */
	}
	for (unsigned i = sizeof saved; i-- > 0;)
		emit_pop(b, saved[i]);                    /* pop ... */
	emit_rm(b, X_W, 0x8b, R10, R12, CTX(x));          /* mov r10, [r12+x] */
	emit_rm(b, 0, 0x80, 7, R10, (int32_t)offsetof(struct ebpf_exec, abort));
	x_b(b, 0);                                        /* cmp byte [abort], 0 */
	jit_cold_jcc(j, CC_NE, pc, JS_STOP);
	emit_alu_mi(b, X_W, XA_CMP, R10,
		    (int32_t)offsetof(struct ebpf_exec, tail_call), 0);
	jit_cold_jcc(j, CC_NE, pc, JS_STOP);              /* cmp qword [tail_call], 0 */
}

/* Local call: a fresh frame below r10; r6..r9 and r10 saved around it. */
static void op_call_local(struct jit *j, const struct ebpf_insn *in, size_t pc)
{
	struct xbuf *b = &j->b;
	emit_rm(b, X_W, 0x3b, RBP, R12, CTX(depth_limit)); /* cmp rbp, [limit] */
	jit_cold_jcc(j, CC_BE, pc, JS_DEPTH);
	static const uint8_t saved[] = { RBX, R13, R14, R15, RBP };
	for (unsigned i = 0; i < sizeof saved; i++)
		emit_push(b, saved[i]);                   /* push ... */
	emit_alu_ri(b, true, XA_SUB, RBP, EBPF_STACK_SIZE); /* sub rbp, 512 */
	size_t t = pc + 1 + (int64_t)in->imm;
	if (t <= pc) {
		call_rel(b, j->entry[t]);                 /* call target */
	} else {
		x_b(b, 0xe8);
		x_d(b, 0);
		j->fix[j->nfix++] = (struct jit_fix){ (uint32_t)(b->n - 4),
						      (uint32_t)t };
	}
	for (unsigned i = sizeof saved; i-- > 0;)
		emit_pop(b, saved[i]);                    /* pop ... */
}

/* ld_abs/ld_ind: the C side reads the packet; out of range ends the run. */
static void op_ld_pkt(struct jit *j, const struct ebpf_insn *in, bool ind)
{
	struct xbuf *b = &j->b;
	static const uint8_t saved[] = { RDI, RSI, RDX, RCX, R8, R9 };
	if (ind)
		emit_mov_rr(b, true, R11, S(in));         /* mov r11, src */
	else
		emit_rr(b, 0, 0x31, R11, R11);            /* xor r11d, r11d */
	for (unsigned i = 0; i < sizeof saved; i++)
		emit_push(b, saved[i]);
	emit_rm(b, X_W, 0x8b, RDI, R12, CTX(x));          /* mov rdi, [r12+x] */
	emit_mov_rr(b, true, RSI, R11);                   /* mov rsi, r11 */
	emit_mov_imm64(b, RDX, (uint64_t)(int64_t)in->imm); /* mov rdx, imm */
	emit_mov_imm64(b, RCX, size_of(in->code));        /* mov ecx, size */
	emit_mov_imm64(b, R11, (uint64_t)(uintptr_t)jit_ld_pkt);
	emit_call_reg(b, R11);                            /* call jit_ld_pkt */
	emit_mov_rr(b, true, R11, RDX);                   /* mov r11, rdx: ok */
	for (unsigned i = sizeof saved; i-- > 0;)
		emit_pop(b, saved[i]);
	emit_rr(b, X_W, 0x85, R11, R11);                  /* test r11, r11 */
	jit_cold_jcc(j, CC_E, j->pc, JS_PKT);
}

/* Can the instruction at pc be folded into the one before it? */
static bool foldable(const struct jit *j, size_t pc)
{
	return pc < j->n && !(j->mark[pc] & (JM_TARGET | JM_RUNHEAD));
}

static bool is_op(const struct jit *j, size_t pc, enum ebpf_op op,
		  unsigned dst)
{
	return foldable(j, pc) && j->op[pc] == op && j->insns[pc].dst == dst;
}

/* lea dst, [base + index] */
static void emit_lea_bi(struct xbuf *b, unsigned dst, unsigned base,
			unsigned index)
{
	if ((base & 7) == RBP) { /* rbp/r13 as base need a disp8 */
		unsigned t = base;
		base = index;
		index = t;
	}
	emit_prefix_op(b, X_W, 0x8d, dst, index, base);
	bool disp8 = (base & 7) == RBP;
	emit_modrm(b, disp8 ? 1 : 0, dst, 4);
	x_b(b, (uint8_t)(((index & 7) << 3) | (base & 7))); /* SIB, scale 1 */
	if (disp8)
		x_b(b, 0);
}

/*
 * add/sub/or/and/xor dst, x; jeq/jne dst, 0: the ALU op already set ZF
 * from its result, so the jump needs no test. A 32-bit op's ZF also holds
 * for the zero-extended 64-bit value; a 64-bit op's does not say anything
 * about the low half alone (jmp32).
 */
static unsigned alu_then_jz(struct jit *j, size_t pc)
{
	const struct ebpf_insn *in = &j->insns[pc], *nx = in + 1;
	uint8_t cls = EBPF_CLASS(in->code);
	unsigned xa;
	if ((cls != EBPF_CLS_ALU && cls != EBPF_CLS_ALU64) || !foldable(j, pc + 1))
		return 0;
	switch (in->code & 0xf0) {
	case 0x00: xa = XA_ADD; break;
	case 0x10: xa = XA_SUB; break;
	case 0x40: xa = XA_OR; break;
	case 0x50: xa = XA_AND; break;
	case 0xa0: xa = XA_XOR; break;
	default: return 0;
	}
	uint8_t ncls = EBPF_CLASS(nx->code), jop = nx->code >> 4;
	if ((ncls != EBPF_CLS_JMP && ncls != EBPF_CLS_JMP32) ||
	    (ncls == EBPF_CLS_JMP32 && cls == EBPF_CLS_ALU64) ||
	    (jop != 0x1 && jop != 0x5) || (nx->code & EBPF_SRC_X) || nx->imm ||
	    nx->dst != in->dst)
		return 0;
	op_alu(j, in, cls == EBPF_CLS_ALU64, xa, in->code & EBPF_SRC_X);
	jit_jump_to(j, (int)jcc_of[jop], pc + 2 + (int64_t)nx->off); /* jz/jnz */
	return 2;
}

/*
 * Patterns clang emits all the time, each folded into one x86 instruction
 * when the later instructions are not jump targets (so no pc can enter
 * between them; budget charges are per run and stay the same):
 *   lsh dst, 32; rsh dst, 32            -> mov dst32, dst32
 *   mov dst, src; lsh dst, 32; rsh dst, 32 -> mov dst32, src32
 *   mov dst, src; add dst, imm|reg      -> lea dst, [src + imm|reg]
 * Returns the slots used, 0 when nothing matches.
 */
static unsigned peephole(struct jit *j, size_t pc)
{
	const struct ebpf_insn *in = &j->insns[pc];
	struct xbuf *b = &j->b;
	enum ebpf_op op = (enum ebpf_op)j->op[pc];
	unsigned d = in->dst;
	unsigned folded = alu_then_jz(j, pc);
	if (folded)
		return folded;
	if (op == EBPF_OP_LSH64_IMM && in->imm == 32 &&
	    is_op(j, pc + 1, EBPF_OP_RSH64_IMM, d) && j->insns[pc + 1].imm == 32) {
		zext32(b, D(in));                         /* mov dst32, dst32 */
		return 2;
	}
	if (op != EBPF_OP_MOV64_REG || in->off || d == in->src)
		return 0;
	if (is_op(j, pc + 1, EBPF_OP_LSH64_IMM, d) && j->insns[pc + 1].imm == 32 &&
	    is_op(j, pc + 2, EBPF_OP_RSH64_IMM, d) && j->insns[pc + 2].imm == 32) {
		emit_mov_rr(b, false, D(in), S(in));      /* mov dst32, src32 */
		return 3;
	}
	if (is_op(j, pc + 1, EBPF_OP_ADD64_IMM, d)) {
		emit_rm(b, X_W, 0x8d, D(in), S(in), j->insns[pc + 1].imm); /* lea dst, [src+imm] */
		return 2;
	}
	if (is_op(j, pc + 1, EBPF_OP_ADD64_REG, d)) {
		unsigned s2 = j->insns[pc + 1].src;
		emit_lea_bi(b, D(in), S(in), jit_reg[s2 == d ? in->src : s2]); /* lea dst, [src+src2] */
		return 2;
	}
	return 0;
}

unsigned jit_emit_insn(struct jit *j, size_t pc)
{
	unsigned folded = peephole(j, pc);
	if (folded)
		return folded;
	const struct ebpf_insn *in = &j->insns[pc];
	enum ebpf_op op = (enum ebpf_op)j->op[pc];
	uint8_t cls = EBPF_CLASS(in->code);
	bool w = cls == EBPF_CLS_ALU64, reg = in->code & EBPF_SRC_X;
	struct xbuf *b = &j->b;
	switch (ebpf_opinfo[op].fmt) {
	case EBPF_FMT_LDDW:
		emit_mov_imm64(b, D(in), j->p->imm64[pc]);        /* mov dst, imm64 */
		return 2;
	case EBPF_FMT_LDX:
		op_ldx(j, op, in);
		return 1;
	case EBPF_FMT_ST:
		op_st(j, in, false);
		return 1;
	case EBPF_FMT_STX:
		op_st(j, in, true);
		return 1;
	case EBPF_FMT_ATOMIC:
		op_atomic(j, in);
		return 1;
	case EBPF_FMT_LD_ABS:
		op_ld_pkt(j, in, false);
		return 1;
	case EBPF_FMT_LD_IND:
		op_ld_pkt(j, in, true);
		return 1;
	case EBPF_FMT_JA:
		jit_jump_to(j, -1, pc + 1 + (int64_t)in->off);    /* jmp */
		return 1;
	case EBPF_FMT_JA32:
		jit_jump_to(j, -1, pc + 1 + (int64_t)in->imm);    /* jmp */
		return 1;
	case EBPF_FMT_JCOND_IMM:
	case EBPF_FMT_JCOND_REG:
		op_jcond(j, in, pc);
		return 1;
	case EBPF_FMT_CALL:
		emit_helper_call(j, pc, false);
		return 1;
	case EBPF_FMT_CALLX:
		emit_mov_rr(b, true, R11, D(in));                 /* mov r11, dst */
		call_rel(b, j->l_callx);                          /* call lookup */
		emit_rr(b, X_W, 0x85, R10, R10);                  /* test r10, r10 */
		jit_cold_jcc(j, CC_E, pc, JS_CALLX);
		emit_helper_call(j, pc, true);
		return 1;
	case EBPF_FMT_CALL_LOCAL:
		op_call_local(j, in, pc);
		return 1;
	case EBPF_FMT_EXIT:
		jit_emit_exit(j);                                 /* [pop ...] ret */
		return 1;
	case EBPF_FMT_NEG:
		emit_rr(b, w ? X_W : 0, 0xf7, 3, D(in));          /* neg dst */
		return 1;
	case EBPF_FMT_END:
		op_end(j, in, in->code != 0xd4); /* le: truncate only */
		return 1;
	default:
		break;
	}
	/* ALU_REG / ALU_IMM */
	switch (in->code & 0xf0) {
	case 0x00: op_alu(j, in, w, XA_ADD, reg); break;
	case 0x10: op_alu(j, in, w, XA_SUB, reg); break;
	case 0x20: op_mul(j, in, w, reg); break;
	case 0x30: case 0x90: op_divmod(j, in, w, reg); break;
	case 0x40: op_alu(j, in, w, XA_OR, reg); break;
	case 0x50: op_alu(j, in, w, XA_AND, reg); break;
	case 0x60: op_shift(j, in, w, 4, reg); break;
	case 0x70: op_shift(j, in, w, 5, reg); break;
	case 0xa0: op_alu(j, in, w, XA_XOR, reg); break;
	case 0xc0: op_shift(j, in, w, 7, reg); break;
	default: op_mov(j, op, in); break; /* 0xb0 */
	}
	return 1;
}
