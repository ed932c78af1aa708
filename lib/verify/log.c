/*
 * The verifier's report: a short disassembly of the failing instruction,
 * the rejection message with the register that fails, and the source line
 * from BTF line_info when the caller supplied it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graft/asm.h"
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

/* One instruction in the kernel's log syntax, by lib/asm. */
void vdisasm(const struct ebpf_insn *insns, size_t n, size_t pc, char *buf,
	     size_t len);
void vdisasm(const struct ebpf_insn *insns, size_t n, size_t pc, char *buf,
	     size_t len)
{
	bpfasm_disasm_insn(insns, n, pc, BPFASM_KERNEL, buf, len);
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
