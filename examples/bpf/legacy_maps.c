/* A legacy map definition (SEC("maps"), struct bpf_map_def), which libbpf
 * 1.x no longer loads but older objects carry; graft still reads them. */
#include "xdp_common.h"

struct legacy_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_def old_counts SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

SEC("xdp")
int legacy(struct xdp_md *ctx)
{
	__u32 key = PKT_LEN(ctx) & 1;
	__u64 *v = bpf_map_lookup_elem(&old_counts, &key);
	if (!v)
		return 0;
	*v += PKT_LEN(ctx);
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
