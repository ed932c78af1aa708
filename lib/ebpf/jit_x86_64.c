/*
 * The x86-64 JIT: driver, shared stubs, entry and exit (the per-instruction
 * translators are in jit_ops.c).
 *
 * Contract: ebpf_jit_compile turns a loaded program into machine code that
 * behaves exactly like the interpreter (prog.h's engine contract): same r0,
 * memory effects, error status, message, err_pc and `executed`. Checked
 * programs get inline budget charges per run (in r9), memory checks (a
 * static one for r10-relative accesses inside the current frame, else a
 * call to a shared stub that tests the live stack and every region) and the
 * call-depth bound; unchecked programs keep only the depth bound, which
 * also protects x->stack.
 *
 * Layout of the installed code: a header (the code-memory interface, so
 * the memory can be released without a field in the program), the shared stubs
 * (error exits, memory checks, callx lookup), the entry, the body with one
 * entry offset per pc, then the cold paths that record a pc and exit.
 *
 * W^X: code (header included) is emitted into scratch memory from the
 * caller's allocator, then handed to the caller's codemem `install`, which
 * puts it in read+execute memory that is never writable and executable at
 * once (see graft/ebpf.h). The code size is bounded before anything is written
 * (JIT_MAX_INSN per instruction, plus the stubs).
 * Every BPF exit is `ret`: the entry calls pc 0 like a local call, so exit
 * returns from whichever frame is running, as in the interpreter.
 * Programs that cannot fail or stop early (unchecked, no calls of any kind,
 * no packet loads) also get a direct entry that ebpf_prog_run calls with
 * the ebpf_exec alone and that falls into pc 0 (see emit_direct_entry).
 */
#include <string.h>

#include "jit.h"
#include "jit_x86_64.h"

struct jit_hdr {
	struct ebpf_codemem cm;
	size_t map_size;
	size_t entry;     /* offset of the entry from the code start */
	size_t direct;    /* ... of the direct entry, 0 when none */
	size_t code_size; /* bytes of code after the header */
};

#define JIT_HDR 64 /* keeps the code 64-byte aligned */
#define JIT_STUBS_MAX 1024
#define JIT_CALLX_PER 24
#define JIT_MAX_PC (1u << 27)

_Static_assert(sizeof(struct jit_hdr) <= JIT_HDR, "header fits");

void jit_jump_to(struct jit *j, int cc, size_t pc)
{
	struct xbuf *b = &j->b;
	if (pc <= j->pc) {
		if (cc < 0)
			emit_jmp_back(b, j->entry[pc]);
		else
			emit_jcc_back(b, (unsigned)cc, j->entry[pc]);
		return;
	}
	size_t at = cc < 0 ? emit_jmp32(b) : emit_jcc32(b, (unsigned)cc);
	j->fix[j->nfix++] = (struct jit_fix){ (uint32_t)at, (uint32_t)pc };
}

void jit_add_cold(struct jit *j, struct jit_cold c)
{
	if (j->ncold < j->cold_cap)
		j->cold[j->ncold++] = c;
	else
		j->overflow = true;
}

void jit_cold_jcc(struct jit *j, unsigned cc, size_t pc, unsigned kind)
{
	size_t at = emit_jcc32(&j->b, cc);
	jit_add_cold(j, (struct jit_cold){ .at = (uint32_t)at, .pc = (uint32_t)pc,
					   .kind = (uint8_t)kind });
}

/*
 * The callee-saved registers the generic entry pushes: rbp (r10, always
 * set: checks and local calls use it) and r12 (the context), plus those
 * of r6..r9 the program names, padded to an even count so the body's
 * machine stack stays 16-byte aligned for helper calls.
 */
static void plan_saves(struct jit *j)
{
	static const uint8_t bpf[] = { 6, 7, 8, 9 };
	bool keep[4];
	unsigned n = 2;
	for (unsigned i = 0; i < 4; i++)
		n += keep[i] = j->used & 1u << bpf[i];
	for (unsigned i = 0; i < 4 && (n & 1); i++)
		if (!keep[i])
			keep[i] = true, n++;
	j->nsave = 0;
	if (keep[0])
		j->save[j->nsave++] = RBX;
	j->save[j->nsave++] = RBP;
	j->save[j->nsave++] = R12;
	for (unsigned i = 1; i < 4; i++)
		if (keep[i])
			j->save[j->nsave++] = jit_reg[bpf[i]];
}

