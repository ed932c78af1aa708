/*
 * lib/ebpf/interp_body.h — the interpreter's body, written once and
 * included by interp.c twice: INTERP_CHECKED 1 (memory checks, budget) and
 * 0 (verified code). INTERP_NAME names the function.
 *
 * Called with p == NULL it only hands out its handler table (label
 * addresses for computed goto), which pre-decoding stores in the slots.
 * Semantics follow the contract in graft/ebpf.h and the engine contract in
 * prog.h; the JIT must agree with every line here.
 */

#if INTERP_GOTO
#define vmcase(id) L_##id:
#define vmbreak goto *(const void *)ip->h
#define vmdispatch vmbreak; {
#define vmend }
#else
#define vmcase(id) case EBPF_OP_##id:
#define vmbreak continue
#define vmdispatch for (;;) switch (ip->h) {
#define vmend default: goto bad_slot; }
#endif

#define NEXT ip++; vmbreak
#define DST R[ip->dst]
#define SRC R[ip->src]
#define IMM ((uint64_t)ip->imm)
#define MEMADDR(base) ((base) + (uint64_t)(int64_t)ip->off)
#define PC ((uint32_t)(ip - base))

#if INTERP_CHECKED
/* Enter the run starting at ip: charge it in full or stop before it. */
#define CHARGE                                                               \
	if (UNLIKELY(__builtin_sub_overflow(remaining, ip->run, &remaining))) \
		goto budget_out
/* May the program access [a, a+sz)? Fast: live stack, then the cache. */
#define CHECK(a, sz, perm, lo, lim, store)                                   \
	if (UNLIKELY((a) - stk_lo > stk_lim) &&                              \
	    UNLIKELY((a) - mc.lo > mc.lim) &&                                \
	    !mem_slow(x, &mc, stk_lo, (a), (sz), (perm))) {                  \
		f_addr = (a);                                                \
		f_size = (sz);                                               \
		f_store = (store);                                           \
		goto fault;                                                  \
	}
#define CHECK_RD(a, sz) CHECK(a, sz, EBPF_R, r_lo, r_lim, false)
#define CHECK_WR(a, sz) CHECK(a, sz, EBPF_W, w_lo, w_lim, true)
#define CHECK_RW(a, sz)                                                      \
	if (UNLIKELY((a) - stk_lo > stk_lim) &&                              \
	    !mem_slow(x, &mc, stk_lo, (a), (sz), EBPF_RW)) {                 \
		f_addr = (a);                                                \
		f_size = (sz);                                               \
		f_store = true;                                              \
		goto fault;                                                  \
	}
/* Ending early inside a run (tail call, ld_abs miss): give back the part
 * of the run after ip, so `executed` stays exact on success. */
#define REFUND remaining += ip[1].run
#define STACK_DOWN stk_lo -= EBPF_STACK_SIZE, stk_lim += EBPF_STACK_SIZE
#define STACK_UP stk_lo += EBPF_STACK_SIZE, stk_lim -= EBPF_STACK_SIZE
#else
#define CHARGE (void)0
#define REFUND (void)0
#define CHECK_RD(a, sz) (void)0
#define CHECK_WR(a, sz) (void)0
#define CHECK_RW(a, sz) (void)0
#define STACK_DOWN (void)0
#define STACK_UP (void)0
#endif

#define JUMP                                                                 \
	{                                                                    \
		ip = (const struct ebpf_slot *)((const char *)ip + ip->j.disp); \
		CHARGE;                                                      \
		vmbreak;                                                     \
	}
#define BRANCH(cond)                                                         \
	{                                                                    \
		ip = (const struct ebpf_slot *)((const char *)ip +           \
			((cond) ? (intptr_t)ip->j.disp : (intptr_t)sizeof *ip)); \
		CHARGE;                                                      \
		vmbreak;                                                     \
	}

