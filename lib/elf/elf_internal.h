/* What the ELF loader's files share: raw ELF access with bounds checks. */
#ifndef GRAFT_ELF_INTERNAL_H
#define GRAFT_ELF_INTERNAL_H

#include <string.h>

#include "graft/elf.h"

enum {
	SHT_PROGBITS_ = 1, SHT_SYMTAB_ = 2, SHT_STRTAB_ = 3, SHT_RELA_ = 4,
	SHT_NOBITS_ = 8, SHT_REL_ = 9,
	SHF_WRITE_ = 1, SHF_ALLOC_ = 2, SHF_EXECINSTR_ = 4,
	STT_NOTYPE_ = 0, STT_OBJECT_ = 1, STT_FUNC_ = 2, STT_SECTION_ = 3,
	SHN_UNDEF_ = 0, SHN_LORESERVE_ = 0xff00, SHN_ABS_ = 0xfff1,
	SHN_COMMON_ = 0xfff2,
	R_BPF_NONE = 0, R_BPF_64_64 = 1, R_BPF_64_ABS64 = 2,
	R_BPF_64_ABS32 = 3, R_BPF_64_NODYLD32 = 4, R_BPF_64_32 = 10,
};

struct esym {
	const char *name;
	uint8_t type, bind;
	uint16_t shndx;
	uint64_t value, size;
};

struct esec {
	const char *name;
	uint32_t type, flags, link, info;
	uint64_t offset, size, entsize;
	const uint8_t *data;      /* NULL for NOBITS */
	int map;                  /* data section: index into maps, else -1 */
	struct ebpf_insn *code;   /* exec sections: relocated copy */
	int32_t *call_sec;        /* per insn: target section of a call, -1 */
	uint32_t *call_off;       /* ... and instruction index there */
};

/* Parsing state; lives only during graft_elf_open. */
struct eparse {
	struct graft_elf *e;
	const uint8_t *buf;
	size_t len;
	struct esec *sec;
	uint32_t nsec;
	struct esym *sym;
	uint32_t nsym;
	int maps_sec, legacy_sec, btf_sec, btf_ext_sec;
	/* where each map is defined (BTF and legacy maps) */
	uint64_t map_off[GRAFT_ELF_MAX_MAPS];
	uint64_t map_size[GRAFT_ELF_MAX_MAPS];
	int64_t map_values_off[GRAFT_ELF_MAX_MAPS]; /* -1: no .values */
	struct graft_err *err;
};

void *elf_alloc(struct graft_elf *e, size_t n);
char *elf_strdup(struct graft_elf *e, const char *s);

enum graft_status elf_read_sections(struct eparse *p);
enum graft_status elf_read_symbols(struct eparse *p);
enum graft_status elf_read_maps(struct eparse *p);
enum graft_status elf_relocate(struct eparse *p);
enum graft_status elf_link_progs(struct eparse *p);

/* obj_inline.c: *out NULL when nothing was rewritten. */
enum graft_status obj_inline_lookups(const struct graft_obj *o,
				     const struct ebpf_insn *in, size_t n,
				     struct ebpf_insn **out, size_t *nout,
				     uint32_t **orig, struct graft_err *err);

/* BTF (elf_btf.c, elf_btf_ext.c) */
struct btf_lsec {
	const char *sec;
	uint32_t n;
	const uint8_t *recs;      /* n records of 16 bytes */
};

struct elf_btf {
	uint8_t *data;            /* a copy of .BTF */
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t ntypes;          /* type IDs 1..ntypes */
	uint32_t *off;            /* offset of each type in types */
	uint8_t *ext;             /* a copy of .BTF.ext */
	struct btf_lsec *lines;
	uint32_t nlines;
};

const char *btf_str(const struct elf_btf *b, uint32_t off);
enum graft_status elf_btf_parse(struct eparse *p);
enum graft_status elf_btf_maps(struct eparse *p);
enum graft_status elf_btf_ext_parse(struct eparse *p);

#endif
