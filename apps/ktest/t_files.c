/* apps/ktest/t_files.c — the platform's file API under a directory (the 9p
 * share in the guest): create, write, read back, readdir, unlink. With a
 * second argument, also read a file the host put there and leave one for
 * the host to check. Errors the server reports (9P Rlerror in the guest)
 * come back as the same negative errno values as on Linux. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

struct seen {
	int guest, host, dir;
};

static int on_entry(void *ctx, const char *name, int is_dir)
{
	struct seen *s = ctx;
	s->guest += !strcmp(name, "from-guest.txt");
	s->host += !strcmp(name, "from-host.txt");
	s->dir += !strcmp(name, "subdir") && is_dir;
	return 0;
}

int t_files(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/share";
	int with_host = argc > 2;
	char path[256], buf[4096];
	snprintf(path, sizeof path, "%s/from-guest.txt", dir);
	int h = gp_open(path, GP_O_WRITE | GP_O_CREATE | GP_O_TRUNC);
	KT_CHECK(h >= 0, "create %s: %d", path, h);
	if (h < 0)
		return kt_done();
	/* Bigger than one 9p message, to cross the msize boundary. */
	static char big[20000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big, "written by the guest\n", 21);
	KT_CHECK(gp_write(h, big, sizeof big) == (ssize_t)sizeof big, "write");
	gp_close(h);
	struct gp_stat st;
	KT_CHECK(gp_stat(path, &st) == 0 && st.size == sizeof big && !st.is_dir, "stat size %llu",
		 (unsigned long long)st.size);
	h = gp_open(path, GP_O_READ);
	KT_CHECK(h >= 0, "reopen");
	if (h >= 0) {
		static char back[20000];
		size_t got = 0;
		ssize_t r;
		while (got < sizeof back && (r = gp_read(h, back + got, sizeof back - got)) > 0)
			got += (size_t)r;
		KT_CHECK(got == sizeof big && !memcmp(back, big, sizeof big), "read back %zu bytes", got);
		gp_close(h);
	}
	snprintf(path, sizeof path, "%s/subdir", dir);
	gp_unlink(path);
	KT_CHECK(gp_mkdir(path) == 0, "mkdir %s", path);
	struct seen s = { 0, 0, 0 };
	KT_CHECK(gp_readdir(dir, on_entry, &s) == 0, "readdir %s", dir);
	KT_CHECK(s.guest == 1 && s.dir == 1, "readdir saw guest file %d, subdir %d", s.guest, s.dir);
	/* server errors: the directory exists, is not empty, is a directory */
	int e = gp_mkdir(path);
	KT_CHECK(e == -EEXIST, "mkdir existing %s gave %d", path, e);
	char inner[300];
	snprintf(inner, sizeof inner, "%s/inner.txt", path);
	h = gp_open(inner, GP_O_WRITE | GP_O_CREATE);
	KT_CHECK(h >= 0, "create %s: %d", inner, h);
	if (h >= 0)
		gp_close(h);
	e = gp_unlink(path);
	KT_CHECK(e == -ENOTEMPTY, "rmdir non-empty %s gave %d", path, e);
	e = gp_open(path, GP_O_WRITE);
	KT_CHECK(e == -EISDIR, "open directory %s for writing gave %d", path, e);
	KT_CHECK(gp_unlink(inner) == 0, "unlink %s", inner);
	KT_CHECK(gp_unlink(path) == 0, "rmdir %s", path);
	if (with_host) {
		KT_CHECK(s.host == 1, "readdir did not see from-host.txt");
		snprintf(path, sizeof path, "%s/from-host.txt", dir);
		h = gp_open(path, GP_O_READ);
		KT_CHECK(h >= 0, "open %s: %d", path, h);
		if (h >= 0) {
			ssize_t n = gp_read(h, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			KT_CHECK(n > 0 && !strcmp(buf, argv[2]), "host file holds '%s', want '%s'", buf, argv[2]);
			gp_close(h);
		}
	} else {
		snprintf(path, sizeof path, "%s/from-guest.txt", dir);
		KT_CHECK(gp_unlink(path) == 0, "unlink");
	}
	snprintf(path, sizeof path, "%s/does-not-exist", dir);
	e = gp_open(path, GP_O_READ);
	KT_CHECK(e == -ENOENT, "opening a missing file gave %d", e);
	return kt_done();
}
