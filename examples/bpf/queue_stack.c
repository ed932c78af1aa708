/* A queue and a stack: push 1..5 into each, take two back, peek. */
#include "xdp_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} lifo SEC(".maps");

SEC("xdp")
int queue_stack(struct xdp_md *ctx)
{
	__u32 v, r = 0;
	for (__u32 i = 1; i <= 5; i++) {
		bpf_map_push_elem(&fifo, &i, 0);
		bpf_map_push_elem(&lifo, &i, 0);
	}
	bpf_map_pop_elem(&fifo, &v);
	r = r * 10 + v;
	bpf_map_pop_elem(&fifo, &v);
	r = r * 10 + v;
	bpf_map_pop_elem(&lifo, &v);
	r = r * 10 + v;
	bpf_map_pop_elem(&lifo, &v);
	r = r * 10 + v;
	bpf_map_peek_elem(&fifo, &v);
	r = r * 10 + v;
	bpf_map_peek_elem(&lifo, &v);
	return r * 10 + v;
}

char LICENSE[] SEC("license") = "GPL";