/* pop the callee-saved registers pushed by the entry; ret */
static void emit_epilogue(struct jit *j)
{
	for (unsigned i = j->nsave; i-- > 0;)
		emit_pop(&j->b, j->save[i]);
	emit_ret(&j->b);
}

/*
 * Error exits: "mov dword [r12+status], kind" then a common tail that
 * stores r10d (info) and r11 (address, ID or frame), the budget, and
 * unwinds the machine stack to the entry's frame.
 */
static void emit_exit_stubs(struct jit *j)
{
	struct xbuf *b = &j->b;
	size_t to_common[JS_COUNT];
	for (unsigned k = 1; k < JS_COUNT; k++) {
		j->l_exit[k] = b->n;
		if (k == JS_PKT)
			emit_rr(b, 0, 0x31, RAX, RAX); /* xor eax, eax: r0 = 0 */
		emit_rm(b, 0, 0xc7, 0, R12, CTX(status)); /* mov dword [r12+status], k */
		x_d(b, k);
		to_common[k] = emit_jmp8(b);
	}
	for (unsigned k = 1; k < JS_COUNT; k++)
		patch8(b, to_common[k]);
	emit_rm(b, 0, 0x89, R10, R12, CTX(info));        /* mov [r12+info], r10d */
	emit_rm(b, X_W, 0x89, R11, R12, CTX(fault_addr)); /* mov [r12+fault], r11 */
	if (j->checked)
		emit_rm(b, X_W, 0x89, R9, R12, CTX(budget)); /* mov [r12+budget], r9 */
	emit_rm(b, X_W, 0x8b, RSP, R12, CTX(saved_rsp)); /* mov rsp, [r12+saved] */
	emit_epilogue(j);
}

/*
 * Memory check: r11 = address, r10d = pc << 5 | size. Returns when
 * [r11, r11+size) is inside the live stack [rbp-512, top) or inside a
 * region with `perm`; otherwise exits with JS_FAULT. The same arithmetic as
 * ebpf_mem_ok, with no overflow: d = a - lo, d <= len && size <= len - d.
 */
