/*
 * kernel/ramfs.c — the RAM file system mounted at '/'. Files built into
 * the image (section .graft_files, made by mk/kernel.mk from an app's
 * files/ folder) appear at boot and are copied on first write; files made
 * at run time live in kernel heap pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel.h"

struct rnode {
	char name[64];
	int is_dir;
	uint8_t *data;      /* heap, or built-in bytes when cap == 0 */
	size_t size, cap;
	struct rnode *parent, *child, *sibling;
	uint64_t ino, mtime;
	int open_count, unlinked;
};

struct builtin_file {
	const char *path;
	const uint8_t *data;
	uint64_t size;
};
extern const struct builtin_file __files_start[];
extern const struct builtin_file __files_end[];

static uint64_t next_ino = 1;

static struct rnode *node_new(struct rnode *parent, const char *name, size_t n, int is_dir)
{
	struct rnode *r = kzalloc(sizeof *r);
	if (!r)
		return NULL;
	memcpy(r->name, name, n);
	r->is_dir = is_dir;
	r->ino = next_ino++;
	r->mtime = time_ns();
	r->parent = parent;
	if (parent) {
		r->sibling = parent->child;
		parent->child = r;
	}
	return r;
}

/* Walk path; with create_parent, return the parent and leave the last name in *last. */
static struct rnode *walk(struct rnode *root, const char *path, const char **last, size_t *lastlen)
{
	struct rnode *cur = root;
	while (*path) {
		const char *seg = path;
		while (*path && *path != '/')
			path++;
		size_t n = (size_t)(path - seg);
		if (*path == '/')
			path++;
		if (last && !*path) {
			*last = seg;
			*lastlen = n;
			return cur;
		}
		if (!cur->is_dir)
			return NULL;
		struct rnode *c = cur->child;
		while (c && (strlen(c->name) != n || memcmp(c->name, seg, n)))
			c = c->sibling;
		if (!c)
			return NULL;
		cur = c;
	}
	if (last) {
		*last = "";
		*lastlen = 0;
	}
	return cur;
}

static struct rnode *child_named(struct rnode *dir, const char *name, size_t n)
{
	for (struct rnode *c = dir->child; c; c = c->sibling)
		if (strlen(c->name) == n && !memcmp(c->name, name, n))
			return c;
	return NULL;
}

static void fill_stat(struct rnode *r, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = r->ino;
	st->st_mode = r->is_dir ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	st->st_nlink = 1;
	st->st_size = (off_t)r->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((r->size + 511) / 512);
	st->st_mtim.tv_sec = (time_t)(r->mtime / 1000000000ULL);
	st->st_mtim.tv_nsec = (long)(r->mtime % 1000000000ULL);
}

static int reserve(struct rnode *r, size_t want)
{
	if (want <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 256;
	while (cap < want)
		cap *= 2;
	uint8_t *d = kmalloc(cap);
	if (!d)
		return -ENOSPC;
	if (r->size)
		memcpy(d, r->data, r->size);
	if (r->cap)
		kfree(r->data);
	r->data = d;
	r->cap = cap;
	return 0;
}

static long rf_read(struct file *f, void *buf, size_t n, uint64_t off)
{
	struct rnode *r = f->priv;
	if (r->is_dir)
		return -EISDIR;
	if (off >= r->size)
		return 0;
	if (n > r->size - off)
		n = r->size - off;
	memcpy(buf, r->data + off, n);
	return (long)n;
}

static long rf_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
	struct rnode *r = f->priv;
	if (r->is_dir)
		return -EISDIR;
	if (off + n < off || off + n > (1ULL << 32))
		return -EFBIG;
	int e = reserve(r, off + n);
	if (e)
		return e;
	if (off > r->size)
		memset(r->data + r->size, 0, off - r->size);
	memcpy(r->data + off, buf, n);
	if (off + n > r->size)
		r->size = off + n;
	r->mtime = time_ns();
	return (long)n;
}

static int rf_truncate(struct file *f, uint64_t len)
{
	struct rnode *r = f->priv;
	if (len > r->size) {
		int e = reserve(r, len);
		if (e)
			return e;
		memset(r->data + r->size, 0, len - r->size);
	} else if (len < r->size && !r->cap) {
		int e = reserve(r, len ? len : 1);
		if (e)
			return e;
	}
	r->size = len;
	return 0;
}

static long rf_getdents(struct file *f, void *buf, size_t cap)
{
	struct rnode *dir = f->priv;
	if (!dir->is_dir)
		return -ENOTDIR;
	size_t used = 0;
	uint64_t pos = f->dir_pos, i = 0;
	struct rnode *c = dir->child;
	const char *special[2] = { ".", ".." };
	for (; i < 2; i++)
		if (i >= pos) {
			if (dirent_put(buf, cap, &used, dir->ino, i + 1, 1, special[i]))
				goto full;
			pos = i + 1;
		}
	for (; c; c = c->sibling, i++)
		if (i >= pos) {
			if (dirent_put(buf, cap, &used, c->ino, i + 1, c->is_dir, c->name))
				goto full;
			pos = i + 1;
		}
full:
	if (!used && (c || i < 2))
		return -EINVAL;
	f->dir_pos = pos;
	return (long)used;
}

