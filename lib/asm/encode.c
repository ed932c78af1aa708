/*
 * The encoder: a parsed statement to instruction slots, by the opcode
 * table. The mnemonic names table entries; the operand kinds pick one
 * (each format has an operand signature); numbers are range-checked for
 * the field they land in, with the suite's rules: a 32-bit immediate is
 * -2147483648..2147483647 in decimal but may be 0..0xffffffff in hex, an
 * offset is signed 16-bit, an lddw value any 64-bit number.
 */
#include <string.h>

#include "assemble.h"

static const char *fmt_signature(enum ebpf_fmt f)
{
	switch (f) {
	case EBPF_FMT_ALU_REG: return "RR";
	case EBPF_FMT_ALU_IMM: return "RN";
	case EBPF_FMT_NEG: return "R";
	case EBPF_FMT_END: return "R";
	case EBPF_FMT_JA: return "T";
	case EBPF_FMT_JA32: return "T";
	case EBPF_FMT_JCOND_IMM: return "RNT";
	case EBPF_FMT_JCOND_REG: return "RRT";
	case EBPF_FMT_CALL: return "N";
	case EBPF_FMT_CALL_LOCAL: return "T";
	case EBPF_FMT_CALLX: return "R";
	case EBPF_FMT_EXIT: return "";
	case EBPF_FMT_LDDW: return "RN";
	case EBPF_FMT_LD_ABS: return "N";
	case EBPF_FMT_LD_IND: return "RN";
	case EBPF_FMT_LDX: return "RM";
	case EBPF_FMT_ST: return "MN";
	case EBPF_FMT_STX: return "MR";
	case EBPF_FMT_ATOMIC: return "MR";
	}
	return "";
}

static bool kind_fits(char want, enum operand_kind k)
{
	switch (want) {
	case 'R': return k == OPD_REG;
	case 'N': return k == OPD_NUM;
	case 'T': return k == OPD_NUM || k == OPD_LABEL;
	default: return k == OPD_MEM;
	}
}

static const char *kind_name(char want)
{
	switch (want) {
	case 'R': return "a register";
	case 'N': return "a number";
	case 'T': return "a jump offset (+N, -N) or a label";
	default: return "a memory operand like [%r1+4]";
	}
}

/* ---- numbers to fields ------------------------------------------------ */

/* Decimal is signed 32-bit; hex may also spell the upper half (0x80000000). */
static enum graft_status to_imm32(const struct cursor *c,
				  const struct number *n, unsigned col,
				  int32_t *out, struct graft_err *err)
{
	uint64_t lim = n->neg ? 0x80000000u : n->hex ? 0xffffffffu : 0x7fffffffu;
	if (n->mag > lim)
		return lex_err(c, col, err,
			       n->hex ? "immediate %s0x%llx does not fit in 32 bits "
					"(hex: up to 0xffffffff)"
				      : "immediate %s%llu does not fit in 32 bits "
					"(decimal: -2147483648 to 2147483647)",
			       n->neg ? "-" : "", (unsigned long long)n->mag);
	uint32_t v = (uint32_t)n->mag;
	*out = (int32_t)(n->neg ? 0u - v : v);
	return GRAFT_OK;
}

static enum graft_status to_imm64(const struct cursor *c,
				  const struct number *n, unsigned col,
				  uint64_t *out, struct graft_err *err)
{
	if (n->neg && n->mag > (1ull << 63))
		return lex_err(c, col, err,
			       "immediate does not fit in 64 bits (at least -2^63)");
	*out = n->neg ? 0 - n->mag : n->mag;
	return GRAFT_OK;
}

static enum graft_status to_off16(const struct cursor *c,
				  const struct number *n, unsigned col,
				  int16_t *out, struct graft_err *err)
{
	if (n->mag > (n->neg ? 32768u : 32767u))
		return lex_err(c, col, err,
			       "offset does not fit in 16 bits (-32768..32767)");
	*out = (int16_t)(n->neg ? -(int32_t)n->mag : (int32_t)n->mag);
	return GRAFT_OK;
}

static enum graft_status target(const struct asm_state *st,
				const struct cursor *c, const struct operand *op,
				bool wide, int32_t *out)
{
	if (op->kind == OPD_NUM) {
		if (wide)
			return to_imm32(c, &op->num, op->numcol, out, st->err);
		int16_t o = 0;
		enum graft_status s = to_off16(c, &op->num, op->numcol, &o, st->err);
		*out = o;
		return s;
	}
	size_t pc;
	int shown = op->namelen > 40 ? 40 : (int)op->namelen;
	if (!asm_find_label(st, op->name, op->namelen, 0, &pc))
		return lex_err(c, op->col, st->err, "unknown label '%.*s'", shown,
			       op->name);
	int64_t d = (int64_t)pc - (int64_t)st->n - 1;
	int64_t lo = wide ? INT32_MIN : INT16_MIN, hi = wide ? INT32_MAX : INT16_MAX;
	if (d < lo || d > hi)
		return lex_err(c, op->col, st->err,
			       "label '%.*s' is %lld instructions away, beyond a "
			       "%d-bit offset",
			       shown, op->name, (long long)d, wide ? 32 : 16);
	*out = (int32_t)d;
	return GRAFT_OK;
}

