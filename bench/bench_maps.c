/*
 * The map benchmarks (issue 5): map operations per ns from inside an eBPF
 * loop (bench/mapprogs/maps.c), graft against the kernel's JIT on the same
 * object in the same run. Each table entry is one program of that object;
 * every engine must return n (the count of successful operations).
 *
 * graft's side needs its ELF loader (lib/elf: map relocations) and maps
 * (lib/maps + the map helpers); it is compiled when graft/elf.h exists,
 * and until then the graft rows say what is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "progs/prog.h"

#if __has_include("graft/elf.h")
#include "graft/elf.h"
#define HAVE_GRAFT_OBJ 1
#else
#define HAVE_GRAFT_OBJ 0
#endif

struct map_bench {
	const char *prog;  /* program in maps.bpf.o */
	const char *what;
	uint32_t n;        /* operations per run */
};

static const struct map_bench map_benches[] = {
	{ "map_hash", "hash: lookup + update", 1000 },
	{ "map_array", "array: lookup + atomic add", 1000 },
};

#if HAVE_GRAFT_OBJ
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
		snprintf(why, whylen, "cannot open %s", path);
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
		snprintf(why, whylen, "cannot read %s or out of memory", path);
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
		snprintf(why, whylen, "%s has no program %s", path, name);
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

/* graft's ns per operation with these flags; false on failure. */
static bool graft_row(const char *path, const struct map_bench *mb,
		      unsigned flags, const char *label, unsigned runs,
		      double target_ms, bool *failed)
{
	struct graft_side g = { 0 };
	char why[256] = "";
	double ns = 0, v[101];
	const struct ebpf_prog *p = graft_open(&g, path, mb->prog, mb->n,
					       flags, why, sizeof why);
	bool ok = p != NULL;
	if (!p) {
		bool skip = (flags & EBPF_F_JIT) && strncmp(why, "ENOTSUP", 7) == 0;
		printf("%s%-28s %-15s %s%s\n", skip ? "  " : "FAIL ", mb->what,
		       label, skip ? "skipped: JIT not built: " : "", why);
		*failed |= !skip;
		graft_close(&g);
		return skip;
	}
	ok = bench_graft_time(p, g.x, 1, &ns, why, sizeof why);
	uint64_t iters = ok ? (uint64_t)(target_ms * 1e6 / (ns > 1 ? ns : 1)) : 0;
	if (iters < 1)
		iters = 1;
	for (unsigned r = 0; ok && r < runs && r < 101; r++)
		ok = bench_graft_time(p, g.x, iters, &v[r], why, sizeof why);
	if (!ok) {
		printf("FAIL %s %s: %s\n", mb->prog, label, why);
		*failed = true;
	} else if ((uint32_t)g.x->r0 != mb->n) {
		printf("MISMATCH %s: %s returned %u, want %u\n", mb->prog, label,
		       (uint32_t)g.x->r0, mb->n);
		*failed = true;
	} else {
		printf("  %-28s %-15s %8.2f ns/op\n", mb->what, label,
		       bench_median(v, runs < 101 ? runs : 101) / mb->n);
	}
	graft_close(&g);
	return ok;
}
#endif

/* The kernel's ns per operation; false on a failed run or wrong r0. */
static bool kernel_row(const char *path, const struct map_bench *mb,
		       unsigned runs, double target_ms, bool *failed)
{
	char why[256];
	uint8_t pkt[64] = { 0 };
	struct bench_in in = { mb->n, 0 };
	memcpy(pkt, &in, sizeof in);
	struct bench_kprog *k = bench_kernel_load(path, mb->prog, why,
						  sizeof why);
	if (!k) {
		printf("  %-28s kernel JIT      %s\n", mb->what, why);
		return false;
	}
	double ns = 0, v[101];
	uint32_t r0 = 0, repeat = 1;
	bool ok = true;
	/* calibrate: grow repeat until one call takes ~2 ms */
	while (ok && ns * repeat < 2e6 && repeat < (1u << 24)) {
		ok = bench_kernel_run(k, pkt, sizeof pkt, repeat, &ns, &r0, why,
				      sizeof why) == 0;
		if (ns * repeat < 2e6)
			repeat *= 8;
	}
	double want = target_ms * 1e6 / (ns > 1 ? ns : 1);
	repeat = want < 1 ? 1 : want > 1e9 ? 1000000000u : (uint32_t)want;
	for (unsigned r = 0; ok && r < runs && r < 101; r++)
		ok = bench_kernel_run(k, pkt, sizeof pkt, repeat, &v[r], &r0,
				      why, sizeof why) == 0;
	bench_kernel_close(k);
	if (!ok) {
		printf("FAIL %s kernel JIT: %s\n", mb->prog, why);
		*failed = true;
		return false;
	}
	if (r0 != mb->n) {
		printf("MISMATCH %s: kernel JIT returned %u, want %u\n",
		       mb->prog, r0, mb->n);
		*failed = true;
	}
	printf("  %-28s kernel JIT      %8.2f ns/op\n", mb->what,
	       bench_median(v, runs < 101 ? runs : 101) / mb->n);
	return true;
}

bool bench_maps(const char *objdir, unsigned runs, double target_ms,
		bool kernel_ok)
{
	char path[1024];
	bool failed = false;
	snprintf(path, sizeof path, "%s/maps.bpf.o", objdir);
	printf("maps, median ns per operation (n=%u per run)\n",
	       map_benches[0].n);
	if (access(path, R_OK) != 0) {
		printf("FAIL maps: no object %s (run `make bench`)\n", path);
		return false;
	}
	for (size_t i = 0; i < sizeof map_benches / sizeof map_benches[0]; i++) {
		const struct map_bench *mb = &map_benches[i];
#if HAVE_GRAFT_OBJ
		graft_row(path, mb, 0, "graft interp", runs, target_ms, &failed);
		graft_row(path, mb, EBPF_F_JIT, "graft JIT", runs, target_ms,
			  &failed);
		graft_row(path, mb, EBPF_F_JIT | EBPF_F_UNCHECKED,
			  "graft JIT unchk", runs, target_ms, &failed);
#else
		printf("  %-28s graft           skipped: needs graft's ELF loader "
		       "(lib/elf) and maps (lib/maps)\n", mb->what);
#endif
		if (kernel_ok)
			kernel_row(path, mb, runs, target_ms, &failed);
	}
	return !failed;
}
