/* Tail calls through a program array filled by static initializers; one
 * stage calls itself until the chain limit (33 tail calls) stops it. */
#include "xdp_common.h"

int stage1(struct xdp_md *ctx);
int stage2(struct xdp_md *ctx);
int loop(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int(void *));
} jump SEC(".maps") = {
	.values = { [1] = (void *)&stage1, [2] = (void *)&stage2,
		    [3] = (void *)&loop },
};

__u64 trail;
__u32 hops;

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	trail = 1;
	bpf_tail_call(ctx, &jump, 1);
	return 7; /* not reached */
}

SEC("xdp")
int stage1(struct xdp_md *ctx)
{
	trail = trail * 10 + 2;
	bpf_tail_call(ctx, &jump, 2);
	return 8;
}

SEC("xdp")
int stage2(struct xdp_md *ctx)
{
	trail = trail * 10 + 3;
	bpf_tail_call(ctx, &jump, 0); /* empty slot: goes on */
	return trail;
}

SEC("xdp")
int loop(struct xdp_md *ctx)
{
	hops++;
	bpf_tail_call(ctx, &jump, 3);
	return hops;
}

char LICENSE[] SEC("license") = "GPL";
