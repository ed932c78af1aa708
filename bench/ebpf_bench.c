/*
 * bench/ebpf_bench.c — `make bench`'s eBPF runner.
 *
 *   ebpf_bench OBJDIR [PART...]
 *
 * OBJDIR holds NAME.bpf.o for every program. With PARTs, only those run:
 * program names (empty, fib, ...), "jit-compile" and "maps".
 *
 * For each benchmark program: graft's interpreter and JIT, checked and
 * unchecked; the same C built natively with gcc -O2; the Linux kernel's JIT
 * via BPF_PROG_TEST_RUN. Engines are measured round-robin in one process so
 * that load on the machine hits them alike; each sample runs the program
 * many times, and the table shows medians of the samples (BENCH_RUNS, at
 * least 5; BENCH_MS milliseconds per sample). Every engine must return the
 * native result; a mismatch or a failed run makes the exit status 1.
 *
 * Clocks: the kernel times BPF_PROG_TEST_RUN itself and stops its clock
 * while it is rescheduled, so graft and native samples are timed with this
 * thread's CPU time, not the wall clock; otherwise load on the (shared)
 * machine would count against every engine but the kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "progs/prog.h"

#define MAX_RUNS 101
#define PAYLOAD 2048
#define PKT_LEN (sizeof(struct bench_in) + PAYLOAD)

/* name, input n, input seed, counts towards the interpreter's headline */
#define BENCH_PROGS(X)                                                     \
	X(empty, 0, 0, false)                                              \
	X(fib, 5000, 7, true)                                              \
	X(leibniz, 5000, 0, true)                                          \
	X(csum, 16, 12345, true)                                           \
	X(sort, 8, 99, false)

#define X_DECL(name, n, seed, head) int bench_native_##name(struct xdp_md *ctx);
BENCH_PROGS(X_DECL)
#undef X_DECL

struct prog_spec {
	const char *name;
	int (*native)(struct xdp_md *ctx);
	uint32_t n, seed;
	bool headline;
};

static const struct prog_spec progs[] = {
#define X_SPEC(name, n, seed, head) { #name, bench_native_##name, n, seed, head },
	BENCH_PROGS(X_SPEC)
#undef X_SPEC
};
#define NPROGS (sizeof progs / sizeof progs[0])

/* E_JIT_D: the unchecked program through ebpf_prog_direct's entry */
enum eng { E_INTERP, E_INTERP_U, E_JIT, E_JIT_U, E_JIT_D, E_NATIVE, E_KERNEL,
	   E_N };

static const char *const eng_label[E_N] = {
	"graft interp", "graft interp unchk", "graft JIT", "graft JIT unchk",
	"graft JIT direct", "native gcc -O2", "kernel JIT",
};
static const unsigned eng_flags[E_N] = {
	[E_INTERP_U] = EBPF_F_UNCHECKED, [E_JIT] = EBPF_F_JIT,
	[E_JIT_U] = EBPF_F_JIT | EBPF_F_UNCHECKED,
	[E_JIT_D] = EBPF_F_JIT | EBPF_F_UNCHECKED,
};

struct engine {
	bool on;
	char why[256];
	struct ebpf_prog *gp;
	struct ebpf_exec *x;
	struct bench_kprog *kp;
	uint64_t iters;
	double sample[MAX_RUNS];
	double median, spread; /* spread: (max - min) / median */
	uint32_t r0;           /* what XDP returns: the low 32 bits */
	uint64_t r0_64;        /* graft's whole r0 */
};

struct bench {
	const struct prog_spec *spec;
	uint8_t *pkt;          /* below 2 GiB, shared by graft and native */
	uint8_t pristine[PKT_LEN];
	struct xdp_md ctx;
	uint64_t executed;     /* graft's count for one run, 0 if unknown */
	struct engine e[E_N];
	bool failed;
};

static volatile uint32_t sink;

/* Run engine `k` of b `iters` times: mean ns per run and r0; false on error. */
static bool measure(struct bench *b, enum eng k, uint64_t iters, double *ns)
{
	struct engine *e = &b->e[k];
	uint64_t t0, t1;
	switch (k) {
	case E_NATIVE: {
		uint32_t acc = 0, r = 0;
		t0 = bench_cpu_ns();
		for (uint64_t i = 0; i < iters; i++) {
			r = (uint32_t)b->spec->native(&b->ctx);
			acc ^= r;
		}
		t1 = bench_cpu_ns();
		sink = acc;
		e->r0 = r;
		break;
	}
	case E_KERNEL: {
		uint32_t rep = iters > 0xffffffffu ? 0xffffffffu : (uint32_t)iters;
		return bench_kernel_run(e->kp, b->pristine, PKT_LEN, rep, ns,
					&e->r0, e->why, sizeof e->why) == 0;
	}
	default:
		if (!bench_graft_time(e->gp, e->x, iters, k == E_JIT_D, ns,
				      e->why, sizeof e->why))
			return false;
		e->r0_64 = e->x->r0;
		e->r0 = (uint32_t)e->r0_64;
		return true;
	}
	*ns = (double)(t1 - t0) / (double)iters;
	return true;
}

