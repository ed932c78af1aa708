/*
 * The verifier's accept/reject cases: each tests/data/verify/NAME.txt is a
 * program with its program type, maps and expected verdict:
 *
 *   # what the case shows
 *   -- type xdp
 *   -- map hash 4 8 16            (type key_size value_size max_entries)
 *   -- expect accept              or: -- expect reject FRAGMENT
 *   -- asm
 *   mov %r0, 0
 *   exit
 *
 * A rejection must carry FRAGMENT in its message; every message must name
 * the pc. A case is a new file, not new code.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/verify.h"
#include "testlib.h"
#include "verify_text.h"

/* Counts live blocks: verify_prog must free all it allocates, on every
 * verdict. */
static long live, fail_at = -1;
static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	if (fail_at >= 0 && fail_at-- == 0)
		return NULL;
	void *p = malloc(n);
	live += p != NULL;
	return p;
}
static void t_free(void *ud, void *p)
{
	(void)ud;
	live -= p != NULL;
	free(p);
}

static int map_type(const char *s)
{
	static const struct { const char *n; int t; } m[] = {
		{ "hash", VERIFY_MAP_HASH }, { "array", VERIFY_MAP_ARRAY },
		{ "prog_array", VERIFY_MAP_PROG_ARRAY },
		{ "percpu_array", VERIFY_MAP_PERCPU_ARRAY },
		{ "ringbuf", VERIFY_MAP_RINGBUF }, { "queue", VERIFY_MAP_QUEUE },
		{ "cgroup_storage", 19 }, { "sk_storage", 24 },
		{ "sockmap", 15 }, { "xskmap", 17 }, { "sockhash", 18 },
		{ "reuseport_array", 20 },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (!strcmp(s, m[i].n))
			return m[i].t;
	return -1;
}

static void run_case(const char *dir, const char *name, int *nacc,
		     int *nrej)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "r");
	if (!T_CHECK(fp, "%s: cannot open", name))
		return;
	static char text[65536];
	size_t len = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[len] = 0;

	struct verify_map maps[8];
	size_t nmaps = 0;
	enum verify_prog_type type = VERIFY_PROG_COUNT;
	int expect_accept = -1;
	char frag[200] = "";
	char *asm_text = NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char a[64], b[200];
		if (!strncmp(line, "-- asm", 6)) {
			asm_text = line + strlen(line) + 1;
			break;
		}
		if (sscanf(line, "-- type %63s", a) == 1)
			type = verify_prog_type_from_name(a);
		unsigned k, vsz, me;
		if (sscanf(line, "-- map %63s %u %u %u", a, &k, &vsz, &me) == 4 &&
		    nmaps < 8)
			maps[nmaps++] = (struct verify_map){
				(uint32_t)map_type(a), k, vsz, me,
				strstr(line, "rdonly") ? VERIFY_MAP_F_RDONLY_PROG : 0 };
		if (!strncmp(line, "-- expect accept", 16))
			expect_accept = 1;
		if (sscanf(line, "-- expect reject %199[^\n]", b) == 1) {
			expect_accept = 0;
			snprintf(frag, sizeof frag, "%s", b);
		}
	}
	if (!T_CHECK(asm_text && type != VERIFY_PROG_COUNT &&
		     expect_accept >= 0, "%s: malformed case file", name))
		return;
	static struct ebpf_insn prog[4096];
	char aerr[128];
	int n = vt_assemble(asm_text, prog, 4096, aerr, sizeof aerr);
	if (!T_CHECK(n > 0, "%s: %s", name, aerr))
		return;
	struct verify_opts o = { .type = type, .maps = maps, .nmaps = nmaps,
				 .alloc = { t_alloc, t_free, NULL } };
	struct verify_result res;
	struct graft_err err = { 0 };
	live = 0;
	enum graft_status s = verify_prog(prog, (size_t)n, &o, &res, &err);
	T_CHECK(live == 0, "%s: verify_prog left %ld blocks allocated", name,
		live);
	/* every allocation failing in turn: ENOMEM (or the same verdict,
	 * when the failure hits a path the verdict does not need), and
	 * nothing left allocated */
	for (long k = 0; k < 64; k++) {
		struct graft_err e2 = { 0 };
		struct verify_result r2;
		live = 0, fail_at = k;
		enum graft_status s2 = verify_prog(prog, (size_t)n, &o, &r2, &e2);
		bool failed = fail_at < 0;
		fail_at = -1;
		if (!T_CHECK(live == 0 && (s2 == s || (failed &&
						       s2 == GRAFT_ENOMEM)),
			     "%s: allocation %ld failing: %s, %ld blocks left",
			     name, k, graft_status_name(s2), live))
			break;
		if (!failed)
			break;
	}
	if (expect_accept) {
		T_CHECK(s == GRAFT_OK && res.accepted,
			"%s: expected accept, got %s: %s", name,
			graft_status_name(s), err.msg);
		(*nacc)++;
	} else {
		T_CHECK(s != GRAFT_OK && !res.accepted && strstr(err.msg, frag) &&
			!strncmp(err.msg, "pc ", 3),
			"%s: expected rejection with '%s', got %s: %s", name,
			frag, graft_status_name(s), err.msg);
		(*nrej)++;
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/verify";
	DIR *d = opendir(dir);
	if (!T_CHECK(d, "cannot open %s", dir))
		return t_done();
	char *names[1024];
	int nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nn < 1024)
		if (strstr(de->d_name, ".txt"))
			names[nn++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)nn, sizeof names[0], cmp);
	int nacc = 0, nrej = 0;
	for (int i = 0; i < nn; i++) {
		run_case(dir, names[i], &nacc, &nrej);
		free(names[i]);
	}
	printf("verify data: %d accept cases, %d reject cases (verdict, "
	       "message fragment, nothing left allocated)\n", nacc, nrej);
	return t_done();
}
