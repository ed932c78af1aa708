/*
 * tests/jit_x86.c — the JIT's contract beyond results (those are
 * jit_diff's): code memory is installed once and released once, never
 * writable and executable at once; a failing code memory or allocator is
 * an error, never a crash or a leak; both code-memory implementations run
 * code; big programs compile within their bound and agree with the
 * interpreter; ebpf_prog_jit_code says what was compiled.
 */
#include <stdio.h>
#include <string.h>

#include "graft/ebpf.h"
#include "testlib.h"

/* An allocator that counts, and fails from the Nth allocation on. */
struct counting {
	long allocs, frees, fail_at;
};

static void *c_alloc(void *ud, size_t n)
{
	struct counting *c = ud;
	if (c->fail_at >= 0 && c->allocs >= c->fail_at)
		return NULL;
	c->allocs++;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void c_free(void *ud, void *p)
{
	struct counting *c = ud;
	if (p)
		c->frees++;
	free(p);
}

/* A code memory that records its calls, and can refuse. */
struct recording {
	int installs, releases;
	bool refuse;
	void *last;
};

static void *r_install(void *ud, const void *code, size_t size)
{
	struct recording *r = ud;
	if (r->refuse)
		return NULL;
	r->installs++;
	r->last = ebpf_codemem_posix.install(NULL, code, size);
	return r->last;
}

static void r_release(void *ud, void *p, size_t size)
{
	struct recording *r = ud;
	r->releases++;
	ebpf_codemem_posix.release(NULL, p, size);
}

/* r0 = sum of 1..10 through a loop, a local call and the stack. */
static const struct ebpf_insn loop_prog[] = {
	{ 0xb7, 0, 0, 0, 0 },    /* mov r0, 0 */
	{ 0xb7, 6, 0, 0, 10 },   /* mov r6, 10 */
	{ 0x0f, 0, 6, 0, 0 },    /* L: add r0, r6 */
	{ 0x17, 6, 0, 0, 1 },    /* sub r6, 1 */
	{ 0x55, 6, 0, -3, 0 },   /* jne r6, 0, L */
	{ 0x7b, 10, 0, -8, 0 },  /* stxdw [r10-8], r0 */
	{ 0x85, 0, 1, 0, 1 },    /* call local +1 */
	{ 0x95, 0, 0, 0, 0 },    /* exit */
	{ 0x07, 0, 0, 0, 1000 }, /* add r0, 1000 */
	{ 0x95, 0, 0, 0, 0 },    /* exit */
};
#define LOOP_N (sizeof loop_prog / sizeof loop_prog[0])

static struct ebpf_exec x;

static uint64_t run(const struct ebpf_prog *p, enum graft_status *st)
{
	ebpf_exec_init(&x);
	*st = ebpf_prog_run(p, &x);
	return x.r0;
}

/* Is there any mapping that is writable and executable at once? */
static bool any_wx(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool wx = false;
	while (f && fgets(line, sizeof line, f)) {
		char perm[8] = "";
		if (sscanf(line, "%*s %7s", perm) == 1 && perm[1] == 'w' &&
		    perm[2] == 'x')
			wx = true;
	}
	if (f)
		fclose(f);
	return wx;
}

/* The permissions of the mapping holding addr ("r-xp"), or "". */
static void perms_of(const void *addr, char out[8])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	out[0] = 0;
	uintptr_t a = (uintptr_t)addr;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 && a >= lo &&
		    a < hi)
			memcpy(out, perm, 8);
	}
	if (f)
		fclose(f);
}

