/*
 * Reads the code of one program section out of an eBPF object with libelf.
 * The benchmark objects are relocation-free on purpose, so this needs none
 * of lib/elf's work; an object with relocations against the section is
 * refused rather than run wrong.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct ebpf_insn *bench_obj_section(const char *path, const char *sec,
				    size_t *n, char *why, size_t whylen)
{
	struct ebpf_insn *out = NULL;
	Elf *e = NULL;
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(why, whylen, "%s: cannot open", path);
		return NULL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		snprintf(why, whylen, "%s: %s", path, elf_errmsg(-1));
		goto done;
	}
	GElf_Ehdr eh;
	size_t shstrndx;
	if (!gelf_getehdr(e, &eh) || eh.e_machine != EM_BPF ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    elf_getshdrstrndx(e, &shstrndx) != 0) {
		snprintf(why, whylen, "%s: not a 64-bit little-endian eBPF object",
			 path);
		goto done;
	}
	Elf_Scn *scn = NULL, *code = NULL;
	size_t code_idx = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (sh.sh_type == SHT_PROGBITS && strcmp(name, sec) == 0) {
			code = scn;
			code_idx = elf_ndxscn(scn);
		}
	}
	if (!code) {
		snprintf(why, whylen, "%s: no section '%s'", path, sec);
		goto done;
	}
	scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) &&
		    (sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) &&
		    sh.sh_info == code_idx && sh.sh_size) {
			snprintf(why, whylen,
				 "%s: section '%s' has relocations (needs lib/elf)",
				 path, sec);
			goto done;
		}
	}
	Elf_Data *d = elf_getdata(code, NULL);
	if (!d || !d->d_buf || d->d_size == 0 ||
	    d->d_size % sizeof(struct ebpf_insn)) {
		snprintf(why, whylen, "%s: section '%s' is empty or truncated",
			 path, sec);
		goto done;
	}
	out = malloc(d->d_size);
	if (!out) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	memcpy(out, d->d_buf, d->d_size);
	*n = d->d_size / sizeof(struct ebpf_insn);
done:
	if (e)
		elf_end(e);
	close(fd);
	return out;
}
