/*
 * kernel/p9_msg.h — encoding 9P2000.L requests and decoding replies.
 * Pure code with bounds checks on every field: also built on the host for
 * tests and the fuzzer (fuzz/fuzz_kernel_9p.c). A reply that is short,
 * overlong, of the wrong type or tag, or whose strings run past its end is
 * rejected with -EPROTO; Rlerror gives -ecode.
 */
#ifndef GRAFT_KERNEL_P9_MSG_H
#define GRAFT_KERNEL_P9_MSG_H

#include <stddef.h>
#include <stdint.h>

enum {
	P9_RLERROR = 7, P9_TLOPEN = 12, P9_TLCREATE = 14, P9_TGETATTR = 24, P9_TSETATTR = 26,
	P9_TREADDIR = 40, P9_TMKDIR = 72, P9_TUNLINKAT = 76, P9_TVERSION = 100,
	P9_TATTACH = 104, P9_TWALK = 110, P9_TREAD = 116, P9_TWRITE = 118, P9_TCLUNK = 120,
};
#define P9_NOFID 0xffffffffu
#define P9_MAXWELEM 16

/* A message being built in a caller's buffer. */
struct p9_out {
	uint8_t *buf;
	size_t cap, len;
	int overflow;
};
void p9_begin(struct p9_out *m, uint8_t *buf, size_t cap, uint8_t type, uint16_t tag);
void p9_u8(struct p9_out *m, uint8_t v);
void p9_u16(struct p9_out *m, uint16_t v);
void p9_u32(struct p9_out *m, uint32_t v);
void p9_u64(struct p9_out *m, uint64_t v);
void p9_str(struct p9_out *m, const char *s, size_t n);
void p9_bytes(struct p9_out *m, const void *p, size_t n);
/* Patch the size field; returns the length or 0 on overflow. */
size_t p9_end(struct p9_out *m);

/* A reply being read. */
struct p9_in {
	const uint8_t *buf;
	size_t len, pos;
	int bad;
};
/* Check size/type/tag; type must be the request's type + 1 (or Rlerror:
 * returns -ecode then). 0 on success, the reader positioned after the tag. */
int p9_reply(struct p9_in *r, const uint8_t *buf, size_t len, uint8_t req_type, uint16_t tag);
uint8_t p9_get8(struct p9_in *r);
uint16_t p9_get16(struct p9_in *r);
uint32_t p9_get32(struct p9_in *r);
uint64_t p9_get64(struct p9_in *r);
/* A string: pointer into the buffer and its length (not NUL-terminated). */
const char *p9_getstr(struct p9_in *r, uint16_t *n);
const uint8_t *p9_getbytes(struct p9_in *r, size_t n);

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};
void p9_getqid(struct p9_in *r, struct p9_qid *q);

/* One entry of an Rreaddir payload; returns 0, 1 at the end, -EPROTO. */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset;
	uint8_t type;
	const char *name;
	uint16_t namelen;
};
int p9_next_dirent(struct p9_in *r, struct p9_dirent *d);

#endif
