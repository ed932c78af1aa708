/*
 * BTF: the type section is indexed once (each type's kind decides how many
 * bytes follow it; all counted against the section), then `.maps` is read
 * the way libbpf reads it: each variable of the `.maps` DATASEC is a struct
 * whose members encode the map's definition — `__uint(name, N)` is a
 * pointer to an array of N elements, `__type(name, T)` a pointer to T,
 * `__array(values, T)` an array of pointers filled by relocations.
 */
#include "elf_internal.h"

enum {
	BTF_INT = 1, BTF_PTR, BTF_ARRAY, BTF_STRUCT, BTF_UNION, BTF_ENUM,
	BTF_FWD, BTF_TYPEDEF, BTF_VOLATILE, BTF_CONST, BTF_RESTRICT, BTF_FUNC,
	BTF_FUNC_PROTO, BTF_VAR, BTF_DATASEC, BTF_FLOAT, BTF_DECL_TAG,
	BTF_TYPE_TAG, BTF_ENUM64,
};

#define BTF_MAX_TYPES (1u << 20)

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

const char *btf_str(const struct elf_btf *b, uint32_t off)
{
	if (!b || off >= b->strs_len)
		return NULL;
	if (!memchr(b->strs + off, 0, b->strs_len - off))
		return NULL;
	return b->strs + off;
}

static uint32_t kind_of(uint32_t info) { return (info >> 24) & 0x1f; }
static uint32_t vlen_of(uint32_t info) { return info & 0xffff; }

static const uint8_t *type_at(const struct elf_btf *b, uint32_t id)
{
	if (id == 0 || id > b->ntypes)
		return NULL;
	return b->types + b->off[id];
}

enum graft_status elf_btf_parse(struct eparse *p)
{
	if (p->btf_sec < 0)
		return GRAFT_OK;
	struct esec *s = &p->sec[p->btf_sec];
	struct graft_elf *e = p->e;
	if (!s->data || s->size < 24)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .BTF: truncated header (%llu bytes)",
				  (unsigned long long)s->size);
	struct elf_btf *b = elf_alloc(e, sizeof *b);
	if (!b || !(b->data = elf_alloc(e, s->size)))
		return graft_errf(p->err, GRAFT_ENOMEM, "out of memory");
	memcpy(b->data, s->data, s->size);
	const uint8_t *d = b->data;
	uint32_t hdr = rd32(d + 4), toff = rd32(d + 8), tlen = rd32(d + 12);
	uint32_t soff = rd32(d + 16), slen = rd32(d + 20);
	if ((d[0] | d[1] << 8) != 0xeb9f || d[2] != 1)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .BTF: bad magic or version");
	uint64_t size = s->size;
	if (hdr < 24 || hdr > size || (uint64_t)toff + tlen > size - hdr ||
	    (uint64_t)soff + slen > size - hdr || toff % 4)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .BTF: header offsets out of range "
				  "(hdr %u types %u+%u strings %u+%u, size %llu)",
				  hdr, toff, tlen, soff, slen,
				  (unsigned long long)size);
	b->types = d + hdr + toff;
	b->types_len = tlen;
	b->strs = (const char *)d + hdr + soff;
	b->strs_len = slen;
	if (slen && b->strs[slen - 1])
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .BTF: string table not terminated");
	/* Count, then index. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t n = 0, at = 0;
		while (at < tlen) {
			if (tlen - at < 12)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section .BTF: type %u truncated at "
						  "offset %u", n + 1, at);
			uint32_t info = rd32(b->types + at + 4);
			uint64_t extra, v = vlen_of(info);
			switch (kind_of(info)) {
			case BTF_INT: case BTF_VAR: case BTF_DECL_TAG:
				extra = 4; break;
			case BTF_ARRAY: extra = 12; break;
			case BTF_STRUCT: case BTF_UNION: case BTF_DATASEC:
			case BTF_ENUM64:
				extra = 12 * v; break;
			case BTF_ENUM: case BTF_FUNC_PROTO: extra = 8 * v; break;
			case BTF_PTR: case BTF_FWD: case BTF_TYPEDEF:
			case BTF_VOLATILE: case BTF_CONST: case BTF_RESTRICT:
			case BTF_FUNC: case BTF_FLOAT: case BTF_TYPE_TAG:
				extra = 0; break;
			default:
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section .BTF: type %u has unknown "
						  "kind %u", n + 1, kind_of(info));
			}
			if (12 + extra > tlen - at)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section .BTF: type %u runs past the "
						  "type section", n + 1);
			if (++n > BTF_MAX_TYPES)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section .BTF: too many types");
			if (pass)
				b->off[n] = at;
			if (!btf_str(b, rd32(b->types + at)))
				return graft_errf(p->err, GRAFT_EINVAL,
						  "section .BTF: type %u has a bad "
						  "name offset", n);
			at += 12 + (uint32_t)extra;
		}
		if (!pass) {
			b->ntypes = n;
			b->off = elf_alloc(e, (n + 1) * sizeof *b->off);
			if (!b->off)
				return graft_errf(p->err, GRAFT_ENOMEM,
						  "out of memory");
		}
	}
	e->btf = b;
	e->has_btf = true;
	e->btf_types = b->ntypes;
	return GRAFT_OK;
}

/* Skip typedef/const/volatile/restrict/type_tag; 0 when broken. */
static uint32_t skip_mods(const struct elf_btf *b, uint32_t id)
{
	for (int depth = 0; depth < 32; depth++) {
		const uint8_t *t = type_at(b, id);
		if (!t)
			return 0;
		switch (kind_of(rd32(t + 4))) {
		case BTF_TYPEDEF: case BTF_VOLATILE: case BTF_CONST:
		case BTF_RESTRICT: case BTF_TYPE_TAG:
			id = rd32(t + 8);
			break;
		default:
			return id;
		}
	}
	return 0;
}

