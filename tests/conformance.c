/*
 * The conformance runner: every program in ../shared/conformance/tests/
 * (and in tests/data/jit/, the project's own cases in the same format) is
 * assembled, loaded with helper 5 registered and run in each engine
 * mode — interpreter checked and unchecked, and the JIT checked and
 * unchecked when ebpf_prog_load with EBPF_F_JIT does not answer
 * GRAFT_ENOTSUP — and r0 is compared with `-- result` (all 64 bits).
 *
 * r1 points to a private copy of `-- mem` (0 when there is none), r2 holds
 * its length, and the copy is the run's one read-write region.
 *
 * The files in negative/ must be rejected with a non-empty message (by the .data
 * reader, the assembler, the loader's validation or a run-time check) or,
 * where the program runs, end with an r0 different from its `-- result`:
 * that file's point is that a runner must notice the mismatch. A negative
 * program that runs to its own `-- result`, or runs at all where the file
 * expects an error, fails. A program that runs where the file expects an
 * error (it has no `-- result`) goes to the static verifier, which may
 * reject it: reading a register never written is a verifier's finding.
 *
 * GRAFT_CONFORMANCE overrides the directory (tests/testlib.h).
 */
#include <dirent.h>
#include <string.h>

#include "asm_datafile.h"
#include "graft/asm.h"
#include "graft/verify.h"
#include "testlib.h"

#define CAP 8192

struct mode {
	const char *name;
	unsigned flags;
	unsigned passed, run;
};

static struct mode modes[] = {
	{ "interpreter, checked", 0, 0, 0 },
	{ "interpreter, unchecked", EBPF_F_UNCHECKED, 0, 0 },
	{ "JIT, checked", EBPF_F_JIT, 0, 0 },
	{ "JIT, unchecked", EBPF_F_JIT | EBPF_F_UNCHECKED, 0, 0 },
};
#define NMODES (sizeof modes / sizeof modes[0])

/* Helper 5 of the suite: takes r1..r5, its value does not matter. */
static uint64_t helper5(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			uint64_t r5, struct ebpf_exec *x)
{
	(void)x;
	return r1 + r2 + r3 + r4 + r5;
}

static const struct ebpf_helper helpers[] = {
	{ .id = 5, .name = "conformance_helper5", .fn = helper5 },
};

static void *t_alloc(void *ud, size_t size)
{
	(void)ud;
	void *p = NULL;
	return posix_memalign(&p, 16, size ? size : 1) ? NULL : p;
}

static void t_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static struct ebpf_load_opts opts_for(unsigned flags)
{
	return (struct ebpf_load_opts){
		.helpers = helpers, .nhelpers = 1, .flags = flags,
		.alloc = { .alloc = t_alloc, .free = t_free },
	};
}

/* What became of one program in one mode. */
struct outcome {
	enum { REJECTED, FAILED_RUN, RAN } kind;
	const char *stage; /* "assemble", "load", "run" */
	uint64_t r0;
	char msg[GRAFT_ERR_MSG + 32];
};

static struct ebpf_exec exec;

static void run_prog(const struct ebpf_insn *insns, size_t n,
		     const struct datafile *d, unsigned flags, struct outcome *o)
{
	struct ebpf_load_opts lo = opts_for(flags);
	struct ebpf_prog *prog = NULL;
	struct graft_err err = { 0 };
	if (ebpf_prog_load(&prog, insns, n, &lo, &err)) {
		*o = (struct outcome){ .kind = REJECTED, .stage = "load" };
		snprintf(o->msg, sizeof o->msg, "%s", err.msg);
		return;
	}
	uint8_t *mem = d->mem_len ? malloc(d->mem_len) : NULL;
	if (mem)
		memcpy(mem, d->mem, d->mem_len);
	ebpf_exec_init(&exec);
	exec.arg[0] = (uint64_t)(uintptr_t)mem;
	exec.arg[1] = mem ? d->mem_len : 0;
	if (mem)
		ebpf_exec_add_region(&exec, mem, d->mem_len, EBPF_RW);
	enum graft_status st = ebpf_prog_run(prog, &exec);
	*o = (struct outcome){ .kind = st ? FAILED_RUN : RAN, .stage = "run",
			       .r0 = exec.r0 };
	if (st)
		snprintf(o->msg, sizeof o->msg, "%s: %s", graft_status_name(st),
			 exec.err.msg);
	free(mem);
	ebpf_prog_free(prog);
}

