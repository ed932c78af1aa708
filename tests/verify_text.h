/*
 * tests/verify_text.h — a small reader for the programs in the verifier's
 * test data, in the conformance suite's assembly syntax (`mov %r0, 1`,
 * `ldxw %r2, [%r1+4]`, `jgt %r3, %r2, +5` or a label, `lddw %r1, map:0`
 * for a map reference, `lddw %r1, mapval:0+8` for a map value address,
 * `raw CODE DST SRC OFF IMM` for any encoding at all).
 * It is driven by the opcode table, so it knows every instruction; it
 * exists so the verifier's tests do not wait on lib/asm.
 */
#ifndef GRAFT_TESTS_VERIFY_TEXT_H
#define GRAFT_TESTS_VERIFY_TEXT_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"

struct vt_label {
	char name[32];
	int pc;
};

static int vt_reg(const char **p)
{
	while (isspace((unsigned char)**p) || **p == ',')
		(*p)++;
	if ((*p)[0] != '%' || (*p)[1] != 'r')
		return -1;
	*p += 2;
	int r = (int)strtol(*p, (char **)p, 10);
	return r >= 0 && r <= 10 ? r : -1;
}

static int vt_is_reg(const char *p)
{
	while (isspace((unsigned char)*p) || *p == ',')
		p++;
	return p[0] == '%';
}

static long long vt_num(const char **p)
{
	while (isspace((unsigned char)**p) || **p == ',')
		(*p)++;
	return strtoll(*p, (char **)p, 0);
}

/* [%rN+off] */
static int vt_mem(const char **p, int *reg, int *off)
{
	while (isspace((unsigned char)**p) || **p == ',')
		(*p)++;
	if (**p != '[')
		return -1;
	(*p)++;
	*reg = vt_reg(p);
	*off = 0;
	if (**p == '+' || **p == '-')
		*off = (int)strtol(*p, (char **)p, 0);
	if (**p != ']' || *reg < 0)
		return -1;
	(*p)++;
	return 0;
}

/* A jump target: +N / -N, or a label (resolved in the second pass). */
static int vt_target(const char **p, const struct vt_label *lab, int nlab,
		     int pc, int *ok)
{
	while (isspace((unsigned char)**p) || **p == ',')
		(*p)++;
	if (**p == '+' || **p == '-' || isdigit((unsigned char)**p))
		return (int)strtol(*p, (char **)p, 0);
	char name[32];
	int k = 0;
	while ((isalnum((unsigned char)**p) || **p == '_') && k < 31)
		name[k++] = *(*p)++;
	name[k] = 0;
	for (int i = 0; i < nlab; i++)
		if (!strcmp(lab[i].name, name))
			return lab[i].pc - pc - 1;
	*ok = 0;
	return 0;
}

/*
 * Assemble text into out (cap slots). Returns the slot count, or -1 with
 * a message in err naming the line.
 */
