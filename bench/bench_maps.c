/*
 * The map benchmarks (issue 5): map operations per ns from inside an eBPF
 * loop (bench/mapprogs/maps.c), graft against the kernel's JIT on the same
 * object in the same run. Each table entry is one program of that object;
 * every engine must return n (the count of successful operations).
 *
 * graft's side needs its ELF loader (lib/elf: map relocations) and maps
 * (lib/maps + the map helpers); until those are in libgraft.a the graft
 * rows say so.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "progs/prog.h"

struct map_bench {
	const char *prog;  /* program in maps.bpf.o */
	const char *what;
	uint32_t n;        /* operations per run */
};

static const struct map_bench map_benches[] = {
	{ "map_hash", "hash: lookup + update", 1000 },
	{ "map_array", "array: lookup + atomic add", 1000 },
};

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
		printf("  %-28s kernel JIT    %s\n", mb->what, why);
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
	printf("  %-28s kernel JIT    %8.2f ns/op\n", mb->what,
	       bench_median(v, runs < 101 ? runs : 101) / mb->n);
	return true;
}

bool bench_maps(const char *objdir, unsigned runs, double target_ms)
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
		printf("  %-28s graft         skipped: needs graft's ELF loader "
		       "(lib/elf) and maps (lib/maps)\n", mb->what);
		kernel_row(path, mb, runs, target_ms, &failed);
	}
	return !failed;
}
