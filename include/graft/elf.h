/*
 * graft/elf.h — loader for eBPF objects made by `clang -O2 -g -target bpf`
 * (the objects libbpf loads), in two steps:
 *
 *  1. graft_elf_open parses an object held in memory: ELF64 little-endian
 *     relocatable EM_BPF. It finds the programs (one per function symbol
 *     of each executable section other than .text), the maps (BTF-defined
 *     in `.maps`, legacy `maps`, and one single-entry array per data
 *     section .data*, .bss*, .rodata* as libbpf makes them), applies the
 *     relocations and links into each program the subprograms it calls.
 *     Map references are left as lddw with src EBPF_PSEUDO_MAP_IDX (imm =
 *     index into maps[]) or EBPF_PSEUDO_MAP_IDX_VALUE (imm = index, second
 *     imm = byte offset into the value). Every bound is checked: malformed
 *     input is GRAFT_EINVAL, unsupported input (CO-RE relocations, kfuncs,
 *     externs) GRAFT_ENOTSUP, each with a message naming section and offset.
 *     Nothing is executed or created; the parsed object keeps no pointer
 *     into the caller's bytes.
 *
 *  2. graft_obj_load creates the maps (through a registry, so pinned maps
 *     are reused) and loads each program with ebpf_prog_load.
 */
#ifndef GRAFT_ELF_H
#define GRAFT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"
#include "graft/ebpf.h"
#include "graft/maps.h"

#define GRAFT_ELF_NAME 64
#define GRAFT_ELF_MAX_SECTIONS 4096
#define GRAFT_ELF_MAX_MAPS 64
#define GRAFT_ELF_MAX_PROGS 256

enum graft_elf_map_kind {
	GRAFT_ELF_MAP_BTF,    /* SEC(".maps"), described by BTF */
	GRAFT_ELF_MAP_LEGACY, /* SEC("maps"), struct bpf_map_def */
	GRAFT_ELF_MAP_DATA,   /* .data / .bss / .rodata* as an array */
};

struct graft_elf_map {
	char name[GRAFT_ELF_NAME];
	struct graft_map_def def;
	unsigned pinning;          /* GRAFT_PIN_* */
	enum graft_elf_map_kind kind;
	const char *section;
	uint8_t *init;             /* data maps: initial value (NULL: zeros) */
	/* PROG_ARRAY with `.values = { [i] = &prog }`: slot i -> program */
	uint32_t ninit_progs;
	uint32_t *init_slot;
	uint32_t *init_prog;
};

/* A piece of a linked program: which function of which section it is. */
struct graft_elf_piece {
	uint32_t pc;               /* first pc in the program */
	uint32_t len;
	uint32_t section;          /* section index */
	uint32_t sec_insn;         /* first instruction within the section */
	const char *func;
};

struct graft_elf_prog {
	char name[GRAFT_ELF_NAME];
	const char *section;       /* SEC("...") name */
	struct ebpf_insn *insns;   /* linked and relocated */
	size_t ninsns;
	struct graft_elf_piece *pieces;
	size_t npieces;
};

struct graft_elf_reloc {
	const char *section;       /* the section patched */
	uint64_t offset;
	uint32_t type;             /* R_BPF_* */
	const char *symbol;
	const char *what;          /* "map", "data", "call", "prog", "ignored" */
};

/* A data section's 64-bit pointer to data: patched at load time. */
struct graft_elf_datarel {
	uint32_t map, offset;      /* where: a data map and an offset in it */
	uint32_t target, target_off; /* what: a data map and an offset */
};

struct graft_elf_section {
	const char *name;
	uint32_t type, flags;
	uint64_t offset, size;
};

struct graft_elf {
	char license[GRAFT_ELF_NAME];
	struct graft_elf_section *sections;
	size_t nsections;
	struct graft_elf_prog *progs;
	size_t nprogs;
	struct graft_elf_map *maps;
	size_t nmaps;
	struct graft_elf_reloc *relocs;
	size_t nrelocs;
	struct graft_elf_datarel *datarels;
	size_t ndatarels;
	/* BTF summary */
	bool has_btf;
	uint32_t btf_types;
	uint32_t btf_func_info, btf_line_info;
	/* internal */
	struct graft_alloc alloc;
	void *chunks;
	struct elf_btf *btf;
};

enum graft_status graft_elf_open(struct graft_elf **out, const void *data,
				 size_t len, const struct graft_alloc *alloc,
				 struct graft_err *err);
void graft_elf_close(struct graft_elf *elf);

/* Index of the program called name (or whose section is name), or -1. */
int graft_elf_find_prog(const struct graft_elf *elf, const char *name);

/*
 * The C source line of a program's pc, from BTF line_info: file, line
 * number and the line's text (pointers into the object; NULL when -g was
 * not used). Returns false when no line is known.
 */
bool graft_elf_line(const struct graft_elf *elf, size_t prog, uint32_t pc,
		    const char **file, uint32_t *line, const char **text);

/* ----------------------------------------------------------------------- */
/* Loading                                                                 */

struct graft_obj_opts {
	const char *name;          /* prefix of unpinned map names; "obj" */
	const struct ebpf_helper *helpers; /* NULL: graft_helpers_all */
	size_t nhelpers;
	unsigned flags;            /* EBPF_F_* for every program */
	const unsigned *prog_flags; /* NULL, or per program (parallel to
				    * elf->progs): EBPF_F_* added to flags */
	uint32_t max_insns;
	bool replace_maps;         /* a pinned map with another definition is
				    * replaced instead of an error */
	bool no_inline;            /* keep array lookups as helper calls */
};

struct graft_obj {
	const struct graft_elf *elf;
	struct graft_registry *reg;
	struct graft_map **maps;   /* parallel to elf->maps */
	struct ebpf_prog **progs;  /* parallel to elf->progs */
	bool *map_reused;          /* true: an existing pinned map */
	uint32_t **orig_pc;        /* per program: pc before inlining, or NULL */
	struct graft_alloc alloc;
};

/*
 * Create or reuse the maps, write the data sections' initial values into
 * maps that were created (a reused map keeps its contents), load every
 * program, and fill program arrays from their static initializers. The
 * parsed elf must outlive the object.
 */
enum graft_status graft_obj_load(struct graft_obj **out,
				 const struct graft_elf *elf,
				 struct graft_registry *reg,
				 const struct graft_obj_opts *opts,
				 const struct graft_alloc *alloc,
				 struct graft_err *err);
/*
 * Array lookups are inlined at load (as Linux does), which moves pcs: this
 * gives the pc in elf->progs[prog] (for graft_elf_line) of a loaded pc.
 */
uint32_t graft_obj_source_pc(const struct graft_obj *obj, size_t prog,
			     uint32_t pc);

/* Unload: programs freed, map references dropped (pinned maps live on). */
void graft_obj_free(struct graft_obj *obj);

/*
 * Prepare an execution of the object's programs: x->user = env and one
 * region per map a program may reach. Call after ebpf_exec_init and before
 * adding the context's own regions.
 */
enum graft_status graft_obj_exec(const struct graft_obj *obj,
				 struct ebpf_exec *x, struct graft_env *env,
				 struct graft_err *err);

#endif
