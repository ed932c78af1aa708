/*
 * assemble.h — what the assembler's line parser and encoder share
 * (internal to lib/asm).
 */
#ifndef GRAFT_ASM_ASSEMBLE_H
#define GRAFT_ASM_ASSEMBLE_H

#include "graft/asm.h"
#include "lex.h"

/* A label definition: where it is and the pc it names. */
struct label {
	const char *name;
	size_t len;
	unsigned line;
	size_t pc;
};

/* Labels remembered on the assembler's stack; more fall back to rescans. */
#define LABEL_CACHE 64

struct asm_state {
	const char *text, *text_end;
	struct ebpf_insn *out;
	size_t cap, n;
	struct graft_err *err;
	/* every definition in line order, when there are few enough */
	struct label *labels;
	size_t nlabels;
	bool all_labels;
	unsigned exit_line; /* first `exit`, 0 if none */
	size_t exit_pc;
};

#define MAX_OPERANDS 4

/* One instruction as parsed: the mnemonic words joined, the operands. */
struct stmt {
	char mnem[40];
	size_t ml;
	unsigned col;
	bool local; /* `call local` */
	struct operand op[MAX_OPERANDS];
	unsigned nop;
};

/*
 * Where label `name` is defined, among lines [1, stop_line) (all lines
 * when stop_line is 0): its line (0 if nowhere) and pc.
 */
unsigned asm_find_label(const struct asm_state *st, const char *name,
			size_t len, unsigned stop_line, size_t *pc);

/* Encode a parsed statement (or `.raw`) and append it to st->out. */
enum graft_status asm_encode(struct asm_state *st, const struct cursor *c,
			     const struct stmt *s);
enum graft_status asm_encode_raw(struct asm_state *st, const struct cursor *c,
				 const struct stmt *s);

#endif
