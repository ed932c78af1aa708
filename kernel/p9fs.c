/*
 * kernel/p9fs.c — the host directory shared through virtio-9p (QEMU
 * -fsdev local + -device virtio-9p-pci), mounted at /TAG (QEMU's mount tag;
 * `graft vm run --share` uses "share"). 9P2000.L, one request in flight at a
 * time: a request and its reply buffer form one descriptor chain, and the
 * caller waits (yielding) for the device to answer. Files are fids walked
 * from the root fid; server errors (Rlerror) come back as -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel.h"
#include "p9_msg.h"
#include "virtio.h"

#define MSIZE (64 * 1024)
#define IOHDR 24
#define ROOT_FID 0
#define F_MOUNT_TAG 1

void devices_register_irq(struct pci_dev *d);

static struct pci_dev dev;
static struct vq q;
static uint8_t *txb, *rxb;
static uint32_t msize = MSIZE;
static int busy, done;
static uint32_t reply_len;
static struct waitq lock_q, done_q;
static uint32_t next_fid = 1, free_fids[64];
static unsigned nfree_fids;
static uint16_t tag_seq;
static char mount_tag[64], mount_point[72];
extern const struct fs_ops p9fs_ops;

static uint32_t fid_alloc(void)
{
	return nfree_fids ? free_fids[--nfree_fids] : next_fid++;
}

static void fid_release(uint32_t fid)
{
	if (nfree_fids < ARRAY_LEN(free_fids))
		free_fids[nfree_fids++] = fid;
}

static int p9_poll(void *arg)
{
	(void)arg;
	uint32_t len;
	if (busy && !done && vq_get(&q, &len)) {
		reply_len = len;
		done = 1;
		waitq_wake_all(&done_q);
		return 1;
	}
	return 0;
}

/* Send the request built in txb (len bytes) and wait for its reply. */
static int rpc(struct p9_out *m, uint8_t type, uint16_t tag, struct p9_in *r)
{
	size_t len = p9_end(m);
	if (!len)
		return -ENAMETOOLONG;
	struct vq_buf b[2] = { { txb, (uint32_t)len, 0 }, { rxb, msize, 1 } };
	done = 0;
	if (vq_add(&q, b, 2, txb))
		return -EIO;
	vq_kick(&q);
	uint64_t deadline = time_ns() + 30000000000ULL;
	while (!done) {
		p9_poll(NULL);
		if (!done && waitq_wait(&done_q, deadline)) {
			kprintf("graft: 9p: no reply from the host in 30 s\n");
			return -EIO;
		}
	}
	return p9_reply(r, rxb, reply_len, type, tag);
}

/* Serialize users of the single request slot. */
static void lock(void)
{
	while (busy)
		waitq_wait(&lock_q, 0);
	busy = 1;
}

static void unlock(void)
{
	busy = 0;
	waitq_wake_one(&lock_q);
}

static uint16_t begin(struct p9_out *m, uint8_t type)
{
	uint16_t tag = (uint16_t)(++tag_seq & 0x7fff);
	p9_begin(m, txb, msize, type, tag);
	return tag;
}

static int clunk(uint32_t fid)
{
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = begin(&m, P9_TCLUNK);
	p9_u32(&m, fid);
	int e = rpc(&m, P9_TCLUNK, tag, &r);
	fid_release(fid);
	return e;
}

/* Walk from the root to path ("" = root) into a new fid; -errno. */
static int64_t walk(const char *path)
{
	uint32_t fid = fid_alloc(), from = ROOT_FID;
	const char *p = path;
	int first = 1;
	do {
		struct p9_out m;
		struct p9_in r;
		uint16_t tag = begin(&m, P9_TWALK);
		p9_u32(&m, from);
		p9_u32(&m, fid);
		size_t count_at = m.len;
		p9_u16(&m, 0);
		uint16_t n = 0;
		while (*p && n < P9_MAXWELEM) {
			const char *seg = p;
			while (*p && *p != '/')
				p++;
			p9_str(&m, seg, (size_t)(p - seg));
			n++;
			while (*p == '/')
				p++;
		}
		txb[count_at] = (uint8_t)n;
		txb[count_at + 1] = (uint8_t)(n >> 8);
		int e = rpc(&m, P9_TWALK, tag, &r);
		uint16_t nq = e ? 0 : p9_get16(&r);
		if (!e && (r.bad || nq != n))
			e = nq < n ? -ENOENT : -EPROTO;
		if (e) {
			if (!first)
				clunk(fid);
			else
				fid_release(fid);
			return e;
		}
		first = 0;
		from = fid;
	} while (*p);
	return fid;
}