static int vt_assemble(const char *text, struct ebpf_insn *out, int cap,
		       char *err, size_t errlen)
{
	struct vt_label lab[256];
	int nlab = 0;
	for (int pass = 0; pass < 2; pass++) {
		int pc = 0, lineno = 0;
		const char *line = text;
		while (*line) {
			const char *eol = strchr(line, '\n');
			size_t len = eol ? (size_t)(eol - line) : strlen(line);
			char buf[256];
			if (len >= sizeof buf)
				len = sizeof buf - 1;
			memcpy(buf, line, len);
			buf[len] = 0;
			line = eol ? eol + 1 : line + len;
			lineno++;
			char *hash = strchr(buf, '#');
			if (hash)
				*hash = 0;
			char *s = buf;
			while (isspace((unsigned char)*s))
				s++;
			if (!*s)
				continue;
			char *colon = strchr(s, ':');
			if (colon && !strchr(s, ' ') && colon[1] == 0) {
				if (pass == 0 && nlab < 256) {
					*colon = 0;
					snprintf(lab[nlab].name, 32, "%.31s", s);
					lab[nlab++].pc = pc;
				}
				continue;
			}
			/* mnemonic: up to '[' for lock ops, else first word */
			char mn[32];
			const char *p = s;
			int k = 0;
			if (!strncmp(s, "lock ", 5)) {
				while (*p && *p != '[' && k < 31)
					mn[k++] = *p++;
				while (k && mn[k - 1] == ' ')
					k--;
			} else {
				while (*p && !isspace((unsigned char)*p) && k < 31)
					mn[k++] = *p++;
			}
			mn[k] = 0;
			if (!strcmp(mn, "raw")) {
				/* raw CODE DST SRC OFF IMM: any bytes at all */
				if (pc + 1 > cap)
					return -1;
				struct ebpf_insn r;
				memset(&r, 0, sizeof r);
				r.code = (uint8_t)vt_num(&p);
				r.dst = (uint8_t)(vt_num(&p) & 15);
				r.src = (uint8_t)(vt_num(&p) & 15);
				r.off = (int16_t)vt_num(&p);
				r.imm = (int32_t)vt_num(&p);
				out[pc++] = r;
				continue;
			}
			int want = -1;
			if (!strcmp(mn, "call")) {
				const char *q = p;
				while (isspace((unsigned char)*q))
					q++;
				want = *q == '%' ? EBPF_FMT_CALLX :
				       !strncmp(q, "local", 5) ? EBPF_FMT_CALL_LOCAL :
				       EBPF_FMT_CALL;
				if (want == EBPF_FMT_CALL_LOCAL)
					p = q + 5;
			}
			int op = -1;
			for (int i = 0; i < EBPF_OP_COUNT; i++) {
				const struct ebpf_opinfo *e = &ebpf_opinfo[i];
				if (strcmp(e->mnem, mn))
					continue;
				if (want >= 0 && e->fmt != want)
					continue;
				if (e->fmt == EBPF_FMT_ALU_REG ||
				    e->fmt == EBPF_FMT_JCOND_REG) {
					const char *q = p;
					vt_reg(&q);
					if (!vt_is_reg(q))
						continue;
				}
				if (e->fmt == EBPF_FMT_ALU_IMM ||
				    e->fmt == EBPF_FMT_JCOND_IMM) {
					const char *q = p;
					vt_reg(&q);
					if (vt_is_reg(q))
						continue;
				}
				op = i;
				break;
			}
			if (op < 0) {
				snprintf(err, errlen, "line %d: unknown '%s'",
					 lineno, mn);
				return -1;
			}
			if (pc + 2 > cap) {
				snprintf(err, errlen, "line %d: too long", lineno);
				return -1;
			}
			const struct ebpf_opinfo *e = &ebpf_opinfo[op];
			struct ebpf_insn in;
			memset(&in, 0, sizeof in);
			in.code = e->code;
			int d = 0, sr = 0, off = 0, ok = 1;
			long long imm = 0;
			switch (e->fmt) {
			case EBPF_FMT_ALU_REG:
				d = vt_reg(&p), sr = vt_reg(&p);
				ok = d >= 0 && sr >= 0;
				break;
			case EBPF_FMT_ALU_IMM:
				d = vt_reg(&p), imm = vt_num(&p);
				ok = d >= 0;
				break;
			case EBPF_FMT_NEG:
			case EBPF_FMT_END:
			case EBPF_FMT_CALLX:
				d = vt_reg(&p);
				ok = d >= 0;
				break;
			case EBPF_FMT_JA:
				off = vt_target(&p, lab, nlab, pc, &ok);
				break;
			case EBPF_FMT_JA32:
				imm = vt_target(&p, lab, nlab, pc, &ok);
				break;
			case EBPF_FMT_JCOND_IMM:
				d = vt_reg(&p), imm = vt_num(&p);
				off = vt_target(&p, lab, nlab, pc, &ok);
				ok = ok && d >= 0;
				break;
			case EBPF_FMT_JCOND_REG:
				d = vt_reg(&p), sr = vt_reg(&p);
				off = vt_target(&p, lab, nlab, pc, &ok);
				ok = ok && d >= 0 && sr >= 0;
				break;
			case EBPF_FMT_CALL:
				imm = vt_num(&p);
				break;
			case EBPF_FMT_CALL_LOCAL:
				sr = 1;
				imm = vt_target(&p, lab, nlab, pc, &ok);
				break;
			case EBPF_FMT_EXIT:
				break;
			case EBPF_FMT_LDDW: {
				d = vt_reg(&p);
				while (isspace((unsigned char)*p) || *p == ',')
					p++;
				long long hi = 0;
				if (!strncmp(p, "map:", 4)) {
					p += 4;
					sr = EBPF_PSEUDO_MAP_IDX;
					imm = strtoll(p, (char **)&p, 0);
				} else if (!strncmp(p, "mapval:", 7)) {
					p += 7;
					sr = EBPF_PSEUDO_MAP_IDX_VALUE;
					imm = strtoll(p, (char **)&p, 0);
					hi = strtoll(p, (char **)&p, 0);
				} else {
					unsigned long long u = *p == '-' ?
						(unsigned long long)strtoll(p, (char **)&p, 0) :
						strtoull(p, (char **)&p, 0);
					imm = (int32_t)(uint32_t)u;
					hi = (int32_t)(uint32_t)(u >> 32);
				}
				ok = d >= 0;
				in.dst = (uint8_t)d, in.src = (uint8_t)sr;
				in.imm = (int32_t)imm;
				out[pc] = in;
				memset(&out[pc + 1], 0, sizeof in);
				out[pc + 1].imm = (int32_t)hi;
				if (!ok) {
					snprintf(err, errlen, "line %d: bad lddw",
						 lineno);
					return -1;
				}
				pc += 2;
				continue;
			}
			case EBPF_FMT_LD_ABS:
				imm = vt_num(&p);
				break;
			case EBPF_FMT_LD_IND:
				sr = vt_reg(&p), imm = vt_num(&p);
				ok = sr >= 0;
				break;
			case EBPF_FMT_LDX:
				d = vt_reg(&p);
				ok = d >= 0 && !vt_mem(&p, &sr, &off);
				break;
			case EBPF_FMT_ST:
				ok = !vt_mem(&p, &d, &off);
				imm = vt_num(&p);
				break;
			case EBPF_FMT_STX:
			case EBPF_FMT_ATOMIC:
				ok = !vt_mem(&p, &d, &off);
				sr = vt_reg(&p);
				ok = ok && sr >= 0;
				break;
			}
			if (!ok && pass == 1) {
				snprintf(err, errlen, "line %d: bad operands",
					 lineno);
				return -1;
			}
			if (e->sel == EBPF_SEL_OFF)
				off = e->selval;
			else if (e->sel == EBPF_SEL_IMM)
				imm = e->selval;
			else if (e->sel == EBPF_SEL_SRC)
				sr = e->selval;
			in.dst = (uint8_t)(d < 0 ? 0 : d);
			in.src = (uint8_t)(sr < 0 ? 0 : sr);
			in.off = (int16_t)off;
			in.imm = (int32_t)imm;
			out[pc++] = in;
		}
		if (pass == 1)
			return pc;
	}
	return -1;
}

#endif
