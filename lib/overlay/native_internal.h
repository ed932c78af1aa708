/* Internal to lib/overlay: the native program linker and its product. */
#ifndef GRAFT_OVERLAY_NATIVE_INTERNAL_H
#define GRAFT_OVERLAY_NATIVE_INTERNAL_H

#include "graft/overlay.h"

#define NATIVE_MAX_SECTIONS 256
#define NATIVE_MAX_SYMS 4096
#define NATIVE_MAX_SLOTS 512
#define NATIVE_MAX_IMAGE (16 << 20)
#define NATIVE_THUNK_SIZE 32

/* A linked program: one allocation in three page-aligned groups. */
struct native_prog {
	uint8_t *base;
	uint64_t size;
	uint64_t group_off[3], group_end[3]; /* code | read-only | writable */
	uint64_t stubs_off, thunk_off, got_off;
	uint64_t entry;          /* address of main */
	unsigned nslots, nimports, nrelocs;
};

/* Where imports come from; lookup may return an address in p's image
 * (p->base and the offsets are set when it is called). */
struct native_resolver {
	void *ud;
	uint64_t (*lookup)(void *ud, const char *name,
			   const struct native_prog *p);
	void *(*alloc_pages)(void *ud, size_t len);
};

/*
 * Link an object into p (p->base is allocated through r; on failure the
 * caller frees it if set). scratch holds 2 * NATIVE_MAX_SYMS words.
 */
enum graft_status native_link(struct native_prog *p, const uint8_t *data,
			      size_t len, const struct native_resolver *r,
			      uint64_t *scratch, struct graft_err *err);

#endif
