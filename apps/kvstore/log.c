/* apps/kvstore/log.c — the request log, a file on the platform's file
 * store (the unikernel's RAM fs; GRAFT_ROOT on Linux) that the overlay's
 * `ls` and `cat` show. Lines are gathered in a buffer and written when it
 * fills or the store is idle, so logging costs no system call per
 * request; past log_max bytes the file starts over. */
#include <stdio.h>
#include <string.h>

#include "graft/platform.h"
#include "kvstore.h"

static int fd = -1;
static char path[128];
static uint64_t size, seq;
static char buf[4096];
static size_t blen;

void kv_log_open(const char *p)
{
	snprintf(path, sizeof path, "%s", p);
	fd = gp_open(path, GP_O_WRITE | GP_O_CREATE | GP_O_TRUNC);
	size = 0;
}

void kv_log_flush(void)
{
	if (fd < 0 || !blen)
		return;
	if (kv_config.log_max && size + blen > kv_config.log_max) {
		gp_close(fd);
		fd = gp_open(path, GP_O_WRITE | GP_O_CREATE | GP_O_TRUNC);
		size = 0;
		if (fd < 0)
			return;
	}
	if (gp_write(fd, buf, blen) == (ssize_t)blen)
		size += blen;
	blen = 0;
}

static void append(const char *line, size_t n)
{
	if (blen + n > sizeof buf)
		kv_log_flush();
	if (n > sizeof buf)
		n = sizeof buf;
	memcpy(buf + blen, line, n);
	blen += n;
}

/* "SEQ REQUEST" with the request cut at 80 bytes and control bytes shown
 * as '?', so the log stays one line per request. */
void kv_log_request(const char *req, size_t len)
{
	char line[128];
	int at = snprintf(line, sizeof line, "%llu ", (unsigned long long)++seq);
	if (len && req[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len && i < 80; i++)
		line[at++] = (unsigned char)req[i] < 0x20 || req[i] == 0x7f ? '?' : req[i];
	line[at++] = '\n';
	append(line, (size_t)at);
}

void kv_log_note(const char *text)
{
	char line[160];
	int n = snprintf(line, sizeof line, "# %s\n", text);
	append(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
	kv_log_flush();
}
