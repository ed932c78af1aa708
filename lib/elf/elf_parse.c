/*
 * graft_elf_open: the ELF container. Checks the header, every section's
 * bounds (and that no two sections overlap each other or the headers),
 * string indices, and the symbol table, then hands over to the map, BTF,
 * relocation and linking passes. All reads go through bounds-checked
 * helpers; nothing points into the caller's buffer afterwards except what
 * this file copies.
 */
#include "elf_internal.h"

struct chunk {
	struct chunk *next;
	uint64_t pad;
};

void *elf_alloc(struct graft_elf *e, size_t n)
{
	if (n > (256u << 20))
		return NULL;
	struct chunk *c = e->alloc.alloc(e->alloc.ud, sizeof *c + n);
	if (!c)
		return NULL;
	memset(c + 1, 0, n);
	c->next = e->chunks;
	e->chunks = c;
	return c + 1;
}

char *elf_strdup(struct graft_elf *e, const char *s)
{
	size_t n = strlen(s);
	char *d = elf_alloc(e, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

void graft_elf_close(struct graft_elf *e)
{
	if (!e)
		return;
	struct graft_alloc a = e->alloc;
	struct chunk *c = e->chunks;
	while (c) {
		struct chunk *next = c->next;
		a.free(a.ud, c);
		c = next;
	}
	a.free(a.ud, e);
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A NUL-terminated string at off inside string section s, or NULL. */
static const char *str_at(struct eparse *p, uint32_t s, uint64_t off)
{
	if (s >= p->nsec || p->sec[s].type != SHT_STRTAB_ || !p->sec[s].data ||
	    off >= p->sec[s].size)
		return NULL;
	const char *base = (const char *)p->sec[s].data;
	if (!memchr(base + off, 0, p->sec[s].size - off))
		return NULL;
	return base + off;
}

static enum graft_status read_header(struct eparse *p, uint64_t *shoff,
				     uint32_t *shnum, uint32_t *shstrndx)
{
	const uint8_t *b = p->buf;
	if (p->len < 64)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "truncated ELF header: %zu bytes, need 64",
				  p->len);
	if (memcmp(b, "\177ELF", 4))
		return graft_errf(p->err, GRAFT_EINVAL, "not an ELF file");
	if (b[4] != 2 || b[5] != 1)
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "ELF class %u data %u: need ELF64 little-endian",
				  b[4], b[5]);
	if (rd16(b + 16) != 1)
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "ELF type %u: need a relocatable object (1)",
				  rd16(b + 16));
	if (rd16(b + 18) != 247)
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "ELF machine %u: need EM_BPF (247)", rd16(b + 18));
	*shoff = rd64(b + 40);
	uint16_t shentsize = rd16(b + 58);
	*shnum = rd16(b + 60);
	*shstrndx = rd16(b + 62);
	if (shentsize != 64)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section header size %u, need 64", shentsize);
	if (*shnum == 0 || *shnum > GRAFT_ELF_MAX_SECTIONS)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section count %u out of range 1..%u", *shnum,
				  GRAFT_ELF_MAX_SECTIONS);
	if (*shoff < 64 || *shoff > p->len || p->len - *shoff < 64ull * *shnum)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section headers at offset %llu (%u of them) "
				  "run past the end of the %zu-byte file",
				  (unsigned long long)*shoff, *shnum, p->len);
	if (*shstrndx >= *shnum)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section name table index %u out of range",
				  *shstrndx);
	return GRAFT_OK;
}

enum graft_status elf_read_sections(struct eparse *p)
{
	uint64_t shoff = 0;
	uint32_t shnum = 0, shstrndx = 0;
	enum graft_status st = read_header(p, &shoff, &shnum, &shstrndx);
	if (st)
		return st;
	struct graft_elf *e = p->e;
	p->sec = elf_alloc(e, shnum * sizeof *p->sec);
	e->sections = elf_alloc(e, shnum * sizeof *e->sections);
	if (!p->sec || !e->sections)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	p->nsec = shnum;
	e->nsections = shnum;
	for (uint32_t i = 0; i < shnum; i++) {
		const uint8_t *h = p->buf + shoff + 64ull * i;
		struct esec *s = &p->sec[i];
		s->type = rd32(h + 4);
		s->flags = (uint32_t)rd64(h + 8);
		s->offset = rd64(h + 24);
		s->size = rd64(h + 32);
		s->link = rd32(h + 40);
		s->info = rd32(h + 44);
		s->entsize = rd64(h + 56);
		s->map = -1;
		if (i && s->type != SHT_NOBITS_ &&
		    (s->offset > p->len || s->size > p->len - s->offset))
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %u: offset %llu size %llu run "
					  "past the end of the %zu-byte file", i,
					  (unsigned long long)s->offset,
					  (unsigned long long)s->size, p->len);
		if (i && s->type != SHT_NOBITS_)
			s->data = p->buf + s->offset;
	}
	/* No two sections with bytes in the file may share a byte, nor
	 * overlap the ELF header or the section headers. */
	for (uint32_t i = 1; i < shnum; i++) {
		struct esec *a = &p->sec[i];
		if (!a->data || !a->size)
			continue;
		if (a->offset < 64 ||
		    (a->offset < shoff + 64ull * shnum &&
		     shoff < a->offset + a->size))
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %u overlaps the ELF headers", i);
		for (uint32_t j = i + 1; j < shnum; j++) {
			struct esec *b = &p->sec[j];
			if (b->data && b->size && a->offset < b->offset + b->size &&
			    b->offset < a->offset + a->size)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "sections %u and %u overlap "
						  "(offsets %llu and %llu)", i, j,
						  (unsigned long long)a->offset,
						  (unsigned long long)b->offset);
		}
	}
	if (p->sec[shstrndx].type != SHT_STRTAB_)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section %u (names) is not a string table",
				  shstrndx);
	p->maps_sec = p->legacy_sec = p->btf_sec = p->btf_ext_sec = -1;
	for (uint32_t i = 0; i < shnum; i++) {
		struct esec *s = &p->sec[i];
		uint32_t nameoff = rd32(p->buf + shoff + 64ull * i);
		s->name = str_at(p, shstrndx, nameoff);
		if (!s->name)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %u: bad name index %u", i,
					  nameoff);
		e->sections[i] = (struct graft_elf_section){
			.name = elf_strdup(e, s->name), .type = s->type,
			.flags = s->flags, .offset = s->offset, .size = s->size };
		if (!e->sections[i].name)
			return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
		s->name = e->sections[i].name;
		if (!strcmp(s->name, ".maps"))
			p->maps_sec = (int)i;
		else if (!strcmp(s->name, "maps"))
			p->legacy_sec = (int)i;
		else if (!strcmp(s->name, ".BTF"))
			p->btf_sec = (int)i;
		else if (!strcmp(s->name, ".BTF.ext"))
			p->btf_ext_sec = (int)i;
		else if (!strcmp(s->name, "license") && s->data) {
			size_t n = s->size < GRAFT_ELF_NAME - 1 ? s->size
								: GRAFT_ELF_NAME - 1;
			memcpy(e->license, s->data, n);
			e->license[n] = 0;
		}
		if ((s->flags & SHF_EXECINSTR_) && s->type == SHT_PROGBITS_ &&
		    s->size % 8)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "section %s: size %llu is not a multiple "
					  "of 8", s->name,
					  (unsigned long long)s->size);
	}
	return GRAFT_OK;
}

