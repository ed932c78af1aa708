/*
 * kernel/vfs.c — file descriptors, the mount table and the file system
 * calls. Paths are normalized here ('.', '..', repeated '/'; the working
 * directory is always '/'), then handed to the file system mounted at the
 * longest matching prefix with the prefix stripped. fds 0-2 are the serial
 * console; reading fd 0 returns end of file.
 *
 * Every pointer from the application is checked (user_ok, user_strlen in
 * mm.c) before the file systems see it, so a bad one gives -EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "kernel.h"

#define MAX_FDS 64
#define MAX_MOUNTS 4
#define PATH_MAX_LEN 256

static struct file *fds[MAX_FDS];
static struct {
	char prefix[32];
	const struct fs_ops *ops;
	void *fs;
} mounts[MAX_MOUNTS];
static unsigned nmounts;

static long con_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
	(void)f, (void)off;
	serial_write(buf, n);
	return (long)n;
}

static long con_read(struct file *f, void *buf, size_t n, uint64_t off)
{
	(void)f, (void)buf, (void)n, (void)off;
	return 0;
}

static int con_fstat(struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0620;
	st->st_blksize = 1024;
	return 0;
}

static const struct file_ops console_ops = { .read = con_read, .write = con_write, .fstat = con_fstat };
static struct file console_file = { .ops = &console_ops, .refs = 1 << 30, .flags = O_RDWR };

int vfs_mount(const char *prefix, const struct fs_ops *ops, void *fs)
{
	if (nmounts >= MAX_MOUNTS || strlen(prefix) >= sizeof mounts[0].prefix)
		return -1;
	strcpy(mounts[nmounts].prefix, prefix);
	mounts[nmounts].ops = ops;
	mounts[nmounts].fs = fs;
	nmounts++;
	return 0;
}

void vfs_init(void)
{
	fds[0] = fds[1] = fds[2] = &console_file;
	vfs_mount("/", &ramfs_ops, ramfs_create());
}

/* Normalize path into out ("/a/b"); -ENAMETOOLONG or -ENOENT on bad input. */
static int normalize(const char *path, char *out)
{
	size_t o = 0;
	long len = user_strlen(path, USER_PATH_MAX);
	if (len < 0)
		return (int)len;
	if (!len)
		return -ENOENT;
	out[o++] = '/';
	while (*path) {
		while (*path == '/')
			path++;
		const char *seg = path;
		while (*path && *path != '/')
			path++;
		size_t n = (size_t)(path - seg);
		if (!n || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o + n + 2 >= PATH_MAX_LEN)
			return -ENAMETOOLONG;
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* Find the mount for a normalized path; *rel gets the path inside it. */
static int resolve(const char *path, char *norm, const char **rel)
{
	int r = normalize(path, norm);
	if (r)
		return r;
	int best = -1;
	size_t best_len = 0;
	for (unsigned i = 0; i < nmounts; i++) {
		size_t n = strlen(mounts[i].prefix);
		if (n == 1 || (!strncmp(norm, mounts[i].prefix, n) && (norm[n] == '/' || !norm[n]))) {
			if (best < 0 || n > best_len)
				best = (int)i, best_len = n;
		}
	}
	if (best < 0)
		return -ENOENT;
	const char *p = norm + (best_len == 1 ? 1 : best_len);
	while (*p == '/')
		p++;
	*rel = p;
	return best;
}

static struct file *fd_get(long fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd] : NULL;
}

int vfs_fd_install(struct file *f);
int vfs_fd_install(struct file *f)
{
	for (int fd = 3; fd < MAX_FDS; fd++)
		if (!fds[fd]) {
			fds[fd] = f;
			return fd;
		}
	return -EMFILE;
}

struct file *vfs_fd_get(long fd);
struct file *vfs_fd_get(long fd) { return fd_get(fd); }

static void file_put(struct file *f)
{
	if (--f->refs == 0) {
		if (f->ops->close)
			f->ops->close(f);
		kfree(f);
	}
}

/* A path under /share that the root file system does not have: say why
 * once (no 9p device, so nothing is mounted there). */
static long share_hint(const char *norm, int m, long r)
{
	static int said;
	if (r == -ENOENT && !said && mounts[m].prefix[1] == '\0' && !strncmp(norm, "/share", 6) &&
	    (norm[6] == '/' || !norm[6])) {
		said = 1;
		kprintf("graft: %s: nothing is mounted at /share (no 9p device; graft vm run --share DIR)\n", norm);
	}
	return r;
}

static long do_open(const char *path, int flags, int mode)
{
	char norm[PATH_MAX_LEN];
	const char *rel;
	int m = resolve(path, norm, &rel);
	if (m < 0)
		return m;
	int fd = 3;
	while (fd < MAX_FDS && fds[fd])
		fd++;
	if (fd == MAX_FDS)
		return -EMFILE;
	struct file *f = kzalloc(sizeof *f);
	if (!f)
		return -ENOMEM;
	f->flags = flags;
	f->refs = 1;
	int r = mounts[m].ops->open(mounts[m].fs, rel, flags, mode, f);
	if (r) {
		kfree(f);
		return share_hint(norm, m, r);
	}
	fds[fd] = f;
	return fd;
}

static long path_op(const char *path, int op, void *arg)
{
	char norm[PATH_MAX_LEN];
	const char *rel;
	int m = resolve(path, norm, &rel);
	if (m < 0)
		return m;
	const struct fs_ops *ops = mounts[m].ops;
	switch (op) {
	case 0:
		if (user_ok(arg, sizeof(struct stat), 1))
			return -EFAULT;
		return share_hint(norm, m, ops->stat(mounts[m].fs, rel, arg));
	case 1: return ops->mkdir ? ops->mkdir(mounts[m].fs, rel, (int)(uintptr_t)arg) : -EROFS;
	case 2: return ops->unlink ? ops->unlink(mounts[m].fs, rel, (int)(uintptr_t)arg) : -EROFS;
	}
	return -EINVAL;
}

static long do_rw(long fd, void *buf, size_t n, int write, long pos)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	long (*op)(struct file *, void *, size_t, uint64_t) =
		write ? (long (*)(struct file *, void *, size_t, uint64_t))f->ops->write : f->ops->read;
	if (!op)
		return -EINVAL;
	if (user_ok(buf, n, !write))
		return -EFAULT;
	uint64_t off = pos >= 0 ? (uint64_t)pos : f->off;
	if (write && pos < 0 && (f->flags & O_APPEND) && f->ops->fstat) {
		struct stat st;
		if (!f->ops->fstat(f, &st))
			off = (uint64_t)st.st_size;
	}
	long r = op(f, buf, n, off);
	if (r > 0 && pos < 0)
		f->off = off + (uint64_t)r;
	return r;
}

