/*
 * The disassembler: instructions to text in the suite's syntax (which
 * bpfasm_assemble reads back to the same bytes) or in the kernel's
 * verifier-log syntax (for people).
 *
 * Suite syntax must round-trip exactly, so a slot that no mnemonic can
 * express — an unknown opcode, a field its format does not use set to
 * non-zero, an lddw with a pseudo source or a broken second slot — is
 * printed as `.raw 0xWORD` with a comment saying what it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graft/asm.h"
#include "disasm.h"

enum { USE_DST = 1, USE_SRC = 2, USE_OFF = 4, USE_IMM = 8 };
enum { BAD_DST = 16, BAD_SRC = 32 }; /* a register above r10 */

/* The fields a format gives meaning to (graft/ebpf.h), selector aside. */
static unsigned fmt_uses(enum ebpf_fmt f)
{
	switch (f) {
	case EBPF_FMT_ALU_REG: return USE_DST | USE_SRC;
	case EBPF_FMT_ALU_IMM: return USE_DST | USE_IMM;
	case EBPF_FMT_NEG: return USE_DST;
	case EBPF_FMT_END: return USE_DST;
	case EBPF_FMT_JA: return USE_OFF;
	case EBPF_FMT_JA32: return USE_IMM;
	case EBPF_FMT_JCOND_IMM: return USE_DST | USE_IMM | USE_OFF;
	case EBPF_FMT_JCOND_REG: return USE_DST | USE_SRC | USE_OFF;
	case EBPF_FMT_CALL: return USE_IMM;
	case EBPF_FMT_CALL_LOCAL: return USE_IMM;
	case EBPF_FMT_CALLX: return USE_DST;
	case EBPF_FMT_EXIT: return 0;
	case EBPF_FMT_LDDW: return USE_DST | USE_IMM;
	case EBPF_FMT_LD_ABS: return USE_IMM;
	case EBPF_FMT_LD_IND: return USE_SRC | USE_IMM;
	case EBPF_FMT_LDX: return USE_DST | USE_SRC | USE_OFF;
	case EBPF_FMT_ST: return USE_DST | USE_OFF | USE_IMM;
	case EBPF_FMT_STX: return USE_DST | USE_SRC | USE_OFF;
	case EBPF_FMT_ATOMIC: return USE_DST | USE_SRC | USE_OFF;
	}
	return 0;
}

/* Fields set that the instruction's format does not use (USE_* bits). */
static unsigned stray_fields(const struct ebpf_insn *in,
			     const struct ebpf_opinfo *e)
{
	unsigned use = fmt_uses((enum ebpf_fmt)e->fmt), stray = 0;
	if (e->sel == EBPF_SEL_OFF)
		use |= USE_OFF;
	else if (e->sel == EBPF_SEL_IMM)
		use |= USE_IMM;
	else if (e->sel == EBPF_SEL_SRC)
		use |= USE_SRC;
	if (in->dst && !(use & USE_DST))
		stray |= USE_DST;
	if (in->src && !(use & USE_SRC))
		stray |= USE_SRC;
	if (in->off && !(use & USE_OFF))
		stray |= USE_OFF;
	if (in->imm && !(use & USE_IMM))
		stray |= USE_IMM;
	if (in->dst >= EBPF_NREGS && (use & USE_DST))
		stray |= BAD_DST;
	if (in->src >= EBPF_NREGS && (use & USE_SRC) && e->sel != EBPF_SEL_SRC)
		stray |= BAD_SRC;
	return stray;
}

static unsigned long long word(const struct ebpf_insn *in)
{
	return (unsigned long long)in->code |
	       (unsigned long long)in->dst << 8 |
	       (unsigned long long)in->src << 12 |
	       (unsigned long long)(uint16_t)in->off << 16 |
	       (unsigned long long)(uint32_t)in->imm << 32;
}

void sbuf_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = b->len < b->cap ? b->cap - b->len : 0;
	int k = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->len += (size_t)k;
}

#define put sbuf_put

static void put_stray(struct sbuf *b, const struct ebpf_insn *in,
		      unsigned stray, const char *lead)
{
	put(b, "%s", lead);
	if (stray & (BAD_DST | BAD_SRC))
		put(b, "no register r%u%s", (stray & BAD_DST) ? in->dst : in->src,
		    (stray & (USE_DST | USE_SRC | USE_OFF | USE_IMM)) ? "; " : "");
	stray &= USE_DST | USE_SRC | USE_OFF | USE_IMM;
	if (!stray)
		return;
	put(b, "nonzero unused field%s:", (stray & (stray - 1)) ? "s" : "");
	if (stray & USE_DST)
		put(b, " dst=%u", in->dst);
	if (stray & USE_SRC)
		put(b, " src=%u", in->src);
	if (stray & USE_OFF)
		put(b, " off=%d", in->off);
	if (stray & USE_IMM)
		put(b, " imm=%d", in->imm);
}

/* Small values in decimal, the rest as 32-bit hex (both re-assemble). */
static void put_imm(struct sbuf *b, int32_t v)
{
	if (v > -65536 && v < 65536)
		put(b, "%d", v);
	else
		put(b, "0x%x", (uint32_t)v);
}

static void put_mem(struct sbuf *b, unsigned reg, int16_t off)
{
	if (off)
		put(b, "[%%r%u%+d]", reg, off);
	else
		put(b, "[%%r%u]", reg);
}

