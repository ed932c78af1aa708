/*
 * graft run FILE [--mem HEXFILE] [--budget N] [--jit] [--unchecked]
 *                [--raw | --text]
 *
 * Runs one program: assembly text (.s, .asm), raw instructions (.bin,
 * .raw) or, for anything else, whichever the bytes look like. An ELF
 * object goes to run_object(), which the object loader provides
 * (tools/run_obj.c). r1 points to the --mem bytes (a read-write region;
 * 0 without --mem) and r2 holds their length. Prints r0 and the count of
 * executed instructions; a load or run-time error goes to stderr, exit 1.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "graft/asm.h"
#include "prog_io.h"

/* The object loader's entry point, when it is built in. */
int run_object(int argc, char **argv) __attribute__((weak));

static void usage(FILE *f)
{
	fprintf(f,
		"usage: graft run FILE [--mem HEXFILE] [--budget N] [--jit] [--unchecked]\n"
		"                      [--raw | --text]\n"
		"  Run an eBPF program: assembly text (.s/.asm), raw 8-byte\n"
		"  instructions (.bin/.raw) or an ELF object made by clang.\n"
		"  --mem HEXFILE  hex bytes (\"de ad be ef ...\") the program gets in\n"
		"                 r1 (pointer) and r2 (length), read-write\n"
		"  --budget N     stop after N instructions (default %llu)\n"
		"  --jit          compile to x86-64 instead of interpreting\n"
		"  --unchecked    no memory checks or budget (verified programs only)\n"
		"  --raw, --text  how to read FILE when its name does not say\n"
		"  Helpers: 5 ktime_get_ns, 6 trace_printk(fmt, size, a, b, c),\n"
		"  7 get_prandom_u32.\n"
		"  An ELF object goes to the object loader, which has options of its\n"
		"  own: graft run OBJ [PROG] [--ctx FILE] [--maps] [--repeat N] [--jit]\n",
		(unsigned long long)EBPF_DEFAULT_BUDGET);
}

/* ---- helpers a command-line program can call (Linux IDs) ------------- */

static uint64_t h_ktime_get_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			       uint64_t e, struct ebpf_exec *x)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)x;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t h_prandom(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			  uint64_t e, struct ebpf_exec *x)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	uint64_t *s = x->user; /* xorshift state, seeded by the command */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

/*
 * trace_printk(fmt, fmt_size, a1, a2, a3): %d %i %u %x %ld %lu %lx %lld
 * %llu %llx %p %% and %c, up to three arguments; the format must lie in
 * memory the program may read. Returns the bytes printed.
 */
static uint64_t h_trace_printk(uint64_t fmt, uint64_t size, uint64_t a1,
			       uint64_t a2, uint64_t a3, struct ebpf_exec *x)
{
	if (!size || size > 512 || !ebpf_exec_access_ok(x, fmt, size, EBPF_R))
		return ebpf_exec_abort(x, "trace_printk: format at 0x%" PRIx64
				       " (%" PRIu64 " bytes) is not readable",
				       fmt, size);
	const char *f = (const char *)(uintptr_t)fmt;
	uint64_t args[3] = { a1, a2, a3 };
	unsigned used = 0;
	int out = printf("trace: ");
	for (uint64_t i = 0; i < size && f[i]; i++) {
		if (f[i] != '%' || i + 1 >= size) {
			out += putchar(f[i]) != EOF;
			continue;
		}
		uint64_t j = i + 1;
		int longs = 0;
		while (j < size && f[j] == 'l' && longs < 2)
			j++, longs++;
		char conv = j < size ? f[j] : '\0';
		if (conv == '%') {
			out += putchar('%') != EOF;
		} else if (strchr("diuxpc", conv) && conv && used < 3) {
			uint64_t v = args[used++];
			if (!longs && conv != 'p')
				v = (conv == 'd' || conv == 'i') ? (uint64_t)(int64_t)(int32_t)v
								  : (uint32_t)v;
			if (conv == 'd' || conv == 'i')
				out += printf("%" PRId64, (int64_t)v);
			else if (conv == 'u')
				out += printf("%" PRIu64, v);
			else if (conv == 'x')
				out += printf("%" PRIx64, v);
			else if (conv == 'p')
				out += printf("0x%" PRIx64, v);
			else
				out += putchar((int)(unsigned char)v) != EOF;
		} else {
			return ebpf_exec_abort(x, "trace_printk: unsupported "
					       "conversion at format byte %" PRIu64, i);
		}
		i = j;
	}
	fflush(stdout);
	return (uint64_t)(out > 0 ? out : 0);
}

