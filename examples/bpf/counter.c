/* A call counter: how often each first packet byte was seen, in a hash
 * map pinned by name so its counts survive a reload (see counter_v2.c). */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counts SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u8 *p = PKT_START(ctx);
	if ((void *)(p + 1) > PKT_END(ctx))
		return 0;
	__u32 key = p[0];
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return *v;
	}
	__u64 one = 1;
	bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