static int rf_fstat(struct file *f, struct stat *st)
{
	fill_stat(f->priv, st);
	return 0;
}

static void node_free(struct rnode *r)
{
	if (r->cap)
		kfree(r->data);
	kfree(r);
}

static void rf_close(struct file *f)
{
	struct rnode *r = f->priv;
	if (--r->open_count == 0 && r->unlinked)
		node_free(r);
}

static const struct file_ops ramfs_file_ops = {
	.read = rf_read, .write = rf_write, .getdents = rf_getdents,
	.fstat = rf_fstat, .truncate = rf_truncate, .close = rf_close,
};

static int rfs_open(void *fs, const char *path, int flags, int mode, struct file *f)
{
	(void)mode;
	const char *last;
	size_t n;
	struct rnode *dir = walk(fs, path, &last, &n), *r;
	if (!dir || !dir->is_dir)
		return -ENOENT;
	if (!n)
		r = dir;
	else if (n >= sizeof r->name)
		return -ENAMETOOLONG;
	else {
		r = child_named(dir, last, n);
		if (r && (flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		if (!r) {
			if (!(flags & O_CREAT))
				return -ENOENT;
			r = node_new(dir, last, n, 0);
			if (!r)
				return -ENOMEM;
		}
	}
	if (r->is_dir && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	if ((flags & O_DIRECTORY) && !r->is_dir)
		return -ENOTDIR;
	f->ops = &ramfs_file_ops;
	f->priv = r;
	r->open_count++;
	if ((flags & O_TRUNC) && !r->is_dir && (flags & O_ACCMODE) != O_RDONLY) {
		struct file tmp = { .priv = r };
		rf_truncate(&tmp, 0);
	}
	return 0;
}

static int rfs_stat(void *fs, const char *path, struct stat *st)
{
	struct rnode *r = walk(fs, path, NULL, NULL);
	if (!r)
		return -ENOENT;
	fill_stat(r, st);
	return 0;
}

static int rfs_mkdir(void *fs, const char *path, int mode)
{
	(void)mode;
	const char *last;
	size_t n;
	struct rnode *dir = walk(fs, path, &last, &n);
	if (!dir || !dir->is_dir)
		return -ENOENT;
	if (!n)
		return -EEXIST;
	if (n >= sizeof dir->name)
		return -ENAMETOOLONG;
	if (child_named(dir, last, n))
		return -EEXIST;
	return node_new(dir, last, n, 1) ? 0 : -ENOMEM;
}

static int rfs_unlink(void *fs, const char *path, int is_dir)
{
	const char *last;
	size_t n;
	struct rnode *dir = walk(fs, path, &last, &n);
	if (!dir || !n)
		return dir ? -EBUSY : -ENOENT;
	struct rnode *r = child_named(dir, last, n);
	if (!r)
		return -ENOENT;
	if (is_dir && !r->is_dir)
		return -ENOTDIR;
	if (!is_dir && r->is_dir)
		return -EISDIR;
	if (r->is_dir && r->child)
		return -ENOTEMPTY;
	for (struct rnode **pp = &dir->child; *pp; pp = &(*pp)->sibling)
		if (*pp == r) {
			*pp = r->sibling;
			break;
		}
	if (r->open_count)
		r->unlinked = 1;
	else
		node_free(r);
	return 0;
}

const struct fs_ops ramfs_ops = { rfs_open, rfs_stat, rfs_mkdir, rfs_unlink };

void *ramfs_create(void)
{
	struct rnode *root = node_new(NULL, "", 0, 1);
	if (!root)
		kpanic("out of memory for the RAM file system");
	node_new(root, "tmp", 3, 1);
	for (const struct builtin_file *b = __files_start; b < __files_end; b++) {
		/* Make the parent directories, then the file over the built-in bytes. */
		const char *p = b->path;
		while (*p == '/')
			p++;
		struct rnode *dir = root;
		for (;;) {
			const char *slash = strchr(p, '/');
			if (!slash)
				break;
			size_t n = (size_t)(slash - p);
			struct rnode *c = child_named(dir, p, n);
			if (!c && n < sizeof c->name)
				c = node_new(dir, p, n, 1);
			if (!c)
				break;
			dir = c;
			p = slash + 1;
		}
		size_t n = strlen(p);
		if (!n || n >= sizeof dir->name || child_named(dir, p, n))
			continue;
		struct rnode *r = node_new(dir, p, n, 0);
		if (r) {
			r->data = (uint8_t *)b->data;
			r->size = b->size;
		}
	}
	return root;
}