/* Split "a/b/c" into parent "a/b" (in buf) and name "c". */
static int split(const char *path, char *parent, size_t cap, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!*path)
		return -EINVAL;
	if (!slash) {
		parent[0] = '\0';
		*name = path;
		return 0;
	}
	if ((size_t)(slash - path) >= cap)
		return -ENAMETOOLONG;
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	*name = slash + 1;
	return 0;
}

struct p9file {
	uint32_t fid, iounit;
};

static int getattr(uint32_t fid, struct stat *st)
{
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = begin(&m, P9_TGETATTR);
	p9_u32(&m, fid);
	p9_u64(&m, 0x7ff); /* basic attributes */
	int e = rpc(&m, P9_TGETATTR, tag, &r);
	if (e)
		return e;
	struct p9_qid qid;
	p9_get64(&r); /* valid */
	p9_getqid(&r, &qid);
	memset(st, 0, sizeof *st);
	st->st_mode = p9_get32(&r);
	st->st_uid = p9_get32(&r);
	st->st_gid = p9_get32(&r);
	st->st_nlink = p9_get64(&r);
	st->st_rdev = p9_get64(&r);
	st->st_size = (off_t)p9_get64(&r);
	st->st_blksize = (blksize_t)p9_get64(&r);
	st->st_blocks = (blkcnt_t)p9_get64(&r);
	st->st_atim.tv_sec = (time_t)p9_get64(&r);
	st->st_atim.tv_nsec = (long)p9_get64(&r);
	st->st_mtim.tv_sec = (time_t)p9_get64(&r);
	st->st_mtim.tv_nsec = (long)p9_get64(&r);
	st->st_ctim.tv_sec = (time_t)p9_get64(&r);
	st->st_ctim.tv_nsec = (long)p9_get64(&r);
	st->st_ino = qid.path;
	return r.bad ? -EPROTO : 0;
}

static long pf_read(struct file *f, void *buf, size_t n, uint64_t off)
{
	struct p9file *pf = f->priv;
	size_t got = 0;
	lock();
	while (got < n) {
		uint32_t want = (uint32_t)(n - got < pf->iounit ? n - got : pf->iounit);
		struct p9_out m;
		struct p9_in r;
		uint16_t tag = begin(&m, P9_TREAD);
		p9_u32(&m, pf->fid);
		p9_u64(&m, off + got);
		p9_u32(&m, want);
		int e = rpc(&m, P9_TREAD, tag, &r);
		if (e) {
			unlock();
			return got ? (long)got : e;
		}
		uint32_t count = p9_get32(&r);
		const uint8_t *data = count <= want ? p9_getbytes(&r, count) : NULL;
		if (!data && count) {
			unlock();
			return got ? (long)got : -EPROTO;
		}
		/* we waited: another thread may have unmapped the buffer */
		if (user_ok((uint8_t *)buf + got, count, 1)) {
			unlock();
			return got ? (long)got : -EFAULT;
		}
		memcpy((uint8_t *)buf + got, data, count);
		got += count;
		if (count < want)
			break;
	}
	unlock();
	return (long)got;
}

static long pf_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
	struct p9file *pf = f->priv;
	size_t put = 0;
	lock();
	while (put < n) {
		uint32_t want = (uint32_t)(n - put < pf->iounit ? n - put : pf->iounit);
		struct p9_out m;
		struct p9_in r;
		uint16_t tag = begin(&m, P9_TWRITE);
		p9_u32(&m, pf->fid);
		p9_u64(&m, off + put);
		p9_u32(&m, want);
		if (put && user_ok((const uint8_t *)buf + put, want, 0)) { /* after a wait */
			unlock();
			return (long)put;
		}
		p9_bytes(&m, (const uint8_t *)buf + put, want);
		int e = rpc(&m, P9_TWRITE, tag, &r);
		if (e) {
			unlock();
			return put ? (long)put : e;
		}
		uint32_t count = p9_get32(&r);
		if (r.bad || count > want) {
			unlock();
			return put ? (long)put : -EPROTO;
		}
		put += count;
		if (!count)
			break;
	}
	unlock();
	return (long)put;
}

