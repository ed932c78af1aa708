/*
 * tests/maps_ops.c — the map types through the host API: Linux's flags and
 * error codes, bounds, iteration, LRU order, queue/stack order, ring buffer
 * records (wrap, discard, corrupted headers), creation errors, allocator
 * failures, and a hash checked against a plain reference model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/maps.h"
#include "testlib.h"

static long live_allocs, fail_after = -1;

static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	void *p = NULL;
	if (posix_memalign(&p, 16, n ? n : 1))
		return NULL;
	live_allocs++;
	return p;
}

static void t_free(void *ud, void *p)
{
	(void)ud;
	live_allocs--;
	free(p);
}

static const struct graft_alloc A = { t_alloc, t_free, NULL };

static struct graft_map *mk(uint32_t type, uint32_t k, uint32_t v, uint32_t n,
			    uint32_t flags)
{
	struct graft_map_def d = { type, k, v, n, flags };
	struct graft_map *m = NULL;
	struct graft_err err = { 0 };
	if (graft_map_create(&m, &d, &A, &err))
		printf("FAIL create type %u: %s\n", type, err.msg);
	return m;
}

static void test_array(void)
{
	struct graft_map *m = mk(GRAFT_MAP_ARRAY, 4, 12, 4, 0);
	uint32_t k = 2, next;
	uint8_t v[12] = { 1, 2, 3 };
	T_CHECK(graft_map_update(m, &k, v, GRAFT_ANY) == 0, "array update");
	uint8_t *p = graft_map_lookup(m, &k);
	T_CHECK(p && p[2] == 3, "array lookup");
	T_CHECK(graft_map_update(m, &k, v, GRAFT_NOEXIST) == GRAFT_E_EXIST,
		"array NOEXIST is -EEXIST");
	T_CHECK(graft_map_update(m, &k, v, GRAFT_EXIST) == 0, "array EXIST");
	T_CHECK(graft_map_update(m, &k, v, 9) == GRAFT_E_INVAL, "array bad flags");
	k = 4;
	T_CHECK(graft_map_update(m, &k, v, 0) == GRAFT_E_2BIG, "array index 4 of 4");
	T_CHECK(!graft_map_lookup(m, &k), "array lookup out of range");
	T_CHECK(graft_map_delete(m, &k) == GRAFT_E_INVAL, "array delete");
	T_CHECK(graft_map_next_key(m, NULL, &next) == 0 && next == 0, "array first");
	k = 2;
	T_CHECK(graft_map_next_key(m, &k, &next) == 0 && next == 3, "array next");
	k = 3;
	T_CHECK(graft_map_next_key(m, &k, &next) == GRAFT_E_NOENT, "array last");
	k = 99;
	T_CHECK(graft_map_next_key(m, &k, &next) == 0 && next == 0,
		"array next of a missing key restarts");
	uint64_t len;
	unsigned perm;
	T_CHECK(graft_map_region(m, &len, &perm) && len == 4 * 16 &&
		perm == EBPF_RW, "array region: 4 values of 16 bytes");
	graft_map_free(m);
	m = mk(GRAFT_MAP_ARRAY, 4, 4, 1, GRAFT_F_RDONLY_PROG);
	T_CHECK(graft_map_region(m, &len, &perm) && perm == EBPF_R,
		"rdonly array region is read-only");
	graft_map_free(m);
	printf("array: flags, bounds, iteration, region\n");
}

static void test_hash(void)
{
	struct graft_map *m = mk(GRAFT_MAP_HASH, 8, 8, 3, 0);
	uint64_t k, v = 7, next;
	k = 1;
	T_CHECK(graft_map_update(m, &k, &v, GRAFT_EXIST) == GRAFT_E_NOENT,
		"hash EXIST on a missing key");
	for (k = 1; k <= 3; k++)
		T_CHECK(graft_map_update(m, &k, &v, GRAFT_NOEXIST) == 0, "hash add");
	T_CHECK(graft_map_update(m, &k, &v, GRAFT_ANY) == GRAFT_E_2BIG,
		"hash full is -E2BIG");
	k = 2;
	T_CHECK(graft_map_update(m, &k, &v, GRAFT_NOEXIST) == GRAFT_E_EXIST,
		"hash NOEXIST on a present key");
	v = 9;
	T_CHECK(graft_map_update(m, &k, &v, GRAFT_EXIST) == 0 &&
		*(uint64_t *)graft_map_lookup(m, &k) == 9, "hash EXIST replaces");
	T_CHECK(graft_map_delete(m, &k) == 0 && !graft_map_lookup(m, &k),
		"hash delete");
	T_CHECK(graft_map_delete(m, &k) == GRAFT_E_NOENT, "hash delete missing");
	T_CHECK(graft_map_count(m) == 2, "hash count");
	unsigned seen = 0;
	uint64_t cur, *prev = NULL;
	while (graft_map_next_key(m, prev, &next) == 0 && seen < 10) {
		seen++;
		cur = next;
		prev = &cur;
	}
	T_CHECK(seen == 2, "hash iteration visits %u of 2 keys", seen);
	T_CHECK(graft_map_update(m, &k, &v, 3) == GRAFT_E_INVAL, "hash bad flags");
	graft_map_free(m);

	/* Against a model: random ops on 64 keys in a 40-entry map. */
	m = mk(GRAFT_MAP_HASH, 4, 4, 40, 0);
	int64_t model[64];
	unsigned n = 0, bad = 0;
	for (int i = 0; i < 64; i++)
		model[i] = -1;
	uint32_t s = 12345;
	for (int it = 0; it < 20000; it++) {
		s = s * 1103515245 + 12345;
		uint32_t key = (s >> 8) % 64, val = s >> 16, op = (s >> 4) % 3;
		int r;
		if (op == 0) {
			r = graft_map_update(m, &key, &val, GRAFT_ANY);
			int want = model[key] >= 0 || n < 40 ? 0 : GRAFT_E_2BIG;
			bad += r != want;
			if (!r) {
				n += model[key] < 0;
				model[key] = val;
			}
		} else if (op == 1) {
			r = graft_map_delete(m, &key);
			bad += r != (model[key] >= 0 ? 0 : GRAFT_E_NOENT);
			if (!r) {
				model[key] = -1;
				n--;
			}
		} else {
			uint32_t *p = graft_map_lookup(m, &key);
			bad += (p != NULL) != (model[key] >= 0) ||
			       (p && *p != (uint32_t)model[key]);
		}
	}
	T_CHECK(bad == 0 && graft_map_count(m) == n,
		"hash vs model: %u mismatches in 20000 ops", bad);
	graft_map_free(m);
	printf("hash: Linux flags and errors, iteration, 20000 ops vs a model\n");
}

