/*
 * The assembler: conformance-suite text to instructions, built from the
 * opcode table in graft/ebpf.h.
 *
 * Contract: every input gives either the instructions or one error "line L,
 * column C: why"; nothing is allocated. A line is `[LABEL:] [MNEMONIC
 * OPERANDS]`; the mnemonic (with `lock` and `fetch` folded in) names table
 * entries, and the operand kinds pick among them (`add %r1, 2` is ALU_IMM,
 * `add %r1, %r2` ALU_REG, `call local f` CALL_LOCAL, `call %r2` CALLX).
 *
 * Labels are resolved without allocating: a first pass notes up to
 * LABEL_CACHE definitions in a table on the stack; with more than that, a
 * reference rescans the text for its definition (asm_find_label), which is
 * quadratic but needs no memory. As in the
 * suite, an undefined label `exit` means the first `exit` instruction.
 * `.raw 0xWORD` places one encoded slot as is (the suite's `-- raw` word:
 * opcode in the low byte); the disassembler uses it for slots no mnemonic
 * can express, so any program survives a round trip.
 */
#include <string.h>

#include "assemble.h"

/* ---- labels ----------------------------------------------------------- */

/* What a line contributes to the layout: a label it defines, its slots. */
struct line_shape {
	const char *label;
	size_t label_len;
	unsigned slots;
	bool is_exit;
};

static void line_shape(struct cursor *c, struct line_shape *ls)
{
	ls->label_len = lex_label_def(c, &ls->label);
	const char *m;
	size_t ml = lex_ident(c, &m);
	ls->slots = ml == 0 ? 0 : (ml == 4 && !memcmp(m, "lddw", 4)) ? 2 : 1;
	ls->is_exit = ml == 4 && !memcmp(m, "exit", 4);
}

/*
 * Find where label `name` is defined, scanning lines [1, stop_line) (all
 * lines when stop_line is 0). Returns the line it is on, 0 if none, and
 * its pc in *pc.
 */
unsigned asm_find_label(const struct asm_state *st, const char *name,
			size_t len, unsigned stop_line, size_t *pc)
{
	if (st->all_labels) {
		for (size_t i = 0; i < st->nlabels; i++) {
			const struct label *l = &st->labels[i];
			if (stop_line && l->line >= stop_line)
				break;
			if (l->len == len && !memcmp(l->name, name, len)) {
				*pc = l->pc;
				return l->line;
			}
		}
		if (!stop_line && st->exit_line && len == 4 &&
		    !memcmp(name, "exit", 4)) {
			*pc = st->exit_pc;
			return st->exit_line;
		}
		return 0;
	}
	const char *pos = st->text;
	size_t at = 0, first_exit = 0;
	unsigned exit_line = 0;
	for (unsigned ln = 1; pos < st->text_end; ln++) {
		if (stop_line && ln >= stop_line)
			break;
		struct cursor c;
		struct line_shape ls;
		lex_line(&c, &pos, st->text_end, ln);
		line_shape(&c, &ls);
		if (ls.label_len == len && !memcmp(ls.label, name, len)) {
			*pc = at;
			return ln;
		}
		if (ls.is_exit && !exit_line) {
			exit_line = ln;
			first_exit = at;
		}
		at += ls.slots;
	}
	if (!stop_line && exit_line && len == 4 && !memcmp(name, "exit", 4)) {
		*pc = first_exit;
		return exit_line;
	}
	return 0;
}

/* The first pass: label definitions and the first exit, by line. */
static void note_labels(struct asm_state *st)
{
	const char *pos = st->text;
	size_t at = 0;
	st->all_labels = true;
	for (unsigned ln = 1; pos < st->text_end; ln++) {
		struct cursor c;
		struct line_shape ls;
		lex_line(&c, &pos, st->text_end, ln);
		line_shape(&c, &ls);
		if (ls.label_len) {
			if (st->nlabels == LABEL_CACHE) {
				st->all_labels = false;
				return;
			}
			st->labels[st->nlabels++] = (struct label){
				ls.label, ls.label_len, ln, at };
		}
		if (ls.is_exit && !st->exit_line) {
			st->exit_line = ln;
			st->exit_pc = at;
		}
		at += ls.slots;
	}
}

/* ---- one line --------------------------------------------------------- */

