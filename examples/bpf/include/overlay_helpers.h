/*
 * overlay_helpers.h — the overlay's helpers for eBPF programs in C (IDs
 * and semantics: include/graft/overlay.h). Included by graft_helpers.h, so
 * a program needs only that one; usable alone next to libbpf's headers.
 * Programs that call these run checked: the verifier does not model them.
 */
#ifndef OVERLAY_HELPERS_BPF_H
#define OVERLAY_HELPERS_BPF_H

/* Address of an image symbol (0 if none); its bytes become readable. */
static long (*overlay_sym)(const char *name, __u32 len) = (void *) 0x10100;
/* Return address of the traced call (0 in bpf_exec). */
static long (*overlay_ret_addr)(void) = (void *) 0x10101;
/* Put "notify VALUE" in the trace ring. */
static long (*overlay_notify)(__u64 value) = (void *) 0x10102;
/* The two-key store (the pinned map "overlay"): get gives 0 when absent. */
static __u64 (*overlay_map_get)(__u64 k1, __u64 k2) = (void *) 0x10103;
static long (*overlay_map_put)(__u64 k1, __u64 k2, __u64 value) = (void *) 0x10104;
static long (*overlay_map_del)(__u64 k1, __u64 k2) = (void *) 0x10105;
/* A line (str, at most len bytes) to the console of bpf_exec, or the
 * trace ring from a traced call. */
static long (*overlay_puts)(const char *str, __u32 len) = (void *) 0x10106;

#endif
