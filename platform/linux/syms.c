/*
 * platform/linux/syms.c — the process's own symbol table, read once from
 * /proc/self/exe (.symtab, else .dynsym) with libelf, sorted by address and
 * shifted by the load bias of a position-independent executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct sym {
	uintptr_t addr;
	size_t size;
	char *name;
	int global;
};

static struct sym *syms;
static size_t nsyms;
static int loaded;

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static int first_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1; /* the first object is the executable */
}

static void load(void)
{
	if (loaded)
		return;
	loaded = 1;
	uintptr_t bias = 0;
	dl_iterate_phdr(first_bias, &bias);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL, *best = NULL;
	GElf_Shdr sh, best_sh = { 0 };
	while (e && (scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !best)) {
			best = scn;
			best_sh = sh;
		}
	}
	Elf_Data *d = best ? elf_getdata(best, NULL) : NULL;
	size_t n = d && best_sh.sh_entsize ? best_sh.sh_size / best_sh.sh_entsize : 0;
	syms = n ? calloc(n, sizeof *syms) : NULL;
	for (size_t i = 0; syms && i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s) || !s.st_value || s.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if (type != STT_FUNC && type != STT_OBJECT)
			continue;
		const char *name = elf_strptr(e, best_sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		syms[nsyms].addr = (uintptr_t)s.st_value + bias;
		syms[nsyms].size = (size_t)s.st_size;
		syms[nsyms].name = strdup(name);
		syms[nsyms].global = GELF_ST_BIND(s.st_info) != STB_LOCAL;
		if (syms[nsyms].name)
			nsyms++;
	}
	if (e)
		elf_end(e);
	close(fd);
	if (nsyms)
		qsort(syms, nsyms, sizeof *syms, cmp_sym);
}

int gp_sym_lookup(const char *name, uintptr_t *addr, size_t *size)
{
	load();
	const struct sym *found = NULL;
	for (size_t i = 0; i < nsyms; i++)
		if (!strcmp(syms[i].name, name) && (!found || syms[i].global)) {
			found = &syms[i];
			if (found->global)
				break;
		}
	if (!found)
		return -ENOENT;
	if (addr)
		*addr = found->addr;
	if (size)
		*size = found->size;
	return 0;
}

const char *lp_sym_name(uintptr_t addr, uintptr_t *off)
{
	/* Called from the fault handler: only lookups, no loading there. */
	if (!nsyms)
		return NULL;
	size_t lo = 0, hi = nsyms;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	const struct sym *s = &syms[lo];
	uintptr_t end = s->size ? s->addr + s->size : (lo + 1 < nsyms ? syms[lo + 1].addr : s->addr + 4096);
	if (addr < s->addr || addr >= end)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return s->name;
}

const char *gp_sym_name(uintptr_t addr, uintptr_t *off) { load(); return lp_sym_name(addr, off); }
size_t gp_sym_count(void) { load(); return nsyms; }

int gp_sym_at(size_t i, const char **name, uintptr_t *addr, size_t *size)
{
	load();
	if (i >= nsyms)
		return -ENOENT;
	*name = syms[i].name;
	*addr = syms[i].addr;
	*size = syms[i].size;
	return 0;
}

void lp_syms_preload(void);
void lp_syms_preload(void) { load(); }