/*
 * Every key size the hash reads differently (1..3 bytes, 4, 5..7, 8, longer
 * with and without a tail): keys differ in one byte at a time, at every
 * position, so a byte the compare skips shows as merged keys and a hash
 * that reads past the key (or differs between calls) as lost ones; random
 * ops against a model, then iteration sees each key once.
 */
static void test_hash_key_sizes(void)
{
	static const uint32_t sizes[] = { 1, 2, 3, 5, 6, 7, 8, 9, 12, 13, 16, 24, 31 };
	unsigned bad = 0;
	for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
		uint32_t ks = sizes[z];
		/* keys: byte (i % ks) of a base pattern set to a value from i */
		enum { NK = 48 };
		uint8_t keys[NK][32];
		unsigned nk = 0;
		for (unsigned i = 0; nk < NK && i < 4 * NK; i++) {
			uint8_t k[32];
			for (uint32_t b = 0; b < ks; b++)
				k[b] = (uint8_t)(0x5a + b);
			k[i % ks] = (uint8_t)(i / ks * 37 + 1);
			bool dup = false;
			for (unsigned j = 0; j < nk && !dup; j++)
				dup = !memcmp(keys[j], k, ks);
			if (!dup)
				memcpy(keys[nk++], k, ks);
		}
		struct graft_map *m = mk(GRAFT_MAP_HASH, ks, 8, 32, 0);
		int64_t model[NK];
		unsigned n = 0;
		for (unsigned i = 0; i < NK; i++)
			model[i] = -1;
		uint32_t s = 777 + ks;
		for (int it = 0; it < 3000; it++) {
			s = s * 1103515245 + 12345;
			uint32_t i = (s >> 8) % nk, op = (s >> 4) % 3;
			uint64_t val = s >> 16;
			/* an unaligned copy: helpers pass keys at any address */
			uint8_t kb[40];
			memcpy(kb + 1 + it % 7, keys[i], ks);
			const void *key = kb + 1 + it % 7;
			if (op == 0) {
				int r = graft_map_update(m, key, &val, GRAFT_ANY);
				bad += r != (model[i] >= 0 || n < 32 ? 0 : GRAFT_E_2BIG);
				if (!r) {
					n += model[i] < 0;
					model[i] = (int64_t)val;
				}
			} else if (op == 1) {
				int r = graft_map_delete(m, key);
				bad += r != (model[i] >= 0 ? 0 : GRAFT_E_NOENT);
				if (!r) {
					model[i] = -1;
					n--;
				}
			} else {
				uint64_t *p = graft_map_lookup(m, key);
				bad += (p != NULL) != (model[i] >= 0) ||
				       (p && *p != (uint64_t)model[i]);
			}
		}
		unsigned seen[NK] = { 0 }, visits = 0;
		uint8_t cur[32], next[32];
		const void *prev = NULL;
		while (graft_map_next_key(m, prev, next) == 0 && visits <= NK) {
			visits++;
			for (unsigned i = 0; i < nk; i++)
				if (!memcmp(keys[i], next, ks))
					seen[i]++;
			memcpy(cur, next, ks);
			prev = cur;
		}
		for (unsigned i = 0; i < nk; i++)
			bad += seen[i] != (model[i] >= 0);
		bad += visits != n || graft_map_count(m) != n;
		graft_map_free(m);
	}
	T_CHECK(bad == 0, "hash key sizes 1..31 vs a model: %u mismatches", bad);
	printf("hash: key sizes 1-3, 5-9, 12, 13, 16, 24, 31 (one-byte "
	       "differences, unaligned keys) vs a model, iteration\n");
}

