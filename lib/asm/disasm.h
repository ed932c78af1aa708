/* disasm.h — what the two disassembler syntaxes share (internal). */
#ifndef GRAFT_ASM_DISASM_H
#define GRAFT_ASM_DISASM_H

#include <stddef.h>

#include "graft/ebpf.h"

/* A bounded appender that, like snprintf, counts what it could not write. */
struct sbuf {
	char *buf;
	size_t cap, len;
};

void sbuf_put(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * One instruction in the kernel's verifier-log syntax. `hi` is the second
 * slot of an lddw (NULL otherwise).
 */
void disasm_kernel(struct sbuf *b, const struct ebpf_insn *in,
		   const struct ebpf_opinfo *e, const struct ebpf_insn *hi);

#endif
