/*
 * graft_helpers.h — graft's own helpers for eBPF programs in C, next to
 * libbpf's <bpf/bpf_helpers.h> (which declares the Linux ones graft also
 * provides). The IDs live above GRAFT_HELPER_BASE (0x10000), far from
 * Linux's; tests/maps_helper_ids.c checks this file against the runtime's
 * table, name by name and ID by ID.
 */
#ifndef GRAFT_HELPERS_BPF_H
#define GRAFT_HELPERS_BPF_H

/* Append str (at most len bytes, up to a NUL) and a newline to the log. */
static long (*graft_puts)(const char *str, __u32 len) = (void *) 65536;
/* Append "tag=value\n" to the log. */
static long (*graft_log_u64)(const char *tag, __u32 len, __u64 value) = (void *) 65537;
/* Entries in use in a map (arrays: max_entries). */
static long (*graft_map_count)(void *map) = (void *) 65538;

/* The overlay's helpers (maps, symbols, return address, puts, notify). */
#include "overlay_helpers.h"

#endif
