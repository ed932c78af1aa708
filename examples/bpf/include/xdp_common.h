/* What the examples share: libbpf's helper declarations and a packet view. */
#ifndef GRAFT_EXAMPLES_COMMON_H
#define GRAFT_EXAMPLES_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PKT_START(ctx) ((void *)(long)(ctx)->data)
#define PKT_END(ctx) ((void *)(long)(ctx)->data_end)
#define PKT_LEN(ctx) ((__u32)((ctx)->data_end - (ctx)->data))

#endif