enum graft_status elf_read_symbols(struct eparse *p)
{
	uint32_t symtab = 0;
	for (uint32_t i = 1; i < p->nsec; i++) {
		if (p->sec[i].type != SHT_SYMTAB_)
			continue;
		if (symtab)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "more than one symbol table");
		symtab = i;
	}
	if (!symtab)
		return graft_errf(p->err, GRAFT_EINVAL, "no symbol table");
	struct esec *s = &p->sec[symtab];
	if (s->entsize != 24 || s->size % 24 || !s->data)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "symbol table: entry size %llu, size %llu",
				  (unsigned long long)s->entsize,
				  (unsigned long long)s->size);
	if (s->link >= p->nsec || p->sec[s->link].type != SHT_STRTAB_)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "symbol table: string table %u invalid", s->link);
	p->nsym = (uint32_t)(s->size / 24);
	if (p->nsym > (1u << 20))
		return graft_errf(p->err, GRAFT_EINVAL, "too many symbols");
	p->sym = elf_alloc(p->e, (p->nsym ? p->nsym : 1) * sizeof *p->sym);
	if (!p->sym)
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->nsym; i++) {
		const uint8_t *q = s->data + 24ull * i;
		struct esym *y = &p->sym[i];
		y->name = str_at(p, s->link, rd32(q));
		if (!y->name)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "symbol %u: bad name index %u", i,
					  rd32(q));
		y->type = q[4] & 0xf;
		y->bind = q[4] >> 4;
		y->shndx = rd16(q + 6);
		y->value = rd64(q + 8);
		y->size = rd64(q + 16);
		if (y->shndx >= p->nsec && y->shndx < SHN_LORESERVE_)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "symbol %s: section index %u out of range",
					  y->name, y->shndx);
		if (y->shndx && y->shndx < p->nsec) {
			struct esec *t = &p->sec[y->shndx];
			if (y->value > t->size || y->size > t->size - y->value)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "symbol %s: value %llu size %llu "
						  "outside section %s", y->name,
						  (unsigned long long)y->value,
						  (unsigned long long)y->size,
						  t->name);
			if (y->type == STT_SECTION_ && !y->name[0])
				y->name = t->name;
		}
	}
	return GRAFT_OK;
}

enum graft_status graft_elf_open(struct graft_elf **out, const void *data,
				 size_t len, const struct graft_alloc *alloc,
				 struct graft_err *err)
{
	*out = NULL;
	struct graft_elf *e = alloc->alloc(alloc->ud, sizeof *e);
	if (!e)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory");
	memset(e, 0, sizeof *e);
	e->alloc = *alloc;
	struct eparse p = { .e = e, .buf = data, .len = len, .err = err };
	enum graft_status st = elf_read_sections(&p);
	if (!st)
		st = elf_read_symbols(&p);
	if (!st)
		st = elf_btf_parse(&p);
	if (!st)
		st = elf_read_maps(&p);
	if (!st)
		st = elf_btf_ext_parse(&p);
	if (!st)
		st = elf_relocate(&p);
	if (!st)
		st = elf_link_progs(&p);
	if (st) {
		graft_elf_close(e);
		return st;
	}
	*out = e;
	return GRAFT_OK;
}

int graft_elf_find_prog(const struct graft_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nprogs; i++)
		if (!strcmp(e->progs[i].name, name))
			return (int)i;
	for (size_t i = 0; i < e->nprogs; i++)
		if (!strcmp(e->progs[i].section, name))
			return (int)i;
	return -1;
}