/* Assemble the file's program (or take its `-- raw`); false if rejected. */
static bool program_of(const struct datafile *d, struct ebpf_insn *out,
		       size_t *n, struct outcome *o)
{
	struct graft_err err = { 0 };
	if (!d->has_asm && d->has_raw) {
		memcpy(out, d->raw, d->nraw * sizeof *out);
		*n = d->nraw;
		return true;
	}
	if (bpfasm_assemble(d->asm_text ? d->asm_text : "", d->asm_len, out, CAP,
			    n, &err)) {
		*o = (struct outcome){ .kind = REJECTED, .stage = "assemble" };
		snprintf(o->msg, sizeof o->msg, "%s", err.msg);
		return false;
	}
	return true;
}

static struct ebpf_insn insns[CAP];

static void positive(const char *dir, const char *label, bool jit)
{
	char **names;
	for (size_t m = 0; m < NMODES; m++)
		modes[m].passed = modes[m].run = 0;
	size_t n = df_list(dir, &names);
	T_CHECK(n > 0, "no .data files in %s", dir);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct datafile *d = malloc(sizeof *d);
		struct outcome o = { 0 };
		size_t ni = 0;
		bool readable = df_read(path, d), have = false;
		if (readable)
			have = program_of(d, insns, &ni, &o);
		for (size_t m = 0; m < NMODES; m++) {
			if ((modes[m].flags & EBPF_F_JIT) && !jit)
				continue;
			modes[m].run++;
			if (!T_CHECK(readable, "%s [%s]: %s", names[i], modes[m].name, d->why))
				continue;
			if (have)
				run_prog(insns, ni, d, modes[m].flags, &o);
			bool ok;
			if (d->has_result)
				ok = o.kind == RAN && o.r0 == d->result;
			else /* a program that must fail */
				ok = o.kind != RAN && o.msg[0];
			if (o.kind == RAN)
				ok = T_CHECK(ok, "%s [%s]: expected r0 0x%llx, got 0x%llx",
					     names[i], modes[m].name,
					     (unsigned long long)d->result,
					     (unsigned long long)o.r0);
			else
				ok = T_CHECK(ok, "%s [%s]: expected r0 0x%llx, %s failed: %s",
					     names[i], modes[m].name,
					     (unsigned long long)d->result, o.stage, o.msg);
			modes[m].passed += ok;
		}
		df_free(d);
		free(d);
		free(names[i]);
	}
	free(names);
	for (size_t m = 0; m < NMODES; m++)
		if (modes[m].run)
			printf("%s %-22s %u/%u passed\n", label,
			       modes[m].name, modes[m].passed, modes[m].run);
}

/*
 * A negative program that graft loads and runs, with no `-- result` to
 * compare, is asked of the static verifier (the suite's RAW convention):
 * some faults — reading a register never written, leaking a pointer — are
 * for a verifier to find, not for the loader's validation.
 */

/* An allocator that knows what is still out, so a leak is seen, not kept. */
struct block {
	struct block *prev, *next;
};
static struct block live = { &live, &live };

static void *track_alloc(void *ud, size_t size)
{
	(void)ud;
	struct block *b = t_alloc(NULL, sizeof *b + size);
	if (!b)
		return NULL;
	b->next = live.next, b->prev = &live;
	live.next->prev = b, live.next = b;
	return b + 1;
}

static void track_free(void *ud, void *p)
{
	(void)ud;
	if (!p)
		return;
	struct block *b = (struct block *)p - 1;
	b->prev->next = b->next, b->next->prev = b->prev;
	free(b);
}

