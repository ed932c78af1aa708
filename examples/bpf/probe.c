/* probe_read_kernel and probe_read_kernel_str of the program's own memory,
 * ktime_get_ns (monotonic), get_prandom_u32 and get_smp_processor_id. */
#include "xdp_common.h"

const char name[] = "graft-probe";

SEC("xdp")
int probe(struct xdp_md *ctx)
{
	char buf[32] = {};
	__u64 src = 0x1122334455667788ull, dst = 0;
	long r = 0;
	if (bpf_probe_read_kernel(&dst, sizeof dst, &src) == 0 && dst == src)
		r += 1;
	long n = bpf_probe_read_kernel_str(buf, sizeof buf, name);
	if (n == sizeof name && buf[5] == '-')
		r += 10;
	n = bpf_probe_read_kernel_str(buf, 4, name);
	if (n == 4 && buf[3] == 0)
		r += 100;
	__u64 t1 = bpf_ktime_get_ns(), t2 = bpf_ktime_get_ns();
	if (t2 >= t1)
		r += 1000;
	__u32 a = bpf_get_prandom_u32(), b = bpf_get_prandom_u32();
	if (a != b)
		r += 10000;
	if (bpf_get_smp_processor_id() < 4096)
		r += 100000;
	return r;
}

char LICENSE[] SEC("license") = "GPL";