static long do_rwv(long fd, const struct iovec *iov, long cnt, int write)
{
	long total = 0;
	if (!fd_get(fd))
		return -EBADF;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	if (user_ok(iov, (size_t)cnt * sizeof *iov, 0))
		return -EFAULT;
	for (long i = 0; i < cnt; i++)
		if (user_ok(iov[i].iov_base, iov[i].iov_len, !write))
			return -EFAULT;
	for (long i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		long r = do_rw(fd, iov[i].iov_base, iov[i].iov_len, write, -1);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return total;
}

static long do_lseek(long fd, long off, int whence)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long base = 0;
	if (whence == SEEK_CUR)
		base = (long)f->off;
	else if (whence == SEEK_END) {
		struct stat st;
		if (!f->ops->fstat || f->ops->fstat(f, &st))
			return -ESPIPE;
		base = st.st_size;
	} else if (whence != SEEK_SET)
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	f->off = (uint64_t)(base + off);
	if (!off && whence == SEEK_SET)
		f->dir_pos = 0;
	return (long)f->off;
}

static long do_fstat(long fd, struct stat *st)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (user_ok(st, sizeof *st, 1))
		return -EFAULT;
	return f->ops->fstat ? f->ops->fstat(f, st) : -EINVAL;
}

int dirent_put(void *buf, size_t cap, size_t *used, uint64_t ino, uint64_t next, int is_dir, const char *name)
{
	size_t namelen = strlen(name);
	size_t reclen = ALIGN_UP(19 + namelen + 1, 8);
	if (*used + reclen > cap)
		return -1;
	uint8_t *p = (uint8_t *)buf + *used;
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next, 8);
	uint16_t rl = (uint16_t)reclen;
	memcpy(p + 16, &rl, 2);
	p[18] = is_dir ? 4 : 8; /* DT_DIR : DT_REG */
	memcpy(p + 19, name, namelen + 1);
	memset(p + 19 + namelen + 1, 0, reclen - 19 - namelen - 1);
	*used += reclen;
	return 0;
}