static void emit_check_stub(struct jit *j, unsigned perm)
{
	struct xbuf *b = &j->b;
	j->l_check[perm] = b->n;
	emit_push(b, RAX);
	emit_push(b, RCX);
	emit_push(b, RDX);
	emit_push(b, RSI);
	emit_rr(b, 0, 0x8b, RCX, R10);                 /* mov ecx, r10d */
	emit_alu_ri(b, false, XA_AND, RCX, 15);        /* and ecx, 15: size */
	/* stack: lo = rbp - 512, len = top - lo */
	emit_rm(b, X_W, 0x8d, RDX, RBP, -EBPF_STACK_SIZE); /* lea rdx, [rbp-512] */
	emit_mov_rr(b, true, RAX, R11);                /* mov rax, r11 */
	emit_alu_rr(b, true, XA_SUB, RAX, RDX);        /* sub rax, rdx: d */
	size_t j_regions = emit_jcc8(b, CC_B);         /* jb .regions */
	emit_rm(b, X_W, 0x8b, RSI, R12, CTX(stack_top)); /* mov rsi, [r12+top] */
	emit_alu_rr(b, true, XA_SUB, RSI, RDX);        /* sub rsi, rdx: len */
	emit_alu_rr(b, true, XA_SUB, RSI, RCX);        /* sub rsi, rcx (len >= 512) */
	emit_alu_rr(b, true, XA_CMP, RAX, RSI);        /* cmp rax, rsi */
	size_t j_ok1 = emit_jcc8(b, CC_BE);            /* jbe .ok */
	patch8(b, j_regions);
	/* regions: rdx walks x->region[], eax counts down */
	emit_rm(b, X_W, 0x8b, RDX, R12, CTX(x));       /* mov rdx, [r12+x] */
	emit_rm(b, 0, 0x8b, RAX, RDX, (int32_t)offsetof(struct ebpf_exec, nregion));
	emit_alu_ri(b, false, XA_CMP, RAX, EBPF_MAX_REGIONS);
	size_t j_cap = emit_jcc8(b, CC_BE);            /* jbe: count ok */
	emit_mov_imm64(b, RAX, EBPF_MAX_REGIONS);
	patch8(b, j_cap);
	emit_rm(b, X_W, 0x8d, RDX, RDX, (int32_t)offsetof(struct ebpf_exec, region));
	size_t loop = b->n;
	emit_rr(b, 0, 0x85, RAX, RAX);                 /* test eax, eax */
	size_t j_fail = emit_jcc8(b, CC_E);            /* jz .fail */
	emit_rm(b, 0, 0x8b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, perm));
	emit_rr(b, 0, 0xf7, 2, RSI);                   /* not esi */
	emit_rr(b, 0, 0xf7, 0, RSI);                   /* test esi, perm */
	x_d(b, perm);
	size_t j_next1 = emit_jcc8(b, CC_NE);          /* missing a permission */
	emit_mov_rr(b, true, RSI, R11);                /* mov rsi, r11 */
	emit_rm(b, X_W, 0x2b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, addr)); /* sub rsi, [addr] */
	size_t j_next2 = emit_jcc8(b, CC_B);           /* below the region */
	emit_rm(b, X_W, 0x3b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, len)); /* cmp rsi, [len] */
	size_t j_next3 = emit_jcc8(b, CC_A);           /* d > len */
	emit_alu_rr(b, true, XA_ADD, RSI, RCX);        /* d + size (no wrap: d <= len) */
	size_t j_next4 = emit_jcc8(b, CC_B);           /* carry: too far */
	emit_rm(b, X_W, 0x3b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, len));
	size_t j_ok2 = emit_jcc8(b, CC_BE);            /* d + size <= len */
	patch8(b, j_next1);
	patch8(b, j_next2);
	patch8(b, j_next3);
	patch8(b, j_next4);
	emit_alu_ri(b, true, XA_ADD, RDX, (int32_t)sizeof(struct ebpf_region));
	emit_alu_ri(b, false, XA_SUB, RAX, 1);         /* sub eax, 1 */
	emit_jmp_back(b, loop);
	patch8(b, j_ok2);
	if (perm != EBPF_RW) { /* remember the region when len >= 8 */
		int k = perm == EBPF_W;
		emit_rm(b, X_W, 0x8b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, len));
		emit_alu_ri(b, true, XA_SUB, RSI, 8);          /* sub rsi, 8 */
		size_t j_short = emit_jcc8(b, CC_B);
		emit_rm(b, X_W, 0x89, RSI, R12, CTX(cache_lim[k])); /* mov [lim], rsi */
		emit_rm(b, X_W, 0x8b, RSI, RDX, (int32_t)offsetof(struct ebpf_region, addr));
		emit_rm(b, X_W, 0x89, RSI, R12, CTX(cache_lo[k]));  /* mov [lo], rsi */
		patch8(b, j_short);
	}
	patch8(b, j_ok1);
	emit_pop(b, RSI);
	emit_pop(b, RDX);
	emit_pop(b, RCX);
	emit_pop(b, RAX);
	emit_ret(b);
	patch8(b, j_fail);
	if (perm & EBPF_W)
		emit_alu_ri(b, false, XA_OR, R10, 16); /* mark a store */
	size_t at = emit_jmp32(b);
	patch32(b, at, j->l_exit[JS_FAULT]);
}

/*
 * callx lookup: r11 = the register's value; r10 = the helper's function,
 * or 0 when no helper has that ID (r11 is kept for the message).
 */
static void emit_callx_stub(struct jit *j)
{
	struct xbuf *b = &j->b;
	j->l_callx = b->n;
	const struct ebpf_prog *p = j->p;
	for (size_t i = 0; i < p->nhelpers; i++) {
		emit_mov_imm64(b, R10, p->helpers[i].id);   /* mov r10d, id */
		emit_alu_rr(b, true, XA_CMP, R11, R10);     /* cmp r11, r10 */
		size_t skip = emit_jcc8(b, CC_NE);
		emit_mov_imm64(b, R10, (uint64_t)(uintptr_t)p->helpers[i].fn);
		emit_ret(b);
		patch8(b, skip);
	}
	emit_rr(b, 0, 0x31, R10, R10); /* xor r10d, r10d */
	emit_ret(b);
}

