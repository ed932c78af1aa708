/*
 * The verifier's report: a short disassembly of the failing instruction,
 * the rejection message with the register that fails, and the source line
 * from BTF line_info when the caller supplied it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vpriv.h"

void vlog(struct vctx *v, const char *fmt, ...)
{
	if (!v->o->log)
		return;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	v->o->log(v->o->log_ud, line);
}

static const char *sz_name(uint8_t code)
{
	switch (code & 0x18) {
	case EBPF_SZ_W: return "u32";
	case EBPF_SZ_H: return "u16";
	case EBPF_SZ_B: return "u8";
	default: return "u64";
	}
}

/* One instruction in the kernel's log syntax (kept small on purpose: the
 * full disassembler lives in lib/asm). */
void vdisasm(const struct ebpf_insn *insns, size_t n, size_t pc, char *buf,
	     size_t len);
void vdisasm(const struct ebpf_insn *insns, size_t n, size_t pc, char *buf,
	     size_t len)
{
	const struct ebpf_insn *in = &insns[pc];
	enum ebpf_op op = ebpf_decode(in);
	if (op == EBPF_OP_COUNT) {
		snprintf(buf, len, "(%02x) unknown", in->code);
		return;
	}
	const struct ebpf_opinfo *e = &ebpf_opinfo[op];
	const char *m = e->mnem;
	int d = in->dst, s = in->src;
	switch (e->fmt) {
	case EBPF_FMT_ALU_REG:
		snprintf(buf, len, "%s r%d, r%d", m, d, s);
		break;
	case EBPF_FMT_ALU_IMM:
		snprintf(buf, len, "%s r%d, %d", m, d, in->imm);
		break;
	case EBPF_FMT_NEG:
	case EBPF_FMT_END:
		snprintf(buf, len, "%s r%d", m, d);
		break;
	case EBPF_FMT_JA:
		snprintf(buf, len, "ja %+d", in->off);
		break;
	case EBPF_FMT_JA32:
		snprintf(buf, len, "ja32 %+d", in->imm);
		break;
	case EBPF_FMT_JCOND_IMM:
		snprintf(buf, len, "%s r%d, %d, %+d", m, d, in->imm, in->off);
		break;
	case EBPF_FMT_JCOND_REG:
		snprintf(buf, len, "%s r%d, r%d, %+d", m, d, s, in->off);
		break;
	case EBPF_FMT_CALL:
		snprintf(buf, len, "call %d", in->imm);
		break;
	case EBPF_FMT_CALL_LOCAL:
		snprintf(buf, len, "call local %+d", in->imm);
		break;
	case EBPF_FMT_CALLX:
		snprintf(buf, len, "call r%d", d);
		break;
	case EBPF_FMT_EXIT:
		snprintf(buf, len, "exit");
		break;
	case EBPF_FMT_LDDW: {
		uint64_t hi = pc + 1 < n ? (uint32_t)insns[pc + 1].imm : 0;
		snprintf(buf, len, "lddw r%d, %#llx%s", d,
			 (unsigned long long)(hi << 32 | (uint32_t)in->imm),
			 s ? " (pseudo)" : "");
		break;
	}
	case EBPF_FMT_LD_ABS:
		snprintf(buf, len, "%s %d", m, in->imm);
		break;
	case EBPF_FMT_LD_IND:
		snprintf(buf, len, "%s r%d, %d", m, s, in->imm);
		break;
	case EBPF_FMT_LDX:
		snprintf(buf, len, "r%d = *(%s *)(r%d %+d)", d,
			 sz_name(in->code), s, in->off);
		break;
	case EBPF_FMT_ST:
		snprintf(buf, len, "*(%s *)(r%d %+d) = %d", sz_name(in->code), d,
			 in->off, in->imm);
		break;
	case EBPF_FMT_STX:
		snprintf(buf, len, "*(%s *)(r%d %+d) = r%d", sz_name(in->code),
			 d, in->off, s);
		break;
	case EBPF_FMT_ATOMIC:
		snprintf(buf, len, "%s (%s *)(r%d %+d), r%d", m,
			 sz_name(in->code), d, in->off, s);
		break;
	}
}

static const struct verify_line *line_of(const struct verify_opts *o,
					 uint32_t pc)
{
	const struct verify_line *best = NULL;
	for (size_t i = 0; i < o->nlines; i++) {
		if (o->lines[i].pc > pc)
			break;
		best = &o->lines[i];
	}
	return best;
}

/*
 * Reject the program at pc: the message (in v->err) reads
 * "pc P (insn): why; Rn=state [at file:line]" and the log gets the
 * same plus the whole register state and the source line.
 */
enum graft_status reject(struct vctx *v, const struct vstate *st,
			 uint32_t pc, int regno, enum graft_status s,
			 const char *fmt, ...)
{
	if (v->status)
		return v->status;
	char why[256], ins[96], reg[192] = "", where[128] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (pc < v->n)
		vdisasm(v->insns, v->n, pc, ins, sizeof ins);
	else
		snprintf(ins, sizeof ins, "past the end");
	if (st && regno >= 0 && regno < EBPF_NREGS) {
		char r[160];
		reg_format(&st->f[st->nframes - 1]->r[regno], r, sizeof r);
		snprintf(reg, sizeof reg, "; R%d=%s", regno, r);
	}
	const struct verify_line *l = line_of(v->o, pc);
	if (l && l->line) {
		snprintf(where, sizeof where, " at %s:%u",
			 l->file ? l->file : "?", l->line);
		v->res->fail_line = l->line;
	}
	v->res->fail_pc = pc;
	v->status = s;
	graft_errf(v->err, s, "pc %u (%s): %s%s%s", pc, ins, why, reg, where);
	vlog(v, "REJECT pc %u: %s", pc, ins);
	vlog(v, "  reason: %s", why);
	if (st) {
		char all[1024];
		state_format(st, all, sizeof all);
		vlog(v, "  state: %s", all);
		if (st->nframes > 1)
			vlog(v, "  in bpf-to-bpf call depth %u", st->nframes - 1);
	}
	if (l && l->line)
		vlog(v, "  source: %s:%u: %s", l->file ? l->file : "?", l->line,
		     l->text ? l->text : "");
	return s;
}
