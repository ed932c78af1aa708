/* Ring buffer events read by the host: a reserved record per packet
 * (every third one discarded) and a copied one with bpf_ringbuf_output. */
#include "xdp_common.h"

struct event {
	__u32 seq;
	__u32 len;
	__u8 first;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u32 seq;

SEC("xdp")
int ringbuf(struct xdp_md *ctx)
{
	__u8 *p = PKT_START(ctx);
	if ((void *)(p + 1) > PKT_END(ctx))
		return 0;
	__u32 s = ++seq;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
	if (!e)
		return 1;
	e->seq = s;
	e->len = PKT_LEN(ctx);
	e->first = p[0];
	if (s % 3 == 0) {
		bpf_ringbuf_discard(e, 0);
	} else {
		bpf_ringbuf_submit(e, 0);
	}
	__u64 marker = 0xab00 + s;
	if (bpf_ringbuf_output(&events, &marker, sizeof marker, 0))
		return 2;
	return s;
}

char LICENSE[] SEC("license") = "GPL";
