/* Small pieces the subcommands share: errors, file reading, the allocator. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graft/elf.h"

int cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("graft: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_FAIL;
}

char *cli_read_file(const char *path, size_t *len, struct graft_err *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		graft_errf(err, GRAFT_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *bigger = realloc(buf, 2 * cap + 1);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf) {
		graft_errf(err, GRAFT_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	if (failed) {
		free(buf);
		graft_errf(err, GRAFT_EIO, "%s: read error", path);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void *cli_malloc(void *ud, size_t size)
{
	(void)ud;
	void *p = NULL;
	return posix_memalign(&p, 16, size ? size : 1) ? NULL : p;
}

static void cli_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

struct graft_alloc cli_alloc(void)
{
	return (struct graft_alloc){ .alloc = cli_malloc, .free = cli_free };
}

struct graft_elf *cli_open_elf(const char *path)
{
	struct graft_err err = { 0 };
	size_t len;
	char *buf = cli_read_file(path, &len, &err);
	if (!buf) {
		cli_error("%s", err.msg);
		return NULL;
	}
	struct graft_alloc a = cli_alloc();
	struct graft_elf *e;
	enum graft_status st = graft_elf_open(&e, buf, len, &a, &err);
	free(buf);
	if (st) {
		cli_error("%s: %s: %s", path, graft_status_name(st), err.msg);
		return NULL;
	}
	return e;
}
