/*
 * graft/base.h — the few types every graft module shares.
 *
 * Library code never allocates behind the caller's back, never aborts and
 * never prints: memory comes from a caller-supplied allocator and every
 * failure is a status plus a message in a caller-supplied bounded buffer.
 */
#ifndef GRAFT_BASE_H
#define GRAFT_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* One small status enum for all modules; the message says where and why. */
enum graft_status {
	GRAFT_OK = 0,
	GRAFT_EINVAL,  /* malformed input: program, text, object, argument */
	GRAFT_ENOMEM,  /* the allocator said no, or a size limit was hit */
	GRAFT_ENOTSUP, /* well-formed but not supported by graft */
	GRAFT_EFAULT,  /* a program touched memory it may not touch */
	GRAFT_EBUDGET, /* a program ran out of its instruction budget */
	GRAFT_EDEPTH,  /* a program exceeded the call-depth bound */
	GRAFT_EHELPER, /* a helper refused its arguments or failed */
	GRAFT_ENOENT,  /* a named thing does not exist */
	GRAFT_EEXIST,  /* a named thing exists and conflicts */
	GRAFT_EPERM,   /* refused by policy (signature, verification) */
	GRAFT_EIO,     /* the platform failed an I/O request */
};

#define GRAFT_ERR_MSG 256

struct graft_err {
	enum graft_status status;
	char msg[GRAFT_ERR_MSG];
};

/*
 * Record a failure in *err (which may be NULL) and return the status, so
 * a parser can write `return graft_errf(err, GRAFT_EINVAL, "line %d: ...", n);`.
 */
enum graft_status graft_errf(struct graft_err *err, enum graft_status status,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum graft_status graft_verrf(struct graft_err *err, enum graft_status status,
			      const char *fmt, va_list ap);

/* Name of a status, e.g. "EINVAL"; never NULL. */
const char *graft_status_name(enum graft_status status);

/* Caller-supplied allocator. alloc returns 16-byte aligned memory or NULL. */
struct graft_alloc {
	void *(*alloc)(void *ud, size_t size);
	void (*free)(void *ud, void *ptr);
	void *ud;
};

#endif
