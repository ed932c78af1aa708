/*
 * Map creation and the per-type dispatch; arrays, queues, stacks and
 * program arrays live here, hashes in map_hash.c, ring buffers in
 * map_ringbuf.c. Every check Linux makes at map creation is made here, so a
 * definition graft accepts is one the kernel would accept too.
 */
#include "map_internal.h"

#define ALLOWED_FLAGS (GRAFT_F_NO_PREALLOC | GRAFT_F_RDONLY_PROG | \
		       0x100u /* WRONLY_PROG */ | 0x400u /* MMAPABLE */ | \
		       0x40u /* ZERO_SEED */)

static void *zalloc(const struct graft_alloc *a, uint64_t n)
{
	if (n > GRAFT_MAP_MAX_BYTES)
		return NULL;
	void *p = a->alloc(a->ud, n ? (size_t)n : 1);
	if (p)
		memset(p, 0, n ? (size_t)n : 1);
	return p;
}

static enum graft_status check_def(const struct graft_map_def *d,
				   struct graft_err *err)
{
	if (d->value_size > GRAFT_MAP_MAX_VALUE)
		return graft_errf(err, GRAFT_ENOMEM,
				  "map value_size %u exceeds the limit %u",
				  d->value_size, GRAFT_MAP_MAX_VALUE);
	if (d->key_size > GRAFT_MAP_MAX_KEY)
		return graft_errf(err, GRAFT_ENOMEM,
				  "map key_size %u exceeds the limit %u",
				  d->key_size, GRAFT_MAP_MAX_KEY);
	if (d->max_entries == 0)
		return graft_errf(err, GRAFT_EINVAL, "map max_entries is 0");
	if (d->flags & ~ALLOWED_FLAGS)
		return graft_errf(err, GRAFT_EINVAL,
				  "map flags 0x%x not supported", d->flags);
	switch (d->type) {
	case GRAFT_MAP_ARRAY:
	case GRAFT_MAP_PROG_ARRAY:
		if (d->key_size != 4)
			return graft_errf(err, GRAFT_EINVAL,
					  "array key_size must be 4, not %u",
					  d->key_size);
		if (d->type == GRAFT_MAP_PROG_ARRAY && d->value_size != 4)
			return graft_errf(err, GRAFT_EINVAL,
					  "prog array value_size must be 4, not %u",
					  d->value_size);
		if (d->value_size == 0)
			return graft_errf(err, GRAFT_EINVAL, "array value_size is 0");
		break;
	case GRAFT_MAP_HASH:
	case GRAFT_MAP_LRU_HASH:
		if (d->key_size == 0 || d->value_size == 0)
			return graft_errf(err, GRAFT_EINVAL,
					  "hash key_size and value_size must be nonzero");
		break;
	case GRAFT_MAP_QUEUE:
	case GRAFT_MAP_STACK:
		if (d->key_size != 0 || d->value_size == 0)
			return graft_errf(err, GRAFT_EINVAL,
					  "queue/stack need key_size 0 and a value_size");
		break;
	case GRAFT_MAP_RINGBUF:
		if (d->key_size || d->value_size)
			return graft_errf(err, GRAFT_EINVAL,
					  "ringbuf key_size and value_size must be 0");
		if (d->max_entries & (d->max_entries - 1) ||
		    d->max_entries % 4096)
			return graft_errf(err, GRAFT_EINVAL,
					  "ringbuf size %u is not a power of 2 "
					  "multiple of 4096", d->max_entries);
		break;
	default:
		return graft_errf(err, GRAFT_ENOTSUP, "map type %u not supported",
				  d->type);
	}
	if (d->max_entries > GRAFT_MAP_MAX_ENTRIES &&
	    d->type != GRAFT_MAP_RINGBUF)
		return graft_errf(err, GRAFT_ENOMEM,
				  "map max_entries %u exceeds the limit %u",
				  d->max_entries, GRAFT_MAP_MAX_ENTRIES);
	return GRAFT_OK;
}

