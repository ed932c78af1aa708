/*
 * Relocations. Code: R_BPF_64_64 on an lddw turns a map symbol into
 * src = EBPF_PSEUDO_MAP_IDX and a data-section symbol into
 * EBPF_PSEUDO_MAP_IDX_VALUE (offset = symbol value + the imm clang left);
 * R_BPF_64_32 on a bpf-to-bpf call records its target, st_value/8 + imm + 1
 * instructions into the symbol's section (the rule libbpf applies; clang 14
 * emits it both for global functions, imm = -1, and for static ones
 * through the section symbol). Calls without a relocation stay inside
 * their section. `.maps`: 64-bit pointers to programs fill a program
 * array's `.values`. Data sections: 64-bit pointers to data become
 * graft_elf_datarel. Relocations of debug sections are ignored.
 */
#include "elf_internal.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

#define MAX_RELOCS (1u << 20)

static int map_at(struct eparse *p, int shndx, uint64_t off, bool inside)
{
	struct graft_elf *e = p->e;
	for (size_t i = 0; i < e->nmaps; i++) {
		if (e->maps[i].kind == GRAFT_ELF_MAP_DATA ||
		    (e->maps[i].kind == GRAFT_ELF_MAP_BTF) != (shndx == p->maps_sec))
			continue;
		if (off == p->map_off[i] ||
		    (inside && off - p->map_off[i] < p->map_size[i]))
			return (int)i;
	}
	return -1;
}

static enum graft_status code_reloc(struct eparse *p, struct esec *t,
				    uint64_t off, uint32_t type,
				    const struct esym *y, const char **what)
{
	struct ebpf_insn *in = &t->code[off / 8];
	uint64_t n = t->size / 8, idx = off / 8;
	if (type == R_BPF_64_64) {
		if (in->code != 0x18 || idx + 1 >= n)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s offset %llu: 64-bit "
					  "relocation on an instruction that is "
					  "no lddw", t->name,
					  (unsigned long long)off);
		if (y->shndx == SHN_UNDEF_)
			return graft_errf(p->err, GRAFT_ENOTSUP,
					  "section %s offset %llu: extern symbol "
					  "%s (ksym/kconfig) not supported",
					  t->name, (unsigned long long)off, y->name);
		if (y->shndx >= p->nsec)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s offset %llu: symbol %s has "
					  "no section", t->name,
					  (unsigned long long)off, y->name);
		struct esec *ys = &p->sec[y->shndx];
		if (y->shndx == p->maps_sec || y->shndx == p->legacy_sec) {
			int mi = map_at(p, y->shndx, y->value, false);
			if (mi < 0)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section %s offset %llu: no map at "
						  "%s+%llu", t->name,
						  (unsigned long long)off, ys->name,
						  (unsigned long long)y->value);
			in->src = EBPF_PSEUDO_MAP_IDX;
			in->imm = mi;
			*what = "map";
			return GRAFT_OK;
		}
		if (ys->map >= 0) {
			uint64_t at = y->value + (uint64_t)(int64_t)in->imm;
			if (at >= ys->size)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section %s offset %llu: offset %lld "
						  "outside %s", t->name,
						  (unsigned long long)off,
						  (long long)at, ys->name);
			in->src = EBPF_PSEUDO_MAP_IDX_VALUE;
			in->imm = ys->map;
			in[1].imm = (int32_t)at;
			*what = "data";
			return GRAFT_OK;
		}
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "section %s offset %llu: lddw of %s in section "
				  "%s (no map or data) not supported", t->name,
				  (unsigned long long)off, y->name, ys->name);
	}
	if (type == R_BPF_64_32) {
		if (in->code != 0x85)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s offset %llu: call relocation "
					  "on an instruction that is no call",
					  t->name, (unsigned long long)off);
		if (y->shndx == SHN_UNDEF_ || in->src == EBPF_CALL_KFUNC)
			return graft_errf(p->err, GRAFT_ENOTSUP,
					  "section %s offset %llu: call of kfunc "
					  "%s not supported", t->name,
					  (unsigned long long)off, y->name);
		if (y->shndx >= p->nsec ||
		    !(p->sec[y->shndx].flags & SHF_EXECINSTR_) ||
		    !p->sec[y->shndx].code || in->src != EBPF_CALL_LOCAL)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s offset %llu: call target %s "
					  "is no function", t->name,
					  (unsigned long long)off, y->name);
		int64_t tgt = (int64_t)(y->value / 8) + in->imm + 1;
		if (tgt < 0 || (uint64_t)tgt >= p->sec[y->shndx].size / 8)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s offset %llu: call target "
					  "%lld outside %s", t->name,
					  (unsigned long long)off, (long long)tgt,
					  p->sec[y->shndx].name);
		t->call_sec[idx] = y->shndx;
		t->call_off[idx] = (uint32_t)tgt;
		*what = "call";
		return GRAFT_OK;
	}
	return graft_errf(p->err, GRAFT_ENOTSUP,
			  "section %s offset %llu: relocation type %u not "
			  "supported in code", t->name, (unsigned long long)off,
			  type);
}

