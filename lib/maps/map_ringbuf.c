/*
 * RINGBUF: Linux's record format (an 8-byte header whose length word has a
 * BUSY and a DISCARD bit, payload rounded to 8) in one data block of
 * max_entries bytes. Linux maps the block twice so a record may wrap; graft
 * cannot, so a record that would wrap is preceded by a discarded filler
 * that runs to the end of the block. The block is a program's region (the
 * program writes its record there), so the consumer trusts no header: a
 * length that does not fit drops the rest of the buffer.
 */
#include "map_internal.h"

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u

enum graft_status map_ringbuf_init(struct graft_map *m, struct graft_err *err)
{
	m->values_len = m->def.max_entries;
	m->values = map_zalloc(&m->alloc, m->values_len);
	if (!m->values)
		return graft_errf(err, GRAFT_ENOMEM,
				  "out of memory for a ringbuf of %u bytes",
				  m->def.max_entries);
	return GRAFT_OK;
}

static void put_hdr(struct graft_map *m, uint64_t pos, uint32_t w)
{
	uint32_t hdr[2] = { w, 0 };
	memcpy(m->values + (pos & (m->values_len - 1)), hdr, RB_HDR);
}

static uint32_t get_hdr(struct graft_map *m, uint64_t pos)
{
	uint32_t w;
	memcpy(&w, m->values + (pos & (m->values_len - 1)), 4);
	return w;
}

void *graft_ringbuf_reserve(struct graft_map *m, uint64_t size)
{
	if (m->def.type != GRAFT_MAP_RINGBUF || size == 0 ||
	    size > m->values_len - RB_HDR || size >= RB_DISCARD)
		return NULL;
	uint64_t n = m->values_len, total = (size + RB_HDR + 7) & ~7ull;
	uint64_t at = m->u.rb.prod & (n - 1), pad = 0;
	if (at + total > n)
		pad = n - at;
	if (m->u.rb.prod + pad + total - m->u.rb.cons > n)
		return NULL;
	if (pad) {
		put_hdr(m, m->u.rb.prod, (uint32_t)(pad - RB_HDR) | RB_DISCARD);
		m->u.rb.prod += pad;
	}
	put_hdr(m, m->u.rb.prod, (uint32_t)size | RB_BUSY);
	void *data = m->values + (m->u.rb.prod & (n - 1)) + RB_HDR;
	m->u.rb.prod += total;
	return data;
}

/* The logical position of the record whose payload is data, or UINT64_MAX. */
static uint64_t record_pos(struct graft_map *m, const void *data)
{
	const uint8_t *p = data;
	if (m->def.type != GRAFT_MAP_RINGBUF || p < m->values + RB_HDR ||
	    p >= m->values + m->values_len)
		return UINT64_MAX;
	uint64_t off = (uint64_t)(p - m->values) - RB_HDR, n = m->values_len;
	if (off & 7)
		return UINT64_MAX;
	uint64_t pos = m->u.rb.cons + ((off - m->u.rb.cons) & (n - 1));
	if (pos >= m->u.rb.prod || !(get_hdr(m, pos) & RB_BUSY))
		return UINT64_MAX;
	return pos;
}

bool graft_ringbuf_owns(struct graft_map *m, const void *data)
{
	return record_pos(m, data) != UINT64_MAX;
}

bool graft_ringbuf_commit(struct graft_map *m, void *data, bool discard)
{
	uint64_t pos = record_pos(m, data);
	if (pos == UINT64_MAX)
		return false;
	uint32_t w = get_hdr(m, pos) & ~RB_BUSY;
	put_hdr(m, pos, discard ? w | RB_DISCARD : w);
	return true;
}

int graft_ringbuf_output(struct graft_map *m, const void *data, uint64_t size)
{
	void *p = graft_ringbuf_reserve(m, size);
	if (!p)
		return GRAFT_E_AGAIN;
	memcpy(p, data, size);
	graft_ringbuf_commit(m, p, false);
	return 0;
}

int graft_ringbuf_consume(struct graft_map *m, graft_ringbuf_fn fn, void *ud)
{
	if (m->def.type != GRAFT_MAP_RINGBUF)
		return GRAFT_E_INVAL;
	uint64_t n = m->values_len;
	int handed = 0;
	while (m->u.rb.cons < m->u.rb.prod) {
		uint64_t at = m->u.rb.cons & (n - 1);
		uint32_t w = get_hdr(m, m->u.rb.cons);
		if (w & RB_BUSY)
			break;
		uint32_t len = w & ~(RB_BUSY | RB_DISCARD);
		uint64_t total = ((uint64_t)len + RB_HDR + 7) & ~7ull;
		if (at + total > n || m->u.rb.cons + total > m->u.rb.prod) {
			m->u.rb.cons = m->u.rb.prod; /* corrupted: drop */
			break;
		}
		m->u.rb.cons += total;
		if (w & RB_DISCARD)
			continue;
		handed++;
		if (fn(ud, m->values + at + RB_HDR, len))
			break;
	}
	return handed;
}

uint64_t graft_ringbuf_avail(struct graft_map *m)
{
	if (m->def.type != GRAFT_MAP_RINGBUF)
		return 0;
	return m->u.rb.prod - m->u.rb.cons;
}
