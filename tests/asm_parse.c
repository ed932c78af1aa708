/*
 * The assembler's encodings and error messages, both as data:
 * tests/data/asm/encode.txt (`text => words`) and one file per bad input
 * in tests/data/asm/errors/ (NAME.s), whose first line is `# expect: FRAGMENT`.
 * Header lines `# cap: N` (instruction slots) and `# fill: N TEXT` (N
 * copies of a line) shape a case. Each bad input must fail with an error
 * starting "line L, column C:" that contains the fragment; every prefix of
 * it must assemble or fail without harm.
 */
#include <dirent.h>
#include <string.h>

#include "asm_datafile.h"
#include "graft/asm.h"
#include "testlib.h"

#define CAP 65536
static struct ebpf_insn out[CAP];

static void encodings(void)
{
	FILE *f = fopen("tests/data/asm/encode.txt", "r");
	if (!T_CHECK(f != NULL, "open tests/data/asm/encode.txt"))
		return;
	char line[512];
	unsigned cases = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *arrow = strstr(line, " => ");
		if (line[0] == '#' || !arrow)
			continue;
		*arrow = '\0';
		struct ebpf_insn want[2];
		size_t nw = 0;
		for (char *t = strtok(arrow + 4, " "); t && nw < 2; t = strtok(NULL, " "))
			want[nw++] = df_from_word(strtoull(t, NULL, 16));
		struct graft_err err = { 0 };
		size_t n = 0;
		cases++;
		if (!T_CHECK(!bpfasm_assemble(line, strlen(line), out, CAP, &n, &err),
			     "encode '%s': %s", line, err.msg))
			continue;
		T_CHECK(n == nw && !memcmp(out, want, n * sizeof *out),
			"encode '%s': got %zu slots, first 0x%02x %u %u %d %d", line, n,
			out[0].code, out[0].dst, out[0].src, out[0].off, out[0].imm);
	}
	fclose(f);
	printf("encodings: %u cases from tests/data/asm/encode.txt\n", cases);
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Build the case's text: header lines kept, `# fill` expanded. */
static char *build_case(const char *src, size_t *len, char *expect,
			size_t *cap)
{
	size_t room = strlen(src) + 1;
	const char *fill = strstr(src, "# fill: ");
	unsigned long count = 0;
	char fline[128] = "";
	if (fill) {
		char *end;
		count = strtoul(fill + 8, &end, 10);
		snprintf(fline, sizeof fline, "%.*s", (int)strcspn(end + 1, "\n"), end + 1);
		room += count * (strlen(fline) + 1);
	}
	char *t = malloc(room), *w = t;
	for (const char *p = src; *p;) {
		size_t l = strcspn(p, "\n");
		if (!strncmp(p, "# expect: ", 10))
			snprintf(expect, 256, "%.*s", (int)(l - 10), p + 10);
		if (!strncmp(p, "# cap: ", 7))
			*cap = strtoul(p + 7, NULL, 10);
		if (!strncmp(p, "# fill: ", 8)) {
			for (unsigned long i = 0; i < count; i++)
				w += sprintf(w, "%s\n", fline);
		} else {
			memcpy(w, p, l);
			w += l;
			*w++ = '\n';
		}
		p += l + (p[l] == '\n');
	}
	*len = (size_t)(w - t);
	return t;
}

static void errors(void)
{
	const char *dir = "tests/data/asm/errors";
	DIR *d = opendir(dir);
	if (!T_CHECK(d != NULL, "open %s", dir))
		return;
	char *names[512];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < 512;)
		if (strlen(e->d_name) > 2 && !strcmp(e->d_name + strlen(e->d_name) - 2, ".s"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[512], expect[256] = "";
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size_t flen, len, cap = CAP;
		char *src = df_slurp(path, &flen);
		if (!T_CHECK(src != NULL, "read %s", path))
			continue;
		char *text = build_case(src, &len, expect, &cap);
		if (cap > CAP)
			cap = CAP;
		struct graft_err err = { 0 };
		size_t got = 0;
		enum graft_status st = bpfasm_assemble(text, len, out, cap, &got, &err);
		T_CHECK(st != GRAFT_OK && expect[0] && !strncmp(err.msg, "line ", 5) &&
				strstr(err.msg, expect),
			"%s: want \"%s\", got %s \"%s\"", names[i], expect,
			graft_status_name(st), err.msg);
		/* prefixes: no crash, and any error still names a line */
		bool sane = true;
		for (size_t k = 0; k < len && k < 512; k++) {
			struct graft_err e2 = { 0 };
			if (bpfasm_assemble(text, k, out, cap, &got, &e2) &&
			    strncmp(e2.msg, "line ", 5))
				sane = false;
		}
		T_CHECK(sane, "%s: prefixes give errors without a line", names[i]);
		printf("  %-28s %s\n", names[i], err.msg);
		free(text);
		free(src);
		free(names[i]);
	}
	printf("errors: %zu bad inputs from %s\n", n, dir);
}

/*
 * Many labels: up to LABEL_CACHE (64) the assembler keeps them in a table,
 * beyond it it rescans; both ways must give the same answers.
 */
static void many_labels(void)
{
	static const unsigned counts[] = { 1, 10, 63, 64, 65, 200 };
	static char text[1 << 16];
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
		unsigned nl = counts[k];
		size_t len = 0;
		for (unsigned i = 0; i < nl; i++)
			len += (size_t)sprintf(text + len, "L%u:\nja L%u\n", i,
					       (i * 7 + 3) % nl);
		len += (size_t)sprintf(text + len, "jeq %%r0, 0, exit\nexit\n");
		struct graft_err err = { 0 };
		size_t n = 0;
		bool ok = !bpfasm_assemble(text, len, out, CAP, &n, &err) &&
			  n == nl + 2;
		for (unsigned i = 0; ok && i < nl; i++)
			ok = out[i].code == 0x05 &&
			     out[i].off == (int)((i * 7 + 3) % nl) - (int)i - 1;
		ok = ok && out[nl].code == 0x15 && out[nl].off == 0;
		T_CHECK(ok, "%u labels: offsets (%s)", nl, err.msg);
		/* a duplicate, then an unknown label, after all of them */
		unsigned line = 2 * nl + 3;
		char want[128];
		snprintf(want, sizeof want, "line %u, column 1: duplicate label 'L0' "
			 "(first defined on line 1)", line);
		sprintf(text + len, "L0:\n");
		T_CHECK(bpfasm_assemble(text, len + 4, out, CAP, &n, &err) &&
				!strcmp(err.msg, want),
			"%u labels: duplicate: got \"%s\"", nl, err.msg);
		snprintf(want, sizeof want, "line %u, column 4: unknown label 'NOPE'",
			 line);
		sprintf(text + len, "ja NOPE\n");
		T_CHECK(bpfasm_assemble(text, len + 8, out, CAP, &n, &err) &&
				!strcmp(err.msg, want),
			"%u labels: unknown: got \"%s\"", nl, err.msg);
	}
	printf("many labels: %zu programs, from 1 to 200 labels\n",
	       sizeof counts / sizeof counts[0]);
}

int main(void)
{
	encodings();
	errors();
	many_labels();
	return t_done();
}
