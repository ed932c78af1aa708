/*
 * Kernel-style disassembly, as in the Linux verifier log and llvm-objdump:
 * `r0 += r1`, `w2 = (s8)w1`, `if r1 > 0x5 goto pc+2`,
 * `*(u32 *)(r10 -4) = r1`, `lock *(u64 *)(r10 -8) += r1`,
 * `r0 = 0x1122334455667788 ll`. For people; it is not read back.
 *
 * The operator comes from the opcode's operation bits (RFC 9669 tables
 * 4 and 6), the format from the opcode table.
 */
#include "disasm.h"

#define put sbuf_put

static const char *alu_op(const struct ebpf_insn *in)
{
	static const char *const ops[16] = {
		"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
		"neg", "%=", "^=", "=", "s>>=", "end", "?=", "?=",
	};
	unsigned op = in->code >> 4;
	if (op == 3 && in->off == 1)
		return "s/=";
	if (op == 9 && in->off == 1)
		return "s%=";
	return ops[op];
}

static const char *jmp_op(unsigned code)
{
	static const char *const ops[16] = {
		"goto", "==", ">", ">=", "&", "!=", "s>", "s>=",
		"call", "exit", "<", "<=", "s<", "s<=", "?", "?",
	};
	return ops[code >> 4];
}

static const char *size_name(unsigned code, bool sign)
{
	switch (code & 0x18) {
	case EBPF_SZ_W: return sign ? "s32" : "u32";
	case EBPF_SZ_H: return sign ? "s16" : "u16";
	case EBPF_SZ_B: return sign ? "s8" : "u8";
	default: return sign ? "s64" : "u64";
	}
}

static void put_ptr(struct sbuf *b, unsigned code, unsigned reg, int off)
{
	put(b, "*(%s *)(r%u %+d)", size_name(code, false), reg, off);
}

static void atomic(struct sbuf *b, const struct ebpf_insn *in)
{
	bool w32 = (in->code & 0x18) == EBPF_SZ_W;
	char r = w32 ? 'w' : 'r';
	const char *sz = size_name(in->code, false);
	const char *pfx = w32 ? "atomic" : "atomic64";
	unsigned op = (unsigned)in->imm & ~(unsigned)EBPF_ATOMIC_FETCH;
	const char *name = op == EBPF_ATOMIC_ADD ? "add"
			   : op == EBPF_ATOMIC_OR ? "or"
			   : op == EBPF_ATOMIC_AND ? "and" : "xor";
	if (in->imm == EBPF_ATOMIC_XCHG) {
		put(b, "%c%u = %s_xchg((%s *)(r%u %+d), %c%u)", r, in->src, pfx,
		    sz, in->dst, in->off, r, in->src);
	} else if (in->imm == EBPF_ATOMIC_CMPXCHG) {
		put(b, "%c0 = %s_cmpxchg((%s *)(r%u %+d), %c0, %c%u)", r, pfx, sz,
		    in->dst, in->off, r, r, in->src);
	} else if (in->imm & EBPF_ATOMIC_FETCH) {
		put(b, "%c%u = %s_fetch_%s((%s *)(r%u %+d), %c%u)", r, in->src,
		    pfx, name, sz, in->dst, in->off, r, in->src);
	} else {
		static const char *const sym[] = { "+=", "|=", "&=", "^=" };
		unsigned k = op == EBPF_ATOMIC_ADD ? 0 : op == EBPF_ATOMIC_OR ? 1
			     : op == EBPF_ATOMIC_AND ? 2 : 3;
		put(b, "lock ");
		put_ptr(b, in->code, in->dst, in->off);
		put(b, " %s %c%u", sym[k], r, in->src);
	}
}