/* Pick an iteration count so that one sample takes about target_ms. */
static bool calibrate(struct bench *b, enum eng k, double target_ms)
{
	uint64_t iters = 1;
	double ns = 0;
	for (;;) {
		if (!measure(b, k, iters, &ns))
			return false;
		if (ns * (double)iters >= 2e6 || iters >= (1u << 30))
			break;
		iters *= 8;
	}
	double want = target_ms * 1e6 / (ns > 1 ? ns : 1);
	b->e[k].iters = want < 1 ? 1 : (uint64_t)want;
	return true;
}

static void fill_packet(struct bench *b)
{
	struct bench_in in = { b->spec->n, b->spec->seed };
	uint32_t x = 0x9e3779b9u;
	memcpy(b->pristine, &in, sizeof in);
	for (size_t i = sizeof in; i < PKT_LEN; i++) {
		x = x * 1664525u + 1013904223u;
		b->pristine[i] = (uint8_t)(x >> 24);
	}
	memcpy(b->pkt, b->pristine, PKT_LEN);
	b->ctx.data = (uint32_t)(uintptr_t)b->pkt;
	b->ctx.data_end = b->ctx.data + (uint32_t)PKT_LEN;
}

/*
 * Load the program into graft's four engines. Only "JIT not built" is a
 * skip; graft refusing a program the kernel's verifier accepts is a failure.
 */
static void setup_graft(struct bench *b, const struct ebpf_insn *insns,
			size_t n, bool *jit_missing)
{
	for (enum eng k = E_INTERP; k <= E_JIT_D; k++) {
		struct engine *e = &b->e[k];
		enum graft_status st;
		if (!insns) {
			b->failed = true; /* e->why holds the object's problem */
			continue;
		}
		e->gp = bench_graft_load(insns, n, eng_flags[k], NULL, &st,
					 e->why,
					 sizeof e->why);
		if (!e->gp && (eng_flags[k] & EBPF_F_JIT) &&
		    st == GRAFT_ENOTSUP) {
			snprintf(e->why, sizeof e->why, "skipped: JIT not built");
			*jit_missing = true;
			continue;
		}
		if (e->gp)
			e->x = bench_graft_exec(&b->ctx, sizeof b->ctx, b->pkt,
					       PKT_LEN, e->why, sizeof e->why);
		if (!e->x) {
			printf("FAIL %s %s: %s\n", b->spec->name, eng_label[k],
			       e->why);
			b->failed = true;
			continue;
		}
		if (k == E_JIT_D && !ebpf_prog_direct(e->gp)) {
			snprintf(e->why, sizeof e->why, "no direct entry (the "
				 "program calls or loads packets): ebpf_prog_run only");
			continue;
		}
		e->on = true;
	}
}

static void print_row(const struct bench *b, enum eng k)
{
	const struct engine *e = &b->e[k];
	if (!e->on) {
		printf("  %-20s %s\n", eng_label[k], e->why);
		return;
	}
	printf("  %-20s %12.1f", eng_label[k], e->median);
	if (b->executed)
		printf(" %9.3f", e->median / (double)b->executed);
	else
		printf(" %9s", "-");
	const struct engine *nat = &b->e[E_NATIVE], *ker = &b->e[E_KERNEL];
	if (nat->on && nat->median > 0)
		printf(" %9.2f", e->median / nat->median);
	else
		printf(" %9s", "-");
	if (ker->on && ker->median > 0)
		printf(" %9.2f", e->median / ker->median);
	else
		printf(" %9s", "-");
	printf(" %5.0f%%  0x%08x\n", 100 * e->spread, e->r0);
}

