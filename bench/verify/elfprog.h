/*
 * bench/verify/elfprog.h — just enough of a libbpf-style object reader for
 * the verifier corpus: programs (global functions in executable sections)
 * with bpf-to-bpf callees appended, maps from BTF-defined .maps and global
 * data sections, and lddw relocations rewritten to map indexes. The real
 * loader is lib/elf; this one stays with the benchmark so the corpus runs
 * on its own.
 */
#ifndef GRAFT_BENCH_ELFPROG_H
#define GRAFT_BENCH_ELFPROG_H

#include <stddef.h>

#include "graft/verify.h"

#define EP_MAX_MAPS 64
#define EP_MAX_PROGS 256

struct ep_prog {
	char name[128];
	char sec[128];
	struct ebpf_insn *insns;
	size_t n;
	char unsupported[128]; /* why this program cannot be prepared */
};

struct ep_obj {
	struct verify_map maps[EP_MAX_MAPS];
	char map_names[EP_MAX_MAPS][64];
	size_t nmaps;
	struct ep_prog progs[EP_MAX_PROGS];
	size_t nprogs;
};

/* 0 on success; -1 with a message in err. */
int ep_open(const char *path, struct ep_obj *o, char *err, size_t errlen);
void ep_close(struct ep_obj *o);

#endif