static long pf_getdents(struct file *f, void *buf, size_t cap)
{
	struct p9file *pf = f->priv;
	size_t used = 0;
	lock();
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = begin(&m, P9_TREADDIR);
	uint32_t count = (uint32_t)(cap / 2 < msize - IOHDR ? cap / 2 : msize - IOHDR);
	p9_u32(&m, pf->fid);
	p9_u64(&m, f->dir_pos);
	p9_u32(&m, count);
	int e = rpc(&m, P9_TREADDIR, tag, &r);
	if (e) {
		unlock();
		return e;
	}
	uint32_t n = p9_get32(&r);
	if (r.bad || n > r.len - r.pos) {
		unlock();
		return -EPROTO;
	}
	r.len = r.pos + n;
	struct p9_dirent d;
	char name[256];
	while ((e = p9_next_dirent(&r, &d)) == 0) {
		size_t len = d.namelen < sizeof name - 1 ? d.namelen : sizeof name - 1;
		memcpy(name, d.name, len);
		name[len] = '\0';
		if (dirent_put(buf, cap, &used, d.qid.path, d.offset, d.type == 4, name))
			break;
		f->dir_pos = d.offset;
	}
	unlock();
	if (e < 0)
		return e;
	return (long)used;
}

static int pf_fstat(struct file *f, struct stat *st)
{
	struct p9file *pf = f->priv;
	lock();
	int e = getattr(pf->fid, st);
	unlock();
	return e;
}

static int pf_truncate(struct file *f, uint64_t len)
{
	struct p9file *pf = f->priv;
	lock();
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = begin(&m, P9_TSETATTR);
	p9_u32(&m, pf->fid);
	p9_u32(&m, 0x8); /* size */
	p9_u32(&m, 0);
	p9_u32(&m, 0);
	p9_u32(&m, 0);
	p9_u64(&m, len);
	for (int i = 0; i < 4; i++)
		p9_u64(&m, 0);
	int e = rpc(&m, P9_TSETATTR, tag, &r);
	unlock();
	return e;
}

static void pf_close(struct file *f)
{
	struct p9file *pf = f->priv;
	lock();
	clunk(pf->fid);
	unlock();
	kfree(pf);
}

static const struct file_ops p9_file_ops = {
	.read = pf_read, .write = pf_write, .getdents = pf_getdents,
	.fstat = pf_fstat, .truncate = pf_truncate, .close = pf_close,
};

static int do_open(const char *path, int flags, int mode, struct file *f)
{
	int64_t fid = walk(path);
	uint32_t iounit = 0;
	struct p9_out m;
	struct p9_in r;
	int e;
	if (fid >= 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
		clunk((uint32_t)fid);
		return -EEXIST;
	}
	if (fid == -ENOENT && (flags & O_CREAT)) {
		char parent[256];
		const char *name;
		e = split(path, parent, sizeof parent, &name);
		if (e)
			return e;
		fid = walk(parent);
		if (fid < 0)
			return (int)fid;
		uint16_t tag = begin(&m, P9_TLCREATE);
		p9_u32(&m, (uint32_t)fid);
		p9_str(&m, name, strlen(name));
		p9_u32(&m, (uint32_t)(flags & (O_ACCMODE | O_TRUNC | O_APPEND)));
		p9_u32(&m, (uint32_t)(mode & 0777));
		p9_u32(&m, 0);
		e = rpc(&m, P9_TLCREATE, tag, &r);
	} else if (fid < 0) {
		return (int)fid;
	} else {
		uint16_t tag = begin(&m, P9_TLOPEN);
		p9_u32(&m, (uint32_t)fid);
		p9_u32(&m, (uint32_t)(flags & (O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECTORY)));
		e = rpc(&m, P9_TLOPEN, tag, &r);
	}
	if (!e) {
		struct p9_qid qid;
		p9_getqid(&r, &qid);
		iounit = p9_get32(&r);
		if (r.bad)
			e = -EPROTO;
		/* QEMU opens a directory whatever the mode; Linux refuses writes */
		else if ((qid.type & 0x80) && (flags & O_ACCMODE) != O_RDONLY)
			e = -EISDIR;
	}
	if (e) {
		clunk((uint32_t)fid);
		return e;
	}
	struct p9file *pf = kzalloc(sizeof *pf);
	if (!pf) {
		clunk((uint32_t)fid);
		return -ENOMEM;
	}
	pf->fid = (uint32_t)fid;
	pf->iounit = iounit && iounit <= msize - IOHDR ? iounit : msize - IOHDR;
	f->ops = &p9_file_ops;
	f->priv = pf;
	return 0;
}

