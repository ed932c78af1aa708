/* Global variables in .rodata (a constant), .data (initialized) and .bss
 * (zeroed), all reached through lddw relocations. */
#include "xdp_common.h"

const volatile __u32 scale = 3;
__u64 total = 100;
__u64 calls;
__u32 lengths[4] = { 1, 2, 3, 4 };

SEC("xdp")
int globals(struct xdp_md *ctx)
{
	__u32 len = PKT_LEN(ctx);
	calls++;
	total += scale * len;
	lengths[calls & 3] = len;
	return total + calls + lengths[1];
}

char LICENSE[] SEC("license") = "GPL";
