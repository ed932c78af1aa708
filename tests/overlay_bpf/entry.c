/* Programs for real function-entry tracing (tests/overlay_entry.c): record
 * what the trampoline hands over, count calls, and fault on purpose. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "graft_helpers.h"

/* seen[0..5]: the traced call's arguments; seen[6]: its return address. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

/* hits[0]: calls seen by `tally`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

SEC("overlay")
int record(__u64 *args)
{
	for (__u32 i = 0; i < 6; i++) {
		__u64 v = args[i];
		bpf_map_update_elem(&seen, &i, &v, BPF_ANY);
	}
	__u32 k = 6;
	__u64 ra = overlay_ret_addr();
	bpf_map_update_elem(&seen, &k, &ra, BPF_ANY);
	return 0;
}

SEC("overlay")
int tally(__u64 *args)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

/* Loads from the address in the first argument: a fault for most. */
SEC("overlay")
__u64 wild(__u64 *args)
{
	return *(volatile __u64 *)args[0];
}

/* Counters the verifier accepts (section "trace": attach only), so they
 * run JIT-compiled and unchecked: calls by the first argument's low byte
 * in a hash map, and all calls in an array. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} by_arg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} fast_hits SEC(".maps");

SEC("trace")
int fast_count(__u64 *args)
{
	__u32 key = (__u32)args[0] & 255;
	__u64 one = 1, *v = bpf_map_lookup_elem(&by_arg, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&by_arg, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("trace")
int fast_tally(__u64 *args)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&fast_hits, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

/* Does nothing: the fixed cost of a traced call. */
SEC("trace")
int fast_nop(__u64 *args)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
