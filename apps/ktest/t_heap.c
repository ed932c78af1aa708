/* apps/ktest/t_heap.c — musl's malloc under random sizes, contents checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

#define SLOTS 512
#define ROUNDS 20000

static uint32_t rng = 12345;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int check(const uint8_t *p, size_t n, uint8_t tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(tag + i))
			return 0;
	return 1;
}

static void fill(uint8_t *p, size_t n, uint8_t tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(tag + i);
}

int t_heap(int argc, char **argv)
{
	(void)argc, (void)argv;
	static uint8_t *ptr[SLOTS];
	static size_t len[SLOTS];
	static uint8_t tag[SLOTS];
	size_t peak = 0, live = 0;
	for (int r = 0; r < ROUNDS && !kt_failures; r++) {
		int s = (int)(next() % SLOTS);
		if (ptr[s]) {
			KT_CHECK(check(ptr[s], len[s], tag[s]), "slot %d (%zu bytes) corrupted", s, len[s]);
			if (next() % 4 == 0) { /* grow or shrink in place of a free */
				size_t n = 1 + next() % (next() % 8 == 0 ? 200000 : 2000);
				uint8_t *q = realloc(ptr[s], n);
				KT_CHECK(q != NULL, "realloc %zu", n);
				if (!q)
					break;
				size_t keep = n < len[s] ? n : len[s];
				KT_CHECK(check(q, keep, tag[s]), "realloc lost contents");
				live += n - len[s];
				ptr[s] = q, len[s] = n;
				fill(q, n, tag[s]);
				continue;
			}
			free(ptr[s]);
			live -= len[s];
			ptr[s] = NULL;
			continue;
		}
		size_t n = 1 + next() % (next() % 16 == 0 ? 300000 : 1000);
		ptr[s] = malloc(n);
		KT_CHECK(ptr[s] != NULL, "malloc %zu failed (live %zu)", n, live);
		if (!ptr[s])
			break;
		KT_CHECK(((uintptr_t)ptr[s] & 15) == 0, "malloc %zu: %p not 16-aligned", n, (void *)ptr[s]);
		len[s] = n, tag[s] = (uint8_t)next();
		fill(ptr[s], n, tag[s]);
		live += n;
		if (live > peak)
			peak = live;
	}
	for (int s = 0; s < SLOTS; s++)
		if (ptr[s]) {
			KT_CHECK(check(ptr[s], len[s], tag[s]), "slot %d corrupted at the end", s);
			free(ptr[s]);
		}
	/* Page-granular memory from the platform, with protection changes. */
	uint8_t *pg = gp_pages_alloc(3 * gp_page_size(), GP_PROT_READ | GP_PROT_WRITE);
	KT_CHECK(pg != NULL, "gp_pages_alloc");
	if (pg) {
		memset(pg, 0xab, 3 * gp_page_size());
		KT_CHECK(gp_pages_protect(pg, gp_page_size(), GP_PROT_READ) == 0, "protect");
		KT_CHECK(pg[0] == 0xab, "read after protect");
		KT_CHECK(gp_pages_free(pg, 3 * gp_page_size()) == 0, "free pages");
	}
	printf("%d rounds, peak %zu bytes live\n", ROUNDS, peak);
	return kt_done();
}