static int pfs_open(void *fs, const char *path, int flags, int mode, struct file *f)
{
	(void)fs;
	lock();
	int e = do_open(path, flags, mode, f);
	unlock();
	return e;
}

static int pfs_stat(void *fs, const char *path, struct stat *st)
{
	(void)fs;
	lock();
	int64_t fid = walk(path);
	int e = fid < 0 ? (int)fid : getattr((uint32_t)fid, st);
	if (fid >= 0)
		clunk((uint32_t)fid);
	unlock();
	return e;
}

static int dir_op(const char *path, uint8_t type, int arg)
{
	char parent[256];
	const char *name;
	int e = split(path, parent, sizeof parent, &name);
	if (e)
		return e;
	lock();
	int64_t fid = walk(parent);
	if (fid < 0) {
		unlock();
		return (int)fid;
	}
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = begin(&m, type);
	p9_u32(&m, (uint32_t)fid);
	p9_str(&m, name, strlen(name));
	p9_u32(&m, (uint32_t)arg);
	if (type == P9_TMKDIR)
		p9_u32(&m, 0); /* gid */
	e = rpc(&m, type, tag, &r);
	clunk((uint32_t)fid);
	unlock();
	return e;
}

static int pfs_mkdir(void *fs, const char *path, int mode)
{
	(void)fs;
	return dir_op(path, P9_TMKDIR, mode & 0777);
}

static int pfs_unlink(void *fs, const char *path, int is_dir)
{
	(void)fs;
	return dir_op(path, P9_TUNLINKAT, is_dir ? 0x200 : 0);
}

const struct fs_ops p9fs_ops = { pfs_open, pfs_stat, pfs_mkdir, pfs_unlink };

static int attach(void)
{
	struct p9_out m;
	struct p9_in r;
	uint16_t tag = 0xffff; /* NOTAG for Tversion */
	p9_begin(&m, txb, msize, P9_TVERSION, tag);
	p9_u32(&m, msize);
	p9_str(&m, "9P2000.L", 8);
	int e = rpc(&m, P9_TVERSION, tag, &r);
	if (e)
		return e;
	uint32_t their = p9_get32(&r);
	uint16_t vlen;
	const char *v = p9_getstr(&r, &vlen);
	if (r.bad || vlen != 8 || memcmp(v, "9P2000.L", 8) || their < 4096) {
		kprintf("graft: 9p: the host does not speak 9P2000.L\n");
		return -EPROTO;
	}
	if (their < msize)
		msize = their;
	tag = begin(&m, P9_TATTACH);
	p9_u32(&m, ROOT_FID);
	p9_u32(&m, P9_NOFID);
	p9_str(&m, "root", 4);
	p9_str(&m, "", 0);
	p9_u32(&m, 0);
	return rpc(&m, P9_TATTACH, tag, &r);
}

void p9_init(void);
void p9_init(void)
{
	if (pci_find_virtio(VIRTIO_ID_9P, 0, &dev))
		return;
	int64_t f = virtio_start(&dev, F_MOUNT_TAG);
	if (f < 0 || vq_init(&q, dev.iobase, 0)) {
		kprintf("graft: 9p: device set-up failed; no share\n");
		return;
	}
	size_t tl = (f & F_MOUNT_TAG) ? inw(dev.iobase + VIO_CONFIG) : 0;
	if (!tl || tl >= sizeof mount_tag)
		tl = 0;
	for (size_t i = 0; i < tl; i++)
		mount_tag[i] = (char)inb((uint16_t)(dev.iobase + VIO_CONFIG + 2 + i));
	mount_tag[tl] = '\0';
	if (!tl || strchr(mount_tag, '/'))
		strcpy(mount_tag, "share");
	txb = page_alloc(MSIZE / PAGE_SIZE);
	rxb = page_alloc(MSIZE / PAGE_SIZE);
	if (!txb || !rxb) {
		kprintf("graft: 9p: out of memory for buffers; no share\n");
		return;
	}
	virtio_ready(&dev);
	devices_register_irq(&dev);
	sched_add_poller(p9_poll, NULL);
	busy = 1;
	int e = attach();
	busy = 0;
	if (e) {
		kprintf("graft: 9p: cannot attach to the host directory (tag '%s'): error %d; no share\n", mount_tag, -e);
		return;
	}
	strcpy(mount_point, "/");
	strcat(mount_point, mount_tag);
	vfs_mount(mount_point, &p9fs_ops, NULL);
}
