/* bpf_exec targets: arithmetic on the arguments, a global read back by
 * bpf_map_get, trace_printk output, and a call counter for bpf_attach. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 last_sum;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("overlay")
__u64 sum(__u64 a, __u64 b, __u64 c)
{
	last_sum = a + b + c;
	return last_sum;
}

SEC("overlay")
int hello(void *ctx)
{
	bpf_printk("hello from eBPF %d", 42);
	return 7;
}

/* Attached to a function: counts calls by the first argument's value. */
SEC("overlay")
int count(__u64 *args)
{
	__u32 key = (__u32)args[0];
	__u64 one = 1, *v = bpf_map_lookup_elem(&calls, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
