/*
 * The assembler's scanner: lines, identifiers, numbers and operands.
 *
 * A line ends at '\n' (a '\r' before it is dropped) and a '#' starts a
 * comment to the end of the line. Nothing here allocates; tokens point into
 * the caller's text.
 */
#include <stdio.h>
#include <string.h>

#include "lex.h"

void lex_line(struct cursor *c, const char **pos, const char *text_end,
	      unsigned lineno)
{
	const char *s = *pos;
	const char *nl = memchr(s, '\n', (size_t)(text_end - s));
	const char *e = nl ? nl : text_end;
	*pos = nl ? nl + 1 : text_end;
	const char *hash = memchr(s, '#', (size_t)(e - s));
	if (hash)
		e = hash;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	c->line = s;
	c->p = s;
	c->end = e;
	c->lineno = lineno;
}

void lex_skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

bool lex_at_end(struct cursor *c)
{
	lex_skip_ws(c);
	return c->p >= c->end;
}

bool lex_is_ident_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || ch == '.';
}

bool lex_is_ident_char(char ch)
{
	return lex_is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

size_t lex_ident(struct cursor *c, const char **start)
{
	lex_skip_ws(c);
	if (c->p >= c->end || !lex_is_ident_start(*c->p))
		return 0;
	*start = c->p;
	while (c->p < c->end && lex_is_ident_char(*c->p))
		c->p++;
	return (size_t)(c->p - *start);
}

size_t lex_label_def(struct cursor *c, const char **name)
{
	const char *save = c->p;
	size_t len = lex_ident(c, name);
	if (len && c->p < c->end && *c->p == ':') {
		c->p++;
		return len;
	}
	c->p = save;
	return 0;
}

enum graft_status lex_err(const struct cursor *c, unsigned col,
			  struct graft_err *err, const char *fmt, ...)
{
	char why[GRAFT_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return graft_errf(err, GRAFT_EINVAL, "line %u, column %u: %s",
			  c->lineno, col, why);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A printable rendering of the byte at p, for messages. */
static const char *show_char(char ch, char buf[8])
{
	unsigned char u = (unsigned char)ch;
	if (u >= 0x21 && u < 0x7f)
		snprintf(buf, 8, "'%c'", ch);
	else
		snprintf(buf, 8, "0x%02x", u);
	return buf;
}

enum graft_status lex_number(struct cursor *c, struct number *n,
			     struct graft_err *err)
{
	lex_skip_ws(c);
	unsigned col = cur_col(c);
	*n = (struct number){ 0 };
	if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		n->neg = *c->p == '-';
		c->p++;
	}
	unsigned base = 10;
	if (c->end - c->p >= 2 && c->p[0] == '0' &&
	    (c->p[1] == 'x' || c->p[1] == 'X')) {
		base = 16;
		n->hex = true;
		c->p += 2;
	}
	const char *digits = c->p;
	while (c->p < c->end) {
		int v = hexval(*c->p);
		if (v < 0 || (unsigned)v >= base)
			break;
		if (n->mag > (UINT64_MAX - (unsigned)v) / base)
			n->overflow = true;
		n->mag = n->mag * base + (unsigned)v;
		c->p++;
	}
	if (c->p == digits)
		return lex_err(c, col, err, "expected a number");
	if (c->p < c->end && lex_is_ident_char(*c->p)) {
		char b[8];
		return lex_err(c, cur_col(c), err, "bad digit %s in number",
			       show_char(*c->p, b));
	}
	if (n->overflow)
		return lex_err(c, col, err, "number does not fit in 64 bits");
	return GRAFT_OK;
}

static enum graft_status lex_register(struct cursor *c, unsigned *reg,
				      struct graft_err *err)
{
	unsigned col = cur_col(c);
	const char *start = c->p;
	c->p++; /* '%' */
	const char *name;
	size_t len = lex_ident(c, &name);
	if (len >= 2 && name[0] == 'r' && len <= 4) {
		unsigned v = 0;
		size_t i;
		for (i = 1; i < len && name[i] >= '0' && name[i] <= '9'; i++)
			v = v * 10 + (unsigned)(name[i] - '0');
		if (i == len && v <= 10 && !(len > 2 && name[1] == '0')) {
			*reg = v;
			return GRAFT_OK;
		}
	}
	int shown = (int)(c->p - start);
	return lex_err(c, col, err,
		       "bad register '%.*s' (registers are %%r0 to %%r10)",
		       shown > 24 ? 24 : shown, start);
}

/* [%rN], [%rN+off], [%rN-off] */
static enum graft_status lex_memory(struct cursor *c, struct operand *op,
				    struct graft_err *err)
{
	c->p++; /* '[' */
	lex_skip_ws(c);
	if (c->p >= c->end || *c->p != '%')
		return lex_err(c, cur_col(c), err,
			       "bad memory operand: expected a register after '['");
	enum graft_status st = lex_register(c, &op->reg, err);
	if (st)
		return st;
	lex_skip_ws(c);
	op->num = (struct number){ 0 };
	op->numcol = cur_col(c);
	if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		st = lex_number(c, &op->num, err);
		if (st)
			return st;
		lex_skip_ws(c);
	}
	if (c->p >= c->end || *c->p != ']')
		return lex_err(c, cur_col(c), err,
			       "bad memory operand: expected '+offset', '-offset' or ']'");
	c->p++;
	return GRAFT_OK;
}

enum graft_status lex_operand(struct cursor *c, struct operand *op,
			      struct graft_err *err)
{
	lex_skip_ws(c);
	*op = (struct operand){ .col = cur_col(c) };
	if (c->p >= c->end)
		return lex_err(c, op->col, err, "expected an operand");
	char ch = *c->p;
	if (ch == '%') {
		op->kind = OPD_REG;
		return lex_register(c, &op->reg, err);
	}
	if (ch == '[') {
		op->kind = OPD_MEM;
		return lex_memory(c, op, err);
	}
	if (ch == '+' || ch == '-' || (ch >= '0' && ch <= '9')) {
		op->kind = OPD_NUM;
		op->numcol = op->col;
		return lex_number(c, &op->num, err);
	}
	if (lex_is_ident_start(ch)) {
		op->kind = OPD_LABEL;
		op->namelen = lex_ident(c, &op->name);
		return GRAFT_OK;
	}
	char b[8];
	return lex_err(c, op->col, err, "unexpected %s where an operand belongs",
		       show_char(ch, b));
}