static bool type_size(const struct elf_btf *b, uint32_t id, uint64_t *size,
		      int depth)
{
	id = skip_mods(b, id);
	const uint8_t *t = type_at(b, id);
	if (!t || depth > 32)
		return false;
	switch (kind_of(rd32(t + 4))) {
	case BTF_INT: case BTF_STRUCT: case BTF_UNION: case BTF_ENUM:
	case BTF_ENUM64: case BTF_FLOAT: case BTF_DATASEC:
		*size = rd32(t + 8);
		return true;
	case BTF_PTR:
		*size = 8;
		return true;
	case BTF_ARRAY: {
		uint64_t elem;
		uint32_t n = rd32(t + 20);
		if (!type_size(b, rd32(t + 12), &elem, depth + 1) ||
		    (elem && n > UINT32_MAX / elem))
			return false;
		*size = elem * n;
		return true;
	}
	default:
		return false;
	}
}

/* `int (*name)[N]` -> N */
static bool uint_member(const struct elf_btf *b, uint32_t id, uint32_t *v)
{
	const uint8_t *t = type_at(b, skip_mods(b, id));
	if (!t || kind_of(rd32(t + 4)) != BTF_PTR)
		return false;
	const uint8_t *a = type_at(b, skip_mods(b, rd32(t + 8)));
	if (!a || kind_of(rd32(a + 4)) != BTF_ARRAY)
		return false;
	*v = rd32(a + 20);
	return true;
}

static enum graft_status map_member(struct eparse *p, struct graft_elf_map *m,
				    size_t mi, const char *name, uint32_t type,
				    uint32_t bitoff)
{
	const struct elf_btf *b = p->e->btf;
	uint32_t v = 0;
	uint64_t size;
	struct graft_map_def *d = &m->def;
	if (!strcmp(name, "key") || !strcmp(name, "value")) {
		const uint8_t *t = type_at(b, skip_mods(b, type));
		if (!t || kind_of(rd32(t + 4)) != BTF_PTR ||
		    !type_size(b, rd32(t + 8), &size, 0) || size > UINT32_MAX)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "map %s: member %s is no pointer to a "
					  "sized type", m->name, name);
		*(name[0] == 'k' ? &d->key_size : &d->value_size) = (uint32_t)size;
		return GRAFT_OK;
	}
	if (!strcmp(name, "values")) {
		p->map_values_off[mi] = bitoff / 8;
		return GRAFT_OK;
	}
	if (!uint_member(b, type, &v))
		return graft_errf(p->err, GRAFT_EINVAL,
				  "map %s: member %s is not __uint(...)",
				  m->name, name);
	if (!strcmp(name, "type"))
		d->type = v;
	else if (!strcmp(name, "max_entries"))
		d->max_entries = v;
	else if (!strcmp(name, "key_size"))
		d->key_size = v;
	else if (!strcmp(name, "value_size"))
		d->value_size = v;
	else if (!strcmp(name, "map_flags"))
		d->flags = v;
	else if (!strcmp(name, "pinning"))
		m->pinning = v;
	else if (strcmp(name, "numa_node"))
		return graft_errf(p->err, GRAFT_ENOTSUP,
				  "map %s: member %s not supported", m->name, name);
	return GRAFT_OK;
}

