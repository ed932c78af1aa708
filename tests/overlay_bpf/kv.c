/* The overlay's two-key store, puts and trace_printk records. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "graft_helpers.h"

/* put(k1, k2, v), then read it back: returns get(k1, k2). */
SEC("overlay")
__u64 put(__u64 k1, __u64 k2, __u64 v)
{
	if (overlay_map_put(k1, k2, v))
		return (__u64)-1;
	return overlay_map_get(k1, k2);
}

SEC("overlay")
__u64 get(__u64 k1, __u64 k2)
{
	return overlay_map_get(k1, k2);
}

SEC("overlay")
long del(__u64 k1, __u64 k2)
{
	return overlay_map_del(k1, k2);
}

/* Two console lines and two trace records without a "\n" in the format. */
SEC("overlay")
int say(void *ctx)
{
	static const char a[] = "first line";
	static const char b[] = "second line, cut here: not shown";
	overlay_puts(a, sizeof a);
	overlay_puts(b, 21);
	bpf_printk("record %d", 1);
	bpf_printk("record %d", 2);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
