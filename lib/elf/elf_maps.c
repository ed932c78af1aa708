/*
 * The maps of an object: BTF-defined (`.maps`, see elf_btf.c), legacy
 * (`maps`: struct bpf_map_def, one per symbol, the record size being the
 * section size over the symbol count, as libbpf had it) and one array per
 * data section (.data*, .bss*, .rodata*): key 4, one entry holding the
 * whole section, read-only to programs for .rodata*.
 */
#include "elf_internal.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static bool prefix(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre)) &&
	       (s[strlen(pre)] == 0 || s[strlen(pre)] == '.');
}

static enum graft_status legacy_maps(struct eparse *p)
{
	struct esec *s = &p->sec[p->legacy_sec];
	struct graft_elf *e = p->e;
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->nsym; i++)
		n += p->sym[i].shndx == p->legacy_sec &&
		     p->sym[i].type != STT_SECTION_;
	if (!n || !s->data)
		return s->size ? graft_errf(p->err, GRAFT_EINVAL,
					    "section maps: no map symbols")
			       : GRAFT_OK;
	uint64_t rec = s->size / n;
	if (rec < 20 || s->size % n)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section maps: %llu bytes for %u maps",
				  (unsigned long long)s->size, n);
	for (uint32_t i = 0; i < p->nsym; i++) {
		struct esym *y = &p->sym[i];
		if (y->shndx != p->legacy_sec || y->type == STT_SECTION_)
			continue;
		if (y->value % rec)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section maps: symbol %s at offset %llu "
					  "is not on a %llu-byte record", y->name,
					  (unsigned long long)y->value,
					  (unsigned long long)rec);
		if (e->nmaps == GRAFT_ELF_MAX_MAPS)
			return graft_errf(p->err, GRAFT_ENOMEM, "too many maps");
		if (!y->name[0] || strlen(y->name) >= GRAFT_ELF_NAME)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section maps: bad map name at %llu",
					  (unsigned long long)y->value);
		size_t mi = e->nmaps++;
		struct graft_elf_map *m = &e->maps[mi];
		const uint8_t *d = s->data + y->value;
		memcpy(m->name, y->name, strlen(y->name) + 1);
		m->kind = GRAFT_ELF_MAP_LEGACY;
		m->section = s->name;
		m->def = (struct graft_map_def){ rd32(d), rd32(d + 4), rd32(d + 8),
						 rd32(d + 12), rd32(d + 16) };
		p->map_off[mi] = y->value;
		p->map_size[mi] = rec;
		p->map_values_off[mi] = -1;
	}
	return GRAFT_OK;
}

static enum graft_status data_maps(struct eparse *p)
{
	struct graft_elf *e = p->e;
	for (uint32_t i = 1; i < p->nsec; i++) {
		struct esec *s = &p->sec[i];
		bool ro = prefix(s->name, ".rodata");
		if (!(s->flags & SHF_ALLOC_) || (s->flags & SHF_EXECINSTR_) ||
		    !(ro || prefix(s->name, ".data") || prefix(s->name, ".bss")) ||
		    !s->size)
			continue;
		if (s->size > GRAFT_MAP_MAX_VALUE)
			return graft_errf(p->err, GRAFT_ENOMEM,
					  "section %s: %llu bytes, the limit is %u",
					  s->name, (unsigned long long)s->size,
					  GRAFT_MAP_MAX_VALUE);
		if (e->nmaps == GRAFT_ELF_MAX_MAPS)
			return graft_errf(p->err, GRAFT_ENOMEM, "too many maps");
		if (strlen(s->name) >= GRAFT_ELF_NAME)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section name %.40s... too long", s->name);
		size_t mi = e->nmaps++;
		struct graft_elf_map *m = &e->maps[mi];
		memcpy(m->name, s->name, strlen(s->name) + 1);
		m->kind = GRAFT_ELF_MAP_DATA;
		m->section = s->name;
		m->def = (struct graft_map_def){
			GRAFT_MAP_ARRAY, 4, (uint32_t)s->size, 1,
			ro ? GRAFT_F_RDONLY_PROG : 0 };
		if (s->data) {
			if (!(m->init = elf_alloc(e, s->size)))
				return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
			memcpy(m->init, s->data, s->size);
		}
		p->map_values_off[mi] = -1;
		s->map = (int)mi;
	}
	return GRAFT_OK;
}

enum graft_status elf_read_maps(struct eparse *p)
{
	struct graft_elf *e = p->e;
	e->maps = elf_alloc(e, GRAFT_ELF_MAX_MAPS * sizeof *e->maps);
	if (!e->maps)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	enum graft_status st = GRAFT_OK;
	if (p->maps_sec >= 0 && p->sec[p->maps_sec].size)
		st = elf_btf_maps(p);
	if (!st && p->legacy_sec >= 0)
		st = legacy_maps(p);
	if (!st)
		st = data_maps(p);
	for (size_t i = 0; !st && i < e->nmaps; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(e->maps[i].name, e->maps[j].name))
				return graft_errf(p->err, GRAFT_EINVAL,
						  "two maps named %s", e->maps[i].name);
	return st;
}
