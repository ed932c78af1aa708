/* Internal layout of graft_map, shared by the map type files. */
#ifndef GRAFT_MAP_INTERNAL_H
#define GRAFT_MAP_INTERNAL_H

#include <string.h>

#include "graft/maps.h"

struct hnode {
	uint32_t next;     /* bucket chain / free list: index + 1, 0 = end */
	uint32_t hash;
	uint32_t lru_prev; /* index + 1, 0 = none */
	uint32_t lru_next;
};

struct graft_map {
	struct graft_map_def def;
	struct graft_alloc alloc;
	uint32_t vsize;          /* value_size rounded up to 8 */
	uint8_t *values;         /* the region a program may reach */
	uint64_t values_len;
	uint32_t refs;           /* kept by the registry */
	uint32_t slot;           /* registry slot */
	union {
		struct {            /* HASH, LRU_HASH */
			uint32_t *buckets;
			uint32_t nbuckets;
			struct hnode *nodes;
			uint8_t *keys;
			uint32_t free;      /* index + 1 */
			uint32_t count;
			uint32_t lru_head;  /* most recent, index + 1 */
			uint32_t lru_tail;
		} h;
		struct {            /* QUEUE, STACK */
			uint32_t head, count;
		} q;
		struct {            /* RINGBUF */
			uint64_t prod, cons;
		} rb;
		struct {            /* PROG_ARRAY */
			const struct ebpf_prog **progs;
		} pa;
	} u;
};

#define HANDLE_TAG 0x6d61700000000000ull /* "map" */
#define HANDLE_TAG_MASK 0xffffff0000000000ull

struct reg_slot {
	struct graft_map *map;
	char name[GRAFT_MAP_NAME];
	bool pinned;
	uint32_t gen;
};

struct graft_registry {
	struct graft_alloc alloc;
	struct reg_slot slot[GRAFT_REGISTRY_MAX];
};

/* Handle -> map in constant time (helpers call this on every map op). */
static inline struct graft_map *registry_map(struct graft_registry *r,
					     uint64_t h)
{
	if ((h & HANDLE_TAG_MASK) != HANDLE_TAG)
		return NULL;
	uint32_t slot = h & 0xffff, gen = (uint32_t)((h >> 16) & 0xffffff);
	if (slot >= GRAFT_REGISTRY_MAX)
		return NULL;
	struct reg_slot *s = &r->slot[slot];
	if (!s->map || (s->gen & 0xffffff) != gen)
		return NULL;
	return s->map;
}

static inline uint32_t map_round8(uint32_t v)
{
	return (v + 7u) & ~7u;
}

void *map_zalloc(const struct graft_alloc *a, uint64_t n);

enum graft_status map_hash_init(struct graft_map *m, struct graft_err *err);
void *map_hash_lookup(struct graft_map *m, const void *key);
int map_hash_update(struct graft_map *m, const void *key, const void *value,
		    uint64_t flags);
int map_hash_delete(struct graft_map *m, const void *key);
int map_hash_next_key(struct graft_map *m, const void *key, void *next);
void map_hash_dump(struct graft_map *m, graft_map_dump_fn fn, void *ud);

enum graft_status map_ringbuf_init(struct graft_map *m, struct graft_err *err);

#endif
