/*
 * Native program linker: a relocatable x86-64 ELF object in, a runnable
 * image out.
 *
 * Contract. Input is untrusted: every header, section, symbol and
 * relocation is bounds-checked, and each refusal names the section and
 * offset. Accepted: ELF64 little-endian ET_REL EM_X86_64; SHF_ALLOC
 * sections (PROGBITS, NOBITS, INIT/FINI arrays are ignored); relocations
 * NONE, 64, PC32, PLT32, 32, 32S, GOTPCREL, GOTPCRELX, REX_GOTPCRELX, PC64.
 * Everything else (TLS, COMMON symbols, other relocation types) is
 * refused. Layout, in one allocation: code, then stubs (one per imported
 * symbol: `jmp *slot(%rip)`) | read-only data, then the GOT | writable
 * data; each group starts on a page, and after relocation code becomes
 * R+X, read-only data and GOT R, the rest RW. The stubs and GOT let code
 * placed anywhere call and address image symbols beyond +-2 GiB.
 */
#include <string.h>

#include "native_internal.h"

#define SHT_PROGBITS 1
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_RELA 4
#define SHT_NOBITS 8
#define SHF_WRITE 1
#define SHF_ALLOC 2
#define SHF_EXECINSTR 4
#define SHF_TLS 0x400
#define SHN_UNDEF 0
#define SHN_ABS 0xfff1
#define SHN_COMMON 0xfff2

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

struct rela {
	uint64_t offset, info;
	int64_t addend;
};

struct link {
	const uint8_t *d;
	size_t len;
	const struct shdr *sh;
	unsigned nsh;
	const struct sym *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_len;
	uint64_t sec_off[NATIVE_MAX_SECTIONS]; /* offset in the image, or -1 */
	const char *secnames[NATIVE_MAX_SECTIONS];
	uint64_t *slot_of;   /* per symbol: GOT slot + 1, 0 = none */
	uint64_t *addr_of;   /* per symbol: resolved address */
	struct native_prog *p;
	const struct native_resolver *r;
	struct graft_err *err;
};

static const char *sec_name(const struct link *l, unsigned i)
{
	return i < l->nsh && l->secnames[i] ? l->secnames[i] : "?";
}

static const char *sym_name(const struct link *l, const struct sym *s)
{
	if (s->name >= l->strs_len)
		return "?";
	size_t max = l->strs_len - s->name;
	return memchr(l->strs + s->name, 0, max) ? l->strs + s->name : "?";
}

/* Which group a section goes to: 0 code, 1 read-only, 2 writable. */
static int group_of(const struct shdr *s)
{
	if (s->flags & SHF_EXECINSTR)
		return 0;
	return (s->flags & SHF_WRITE) ? 2 : 1;
}

