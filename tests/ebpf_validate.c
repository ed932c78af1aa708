/*
 * ebpf_validate: one data file per case in tests/data/validate/, plus every
 * conformance negative/ file given as raw instructions.
 *
 * Case file (line by line, '#' starts a comment):
 *   helpers ID...            helper IDs the program may call
 *   max_insns N              the size limit
 *   resolver                 pass an lddw resolver
 *   insn CODE DST SRC OFF IMM    one instruction (numbers, 0x allowed)
 *   raw B0 .. B7             one instruction as its 8 bytes
 *   expect ok | expect TEXT  valid, or rejected with TEXT in the message
 * Valid cases must also load (ebpf_prog_load) and rejected ones must fail
 * to load with the same message.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"
#include "testlib.h"

#define MAXN 64

struct vcase {
	struct ebpf_insn insns[MAXN];
	size_t n;
	struct ebpf_helper helpers[8];
	size_t nhelpers;
	uint32_t max_insns;
	bool resolver;
	char expect[200];
};

static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}
static void t_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static uint64_t nop_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			   uint64_t e, struct ebpf_exec *x)
{
	(void)b, (void)c, (void)d, (void)e, (void)x;
	return a;
}

static enum graft_status resolve(void *ud, const struct ebpf_insn pair[2],
				 uint64_t *value, struct graft_err *err)
{
	(void)ud, (void)err;
	*value = (uint64_t)(uint32_t)pair[0].imm * 1000;
	return GRAFT_OK;
}

static bool parse_case(const char *path, struct vcase *c, char *why)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		sprintf(why, "cannot open");
		return false;
	}
	memset(c, 0, sizeof *c);
	char line[256];
	bool ok = true;
	while (ok && fgets(line, sizeof line, f)) {
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *s = line + strspn(line, " \t");
		s[strcspn(s, "\r\n")] = '\0';
		if (!*s)
			continue;
		if (!strncmp(s, "expect ", 7)) {
			snprintf(c->expect, sizeof c->expect, "%s", s + 7);
		} else if (!strncmp(s, "helpers", 7)) {
			char *e, *q = s + 7;
			for (;;) {
				unsigned long id = strtoul(q, &e, 0);
				if (e == q || c->nhelpers == 8)
					break;
				c->helpers[c->nhelpers++] =
					(struct ebpf_helper){ (uint32_t)id, "h", nop_helper };
				q = e;
			}
		} else if (!strncmp(s, "max_insns ", 10)) {
			c->max_insns = (uint32_t)strtoul(s + 10, NULL, 0);
		} else if (!strcmp(s, "resolver")) {
			c->resolver = true;
		} else if (c->n == MAXN) {
			ok = false;
		} else if (!strncmp(s, "insn ", 5)) {
			long v[5];
			char *q = s + 5, *e;
			for (int i = 0; i < 5 && ok; i++, q = e) {
				v[i] = strtol(q, &e, 0);
				ok = e != q;
			}
			c->insns[c->n++] = (struct ebpf_insn){
				(uint8_t)v[0], (uint8_t)(v[1] & 15), (uint8_t)(v[2] & 15),
				(int16_t)v[3], (int32_t)v[4]
			};
		} else if (!strncmp(s, "raw ", 4)) {
			uint8_t b[8];
			char *q = s + 4, *e;
			for (int i = 0; i < 8 && ok; i++, q = e) {
				b[i] = (uint8_t)strtoul(q, &e, 16);
				ok = e != q;
			}
			memcpy(&c->insns[c->n++], b, 8);
		} else {
			ok = false;
		}
	}
	fclose(f);
	if (!ok)
		sprintf(why, "bad line: %.100s", line);
	else if (!c->expect[0])
		sprintf(why, "no expect line");
	return ok && c->expect[0];
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir ending in suffix (malloc'd). */
static size_t list_dir(const char *dir, const char *suffix, char ***out)
{
	DIR *d = opendir(dir);
	size_t n = 0, cap = 0;
	char **v = NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix))
			continue;
		if (n == cap)
			v = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
		v[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof *v, by_name);
	*out = v;
	return n;
}

