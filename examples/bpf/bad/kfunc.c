/* Calls a kfunc; graft refuses it with section and offset. */
#include "../include/xdp_common.h"

extern void bpf_rcu_read_lock(void) __ksym;

SEC("xdp")
int kfunc(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