static void test_lru(void)
{
	struct graft_map *m = mk(GRAFT_MAP_LRU_HASH, 4, 4, 3, 0);
	uint32_t k, v = 1;
	for (k = 1; k <= 3; k++)
		graft_map_update(m, &k, &v, GRAFT_ANY);
	k = 1;
	graft_map_lookup(m, &k); /* 1 is now the most recent; 2 the oldest */
	k = 4;
	T_CHECK(graft_map_update(m, &k, &v, GRAFT_ANY) == 0, "lru insert when full");
	k = 2;
	T_CHECK(!graft_map_lookup(m, &k), "lru evicted the least recent key");
	k = 1;
	T_CHECK(graft_map_lookup(m, &k) != NULL, "lru kept the touched key");
	T_CHECK(graft_map_count(m) == 3, "lru count stays at max_entries");
	graft_map_free(m);
	printf("lru: eviction of the least recently used entry\n");
}

static void test_queue_stack(void)
{
	struct graft_map *q = mk(GRAFT_MAP_QUEUE, 0, 4, 3, 0);
	struct graft_map *s = mk(GRAFT_MAP_STACK, 0, 4, 3, 0);
	uint32_t v;
	T_CHECK(graft_map_pop(q, &v) == GRAFT_E_NOENT, "empty queue pop");
	for (v = 1; v <= 3; v++) {
		graft_map_push(q, &v, 0);
		graft_map_push(s, &v, 0);
	}
	T_CHECK(graft_map_push(q, &v, 0) == GRAFT_E_2BIG, "full queue push");
	T_CHECK(graft_map_push(q, &v, 1) == GRAFT_E_INVAL, "queue NOEXIST flag");
	v = 4;
	T_CHECK(graft_map_push(q, &v, GRAFT_EXIST) == 0, "queue push EXIST");
	T_CHECK(graft_map_pop(q, &v) == 0 && v == 2, "queue dropped the oldest");
	T_CHECK(graft_map_peek(s, &v) == 0 && v == 3, "stack peek");
	T_CHECK(graft_map_pop(s, &v) == 0 && v == 3 && graft_map_pop(s, &v) == 0 &&
		v == 2, "stack order");
	T_CHECK(graft_map_lookup(q, &v) == NULL, "queue has no lookup");
	graft_map_free(q);
	graft_map_free(s);
	printf("queue/stack: order, full, overwrite, empty\n");
}

struct recs {
	uint32_t n, len[64];
	uint8_t first[64];
};

static int rec_cb(void *ud, const void *d, uint32_t len)
{
	struct recs *r = ud;
	if (r->n < 64) {
		r->len[r->n] = len;
		r->first[r->n++] = *(const uint8_t *)d;
	}
	return 0;
}