static void test_codemem(void)
{
	const struct ebpf_codemem *impl[] = { &ebpf_codemem_posix,
					      &ebpf_codemem_memfd, NULL };
	const char *names[] = { "posix", "memfd", "default" };
	for (int i = 0; i < 3; i++) {
		for (unsigned fl = 0; fl < 2; fl++) {
			struct ebpf_load_opts o = {
				.flags = EBPF_F_JIT | (fl ? EBPF_F_UNCHECKED : 0),
				.alloc = { c_alloc, c_free, &(struct counting){ 0, 0, -1 } },
				.codemem = impl[i],
			};
			struct ebpf_prog *p;
			struct graft_err err = { 0 };
			enum graft_status st = ebpf_prog_load(&p, loop_prog, LOOP_N, &o, &err);
			if (!T_CHECK(st == GRAFT_OK, "codemem %s: load: %s", names[i], err.msg))
				continue;
			size_t size;
			const void *code = ebpf_prog_jit_code(p, &size);
			char perm[8];
			perms_of(code, perm);
			T_CHECK(code && size > 0, "codemem %s: code reported", names[i]);
			T_CHECK(!strncmp(perm, "r-x", 3), "codemem %s: code is %s, want r-x",
				names[i], perm);
			T_CHECK(!any_wx(), "codemem %s: a writable+executable mapping exists",
				names[i]);
			uint64_t r0 = run(p, &st);
			T_CHECK(st == GRAFT_OK && r0 == 1055, "codemem %s: r0 %llu (%s)",
				names[i], (unsigned long long)r0, x.err.msg);
			ebpf_prog_free(p);
		}
	}
	printf("jit_x86: code memory (posix, memfd, default) is r-x, never w+x, and runs\n");

	/* Near the library's code (a hint, so a taken page may send one
	 * program elsewhere): of 16 programs held at once, most within 2 GB. */
	struct ebpf_prog *held[16];
	struct counting held_cnt = { 0, 0, -1 }; /* outlives the programs */
	int near = 0, loaded = 0;
	for (int i = 0; i < 16; i++) {
		struct ebpf_load_opts o = {
			.flags = EBPF_F_JIT | EBPF_F_UNCHECKED,
			.alloc = { c_alloc, c_free, &held_cnt },
		};
		struct graft_err err = { 0 };
		held[i] = NULL;
		if (ebpf_prog_load(&held[i], loop_prog, LOOP_N, &o, &err))
			continue;
		loaded++;
		intptr_t d = (intptr_t)(uintptr_t)ebpf_prog_jit_code(held[i], NULL) -
			     (intptr_t)(uintptr_t)&ebpf_prog_load;
		near += d > -(1ll << 31) && d < (1ll << 31);
	}
	T_CHECK(loaded == 16 && near >= 14,
		"code near the library: %d of %d programs within 2 GB", near, loaded);
	for (int i = 0; i < 16; i++)
		ebpf_prog_free(held[i]);
	printf("jit_x86: JIT code is placed within 2 GB of the library's code (%d of 16)\n",
	       near);

	struct recording rec = { 0 };
	struct ebpf_codemem cm = { r_install, r_release, &rec };
	struct ebpf_load_opts o = { .flags = EBPF_F_JIT, .codemem = &cm,
				    .alloc = { c_alloc, c_free, &(struct counting){ 0, 0, -1 } } };
	struct ebpf_prog *p;
	struct graft_err err = { 0 };
	T_CHECK(ebpf_prog_load(&p, loop_prog, LOOP_N, &o, &err) == GRAFT_OK,
		"recording codemem: load");
	T_CHECK(rec.installs == 1 && rec.releases == 0, "install once (%d, %d)",
		rec.installs, rec.releases);
	T_CHECK(ebpf_prog_jit_code(p, NULL) == (uint8_t *)rec.last + 64,
		"jit_code points into the installed memory");
	ebpf_prog_free(p);
	T_CHECK(rec.releases == 1, "release once at free (%d)", rec.releases);

	rec.refuse = true;
	struct counting cnt = { 0, 0, -1 };
	o.alloc.ud = &cnt;
	enum graft_status st = ebpf_prog_load(&p, loop_prog, LOOP_N, &o, &err);
	T_CHECK(st == GRAFT_ENOMEM && !p && strstr(err.msg, "JIT"),
		"refused install: %s \"%s\"", graft_status_name(st), err.msg);
	T_CHECK(cnt.allocs == cnt.frees, "refused install leaks nothing (%ld/%ld)",
		cnt.allocs, cnt.frees);
	printf("jit_x86: install/release once each; a refusing code memory is ENOMEM\n");
}

static void test_alloc_failures(void)
{
	int ok = 0, failed = 0;
	for (long k = 0; k < 64; k++) {
		struct counting cnt = { 0, 0, k };
		struct ebpf_load_opts o = { .flags = EBPF_F_JIT,
					    .alloc = { c_alloc, c_free, &cnt } };
		struct ebpf_prog *p;
		struct graft_err err = { 0 };
		enum graft_status st = ebpf_prog_load(&p, loop_prog, LOOP_N, &o, &err);
		if (st == GRAFT_OK) {
			enum graft_status rs;
			T_CHECK(run(p, &rs) == 1055, "alloc fail at %ld: wrong result", k);
			ebpf_prog_free(p);
			ok++;
		} else {
			T_CHECK(st == GRAFT_ENOMEM && err.msg[0] && !p,
				"alloc fail at %ld: %s \"%s\"", k,
				graft_status_name(st), err.msg);
			failed++;
		}
		T_CHECK(cnt.allocs == cnt.frees, "alloc fail at %ld: leak (%ld/%ld)",
			k, cnt.allocs, cnt.frees);
	}
	T_CHECK(failed > 0 && ok > 0, "allocator failures were exercised");
	printf("jit_x86: every allocation failure during load+JIT is ENOMEM without leaks (%d cases)\n",
	       failed);
}

/* A long straight program: r0 folds every instruction; the JIT and the
 * interpreter must agree, checked and unchecked. */