static const struct ebpf_helper helpers[] = {
	{ 5, "ktime_get_ns", h_ktime_get_ns },
	{ 6, "trace_printk", h_trace_printk },
	{ 7, "get_prandom_u32", h_prandom },
};

/* ---- input ------------------------------------------------------------ */

/* Hex bytes separated by blanks; `#` starts a comment. */
static uint8_t *read_hex(const char *path, size_t *len)
{
	struct graft_err err = { 0 };
	size_t n;
	char *t = cli_read_file(path, &n, &err);
	if (!t) {
		cli_error("run: --mem: %s", err.msg);
		return NULL;
	}
	uint8_t *b = malloc(n / 2 + 1);
	size_t k = 0;
	unsigned line = 1;
	for (size_t i = 0; b && i < n;) {
		char c = t[i];
		if (c == '#') {
			while (i < n && t[i] != '\n')
				i++;
		} else if (isspace((unsigned char)c)) {
			line += c == '\n';
			i++;
		} else if (i + 1 < n && isxdigit((unsigned char)c) &&
			   isxdigit((unsigned char)t[i + 1]) &&
			   (i + 2 == n || isspace((unsigned char)t[i + 2]) ||
			    t[i + 2] == '#')) {
			char pair[3] = { c, t[i + 1], 0 };
			b[k++] = (uint8_t)strtoul(pair, NULL, 16);
			i += 2;
		} else {
			cli_error("run: --mem %s: line %u: expected hex bytes like "
				  "\"0a ff\"", path, line);
			free(b);
			b = NULL;
		}
	}
	free(t);
	*len = k;
	return b;
}

enum form { FORM_GUESS, FORM_RAW, FORM_TEXT };

static struct ebpf_insn *load_file(const char *path, enum form form,
				   size_t *n, bool *elf)
{
	static const char *const text_ext[] = { ".s", ".S", ".asm", NULL };
	static const char *const raw_ext[] = { ".bin", ".raw", NULL };
	struct graft_err err = { 0 };
	size_t len;
	char *buf = cli_read_file(path, &len, &err);
	*elf = false;
	if (!buf) {
		cli_error("run: %s", err.msg);
		return NULL;
	}
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4)) {
		*elf = true;
		free(buf);
		return NULL;
	}
	if (form == FORM_GUESS)
		form = has_ext(path, text_ext) ? FORM_TEXT
		       : has_ext(path, raw_ext) ? FORM_RAW
		       : (looks_like_text(buf, len) || len % 8) ? FORM_TEXT : FORM_RAW;
	struct ebpf_insn *p = form == FORM_TEXT ? prog_from_text(path, buf, len, n)
						: prog_from_bytes(path, buf, len, n);
	free(buf);
	return p;
}

/* ---- the command ------------------------------------------------------ */

static bool is_elf(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	bool elf = f && fread(m, 1, 4, f) == 4 && !memcmp(m, "\x7f" "ELF", 4);
	if (f)
		fclose(f);
	return elf;
}

/*
 * An ELF object anywhere among the arguments hands the whole command to
 * the object loader, whose options differ; 0 means "not an object".
 */
