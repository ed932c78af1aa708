/* The opcode table as data, and the decoder that indexes it. */
#include "graft/ebpf.h"

const struct ebpf_opinfo ebpf_opinfo[EBPF_OP_COUNT] = {
#define EBPF_X_INFO(id, code_, sel_, selval_, mnem_, fmt_)                   \
	[EBPF_OP_##id] = { .code = code_, .sel = EBPF_SEL_##sel_,            \
			   .fmt = EBPF_FMT_##fmt_, .selval = selval_,        \
			   .mnem = mnem_ },
	EBPF_OPCODES(EBPF_X_INFO)
#undef EBPF_X_INFO
};

_Static_assert(EBPF_OP_COUNT < 255, "table indexes fit a byte");

/*
 * 1 + the index of the LAST table entry of each opcode byte (0: none).
 * Built at compile time from the list: a later designator of the same code
 * overrides an earlier one, which is exactly "the last". The decoder runs
 * three times per instruction at load (validator, interpreter, JIT), so a
 * lookup instead of a binary search is a good part of the load time.
 */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
static const uint8_t last_of[256] = {
#define EBPF_X_LAST(id, code_, sel_, selval_, mnem_, fmt_)                   \
	[code_] = EBPF_OP_##id + 1,
	EBPF_OPCODES(EBPF_X_LAST)
#undef EBPF_X_LAST
};
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

enum ebpf_op ebpf_decode(const struct ebpf_insn *insn)
{
	unsigned last = last_of[insn->code];
	if (!last)
		return EBPF_OP_COUNT;
	/* Variants of one code are adjacent and told apart by one field;
	 * walk them down, keeping the first match in table order. */
	enum ebpf_op found = EBPF_OP_COUNT;
	for (unsigned i = last; i-- > 0 && ebpf_opinfo[i].code == insn->code;) {
		const struct ebpf_opinfo *e = &ebpf_opinfo[i];
		int32_t v;
		switch (e->sel) {
		case EBPF_SEL_NONE: return (enum ebpf_op)i;
		case EBPF_SEL_OFF: v = insn->off; break;
		case EBPF_SEL_IMM: v = insn->imm; break;
		default: v = insn->src; break;
		}
		if (v == e->selval)
			found = (enum ebpf_op)i;
	}
	return found;
}
