/*
 * Map benchmarks (eBPF only: there is no native anchor for a helper call).
 * Each program does n map operations in a loop with keys from a small
 * cycle; r0 is the number of operations that succeeded, so every engine
 * must return n.
 *
 *   map_hash:  hash map, bpf_map_lookup_elem then bpf_map_update_elem
 *   map_array: array map, bpf_map_lookup_elem then an atomic add
 */
#include "../progs/prog.h"

/* BTF map definitions as libbpf reads them, and the helpers' Linux IDs. */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) __typeof__(val) *name
#define SEC(s) __attribute__((section(s), used))
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_ANY 0

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value, u64 flags) = (void *)2;

#define MAP_OPS_MAX 1024
#define MAP_KEYS 256

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAP_KEYS);
	__type(key, u32);
	__type(value, u64);
} bench_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAP_KEYS);
	__type(key, u32);
	__type(value, u64);
} bench_array SEC(".maps");

SEC("xdp") int map_hash(struct xdp_md *ctx)
{
	struct bench_in *in = bench_input(ctx, 0);
	if (!in)
		return 0;
	u32 n = in->n, ok = 0;
	for (u32 i = 0; i < MAP_OPS_MAX && i < n; i++) {
		u32 key = (i * 7) % MAP_KEYS;
		u64 *v = bpf_map_lookup_elem(&bench_hash, &key);
		u64 next = v ? *v + 1 : 1;
		if (bpf_map_update_elem(&bench_hash, &key, &next, BPF_ANY) == 0)
			ok++;
	}
	return (int)ok;
}

SEC("xdp") int map_array(struct xdp_md *ctx)
{
	struct bench_in *in = bench_input(ctx, 0);
	if (!in)
		return 0;
	u32 n = in->n, ok = 0;
	for (u32 i = 0; i < MAP_OPS_MAX && i < n; i++) {
		u32 key = (i * 7) % MAP_KEYS;
		u64 *v = bpf_map_lookup_elem(&bench_array, &key);
		if (v) {
			__sync_fetch_and_add(v, 1);
			ok++;
		}
	}
	return (int)ok;
}

char _license[] SEC("license") = "GPL";