static enum graft_status parse(struct link *l)
{
	const struct ehdr *eh = (const void *)l->d;
	if (l->len < sizeof *eh || memcmp(eh->ident, "\177ELF", 4))
		return graft_errf(l->err, GRAFT_EINVAL, "not an ELF file");
	if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->type != 1 ||
	    eh->machine != 62)
		return graft_errf(l->err, GRAFT_EINVAL,
				  "not a relocatable x86-64 ELF64 object (class %u, "
				  "data %u, type %u, machine %u)", eh->ident[4],
				  eh->ident[5], eh->type, eh->machine);
	if (eh->shentsize != sizeof(struct shdr) || eh->shoff > l->len ||
	    (uint64_t)eh->shnum * sizeof(struct shdr) > l->len - eh->shoff ||
	    eh->shoff % 8)
		return graft_errf(l->err, GRAFT_EINVAL,
				  "section headers out of the file (offset %llu, %u)",
				  (unsigned long long)eh->shoff, eh->shnum);
	if (eh->shnum > NATIVE_MAX_SECTIONS || eh->shstrndx >= eh->shnum)
		return graft_errf(l->err, GRAFT_EINVAL,
				  "%u sections (limit %d) or bad string table %u",
				  eh->shnum, NATIVE_MAX_SECTIONS, eh->shstrndx);
	l->sh = (const void *)(l->d + eh->shoff);
	l->nsh = eh->shnum;
	for (unsigned i = 0; i < l->nsh; i++) {
		const struct shdr *s = &l->sh[i];
		if (s->type != SHT_NOBITS &&
		    (s->offset > l->len || s->size > l->len - s->offset))
			return graft_errf(l->err, GRAFT_EINVAL,
					  "section %u: bytes out of the file", i);
		if (s->addralign > 4096 ||
		    (s->addralign & (s->addralign - 1)))
			return graft_errf(l->err, GRAFT_EINVAL,
					  "section %u: alignment %llu", i,
					  (unsigned long long)s->addralign);
	}
	const struct shdr *ss = &l->sh[eh->shstrndx];
	for (unsigned i = 0; i < l->nsh; i++) {
		uint32_t n = l->sh[i].name;
		const char *names = (const char *)l->d + ss->offset;
		l->secnames[i] = n < ss->size &&
			memchr(names + n, 0, ss->size - n) ? names + n : "?";
		if (l->sh[i].type == SHT_SYMTAB) {
			const struct shdr *st = &l->sh[i];
			if (st->entsize != sizeof(struct sym) || st->link >= l->nsh ||
			    st->offset % 8)
				return graft_errf(l->err, GRAFT_EINVAL,
						  "section %u: bad symbol table", i);
			l->syms = (const void *)(l->d + st->offset);
			l->nsyms = st->size / sizeof(struct sym);
			const struct shdr *str = &l->sh[st->link];
			if (str->type != SHT_STRTAB)
				return graft_errf(l->err, GRAFT_EINVAL,
						  "section %u: symbol names not a string table", i);
			l->strs = (const char *)l->d + str->offset;
			l->strs_len = str->size;
		}
	}
	if (!l->syms)
		return graft_errf(l->err, GRAFT_EINVAL, "no symbol table");
	if (l->nsyms > NATIVE_MAX_SYMS)
		return graft_errf(l->err, GRAFT_ENOMEM, "%zu symbols (limit %d)",
				  l->nsyms, NATIVE_MAX_SYMS);
	return GRAFT_OK;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

/* Place sections, count GOT slots and stubs, allocate the image. */
static enum graft_status layout(struct link *l)
{
	struct native_prog *p = l->p;
	uint64_t page = 4096, off = 0, nslots = 0;
	for (size_t i = 0; i < l->nsyms; i++)
		l->slot_of[i] = 0;
	/* Every symbol a GOT or call relocation names gets a slot. */
	for (unsigned i = 0; i < l->nsh; i++) {
		const struct shdr *s = &l->sh[i];
		if (s->type != SHT_RELA)
			continue;
		if (s->entsize != sizeof(struct rela) || s->offset % 8)
			return graft_errf(l->err, GRAFT_EINVAL,
					  "section %s: bad relocation table",
					  sec_name(l, i));
		const struct rela *r = (const void *)(l->d + s->offset);
		for (size_t k = 0; k < s->size / sizeof *r; k++) {
			uint64_t si = r[k].info >> 32;
			uint32_t t = (uint32_t)r[k].info;
			if (si >= l->nsyms)
				return graft_errf(l->err, GRAFT_EINVAL,
						  "section %s: relocation %zu names symbol %llu of %zu",
						  sec_name(l, i), k, (unsigned long long)si,
						  l->nsyms);
			bool needs = t == 4 || t == 9 || t == 41 || t == 42;
			if (needs && !l->slot_of[si])
				l->slot_of[si] = ++nslots;
		}
	}
	if (nslots > NATIVE_MAX_SLOTS)
		return graft_errf(l->err, GRAFT_ENOMEM, "%llu imports (limit %d)",
				  (unsigned long long)nslots, NATIVE_MAX_SLOTS);
	p->nslots = (unsigned)nslots;
	for (int g = 0; g < 3; g++) {
		off = align_up(off, page);
		p->group_off[g] = off;
		for (unsigned i = 0; i < l->nsh; i++) {
			const struct shdr *s = &l->sh[i];
			l->sec_off[i] = g ? l->sec_off[i] : UINT64_MAX;
			if (!(s->flags & SHF_ALLOC) || group_of(s) != g ||
			    !s->size)
				continue;
			if (s->flags & SHF_TLS)
				return graft_errf(l->err, GRAFT_ENOTSUP,
						  "section %s: thread-local data",
						  sec_name(l, i));
			off = align_up(off, s->addralign);
			l->sec_off[i] = off;
			off += s->size;
		}
		if (g == 0) { /* stubs: 16 bytes each, after the code */
			off = align_up(off, 16);
			p->stubs_off = off;
			p->thunk_off = off + 16 * nslots;
			off = p->thunk_off + NATIVE_THUNK_SIZE;
		}
		if (g == 1) { /* the GOT, read-only once filled */
			off = align_up(off, 8);
			p->got_off = off;
			off += 8 * nslots;
		}
		p->group_end[g] = off;
	}
	p->size = align_up(off, page);
	if (p->size > NATIVE_MAX_IMAGE)
		return graft_errf(l->err, GRAFT_ENOMEM, "image of %llu bytes (limit %d)",
				  (unsigned long long)p->size, NATIVE_MAX_IMAGE);
	p->base = l->r->alloc_pages(l->r->ud, p->size);
	if (!p->base)
		return graft_errf(l->err, GRAFT_ENOMEM, "no pages for %llu bytes",
				  (unsigned long long)p->size);
	for (unsigned i = 0; i < l->nsh; i++) {
		const struct shdr *s = &l->sh[i];
		if (l->sec_off[i] != UINT64_MAX && s->type != SHT_NOBITS)
			memcpy(p->base + l->sec_off[i], l->d + s->offset, s->size);
	}
	return GRAFT_OK;
}