/* Save callee-saved registers, load r1..r5 and r10, call pc 0. */
static void emit_entry(struct jit *j)
{
	struct xbuf *b = &j->b;
	for (unsigned i = 0; i < j->nsave; i++)
		emit_push(b, j->save[i]);                   /* push ... */
	emit_mov_rr(b, true, R12, RDI);                     /* mov r12, rdi */
	emit_rm(b, X_W, 0x89, RSP, R12, CTX(saved_rsp));    /* mov [r12+saved], rsp */
	emit_rm(b, X_W, 0x8b, R10, R12, CTX(x));            /* mov r10, [r12+x] */
	for (unsigned r = 1; r <= 5; r++)                   /* mov rN, [r10+arg] */
		emit_rm(b, X_W, 0x8b, jit_reg[r], R10,
			(int32_t)(offsetof(struct ebpf_exec, arg) + 8 * (r - 1)));
	emit_rm(b, X_W, 0x8b, RBP, R12, CTX(stack_top));    /* mov rbp, [r12+top] */
	static const uint8_t zero[] = { 0, 6, 7, 8, 9 };
	for (unsigned i = 0; i < sizeof zero; i++)          /* xor r, r */
		if (j->used & 1u << zero[i])
			emit_rr(b, 0, 0x31, jit_reg[zero[i]], jit_reg[zero[i]]);
	if (j->checked)
		emit_rm(b, X_W, 0x8b, R9, R12, CTX(budget)); /* mov r9, [r12+budget] */
	if (j->direct)
		emit_mov_rr(b, true, RDI, R10);     /* mov rdi, r10: x */
	x_b(b, 0xe8);                       /* call pc 0, or the direct entry */
	x_d(b, 0);
	if (j->direct)
		j->call_direct = b->n - 4;
	else
		j->fix[j->nfix++] = (struct jit_fix){ (uint32_t)(b->n - 4), 0 };
	if (j->checked)
		emit_rm(b, X_W, 0x89, R9, R12, CTX(budget));
	emit_epilogue(j);
}

/*
 * The direct entry, for programs that cannot fail or stop early (j->direct):
 * `uint64_t entry(struct ebpf_exec *x)`, called by ebpf_prog_run with no
 * context, so no r12, no saved machine stack and no status. It saves only
 * the callee-saved registers the program names, loads only the arguments
 * it names, zeroes the rest of what it names (the interpreter starts from
 * zeroed registers) and falls into pc 0, which the body emits next; every
 * exit is then the matching epilogue (jit_emit_exit). Such programs have
 * no local calls, so no frame but this one returns.
 */
static const uint8_t direct_keep[] = { 6, 7, 8, 9, 10 }; /* rbx r13 r14 r15 rbp */

static void emit_direct_entry(struct jit *j)
{
	struct xbuf *b = &j->b;
	for (unsigned i = 0; i < sizeof direct_keep; i++)
		if (j->used & 1u << direct_keep[i])
			emit_push(b, jit_reg[direct_keep[i]]); /* push ... */
	for (unsigned r = 2; r <= 5; r++)
		if (j->used & 1u << r)                      /* mov rN, [rdi+arg] */
			emit_rm(b, X_W, 0x8b, jit_reg[r], RDI,
				(int32_t)(offsetof(struct ebpf_exec, arg) + 8 * (r - 1)));
	if (j->used & 1u << 10)                             /* lea rbp, [rdi+top] */
		emit_rm(b, X_W, 0x8d, RBP, RDI,
			(int32_t)(offsetof(struct ebpf_exec, stack) +
				  sizeof ((struct ebpf_exec *)0)->stack));
	if (j->used & 1u << 1)                              /* mov rdi, [rdi+arg] */
		emit_rm(b, X_W, 0x8b, RDI, RDI,
			(int32_t)offsetof(struct ebpf_exec, arg));
	emit_rr(b, 0, 0x31, RAX, RAX);                      /* xor eax, eax */
	for (unsigned i = 0; i < 4; i++)                    /* xor r, r */
		if (j->used & 1u << direct_keep[i])
			emit_rr(b, 0, 0x31, jit_reg[direct_keep[i]],
				jit_reg[direct_keep[i]]);
}

void jit_emit_exit(struct jit *j)
{
	struct xbuf *b = &j->b;
	if (j->direct)
		for (unsigned i = sizeof direct_keep; i-- > 0;)
			if (j->used & 1u << direct_keep[i])
				emit_pop(b, jit_reg[direct_keep[i]]); /* pop ... */
	emit_ret(b);                                        /* ret */
}

