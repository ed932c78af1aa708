/*
 * The map benchmarks (issue 5): map operations from inside an eBPF loop
 * (bench/mapprogs/maps.c), graft's interpreter and JIT against the kernel's
 * JIT on the same object, measured round-robin in the same run. Each table
 * entry is one program of that object; every engine must return n (the
 * count of successful operations). graft loads the object with lib/elf and
 * runs it with lib/maps' helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "graft/elf.h"
#include "progs/prog.h"

#define MAX_RUNS 101

struct map_bench {
	const char *prog;  /* program in maps.bpf.o */
	const char *what;
	uint32_t n;        /* operations per run */
};

static const struct map_bench map_benches[] = {
	{ "map_hash", "hash: lookup + update", 1000 },
	{ "map_array", "array: lookup + atomic add", 1000 },
};

enum { M_INTERP, M_JIT, M_JIT_U, M_KERNEL, M_N };
static const char *const m_label[M_N] = {
	"graft interp", "graft JIT", "graft JIT unchk", "kernel JIT",
};
static const unsigned m_flags[M_N] = {
	[M_JIT] = EBPF_F_JIT, [M_JIT_U] = EBPF_F_JIT | EBPF_F_UNCHECKED,
};

static void *obj_alloc(void *ud, size_t size)
{
	(void)ud;
	return aligned_alloc(16, (size + 15) & ~(size_t)15);
}

static void obj_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* Everything one graft row holds; freed by graft_close. */
struct graft_side {
	uint8_t *file;
	struct graft_elf *elf;
	struct graft_registry *reg;
	struct graft_obj *obj;
	struct graft_env *env;
	struct ebpf_exec *x;
	uint8_t *pkt;          /* below 2 GiB: xdp_md holds 32-bit addresses */
	struct xdp_md ctx;
};

static void graft_close(struct graft_side *g)
{
	if (g->obj)
		graft_obj_free(g->obj);
	if (g->reg)
		graft_registry_free(g->reg);
	if (g->elf)
		graft_elf_close(g->elf);
	if (g->pkt)
		munmap(g->pkt, 4096);
	free(g->file);
	free(g->env);
	free(g->x);
}

/* Load the object with `flags` and prepare a run of program `name`. */
static const struct ebpf_prog *graft_open(struct graft_side *g,
					  const char *path, const char *name,
					  uint32_t n, unsigned flags,
					  char *why, size_t whylen)
{
	struct graft_alloc a = { obj_alloc, obj_free, NULL };
	struct graft_err err = { 0 };
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, whylen, "cannot open %.200s", path);
		return NULL;
	}
	g->file = malloc(1 << 20);
	len = g->file ? fread(g->file, 1, 1 << 20, f) : 0;
	fclose(f);
	g->pkt = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	g->env = malloc(sizeof *g->env);
	g->x = aligned_alloc(64, (sizeof *g->x + 63) & ~(size_t)63);
	if (!len || g->pkt == MAP_FAILED || !g->env || !g->x) {
		if (g->pkt == MAP_FAILED)
			g->pkt = NULL;
		snprintf(why, whylen, "cannot read %.200s or out of memory", path);
		return NULL;
	}
	struct graft_obj_opts o = { .name = "bench", .flags = flags };
	if (graft_elf_open(&g->elf, g->file, len, &a, &err) != GRAFT_OK ||
	    graft_registry_create(&g->reg, &a, &err) != GRAFT_OK ||
	    graft_obj_load(&g->obj, g->elf, g->reg, &o, &a, &err) != GRAFT_OK) {
		snprintf(why, whylen, "%s: %.200s", graft_status_name(err.status),
			 err.msg);
		return NULL;
	}
	int i = graft_elf_find_prog(g->elf, name);
	if (i < 0) {
		snprintf(why, whylen, "%.200s has no program %.32s", path, name);
		return NULL;
	}
	struct bench_in in = { n, 0 };
	memcpy(g->pkt, &in, sizeof in);
	g->ctx.data = (uint32_t)(uintptr_t)g->pkt;
	g->ctx.data_end = g->ctx.data + 64;
	graft_env_init(g->env, g->reg);
	ebpf_exec_init(g->x);
	if (graft_obj_exec(g->obj, g->x, g->env, &err) != GRAFT_OK ||
	    ebpf_exec_add_region(g->x, &g->ctx, sizeof g->ctx, EBPF_R) ||
	    ebpf_exec_add_region(g->x, g->pkt, 64, EBPF_RW)) {
		snprintf(why, whylen, "cannot prepare the run: %.200s", err.msg);
		return NULL;
	}
	g->x->arg[0] = (uint64_t)(uintptr_t)&g->ctx;
	return g->obj->progs[i];
}

struct map_eng {
	bool on;
	char why[256];
	struct graft_side g;
	const struct ebpf_prog *p;
	struct bench_kprog *k;
	uint64_t iters;
	double v[MAX_RUNS];
	double median, spread;
	uint32_t r0;
};

/* Mean ns per run over `iters` runs; false and e->why on failure. */
static bool m_measure(struct map_eng *e, int k, const uint8_t *kpkt,
		      uint64_t iters, double *ns)
{
	if (k == M_KERNEL) {
		uint32_t rep = iters > 1000000000u ? 1000000000u : (uint32_t)iters;
		return bench_kernel_run(e->k, kpkt, 64, rep, ns, &e->r0, e->why,
					sizeof e->why) == 0;
	}
	bool ok = bench_graft_time(e->p, e->g.x, iters, false, ns, e->why,
				   sizeof e->why);
	e->r0 = (uint32_t)e->g.x->r0;
	return ok;
}