static void run_case(const char *name, const struct vcase *c)
{
	struct ebpf_load_opts o = {
		.helpers = c->helpers, .nhelpers = c->nhelpers,
		.max_insns = c->max_insns,
		.resolve_ld64 = c->resolver ? resolve : NULL,
		.alloc = { t_alloc, t_free, NULL },
	};
	struct graft_err err = { 0 }, lerr = { 0 };
	enum graft_status st = ebpf_validate(c->insns, c->n, &o, &err);
	struct ebpf_prog *p = NULL;
	enum graft_status lst = ebpf_prog_load(&p, c->insns, c->n, &o, &lerr);
	if (!strcmp(c->expect, "ok")) {
		T_CHECK(st == GRAFT_OK, "%s: rejected: %s", name, err.msg);
		T_CHECK(lst == GRAFT_OK && p, "%s: load failed: %s", name, lerr.msg);
	} else {
		T_CHECK(st != GRAFT_OK && strstr(err.msg, c->expect),
			"%s: want error with \"%s\", got %s \"%s\"", name,
			c->expect, graft_status_name(st), err.msg);
		T_CHECK(lst == st && !strcmp(lerr.msg, err.msg) && !p,
			"%s: load disagrees with validate: %s", name, lerr.msg);
	}
	ebpf_prog_free(p);
}

/* A conformance negative file with a raw section and an error section. */
static bool conformance_raw(const char *path, struct vcase *c)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	memset(c, 0, sizeof *c);
	char line[256], sec[32] = "";
	bool error = false;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "-- ", 3)) {
			size_t k = strcspn(line + 3, "\r\n ");
			if (k >= sizeof sec)
				k = sizeof sec - 1;
			memcpy(sec, line + 3, k);
			sec[k] = '\0';
			error |= !strcmp(sec, "error");
			continue;
		}
		if (strcmp(sec, "raw") || line[0] == '#' || c->n == MAXN)
			continue;
		uint8_t b[8];
		char *q = line, *e;
		int i;
		for (i = 0; i < 8; i++, q = e) {
			b[i] = (uint8_t)strtoul(q, &e, 16);
			if (e == q)
				break;
		}
		if (i == 8)
			memcpy(&c->insns[c->n++], b, 8);
	}
	fclose(f);
	return error && c->n > 0;
}

int main(void)
{
	const char *dir = "tests/data/validate";
	char **names;
	size_t n = list_dir(dir, ".txt", &names);
	T_CHECK(n >= 50, "expected the case files in %s (run from the repo root)", dir);
	static struct vcase c;
	for (size_t i = 0; i < n; i++) {
		char path[512], why[200] = "";
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (T_CHECK(parse_case(path, &c, why), "%s: %s", names[i], why))
			run_case(names[i], &c);
		free(names[i]);
	}
	free(names);
	printf("validate: %zu case files (errors name pc and reason; valid ones load)\n", n);

	char ndir[512];
	snprintf(ndir, sizeof ndir, "%s/negative", t_conformance_dir());
	size_t m = list_dir(ndir, ".data", &names), raw = 0;
	for (size_t i = 0; i < m; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", ndir, names[i]);
		if (conformance_raw(path, &c)) {
			struct graft_err err = { 0 };
			enum graft_status st = ebpf_validate(c.insns, c.n, NULL, &err);
			T_CHECK(st != GRAFT_OK && strstr(err.msg, "pc "),
				"negative/%s: accepted or no pc in \"%s\"", names[i],
				err.msg);
			raw++;
		}
		free(names[i]);
	}
	free(names);
	T_CHECK(m == 0 || raw >= 40, "only %zu raw negative files found", raw);
	printf("validate: %zu conformance negative files with raw code rejected\n", raw);

	/* A NULL program or options never crash. */
	struct graft_err err = { 0 };
	T_CHECK(ebpf_validate(NULL, 0, NULL, &err) == GRAFT_EINVAL, "NULL program");
	printf("validate: NULL program rejected\n");
	return t_done();
}
