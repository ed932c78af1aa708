/*
 * fuzz/fuzz_kernel_9p.c — the kernel's 9P2000.L reply decoder
 * (kernel/p9_msg.c, host build) on arbitrary bytes, read the way p9fs.c
 * reads each reply type: version, walk, open, read, readdir, getattr. No
 * read may leave the buffer; a bad reply must give an error, not a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/p9_msg.c"

static void read_as(const uint8_t *data, size_t size, uint8_t req, uint16_t tag)
{
	struct p9_in r;
	int e = p9_reply(&r, data, size, req, tag);
	if (e)
		return;
	struct p9_qid q;
	uint16_t n;
	switch (req) {
	case P9_TVERSION:
		p9_get32(&r);
		p9_getstr(&r, &n);
		break;
	case P9_TWALK: {
		uint16_t nq = p9_get16(&r);
		for (uint16_t i = 0; i < nq && !r.bad; i++)
			p9_getqid(&r, &q);
		break;
	}
	case P9_TLOPEN:
		p9_getqid(&r, &q);
		p9_get32(&r);
		break;
	case P9_TREAD: {
		uint32_t c = p9_get32(&r);
		const uint8_t *p = p9_getbytes(&r, c);
		if (p && (p < data || p + c > data + size))
			abort();
		break;
	}
	case P9_TREADDIR: {
		uint32_t c = p9_get32(&r);
		if (r.bad || c > r.len - r.pos)
			return;
		r.len = r.pos + c;
		struct p9_dirent d;
		while (p9_next_dirent(&r, &d) == 0)
			if (d.namelen && (d.name < (const char *)data || d.name + d.namelen > (const char *)data + size))
				abort();
		break;
	}
	case P9_TGETATTR:
		p9_get64(&r);
		p9_getqid(&r, &q);
		for (int i = 0; i < 20; i++)
			p9_get64(&r);
		break;
	}
	if (r.pos > r.len || r.len > size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[] = { P9_TVERSION, P9_TWALK, P9_TLOPEN, P9_TREAD, P9_TREADDIR, P9_TGETATTR };
	uint16_t tag = size >= 7 ? (uint16_t)(data[5] | data[6] << 8) : 0;
	for (size_t i = 0; i < sizeof types; i++)
		read_as(data, size, types[i], tag);
	/* The encoder never writes past a small buffer, whatever the string. */
	uint8_t out[64];
	struct p9_out m;
	p9_begin(&m, out, sizeof out, P9_TWALK, 1);
	p9_str(&m, (const char *)data, size);
	size_t len = p9_end(&m);
	if (len > sizeof out || (size + 9 <= sizeof out && len != size + 9))
		abort();
	return 0;
}