static void test_ringbuf(void)
{
	struct graft_map *m = mk(GRAFT_MAP_RINGBUF, 0, 0, 4096, 0);
	uint8_t *a = graft_ringbuf_reserve(m, 10);
	uint8_t *b = graft_ringbuf_reserve(m, 20);
	T_CHECK(a && b && b - a == 24, "ringbuf records are 8-byte aligned");
	a[0] = 0xa;
	b[0] = 0xb;
	struct recs r = { 0 };
	T_CHECK(graft_ringbuf_consume(m, rec_cb, &r) == 0,
		"ringbuf: an uncommitted record blocks the consumer");
	T_CHECK(graft_ringbuf_commit(m, b, false), "commit b");
	T_CHECK(graft_ringbuf_consume(m, rec_cb, &r) == 0, "b waits for a");
	T_CHECK(graft_ringbuf_commit(m, a, true), "discard a");
	T_CHECK(!graft_ringbuf_commit(m, a, false), "a second commit is refused");
	T_CHECK(!graft_ringbuf_commit(m, a + 1, false), "a misaligned pointer");
	T_CHECK(graft_ringbuf_consume(m, rec_cb, &r) == 1 && r.len[0] == 20 &&
		r.first[0] == 0xb, "consumer skips the discarded record");
	/* Fill, wrap around the end, and refuse when full. */
	unsigned n = 0;
	static uint8_t x[1000];
	while (graft_ringbuf_output(m, x, 1000) == 0)
		n++;
	T_CHECK(n == 4, "ringbuf of 4096 takes 4 records of 1008, took %u", n);
	T_CHECK(!graft_ringbuf_reserve(m, 5000), "larger than the ring");
	memset(&r, 0, sizeof r);
	T_CHECK(graft_ringbuf_consume(m, rec_cb, &r) == 4, "read all 4");
	for (int i = 0; i < 10; i++) {
		x[0] = (uint8_t)i;
		T_CHECK(graft_ringbuf_output(m, x, 600) == 0, "wrap %d", i);
		if (i % 2)
			graft_ringbuf_consume(m, rec_cb, &r);
	}
	graft_ringbuf_consume(m, rec_cb, &r);
	T_CHECK(r.n == 14 && r.first[13] == 9, "records survive wrapping");
	/* A program scribbling a header cannot hurt the consumer. */
	uint8_t *c = graft_ringbuf_reserve(m, 16);
	graft_ringbuf_commit(m, c, false);
	memset(c - 8, 0x7f, 4);
	memset(&r, 0, sizeof r);
	graft_ringbuf_consume(m, rec_cb, &r);
	T_CHECK(graft_ringbuf_avail(m) == 0, "corrupted header drops the rest");
	graft_map_free(m);
	printf("ringbuf: commit order, discard, wrap, full, corruption\n");
}