static void m_open(struct map_eng *e, int k, const char *path,
		   const struct map_bench *mb, bool kernel_ok, bool *failed)
{
	if (k == M_KERNEL) {
		if (!kernel_ok)
			return;
		e->k = bench_kernel_load(path, mb->prog, e->why, sizeof e->why);
		e->on = e->k != NULL;
		if (!e->on) {
			printf("FAIL %s %s: %s\n", mb->prog, m_label[k], e->why);
			*failed = true;
		}
		return;
	}
	e->p = graft_open(&e->g, path, mb->prog, mb->n, m_flags[k], e->why,
			  sizeof e->why);
	e->on = e->p != NULL;
	if (!e->on && (m_flags[k] & EBPF_F_JIT) &&
	    strncmp(e->why, "ENOTSUP", 7) == 0) {
		snprintf(e->why, sizeof e->why, "skipped: JIT not built");
	} else if (!e->on) {
		printf("FAIL %s %s: %s\n", mb->prog, m_label[k], e->why);
		*failed = true;
	}
}

static void m_calibrate(struct map_eng *e, int k, const uint8_t *kpkt,
			double target_ms)
{
	uint64_t iters = 1;
	double ns = 0;
	while (e->on) {
		e->on = m_measure(e, k, kpkt, iters, &ns);
		if (ns * (double)iters >= 2e6 || iters >= (1u << 24))
			break;
		iters *= 8;
	}
	double want = target_ms * 1e6 / (ns > 1 ? ns : 1);
	e->iters = want < 1 ? 1 : (uint64_t)want;
}

/* One map benchmark in every engine, round-robin; prints its rows. */
static void map_bench_run(const char *path, const struct map_bench *mb,
			  unsigned runs, double target_ms, bool kernel_ok,
			  bool *failed)
{
	static struct map_eng e[M_N];
	uint8_t kpkt[64] = { 0 };
	struct bench_in in = { mb->n, 0 };
	memcpy(kpkt, &in, sizeof in);
	memset(e, 0, sizeof e);
	for (int k = 0; k < M_N; k++) {
		m_open(&e[k], k, path, mb, kernel_ok, failed);
		m_calibrate(&e[k], k, kpkt, target_ms);
	}
	for (unsigned r = 0; r < runs; r++)
		for (int k = 0; k < M_N; k++)
			if (e[k].on && !m_measure(&e[k], k, kpkt, e[k].iters,
						  &e[k].v[r])) {
				printf("FAIL %s %s: %s\n", mb->prog, m_label[k],
				       e[k].why);
				e[k].on = false;
				*failed = true;
			}
	for (int k = 0; k < M_N; k++) {
		if (!e[k].on)
			continue;
		e[k].median = bench_median(e[k].v, runs);
		e[k].spread = (e[k].v[runs - 1] - e[k].v[0]) /
			      (e[k].median > 0 ? e[k].median : 1);
	}
	for (int k = 0; k < M_N; k++) {
		if (k == M_KERNEL && !kernel_ok)
			continue;
		if (!e[k].on) {
			printf("  %-28s %-15s %s\n", mb->what, m_label[k],
			       e[k].why);
			continue;
		}
		printf("  %-28s %-15s %8.2f", mb->what, m_label[k],
		       e[k].median / mb->n);
		if (e[M_KERNEL].on)
			printf(" %9.3f", e[k].median / e[M_KERNEL].median);
		else
			printf(" %9s", "-");
		printf(" %5.0f%%\n", 100 * e[k].spread);
		if (e[k].r0 != mb->n) {
			printf("MISMATCH %s: %s returned %u, want %u\n",
			       mb->prog, m_label[k], e[k].r0, mb->n);
			*failed = true;
		}
	}
	for (int k = M_JIT; k <= M_JIT_U; k++)
		if (e[k].on && e[M_KERNEL].on) {
			double x = e[k].median / e[M_KERNEL].median;
			printf("  %-28s %s x kernel %.3f (issue 5 target <= 1.0: "
			       "%s)\n", "", m_label[k], x,
			       x <= 1.0 ? "met" : "MISSED");
		}
	for (int k = 0; k < M_N; k++) {
		graft_close(&e[k].g);
		bench_kernel_close(e[k].k);
	}
}

bool bench_maps(const char *objdir, unsigned runs, double target_ms,
		bool kernel_ok)
{
	char path[1024];
	bool failed = false;
	snprintf(path, sizeof path, "%s/maps.bpf.o", objdir);
	printf("maps, n=%u operations per run; median ns per operation\n",
	       map_benches[0].n);
	if (access(path, R_OK) != 0) {
		printf("FAIL maps: no object %s (run `make bench`)\n", path);
		return false;
	}
	printf("  %-28s %-15s %8s %9s %6s\n", "benchmark", "engine", "ns/op",
	       "x kernel", "spread");
	for (size_t i = 0; i < sizeof map_benches / sizeof map_benches[0]; i++)
		map_bench_run(path, &map_benches[i], runs > MAX_RUNS ? MAX_RUNS
			      : runs, target_ms, kernel_ok, &failed);
	return !failed;
}
