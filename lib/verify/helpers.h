/* lib/verify internals: helper prototypes (helper_protos.c). */
#ifndef GRAFT_VERIFY_HELPERS_H
#define GRAFT_VERIFY_HELPERS_H

#include <stdint.h>

enum arg {
	A_NONE,       /* not an argument: not read */
	A_ANY,        /* any initialized value */
	A_CTX,        /* the context pointer, unmodified */
	A_MAP,        /* a map pointer (lddw of a map) */
	A_KEY,        /* key_size readable bytes of the map */
	A_VALUE,      /* value_size readable bytes of the map */
	A_UVALUE,     /* value_size writable bytes of the map */
	A_MEM,        /* readable memory; size in the next argument */
	A_MEM_NULL,   /* A_MEM or NULL */
	A_UMEM,       /* writable memory; size in the next argument */
	A_SIZE,       /* size of the previous memory argument, > 0 */
	A_SIZE0,      /* same, may be 0 */
	A_ALLOC_SIZE, /* a constant size for a reservation */
	A_ALLOC_MEM,  /* memory from ringbuf_reserve, unmodified */
	A_CTX_NULL,   /* the context pointer, unmodified, or NULL */
	A_SOCK,       /* a socket of any kind (not NULL), unmodified */
	A_LONG,       /* 8 writable bytes, 8-aligned (a result) */
	A_RWMEM,      /* initialized memory the helper also writes; size
			 in the next argument */
	A_VALUE_NULL, /* A_VALUE or NULL */
	A_ZERO,       /* flags that must be 0 */
};

enum ret {
	R_INT, R_MAP_VALUE_OR_NULL, R_MEM_OR_NULL,
	R_SOCK_OR_NULL, R_TCP_SOCK_OR_NULL,
	R_MAP_VALUE,  /* a map value that exists (cgroup local storage) */
	R_SIZED,      /* an error (>= -4095) or at most the buffer size */
};

enum {
	F_PKT_CHANGE = 1, F_RELEASE = 2,
	/* the map kinds a helper takes, and that take only their helpers */
	F_PROG_ARRAY = 4, F_RINGBUF = 8, F_CG_STORAGE = 16, F_SK_STORAGE = 32,
	/* not helper flags: map kinds whose helpers are listed in
	 * special_map_ok */
	F_SOCKMAP = 64, F_XSKMAP = 128, F_REUSEPORT = 256,
};
#define F_MAPKINDS (F_PROG_ARRAY | F_RINGBUF | F_CG_STORAGE | F_SK_STORAGE)

struct proto {
	int32_t id;
	const char *name;
	uint8_t ret;
	uint8_t flags;
	uint8_t arg[5];
};

/* The prototype of a helper ID, NULL when graft does not model it. */
const struct proto *vhelper_proto(int32_t id);

#endif
