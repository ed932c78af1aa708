/* kernel/p9_msg.c — see p9_msg.h. */
#include <errno.h>
#include <string.h>

#include "p9_msg.h"

static void put(struct p9_out *m, const void *p, size_t n)
{
	if (m->overflow || n > m->cap - m->len) {
		m->overflow = 1;
		return;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void p9_u8(struct p9_out *m, uint8_t v) { put(m, &v, 1); }
void p9_u16(struct p9_out *m, uint16_t v) { uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; put(m, b, 2); }
void p9_u32(struct p9_out *m, uint32_t v) { p9_u16(m, (uint16_t)v); p9_u16(m, (uint16_t)(v >> 16)); }
void p9_u64(struct p9_out *m, uint64_t v) { p9_u32(m, (uint32_t)v); p9_u32(m, (uint32_t)(v >> 32)); }

void p9_str(struct p9_out *m, const char *s, size_t n)
{
	if (n > 0xffff) {
		m->overflow = 1;
		return;
	}
	p9_u16(m, (uint16_t)n);
	put(m, s, n);
}

void p9_bytes(struct p9_out *m, const void *p, size_t n) { put(m, p, n); }

void p9_begin(struct p9_out *m, uint8_t *buf, size_t cap, uint8_t type, uint16_t tag)
{
	m->buf = buf;
	m->cap = cap;
	m->len = 0;
	m->overflow = 0;
	p9_u32(m, 0);
	p9_u8(m, type);
	p9_u16(m, tag);
}

size_t p9_end(struct p9_out *m)
{
	if (m->overflow || m->len > 0xffffffffu)
		return 0;
	uint32_t n = (uint32_t)m->len;
	m->buf[0] = (uint8_t)n;
	m->buf[1] = (uint8_t)(n >> 8);
	m->buf[2] = (uint8_t)(n >> 16);
	m->buf[3] = (uint8_t)(n >> 24);
	return m->len;
}

static const uint8_t *take(struct p9_in *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->buf + r->pos;
	r->pos += n;
	return p;
}

uint8_t p9_get8(struct p9_in *r) { const uint8_t *p = take(r, 1); return p ? p[0] : 0; }
uint16_t p9_get16(struct p9_in *r) { const uint8_t *p = take(r, 2); return p ? (uint16_t)(p[0] | p[1] << 8) : 0; }
uint32_t p9_get32(struct p9_in *r)
{
	const uint8_t *p = take(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}
uint64_t p9_get64(struct p9_in *r)
{
	uint64_t lo = p9_get32(r);
	return lo | (uint64_t)p9_get32(r) << 32;
}

const char *p9_getstr(struct p9_in *r, uint16_t *n)
{
	*n = p9_get16(r);
	const uint8_t *p = take(r, *n);
	if (!p)
		*n = 0;
	return (const char *)p;
}

const uint8_t *p9_getbytes(struct p9_in *r, size_t n) { return take(r, n); }

void p9_getqid(struct p9_in *r, struct p9_qid *q)
{
	q->type = p9_get8(r);
	q->version = p9_get32(r);
	q->path = p9_get64(r);
}

int p9_reply(struct p9_in *r, const uint8_t *buf, size_t len, uint8_t req_type, uint16_t tag)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->bad = 0;
	uint32_t size = p9_get32(r);
	uint8_t type = p9_get8(r);
	uint16_t t = p9_get16(r);
	if (r->bad || size < 7 || size > len || t != tag)
		return -EPROTO;
	r->len = size;
	if (type == P9_RLERROR) {
		uint32_t e = p9_get32(r);
		if (r->bad || !e || e > 4095)
			return -EPROTO;
		return -(int)e;
	}
	if (type != (uint8_t)(req_type + 1))
		return -EPROTO;
	return 0;
}

int p9_next_dirent(struct p9_in *r, struct p9_dirent *d)
{
	if (r->pos == r->len)
		return 1;
	p9_getqid(r, &d->qid);
	d->offset = p9_get64(r);
	d->type = p9_get8(r);
	d->name = p9_getstr(r, &d->namelen);
	return r->bad ? -EPROTO : 0;
}