/* Each symbol's address; imports come from the resolver. */
static enum graft_status resolve(struct link *l)
{
	struct native_prog *p = l->p;
	uint64_t base = (uint64_t)(uintptr_t)p->base;
	unsigned nimp = 0;
	for (size_t i = 1; i < l->nsyms; i++) {
		const struct sym *s = &l->syms[i];
		const char *name = sym_name(l, s);
		if (s->shndx == SHN_UNDEF) {
			/* The one linker-made symbol -fPIC code names. */
			uint64_t a = !strcmp(name, "_GLOBAL_OFFSET_TABLE_") ?
				base + p->got_off :
				l->r->lookup(l->r->ud, name, p);
			if (!a)
				return graft_errf(l->err, GRAFT_ENOENT,
						  "unknown symbol '%.64s'", name);
			l->addr_of[i] = a;
			nimp++;
		} else if (s->shndx == SHN_ABS) {
			l->addr_of[i] = s->value;
		} else if (s->shndx == SHN_COMMON) {
			return graft_errf(l->err, GRAFT_ENOTSUP,
					  "common symbol '%.64s' (build with -fno-common)",
					  name);
		} else if (s->shndx < l->nsh && l->sec_off[s->shndx] != UINT64_MAX) {
			l->addr_of[i] = base + l->sec_off[s->shndx] + s->value;
			if (!strcmp(name, "main") && (s->info >> 4) == 1)
				p->entry = l->addr_of[i];
		} else {
			l->addr_of[i] = 0; /* a section we do not load */
		}
	}
	p->nimports = nimp;
	if (!p->entry)
		return graft_errf(l->err, GRAFT_ENOENT, "no global function 'main'");
	/* GOT and stubs: stub k is `jmp *got[k](%rip)`. */
	for (size_t i = 1; i < l->nsyms; i++) {
		if (!l->slot_of[i])
			continue;
		uint64_t k = l->slot_of[i] - 1;
		uint64_t got = p->got_off + 8 * k, stub = p->stubs_off + 16 * k;
		memcpy(p->base + got, &l->addr_of[i], 8);
		int32_t rel = (int32_t)((int64_t)got - (int64_t)(stub + 6));
		uint8_t code[16] = { 0xff, 0x25 };
		memcpy(code + 2, &rel, 4);
		memset(code + 6, 0xcc, 10);
		memcpy(p->base + stub, code, 16);
	}
	return GRAFT_OK;
}