enum graft_status elf_btf_maps(struct eparse *p)
{
	struct graft_elf *e = p->e;
	const struct elf_btf *b = e->btf;
	if (!b)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .maps needs BTF (compile with -g)");
	const uint8_t *ds = NULL;
	for (uint32_t id = 1; id <= b->ntypes && !ds; id++) {
		const uint8_t *t = type_at(b, id);
		const char *n = btf_str(b, rd32(t));
		if (kind_of(rd32(t + 4)) == BTF_DATASEC && n && !strcmp(n, ".maps"))
			ds = t;
	}
	if (!ds)
		return graft_errf(p->err, GRAFT_EINVAL,
				  "section .maps has no BTF DATASEC");
	uint32_t nvar = vlen_of(rd32(ds + 4));
	uint64_t secsize = p->sec[p->maps_sec].size;
	for (uint32_t i = 0; i < nvar; i++) {
		const uint8_t *vi = ds + 12 + 12 * i;
		const uint8_t *var = type_at(b, rd32(vi));
		uint32_t off = rd32(vi + 4), vsz = rd32(vi + 8);
		if (!var || kind_of(rd32(var + 4)) != BTF_VAR)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".maps: entry %u is no variable", i);
		/* clang may leave DATASEC offsets zero in objects (libbpf
		 * fixes them up the same way): the symbol has the truth. */
		const char *vname = btf_str(b, rd32(var));
		for (uint32_t k = 0; vname && k < p->nsym; k++)
			if (p->sym[k].shndx == p->maps_sec &&
			    !strcmp(p->sym[k].name, vname)) {
				off = (uint32_t)p->sym[k].value;
				vsz = (uint32_t)p->sym[k].size;
				break;
			}
		if (off > secsize || vsz > secsize - off)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".maps: variable at offset %u size %u "
					  "outside the section", off, vsz);
		if (e->nmaps == GRAFT_ELF_MAX_MAPS)
			return graft_errf(p->err, GRAFT_ENOMEM,
					  "more than %d maps", GRAFT_ELF_MAX_MAPS);
		size_t mi = e->nmaps++;
		struct graft_elf_map *m = &e->maps[mi];
		const char *name = btf_str(b, rd32(var));
		if (!name || !name[0] || strlen(name) >= GRAFT_ELF_NAME)
			return graft_errf(p->err, GRAFT_EINVAL,
					  ".maps: entry %u has a bad name", i);
		memcpy(m->name, name, strlen(name) + 1);
		m->kind = GRAFT_ELF_MAP_BTF;
		m->section = p->sec[p->maps_sec].name;
		p->map_off[mi] = off;
		p->map_size[mi] = vsz;
		p->map_values_off[mi] = -1;
		const uint8_t *st = type_at(b, skip_mods(b, rd32(var + 8)));
		if (!st || kind_of(rd32(st + 4)) != BTF_STRUCT)
			return graft_errf(p->err, GRAFT_EINVAL,
					  "map %s: definition is no struct", m->name);
		uint32_t nmem = vlen_of(rd32(st + 4));
		for (uint32_t k = 0; k < nmem; k++) {
			const uint8_t *mm = st + 12 + 12 * k;
			const char *mn = btf_str(b, rd32(mm));
			if (!mn)
				return graft_errf(p->err, GRAFT_EINVAL,
						  "map %s: member %u has a bad name",
						  m->name, k);
			enum graft_status s2 = map_member(p, m, mi, mn, rd32(mm + 4),
							  rd32(mm + 8));
			if (s2)
				return s2;
		}
	}
	return GRAFT_OK;
}
