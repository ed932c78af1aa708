/*
 * graft disasm FILE [--kernel] — print raw instructions as text.
 *
 * The default syntax is the conformance suite's and assembles back to the
 * same bytes (`graft asm`); --kernel prints the Linux verifier-log style
 * with pc numbers. --jit (the JIT's machine code) is provided by the JIT's
 * own file through the weak hook disasm_jit below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graft/asm.h"
#include "prog_io.h"

/* Defined by the JIT's tools file when it is built in. */
int disasm_jit(const char *path, const struct ebpf_insn *insns, size_t n)
	__attribute__((weak));

static void usage(FILE *f)
{
	fprintf(f,
		"usage: graft disasm FILE [--kernel | --jit]\n"
		"  Disassemble FILE (\"-\" for stdin): raw 8-byte little-endian\n"
		"  instructions, as `graft asm` writes them.\n"
		"  (default)  conformance-suite syntax; `graft asm` reads it back\n"
		"  --kernel   kernel verifier-log syntax (r0 = r1, if r1 > 0x5 goto pc+2)\n"
		"  --jit      the x86-64 code the JIT makes (when the JIT is built in)\n");
}

int cmd_disasm(int argc, char **argv)
{
	const char *in = NULL;
	enum { SUITE, KERNEL, JIT } mode = SUITE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--kernel")) {
			mode = KERNEL;
		} else if (!strcmp(argv[i], "--jit")) {
			mode = JIT;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("disasm: unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!in) {
			in = argv[i];
		} else {
			cli_error("disasm: more than one input file");
			return EXIT_USAGE;
		}
	}
	if (!in) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct graft_err err = { 0 };
	size_t len, n;
	char *buf = cli_read_file(in, &len, &err);
	if (!buf)
		return cli_error("disasm: %s", err.msg);
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4)) {
		free(buf);
		return cli_error("disasm: %s is an ELF object; `graft inspect` lists "
				 "its programs", in);
	}
	struct ebpf_insn *prog = prog_from_bytes(in, buf, len, &n);
	free(buf);
	if (!prog)
		return EXIT_FAIL;
	int rc = EXIT_OK;
	if (mode == JIT) {
		rc = disasm_jit ? disasm_jit(in, prog, n)
				: cli_error("disasm: --jit needs the JIT, which is not "
					    "built into this graft");
	} else {
		enum bpfasm_syntax syn = mode == KERNEL ? BPFASM_KERNEL : BPFASM_SUITE;
		size_t need = bpfasm_disassemble(prog, n, syn, NULL, 0);
		char *text = malloc(need + 1);
		if (!text) {
			free(prog);
			return cli_error("disasm: out of memory");
		}
		bpfasm_disassemble(prog, n, syn, text, need + 1);
		fputs(text, stdout);
		free(text);
	}
	free(prog);
	return rc;
}
