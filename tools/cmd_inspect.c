/*
 * graft inspect OBJ — what an ELF object holds: sections, programs (with
 * the functions linked into each), maps, relocations and a BTF summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graft/asm.h"
#include "graft/elf.h"

static const char *map_type_name(uint32_t t)
{
	switch (t) {
	case GRAFT_MAP_HASH: return "hash";
	case GRAFT_MAP_ARRAY: return "array";
	case GRAFT_MAP_PROG_ARRAY: return "prog_array";
	case GRAFT_MAP_LRU_HASH: return "lru_hash";
	case GRAFT_MAP_QUEUE: return "queue";
	case GRAFT_MAP_STACK: return "stack";
	case GRAFT_MAP_RINGBUF: return "ringbuf";
	default: return "?";
	}
}

static const char *reloc_name(uint32_t t)
{
	switch (t) {
	case 1: return "R_BPF_64_64";
	case 2: return "R_BPF_64_ABS64";
	case 3: return "R_BPF_64_ABS32";
	case 10: return "R_BPF_64_32";
	default: return "?";
	}
}

/* A program's instructions, each source line before its first pc, map
 * references named. */
static void print_disasm(const struct graft_elf *e, size_t pi)
{
	const struct graft_elf_prog *g = &e->progs[pi];
	uint32_t last = 0;
	const char *lastfile = NULL;
	printf("%s (section %s):\n", g->name, g->section);
	for (size_t pc = 0; pc < g->ninsns;) {
		for (size_t k = 0; k < g->npieces; k++)
			if (g->pieces[k].pc == pc && k)
				printf("%s:\n", g->pieces[k].func);
		const char *file, *text;
		uint32_t line;
		if (graft_elf_line(e, pi, (uint32_t)pc, &file, &line, &text) &&
		    (line != last || file != lastfile)) {
			printf("    ; %s:%u: %s\n", strrchr(file, '/') ?
			       strrchr(file, '/') + 1 : file, line, text ? text : "");
			last = line;
			lastfile = file;
		}
		char buf[128];
		size_t used = bpfasm_disasm_insn(g->insns, g->ninsns, pc,
						 BPFASM_KERNEL, buf, sizeof buf);
		const struct ebpf_insn *in = &g->insns[pc];
		printf("%6zu: %s", pc, buf);
		if (in->code == 0x18 && (uint32_t)in->imm < e->nmaps &&
		    (in->src == EBPF_PSEUDO_MAP_IDX ||
		     in->src == EBPF_PSEUDO_MAP_IDX_VALUE) && pc + 1 < g->ninsns)
			printf("   ; %s %s%s+%d", in->src == EBPF_PSEUDO_MAP_IDX
			       ? "map" : "value of", e->maps[in->imm].name, "",
			       in->src == EBPF_PSEUDO_MAP_IDX ? 0 : in[1].imm);
		putchar('\n');
		pc += used ? used : 1;
	}
}

static void print_elf(const char *path, const struct graft_elf *e, bool lines)
{
	printf("object %s: license \"%s\"\n", path, e->license);
	printf("sections (%zu):\n", e->nsections);
	for (size_t i = 1; i < e->nsections; i++)
		printf("  [%2zu] %-24s type %2u flags 0x%x size %llu\n", i,
		       e->sections[i].name, e->sections[i].type,
		       e->sections[i].flags,
		       (unsigned long long)e->sections[i].size);
	printf("programs (%zu):\n", e->nprogs);
	for (size_t i = 0; i < e->nprogs; i++) {
		const struct graft_elf_prog *g = &e->progs[i];
		printf("  %-20s section %-12s %zu insns", g->name, g->section,
		       g->ninsns);
		for (size_t k = 1; k < g->npieces; k++)
			printf("%s%s@%u", k == 1 ? ", calls " : " ",
			       g->pieces[k].func, g->pieces[k].pc);
		putchar('\n');
		const char *file, *text;
		uint32_t line;
		if (lines && graft_elf_line(e, i, 0, &file, &line, &text))
			printf("      starts at %s:%u: %s\n", file, line,
			       text ? text : "");
	}
	const char *kinds[] = { "btf", "legacy", "data" };
	printf("maps (%zu):\n", e->nmaps);
	for (size_t i = 0; i < e->nmaps; i++) {
		const struct graft_elf_map *m = &e->maps[i];
		printf("  %-16s %-6s %-10s key %u value %u entries %u flags 0x%x%s",
		       m->name, kinds[m->kind], map_type_name(m->def.type),
		       m->def.key_size, m->def.value_size, m->def.max_entries,
		       m->def.flags, m->pinning ? " pinned" : "");
		for (uint32_t k = 0; k < m->ninit_progs; k++)
			printf(" [%u]=%s", m->init_slot[k],
			       e->progs[m->init_prog[k]].name);
		putchar('\n');
	}
	printf("relocations (%zu):\n", e->nrelocs);
	for (size_t i = 0; i < e->nrelocs; i++) {
		const struct graft_elf_reloc *r = &e->relocs[i];
		printf("  %-12s +%-5llu %-15s %-5s %s\n", r->section,
		       (unsigned long long)r->offset, reloc_name(r->type), r->what,
		       r->symbol);
	}
	if (e->has_btf)
		printf("btf: %u types, %u func_info, %u line_info\n", e->btf_types,
		       e->btf_func_info, e->btf_line_info);
	else
		printf("btf: none\n");
}

int cmd_inspect(int argc, char **argv)
{
	bool lines = true, disasm = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: graft inspect [--no-lines] [--disasm] OBJ\n"
			       "  programs, sections, maps, relocations and BTF of\n"
			       "  an ELF object; --disasm lists each program's\n"
			       "  linked instructions with their C source lines\n");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--no-lines"))
			lines = false;
		else if (!strcmp(argv[i], "--disasm"))
			disasm = true;
		else if (!path)
			path = argv[i];
		else
			return cli_error("inspect: one object at a time");
	}
	if (!path)
		return cli_error("usage: graft inspect OBJ"), EXIT_USAGE;
	struct graft_elf *e = cli_open_elf(path);
	if (!e)
		return EXIT_FAIL;
	print_elf(path, e, lines);
	for (size_t i = 0; disasm && i < e->nprogs; i++)
		print_disasm(e, i);
	graft_elf_close(e);
	return EXIT_OK;
}