static bool verifier_rejects(const char *name, const struct ebpf_insn *in,
			     size_t n, struct outcome *o)
{
	struct verify_opts vo = {
		.type = VERIFY_PROG_RAW,
		.alloc = { .alloc = track_alloc, .free = track_free },
	};
	struct verify_result res;
	struct graft_err err = { 0 };
	enum graft_status st = verify_prog(in, n, &vo, &res, &err);
	unsigned left = 0;
	while (live.next != &live) {
		track_free(NULL, live.next + 1);
		left++;
	}
	if (left)
		printf("  note: verify_prog left %u blocks allocated after %s %s\n",
		       left, st ? "rejecting" : "accepting", name);
	if (!st)
		return false;
	*o = (struct outcome){ .kind = REJECTED, .stage = "verify" };
	snprintf(o->msg, sizeof o->msg, "%s", err.msg);
	return true;
}

/* One negative file in one mode: did graft refuse it (or notice)? */
static bool negative_one(const char *name, struct datafile *d, bool readable,
			 unsigned flags, const char *mode, bool verbose)
{
	struct outcome o = { 0 };
	size_t ni = 0;
	if (!readable) {
		o = (struct outcome){ .kind = REJECTED, .stage = ".data reader" };
		snprintf(o.msg, sizeof o.msg, "%s", d->why);
	} else if (program_of(d, insns, &ni, &o)) {
		run_prog(insns, ni, d, flags, &o);
		if (o.kind == RAN && !d->has_result)
			verifier_rejects(name, insns, ni, &o);
	}
	if (o.kind != RAN) {
		bool ok = T_CHECK(o.msg[0] != '\0', "negative %s [%s]: %s with an empty message",
				  name, mode, o.stage);
		if (verbose)
			printf("  %-40s rejected by %s: %.90s\n", name, o.stage, o.msg);
		return ok;
	}
	if (d->has_result && o.r0 != d->result) {
		if (verbose)
			printf("  %-40s ran; r0 0x%llx is not the file's 0x%llx (noticed)\n",
			       name, (unsigned long long)o.r0,
			       (unsigned long long)d->result);
		return T_CHECK(1, "%s", name);
	}
	if (d->has_result)
		return T_CHECK(0, "negative %s [%s]: ran to its -- result 0x%llx", name,
			       mode, (unsigned long long)o.r0);
	return T_CHECK(0, "negative %s [%s]: accepted and ran (r0 0x%llx), but the "
		       "file expects an error (\"%s\")", name, mode,
		       (unsigned long long)o.r0, d->error);
}

static void negative(const char *dir, bool jit)
{
	char **names;
	size_t n = df_list(dir, &names);
	unsigned ok = 0, okj = 0;
	T_CHECK(n > 0, "no .data files in %s", dir);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct datafile *d = malloc(sizeof *d);
		bool readable = df_read(path, d);
		ok += negative_one(names[i], d, readable, 0, modes[0].name, true);
		if (jit)
			okj += negative_one(names[i], d, readable, EBPF_F_JIT,
					    modes[2].name, false);
		df_free(d);
		free(d);
		free(names[i]);
	}
	free(names);
	printf("conformance negative/, %-18s %u/%zu rejected or caught\n",
	       modes[0].name, ok, n);
	if (jit)
		printf("conformance negative/, %-18s %u/%zu rejected or caught\n",
		       modes[2].name, okj, n);
}

int main(void)
{
	/* Is the JIT built? Ask it to compile the smallest program. */
	struct ebpf_insn tiny[2] = { { .code = 0xb7 }, { .code = 0x95 } };
	struct ebpf_load_opts lo = opts_for(EBPF_F_JIT);
	struct ebpf_prog *p = NULL;
	struct graft_err err = { 0 };
	enum graft_status js = ebpf_prog_load(&p, tiny, 2, &lo, &err);
	bool jit = js != GRAFT_ENOTSUP;
	ebpf_prog_free(p);
	if (!jit)
		printf("JIT modes skipped: the JIT is not built (%s)\n", err.msg);

	char dir[1024];
	snprintf(dir, sizeof dir, "%s/tests", t_conformance_dir());
	positive(dir, "conformance tests/,", jit);
	/* the project's own cases, same format: JIT folds and cold paths */
	positive("tests/data/jit", "graft tests/data/jit/,", jit);
	snprintf(dir, sizeof dir, "%s/negative", t_conformance_dir());
	negative(dir, jit);
	return t_done();
}
