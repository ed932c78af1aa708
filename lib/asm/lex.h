/*
 * lex.h — the assembler's line scanner (internal to lib/asm).
 *
 * The text is taken line by line; a cursor walks one line and knows its
 * line number and column so every error can say "line L, column C".
 * Operands are read into `struct operand` without judging them: whether a
 * number fits the field it lands in is decided by the encoder.
 */
#ifndef GRAFT_ASM_LEX_H
#define GRAFT_ASM_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"

struct cursor {
	const char *line; /* first byte of the line */
	const char *p;    /* next byte to read */
	const char *end;  /* end of the line, comment excluded */
	unsigned lineno;  /* 1-based */
};

/* A number as written: sign, magnitude, base. */
struct number {
	uint64_t mag;
	bool neg;      /* a leading '-' */
	bool hex;      /* 0x... */
	bool overflow; /* more than 64 bits */
};

enum operand_kind { OPD_REG, OPD_NUM, OPD_MEM, OPD_LABEL };

struct operand {
	enum operand_kind kind;
	unsigned col;       /* where the operand starts */
	unsigned reg;       /* OPD_REG, OPD_MEM */
	struct number num;  /* OPD_NUM; for OPD_MEM the offset */
	unsigned numcol;    /* column of the number (the offset for OPD_MEM) */
	const char *name;   /* OPD_LABEL */
	size_t namelen;
};

static inline unsigned cur_col(const struct cursor *c)
{
	return (unsigned)(c->p - c->line) + 1;
}

/* Point c at the line starting at *pos (advancing *pos past it). */
void lex_line(struct cursor *c, const char **pos, const char *text_end,
	      unsigned lineno);

void lex_skip_ws(struct cursor *c);
bool lex_at_end(struct cursor *c); /* skips blanks first */

bool lex_is_ident_start(char ch);
bool lex_is_ident_char(char ch);

/* Read an identifier [A-Za-z_.][A-Za-z0-9_.]* ; returns its length, 0 if none. */
size_t lex_ident(struct cursor *c, const char **start);

/* If the line starts with "NAME:", consume it and return the name's length. */
size_t lex_label_def(struct cursor *c, const char **name);

/*
 * Read one operand. Returns GRAFT_OK or an error naming the line and
 * column. Registers are %r0..%r10.
 */
enum graft_status lex_operand(struct cursor *c, struct operand *op,
			      struct graft_err *err);

/* Read a number: [+-] (decimal | 0x hex). */
enum graft_status lex_number(struct cursor *c, struct number *n,
			     struct graft_err *err);

/* Error at a column of the cursor's line. */
enum graft_status lex_err(const struct cursor *c, unsigned col,
			  struct graft_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
