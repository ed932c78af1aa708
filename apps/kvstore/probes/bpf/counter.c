/* Attached to kv_handle_request: counts its calls (key 0) and the bytes of
 * the requests it was given (key 1, the handler's second argument).
 * `count` is in section "trace" (attach only): the overlay verifies it and
 * runs it JIT-compiled without run-time checks. `count_checked` is the
 * same code in section "overlay", run by the checked interpreter. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} kv_calls SEC(".maps");

static __always_inline int count_call(__u64 *args)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&kv_calls, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	k = 1;
	v = bpf_map_lookup_elem(&kv_calls, &k);
	if (v)
		__sync_fetch_and_add(v, args[1]);
	return 0;
}

SEC("trace")
int count(__u64 *args)
{
	return count_call(args);
}

SEC("overlay")
int count_checked(__u64 *args)
{
	return count_call(args);
}

char LICENSE[] SEC("license") = "GPL";