long sys_file(long nr, long a0, long a1, long a2, long a3, int *handled)
{
	(void)a3;
	*handled = 1;
	switch (nr) {
	case SYS_read: return do_rw(a0, (void *)a1, (size_t)a2, 0, -1);
	case SYS_write: return do_rw(a0, (void *)a1, (size_t)a2, 1, -1);
	case SYS_pread64: return a3 < 0 ? -EINVAL : do_rw(a0, (void *)a1, (size_t)a2, 0, a3);
	case SYS_pwrite64: return a3 < 0 ? -EINVAL : do_rw(a0, (void *)a1, (size_t)a2, 1, a3);
	case SYS_readv: return do_rwv(a0, (const struct iovec *)a1, a2, 0);
	case SYS_writev: return do_rwv(a0, (const struct iovec *)a1, a2, 1);
	case SYS_open: return do_open((const char *)a0, (int)a1, (int)a2);
	case SYS_openat:
		if (user_strlen((const char *)a1, USER_PATH_MAX) < 0)
			return user_strlen((const char *)a1, USER_PATH_MAX);
		if ((int)a0 != AT_FDCWD && ((const char *)a1)[0] != '/')
			return -ENOTSUP;
		return do_open((const char *)a1, (int)a2, (int)a3);
	case SYS_close: {
		struct file *f = fd_get(a0);
		if (!f)
			return -EBADF;
		fds[a0] = NULL;
		file_put(f);
		return 0;
	}
	case SYS_lseek: return do_lseek(a0, a1, (int)a2);
	case SYS_fstat: return do_fstat(a0, (struct stat *)a1);
	case SYS_stat: case SYS_lstat: return path_op((const char *)a0, 0, (void *)a1);
	case SYS_newfstatat:
		if (user_strlen((const char *)a1, USER_PATH_MAX) < 0)
			return user_strlen((const char *)a1, USER_PATH_MAX);
		if ((a3 & AT_EMPTY_PATH) && !*(const char *)a1)
			return do_fstat(a0, (struct stat *)a2);
		if ((int)a0 != AT_FDCWD && ((const char *)a1)[0] != '/')
			return -ENOTSUP;
		return path_op((const char *)a1, 0, (void *)a2);
	case SYS_access: {
		struct stat st;
		return path_op((const char *)a0, 0, &st);
	}
	case SYS_mkdir: return path_op((const char *)a0, 1, (void *)(uintptr_t)a1);
	case SYS_mkdirat: return path_op((const char *)a1, 1, (void *)(uintptr_t)a2);
	case SYS_unlink: return path_op((const char *)a0, 2, (void *)0);
	case SYS_rmdir: return path_op((const char *)a0, 2, (void *)1);
	case SYS_unlinkat: return path_op((const char *)a1, 2, (void *)(uintptr_t)((a2 & AT_REMOVEDIR) != 0));
	case SYS_getdents64: {
		struct file *f = fd_get(a0);
		if (!f)
			return -EBADF;
		if (!f->ops->getdents)
			return -ENOTDIR;
		return user_ok((void *)a1, (size_t)a2, 1) ? -EFAULT : f->ops->getdents(f, (void *)a1, (size_t)a2);
	}
	case SYS_ftruncate: {
		struct file *f = fd_get(a0);
		if (!f)
			return -EBADF;
		return f->ops->truncate ? f->ops->truncate(f, (uint64_t)a1) : -EINVAL;
	}
	case SYS_fsync: case SYS_fdatasync: return fd_get(a0) ? 0 : -EBADF;
	case SYS_ioctl:
		if (!fd_get(a0))
			return -EBADF;
		if (fds[a0] == &console_file && a1 == TIOCGWINSZ) {
			struct winsize *w = (struct winsize *)a2;
			if (user_ok(w, sizeof *w, 1))
				return -EFAULT;
			w->ws_row = 24, w->ws_col = 80, w->ws_xpixel = w->ws_ypixel = 0;
			return 0;
		}
		return -ENOTTY;
	case SYS_fcntl: {
		struct file *f = fd_get(a0);
		if (!f)
			return -EBADF;
		if (a1 == F_GETFL)
			return f->flags;
		if (a1 == F_SETFL) {
			f->flags = (f->flags & O_ACCMODE) | ((int)a2 & ~O_ACCMODE);
			return 0;
		}
		if (a1 == F_GETFD || a1 == F_SETFD)
			return 0;
		if (a1 == F_DUPFD || a1 == F_DUPFD_CLOEXEC) {
			for (long fd = a2 < 0 ? 0 : a2; fd < MAX_FDS; fd++)
				if (!fds[fd]) {
					fds[fd] = f;
					f->refs++;
					return fd;
				}
			return -EMFILE;
		}
		return -EINVAL;
	}
	case SYS_dup: {
		struct file *f = fd_get(a0);
		if (!f)
			return -EBADF;
		for (long fd = 0; fd < MAX_FDS; fd++)
			if (!fds[fd]) {
				fds[fd] = f;
				f->refs++;
				return fd;
			}
		return -EMFILE;
	}
	case SYS_getcwd:
		if ((size_t)a1 < 2)
			return -ERANGE;
		if (user_ok((void *)a0, 2, 1))
			return -EFAULT;
		strcpy((char *)a0, "/");
		return 2;
	}
	*handled = 0;
	return 0;
}
