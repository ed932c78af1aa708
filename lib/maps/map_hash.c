/*
 * HASH and LRU_HASH: preallocated nodes, chained buckets, keys apart from
 * values so a program's view (the values block) cannot corrupt a key or a
 * chain. LRU keeps a recency list: lookups and updates move an entry to the
 * front, and an update into a full map evicts the entry at the back. (Linux
 * approximates this per CPU; on one CPU graft's order is exact.)
 */
#include "map_internal.h"

#define NODE(m, i1) (&(m)->u.h.nodes[(i1) - 1])
#define KEY(m, i1) ((m)->u.h.keys + (size_t)((i1) - 1) * (m)->def.key_size)
#define VAL(m, i1) ((m)->values + (size_t)((i1) - 1) * (m)->vsize)

/*
 * The hash and the key compare by key size with fixed-size loads: 4- and
 * 8-byte keys (the common ones) are one load each, never a byte copy into
 * a wider variable (a store-forwarding stall per lookup), and longer keys
 * go 8 bytes at a time with the tail read by overlapping loads.
 */
static inline uint64_t ld64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t ld32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint32_t mix(uint64_t v)
{
	uint64_t h = (v ^ (v >> 29)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static inline __attribute__((always_inline)) uint32_t
hash_key(const void *key, uint32_t n)
{
	if (n == 4)
		return mix(ld32(key));
	if (n == 8)
		return mix(ld64(key));
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ n, t;
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8)
		h = (h ^ ld64(p + i)) * 0x100000001b3ull, h ^= h >> 31;
	if (i == n)
		return mix(h);
	if (n >= 8)           /* the last 8 bytes, overlapping the loop's */
		t = ld64(p + n - 8);
	else if (n >= 4)      /* 4..7 bytes: two overlapping 4-byte loads */
		t = (uint64_t)ld32(p) << 32 | ld32(p + n - 4);
	else                  /* 1..3 bytes */
		t = (uint64_t)p[0] << 16 | (uint64_t)p[n / 2] << 8 | p[n - 1];
	return mix((h ^ t) * 0x100000001b3ull);
}

static inline __attribute__((always_inline)) bool
key_eq(const void *a, const void *b, uint32_t n)
{
	if (n == 4)
		return ld32(a) == ld32(b);
	if (n == 8)
		return ld64(a) == ld64(b);
	return !memcmp(a, b, n);
}

enum graft_status map_hash_init(struct graft_map *m, struct graft_err *err)
{
	uint32_t max = m->def.max_entries, nb = 1;
	while (nb < max)
		nb <<= 1;
	m->u.h.nbuckets = nb;
	m->u.h.buckets = map_zalloc(&m->alloc, (uint64_t)nb * 4);
	m->u.h.nodes = map_zalloc(&m->alloc, (uint64_t)max * sizeof(struct hnode));
	m->u.h.keys = map_zalloc(&m->alloc, (uint64_t)max * m->def.key_size);
	m->values_len = (uint64_t)max * m->vsize;
	m->values = map_zalloc(&m->alloc, m->values_len);
	if (!m->u.h.buckets || !m->u.h.nodes || !m->u.h.keys || !m->values)
		return graft_errf(err, GRAFT_ENOMEM,
				  "out of memory for a hash of %u entries", max);
	for (uint32_t i = 1; i <= max; i++)
		NODE(m, i)->next = i < max ? i + 1 : 0;
	m->u.h.free = 1;
	return GRAFT_OK;
}

/* Chain walk; key sizes 4 and 8 are instantiated with a constant n (the
 * key itself is compared, as cheap as the stored hash), the rest compare
 * the hash first. */
static inline __attribute__((always_inline)) uint32_t
find_n(struct graft_map *m, const void *key, uint32_t h, uint32_t n)
{
	const struct hnode *nodes = m->u.h.nodes;
	const uint8_t *keys = m->u.h.keys;
	uint32_t i = m->u.h.buckets[h & (m->u.h.nbuckets - 1)];
	while (i) {
		const struct hnode *nd = &nodes[i - 1];
		if ((n <= 8 || nd->hash == h) &&
		    key_eq(keys + (size_t)(i - 1) * n, key, n))
			return i;
		i = nd->next;
	}
	return 0;
}

static uint32_t find(struct graft_map *m, const void *key, uint32_t h)
{
	switch (m->def.key_size) {
	case 4:
		return find_n(m, key, h, 4);
	case 8:
		return find_n(m, key, h, 8);
	default:
		return find_n(m, key, h, m->def.key_size);
	}
}

static void lru_unlink(struct graft_map *m, uint32_t i)
{
	struct hnode *n = NODE(m, i);
	if (n->lru_prev)
		NODE(m, n->lru_prev)->lru_next = n->lru_next;
	else
		m->u.h.lru_head = n->lru_next;
	if (n->lru_next)
		NODE(m, n->lru_next)->lru_prev = n->lru_prev;
	else
		m->u.h.lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = 0;
}

static void lru_front(struct graft_map *m, uint32_t i)
{
	struct hnode *n = NODE(m, i);
	n->lru_prev = 0;
	n->lru_next = m->u.h.lru_head;
	if (m->u.h.lru_head)
		NODE(m, m->u.h.lru_head)->lru_prev = i;
	m->u.h.lru_head = i;
	if (!m->u.h.lru_tail)
		m->u.h.lru_tail = i;
}

static void touch(struct graft_map *m, uint32_t i)
{
	if (m->def.type == GRAFT_MAP_LRU_HASH && m->u.h.lru_head != i) {
		lru_unlink(m, i);
		lru_front(m, i);
	}
}

void *map_hash_lookup(struct graft_map *m, const void *key)
{
	uint32_t i;
	switch (m->def.key_size) {
	case 4:
		i = find_n(m, key, hash_key(key, 4), 4);
		break;
	case 8:
		i = find_n(m, key, hash_key(key, 8), 8);
		break;
	default:
		i = find(m, key, hash_key(key, m->def.key_size));
	}
	if (!i)
		return NULL;
	touch(m, i);
	return VAL(m, i);
}

static void unlink_node(struct graft_map *m, uint32_t i)
{
	struct hnode *n = NODE(m, i);
	uint32_t *pp = &m->u.h.buckets[n->hash & (m->u.h.nbuckets - 1)];
	while (*pp != i)
		pp = &NODE(m, *pp)->next;
	*pp = n->next;
	if (m->def.type == GRAFT_MAP_LRU_HASH)
		lru_unlink(m, i);
	n->next = m->u.h.free;
	m->u.h.free = i;
	m->u.h.count--;
}

int map_hash_update(struct graft_map *m, const void *key, const void *value,
		    uint64_t flags)
{
	uint32_t h = hash_key(key, m->def.key_size);
	uint32_t i = find(m, key, h);
	if (i) {
		if (flags == GRAFT_NOEXIST)
			return GRAFT_E_EXIST;
		memcpy(VAL(m, i), value, m->def.value_size);
		touch(m, i);
		return 0;
	}
	if (flags == GRAFT_EXIST)
		return GRAFT_E_NOENT;
	if (!m->u.h.free) {
		if (m->def.type != GRAFT_MAP_LRU_HASH)
			return GRAFT_E_2BIG;
		unlink_node(m, m->u.h.lru_tail);
	}
	i = m->u.h.free;
	struct hnode *n = NODE(m, i);
	m->u.h.free = n->next;
	n->hash = h;
	uint32_t *b = &m->u.h.buckets[h & (m->u.h.nbuckets - 1)];
	n->next = *b;
	*b = i;
	memcpy(KEY(m, i), key, m->def.key_size);
	memset(VAL(m, i), 0, m->vsize);
	memcpy(VAL(m, i), value, m->def.value_size);
	if (m->def.type == GRAFT_MAP_LRU_HASH)
		lru_front(m, i);
	m->u.h.count++;
	return 0;
}

int map_hash_delete(struct graft_map *m, const void *key)
{
	uint32_t i = find(m, key, hash_key(key, m->def.key_size));
	if (!i)
		return GRAFT_E_NOENT;
	unlink_node(m, i);
	return 0;
}

/* Iteration order: buckets in index order, each chain from its head. */
int map_hash_next_key(struct graft_map *m, const void *key, void *next)
{
	uint32_t b = 0, i = 0;
	if (key) {
		uint32_t h = hash_key(key, m->def.key_size);
		uint32_t cur = find(m, key, h);
		if (cur) {
			i = NODE(m, cur)->next;
			b = (h & (m->u.h.nbuckets - 1)) + 1;
		}
	}
	while (!i && b < m->u.h.nbuckets)
		i = m->u.h.buckets[b++];
	if (!i)
		return GRAFT_E_NOENT;
	memcpy(next, KEY(m, i), m->def.key_size);
	return 0;
}

void map_hash_dump(struct graft_map *m, graft_map_dump_fn fn, void *ud)
{
	for (uint32_t b = 0; b < m->u.h.nbuckets; b++)
		for (uint32_t i = m->u.h.buckets[b]; i; i = NODE(m, i)->next)
			fn(ud, KEY(m, i), VAL(m, i));
}
