/* String constants (.rodata and .rodata.str1.1) through bpf_trace_printk;
 * returns the bytes printed, as the kernel's helper does. */
#include "xdp_common.h"

static const char greeting[] = "hello from %s: %u bytes\n";

SEC("xdp")
int strings(struct xdp_md *ctx)
{
	const char *who = "graft";
	long n = bpf_trace_printk(greeting, sizeof greeting, who, PKT_LEN(ctx));
	n += bpf_printk("hex %x, signed %d, char %c", 0xbeef, -42, 'z');
	return n;
}

char LICENSE[] SEC("license") = "GPL";
