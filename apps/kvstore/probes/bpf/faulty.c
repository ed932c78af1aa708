/* Programs the overlay must stop with a clear error while the store keeps
 * serving: a load from an address it was never given, and a loop that
 * never ends (attached to the request handler). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("overlay")
__u64 wild(void *ctx)
{
	return *(volatile __u64 *)0x1000;
}

SEC("overlay")
int spin(__u64 *args)
{
	volatile __u64 i = 1;
	while (i)
		i++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
