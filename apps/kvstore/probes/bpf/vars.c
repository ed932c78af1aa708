/* bpf_exec targets: read the store's variables by symbol. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "overlay_helpers.h"

SEC("overlay")
__u64 requests(void *ctx)
{
	char name[] = "kv_requests";
	__u64 *p = (__u64 *)overlay_sym(name, sizeof name - 1);
	return p ? *p : (__u64)-1;
}

SEC("overlay")
__u64 config_gen(void *ctx)
{
	char name[] = "kv_config_gen";
	__u64 *p = (__u64 *)overlay_sym(name, sizeof name - 1);
	return p ? *p : (__u64)-1;
}

SEC("overlay")
__u64 missing(void *ctx)
{
	char name[] = "kv_no_such_variable";
	return overlay_sym(name, sizeof name - 1);
}

char LICENSE[] SEC("license") = "GPL";
