/*
 * Which registers' values can matter from each pc on — a backward
 * dataflow over the program, run before the exploration. A scalar whose
 * value never reaches a branch condition, an address, a store, a helper
 * argument or a subprogram's return value cannot change any check the
 * verifier makes, so pruning may ignore its value (not its type). This is
 * what lets loops that count (words, packets) converge without tracking
 * every count: the counted value is irrelevant, the loop bound is not.
 *
 * Conservative by construction: anything stored to memory, passed to a
 * helper or a callee, or compared is relevant; a register is dropped only
 * when every path from the pc redefines it before any such use.
 */
#include <string.h>

#include "vpriv.h"

#define R(n) (1u << (n))
#define ARGS (R(1) | R(2) | R(3) | R(4) | R(5))

/* Registers read and killed by the instruction at pc; *dep: when the
 * destination is relevant after, these become relevant before. */
static void uses(const struct vctx *v, size_t pc, bool in_subprog,
		 uint32_t *use, uint32_t *kill, uint32_t *dep, int *dst)
{
	const struct ebpf_insn *in = &v->insns[pc];
	enum ebpf_op op = ebpf_decode(in);
	*use = *kill = *dep = 0;
	*dst = -1;
	if (op == EBPF_OP_COUNT)
		return;
	unsigned d = in->dst, s = in->src;
	switch (ebpf_opinfo[op].fmt) {
	case EBPF_FMT_ALU_REG:
		*dst = (int)d;
		*dep = R(s) | ((in->code & 0xf0) == 0xb0 ? 0 : R(d));
		*kill = R(d);
		break;
	case EBPF_FMT_ALU_IMM:
	case EBPF_FMT_NEG:
	case EBPF_FMT_END:
		*dst = (int)d;
		*dep = (in->code & 0xf0) == 0xb0 ? 0 : R(d);
		*kill = R(d);
		break;
	case EBPF_FMT_JCOND_IMM:
		*use = R(d);
		break;
	case EBPF_FMT_JCOND_REG:
		*use = R(d) | R(s);
		break;
	case EBPF_FMT_CALL:
		*use = ARGS;
		*kill = R(0) | ARGS;
		break;
	case EBPF_FMT_CALLX:
		*use = ARGS | R(d);
		*kill = R(0) | ARGS;
		break;
	case EBPF_FMT_CALL_LOCAL:
		*use = ARGS;
		*kill = R(0) | ARGS;
		break;
	case EBPF_FMT_EXIT:
		*use = in_subprog ? R(0) : 0;
		break;
	case EBPF_FMT_LDDW:
		*kill = R(d);
		break;
	case EBPF_FMT_LD_ABS:
		*use = R(6);
		*kill = R(0) | ARGS;
		break;
	case EBPF_FMT_LD_IND:
		*use = R(6) | R(s);
		*kill = R(0) | ARGS;
		break;
	case EBPF_FMT_LDX:
		*use = R(s);
		*kill = R(d);
		break;
	case EBPF_FMT_ST:
		*use = R(d);
		break;
	case EBPF_FMT_STX:
		*use = R(d) | R(s);
		break;
	case EBPF_FMT_ATOMIC:
		*use = R(d) | R(s) | R(0);
		if (in->imm & EBPF_ATOMIC_FETCH)
			*kill = in->imm == EBPF_ATOMIC_CMPXCHG ? R(0) : R(s);
		break;
	default:
		break;
	}
}

/* Fill v->relevant[pc]: registers whose value may matter at pc. */
void relevance_compute(struct vctx *v);
void relevance_compute(struct vctx *v)
{
	size_t n = v->n;
	uint16_t *rel = v->relevant;
	uint8_t *sub = v->prune + 2 * n; /* scratch: pc inside a subprogram */
	memset(rel, 0, n * sizeof *rel);
	/* a subprogram runs from its start to the next start */
	bool in_sub = false;
	for (size_t pc = 0; pc < n; pc++) {
		if (v->subprog_start[pc])
			in_sub = true;
		sub[pc] = in_sub;
	}
	bool changed = true;
	for (int iter = 0; changed && iter < 10000; iter++) {
		changed = false;
		for (size_t k = n; k-- > 0;) {
			if (v->prune[k] & 2)
				continue; /* lddw second slot */
			const struct ebpf_insn *in = &v->insns[k];
			enum ebpf_op op = ebpf_decode(in);
			if (op == EBPF_OP_COUNT)
				continue;
			unsigned fmt = ebpf_opinfo[op].fmt;
			uint32_t out = 0;
			size_t next = k + (fmt == EBPF_FMT_LDDW ? 2 : 1);
			bool falls = fmt != EBPF_FMT_JA && fmt != EBPF_FMT_JA32 &&
				     fmt != EBPF_FMT_EXIT;
			if (falls && next < n)
				out |= rel[next];
			int64_t t = -1;
			if (fmt == EBPF_FMT_JA || fmt == EBPF_FMT_JCOND_IMM ||
			    fmt == EBPF_FMT_JCOND_REG)
				t = (int64_t)k + 1 + in->off;
			else if (fmt == EBPF_FMT_JA32)
				t = (int64_t)k + 1 + in->imm;
			if (t >= 0 && (size_t)t < n)
				out |= rel[t];
			uint32_t use, kill, dep;
			int dst;
			uses(v, k, sub[k], &use, &kill, &dep, &dst);
			uint32_t inr = use | (out & ~kill);
			if (dst >= 0 && (out & R(dst)))
				inr |= dep;
			inr |= R(10);
			if (inr != rel[k]) {
				rel[k] = (uint16_t)inr;
				changed = true;
			}
		}
	}
	if (changed) /* did not settle: everything matters */
		for (size_t k = 0; k < n; k++)
			rel[k] = 0x7ff;
}
