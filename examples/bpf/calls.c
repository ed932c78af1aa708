/* bpf-to-bpf calls: a static and a global subprogram, called from two
 * programs in different sections (the loader links each its own copy). */
#include "xdp_common.h"

static __attribute__((noinline)) __u64 square(__u64 x)
{
	return x * x;
}

__attribute__((noinline)) __u64 add3(__u64 a, __u64 b, __u64 c)
{
	return a + b + square(c);
}

SEC("xdp")
int calls(struct xdp_md *ctx)
{
	__u64 n = PKT_LEN(ctx);
	return square(n) + add3(n, 2, 3);
}

SEC("xdp.frags")
int calls_frags(struct xdp_md *ctx)
{
	return add3(PKT_LEN(ctx), 100, 1);
}

char LICENSE[] SEC("license") = "GPL";