static void test_big(void)
{
	size_t n = 200000;
	struct ebpf_insn *in = calloc(n, sizeof *in);
	for (size_t i = 0; i + 1 < n; i++) {
		static const uint8_t ops[] = { 0x07, 0x27, 0xa7, 0x17, 0x77, 0xc7 };
		uint8_t op = ops[i % 6];
		int32_t imm = op == 0x77 || op == 0xc7 ? (int32_t)(i % 13)
						       : (int32_t)(i * 2654435761u);
		in[i] = (struct ebpf_insn){ op, 0, 0, 0, imm };
	}
	in[n - 1] = (struct ebpf_insn){ 0x95, 0, 0, 0, 0 };
	for (unsigned fl = 0; fl < 2; fl++) {
		struct ebpf_load_opts o = {
			.flags = EBPF_F_JIT | (fl ? EBPF_F_UNCHECKED : 0),
			.alloc = { c_alloc, c_free, &(struct counting){ 0, 0, -1 } },
		};
		struct ebpf_prog *p;
		struct graft_err err = { 0 };
		enum graft_status st = ebpf_prog_load(&p, in, n, &o, &err);
		if (!T_CHECK(st == GRAFT_OK, "big program: %s", err.msg))
			continue;
		ebpf_exec_init(&x);
		st = ebpf_prog_interp(p, &x);
		uint64_t want = x.r0, want_exec = x.executed;
		uint64_t got = run(p, &st);
		T_CHECK(st == GRAFT_OK && got == want && x.executed == want_exec,
			"big program (%s): r0 %llx vs %llx, executed %llu vs %llu",
			fl ? "unchecked" : "checked", (unsigned long long)got,
			(unsigned long long)want, (unsigned long long)x.executed,
			(unsigned long long)want_exec);
		size_t size;
		ebpf_prog_jit_code(p, &size);
		T_CHECK(size < n * 64, "big program: %zu bytes of code", size);
		ebpf_prog_free(p);
	}
	free(in);
	printf("jit_x86: a 200,000-instruction program compiles and agrees with the interpreter\n");
}

static uint64_t add_one(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct ebpf_exec *xx)
{
	(void)b, (void)c, (void)d, (void)e, (void)xx;
	return a + 1;
}

/* Helper calls are long (about 70 bytes each): the scratch code buffer
 * must grow, and every allocation failure on the way is a clean ENOMEM. */
static void test_growth(void)
{
	size_t n = 3001;
	struct ebpf_insn *in = calloc(n, sizeof *in);
	for (size_t i = 0; i + 1 < n; i += 2) {
		in[i] = (struct ebpf_insn){ 0x85, 0, 0, 0, 1 };    /* call 1 */
		in[i + 1] = (struct ebpf_insn){ 0xbf, 1, 0, 0, 0 }; /* mov r1, r0 */
	}
	in[n - 1] = (struct ebpf_insn){ 0x95, 0, 0, 0, 0 };
	static const struct ebpf_helper h[] = { { 1, "add_one", add_one } };
	int failed = 0, ok = 0;
	for (long k = 0; k < 12; k++) {
		struct counting cnt = { 0, 0, k };
		struct ebpf_load_opts o = { .helpers = h, .nhelpers = 1,
					    .flags = EBPF_F_JIT,
					    .alloc = { c_alloc, c_free, &cnt } };
		struct ebpf_prog *p;
		struct graft_err err = { 0 };
		enum graft_status st = ebpf_prog_load(&p, in, n, &o, &err);
		if (st == GRAFT_OK) {
			size_t size;
			ebpf_prog_jit_code(p, &size);
			T_CHECK(size > n * 32, "growth: only %zu bytes of code", size);
			enum graft_status rs;
			uint64_t r0 = run(p, &rs);
			T_CHECK(rs == GRAFT_OK && r0 == 1500, "growth: r0 %llu",
				(unsigned long long)r0);
			ebpf_prog_free(p);
			ok++;
		} else {
			T_CHECK(st == GRAFT_ENOMEM && !p, "growth, alloc fail at %ld: %s",
				k, err.msg);
			failed++;
		}
		T_CHECK(cnt.allocs == cnt.frees, "growth, alloc fail at %ld: leak", k);
	}
	T_CHECK(ok && failed, "growth: both outcomes seen (%d ok, %d failed)", ok,
		failed);
	free(in);
	printf("jit_x86: the code buffer grows past its first estimate; failures on the way are ENOMEM\n");
}

static void test_not_compiled(void)
{
	struct ebpf_load_opts o = { .alloc = { c_alloc, c_free, &(struct counting){ 0, 0, -1 } } };
	struct ebpf_prog *p;
	struct graft_err err = { 0 };
	if (!T_CHECK(ebpf_prog_load(&p, loop_prog, LOOP_N, &o, &err) == GRAFT_OK,
		     "interpreter load: %s", err.msg))
		return;
	size_t size = 99;
	T_CHECK(!ebpf_prog_jit_code(p, &size) && size == 0,
		"no JIT code without EBPF_F_JIT");
	ebpf_prog_free(p);
	printf("jit_x86: ebpf_prog_jit_code is NULL without EBPF_F_JIT\n");
}

int main(void)
{
	test_codemem();
	test_alloc_failures();
	test_big();
	test_growth();
	test_not_compiled();
	return t_done();
}
