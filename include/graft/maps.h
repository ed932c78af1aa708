/*
 * graft/maps.h — eBPF maps, the registry that names them, and the helpers
 * (Linux IDs and graft's own) that programs call on them.
 *
 * Maps follow Linux: types and numbers of enum bpf_map_type, the flags
 * BPF_ANY / BPF_NOEXIST / BPF_EXIST, and the errors a program sees as
 * negative errno values (-ENOENT missing key, -EEXIST, -E2BIG full, -EINVAL).
 * The host API returns the same values (0 or a negative errno) so host and
 * program agree on every outcome.
 *
 * Memory: every map takes its memory from the caller's allocator at create
 * time and never grows. The memory a program may reach through a map (the
 * values of an array or hash, a ring buffer's data area) is one contiguous
 * block, so one map is one region of an ebpf_exec (graft_map_region).
 *
 * Not thread-safe: callers running programs on several threads at once
 * serialize map access themselves (the unikernel's threads are cooperative).
 */
#ifndef GRAFT_MAPS_H
#define GRAFT_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"
#include "graft/ebpf.h"

/* Linux's numbers (enum bpf_map_type). */
enum graft_map_type {
	GRAFT_MAP_HASH = 1,
	GRAFT_MAP_ARRAY = 2,
	GRAFT_MAP_PROG_ARRAY = 3,
	GRAFT_MAP_LRU_HASH = 9,
	GRAFT_MAP_QUEUE = 22,
	GRAFT_MAP_STACK = 23,
	GRAFT_MAP_RINGBUF = 27,
};

/* Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
enum { GRAFT_ANY = 0, GRAFT_NOEXIST = 1, GRAFT_EXIST = 2 };

/* map_flags graft accepts: BPF_F_NO_PREALLOC (hash), BPF_F_RDONLY_PROG. */
enum { GRAFT_F_NO_PREALLOC = 1u << 0, GRAFT_F_RDONLY_PROG = 1u << 7 };

/* Errors as programs see them (Linux errno values, negated). */
enum {
	GRAFT_E_NOENT = -2, GRAFT_E_2BIG = -7, GRAFT_E_AGAIN = -11,
	GRAFT_E_FAULT = -14, GRAFT_E_EXIST = -17, GRAFT_E_INVAL = -22,
	GRAFT_E_NOSPC = -28,
};

/* Bounds on what one map may ask for. */
#define GRAFT_MAP_MAX_KEY 512
#define GRAFT_MAP_MAX_VALUE (1u << 20)
#define GRAFT_MAP_MAX_ENTRIES (1u << 20)
#define GRAFT_MAP_MAX_BYTES (256u << 20)
#define GRAFT_MAP_NAME 64