static void test_create_errors(void)
{
	struct {
		struct graft_map_def d;
		enum graft_status st;
		const char *msg;
	} bad[] = {
		{ { 2, 8, 8, 4, 0 }, GRAFT_EINVAL, "key_size must be 4" },
		{ { 2, 4, 0, 4, 0 }, GRAFT_EINVAL, "value_size is 0" },
		{ { 1, 0, 8, 4, 0 }, GRAFT_EINVAL, "nonzero" },
		{ { 1, 4, 8, 0, 0 }, GRAFT_EINVAL, "max_entries is 0" },
		{ { 22, 4, 8, 4, 0 }, GRAFT_EINVAL, "key_size 0" },
		{ { 27, 0, 0, 1000, 0 }, GRAFT_EINVAL, "power of 2" },
		{ { 3, 4, 8, 4, 0 }, GRAFT_EINVAL, "value_size must be 4" },
		{ { 99, 4, 8, 4, 0 }, GRAFT_ENOTSUP, "type 99" },
		{ { 1, 4, 8, 4, 0x8000 }, GRAFT_EINVAL, "flags" },
		{ { 1, 4, 8, 1u << 30, 0 }, GRAFT_ENOMEM, "limit" },
		{ { 1, 4096, 8, 4, 0 }, GRAFT_ENOMEM, "key_size 4096" },
		{ { 2, 4, 1u << 21, 4, 0 }, GRAFT_ENOMEM, "value_size" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct graft_map *m = NULL;
		struct graft_err err = { 0 };
		enum graft_status st = graft_map_create(&m, &bad[i].d, &A, &err);
		T_CHECK(st == bad[i].st && !m && strstr(err.msg, bad[i].msg),
			"bad def %zu: %s (%s)", i, graft_status_name(st), err.msg);
	}
	long before = live_allocs;
	for (long k = 0; k < 6; k++) {
		fail_after = k;
		struct graft_map_def d = { GRAFT_MAP_HASH, 4, 4, 16, 0 };
		struct graft_map *m = NULL;
		struct graft_err err = { 0 };
		enum graft_status st = graft_map_create(&m, &d, &A, &err);
		T_CHECK(k >= 5 ? st == GRAFT_OK : st == GRAFT_ENOMEM,
			"allocation %ld failing: %s", k, graft_status_name(st));
		graft_map_free(m);
	}
	fail_after = -1;
	T_CHECK(live_allocs == before, "no leak after failed creations");
	printf("create: %zu bad definitions, allocator failures\n",
	       sizeof bad / sizeof bad[0]);
}

static void test_registry(void)
{
	struct graft_registry *r;
	struct graft_err err = { 0 };
	T_CHECK(graft_registry_create(&r, &A, &err) == 0, "registry");
	struct graft_map_def d = { GRAFT_MAP_HASH, 4, 8, 16, 0 };
	struct graft_map *a, *b, *c;
	bool created;
	T_CHECK(graft_registry_get(r, "counts", &d, GRAFT_PIN_BY_NAME, false, &a,
				   &created, &err) == 0 && created, "pin new");
	uint32_t k = 5;
	uint64_t v = 42;
	graft_map_update(a, &k, &v, 0);
	graft_registry_put(r, a); /* the loader goes away; the pin holds it */
	T_CHECK(graft_registry_get(r, "counts", &d, GRAFT_PIN_BY_NAME, false, &b,
				   &created, &err) == 0 && !created && b == a,
		"same definition reuses the pinned map");
	T_CHECK(*(uint64_t *)graft_map_lookup(b, &k) == 42, "contents kept");
	struct graft_map_def d2 = d;
	d2.max_entries = 32;
	T_CHECK(graft_registry_get(r, "counts", &d2, GRAFT_PIN_BY_NAME, false, &c,
				   &created, &err) == GRAFT_EEXIST &&
		strstr(err.msg, "entries 16") && strstr(err.msg, "entries 32"),
		"different definition: %s", err.msg);
	T_CHECK(graft_registry_get(r, "counts", &d2, GRAFT_PIN_BY_NAME, true, &c,
				   &created, &err) == 0 && created && c != b,
		"replace gives a fresh map");
	T_CHECK(graft_registry_find(r, "counts") == c, "the new one is pinned");
	T_CHECK(*(uint64_t *)graft_map_lookup(b, &k) == 42,
		"the old holder keeps its map");
	uint64_t h = graft_registry_handle(r, b);
	T_CHECK(graft_registry_map(r, h) == b, "handle");
	graft_registry_put(r, b);
	T_CHECK(graft_registry_map(r, h) == NULL, "stale handle names nothing");
	T_CHECK(graft_registry_map(r, 0x1234) == NULL &&
		graft_registry_map(r, (uint64_t)(uintptr_t)c) == NULL,
		"pointers are no handles");
	struct graft_map *u1, *u2;
	graft_registry_get(r, "obj:m", &d, 0, false, &u1, &created, &err);
	graft_registry_get(r, "obj:m", &d, 0, false, &u2, &created, &err);
	const char *n1 = NULL, *n2 = NULL;
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++) {
		const char *nm;
		struct graft_map *m = graft_registry_at(r, i, &nm, NULL);
		if (m == u1)
			n1 = nm;
		if (m == u2)
			n2 = nm;
	}
	T_CHECK(u1 != u2 && n1 && n2 && strcmp(n1, n2), "unpinned names unique: %s %s",
		n1, n2);
	T_CHECK(graft_registry_unpin(r, "nope", &err) == GRAFT_ENOENT, "unpin missing");
	T_CHECK(graft_registry_get(r, "", &d, 0, false, &u1, &created, &err) ==
		GRAFT_EINVAL, "empty name");
	graft_registry_put(r, c);
	graft_registry_free(r);
	T_CHECK(live_allocs == 0, "registry freed everything (%ld left)", live_allocs);
	printf("registry: pin, reuse with contents, mismatch, replace, handles\n");
}

int main(void)
{
	test_array();
	test_hash();
	test_hash_key_sizes();
	test_lru();
	test_queue_stack();
	test_ringbuf();
	test_create_errors();
	test_registry();
	return t_done();
}
