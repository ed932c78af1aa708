/* Programs the overlay must stop with a clear error while the store keeps
 * serving: a load from an address it was never given (run once, or
 * attached to the request handler: stopped at every call), and a loop that
 * never ends (stopped by the instruction budget). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("overlay")
__u64 wild(void *ctx)
{
	return *(volatile __u64 *)0x1000;
}

SEC("overlay")
int wild_entry(__u64 *args)
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