struct graft_map_def {
	uint32_t type;        /* enum graft_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
};

struct graft_map;

/* Create a map; the message says which field is wrong. */
enum graft_status graft_map_create(struct graft_map **out,
				   const struct graft_map_def *def,
				   const struct graft_alloc *alloc,
				   struct graft_err *err);
void graft_map_free(struct graft_map *map);

const struct graft_map_def *graft_map_get_def(const struct graft_map *map);

/* Host API; 0 or a negative errno, exactly what a program would see. */
void *graft_map_lookup(struct graft_map *map, const void *key);
int graft_map_update(struct graft_map *map, const void *key,
		     const void *value, uint64_t flags);
int graft_map_delete(struct graft_map *map, const void *key);
/* key NULL (or not found) gives the first key; -ENOENT after the last. */
int graft_map_next_key(struct graft_map *map, const void *key, void *next);
/* Queue/stack: push (GRAFT_EXIST overwrites the oldest when full), pop, peek. */
int graft_map_push(struct graft_map *map, const void *value, uint64_t flags);
int graft_map_pop(struct graft_map *map, void *value);
int graft_map_peek(struct graft_map *map, void *value);
/* Entries in use (arrays: max_entries). */
uint32_t graft_map_count(struct graft_map *map);

/* Call fn for each key/value (hash order is the iteration order). */
typedef void (*graft_map_dump_fn)(void *ud, const void *key,
				  const void *value);
void graft_map_dump(struct graft_map *map, graft_map_dump_fn fn, void *ud);

/* The block a program may reach through this map (NULL, 0 when none). */
void *graft_map_region(struct graft_map *map, uint64_t *len, unsigned *perm);

/* Program arrays hold loaded programs; NULL clears a slot. */
int graft_prog_array_set(struct graft_map *map, uint32_t index,
			 const struct ebpf_prog *prog);
const struct ebpf_prog *graft_prog_array_get(struct graft_map *map,
					     uint32_t index);

/* Ring buffers: program side reserve/commit, host side consume. */
void *graft_ringbuf_reserve(struct graft_map *map, uint64_t size);
/* Finds the record owning data; false if data is no reserved record. */
bool graft_ringbuf_commit(struct graft_map *map, void *data, bool discard);
bool graft_ringbuf_owns(struct graft_map *map, const void *data);
int graft_ringbuf_output(struct graft_map *map, const void *data,
			 uint64_t size);
typedef int (*graft_ringbuf_fn)(void *ud, const void *data, uint32_t len);
/* Hand each committed record to fn (stopping early when it returns
 * nonzero); discarded records are skipped. Returns records handed over. */
int graft_ringbuf_consume(struct graft_map *map, graft_ringbuf_fn fn,
			  void *ud);
uint64_t graft_ringbuf_avail(struct graft_map *map);

/* ----------------------------------------------------------------------- */
/* The registry                                                            */

#define GRAFT_REGISTRY_MAX 128

enum { GRAFT_PIN_NONE = 0, GRAFT_PIN_BY_NAME = 1 };

struct graft_registry;

enum graft_status graft_registry_create(struct graft_registry **out,
					const struct graft_alloc *alloc,
					struct graft_err *err);
/* Frees every map still in it. */
void graft_registry_free(struct graft_registry *reg);

/*
 * Get a map for a program: with pinning GRAFT_PIN_BY_NAME, a pinned map of
 * the same name and identical definition is reused with its contents (its
 * reference count goes up); a pinned map whose definition differs is
 * GRAFT_EEXIST naming both definitions, unless `replace` is set, in which
 * case the old map is unpinned (its holders keep it) and a fresh one is
 * pinned. Unpinned maps are always fresh; their registry name is `name`,
 * made unique with a "#N" suffix when taken. *created says which happened.
 */
enum graft_status graft_registry_get(struct graft_registry *reg,
				     const char *name,
				     const struct graft_map_def *def,
				     unsigned pinning, bool replace,
				     struct graft_map **out, bool *created,
				     struct graft_err *err);
/* Drop one reference; the map is freed with the last. */
void graft_registry_put(struct graft_registry *reg, struct graft_map *map);

struct graft_map *graft_registry_find(struct graft_registry *reg,
				      const char *name);
/* The i-th live map (i < GRAFT_REGISTRY_MAX), NULL for a free slot. */
struct graft_map *graft_registry_at(struct graft_registry *reg, unsigned i,
				    const char **name, bool *pinned);
/* Unpin: the map lives on while programs hold it. */
enum graft_status graft_registry_unpin(struct graft_registry *reg,
				       const char *name,
				       struct graft_err *err);

/*
 * The 64-bit value a program holds for a map (what lddw with a map
 * reference loads). It is a registry handle, not a pointer, so helpers can
 * check it in constant time; graft_registry_map turns it back (NULL when
 * it names no live map).
 */
uint64_t graft_registry_handle(struct graft_registry *reg,
			       const struct graft_map *map);
struct graft_map *graft_registry_map(struct graft_registry *reg,
				     uint64_t handle);

/* ----------------------------------------------------------------------- */
/* The helpers' environment                                                */

#define GRAFT_LOG_SIZE 8192

/*
 * What the map and Linux-compatible helpers need at run time. Point
 * ebpf_exec.user at one; applications with helpers of their own keep their
 * data in `app`.
 */
struct graft_env {
	struct graft_registry *reg;
	uint64_t (*now_ns)(void *ud); /* ktime_get_ns; NULL gives 0 */
	void *now_ud;
	uint64_t rand_state;          /* get_prandom_u32 (xorshift64*) */
	uint32_t cpu;                 /* get_smp_processor_id */
	/* trace_printk and graft_puts write lines here; the host drains it */
	char log[GRAFT_LOG_SIZE];
	uint32_t log_len;
	uint32_t log_dropped;         /* bytes that did not fit */
	void *app;
};

void graft_env_init(struct graft_env *env, struct graft_registry *reg);
/* Copy out and clear the log; returns bytes copied (NUL-terminated). */
size_t graft_env_take_log(struct graft_env *env, char *buf, size_t cap);

/* Linux helpers graft implements, by Linux ID. */
enum {
	GRAFT_FN_map_lookup_elem = 1, GRAFT_FN_map_update_elem = 2,
	GRAFT_FN_map_delete_elem = 3, GRAFT_FN_probe_read = 4,
	GRAFT_FN_ktime_get_ns = 5, GRAFT_FN_trace_printk = 6,
	GRAFT_FN_get_prandom_u32 = 7, GRAFT_FN_get_smp_processor_id = 8,
	GRAFT_FN_tail_call = 12, GRAFT_FN_probe_read_str = 45,
	GRAFT_FN_map_push_elem = 87, GRAFT_FN_map_pop_elem = 88,
	GRAFT_FN_map_peek_elem = 89, GRAFT_FN_probe_read_user = 112,
	GRAFT_FN_probe_read_kernel = 113, GRAFT_FN_probe_read_user_str = 114,
	GRAFT_FN_probe_read_kernel_str = 115, GRAFT_FN_ringbuf_output = 130,
	GRAFT_FN_ringbuf_reserve = 131, GRAFT_FN_ringbuf_submit = 132,
	GRAFT_FN_ringbuf_discard = 133, GRAFT_FN_ringbuf_query = 134,
};

/*
 * graft's own helpers start at GRAFT_HELPER_BASE, far above Linux's IDs.
 * The eBPF-side declarations are examples/bpf/include/graft_helpers.h; a
 * test keeps the two in step.
 */
#define GRAFT_HELPER_BASE 0x10000
enum {
	GRAFT_FN_graft_puts = GRAFT_HELPER_BASE + 0,   /* (str, len) */
	GRAFT_FN_graft_log_u64 = GRAFT_HELPER_BASE + 1, /* (tag, len, value) */
	GRAFT_FN_graft_map_count = GRAFT_HELPER_BASE + 2, /* (map) */
};

/* graft's own helpers (the table the eBPF-side header must match). */
extern const struct ebpf_helper graft_own_helpers[];
extern const size_t graft_own_nhelpers;

/*
 * Copy every helper of this module (Linux IDs, then graft's own) into out
 * (cap entries); returns the count, or 0 when cap is too small.
 * Applications append their own helpers after them.
 */
#define GRAFT_HELPERS_MAX 64
size_t graft_helpers_all(struct ebpf_helper *out, size_t cap);

#endif
