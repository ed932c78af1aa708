/* tools/verify_obj.c — see verify_obj.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "verify_obj.h"

static void log_line(void *ud, const char *line)
{
	fprintf((FILE *)ud, "  %s\n", line);
}

void vo_verify(const struct graft_elf *elf, size_t i,
	       enum verify_prog_type type_override, FILE *log, bool trace,
	       struct vo_result *out)
{
	const struct graft_elf_prog *p = &elf->progs[i];
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", p->name);
	out->section = p->section;
	out->type = type_override != VERIFY_PROG_COUNT ? type_override :
		    verify_prog_type_from_section(p->section);
	if (out->type == VERIFY_PROG_COUNT) {
		out->status = GRAFT_ENOTSUP;
		snprintf(out->msg, sizeof out->msg,
			 "no program type for section '%s' (use --type)",
			 p->section);
		return;
	}
	struct verify_map *maps = calloc(elf->nmaps + 1, sizeof *maps);
	for (size_t m = 0; m < elf->nmaps; m++) {
		const struct graft_map_def *d = &elf->maps[m].def;
		maps[m] = (struct verify_map){
			d->type, d->key_size, d->value_size, d->max_entries,
			d->flags & (VERIFY_MAP_F_RDONLY_PROG |
				    VERIFY_MAP_F_WRONLY_PROG) };
	}
	/* source lines: one entry where the line changes */
	struct verify_line *lines = calloc(p->ninsns + 1, sizeof *lines);
	size_t nlines = 0;
	for (uint32_t pc = 0; pc < p->ninsns; pc++) {
		const char *file, *text;
		uint32_t line;
		if (!graft_elf_line(elf, i, pc, &file, &line, &text))
			continue;
		if (nlines && lines[nlines - 1].line == line &&
		    lines[nlines - 1].file == file)
			continue;
		lines[nlines++] = (struct verify_line){ pc, line, file, text };
	}
	struct verify_opts o = {
		.type = out->type, .maps = maps, .nmaps = elf->nmaps,
		.lines = lines, .nlines = nlines, .log = log ? log_line : NULL,
		.log_ud = log, .trace = trace, .alloc = cli_alloc(),
	};
	/* The attach type in the section name may narrow the return range
	 * (cgroup/bind4: 0..3); an explicit --type means the type's own. */
	if (type_override == VERIFY_PROG_COUNT)
		o.ret_range = verify_section_ret_range(p->section, &o.ret_min,
						       &o.ret_max);
	struct graft_err err = { 0 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->status = verify_prog(p->insns, p->ninsns, &o, &out->res, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->us = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
	out->res.time_ns = (uint64_t)(out->us * 1000);
	snprintf(out->msg, sizeof out->msg, "%s", err.msg);
	free(lines);
	free(maps);
}
