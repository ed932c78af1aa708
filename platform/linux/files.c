/*
 * platform/linux/files.c — the platform's file namespace on Linux: "/share"
 * is GRAFT_SHARE, everything else lives under GRAFT_ROOT (default "."). A
 * path may not climb out with "..".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int host_path(const char *path, char *out, size_t cap)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return -EPERM;
	const char *root = getenv("GRAFT_ROOT"), *share = getenv("GRAFT_SHARE");
	int n;
	if (!strncmp(path, "/share", 6) && (path[6] == '/' || !path[6])) {
		if (!share || !*share)
			return -ENOENT;
		n = snprintf(out, cap, "%s%s", share, path + 6);
	} else {
		n = snprintf(out, cap, "%s%s", root && *root ? root : ".", path);
	}
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int gp_open(const char *path, int flags)
{
	char hp[4096];
	int r = host_path(path, hp, sizeof hp);
	if (r)
		return r;
	int f = O_RDONLY;
	if ((flags & GP_O_READ) && (flags & GP_O_WRITE))
		f = O_RDWR;
	else if (flags & GP_O_WRITE)
		f = O_WRONLY;
	f |= (flags & GP_O_CREATE ? O_CREAT : 0) | (flags & GP_O_TRUNC ? O_TRUNC : 0) |
	     (flags & GP_O_APPEND ? O_APPEND : 0) | O_CLOEXEC;
	int fd = open(hp, f, 0644);
	return fd < 0 ? -errno : fd;
}

ssize_t gp_read(int h, void *buf, size_t n) { ssize_t r = read(h, buf, n); return r < 0 ? -errno : r; }
ssize_t gp_write(int h, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = write(h, (const char *)buf + done, n - done);
		if (r < 0)
			return done ? (ssize_t)done : -errno;
		done += (size_t)r;
	}
	return (ssize_t)done;
}
int gp_close(int h) { return close(h) ? -errno : 0; }

int gp_stat(const char *path, struct gp_stat *out)
{
	char hp[4096];
	struct stat st;
	int r = host_path(path, hp, sizeof hp);
	if (r)
		return r;
	if (stat(hp, &st))
		return -errno;
	out->size = (uint64_t)st.st_size;
	out->is_dir = S_ISDIR(st.st_mode);
	return 0;
}

int gp_readdir(const char *path, int (*fn)(void *, const char *, int), void *ctx)
{
	char hp[4096];
	int r = host_path(path, hp, sizeof hp);
	if (r)
		return r;
	DIR *d = opendir(hp);
	if (!d)
		return -errno;
	struct dirent *e;
	while (!r && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = fn(ctx, e->d_name, e->d_type == DT_DIR);
	closedir(d);
	return r;
}

int gp_mkdir(const char *path)
{
	char hp[4096];
	int r = host_path(path, hp, sizeof hp);
	return r ? r : mkdir(hp, 0755) ? -errno : 0;
}

int gp_unlink(const char *path)
{
	char hp[4096];
	struct stat st;
	int r = host_path(path, hp, sizeof hp);
	if (r)
		return r;
	if (stat(hp, &st))
		return -errno;
	return (S_ISDIR(st.st_mode) ? rmdir(hp) : unlink(hp)) ? -errno : 0;
}
