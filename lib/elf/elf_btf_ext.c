/*
 * .BTF.ext: func_info and line_info are kept (copied) so a program's pc
 * can be named by its C source line; a CO-RE relocation block with any
 * record is refused, naming the section and instruction offset, since
 * graft has no kernel types to relocate against.
 */
#include "elf_internal.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Walk one info block: rec_size, then {sec_name_off, num, records}. */
static enum graft_status walk(struct eparse *p, const uint8_t *blk,
			      uint32_t len, const char *what, uint32_t minrec,
			      uint32_t *total, struct btf_lsec *out,
			      uint32_t *nout)
{
	const struct elf_btf *b = p->e->btf;
	if (len == 0)
		return GRAFT_OK;
	if (len < 4)
		return graft_errf(p->err, GRAFT_EINVAL,
				  ".BTF.ext %s: truncated", what);
	uint32_t rec = rd32(blk), at = 4;
	if (rec < minrec || rec > 256 || rec % 4)
		return graft_errf(p->err, GRAFT_EINVAL,
				  ".BTF.ext %s: record size %u", what, rec);
	while (at < len) {
		if (len - at < 8)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".BTF.ext %s: truncated at %u", what, at);
		const char *sec = btf_str(b, rd32(blk + at));
		uint32_t n = rd32(blk + at + 4);
		if (!sec)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".BTF.ext %s: bad section name at %u",
					  what, at);
		at += 8;
		if ((uint64_t)n * rec > len - at)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".BTF.ext %s: %u records of %u bytes "
					  "for %s run past the end", what, n, rec,
					  sec);
		if (!strcmp(what, "core_relo") && n)
			return graft_errf(p->err, GRAFT_ENOTSUP,
					  "section %s offset %u: CO-RE relocation "
					  "not supported", sec, rd32(blk + at));
		if (out && rec == 16) {
			out[*nout] = (struct btf_lsec){ sec, n, blk + at };
			++*nout;
		}
		*total += n;
		at += n * rec;
	}
	return GRAFT_OK;
}

enum graft_status elf_btf_ext_parse(struct eparse *p)
{
	if (p->btf_ext_sec < 0)
		return GRAFT_OK;
	struct esec *s = &p->sec[p->btf_ext_sec];
	struct graft_elf *e = p->e;
	struct elf_btf *b = e->btf;
	if (!b)
		return graft_errf(p->err, GRAFT_EINVAL, ".BTF.ext without .BTF");
	if (!s->data || s->size < 24)
		return graft_errf(p->err, GRAFT_EINVAL, ".BTF.ext: truncated header");
	if (!(b->ext = elf_alloc(e, s->size)))
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	memcpy(b->ext, s->data, s->size);
	const uint8_t *d = b->ext;
	uint32_t hdr = rd32(d + 4);
	if ((d[0] | d[1] << 8) != 0xeb9f || hdr < 24 || hdr > s->size)
		return graft_errf(p->err, GRAFT_EINVAL,
				  ".BTF.ext: bad magic or header length");
	uint64_t body = s->size - hdr;
	struct { uint32_t off, len; const char *what; uint32_t min; } blk[3] = {
		{ rd32(d + 8), rd32(d + 12), "func_info", 8 },
		{ rd32(d + 16), rd32(d + 20), "line_info", 16 },
		{ 0, 0, "core_relo", 16 },
	};
	if (hdr >= 32) {
		blk[2].off = rd32(d + 24);
		blk[2].len = rd32(d + 28);
	}
	for (int i = 0; i < 3; i++)
		if ((uint64_t)blk[i].off + blk[i].len > body)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".BTF.ext %s: offset %u length %u out "
					  "of range", blk[i].what, blk[i].off,
					  blk[i].len);
	uint32_t nsec_max = blk[1].len / 8 + 1;
	b->lines = elf_alloc(e, nsec_max * sizeof *b->lines);
	if (!b->lines)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	enum graft_status st;
	st = walk(p, d + hdr + blk[0].off, blk[0].len, blk[0].what, 8,
		  &e->btf_func_info, NULL, NULL);
	if (!st)
		st = walk(p, d + hdr + blk[1].off, blk[1].len, blk[1].what, 16,
			  &e->btf_line_info, b->lines, &b->nlines);
	if (!st) {
		uint32_t ncore = 0;
		st = walk(p, d + hdr + blk[2].off, blk[2].len, blk[2].what, 16,
			  &ncore, NULL, NULL);
	}
	return st;
}

bool graft_elf_line(const struct graft_elf *e, size_t prog, uint32_t pc,
		    const char **file, uint32_t *line, const char **text)
{
	if (!e->btf || prog >= e->nprogs)
		return false;
	const struct graft_elf_prog *g = &e->progs[prog];
	const struct graft_elf_piece *pc_piece = NULL;
	for (size_t i = 0; i < g->npieces; i++)
		if (pc >= g->pieces[i].pc && pc - g->pieces[i].pc < g->pieces[i].len)
			pc_piece = &g->pieces[i];
	if (!pc_piece)
		return false;
	const char *sec = e->sections[pc_piece->section].name;
	uint64_t want = 8ull * (pc_piece->sec_insn + (pc - pc_piece->pc));
	const uint8_t *best = NULL;
	for (uint32_t i = 0; i < e->btf->nlines; i++) {
		const struct btf_lsec *l = &e->btf->lines[i];
		if (strcmp(l->sec, sec))
			continue;
		for (uint32_t k = 0; k < l->n; k++) {
			const uint8_t *r = l->recs + 16ull * k;
			if (rd32(r) <= want && (!best || rd32(r) >= rd32(best)))
				best = r;
		}
	}
	if (!best)
		return false;
	*file = btf_str(e->btf, rd32(best + 4));
	*text = btf_str(e->btf, rd32(best + 8));
	*line = rd32(best + 12) >> 10;
	return *file != NULL;
}