/* Measure one program in every engine; prints its rows. */
static void run_prog(struct bench *b, const char *objdir, unsigned runs,
		     double target_ms, bool kernel_ok, bool *jit_missing)
{
	char path[1024], why[256] = "";
	size_t n = 0;
	snprintf(path, sizeof path, "%s/%s.bpf.o", objdir, b->spec->name);
	fill_packet(b);
	if (access(path, R_OK) != 0) {
		printf("FAIL %s: no object %s (run `make bench`)\n",
		       b->spec->name, path);
		b->failed = true;
		return;
	}

	struct ebpf_insn *insns = bench_obj_section(path, "xdp", &n, why,
						    sizeof why);
	for (enum eng k = E_INTERP; k <= E_JIT_D; k++)
		snprintf(b->e[k].why, sizeof b->e[k].why, "%s", why);
	setup_graft(b, insns, n, jit_missing);
	free(insns);

	b->e[E_NATIVE].on = true;
	if (kernel_ok) {
		b->e[E_KERNEL].kp = bench_kernel_load(path, b->spec->name,
						      b->e[E_KERNEL].why,
						      sizeof b->e[E_KERNEL].why);
		b->e[E_KERNEL].on = b->e[E_KERNEL].kp != NULL;
	}

	/* graft's instruction count, from one fresh checked run */
	if (b->e[E_INTERP].on) {
		double ns;
		if (measure(b, E_INTERP, 1, &ns))
			b->executed = b->e[E_INTERP].x->executed;
	}

	for (enum eng k = 0; k < E_N; k++) {
		if (b->e[k].on && !calibrate(b, k, target_ms)) {
			printf("FAIL %s %s: %s\n", b->spec->name, eng_label[k],
			       b->e[k].why);
			b->e[k].on = false;
			b->failed = true;
		}
	}
	for (unsigned r = 0; r < runs; r++) {
		for (enum eng k = 0; k < E_N; k++) {
			struct engine *e = &b->e[k];
			if (e->on && !measure(b, k, e->iters, &e->sample[r])) {
				printf("FAIL %s %s: %s\n", b->spec->name,
				       eng_label[k], e->why);
				e->on = false;
				b->failed = true;
			}
		}
	}
	for (enum eng k = 0; k < E_N; k++) {
		struct engine *e = &b->e[k];
		if (e->on) {
			e->median = bench_median(e->sample, runs);
			e->spread = (e->sample[runs - 1] - e->sample[0]) /
				    (e->median > 0 ? e->median : 1);
		}
	}

	if (b->executed)
		printf("%s (n=%u): %llu eBPF instructions per run\n",
		       b->spec->name, b->spec->n,
		       (unsigned long long)b->executed);
	else
		printf("%s (n=%u): eBPF instructions per run unknown (needs "
		       "graft's interpreter)\n", b->spec->name, b->spec->n);
	for (enum eng k = 0; k < E_N; k++)
		if (k != E_KERNEL || kernel_ok)
			print_row(b, k);
	for (enum eng k = 0; k < E_N; k++) {
		const struct engine *e = &b->e[k];
		if (k != E_NATIVE && e->on && e->r0 != b->e[E_NATIVE].r0) {
			printf("MISMATCH %s: %s returned 0x%08x, native 0x%08x\n",
			       b->spec->name, eng_label[k], e->r0,
			       b->e[E_NATIVE].r0);
			b->failed = true;
		}
		/* graft's engines must agree on all 64 bits */
		if (k > E_INTERP && k <= E_JIT_D && e->on && b->e[E_INTERP].on &&
		    e->r0_64 != b->e[E_INTERP].r0_64) {
			printf("MISMATCH %s: %s r0 0x%016llx, interpreter "
			       "0x%016llx\n", b->spec->name, eng_label[k],
			       (unsigned long long)e->r0_64,
			       (unsigned long long)b->e[E_INTERP].r0_64);
			b->failed = true;
		}
	}
}

static void free_bench(struct bench *b)
{
	for (enum eng k = 0; k < E_N; k++) {
		bench_graft_free(b->e[k].gp);
		free(b->e[k].x);
		bench_kernel_close(b->e[k].kp);
	}
}

static double ratio(const struct bench *b, enum eng num, enum eng den)
{
	const struct engine *x = &b->e[num], *y = &b->e[den];
	return x->on && y->on && y->median > 0 ? x->median / y->median : 0;
}

