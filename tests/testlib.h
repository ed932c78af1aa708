/*
 * tests/testlib.h — the little every test program shares.
 *
 * A test program checks many cases, prints one line per failed case
 * ("FAIL name: why"), a line per group saying what it checked, and closes
 * with "N passed, N failed"; scripts/check.sh adds those lines up.
 */
#ifndef GRAFT_TESTLIB_H
#define GRAFT_TESTLIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/base.h"

static unsigned t_passed, t_failed;

__attribute__((format(printf, 2, 3), unused)) static int
t_check(int ok, const char *fmt, ...)
{
	if (ok) {
		t_passed++;
		return 1;
	}
	t_failed++;
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	return 0;
}

/* T_CHECK(cond, "name: detail %d", x) */
#define T_CHECK(cond, ...) t_check(!!(cond), __VA_ARGS__)

/* Print the closing line; use as `return t_done();` from main. */
__attribute__((unused)) static int t_done(void)
{
	printf("%u passed, %u failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}

/* A malloc-backed allocator for the library calls a test makes. */
__attribute__((unused)) static void *t_heap_alloc(void *ud, size_t n)
{
	(void)ud;
	void *p = NULL;
	return posix_memalign(&p, 16, n ? n : 1) ? NULL : p;
}

__attribute__((unused)) static void t_heap_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* A whole file dir/path in memory from a, for the test hosts' read_file
 * callbacks; a missing file is GRAFT_ENOENT with strerror's words. */
__attribute__((unused)) static enum graft_status
t_read_file_in(const char *dir, const char *path, const struct graft_alloc *a,
	       void **data, size_t *len, struct graft_err *err)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, path);
	FILE *f = fopen(p, "rb");
	if (!f)
		return graft_errf(err, GRAFT_ENOENT, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = n >= 0 ? a->alloc(a->ud, (size_t)n + 1) : NULL;
	if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		if (*data)
			a->free(a->ud, *data);
		*data = NULL;
		return graft_errf(err, GRAFT_EIO, "%s: read error", path);
	}
	fclose(f);
	*len = (size_t)n;
	return GRAFT_OK;
}

/* Where the shared conformance data lives (GRAFT_CONFORMANCE overrides). */
__attribute__((unused)) static const char *t_conformance_dir(void)
{
	const char *d = getenv("GRAFT_CONFORMANCE");
	return d && *d ? d : "../shared/conformance";
}

#endif
