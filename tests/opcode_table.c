/* The opcode table is sorted, unambiguous and decodes every entry back. */
#include <string.h>

#include "graft/ebpf.h"
#include "testlib.h"

int main(void)
{
	for (unsigned i = 1; i < EBPF_OP_COUNT; i++) {
		const struct ebpf_opinfo *a = &ebpf_opinfo[i - 1], *b = &ebpf_opinfo[i];
		T_CHECK(a->code <= b->code, "table order: %s (0x%02x) before %s (0x%02x)",
			a->mnem, a->code, b->mnem, b->code);
		if (a->code == b->code)
			T_CHECK(a->sel == b->sel && a->sel != EBPF_SEL_NONE &&
					a->selval != b->selval,
				"variants of 0x%02x need one selector with distinct values",
				a->code);
	}
	for (unsigned i = 0; i < EBPF_OP_COUNT; i++) {
		const struct ebpf_opinfo *e = &ebpf_opinfo[i];
		struct ebpf_insn in = { .code = e->code };
		if (e->sel == EBPF_SEL_OFF)
			in.off = (int16_t)e->selval;
		else if (e->sel == EBPF_SEL_IMM)
			in.imm = e->selval;
		else if (e->sel == EBPF_SEL_SRC)
			in.src = (uint8_t)e->selval;
		T_CHECK(ebpf_decode(&in) == (enum ebpf_op)i, "decode %s (0x%02x)",
			e->mnem, e->code);
	}
	unsigned known = 0;
	for (unsigned c = 0; c < 256; c++) {
		struct ebpf_insn in = { .code = (uint8_t)c };
		known += ebpf_decode(&in) != EBPF_OP_COUNT;
	}
	struct ebpf_insn bad = { .code = 0xbf, .off = 3 };
	T_CHECK(ebpf_decode(&bad) == EBPF_OP_COUNT, "mov with off 3 is no variant");
	printf("opcode table: %u entries, %u distinct opcodes decode\n",
	       (unsigned)EBPF_OP_COUNT, known);
	return t_done();
}