/* ---- mnemonics -------------------------------------------------------- */

/* The table entries for a mnemonic, with the suite's aliases. */
static size_t lookup(const char *m, size_t ml, enum ebpf_op found[8])
{
	size_t k = 0;
	for (unsigned i = 0; i < EBPF_OP_COUNT && k < 8; i++)
		if (strlen(ebpf_opinfo[i].mnem) == ml &&
		    !memcmp(ebpf_opinfo[i].mnem, m, ml))
			found[k++] = (enum ebpf_op)i;
	if (k)
		return k;
	char alias[40];
	if (ml > 4 && ml < 16 && !memcmp(m, "swap", 4)) { /* swap16 = bswap16 */
		alias[0] = 'b';
		memcpy(alias + 1, m, ml);
		return lookup(alias, ml + 1, found);
	}
	if (ml > 2 && ml < 16 && !memcmp(m + ml - 2, "64", 2) && /* add64 = add */
	    !(ml > 3 && m[ml - 3] >= '0' && m[ml - 3] <= '9')) {
		k = lookup(m, ml - 2, found);
		size_t j = 0;
		for (size_t i = 0; i < k; i++) {
			enum ebpf_fmt f = ebpf_opinfo[found[i]].fmt;
			if (f == EBPF_FMT_ALU_REG || f == EBPF_FMT_ALU_IMM ||
			    f == EBPF_FMT_NEG || f == EBPF_FMT_JCOND_IMM ||
			    f == EBPF_FMT_JCOND_REG)
				found[j++] = found[i];
		}
		return j;
	}
	return 0;
}

/* ---- encoding --------------------------------------------------------- */

static enum graft_status emit(struct asm_state *st, const struct cursor *c,
			      unsigned col, const struct ebpf_insn *in,
			      unsigned slots)
{
	if (st->cap - st->n < slots)
		return lex_err(c, col, st->err,
			       "program does not fit in %zu instruction slots",
			       st->cap);
	memcpy(st->out + st->n, in, slots * sizeof *in);
	st->n += slots;
	return GRAFT_OK;
}

/* `.raw 0xWORD`: one slot given as its 64-bit word (opcode in the low byte). */
enum graft_status asm_encode_raw(struct asm_state *st,
				    const struct cursor *c,
				    const struct stmt *s)
{
	if (s->nop != 1 || s->op[0].kind != OPD_NUM || s->op[0].num.neg)
		return lex_err(c, s->col, st->err,
			       "'.raw' takes one unsigned 64-bit word");
	uint64_t w = s->op[0].num.mag;
	struct ebpf_insn in = {
		.code = (uint8_t)w,
		.dst = (uint8_t)((w >> 8) & 0xf),
		.src = (uint8_t)((w >> 12) & 0xf),
		.off = (int16_t)(uint16_t)(w >> 16),
		.imm = (int32_t)(uint32_t)(w >> 32),
	};
	return emit(st, c, s->col, &in, 1);
}

/* Pick the entry whose operand signature the operands fit, or explain. */
static enum graft_status choose(const struct asm_state *st,
				const struct cursor *c, const struct stmt *s,
				const enum ebpf_op *cand, size_t k,
				enum ebpf_op *pick)
{
	size_t want = strlen(fmt_signature(ebpf_opinfo[cand[0]].fmt));
	if (s->nop != want)
		return lex_err(c, s->col, st->err,
			       "'%s' takes %zu operand%s, got %u", s->mnem, want,
			       want == 1 ? "" : "s", s->nop);
	for (size_t i = 0; i < k; i++) {
		const char *sig = fmt_signature(ebpf_opinfo[cand[i]].fmt);
		unsigned j = 0;
		while (j < s->nop && kind_fits(sig[j], s->op[j].kind))
			j++;
		if (j == s->nop) {
			*pick = cand[i];
			return GRAFT_OK;
		}
	}
	/* The first operand no entry accepts, and what would be accepted. */
	for (unsigned j = 0; j < s->nop; j++) {
		char seen[4] = { 0 };
		bool ok = false;
		for (size_t i = 0; i < k; i++) {
			char w = fmt_signature(ebpf_opinfo[cand[i]].fmt)[j];
			ok |= kind_fits(w, s->op[j].kind);
			if (!strchr(seen, w) && strlen(seen) < 3)
				seen[strlen(seen)] = w;
		}
		if (ok)
			continue;
		return lex_err(c, s->op[j].col, st->err,
			       "operand %u of '%s' must be %s%s%s", j + 1, s->mnem,
			       kind_name(seen[0]), seen[1] ? " or " : "",
			       seen[1] ? kind_name(seen[1]) : "");
	}
	return lex_err(c, s->col, st->err, "operands do not fit '%s'", s->mnem);
}