static bool add_word(struct stmt *s, const char *w, size_t wl)
{
	size_t need = s->ml + (s->ml ? 1 : 0) + wl;
	if (need >= sizeof s->mnem - 4) /* room for "..." on overflow */
		return false;
	if (s->ml)
		s->mnem[s->ml++] = ' ';
	memcpy(s->mnem + s->ml, w, wl);
	s->ml += wl;
	s->mnem[s->ml] = '\0';
	return true;
}

static enum graft_status parse_line(struct asm_state *st, struct cursor *c)
{
	struct graft_err *err = st->err;
	const char *lname;
	unsigned lcol = (lex_skip_ws(c), cur_col(c));
	size_t llen = lex_label_def(c, &lname);
	if (llen) {
		size_t pc;
		unsigned first = asm_find_label(st, lname, llen, c->lineno, &pc);
		if (first)
			return lex_err(c, lcol, err,
				       "duplicate label '%.*s' (first defined on line %u)",
				       llen > 40 ? 40 : (int)llen, lname, first);
	}
	if (lex_at_end(c))
		return GRAFT_OK;
	struct stmt s = { .col = cur_col(c) };
	const char *w;
	size_t wl = lex_ident(c, &w);
	if (!wl)
		return lex_err(c, s.col, err,
			       "expected a mnemonic or a label, found '%c'",
			       (*c->p > 0x20 && *c->p < 0x7f) ? *c->p : '?');
	if (!add_word(&s, w, wl))
		return lex_err(c, s.col, err, "unknown mnemonic '%.*s...'", 30, w);
	if (s.ml == 4 && !memcmp(s.mnem, "lock", 4)) {
		unsigned wc = (lex_skip_ws(c), cur_col(c));
		wl = lex_ident(c, &w);
		if (wl == 5 && !memcmp(w, "fetch", 5)) {
			add_word(&s, w, wl);
			wc = (lex_skip_ws(c), cur_col(c));
			wl = lex_ident(c, &w);
		}
		if (!wl)
			return lex_err(c, wc, err,
				       "'%s' needs an operation: lock [fetch] "
				       "add|or|and|xor|xchg|cmpxchg[32] [%%rD+off], %%rS",
				       s.mnem);
		if (!add_word(&s, w, wl))
			return lex_err(c, wc, err, "unknown atomic operation '%.*s...'",
				       20, w);
	} else if (s.ml == 4 && !memcmp(s.mnem, "call", 4)) {
		const char *save = c->p;
		wl = lex_ident(c, &w);
		if (wl == 5 && !memcmp(w, "local", 5))
			s.local = true;
		else
			c->p = save;
	}
	if (!lex_at_end(c)) {
		for (;;) {
			if (s.nop == MAX_OPERANDS)
				return lex_err(c, (lex_skip_ws(c), cur_col(c)), err,
					       "too many operands for '%s'", s.mnem);
			enum graft_status r = lex_operand(c, &s.op[s.nop], err);
			if (r)
				return r;
			s.nop++;
			lex_skip_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			break;
		}
		if (!lex_at_end(c))
			return lex_err(c, cur_col(c), err,
				       "unexpected text after the operands of '%s'",
				       s.mnem);
	}
	if (s.ml == 4 && !memcmp(s.mnem, ".raw", 4))
		return asm_encode_raw(st, c, &s);
	return asm_encode(st, c, &s);
}

enum graft_status bpfasm_assemble(const char *text, size_t len,
				  struct ebpf_insn *out, size_t cap, size_t *n,
				  struct graft_err *err)
{
	if (n)
		*n = 0;
	if (!n || (!text && len) || (!out && cap))
		return graft_errf(err, GRAFT_EINVAL, "bpfasm_assemble: bad arguments");
	struct label cache[LABEL_CACHE];
	struct asm_state st = {
		.text = text ? text : "", .text_end = (text ? text : "") + len,
		.out = out, .cap = cap, .err = err, .labels = cache,
	};
	note_labels(&st);
	const char *pos = st.text;
	for (unsigned ln = 1; pos < st.text_end; ln++) {
		struct cursor c;
		lex_line(&c, &pos, st.text_end, ln);
		enum graft_status r = parse_line(&st, &c);
		if (r)
			return r;
	}
	*n = st.n;
	return GRAFT_OK;
}

