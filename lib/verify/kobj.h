/* lib/verify internals: field tables of contexts and kernel objects. */
#ifndef GRAFT_VERIFY_KOBJ_H
#define GRAFT_VERIFY_KOBJ_H

#include <stddef.h>

#include "vpriv.h"

/* How a field may be accessed besides whole (at off, of size bytes). */
enum {
	CF_NARROW = 1,  /* smaller aligned reads anywhere inside */
	CF_NARROW0 = 2, /* smaller reads at the field's start only */
	CF_ANY = 4,     /* any aligned read or write inside (cb[]) */
	CF_PORT = 8,    /* be16 port: narrow reads, or a u32 read at off */
	CF_NOTSUP = 16, /* depends on what graft does not model: ENOTSUP */
	CF_DENY = 32,   /* never accessible */
};

struct ctx_field {
	uint16_t off, size;
	uint8_t type;    /* T_SCALAR, T_PKT*, T_KOBJ[_OR_NULL], T_NOT_INIT */
	uint8_t write;
	uint8_t flags;   /* CF_*; only the strict tables use them */
	uint8_t kind;    /* T_KOBJ*: enum kobj */
};

/* The field of fs that permits an aligned access of size at off (a
 * CF_NOTSUP / CF_DENY field is returned for the caller to refuse); NULL
 * when none does. */
const struct ctx_field *field_find(const struct ctx_field *fs, size_t n,
				   int32_t off, unsigned size, bool write);

extern const struct ctx_field kobj_sock_fields[];
extern const size_t kobj_nsock_fields;

#endif
