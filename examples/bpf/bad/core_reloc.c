/* Uses a CO-RE relocation; graft refuses it with section and offset. */
#include "../include/xdp_common.h"

struct task { int pid; int tgid; } __attribute__((preserve_access_index));

SEC("xdp")
int core(struct xdp_md *ctx)
{
	struct task *t = (void *)(long)ctx->data;
	return __builtin_preserve_access_index(t->tgid);
}

char LICENSE[] SEC("license") = "GPL";