static void summary(struct bench *bs, bool jit_missing)
{
	double v[NPROGS];
	size_t nv = 0;
	printf("\nsummary\n");
	for (enum eng k = E_INTERP; k <= E_INTERP_U; k++) {
		char names[64] = "";
		nv = 0;
		for (size_t i = 0; i < NPROGS; i++) {
			if (!progs[i].headline || !bs[i].e[k].on ||
			    !bs[i].executed)
				continue;
			v[nv++] = bs[i].e[k].median / (double)bs[i].executed;
			snprintf(names + strlen(names),
				 sizeof names - strlen(names), "%s%s",
				 nv > 1 ? ", " : "", progs[i].name);
		}
		double m = nv ? bench_median(v, nv) : 0;
		if (nv)
			printf("  %s: median %.3f ns/insn over %s (target <= 1.5: "
			       "%s; ubpf ~3.6-3.9 here)\n", eng_label[k], m,
			       names, m <= 1.5 ? "met" : "MISSED");
		else
			printf("  %s: not measured\n", eng_label[k]);
	}
	if (jit_missing) {
		printf("  graft JIT: skipped: JIT not built\n");
		return;
	}
	for (size_t i = 0; i < NPROGS; i++) {
		const struct bench *b = &bs[i];
		if (!b->e[E_JIT].on)
			continue;
		/* the kernel runs verified code: unchecked is the like-for-like
		 * mode, checked the default; both are held to the targets */
		double rk = ratio(b, E_JIT, E_KERNEL);
		double rn = ratio(b, E_JIT, E_NATIVE);
		printf("  JIT %-8s checked:   x kernel %6.3f (target < 1.0: "
		       "%s)  x native %6.3f (target <= 1.5: %s)\n",
		       b->spec->name, rk, rk > 0 && rk < 1.0 ? "met" : "MISSED",
		       rn, rn > 0 && rn <= 1.5 ? "met" : "MISSED");
		double uk = ratio(b, E_JIT_U, E_KERNEL);
		double un = ratio(b, E_JIT_U, E_NATIVE);
		printf("      %-8s unchecked: x kernel %6.3f (target < 1.0: "
		       "%s)  x native %6.3f (target <= 1.5: %s)  "
		       "checked/unchecked %6.3f\n", "", uk,
		       uk > 0 && uk < 1.0 ? "met" : "MISSED", un,
		       un > 0 && un <= 1.5 ? "met" : "MISSED",
		       ratio(b, E_JIT, E_JIT_U));
		if (!b->e[E_JIT_D].on)
			continue;
		double dk = ratio(b, E_JIT_D, E_KERNEL);
		double dn = ratio(b, E_JIT_D, E_NATIVE);
		printf("      %-8s direct:    x kernel %6.3f (target < 1.0: "
		       "%s)  x native %6.3f (target <= 1.5: %s)\n", "", dk,
		       dk > 0 && dk < 1.0 ? "met" : "MISSED", dn,
		       dn > 0 && dn <= 1.5 ? "met" : "MISSED");
	}
}

/* Is this part of the benchmark asked for (all are, when none is named)? */
static bool wanted(const char *part, int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], part) == 0)
			return true;
	return argc <= 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ebpf_bench OBJDIR [PROGRAM... | "
			"jit-compile | maps]\n");
		return 2;
	}
	unsigned runs = bench_env_uint("BENCH_RUNS", 11, 5, MAX_RUNS);
	double target_ms = bench_env_uint("BENCH_MS", 20, 1, 10000);
	uint8_t *pkt = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (pkt == MAP_FAILED) {
		perror("mmap MAP_32BIT");
		return 1;
	}
	static struct bench bs[NPROGS];
	bool jit_missing = false, failed = false;

	printf("medians of %u samples, each ~%.0f ms of back-to-back runs "
	       "(thread CPU time; the kernel's own test_run clock);\n"
	       "ns/insn divides by graft's executed count; spread is "
	       "(max - min) / median of the samples\n", runs, target_ms);
	char kwhy[256] = "", probe[1024];
	snprintf(probe, sizeof probe, "%s/empty.bpf.o", argv[1]);
	bool kernel_ok = bench_kernel_usable(probe, kwhy, sizeof kwhy);
	if (!kernel_ok)
		printf("kernel JIT: skipped: %s\n", kwhy);
	else if (*bench_kernel_jit_note())
		printf("%s\n", bench_kernel_jit_note());
	bench_print_machine();
	bool any = false;
	for (size_t i = 0; i < NPROGS; i++)
		any |= wanted(progs[i].name, argc, argv);
	if (any)
		printf("  %-20s %12s %9s %9s %9s %6s  %s\n", "engine",
		       "ns/run", "ns/insn", "x native", "x kernel", "spread",
		       "r0");
	for (size_t i = 0; i < NPROGS; i++) {
		if (!wanted(progs[i].name, argc, argv))
			continue;
		bs[i].spec = &progs[i];
		bs[i].pkt = pkt;
		run_prog(&bs[i], argv[1], runs, target_ms, kernel_ok,
			 &jit_missing);
		failed |= bs[i].failed;
	}
	if (any)
		summary(bs, jit_missing);
	if (wanted("jit-compile", argc, argv)) {
		printf("\n");
		failed |= !bench_jit_compile_time(runs < 201 ? 201 : runs);
	}
	if (wanted("maps", argc, argv)) {
		printf("\n");
		failed |= !bench_maps(argv[1], runs, target_ms, kernel_ok);
	}
	for (size_t i = 0; i < NPROGS; i++)
		free_bench(&bs[i]);
	munmap(pkt, 2 * 4096);
	if (failed)
		printf("\nebpf_bench: FAILED (a result mismatch or a failed run, "
		       "see above)\n");
	return failed ? 1 : 0;
}
