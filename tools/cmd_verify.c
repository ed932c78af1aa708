/*
 * graft verify OBJ [--prog NAME] [--type TYPE] [--log] [--trace]
 *
 * Statically verifies every program of an ELF object (or one). Prints per
 * program: verdict, instructions, states explored, instructions processed
 * and time; a rejection also prints the report (pc, instruction, reason,
 * register state, source line). --log prints the whole trace (every
 * instruction with its register state). Exit status 0 when every program
 * verified was accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verify_obj.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: graft verify OBJ [--prog NAME] [--type TYPE] "
		   "[--log]\n  types:");
	for (unsigned t = 0; t < VERIFY_PROG_COUNT; t++)
		fprintf(f, " %s", verify_prog_type_name((enum verify_prog_type)t));
	fprintf(f, "\n  (default: from the section name)\n");
}

int cmd_verify(int argc, char **argv)
{
	const char *path = NULL, *only = NULL;
	enum verify_prog_type type = VERIFY_PROG_COUNT;
	bool trace = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--log") || !strcmp(argv[i], "--trace")) {
			trace = true;
		} else if (!strcmp(argv[i], "--prog") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--type") && i + 1 < argc) {
			type = verify_prog_type_from_name(argv[++i]);
			if (type == VERIFY_PROG_COUNT) {
				usage(stderr);
				return cli_error("verify: unknown type '%s'",
						 argv[i]), EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || path) {
			usage(stderr);
			return EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct graft_elf *e = cli_open_elf(path);
	if (!e)
		return EXIT_FAIL;
	int rc = EXIT_OK, seen = 0;
	for (size_t i = 0; i < e->nprogs; i++) {
		if (only && strcmp(e->progs[i].name, only) &&
		    strcmp(e->progs[i].section, only))
			continue;
		seen++;
		struct vo_result r;
		/* the report follows the program's summary line */
		char *logbuf = NULL;
		size_t loglen = 0;
		FILE *log = open_memstream(&logbuf, &loglen);
		vo_verify(e, i, type, log ? log : stderr, trace, &r);
		if (log)
			fclose(log);
		printf("%s (%s, %s): %s  insns %u  states %llu  processed %llu  "
		       "time %.1f us\n", r.name, r.section,
		       r.type == VERIFY_PROG_COUNT ? "?" :
		       verify_prog_type_name(r.type),
		       r.status == GRAFT_OK ? "accepted" :
		       r.status == GRAFT_ENOTSUP ? "unsupported" : "rejected",
		       r.res.insns, (unsigned long long)r.res.states,
		       (unsigned long long)r.res.insns_processed, r.us);
		if (r.status != GRAFT_OK) {
			printf("  %s: %s\n", graft_status_name(r.status), r.msg);
			rc = EXIT_FAIL;
		}
		if (logbuf)
			fputs(logbuf, stdout);
		free(logbuf);
	}
	graft_elf_close(e);
	if (only && !seen)
		return cli_error("verify: no program '%s' in %s", only, path);
	return rc;
}
