/* counter.c with a changed map definition (128 entries): loading it while
 * counter.c's pinned map exists is an error unless replacing is asked for. */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counts SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 one = 1;
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