static void lddw(struct sbuf *b, const struct ebpf_insn *in,
		 const struct ebpf_insn *hi)
{
	uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)hi->imm << 32;
	switch (in->src) {
	case 0: put(b, "r%u = 0x%llx ll", in->dst, (unsigned long long)v); break;
	case EBPF_PSEUDO_MAP_FD: put(b, "r%u = map[fd:%d] ll", in->dst, in->imm); break;
	case EBPF_PSEUDO_MAP_VALUE:
		put(b, "r%u = map_value[fd:%d]+%d ll", in->dst, in->imm, hi->imm);
		break;
	case EBPF_PSEUDO_MAP_IDX: put(b, "r%u = map[idx:%d] ll", in->dst, in->imm); break;
	case EBPF_PSEUDO_MAP_IDX_VALUE:
		put(b, "r%u = map_value[idx:%d]+%d ll", in->dst, in->imm, hi->imm);
		break;
	case EBPF_PSEUDO_FUNC: put(b, "r%u = func pc%+d ll", in->dst, in->imm); break;
	case EBPF_PSEUDO_BTF_ID: put(b, "r%u = btf_id %d ll", in->dst, in->imm); break;
	default:
		put(b, "r%u = 0x%llx ll ; pseudo source %u", in->dst,
		    (unsigned long long)v, in->src);
	}
}

void disasm_kernel(struct sbuf *b, const struct ebpf_insn *in,
		   const struct ebpf_opinfo *e, const struct ebpf_insn *hi)
{
	bool w32 = EBPF_CLASS(in->code) == EBPF_CLS_ALU ||
		   EBPF_CLASS(in->code) == EBPF_CLS_JMP32;
	char r = w32 ? 'w' : 'r';
	switch ((enum ebpf_fmt)e->fmt) {
	case EBPF_FMT_ALU_REG:
		if ((in->code >> 4) == 0xb && in->off) /* movsx */
			put(b, "%c%u = (s%d)%c%u", r, in->dst, in->off, r, in->src);
		else
			put(b, "%c%u %s %c%u", r, in->dst, alu_op(in), r, in->src);
		break;
	case EBPF_FMT_ALU_IMM: put(b, "%c%u %s %d", r, in->dst, alu_op(in), in->imm); break;
	case EBPF_FMT_NEG: put(b, "%c%u = -%c%u", r, in->dst, r, in->dst); break;
	case EBPF_FMT_END: {
		const char *kind = EBPF_CLASS(in->code) == EBPF_CLS_ALU64 ? "bswap"
				   : (in->code & EBPF_SRC_X) ? "be" : "le";
		put(b, "r%u = %s%d r%u", in->dst, kind, in->imm, in->dst);
		break;
	}
	case EBPF_FMT_JA: put(b, "goto pc%+d", in->off); break;
	case EBPF_FMT_JA32: put(b, "gotol pc%+d", in->imm); break;
	case EBPF_FMT_JCOND_IMM:
		put(b, "if %c%u %s 0x%x goto pc%+d", r, in->dst, jmp_op(in->code),
		    (uint32_t)in->imm, in->off);
		break;
	case EBPF_FMT_JCOND_REG:
		put(b, "if %c%u %s %c%u goto pc%+d", r, in->dst, jmp_op(in->code), r,
		    in->src, in->off);
		break;
	case EBPF_FMT_CALL: put(b, "call %d", in->imm); break;
	case EBPF_FMT_CALL_LOCAL: put(b, "call pc%+d", in->imm); break;
	case EBPF_FMT_CALLX: put(b, "callx r%u", in->dst); break;
	case EBPF_FMT_EXIT: put(b, "exit"); break;
	case EBPF_FMT_LDDW: lddw(b, in, hi); break;
	case EBPF_FMT_LD_ABS:
		put(b, "r0 = *(%s *)skb[%d]", size_name(in->code, false), in->imm);
		break;
	case EBPF_FMT_LD_IND:
		put(b, "r0 = *(%s *)skb[r%u + %d]", size_name(in->code, false),
		    in->src, in->imm);
		break;
	case EBPF_FMT_LDX:
		put(b, "r%u = *(%s *)(r%u %+d)", in->dst,
		    size_name(in->code, (in->code & 0xe0) == EBPF_MODE_MEMSX),
		    in->src, in->off);
		break;
	case EBPF_FMT_ST:
		put_ptr(b, in->code, in->dst, in->off);
		put(b, " = %d", in->imm);
		break;
	case EBPF_FMT_STX:
		put_ptr(b, in->code, in->dst, in->off);
		put(b, " = r%u", in->src);
		break;
	case EBPF_FMT_ATOMIC: atomic(b, in); break;
	}
}