static enum graft_status put32(struct link *l, uint8_t *at, int64_t v,
			       bool is_signed, unsigned sec, uint64_t off)
{
	bool ok = is_signed ? v >= INT32_MIN && v <= INT32_MAX
			    : (uint64_t)v <= UINT32_MAX;
	if (!ok)
		return graft_errf(l->err, GRAFT_EINVAL,
				  "section %s offset 0x%llx: value 0x%llx out of "
				  "32-bit range (build with -fPIC)", sec_name(l, sec),
				  (unsigned long long)off, (unsigned long long)v);
	int32_t w = (int32_t)v;
	memcpy(at, &w, 4);
	return GRAFT_OK;
}

static enum graft_status relocate(struct link *l)
{
	struct native_prog *p = l->p;
	uint64_t base = (uint64_t)(uintptr_t)p->base;
	for (unsigned i = 0; i < l->nsh; i++) {
		const struct shdr *s = &l->sh[i];
		if (s->type != SHT_RELA || s->info >= l->nsh ||
		    l->sec_off[s->info] == UINT64_MAX)
			continue;
		const struct shdr *t = &l->sh[s->info];
		const struct rela *r = (const void *)(l->d + s->offset);
		for (size_t k = 0; k < s->size / sizeof *r; k++) {
			uint64_t si = r[k].info >> 32, off = r[k].offset;
			uint32_t type = (uint32_t)r[k].info;
			if (t->type == SHT_NOBITS || off > t->size ||
			    t->size - off < (type == 1 || type == 24 ? 8u : 4u))
				return graft_errf(l->err, GRAFT_EINVAL,
						  "section %s: relocation at 0x%llx outside %s",
						  sec_name(l, i), (unsigned long long)off,
						  sec_name(l, s->info));
			uint8_t *at = p->base + l->sec_off[s->info] + off;
			uint64_t P = base + l->sec_off[s->info] + off;
			uint64_t S = l->addr_of[si];
			int64_t A = r[k].addend;
			uint64_t G = l->slot_of[si] ?
				base + p->got_off + 8 * (l->slot_of[si] - 1) : 0;
			uint64_t stub = l->slot_of[si] ?
				base + p->stubs_off + 16 * (l->slot_of[si] - 1) : 0;
			enum graft_status st = GRAFT_OK;
			switch (type) {
			case 0:
				break;
			case 1: /* 64: S + A */
			case 24: { /* PC64: S + A - P */
				uint64_t v = S + (uint64_t)A - (type == 24 ? P : 0);
				memcpy(at, &v, 8);
				break;
			}
			case 2: /* PC32 */
				st = put32(l, at, (int64_t)(S + (uint64_t)A - P), true, i, off);
				break;
			case 4: { /* PLT32: direct when near, else the stub */
				int64_t v = (int64_t)(S + (uint64_t)A - P);
				if (v < INT32_MIN || v > INT32_MAX)
					v = (int64_t)(stub + (uint64_t)A - P);
				st = put32(l, at, v, true, i, off);
				break;
			}
			case 10:
				st = put32(l, at, (int64_t)(S + (uint64_t)A), false, i, off);
				break;
			case 11:
				st = put32(l, at, (int64_t)(S + (uint64_t)A), true, i, off);
				break;
			case 9: case 41: case 42: /* GOTPCREL*: G + A - P */
				st = put32(l, at, (int64_t)(G + (uint64_t)A - P), true, i, off);
				break;
			default:
				return graft_errf(l->err, GRAFT_ENOTSUP,
						  "section %s offset 0x%llx: relocation type %u",
						  sec_name(l, i), (unsigned long long)off, type);
			}
			if (st)
				return st;
			p->nrelocs++;
		}
	}
	return GRAFT_OK;
}

enum graft_status native_link(struct native_prog *p, const uint8_t *data,
			      size_t len, const struct native_resolver *r,
			      uint64_t *scratch, struct graft_err *err)
{
	struct link l = { .d = data, .len = len, .p = p, .r = r, .err = err };
	if ((uintptr_t)data % 8)
		return graft_errf(err, GRAFT_EINVAL, "object bytes not 8-aligned");
	enum graft_status st = parse(&l);
	if (st)
		return st;
	l.slot_of = scratch;
	l.addr_of = scratch + NATIVE_MAX_SYMS;
	memset(l.addr_of, 0, NATIVE_MAX_SYMS * sizeof *l.addr_of);
	if ((st = layout(&l)) || (st = resolve(&l)) || (st = relocate(&l)))
		return st;
	return GRAFT_OK;
}
