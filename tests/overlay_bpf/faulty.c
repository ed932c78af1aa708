/* Programs that must be stopped with a clear error: a load from an
 * address given as an argument, and a loop that never ends. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("overlay")
__u64 peek(__u64 addr)
{
	return *(volatile __u64 *)addr;
}

SEC("overlay")
int spin(__u64 n)
{
	volatile __u64 i = 0;
	while (i != n + 1 || n == 0)
		i++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
