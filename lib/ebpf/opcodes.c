/* The opcode table as data, and the decoder that searches it. */
#include "graft/ebpf.h"

const struct ebpf_opinfo ebpf_opinfo[EBPF_OP_COUNT] = {
#define EBPF_X_INFO(id, code_, sel_, selval_, mnem_, fmt_)                   \
	[EBPF_OP_##id] = { .code = code_, .sel = EBPF_SEL_##sel_,            \
			   .fmt = EBPF_FMT_##fmt_, .selval = selval_,        \
			   .mnem = mnem_ },
	EBPF_OPCODES(EBPF_X_INFO)
#undef EBPF_X_INFO
};

enum ebpf_op ebpf_decode(const struct ebpf_insn *insn)
{
	/* The table is sorted by opcode: find the first entry with this code. */
	unsigned lo = 0, hi = EBPF_OP_COUNT;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (ebpf_opinfo[mid].code < insn->code)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < EBPF_OP_COUNT && ebpf_opinfo[lo].code == insn->code; lo++) {
		const struct ebpf_opinfo *e = &ebpf_opinfo[lo];
		int32_t v;
		switch (e->sel) {
		case EBPF_SEL_NONE: return (enum ebpf_op)lo;
		case EBPF_SEL_OFF: v = insn->off; break;
		case EBPF_SEL_IMM: v = insn->imm; break;
		default: v = insn->src; break;
		}
		if (v == e->selval)
			return (enum ebpf_op)lo;
	}
	return EBPF_OP_COUNT;
}
