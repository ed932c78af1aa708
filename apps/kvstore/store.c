/* apps/kvstore/store.c — the table: open addressing with linear probing,
 * fixed size, static memory (no allocation per request). Deletion shifts
 * later entries back instead of leaving tombstones, so a store under
 * set/del churn keeps short probe runs. */
#include <string.h>

#include "kvstore.h"

struct slot {
	uint8_t used;
	uint8_t klen;
	uint16_t vlen;
	char key[KV_KEY_MAX];
	char val[KV_VALUE_MAX];
};

static struct slot table[KV_SLOTS];
static unsigned used;

static uint32_t hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

#define MASK (KV_SLOTS - 1)

/* The slot holding key, or NULL with *free_slot at the empty slot that
 * ends its probe run (NULL when the table is full). */
static struct slot *find(const char *key, size_t klen, struct slot **free_slot)
{
	uint32_t i = hash(key, klen) & MASK;
	*free_slot = NULL;
	for (unsigned probe = 0; probe < KV_SLOTS; probe++, i = (i + 1) & MASK) {
		struct slot *s = &table[i];
		if (!s->used) {
			*free_slot = s;
			return NULL;
		}
		if (s->klen == klen && !memcmp(s->key, key, klen))
			return s;
	}
	return NULL;
}

const char *kv_get(const char *key, size_t klen, size_t *vlen)
{
	struct slot *fs, *s = find(key, klen, &fs);
	if (!s)
		return NULL;
	*vlen = s->vlen;
	return s->val;
}

int kv_set(const char *key, size_t klen, const char *val, size_t vlen)
{
	struct slot *fs, *s = find(key, klen, &fs);
	if (!s) {
		if (used >= kv_config.max_keys || !fs)
			return -1;
		s = fs;
		s->used = 1;
		s->klen = (uint8_t)klen;
		memcpy(s->key, key, klen);
		used++;
	}
	s->vlen = (uint16_t)vlen;
	memcpy(s->val, val, vlen);
	return 0;
}

int kv_del(const char *key, size_t klen)
{
	struct slot *fs, *s = find(key, klen, &fs);
	if (!s)
		return -1;
	/* Backward shift: move up every later entry of the run whose home
	 * slot is not cyclically in (hole, j]. */
	uint32_t hole = (uint32_t)(s - table), j = hole;
	for (;;) {
		j = (j + 1) & MASK;
		if (!table[j].used)
			break;
		uint32_t home = hash(table[j].key, table[j].klen) & MASK;
		if (((j - home) & MASK) >= ((j - hole) & MASK)) {
			table[hole] = table[j];
			hole = j;
		}
	}
	table[hole].used = 0;
	used--;
	return 0;
}

unsigned kv_count(void) { return used; }
