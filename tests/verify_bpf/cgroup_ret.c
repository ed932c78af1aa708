/* Return values whose validity depends on the attach type in the section
 * name: Linux lets cgroup/bind4 return 0..3 but getpeername4 only 1. */
#include <linux/bpf.h>

#define SEC(s) __attribute__((section(s), used))

SEC("cgroup/bind4") int bind_ret2(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return 2;
}

SEC("cgroup/getpeername4") int peer_ret0(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
