/*
 * The map benchmark (issue 5): hash-map lookup + update per operation from
 * inside an eBPF loop, graft against the kernel's JIT on the same object.
 * Each entry of the table is one map benchmark; it prints its own rows.
 */
#include <stdio.h>

#include "bench.h"

struct map_bench {
	const char *name;
	bool (*run)(const char *objdir, unsigned runs, double target_ms);
};

static bool map_hash(const char *objdir, unsigned runs, double target_ms)
{
	(void)objdir, (void)runs, (void)target_ms;
	printf("  hash lookup+update: skipped: needs graft's ELF loader "
	       "(lib/elf) and maps (lib/maps) for a map-relocated object\n");
	return true;
}

static const struct map_bench map_benches[] = {
	{ "hash lookup+update", map_hash },
};

bool bench_maps(const char *objdir, unsigned runs, double target_ms)
{
	bool ok = true;
	printf("maps, ns per operation\n");
	for (size_t i = 0; i < sizeof map_benches / sizeof map_benches[0]; i++)
		ok &= map_benches[i].run(objdir, runs, target_ms);
	return ok;
}
