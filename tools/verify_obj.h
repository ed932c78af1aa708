/* tools/verify_obj.h — verify every program of an ELF object (the CLI's
 * verify and sign share it). */
#ifndef GRAFT_TOOLS_VERIFY_OBJ_H
#define GRAFT_TOOLS_VERIFY_OBJ_H

#include <stdbool.h>
#include <stdio.h>

#include "graft/elf.h"
#include "graft/verify.h"

struct vo_result {
	char name[GRAFT_ELF_NAME];
	const char *section;
	enum verify_prog_type type;  /* VERIFY_PROG_COUNT: unknown */
	enum graft_status status;
	struct verify_result res;
	double us;
	char msg[GRAFT_ERR_MSG];
};

/*
 * Verify program i of elf. type_override: VERIFY_PROG_COUNT to take the
 * type from the section name. log: where the rejection report (and with
 * trace, every instruction) goes; NULL for none.
 */
void vo_verify(const struct graft_elf *elf, size_t i,
	       enum verify_prog_type type_override, FILE *log, bool trace,
	       struct vo_result *out);

#endif
