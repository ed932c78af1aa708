/* LRU eviction: a 4-entry LRU hash keyed by the first packet byte; a
 * fifth key evicts the least recently used one. Returns 2 for a key that
 * was present, 1 for one it inserted. */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} recent SEC(".maps");

SEC("xdp")
int lru_touch(struct xdp_md *ctx)
{
	__u8 *p = PKT_START(ctx);
	if ((void *)(p + 1) > PKT_END(ctx))
		return 0;
	__u32 key = p[0];
	__u64 *v = bpf_map_lookup_elem(&recent, &key);
	if (v) {
		*v += 1;
		return 2;
	}
	__u64 one = 1;
	bpf_map_update_elem(&recent, &key, &one, BPF_ANY);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