/* Mark jump targets, run heads and second lddw slots; check targets. */
static enum graft_status scan(struct jit *j, struct graft_err *err)
{
	const struct ebpf_insn *in = j->insns;
	memset(j->mark, 0, j->n);
	j->mark[0] = JM_RUNHEAD;
	for (size_t pc = 0; pc < j->n; pc++) {
		enum ebpf_op op = (enum ebpf_op)j->p->op[pc];
		if (op == EBPF_OP_COUNT)
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: JIT: unknown opcode 0x%02x",
					  pc, in[pc].code);
		j->op[pc] = (uint8_t)op;
		if (in[pc].dst >= EBPF_NREGS || in[pc].src >= EBPF_NREGS)
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: JIT: bad register", pc);
		j->used |= 1u << in[pc].dst | 1u << in[pc].src;
		int64_t t = -1;
		switch (ebpf_opinfo[op].fmt) {
		case EBPF_FMT_CALL:
		case EBPF_FMT_CALLX:
			j->direct = false;
			break;
		case EBPF_FMT_LD_ABS:
		case EBPF_FMT_LD_IND:
			j->direct = false;
			break;
		case EBPF_FMT_JA:
		case EBPF_FMT_JCOND_IMM:
		case EBPF_FMT_JCOND_REG:
			t = (int64_t)pc + 1 + in[pc].off;
			break;
		case EBPF_FMT_CALL_LOCAL:
			j->direct = false;
			/* fall through */
		case EBPF_FMT_JA32:
			t = (int64_t)pc + 1 + in[pc].imm;
			break;
		case EBPF_FMT_LDDW:
			if (pc + 1 >= j->n)
				return graft_errf(err, GRAFT_EINVAL,
						  "pc %zu: JIT: incomplete lddw", pc);
			j->mark[++pc] |= JM_LDDW2;
			j->op[pc] = EBPF_OP_COUNT;
			continue;
		default:
			break;
		}
		bool ends = t >= 0 || op == EBPF_OP_EXIT || op == EBPF_OP_JA ||
			    op == EBPF_OP_JA32;
		if (ebpf_opinfo[op].fmt == EBPF_FMT_JA ||
		    ebpf_opinfo[op].fmt == EBPF_FMT_JA32 ||
		    ebpf_opinfo[op].fmt == EBPF_FMT_JCOND_IMM ||
		    ebpf_opinfo[op].fmt == EBPF_FMT_JCOND_REG ||
		    op == EBPF_OP_CALL_LOCAL) {
			if (t < 0 || (size_t)t >= j->n)
				return graft_errf(err, GRAFT_EINVAL,
						  "pc %zu: JIT: target %lld outside the program",
						  pc, (long long)t);
			j->mark[t] |= JM_TARGET | ((size_t)t <= pc ? JM_LOOP : 0);
			if ((size_t)t <= pc && pc - (size_t)t <= JIT_SHORT_LOOP)
				j->mark[t] |= JM_SHORT;
		}
		if (ends && pc + 1 < j->n)
			j->mark[pc + 1] |= JM_RUNHEAD;
	}
	/* Cold paths, at most: a charge per run head or target (checked),
	 * a memory check per access (checked), two per helper call (abort,
	 * tail call), one more for callx, one per local call and packet load,
	 * one or two per division by a register (by 0; by -1 when signed). */
	size_t cold = 0;
	for (size_t pc = 0; pc < j->n; pc++) {
		uint8_t m = j->mark[pc];
		if ((m & JM_LDDW2) && (m & JM_TARGET))
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: JIT: jump into an lddw", pc);
		if (m & JM_LDDW2)
			continue;
		if (j->checked && (m & (JM_RUNHEAD | JM_TARGET)))
			cold++;
		const struct ebpf_insn *d = &j->insns[pc];
		uint8_t cls = EBPF_CLASS(d->code), aop = d->code & 0xf0;
		if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) &&
		    (d->code & EBPF_SRC_X) && (aop == 0x30 || aop == 0x90))
			cold += 1 + (d->off == 1); /* by 0, by -1 */
		switch (ebpf_opinfo[j->op[pc]].fmt) {
		case EBPF_FMT_CALLX: cold += 3; break;
		case EBPF_FMT_CALL: cold += 2; break;
		case EBPF_FMT_CALL_LOCAL:
		case EBPF_FMT_LD_ABS:
		case EBPF_FMT_LD_IND: cold++; break;
		case EBPF_FMT_LDX:
		case EBPF_FMT_ST:
		case EBPF_FMT_STX: cold += j->checked; break;
		default: break;
		}
	}
	j->cold_cap = cold;
	return GRAFT_OK;
}

/*
 * Loop heads start on 16 bytes (the fetch unit), short loops on 64 (a
 * cache line, so that no instruction of the loop straddles a line, which
 * costs tight loops up to 2x): long nops.
 */
