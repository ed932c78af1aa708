/*
 * Programs and linking. Every function symbol of an executable section
 * other than .text is a program (a section without function symbols is one
 * program named after it). A program's instructions are its function
 * followed by each function it calls, directly or not, appended once in
 * the order first called; every bpf-to-bpf call is re-aimed at the copy.
 * A call target that lies in no function symbol takes its whole section.
 */
#include <stdio.h>

#include "elf_internal.h"

#define MAX_PIECES 1024

struct func {
	uint32_t sec, start, len;
	const char *name;
};

struct funcs {
	struct func *f;
	uint32_t n;
};

static const struct func *func_at(struct eparse *p, struct funcs *fs,
				  uint32_t sec, uint32_t off, struct func *whole)
{
	for (uint32_t i = 0; i < fs->n; i++)
		if (fs->f[i].sec == sec && off >= fs->f[i].start &&
		    off - fs->f[i].start < fs->f[i].len)
			return &fs->f[i];
	*whole = (struct func){ sec, 0, (uint32_t)(p->sec[sec].size / 8),
				p->sec[sec].name };
	return whole;
}

static enum graft_status link_one(struct eparse *p, struct funcs *fs,
				  const struct func *main_fn,
				  struct graft_elf_prog *g)
{
	struct graft_elf *e = p->e;
	struct func pieces[64], *pc_list = pieces;
	uint32_t np = 0, cap = 64, total = 0;
	struct func *big = NULL;
	pc_list[np++] = *main_fn;
	total = main_fn->len;
	for (uint32_t k = 0; k < np; k++) {
		struct func cur = pc_list[k];
		struct esec *s = &p->sec[cur.sec];
		for (uint32_t j = cur.start; j < cur.start + cur.len; j++) {
			const struct ebpf_insn *in = &s->code[j];
			if (in->code != 0x85 || in->src != EBPF_CALL_LOCAL)
				continue;
			uint32_t ts = cur.sec;
			int64_t to = (int64_t)j + in->imm + 1;
			if (s->call_sec[j] >= 0) {
				ts = (uint32_t)s->call_sec[j];
				to = s->call_off[j];
			}
			if (to < 0 || (uint64_t)to >= p->sec[ts].size / 8)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section %s offset %u: call target "
						  "out of range", s->name, j * 8);
			struct func whole;
			const struct func *f = func_at(p, fs, ts, (uint32_t)to, &whole);
			bool have = false;
			for (uint32_t q = 0; q < np && !have; q++)
				have = pc_list[q].sec == f->sec &&
				       pc_list[q].start == f->start;
			if (have)
				continue;
			if (np == MAX_PIECES || total + f->len > EBPF_DEFAULT_MAX_INSNS)
				return graft_errf(p->err, GRAFT_ENOMEM,
						  "program %s: too many functions "
						  "or instructions", g->name);
			if (np == cap) {
				struct func *n2 = elf_alloc(e, 2 * cap * sizeof *n2);
				if (!n2)
					return graft_errf(p->err, GRAFT_ENOMEM,
							  "out of memory");
				memcpy(n2, pc_list, np * sizeof *n2);
				pc_list = big = n2;
				cap *= 2;
			}
			pc_list[np++] = *f;
			total += f->len;
		}
	}
	(void)big;
	g->insns = elf_alloc(e, (total + 1) * sizeof *g->insns);
	g->pieces = elf_alloc(e, np * sizeof *g->pieces);
	if (!g->insns || !g->pieces)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	uint32_t at = 0;
	for (uint32_t k = 0; k < np; k++) {
		const char *fn = elf_strdup(e, pc_list[k].name);
		if (!fn)
			return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
		g->pieces[k] = (struct graft_elf_piece){ at, pc_list[k].len,
			pc_list[k].sec, pc_list[k].start, fn };
		memcpy(g->insns + at, p->sec[pc_list[k].sec].code + pc_list[k].start,
		       pc_list[k].len * sizeof *g->insns);
		at += pc_list[k].len;
	}
	g->ninsns = total;
	g->npieces = np;
	/* Re-aim the calls: target's piece base + offset in it. */
	for (uint32_t k = 0; k < np; k++) {
		struct func cur = pc_list[k];
		struct esec *s = &p->sec[cur.sec];
		for (uint32_t j = 0; j < cur.len; j++) {
			uint32_t sj = cur.start + j, pcn = g->pieces[k].pc + j;
			struct ebpf_insn *in = &g->insns[pcn];
			if (in->code != 0x85 || in->src != EBPF_CALL_LOCAL)
				continue;
			uint32_t ts = cur.sec;
			int64_t to = (int64_t)sj + s->code[sj].imm + 1;
			if (s->call_sec[sj] >= 0) {
				ts = (uint32_t)s->call_sec[sj];
				to = s->call_off[sj];
			}
			for (uint32_t q = 0; q < np; q++) {
				if (pc_list[q].sec != ts || to < pc_list[q].start ||
				    to - pc_list[q].start >= pc_list[q].len)
					continue;
				int64_t dst = g->pieces[q].pc + (to - pc_list[q].start);
				in->imm = (int32_t)(dst - (int64_t)pcn - 1);
				break;
			}
		}
	}
	return GRAFT_OK;
}