enum graft_status asm_encode(struct asm_state *st, const struct cursor *c,
				const struct stmt *s)
{
	enum ebpf_op cand[8];
	size_t k = lookup(s->mnem, s->ml, cand);
	if (!k)
		return lex_err(c, s->col, st->err, "unknown mnemonic '%s'", s->mnem);
	size_t j = 0; /* `call local` selects CALL_LOCAL, plain `call` the rest */
	for (size_t i = 0; i < k; i++)
		if ((ebpf_opinfo[cand[i]].fmt == EBPF_FMT_CALL_LOCAL) == s->local)
			cand[j++] = cand[i];
	if (!j)
		return lex_err(c, s->col, st->err, "'local' goes only with 'call'");
	enum ebpf_op id = EBPF_OP_COUNT;
	enum graft_status r = choose(st, c, s, cand, j, &id);
	if (r)
		return r;
	const struct ebpf_opinfo *e = &ebpf_opinfo[id];
	const struct operand *o = s->op;
	struct ebpf_insn in[2] = { { .code = e->code } };
	if (e->sel == EBPF_SEL_OFF)
		in[0].off = (int16_t)e->selval;
	else if (e->sel == EBPF_SEL_IMM)
		in[0].imm = e->selval;
	else if (e->sel == EBPF_SEL_SRC)
		in[0].src = (uint8_t)e->selval;
	struct graft_err *err = st->err;
	uint64_t v64 = 0;
	switch ((enum ebpf_fmt)e->fmt) {
	case EBPF_FMT_ALU_REG: in[0].dst = (uint8_t)o[0].reg; in[0].src = (uint8_t)o[1].reg; break;
	case EBPF_FMT_ALU_IMM:
		in[0].dst = (uint8_t)o[0].reg;
		r = to_imm32(c, &o[1].num, o[1].numcol, &in[0].imm, err);
		break;
	case EBPF_FMT_NEG:
	case EBPF_FMT_END:
	case EBPF_FMT_CALLX: in[0].dst = (uint8_t)o[0].reg; break;
	case EBPF_FMT_JA: {
		int32_t t = 0;
		r = target(st, c, &o[0], false, &t);
		in[0].off = (int16_t)t;
		break;
	}
	case EBPF_FMT_JA32:
	case EBPF_FMT_CALL_LOCAL: r = target(st, c, &o[0], true, &in[0].imm); break;
	case EBPF_FMT_JCOND_IMM:
	case EBPF_FMT_JCOND_REG: {
		int32_t t = 0;
		in[0].dst = (uint8_t)o[0].reg;
		if (e->fmt == EBPF_FMT_JCOND_REG)
			in[0].src = (uint8_t)o[1].reg;
		else
			r = to_imm32(c, &o[1].num, o[1].numcol, &in[0].imm, err);
		if (!r)
			r = target(st, c, &o[2], false, &t);
		in[0].off = (int16_t)t;
		break;
	}
	case EBPF_FMT_CALL:
	case EBPF_FMT_LD_ABS: r = to_imm32(c, &o[0].num, o[0].numcol, &in[0].imm, err); break;
	case EBPF_FMT_EXIT: break;
	case EBPF_FMT_LDDW:
		in[0].dst = (uint8_t)o[0].reg;
		r = to_imm64(c, &o[1].num, o[1].numcol, &v64, err);
		in[0].imm = (int32_t)(uint32_t)v64;
		in[1].imm = (int32_t)(uint32_t)(v64 >> 32);
		break;
	case EBPF_FMT_LD_IND:
		in[0].src = (uint8_t)o[0].reg;
		r = to_imm32(c, &o[1].num, o[1].numcol, &in[0].imm, err);
		break;
	case EBPF_FMT_LDX:
		in[0].dst = (uint8_t)o[0].reg;
		in[0].src = (uint8_t)o[1].reg;
		r = to_off16(c, &o[1].num, o[1].numcol, &in[0].off, err);
		break;
	case EBPF_FMT_ST:
		in[0].dst = (uint8_t)o[0].reg;
		r = to_off16(c, &o[0].num, o[0].numcol, &in[0].off, err);
		if (!r)
			r = to_imm32(c, &o[1].num, o[1].numcol, &in[0].imm, err);
		break;
	case EBPF_FMT_STX:
	case EBPF_FMT_ATOMIC:
		in[0].dst = (uint8_t)o[0].reg;
		in[0].src = (uint8_t)o[1].reg;
		r = to_off16(c, &o[0].num, o[0].numcol, &in[0].off, err);
		break;
	}
	if (r)
		return r;
	return emit(st, c, s->col, in, e->fmt == EBPF_FMT_LDDW ? 2 : 1);
}

/* Append a word of the mnemonic ("lock", "fetch", "add32") to s->mnem. */
