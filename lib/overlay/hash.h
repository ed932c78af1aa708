/* Internal to lib/overlay: the content hash of the object caches. */
#ifndef GRAFT_OVERLAY_HASH_H
#define GRAFT_OVERLAY_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * 64-bit hash, 8 bytes a step (a byte-at-a-time FNV of an 8 KB object
 * costs more than running the program). Not cryptographic: with the
 * length and path it only tells "same file as last time" apart.
 */
static inline uint64_t ovl_hash64(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

#endif