static int maybe_object(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mem") || !strcmp(argv[i], "--budget")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' || !is_elf(argv[i]))
			continue;
		if (run_object)
			return run_object(argc, argv);
		return cli_error("run: %s: ELF objects need the object loader, "
				 "which is not built into this graft", argv[i]);
	}
	return -1;
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL, *memfile = NULL;
	unsigned long long budget = 0;
	unsigned flags = 0;
	enum form form = FORM_GUESS;
	int obj = maybe_object(argc, argv);
	if (obj >= 0)
		return obj;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--mem") && i + 1 < argc) {
			memfile = argv[++i];
		} else if (!strcmp(a, "--budget") && i + 1 < argc) {
			char *end;
			errno = 0;
			budget = strtoull(argv[++i], &end, 0);
			if (*end || errno || !budget || argv[i][0] == '-') {
				cli_error("run: --budget wants a positive number, not '%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--jit")) {
			flags |= EBPF_F_JIT;
		} else if (!strcmp(a, "--unchecked")) {
			flags |= EBPF_F_UNCHECKED;
		} else if (!strcmp(a, "--raw")) {
			form = FORM_RAW;
		} else if (!strcmp(a, "--text")) {
			form = FORM_TEXT;
		} else if (a[0] == '-' && a[1]) {
			cli_error("run: unknown option '%s'", a);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			cli_error("run: more than one program file");
			return EXIT_USAGE;
		}
	}
	if (!path) {
		usage(stderr);
		return EXIT_USAGE;
	}
	size_t n;
	bool elf;
	struct ebpf_insn *insns = load_file(path, form, &n, &elf);
	if (elf) /* only from stdin: a path was caught by maybe_object */
		return cli_error("run: %s: an ELF object must be named by its path",
				 path);
	if (!insns)
		return EXIT_FAIL;

	struct ebpf_load_opts lo = {
		.helpers = helpers, .nhelpers = sizeof helpers / sizeof helpers[0],
		.flags = flags, .alloc = cli_alloc(),
	};
	struct ebpf_prog *prog = NULL;
	struct graft_err err = { 0 };
	enum graft_status st = ebpf_prog_load(&prog, insns, n, &lo, &err);
	free(insns);
	if (st == GRAFT_ENOTSUP && (flags & EBPF_F_JIT))
		return cli_error("run: --jit: the JIT is not built into this graft "
				 "(%s); run without --jit", err.msg);
	if (st)
		return cli_error("run: %s: %s", path, err.msg);

	size_t memlen = 0;
	uint8_t *mem = NULL;
	if (memfile && !(mem = read_hex(memfile, &memlen))) {
		ebpf_prog_free(prog);
		return EXIT_FAIL;
	}
	struct ebpf_exec *x = malloc(sizeof *x);
	if (!x) {
		free(mem);
		ebpf_prog_free(prog);
		return cli_error("run: out of memory");
	}
	uint64_t seed = h_ktime_get_ns(0, 0, 0, 0, 0, NULL) | 1;
	ebpf_exec_init(x);
	x->user = &seed;
	x->budget = budget;
	if (mem && memlen) {
		x->arg[0] = (uint64_t)(uintptr_t)mem;
		x->arg[1] = memlen;
		ebpf_exec_add_region(x, mem, memlen, EBPF_RW);
	}
	st = ebpf_prog_run(prog, x);
	int rc = EXIT_OK;
	if (st) {
		cli_error("run: %s: %s (%s, after %llu instructions)", path,
			  x->err.msg, graft_status_name(st),
			  (unsigned long long)x->executed);
		rc = EXIT_FAIL;
	} else {
		printf("r0 = %llu (0x%llx)\n", (unsigned long long)x->r0,
		       (unsigned long long)x->r0);
		if (flags & EBPF_F_UNCHECKED)
			printf("unchecked run: instructions are not counted\n");
		else
			printf("%llu instructions executed\n",
			       (unsigned long long)x->executed);
	}
	free(x);
	free(mem);
	ebpf_prog_free(prog);
	return rc;
}