enum graft_status graft_map_create(struct graft_map **out,
				   const struct graft_map_def *def,
				   const struct graft_alloc *alloc,
				   struct graft_err *err)
{
	*out = NULL;
	enum graft_status st = check_def(def, err);
	if (st)
		return st;
	struct graft_map *m = zalloc(alloc, sizeof *m);
	if (!m)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory for a map");
	m->def = *def;
	m->alloc = *alloc;
	m->vsize = map_round8(def->value_size);
	switch (def->type) {
	case GRAFT_MAP_ARRAY:
	case GRAFT_MAP_QUEUE:
	case GRAFT_MAP_STACK:
		m->values_len = (uint64_t)m->vsize * def->max_entries;
		m->values = zalloc(alloc, m->values_len);
		st = m->values ? GRAFT_OK : GRAFT_ENOMEM;
		break;
	case GRAFT_MAP_PROG_ARRAY:
		m->u.pa.progs = zalloc(alloc, (uint64_t)def->max_entries *
					      sizeof(void *));
		st = m->u.pa.progs ? GRAFT_OK : GRAFT_ENOMEM;
		break;
	case GRAFT_MAP_HASH:
	case GRAFT_MAP_LRU_HASH:
		st = map_hash_init(m, err);
		break;
	case GRAFT_MAP_RINGBUF:
		st = map_ringbuf_init(m, err);
		break;
	}
	if (st) {
		graft_map_free(m);
		return err && err->status ? err->status :
			graft_errf(err, GRAFT_ENOMEM,
				   "out of memory for a map of %u entries",
				   def->max_entries);
	}
	*out = m;
	return GRAFT_OK;
}

void graft_map_free(struct graft_map *m)
{
	if (!m)
		return;
	const struct graft_alloc *a = &m->alloc;
	if (m->values)
		a->free(a->ud, m->values);
	if (m->def.type == GRAFT_MAP_HASH || m->def.type == GRAFT_MAP_LRU_HASH) {
		if (m->u.h.buckets)
			a->free(a->ud, m->u.h.buckets);
		if (m->u.h.nodes)
			a->free(a->ud, m->u.h.nodes);
		if (m->u.h.keys)
			a->free(a->ud, m->u.h.keys);
	}
	if (m->def.type == GRAFT_MAP_PROG_ARRAY && m->u.pa.progs)
		a->free(a->ud, m->u.pa.progs);
	struct graft_alloc copy = *a;
	copy.free(copy.ud, m);
}

/* For map_hash.c and map_ringbuf.c. */
void *map_zalloc(const struct graft_alloc *a, uint64_t n)
{
	return zalloc(a, n);
}

const struct graft_map_def *graft_map_get_def(const struct graft_map *m)
{
	return &m->def;
}

static bool is_hash(const struct graft_map *m)
{
	return m->def.type == GRAFT_MAP_HASH || m->def.type == GRAFT_MAP_LRU_HASH;
}

void *graft_map_lookup(struct graft_map *m, const void *key)
{
	if (m->def.type == GRAFT_MAP_ARRAY) {
		uint32_t i;
		memcpy(&i, key, 4);
		return i < m->def.max_entries ? m->values + (size_t)i * m->vsize
					      : NULL;
	}
	if (is_hash(m))
		return map_hash_lookup(m, key);
	return NULL;
}

int graft_map_update(struct graft_map *m, const void *key, const void *value,
		     uint64_t flags)
{
	if (flags > GRAFT_EXIST && m->def.type != GRAFT_MAP_ARRAY)
		return GRAFT_E_INVAL;
	switch (m->def.type) {
	case GRAFT_MAP_ARRAY: {
		uint32_t i;
		memcpy(&i, key, 4);
		if ((flags & ~4ull) > GRAFT_EXIST) /* 4: BPF_F_LOCK */
			return GRAFT_E_INVAL;
		if (i >= m->def.max_entries)
			return GRAFT_E_2BIG;
		if ((flags & 3) == GRAFT_NOEXIST)
			return GRAFT_E_EXIST;
		memcpy(m->values + (size_t)i * m->vsize, value,
		       m->def.value_size);
		return 0;
	}
	case GRAFT_MAP_HASH:
	case GRAFT_MAP_LRU_HASH:
		return map_hash_update(m, key, value, flags);
	case GRAFT_MAP_QUEUE:
	case GRAFT_MAP_STACK:
		return graft_map_push(m, value, flags);
	default:
		return GRAFT_E_INVAL;
	}
}

int graft_map_delete(struct graft_map *m, const void *key)
{
	if (is_hash(m))
		return map_hash_delete(m, key);
	if (m->def.type == GRAFT_MAP_PROG_ARRAY) {
		uint32_t i;
		memcpy(&i, key, 4);
		if (i >= m->def.max_entries)
			return GRAFT_E_2BIG;
		if (!m->u.pa.progs[i])
			return GRAFT_E_NOENT;
		m->u.pa.progs[i] = NULL;
		return 0;
	}
	return GRAFT_E_INVAL;
}

int graft_map_next_key(struct graft_map *m, const void *key, void *next)
{
	if (is_hash(m))
		return map_hash_next_key(m, key, next);
	if (m->def.type != GRAFT_MAP_ARRAY && m->def.type != GRAFT_MAP_PROG_ARRAY)
		return GRAFT_E_INVAL;
	uint32_t i = 0;
	if (key) {
		memcpy(&i, key, 4);
		if (i >= m->def.max_entries)
			i = 0;
		else if (i + 1 == m->def.max_entries)
			return GRAFT_E_NOENT;
		else
			i++;
	}
	memcpy(next, &i, 4);
	return 0;
}

