/*
 * graft — the host-side command line. Each subcommand lives in
 * tools/cmd_NAME.c and defines cmd_NAME; one that is not built into this
 * binary is reported as such instead of failing the link.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_COMMANDS(X)                                                     \
	X(asm, "asm", "assemble text to raw instructions")                         \
	X(disasm, "disasm", "disassemble raw instructions (or --jit machine code)")   \
	X(run, "run", "run a program (assembly, raw bytes or ELF object)")         \
	X(inspect, "inspect", "list an ELF object's programs, maps, relocations, BTF") \
	X(verify, "verify", "statically verify the programs of an object")            \
	X(keygen, "keygen", "make an Ed25519 key pair")                                \
	X(sign, "sign", "sign an object with its verification verdict")             \
	X(verify_sig, "verify-sig", "check an object's signature")                        \
	X(console, "console", "connect to a running unikernel's overlay console")      \
	X(vm, "vm", "boot a graft unikernel image under QEMU")                     \
	X(mr, "mr", "run a MapReduce job on worker unikernels")

#define CLI_DECLARE(name, shown, help) int cmd_##name(int, char **) __attribute__((weak));
CLI_COMMANDS(CLI_DECLARE)

struct command {
	const char *name;
	cli_cmd_fn fn;
	const char *help;
};

static void usage(FILE *out, const struct command *cmds, size_t n)
{
	fprintf(out, "usage: graft COMMAND [ARGS...]   (graft COMMAND --help)\n\n");
	for (size_t i = 0; i < n; i++)
		if (cmds[i].fn)
			fprintf(out, "  %-11s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
#define CLI_ENTRY(name, shown, help) { shown, cmd_##name, help },
	struct command cmds[] = { CLI_COMMANDS(CLI_ENTRY) };
	size_t n = sizeof cmds / sizeof cmds[0];
	if (argc < 2) {
		usage(stderr, cmds, n);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout, cmds, n);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (!cmds[i].fn)
			return cli_error("'%s' is not built into this graft", argv[1]);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr, cmds, n);
	return EXIT_USAGE;
}
