/*
 * graft asm FILE [-o OUT] [--hex] — assemble conformance-suite syntax.
 *
 * Output is the raw program (8 little-endian bytes per slot) to OUT, or to
 * stdout when it is not a terminal; on a terminal, or with --hex, one
 * 64-bit word per line (the suite's `-- raw` form, opcode in the low byte).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "graft/asm.h"
#include "prog_io.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: graft asm FILE [-o OUT] [--hex]\n"
		"  Assemble FILE (\"-\" for stdin) written in the conformance suite's\n"
		"  syntax (mov %%r0, 1 / ldxw %%r0, [%%r1+4] / jeq %%r1, 0, label / exit).\n"
		"  -o OUT   write the raw 8-byte instructions to OUT\n"
		"  --hex    print one 64-bit word per line instead of raw bytes\n"
		"  Without -o, raw bytes go to stdout unless it is a terminal.\n");
}

int cmd_asm(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL;
	bool hex = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			outp = argv[++i];
		} else if (!strcmp(argv[i], "--hex")) {
			hex = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("asm: unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!in) {
			in = argv[i];
		} else {
			cli_error("asm: more than one input file");
			return EXIT_USAGE;
		}
	}
	if (!in) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct graft_err err = { 0 };
	size_t len, n;
	char *text = cli_read_file(in, &len, &err);
	if (!text)
		return cli_error("asm: %s", err.msg);
	struct ebpf_insn *prog = prog_from_text(in, text, len, &n);
	free(text);
	if (!prog)
		return EXIT_FAIL;
	FILE *f = stdout;
	if (outp && !(f = fopen(outp, "wb"))) {
		free(prog);
		return cli_error("asm: cannot write %s", outp);
	}
	if (!outp && !hex && isatty(fileno(stdout)))
		hex = true;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[8];
		insn_to_bytes(&prog[i], b);
		if (hex) {
			unsigned long long w = 0;
			for (int k = 7; k >= 0; k--)
				w = w << 8 | b[k];
			fprintf(f, "0x%016llx\n", w);
		} else {
			fwrite(b, 1, 8, f);
		}
	}
	free(prog);
	int bad = ferror(f);
	if (f != stdout)
		bad |= fclose(f);
	else
		bad |= fflush(f);
	if (bad)
		return cli_error("asm: write error on %s", outp ? outp : "stdout");
	return EXIT_OK;
}