enum graft_status elf_link_progs(struct eparse *p)
{
	struct graft_elf *e = p->e;
	struct funcs fs = { elf_alloc(e, (p->nsym + 1) * sizeof(struct func)), 0 };
	e->progs = elf_alloc(e, GRAFT_ELF_MAX_PROGS * sizeof *e->progs);
	uint32_t *prog_sym = elf_alloc(e, GRAFT_ELF_MAX_PROGS * 4);
	if (!fs.f || !e->progs || !prog_sym)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->nsym; i++) {
		struct esym *y = &p->sym[i];
		if (y->type != STT_FUNC_ || y->shndx >= p->nsec ||
		    !p->sec[y->shndx].code || y->value % 8 || y->size % 8)
			continue;
		fs.f[fs.n++] = (struct func){ y->shndx, (uint32_t)(y->value / 8),
					      (uint32_t)(y->size / 8), y->name };
	}
	for (uint32_t i = 1; i < p->nsec; i++) {
		struct esec *s = &p->sec[i];
		if (!s->code || !strcmp(s->name, ".text") || !s->size)
			continue;
		struct func whole = { i, 0, (uint32_t)(s->size / 8), s->name };
		bool any = false;
		for (uint32_t k = 0; k <= fs.n; k++) {
			const struct func *f = k < fs.n ? &fs.f[k] : &whole;
			if (k < fs.n && (f->sec != i || !f->len))
				continue;
			if (k == fs.n && any)
				break;
			any = true;
			if (e->nprogs == GRAFT_ELF_MAX_PROGS)
				return graft_errf(p->err, GRAFT_ENOMEM,
						  "more than %d programs",
						  GRAFT_ELF_MAX_PROGS);
			struct graft_elf_prog *g = &e->progs[e->nprogs];
			snprintf(g->name, sizeof g->name, "%s", f->name);
			g->section = s->name;
			enum graft_status st = link_one(p, &fs, f, g);
			if (st)
				return st;
			prog_sym[e->nprogs++] = f->start | (i << 20);
		}
	}
	/* Program arrays' initializers: symbol index -> program index. */
	for (size_t m = 0; m < e->nmaps; m++) {
		struct graft_elf_map *mp = &e->maps[m];
		for (uint32_t k = 0; k < mp->ninit_progs; k++) {
			struct esym *y = &p->sym[mp->init_prog[k]];
			uint32_t want = (uint32_t)(y->value / 8) | ((uint32_t)y->shndx << 20);
			size_t g = 0;
			while (g < e->nprogs && prog_sym[g] != want)
				g++;
			if (g == e->nprogs || y->type != STT_FUNC_)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "map %s: .values[%u] = %s is no "
						  "program", mp->name, mp->init_slot[k],
						  y->name);
			mp->init_prog[k] = (uint32_t)g;
		}
	}
	return GRAFT_OK;
}