static void suite_insn(struct sbuf *b, const struct ebpf_insn *in,
		       const struct ebpf_opinfo *e, uint64_t imm64)
{
	put(b, "%s", e->mnem);
	switch ((enum ebpf_fmt)e->fmt) {
	case EBPF_FMT_ALU_REG: put(b, " %%r%u, %%r%u", in->dst, in->src); break;
	case EBPF_FMT_ALU_IMM: put(b, " %%r%u, ", in->dst); put_imm(b, in->imm); break;
	case EBPF_FMT_NEG:
	case EBPF_FMT_END:
	case EBPF_FMT_CALLX: put(b, " %%r%u", in->dst); break;
	case EBPF_FMT_JA: put(b, " %+d", in->off); break;
	case EBPF_FMT_JA32: put(b, " %+d", in->imm); break;
	case EBPF_FMT_JCOND_IMM:
		put(b, " %%r%u, ", in->dst);
		put_imm(b, in->imm);
		put(b, ", %+d", in->off);
		break;
	case EBPF_FMT_JCOND_REG: put(b, " %%r%u, %%r%u, %+d", in->dst, in->src, in->off); break;
	case EBPF_FMT_CALL: put(b, " %d", in->imm); break;
	case EBPF_FMT_CALL_LOCAL: put(b, " local %+d", in->imm); break;
	case EBPF_FMT_EXIT: break;
	case EBPF_FMT_LDDW: put(b, " %%r%u, 0x%llx", in->dst, (unsigned long long)imm64); break;
	case EBPF_FMT_LD_ABS: put(b, " "); put_imm(b, in->imm); break;
	case EBPF_FMT_LD_IND: put(b, " %%r%u, ", in->src); put_imm(b, in->imm); break;
	case EBPF_FMT_LDX: put(b, " %%r%u, ", in->dst); put_mem(b, in->src, in->off); break;
	case EBPF_FMT_ST: put(b, " "); put_mem(b, in->dst, in->off); put(b, ", "); put_imm(b, in->imm); break;
	case EBPF_FMT_STX:
	case EBPF_FMT_ATOMIC:
		put(b, " ");
		put_mem(b, in->dst, in->off);
		put(b, ", %%r%u", in->src);
		break;
	}
}

static const char *pseudo_name(unsigned src)
{
	switch (src) {
	case EBPF_PSEUDO_MAP_FD: return "map fd";
	case EBPF_PSEUDO_MAP_VALUE: return "map value";
	case EBPF_PSEUDO_BTF_ID: return "BTF id";
	case EBPF_PSEUDO_FUNC: return "function";
	case EBPF_PSEUDO_MAP_IDX: return "map index";
	case EBPF_PSEUDO_MAP_IDX_VALUE: return "map index value";
	default: return "unknown pseudo source";
	}
}

static size_t disasm_one(const struct ebpf_insn *insns, size_t n, size_t pc,
			 enum bpfasm_syntax syntax, struct sbuf *b)
{
	const struct ebpf_insn *in = &insns[pc];
	enum ebpf_op op = ebpf_decode(in);
	bool kernel = syntax == BPFASM_KERNEL;
	if (op == EBPF_OP_COUNT) {
		if (kernel)
			put(b, "(%02x) unknown opcode, raw 0x%016llx", in->code, word(in));
		else
			put(b, ".raw 0x%016llx # unknown opcode 0x%02x", word(in), in->code);
		return 0;
	}
	const struct ebpf_opinfo *e = &ebpf_opinfo[op];
	unsigned stray = stray_fields(in, e);
	if (e->fmt == EBPF_FMT_LDDW) {
		const struct ebpf_insn *hi = pc + 1 < n ? &insns[pc + 1] : NULL;
		if (!hi) {
			put(b, kernel ? "(18) lddw without its second slot, raw 0x%016llx"
				      : ".raw 0x%016llx # lddw without its second slot",
			    word(in));
			return 0;
		}
		bool broken = hi->code || hi->dst || hi->src || hi->off;
		if (kernel) {
			disasm_kernel(b, in, e, hi);
			if (stray & ~USE_SRC)
				put_stray(b, in, stray & ~USE_SRC, " ; ");
			if (broken)
				put(b, " ; bad second slot 0x%016llx", word(hi));
			return broken ? 1 : 2;
		}
		if (stray || broken) {
			put(b, ".raw 0x%016llx # lddw %%r%u", word(in), in->dst);
			if (in->src)
				put(b, ", %s %d", pseudo_name(in->src), in->imm);
			if (stray & ~USE_SRC)
				put_stray(b, in, stray & ~USE_SRC, "; ");
			if (broken)
				put(b, "; bad second slot follows");
			return 1;
		}
		uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)hi->imm << 32;
		suite_insn(b, in, e, v);
		return 2;
	}
	if (kernel) {
		disasm_kernel(b, in, e, NULL);
		if (stray)
			put_stray(b, in, stray, " ; ");
		return 1;
	}
	if (stray) {
		put(b, ".raw 0x%016llx # %s: ", word(in), e->mnem);
		put_stray(b, in, stray, "");
		return 1;
	}
	suite_insn(b, in, e, 0);
	return 1;
}

size_t bpfasm_disasm_insn(const struct ebpf_insn *insns, size_t n, size_t pc,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen)
{
	struct sbuf b = { buf, buflen, 0 };
	if (buflen)
		buf[0] = '\0';
	if (!insns || pc >= n) {
		put(&b, "(no instruction at pc %zu)", pc);
		return 0;
	}
	return disasm_one(insns, n, pc, syntax, &b);
}

size_t bpfasm_disassemble(const struct ebpf_insn *insns, size_t n,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen)
{
	struct sbuf b = { buf, buflen, 0 };
	if (buflen)
		buf[0] = '\0';
	for (size_t pc = 0; insns && pc < n;) {
		if (syntax == BPFASM_KERNEL)
			put(&b, "%4zu: ", pc);
		size_t used = disasm_one(insns, n, pc, syntax, &b);
		put(&b, "\n");
		pc += used ? used : 1;
	}
	return b.len;
}
