/* An array histogram: packet lengths by power of two. */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

SEC("xdp")
int histogram(struct xdp_md *ctx)
{
	__u32 len = PKT_LEN(ctx), bucket = 0;
	for (int i = 0; i < 15; i++)
		if (len >> (i + 1))
			bucket = i + 1;
	__u64 *v = bpf_map_lookup_elem(&hist, &bucket);
	if (v)
		__sync_fetch_and_add(v, 1);
	return bucket;
}

char LICENSE[] SEC("license") = "GPL";
