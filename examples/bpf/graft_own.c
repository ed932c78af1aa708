/* graft's own helpers (graft_helpers.h): log lines and a map's size. */
#include "xdp_common.h"
#include "graft_helpers.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

SEC("xdp")
int graft_own(struct xdp_md *ctx)
{
	static const char hello[] = "graft_puts from eBPF";
	static const char tag[] = "len";
	__u32 k = PKT_LEN(ctx), v = 1;
	bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	graft_puts(hello, sizeof hello);
	graft_log_u64(tag, sizeof tag, k);
	return graft_map_count(&seen);
}

char LICENSE[] SEC("license") = "GPL";
