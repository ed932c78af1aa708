/*
 * libFuzzer target: random text into the assembler. Whatever assembles is
 * disassembled in both syntaxes and the suite text assembled again, which
 * must give the same bytes; an error must name its line and column. Any
 * crash, sanitizer report or mismatch is a finding (abort).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graft/asm.h"

#define CAP 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ebpf_insn a[CAP], b[CAP];
	static char text[CAP * 160];
	struct graft_err err = { 0 };
	size_t n = 0, m = 0;
	/* a small capacity now and then, to reach the capacity error */
	size_t cap = size && data[0] == 'c' ? 4 : CAP;
	if (bpfasm_assemble((const char *)data, size, a, cap, &n, &err)) {
		if (strncmp(err.msg, "line ", 5) || !strstr(err.msg, ", column "))
			abort();
		return 0;
	}
	size_t need = bpfasm_disassemble(a, n, BPFASM_SUITE, text, sizeof text);
	if (need >= sizeof text)
		abort();
	if (bpfasm_assemble(text, need, b, CAP, &m, &err))
		abort();
	if (m != n || memcmp(a, b, n * sizeof *a))
		abort();
	bpfasm_disassemble(a, n, BPFASM_KERNEL, text, sizeof text);
	char small[16]; /* truncation must stay in bounds */
	bpfasm_disassemble(a, n, BPFASM_KERNEL, small, sizeof small);
	for (size_t pc = 0; pc < n; pc++)
		bpfasm_disasm_insn(a, n, pc, BPFASM_SUITE, small, sizeof small);
	return 0;
}
