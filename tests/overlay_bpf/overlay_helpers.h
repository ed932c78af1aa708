/* The overlay's helpers as eBPF C sees them (IDs: graft/overlay.h). */
#ifndef OVERLAY_HELPERS_BPF_H
#define OVERLAY_HELPERS_BPF_H

/* Address of an image symbol (0 if none); its bytes become readable. */
static long (*overlay_sym)(const char *name, __u32 len) = (void *) 0x10100;
/* Return address of the traced call (0 in bpf_exec). */
static long (*overlay_ret_addr)(void) = (void *) 0x10101;
/* Put "notify VALUE" in the trace ring. */
static long (*overlay_notify)(__u64 value) = (void *) 0x10102;

#endif
