/*
 * kernel/symtab.h — the embedded symbol table's layout, shared by the
 * host-side generator (mksyms.c) and the kernel (syms.c).
 *
 * A header, then entries sorted by address, then NUL-terminated names.
 * All little-endian. The kernel image carries it in .graft_syms, filled in
 * by the second link pass.
 */
#ifndef GRAFT_KERNEL_SYMTAB_H
#define GRAFT_KERNEL_SYMTAB_H

#include <stdint.h>

#define SYMTAB_MAGIC 0x4d595347u /* "GSYM" */

struct symtab_hdr {
	uint32_t magic;
	uint32_t count;
	uint32_t names_off; /* from the start of the header */
	uint32_t names_len;
};

struct symtab_entry {
	uint64_t addr;
	uint32_t size;    /* 0 when nm gave none */
	uint32_t name;    /* low 24 bits: offset into names; high 8: nm type letter */
};

#endif