/* Queue: FIFO from head; stack: LIFO at head + count - 1. */
int graft_map_push(struct graft_map *m, const void *value, uint64_t flags)
{
	if (m->def.type != GRAFT_MAP_QUEUE && m->def.type != GRAFT_MAP_STACK)
		return GRAFT_E_INVAL;
	if (flags != GRAFT_ANY && flags != GRAFT_EXIST)
		return GRAFT_E_INVAL;
	uint32_t max = m->def.max_entries;
	if (m->u.q.count == max) {
		if (flags != GRAFT_EXIST)
			return GRAFT_E_2BIG;
		/* Both drop the oldest element, as Linux does. */
		m->u.q.head = (m->u.q.head + 1) % max;
		m->u.q.count--;
	}
	uint32_t at = (m->u.q.head + m->u.q.count) % max;
	memcpy(m->values + (size_t)at * m->vsize, value, m->def.value_size);
	m->u.q.count++;
	return 0;
}

static int take(struct graft_map *m, void *value, bool remove)
{
	if (m->def.type != GRAFT_MAP_QUEUE && m->def.type != GRAFT_MAP_STACK)
		return GRAFT_E_INVAL;
	if (!m->u.q.count)
		return GRAFT_E_NOENT;
	uint32_t max = m->def.max_entries;
	uint32_t at = m->def.type == GRAFT_MAP_QUEUE
			      ? m->u.q.head
			      : (m->u.q.head + m->u.q.count - 1) % max;
	memcpy(value, m->values + (size_t)at * m->vsize, m->def.value_size);
	if (remove) {
		if (m->def.type == GRAFT_MAP_QUEUE)
			m->u.q.head = (m->u.q.head + 1) % max;
		m->u.q.count--;
	}
	return 0;
}

int graft_map_pop(struct graft_map *m, void *value)
{
	return take(m, value, true);
}

int graft_map_peek(struct graft_map *m, void *value)
{
	return take(m, value, false);
}

uint32_t graft_map_count(struct graft_map *m)
{
	switch (m->def.type) {
	case GRAFT_MAP_HASH:
	case GRAFT_MAP_LRU_HASH:
		return m->u.h.count;
	case GRAFT_MAP_QUEUE:
	case GRAFT_MAP_STACK:
		return m->u.q.count;
	case GRAFT_MAP_PROG_ARRAY: {
		uint32_t n = 0;
		for (uint32_t i = 0; i < m->def.max_entries; i++)
			n += m->u.pa.progs[i] != NULL;
		return n;
	}
	case GRAFT_MAP_RINGBUF:
		return (uint32_t)graft_ringbuf_avail(m);
	default:
		return m->def.max_entries;
	}
}

void graft_map_dump(struct graft_map *m, graft_map_dump_fn fn, void *ud)
{
	if (is_hash(m)) {
		map_hash_dump(m, fn, ud);
		return;
	}
	if (m->def.type == GRAFT_MAP_ARRAY) {
		for (uint32_t i = 0; i < m->def.max_entries; i++)
			fn(ud, &i, m->values + (size_t)i * m->vsize);
		return;
	}
	if (m->def.type == GRAFT_MAP_QUEUE || m->def.type == GRAFT_MAP_STACK) {
		for (uint32_t k = 0; k < m->u.q.count; k++) {
			uint32_t at = (m->u.q.head + k) % m->def.max_entries;
			fn(ud, NULL, m->values + (size_t)at * m->vsize);
		}
	}
}

void *graft_map_region(struct graft_map *m, uint64_t *len, unsigned *perm)
{
	switch (m->def.type) {
	case GRAFT_MAP_ARRAY:
	case GRAFT_MAP_HASH:
	case GRAFT_MAP_LRU_HASH:
	case GRAFT_MAP_RINGBUF:
		*len = m->values_len;
		*perm = m->def.flags & GRAFT_F_RDONLY_PROG ? EBPF_R : EBPF_RW;
		return m->values;
	default:
		*len = 0;
		*perm = 0;
		return NULL;
	}
}

int graft_prog_array_set(struct graft_map *m, uint32_t i,
			 const struct ebpf_prog *prog)
{
	if (m->def.type != GRAFT_MAP_PROG_ARRAY)
		return GRAFT_E_INVAL;
	if (i >= m->def.max_entries)
		return GRAFT_E_2BIG;
	m->u.pa.progs[i] = prog;
	return 0;
}

const struct ebpf_prog *graft_prog_array_get(struct graft_map *m, uint32_t i)
{
	if (m->def.type != GRAFT_MAP_PROG_ARRAY || i >= m->def.max_entries)
		return NULL;
	return m->u.pa.progs[i];
}
