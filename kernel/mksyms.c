/*
 * kernel/mksyms.c — host tool: turn `nm -n -S --defined-only IMAGE` output
 * (stdin) into the binary symbol table (stdout) that the second link pass
 * embeds. Keeps text, data, rodata and bss symbols; drops local labels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

struct sym {
	unsigned long long addr, size;
	char type;
	char *name;
};

int main(void)
{
	size_t cap = 1024, n = 0, names_len = 0;
	struct sym *syms = malloc(cap * sizeof *syms);
	char line[4096];
	while (syms && fgets(line, sizeof line, stdin)) {
		char *f[4];
		int nf = 0;
		for (char *tok = strtok(line, " \t\n"); tok && nf < 4; tok = strtok(NULL, " \t\n"))
			f[nf++] = tok;
		if (nf < 3)
			continue;
		struct sym s = { strtoull(f[0], NULL, 16), 0, 0, NULL };
		if (nf == 4) {
			s.size = strtoull(f[1], NULL, 16);
			s.type = f[2][0];
			s.name = f[3];
		} else {
			s.type = f[1][0];
			s.name = f[2];
		}
		if (!strchr("TtDdBbRr", s.type) || !strncmp(s.name, ".L", 2))
			continue;
		s.name = strdup(s.name);
		if (n == cap) {
			cap *= 2;
			syms = realloc(syms, cap * sizeof *syms);
			if (!syms)
				break;
		}
		syms[n++] = s;
		names_len += strlen(s.name) + 1;
	}
	if (!syms || names_len >= (1u << 24)) {
		fprintf(stderr, "mksyms: out of memory or too many names\n");
		return 1;
	}
	struct symtab_hdr h = { SYMTAB_MAGIC, (uint32_t)n,
		(uint32_t)(sizeof h + n * sizeof(struct symtab_entry)), (uint32_t)names_len };
	fwrite(&h, sizeof h, 1, stdout);
	uint32_t off = 0;
	for (size_t i = 0; i < n; i++) {
		struct symtab_entry e = { syms[i].addr, (uint32_t)syms[i].size,
			off | ((uint32_t)(unsigned char)syms[i].type << 24) };
		fwrite(&e, sizeof e, 1, stdout);
		off += (uint32_t)strlen(syms[i].name) + 1;
	}
	for (size_t i = 0; i < n; i++)
		fwrite(syms[i].name, strlen(syms[i].name) + 1, 1, stdout);
	return ferror(stdout) ? 1 : 0;
}
