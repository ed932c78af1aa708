/* tools/cli.h — what the `graft` subcommands share. */
#ifndef GRAFT_TOOLS_CLI_H
#define GRAFT_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"

/* Exit codes of every subcommand. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* A subcommand: argv[0] is its own name. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

/* Print "graft: " and the message to stderr; returns EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file ("-" is stdin) into a malloc'd buffer with a NUL after it. */
char *cli_read_file(const char *path, size_t *len, struct graft_err *err);

/* The allocator for library calls: malloc/free. */
struct graft_alloc cli_alloc(void);

/* Read and parse an eBPF object file; on failure say why, return NULL. */
struct graft_elf;
struct graft_elf *cli_open_elf(const char *path);

#endif
