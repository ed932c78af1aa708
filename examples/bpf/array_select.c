/* Two arrays chosen at run time: the map pointer reaching the lookup comes
 * from two paths, so the loader must keep the helper call (no inlining),
 * while the lookup of a fixed map right after is inlined. */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} even SEC(".maps"), odd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} totals SEC(".maps");

SEC("xdp")
int array_select(struct xdp_md *ctx)
{
	__u32 len = PKT_LEN(ctx), key = len & 3, t = len & 1;
	void *map = (len & 1) ? (void *)&odd : (void *)&even;
	__u64 *v = bpf_map_lookup_elem(map, &key);
	if (!v)
		return 0;
	*v += len;
	__u32 *tot = bpf_map_lookup_elem(&totals, &t);
	if (!tot)
		return 1;
	*tot += 1;
	key = 9; /* out of range: NULL, inline as well as through the helper */
	if (bpf_map_lookup_elem(&totals, &key))
		return 2;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
