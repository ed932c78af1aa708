/* The overlay's helpers: read a variable by symbol, notify, return address. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "graft_helpers.h"

SEC("overlay")
__u64 read_var(void *ctx)
{
	char name[] = "test_counter";
	__u64 *p = (__u64 *)overlay_sym(name, sizeof name - 1);
	if (!p)
		return -1;
	return *p;
}

SEC("overlay")
__u64 read_missing(void *ctx)
{
	char name[] = "no_such_var";
	return overlay_sym(name, sizeof name - 1);
}

SEC("overlay")
int notify_ret(__u64 *args)
{
	overlay_notify(overlay_ret_addr() != 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