static enum graft_status maps_reloc(struct eparse *p, uint64_t off,
				    uint32_t type, uint32_t symi)
{
	struct graft_elf *e = p->e;
	int mi = map_at(p, p->maps_sec, off, true);
	if (type != R_BPF_64_ABS64 || mi < 0 || p->map_values_off[mi] < 0 ||
	    off < p->map_off[mi] + (uint64_t)p->map_values_off[mi] ||
	    (off - p->map_off[mi] - (uint64_t)p->map_values_off[mi]) % 8)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .maps offset %llu: relocation (type "
				  "%u) outside a map's .values", 
				  (unsigned long long)off, type);
	struct graft_elf_map *m = &e->maps[mi];
	if (!m->init_slot) {
		m->init_slot = elf_alloc(e, m->def.max_entries * 4ull + 4);
		m->init_prog = elf_alloc(e, m->def.max_entries * 4ull + 4);
		if (!m->init_slot || !m->init_prog)
			return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	}
	uint64_t slot = (off - p->map_off[mi] - (uint64_t)p->map_values_off[mi]) / 8;
	if (slot >= m->def.max_entries || m->ninit_progs >= m->def.max_entries)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "map %s: .values slot %llu beyond max_entries",
				  m->name, (unsigned long long)slot);
	m->init_slot[m->ninit_progs] = (uint32_t)slot;
	m->init_prog[m->ninit_progs++] = symi; /* made a program index later */
	return GRAFT_OK;
}

static enum graft_status data_reloc(struct eparse *p, struct esec *t,
				    uint64_t off, uint32_t type,
				    const struct esym *y)
{
	struct graft_elf *e = p->e;
	if (type != R_BPF_64_ABS64 || off > t->size || t->size - off < 8 ||
	    !t->data)
		return graft_errf(p->err, type == R_BPF_64_ABS64 ? GRAFT_EINVAL
								 : GRAFT_ENOTSUP,
				  "section %s offset %llu: relocation type %u "
				  "not supported in data", t->name,
				  (unsigned long long)off, type);
	if (y->shndx >= p->nsec || p->sec[y->shndx].map < 0)
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "section %s offset %llu: pointer to %s, which "
				  "is no data", t->name, (unsigned long long)off,
				  y->name);
	uint64_t at = y->value + rd64(t->data + off);
	if (at >= p->sec[y->shndx].size)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section %s offset %llu: pointer outside %s",
				  t->name, (unsigned long long)off,
				  p->sec[y->shndx].name);
	e->datarels[e->ndatarels++] = (struct graft_elf_datarel){
		(uint32_t)t->map, (uint32_t)off, (uint32_t)p->sec[y->shndx].map,
		(uint32_t)at };
	return GRAFT_OK;
}

enum graft_status elf_relocate(struct eparse *p)
{
	struct graft_elf *e = p->e;
	uint64_t total = 0;
	for (uint32_t i = 1; i < p->nsec; i++) {
		struct esec *s = &p->sec[i];
		if (s->type == SHT_RELA_)
			return graft_errf(p->err, GRAFT_ENOTSUP,
					  "section %s: RELA relocations not "
					  "supported", s->name);
		if (s->type == SHT_REL_)
			total += s->size / 16;
		if ((s->flags & SHF_EXECINSTR_) && s->type == SHT_PROGBITS_) {
			uint64_t n = s->size / 8;
			s->code = elf_alloc(e, n * 8 + 8);
			s->call_sec = elf_alloc(e, n * 4 + 4);
			s->call_off = elf_alloc(e, n * 4 + 4);
			if (!s->code || !s->call_sec || !s->call_off)
				return graft_errf(p->err, GRAFT_ENOMEM,
						  "out of memory");
			memcpy(s->code, s->data, n * 8);
			for (uint64_t k = 0; k < n; k++)
				s->call_sec[k] = -1;
		}
	}
	if (total > MAX_RELOCS)
		return graft_errf(p->err, GRAFT_EINVAL, "too many relocations");
	e->relocs = elf_alloc(e, (total + 1) * sizeof *e->relocs);
	e->datarels = elf_alloc(e, (total + 1) * sizeof *e->datarels);
	if (!e->relocs || !e->datarels)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	for (uint32_t i = 1; i < p->nsec; i++) {
		struct esec *r = &p->sec[i];
		if (r->type != SHT_REL_)
			continue;
		if (r->entsize != 16 || r->size % 16 || r->info >= p->nsec ||
		    !r->data)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s: bad relocation section "
					  "(entry size %llu, target %u)", r->name,
					  (unsigned long long)r->entsize, r->info);
		struct esec *t = &p->sec[r->info];
		bool code = t->code != NULL, maps = (int)r->info == p->maps_sec;
		bool data = t->map >= 0;
		if (!code && !maps && !data)
			continue; /* debug info, BTF */
		for (uint64_t k = 0; k < r->size / 16; k++) {
			uint64_t off = rd64(r->data + 16 * k);
			uint32_t type = rd32(r->data + 16 * k + 8);
			uint32_t symi = rd32(r->data + 16 * k + 12);
			if (symi >= p->nsym)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section %s entry %llu: symbol %u "
						  "out of range", r->name,
						  (unsigned long long)k, symi);
			if (off >= t->size || (code && off % 8))
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section %s entry %llu: offset %llu "
						  "outside %s", r->name,
						  (unsigned long long)k,
						  (unsigned long long)off, t->name);
			const char *what = "data";
			enum graft_status st =
				code ? code_reloc(p, t, off, type, &p->sym[symi], &what)
				: maps ? maps_reloc(p, off, type, symi)
				       : data_reloc(p, t, off, type, &p->sym[symi]);
			if (st)
				return st;
			const char *sym = elf_strdup(e, p->sym[symi].name);
			if (!sym)
				return graft_errf(p->err, GRAFT_ENOMEM,
						  "out of memory");
			e->relocs[e->nrelocs++] = (struct graft_elf_reloc){
				t->name, off, type, sym, maps ? "prog" : what };
		}
	}
	return GRAFT_OK;
}
