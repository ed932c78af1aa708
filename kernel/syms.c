/*
 * kernel/syms.c — lookups in the symbol table embedded by the second link
 * pass (layout in symtab.h). Entries are sorted by address, so an address
 * is found by binary search; a name by a linear scan, preferring a global.
 */
#include <string.h>

#include "kernel.h"
#include "symtab.h"

extern const char __syms_start[], __syms_end[];

static const struct symtab_hdr *table(void)
{
	const struct symtab_hdr *h = (const void *)__syms_start;
	size_t len = (size_t)(__syms_end - __syms_start);
	if (len < sizeof *h || h->magic != SYMTAB_MAGIC ||
	    h->names_off + (uint64_t)h->names_len > len ||
	    sizeof *h + (uint64_t)h->count * sizeof(struct symtab_entry) > h->names_off)
		return NULL;
	return h;
}

static const struct symtab_entry *entries(const struct symtab_hdr *h)
{
	return (const void *)(h + 1);
}

static const char *name_of(const struct symtab_hdr *h, const struct symtab_entry *e)
{
	uint32_t off = e->name & 0xffffff;
	return off < h->names_len ? (const char *)h + h->names_off + off : "?";
}

size_t sym_count(void)
{
	const struct symtab_hdr *h = table();
	return h ? h->count : 0;
}

int sym_at(size_t i, const char **name, uintptr_t *addr, size_t *size, char *type)
{
	const struct symtab_hdr *h = table();
	if (!h || i >= h->count)
		return -1;
	const struct symtab_entry *e = &entries(h)[i];
	*name = name_of(h, e);
	*addr = e->addr;
	*size = e->size;
	*type = (char)(e->name >> 24);
	return 0;
}

const char *sym_by_addr(uintptr_t addr, uintptr_t *off)
{
	const struct symtab_hdr *h = table();
	if (!h || !h->count)
		return NULL;
	const struct symtab_entry *e = entries(h);
	size_t lo = 0, hi = h->count;
	while (hi - lo > 1) { /* last entry with e.addr <= addr */
		size_t mid = (lo + hi) / 2;
		if (e[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (e[lo].addr > addr)
		return NULL;
	/* Prefer a sized symbol that covers addr among equal addresses. */
	uint64_t end = e[lo].size ? e[lo].addr + e[lo].size
		: (lo + 1 < h->count ? e[lo + 1].addr : e[lo].addr + 0x1000);
	if (addr >= end)
		return NULL;
	if (off)
		*off = addr - e[lo].addr;
	return name_of(h, &e[lo]);
}

int sym_by_name(const char *name, uintptr_t *addr, size_t *size)
{
	const struct symtab_hdr *h = table();
	if (!h)
		return -1;
	const struct symtab_entry *e = entries(h), *found = NULL;
	for (uint32_t i = 0; i < h->count; i++) {
		if (strcmp(name_of(h, &e[i]), name))
			continue;
		char type = (char)(e[i].name >> 24);
		if (!found || (type >= 'A' && type <= 'Z')) {
			found = &e[i];
			if (type >= 'A' && type <= 'Z')
				break;
		}
	}
	if (!found)
		return -1;
	if (addr)
		*addr = found->addr;
	if (size)
		*size = found->size;
	return 0;
}