static void emit_align(struct xbuf *b, unsigned m)
{
	static const uint8_t nops[][9] = {
		{ 0 }, { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 },
		{ 0x0f, 0x1f, 0x40, 0x00 }, { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};
	/* code starts at JIT_HDR (a multiple of 64) in a page-aligned map */
	size_t a = m & JM_SHORT ? 64 : 16;
	size_t pad = (a - (b->n & (a - 1))) & (a - 1);
	while (pad) {
		size_t k = pad > 8 ? 8 : pad;
		memcpy(b->p + b->n, nops[k], k);
		b->n += k;
		pad -= k;
	}
}

/* sub r9, run; jb budget-exit */
static void emit_charge(struct jit *j, size_t pc)
{
	emit_alu_ri(&j->b, true, XA_SUB, R9, (int32_t)j->p->run_len[pc]);
	jit_cold_jcc(j, CC_B, pc, JS_BUDGET);
}

/*
 * Make room for `need` more bytes of code: the scratch buffer starts near
 * the usual size and doubles (code is position-independent until it is
 * installed). False, with j->overflow, past the bound or without memory.
 */
static bool jit_room(struct jit *j, size_t need)
{
	if (j->b.n + need <= j->cap)
		return true;
	size_t cap = j->cap * 2 > j->b.n + need ? j->cap * 2 : j->b.n + need;
	uint8_t *nb = j->overflow || cap > j->bound
			      ? NULL
			      : j->p->alloc.alloc(j->p->alloc.ud, JIT_HDR + cap);
	if (!nb) {
		j->overflow = true;
		return false;
	}
	memcpy(nb, j->b.p - JIT_HDR, JIT_HDR + j->b.n);
	j->p->alloc.free(j->p->alloc.ud, j->b.p - JIT_HDR);
	j->b.p = nb + JIT_HDR;
	j->cap = cap;
	return true;
}

static void emit_body(struct jit *j)
{
	struct xbuf *b = &j->b;
	for (size_t pc = 0; pc < j->n;) {
		if (!jit_room(j, JIT_MAX_INSN))
			return;
		j->pc = pc;
		uint8_t m = j->mark[pc];
		if (j->checked && (m & JM_RUNHEAD)) {
			if (m & JM_LOOP)
				emit_align(b, m);
			j->entry[pc] = (uint32_t)b->n;
			emit_charge(j, pc);
		} else if (j->checked && (m & JM_TARGET)) {
			/* reached by falling through (no charge) or by a jump */
			size_t over = emit_jmp8(b);
			if (m & JM_LOOP)
				emit_align(b, m);
			j->entry[pc] = (uint32_t)b->n;
			emit_charge(j, pc);
			patch8(b, over);
		} else {
			if (m & JM_LOOP)
				emit_align(b, m);
			j->entry[pc] = (uint32_t)b->n;
		}
		unsigned used = jit_emit_insn(j, pc);
		for (unsigned k = 1; k < used; k++)
			j->entry[pc + k] = j->entry[pc];
		pc += used;
	}
	/* Cold paths: "mov r10d, pc << 5; [mov r11, rbp;] jmp exit". */
	if (!jit_room(j, j->ncold * JIT_COLD_SIZE))
		return;
	for (size_t i = 0; i < j->ncold; i++) {
		const struct jit_cold *c = &j->cold[i];
		patch32(b, c->at, b->n);
		if (c->kind == JC_DIV0 || c->kind == JC_DIVNEG1) {
			jit_emit_div_cold(j, c);
			continue;
		}
		if (c->kind == JC_MEM) {
			emit_rm(b, X_W, 0x8d, R11, c->base, c->off); /* lea r11, [m] */
			emit_mov_imm64(b, R10, c->pc << 5 | c->size); /* mov r10d, info */
			size_t call = b->n + 1;
			x_b(b, 0xe8);                                /* call check */
			x_d(b, 0);
			patch32(b, call, j->l_check[c->perm]);
			size_t back = emit_jmp32(b);                 /* jmp back */
			patch32(b, back, c->back);
			continue;
		}
		emit_mov_imm64(b, R10, c->pc << 5);
		if (c->kind == JS_STOP)
			emit_mov_rr(b, true, R11, RBP); /* which frame */
		size_t at = emit_jmp32(b);
		patch32(b, at, j->l_exit[c->kind]);
	}
	for (size_t i = 0; i < j->nfix; i++)
		patch32(b, j->fix[i].at, j->entry[j->fix[i].pc]);
}

/* Legacy packet loads: big-endian from x->pkt; out of range ok = 0. */
struct jit_pkt_result jit_ld_pkt(struct ebpf_exec *x, uint64_t base,
				 int64_t imm, uint64_t size)
{
	struct jit_pkt_result r = { 0, 0 };
	uint64_t off = base + (uint64_t)imm;
	if (!x->pkt || off > x->pkt_len || size > x->pkt_len - off)
		return r;
	for (uint64_t i = 0; i < size; i++)
		r.value = r.value << 8 | x->pkt[off + i];
	r.ok = 1;
	return r;
}

static uint64_t jit_call(const struct ebpf_prog *p, struct jit_ctx *c)
{
	const struct jit_hdr *h = p->jit_code;
	uint64_t (*fn)(struct jit_ctx *);
	void *code = (uint8_t *)p->jit_code + JIT_HDR + h->entry;
	memcpy(&fn, &code, sizeof fn);
	return fn(c);
}

/* Enter the code, then turn how it stopped into the interpreter's result. */
static enum graft_status jit_run(const struct ebpf_prog *p, struct ebpf_exec *x)
{
	bool checked = !(p->flags & EBPF_F_UNCHECKED);
	uint64_t limit = ebpf_budget_limit(x);
	/* Only what the code reads before it writes: the exits set info,
	 * fault_addr and budget, the entry sets saved_rsp. */
	struct jit_ctx c;
	c.x = x;
	c.budget = x->executed < limit ? limit - x->executed : 0;
	c.depth_limit = (uint64_t)(uintptr_t)(x->stack + EBPF_STACK_SIZE);
	c.stack_top = (uint64_t)(uintptr_t)(x->stack + sizeof x->stack);
	c.status = JS_OK;
	/* empty caches: the top 8 stack bytes, live in every frame */
	c.cache_lo[0] = c.cache_lo[1] = c.stack_top - 8;
	c.cache_lim[0] = c.cache_lim[1] = 0;
	uint64_t r0 = jit_call(p, &c);
	if (c.status == JS_OK) {
		if (checked)
			x->executed = limit - c.budget;
		x->r0 = r0;
		return GRAFT_OK;
	}
	uint32_t pc = c.info >> 5;
	if (checked) {
		uint64_t left = c.budget;
		if (c.status == JS_BUDGET)
			left += p->run_len[pc]; /* the failed run was not charged */
		else if (c.status == JS_PKT ||
			 (c.status == JS_STOP && !x->abort &&
			  c.fault_addr == c.stack_top))
			left += p->run_len[pc + 1]; /* ended early, no error */
		x->executed = limit - left;
	}
	switch (c.status) {
	case JS_PKT:
		x->r0 = 0;
		return GRAFT_OK;
	case JS_FAULT:
		return ebpf_fail_access(x, pc, c.fault_addr, c.info & 15,
					(c.info >> 4) & 1);
	case JS_BUDGET:
		return ebpf_fail_budget(x, pc);
	case JS_DEPTH:
		return ebpf_fail_depth(x, pc);
	case JS_CALLX:
		return ebpf_fail_callx(x, pc, c.fault_addr);
	default: /* JS_STOP: a helper aborted or asked for a tail call */
		if (x->abort)
			return ebpf_fail_helper(x, pc);
		if (c.fault_addr != c.stack_top)
			return ebpf_fail_tail(x, pc);
		x->r0 = r0;
		return GRAFT_OK;
	}
}

enum graft_status ebpf_jit_compile(struct ebpf_prog *p,
				   const struct ebpf_load_opts *o,
				   struct graft_err *err)
{
	const struct ebpf_codemem *cm = o->codemem ? o->codemem
						   : &ebpf_codemem_memfd;
	if (p->n == 0 || p->n >= JIT_MAX_PC)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "JIT: %zu instructions is outside 1..%u", p->n,
				  JIT_MAX_PC - 1);
	size_t n = p->n;
	/* Scratch: per-pc tables now, the cold list once scan() has sized it
	 * (a bound per instruction would be 4n entries, mostly unused: big
	 * scratch blocks cost page faults in many allocators). */
	size_t meta = (n + 1) * sizeof(uint32_t) + (n + 1) * sizeof(struct jit_fix) +
		      2 * n;
	uint8_t *s = p->alloc.alloc(p->alloc.ud, meta);
	if (!s)
		return graft_errf(err, GRAFT_ENOMEM, "JIT: out of memory");
	struct jit j = { .p = p, .insns = p->insns, .n = n,
			 .checked = !(p->flags & EBPF_F_UNCHECKED) };
	j.direct = !j.checked;
	j.narrow_div = !(p->flags & EBPF_F_JIT_DIV64);
	j.entry = (uint32_t *)s;
	j.fix = (struct jit_fix *)(s + (n + 1) * sizeof(uint32_t));
	j.mark = (uint8_t *)(j.fix + n + 1);
	j.op = j.mark + n;
	enum graft_status st = scan(&j, err);
	if (st) {
		p->alloc.free(p->alloc.ud, s);
		return st;
	}
	j.cold = p->alloc.alloc(p->alloc.ud, (j.cold_cap ? j.cold_cap : 1) *
						     sizeof *j.cold);
	if (!j.cold) {
		p->alloc.free(p->alloc.ud, s);
		return graft_errf(err, GRAFT_ENOMEM, "JIT: out of memory");
	}
	/* Code goes to scratch memory after a header: first sized for the
	 * usual 10-30 bytes per instruction, grown up to the worst case. */
	size_t stubs = JIT_STUBS_MAX + p->nhelpers * JIT_CALLX_PER;
	j.bound = stubs + n * (JIT_MAX_INSN + JIT_MAX_COLD * JIT_COLD_SIZE);
	j.cap = stubs + n * 32 + JIT_MAX_INSN;
	uint8_t *buf = p->alloc.alloc(p->alloc.ud, JIT_HDR + j.cap);
	if (!buf) {
		p->alloc.free(p->alloc.ud, s);
		p->alloc.free(p->alloc.ud, j.cold);
		return graft_errf(err, GRAFT_ENOMEM, "JIT: out of memory");
	}
	j.b = (struct xbuf){ buf + JIT_HDR, 0 };
	plan_saves(&j);
	emit_exit_stubs(&j);
	if (j.checked) {
		emit_check_stub(&j, EBPF_R);
		emit_check_stub(&j, EBPF_W);
		emit_check_stub(&j, EBPF_RW);
	}
	emit_callx_stub(&j);
	size_t entry = j.b.n, direct = 0;
	if (jit_room(&j, JIT_MAX_INSN))
		emit_entry(&j);
	if (j.direct && jit_room(&j, JIT_MAX_INSN)) {
		direct = j.b.n;
		patch32(&j.b, j.call_direct, direct);
		emit_direct_entry(&j);
	}
	emit_body(&j);
	p->alloc.free(p->alloc.ud, s);
	p->alloc.free(p->alloc.ud, j.cold);
	buf = j.b.p - JIT_HDR;
	if (j.overflow) {
		p->alloc.free(p->alloc.ud, buf);
		return graft_errf(err, GRAFT_ENOMEM,
				  "JIT: out of memory for the code of %zu instructions",
				  n);
	}
	size_t map_size = JIT_HDR + j.b.n;
	struct jit_hdr h = { *cm, map_size, entry, direct, j.b.n };
	memcpy(buf, &h, sizeof h);
	uint8_t *base = cm->install(cm->ud, buf, map_size);
	p->alloc.free(p->alloc.ud, buf);
	if (!base)
		return graft_errf(err, GRAFT_ENOMEM,
				  "JIT: cannot install %zu bytes of code", map_size);
	p->jit_code = base;
	p->jit_size = map_size;
	p->jit_run = jit_run;
	if (direct) {
		void *code = base + JIT_HDR + direct;
		memcpy(&p->jit_direct, &code, sizeof code);
	}
	return GRAFT_OK;
}

void ebpf_jit_release(struct ebpf_prog *p)
{
	if (p->jit_code) {
		struct jit_hdr h;
		memcpy(&h, p->jit_code, sizeof h);
		h.cm.release(h.cm.ud, p->jit_code, h.map_size);
	}
	p->jit_code = NULL;
	p->jit_size = 0;
	p->jit_run = NULL;
	p->jit_direct = NULL;
}

const void *ebpf_prog_jit_code(const struct ebpf_prog *p, size_t *size)
{
	if (!p->jit_code) {
		if (size)
			*size = 0;
		return NULL;
	}
	const struct jit_hdr *h = p->jit_code;
	if (size)
		*size = h->code_size;
	return (const uint8_t *)p->jit_code + JIT_HDR;
}