/* add, sub, mul, or, and, xor: the four forms of each. */
#define BINOP(N, OP)                                                         \
	vmcase(N##64_IMM) DST = DST OP IMM; NEXT;                            \
	vmcase(N##64_REG) DST = DST OP SRC; NEXT;                            \
	vmcase(N##32_IMM) DST = (uint32_t)((uint32_t)DST OP(uint32_t) IMM); NEXT; \
	vmcase(N##32_REG) DST = (uint32_t)((uint32_t)DST OP(uint32_t) SRC); NEXT;

#define SHIFTS(N, T64, T32, OP)                                              \
	vmcase(N##64_IMM) DST = (uint64_t)((T64)DST OP(IMM & 63)); NEXT;     \
	vmcase(N##64_REG) DST = (uint64_t)((T64)DST OP(SRC & 63)); NEXT;     \
	vmcase(N##32_IMM) DST = (uint32_t)((T32)DST OP(IMM & 31)); NEXT;     \
	vmcase(N##32_REG) DST = (uint32_t)((T32)DST OP(SRC & 31)); NEXT;

#define DIVS(N, B64, B32)                                                    \
	vmcase(DIV64_##N) { uint64_t b = B64; DST = b ? DST / b : 0; } NEXT; \
	vmcase(DIV32_##N) { uint32_t b = B32; DST = b ? (uint32_t)DST / b : 0; } NEXT; \
	vmcase(MOD64_##N) { uint64_t b = B64; DST = b ? DST % b : DST; } NEXT; \
	vmcase(MOD32_##N) { uint32_t b = B32; DST = b ? (uint32_t)DST % b : (uint32_t)DST; } NEXT; \
	vmcase(SDIV64_##N) {                                                 \
		int64_t a = (int64_t)DST, b = (int64_t)(B64);                 \
		DST = b == 0 ? 0 : b == -1 ? 0 - (uint64_t)a : (uint64_t)(a / b); \
	} NEXT;                                                              \
	vmcase(SDIV32_##N) {                                                 \
		int32_t a = (int32_t)DST, b = (int32_t)(B32);                 \
		DST = b == 0 ? 0 : b == -1 ? (uint32_t)(0 - (uint32_t)a) : (uint32_t)(a / b); \
	} NEXT;                                                              \
	vmcase(SMOD64_##N) {                                                 \
		int64_t a = (int64_t)DST, b = (int64_t)(B64);                 \
		DST = b == 0 ? DST : b == -1 ? 0 : (uint64_t)(a % b);         \
	} NEXT;                                                              \
	vmcase(SMOD32_##N) {                                                 \
		int32_t a = (int32_t)DST, b = (int32_t)(B32);                 \
		DST = b == 0 ? (uint32_t)DST : b == -1 ? 0 : (uint32_t)(a % b); \
	} NEXT;

/* Conditional jumps: 64-bit and JMP32, immediate and register. */
#define JCMP(N, T64, T32, OP)                                                \
	vmcase(N##_IMM) BRANCH((T64)DST OP(T64)(int64_t)ip->j.imm32);        \
	vmcase(N##_REG) BRANCH((T64)DST OP(T64)SRC);                         \
	vmcase(N##32_IMM) BRANCH((T32)DST OP(T32)ip->j.imm32);               \
	vmcase(N##32_REG) BRANCH((T32)DST OP(T32)SRC);

#define LDX(N, T, CAST)                                                      \
	vmcase(N) {                                                          \
		uint64_t a = MEMADDR(SRC);                                    \
		T v;                                                          \
		CHECK_RD(a, sizeof v);                                        \
		memcpy(&v, (const void *)(uintptr_t)a, sizeof v);             \
		DST = (uint64_t)(CAST)v;                                      \
	} NEXT;

#define STORE(N, T, VAL)                                                     \
	vmcase(N) {                                                          \
		uint64_t a = MEMADDR(DST);                                    \
		CHECK_WR(a, sizeof(T));                                       \
		T v = (T)(VAL);                                               \
		memcpy((void *)(uintptr_t)a, &v, sizeof v);                   \
	} NEXT;

#define ATOMIC(N, AMO, T, OPV)                                               \
	vmcase(N) {                                                          \
		uint64_t a = MEMADDR(DST);                                    \
		CHECK_RW(a, sizeof(T));                                       \
		T old = AMO(a, (T)SRC, (T)R[0], (OPV));                         \
		if ((OPV) == EBPF_ATOMIC_CMPXCHG)                               \
			R[0] = old;                                           \
		else if ((OPV) & EBPF_ATOMIC_FETCH)                             \
			SRC = old;                                            \
	} NEXT;
#define ATOMICS(W, AMO, T)                                                   \
	ATOMIC(AADD##W, AMO, T, EBPF_ATOMIC_ADD)                             \
	ATOMIC(AFADD##W, AMO, T, EBPF_ATOMIC_ADD | EBPF_ATOMIC_FETCH)        \
	ATOMIC(AOR##W, AMO, T, EBPF_ATOMIC_OR)                               \
	ATOMIC(AFOR##W, AMO, T, EBPF_ATOMIC_OR | EBPF_ATOMIC_FETCH)          \
	ATOMIC(AAND##W, AMO, T, EBPF_ATOMIC_AND)                             \
	ATOMIC(AFAND##W, AMO, T, EBPF_ATOMIC_AND | EBPF_ATOMIC_FETCH)        \
	ATOMIC(AXOR##W, AMO, T, EBPF_ATOMIC_XOR)                             \
	ATOMIC(AFXOR##W, AMO, T, EBPF_ATOMIC_XOR | EBPF_ATOMIC_FETCH)        \
	ATOMIC(AXCHG##W, AMO, T, EBPF_ATOMIC_XCHG)                           \
	ATOMIC(ACMPXCHG##W, AMO, T, EBPF_ATOMIC_CMPXCHG)

/* Legacy packet loads: out of range ends the program with r0 = 0. */
#define LDPKT(N, SZ, BASE)                                                   \
	vmcase(N) {                                                          \
		uint64_t o = (BASE) + IMM;                                    \
		if (!x->pkt || o > x->pkt_len || x->pkt_len - o < (SZ)) {     \
			R[0] = 0;                                             \
			REFUND;                                               \
			goto done;                                            \
		}                                                             \
		R[0] = load_be(x->pkt + o, (SZ));                             \
	} NEXT;

/* After a helper: it may have aborted or started a tail call. */
#define AFTER_HELPER                                                         \
	if (UNLIKELY(x->abort || x->tail_call))                              \
		goto helper_stop;                                            \
	NEXT

static enum graft_status INTERP_NAME(const struct ebpf_prog *p,
				     struct ebpf_exec *x,
				     const void *const **table)
{
#if INTERP_GOTO
	static const void *const labels[EBPF_NHANDLERS] = {
#define EBPF_X_LABEL(id, code, sel, selval, mnem, fmt) [EBPF_OP_##id] = &&L_##id,
		EBPF_OPCODES(EBPF_X_LABEL)
#undef EBPF_X_LABEL
		[EBPF_OP_LDDW_HI] = &&L_LDDW_HI,
		[EBPF_OP_ZEXT32] = &&L_ZEXT32,
		[EBPF_OP_SEXT32] = &&L_SEXT32,
	};
#endif
	if (!p) {
#if INTERP_GOTO
		*table = labels;
#else
		*table = NULL;
#endif
		return GRAFT_OK;
	}
	(void)table;
	const struct ebpf_slot *const base = p->interp;
	const struct ebpf_slot *ip = base;
	const uint64_t top = (uint64_t)(uintptr_t)(x->stack + sizeof x->stack);
	uint64_t R[EBPF_NREGS] = { 0 };
	struct {
		uint64_t r6, r7, r8, r9;
		const struct ebpf_slot *ret;
	} fr[EBPF_MAX_FRAMES];
	unsigned depth = 0;
	enum graft_status st = GRAFT_OK;
#if INTERP_CHECKED
	const uint64_t limit = ebpf_budget_limit(x);
	uint64_t remaining = limit > x->executed ? limit - x->executed : 0;
	uint64_t stk_lo = top - EBPF_STACK_SIZE;
	uint64_t stk_lim = EBPF_STACK_SIZE - 8;
	/* Empty cache: the top 8 stack bytes, always live. */
	struct memcache mc = { top - 8, 0, top - 8, 0 };
	uint64_t f_addr = 0;
	unsigned f_size = 0;
	bool f_store = false;
#endif
	for (int i = 0; i < 5; i++)
		R[i + 1] = x->arg[i];
	R[10] = top;
	CHARGE;

	vmdispatch

	BINOP(ADD, +)
	BINOP(SUB, -)
	BINOP(MUL, *)
	BINOP(OR, |)
	BINOP(AND, &)
	BINOP(XOR, ^)
	SHIFTS(LSH, uint64_t, uint32_t, <<)
	SHIFTS(RSH, uint64_t, uint32_t, >>)
	SHIFTS(ARSH, int64_t, int32_t, >>)
	DIVS(IMM, IMM, (uint32_t)IMM)
	DIVS(REG, SRC, (uint32_t)SRC)

	vmcase(NEG64) DST = 0 - DST; NEXT;
	vmcase(NEG32) DST = (uint32_t)(0 - (uint32_t)DST); NEXT;
	vmcase(MOV64_IMM) DST = IMM; NEXT;
	vmcase(MOV64_REG) DST = SRC; NEXT;
	vmcase(MOV32_IMM) DST = (uint32_t)IMM; NEXT;
	vmcase(MOV32_REG) DST = (uint32_t)SRC; NEXT;
	vmcase(MOVSX832) DST = (uint32_t)(int32_t)(int8_t)SRC; NEXT;
	vmcase(MOVSX1632) DST = (uint32_t)(int32_t)(int16_t)SRC; NEXT;
	vmcase(MOVSX864) DST = (uint64_t)(int64_t)(int8_t)SRC; NEXT;
	vmcase(MOVSX1664) DST = (uint64_t)(int64_t)(int16_t)SRC; NEXT;
	vmcase(MOVSX3264) DST = (uint64_t)(int64_t)(int32_t)SRC; NEXT;
	vmcase(LE16) DST = (uint16_t)DST; NEXT;
	vmcase(LE32) DST = (uint32_t)DST; NEXT;
	vmcase(LE64) NEXT;
	vmcase(BE16) DST = __builtin_bswap16((uint16_t)DST); NEXT;
	vmcase(BE32) DST = __builtin_bswap32((uint32_t)DST); NEXT;
	vmcase(BE64) DST = __builtin_bswap64(DST); NEXT;
	vmcase(BSWAP16) DST = __builtin_bswap16((uint16_t)DST); NEXT;
	vmcase(BSWAP32) DST = __builtin_bswap32((uint32_t)DST); NEXT;
	vmcase(BSWAP64) DST = __builtin_bswap64(DST); NEXT;
	vmcase(LDDW) DST = ip->u; ip += 2; vmbreak;
	vmcase(ZEXT32) DST = (uint32_t)DST; ip += 2; vmbreak;
	vmcase(SEXT32) DST = (uint64_t)(int64_t)(int32_t)DST; ip += 2; vmbreak;

	vmcase(JA) JUMP
	vmcase(JA32) JUMP
	JCMP(JEQ, uint64_t, uint32_t, ==)
	JCMP(JNE, uint64_t, uint32_t, !=)
	JCMP(JGT, uint64_t, uint32_t, >)
	JCMP(JGE, uint64_t, uint32_t, >=)
	JCMP(JLT, uint64_t, uint32_t, <)
	JCMP(JLE, uint64_t, uint32_t, <=)
	JCMP(JSGT, int64_t, int32_t, >)
	JCMP(JSGE, int64_t, int32_t, >=)
	JCMP(JSLT, int64_t, int32_t, <)
	JCMP(JSLE, int64_t, int32_t, <=)
	vmcase(JSET_IMM) BRANCH(DST & (uint64_t)(int64_t)ip->j.imm32);
	vmcase(JSET_REG) BRANCH(DST & SRC);
	vmcase(JSET32_IMM) BRANCH((uint32_t)DST & (uint32_t)ip->j.imm32);
	vmcase(JSET32_REG) BRANCH((uint32_t)DST & (uint32_t)SRC);

	LDX(LDXB, uint8_t, uint8_t)
	LDX(LDXH, uint16_t, uint16_t)
	LDX(LDXW, uint32_t, uint32_t)
	LDX(LDXDW, uint64_t, uint64_t)
	LDX(LDXSB, int8_t, int64_t)
	LDX(LDXSH, int16_t, int64_t)
	LDX(LDXSW, int32_t, int64_t)
	STORE(STB, uint8_t, IMM)
	STORE(STH, uint16_t, IMM)
	STORE(STW, uint32_t, IMM)
	STORE(STDW, uint64_t, IMM)
	STORE(STXB, uint8_t, SRC)
	STORE(STXH, uint16_t, SRC)
	STORE(STXW, uint32_t, SRC)
	STORE(STXDW, uint64_t, SRC)
	ATOMICS(32, amo32, uint32_t)
	ATOMICS(64, amo64, uint64_t)
	LDPKT(LDABSW, 4, 0)
	LDPKT(LDABSH, 2, 0)
	LDPKT(LDABSB, 1, 0)
	LDPKT(LDINDW, 4, SRC)
	LDPKT(LDINDH, 2, SRC)
	LDPKT(LDINDB, 1, SRC)

	vmcase(CALL)
		R[0] = ip->fn(R[1], R[2], R[3], R[4], R[5], x);
		AFTER_HELPER;
	vmcase(CALLX) {
		ebpf_helper_fn fn = DST > UINT32_MAX ? NULL
			: ebpf_prog_helper(p, (uint32_t)DST);
		if (!fn) {
			st = ebpf_fail_callx(x, PC, DST);
			goto out;
		}
		R[0] = fn(R[1], R[2], R[3], R[4], R[5], x);
	}
		AFTER_HELPER;
	vmcase(CALL_LOCAL)
		if (UNLIKELY(depth + 1 >= EBPF_MAX_FRAMES)) {
			st = ebpf_fail_depth(x, PC);
			goto out;
		}
		fr[depth].r6 = R[6];
		fr[depth].r7 = R[7];
		fr[depth].r8 = R[8];
		fr[depth].r9 = R[9];
		fr[depth].ret = ip + 1;
		depth++;
		R[10] -= EBPF_STACK_SIZE;
		STACK_DOWN;
		JUMP
	vmcase(EXIT)
		if (depth == 0)
			goto done;
		depth--;
		R[6] = fr[depth].r6;
		R[7] = fr[depth].r7;
		R[8] = fr[depth].r8;
		R[9] = fr[depth].r9;
		ip = fr[depth].ret;
		R[10] += EBPF_STACK_SIZE;
		STACK_UP;
		CHARGE;
		vmbreak;
	vmcase(LDDW_HI)
#if !INTERP_GOTO
	bad_slot:
#endif
		st = graft_errf(&x->err, GRAFT_EINVAL,
				"pc %u: internal error: no handler", PC);
		x->err_pc = PC;
		goto out;

	vmend

helper_stop:
	if (x->abort) {
		st = ebpf_fail_helper(x, PC);
		goto out;
	}
	if (depth > 0) {
		st = ebpf_fail_tail(x, PC);
		goto out;
	}
	/* A tail call: this program ends here; ebpf_prog_run goes on. */
	x->r0 = R[0];
	REFUND;
	goto out;
#if INTERP_CHECKED
budget_out:
	remaining += ip->run; /* undo the wrapped subtraction */
	st = ebpf_fail_budget(x, PC);
	goto out;
fault:
	st = ebpf_fail_access(x, PC, f_addr, f_size, f_store);
	goto out;
#endif
done:
	x->r0 = R[0];
out:
#if INTERP_CHECKED
	x->executed = limit - remaining;
#endif
	return st;
}

#undef vmcase
#undef vmbreak
#undef vmdispatch
#undef vmend
#undef NEXT
#undef DST
#undef SRC
#undef IMM
#undef MEMADDR
#undef PC
#undef CHARGE
#undef REFUND
#undef CHECK
#undef CHECK_RD
#undef CHECK_WR
#undef CHECK_RW
#undef STACK_DOWN
#undef STACK_UP
#undef JUMP
#undef BRANCH
#undef BINOP
#undef SHIFTS
#undef DIVS
#undef JCMP
#undef LDX
#undef STORE
#undef ATOMIC
#undef ATOMICS
#undef LDPKT
#undef AFTER_HELPER
