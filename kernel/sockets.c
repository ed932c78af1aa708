/*
 * kernel/sockets.c — BSD UDP sockets for ordinary C code (socket, bind,
 * connect, sendto, recvfrom, read/write, setsockopt SO_RCVTIMEO,
 * getsockname), as system calls over the compact UDP path of ip.c. Only
 * AF_INET datagram sockets; a blocking receive yields to other threads.
 * Addresses, buffers and lengths are checked with user_ok (mm.c) before
 * anything is sent or taken off a queue: a bad pointer gives -EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "devices.h"
#include "kernel.h"

int vfs_fd_install(struct file *f);
struct file *vfs_fd_get(long fd);

struct usock {
	int s; /* ip.c socket, -1 until bound */
	uint32_t peer_ip;
	uint16_t peer_port;
	uint64_t rcvtimeo_ns;
};

static const struct file_ops sock_ops;

static struct usock *sock_of(long fd)
{
	struct file *f = vfs_fd_get(fd);
	if (!f)
		return NULL;
	return f->ops == &sock_ops ? f->priv : NULL;
}

static int ensure_bound(struct usock *u)
{
	if (u->s >= 0)
		return 0;
	int s = udp_open(0);
	if (s < 0)
		return s;
	u->s = s;
	return 0;
}

static long do_send(struct usock *u, const void *buf, size_t len, uint32_t ip, uint16_t port)
{
	if (!port)
		return -EDESTADDRREQ;
	int e = ensure_bound(u);
	if (e)
		return e;
	e = udp_send(u->s, ip, port, buf, len);
	return e ? e : (long)len;
}

static long do_recv(struct usock *u, void *buf, size_t len, int nonblock, struct sockaddr_in *from)
{
	if (u->s < 0)
		return -EINVAL;
	uint64_t deadline = nonblock ? time_ns() + 1 : u->rcvtimeo_ns ? time_ns() + u->rcvtimeo_ns : 0;
	uint32_t ip;
	uint16_t port;
	ssize_t r = udp_recv(u->s, buf, len, &ip, &port, deadline);
	if (r == -ETIMEDOUT)
		return -EAGAIN;
	if (r >= 0 && from) {
		memset(from, 0, sizeof *from);
		from->sin_family = AF_INET;
		from->sin_port = htons(port);
		from->sin_addr.s_addr = htonl(ip);
	}
	return r;
}

static long sk_read(struct file *f, void *buf, size_t n, uint64_t off)
{
	(void)off;
	return do_recv(f->priv, buf, n, (f->flags & O_NONBLOCK) != 0, NULL);
}

static long sk_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
	(void)off;
	struct usock *u = f->priv;
	return do_send(u, buf, n, u->peer_ip, u->peer_port);
}

static int sk_fstat(struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFSOCK | 0777;
	return 0;
}

static void sk_close(struct file *f)
{
	struct usock *u = f->priv;
	if (u->s >= 0)
		udp_close(u->s);
	kfree(u);
}

static const struct file_ops sock_ops = {
	.read = sk_read, .write = sk_write, .fstat = sk_fstat, .close = sk_close,
};

static int addr_in(const void *addr, long len, uint32_t *ip, uint16_t *port)
{
	const struct sockaddr_in *a = addr;
	if (len < 0 || len > 128)
		return -EINVAL;
	if (user_ok(addr, (size_t)len, 0))
		return -EFAULT;
	if (!addr || len < (long)sizeof *a || a->sin_family != AF_INET)
		return -EINVAL;
	*ip = ntohl(a->sin_addr.s_addr);
	*port = ntohs(a->sin_port);
	return 0;
}

long sys_socket(long nr, long a0, long a1, long a2, long a3, long a4, long a5, int *handled)
{
	*handled = 1;
	switch (nr) {
	case SYS_socket: {
		if (a0 != AF_INET)
			return -EAFNOSUPPORT;
		if ((a1 & 0xf) != SOCK_DGRAM || (a2 && a2 != IPPROTO_UDP))
			return -EPROTONOSUPPORT;
		if (!net_available())
			return -ENETDOWN;
		struct file *f = kzalloc(sizeof *f);
		struct usock *u = kzalloc(sizeof *u);
		if (!f || !u) {
			kfree(f);
			kfree(u);
			return -ENOMEM;
		}
		u->s = -1;
		f->ops = &sock_ops;
		f->priv = u;
		f->refs = 1;
		f->flags = O_RDWR | ((a1 & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
		int fd = vfs_fd_install(f);
		if (fd < 0) {
			kfree(f);
			kfree(u);
		}
		return fd;
	}
	case SYS_bind: {
		struct usock *u = sock_of(a0);
		uint32_t ip;
		uint16_t port;
		if (!u)
			return -ENOTSOCK;
		int e = addr_in((const void *)a1, a2, &ip, &port);
		if (e)
			return e;
		if (u->s >= 0)
			return -EINVAL;
		if (ip && ip != ip_addr() && ip != 0x7f000001)
			return -EADDRNOTAVAIL;
		int s = udp_open(port);
		if (s < 0)
			return s;
		u->s = s;
		return 0;
	}
	case SYS_connect: {
		struct usock *u = sock_of(a0);
		if (!u)
			return -ENOTSOCK;
		return addr_in((const void *)a1, a2, &u->peer_ip, &u->peer_port);
	}
	case SYS_sendto: {
		struct usock *u = sock_of(a0);
		uint32_t ip = 0;
		uint16_t port = 0;
		if (!u)
			return -ENOTSOCK;
		if (user_ok((const void *)a1, (size_t)a2, 0))
			return -EFAULT;
		if (a4) {
			int e = addr_in((const void *)a4, a5, &ip, &port);
			if (e)
				return e;
		} else {
			ip = u->peer_ip, port = u->peer_port;
		}
		return do_send(u, (const void *)a1, (size_t)a2, ip, port);
	}
	case SYS_recvfrom: {
		struct usock *u = sock_of(a0);
		struct file *f = vfs_fd_get(a0);
		if (!u)
			return -ENOTSOCK;
		struct sockaddr_in from;
		if (user_ok((void *)a1, (size_t)a2, 1))
			return -EFAULT;
		if (a4 && a5 && (user_ok((void *)a5, sizeof(socklen_t), 1) ||
				 user_ok((void *)a4, *(socklen_t *)a5, 1)))
			return -EFAULT;
		long r = do_recv(u, (void *)a1, (size_t)a2, (a3 & MSG_DONTWAIT) || (f->flags & O_NONBLOCK), &from);
		if (r >= 0 && a4 && a5 && !user_ok((void *)a5, sizeof(socklen_t), 1) &&
		    !user_ok((void *)a4, *(socklen_t *)a5, 1)) { /* again: we may have waited */
			socklen_t *lenp = (socklen_t *)a5;
			size_t n = *lenp < sizeof from ? *lenp : sizeof from;
			memcpy((void *)a4, &from, n);
			*lenp = sizeof from;
		}
		return r;
	}
	case SYS_getsockname: {
		struct usock *u = sock_of(a0);
		if (!u)
			return -ENOTSOCK;
		if (user_ok((void *)a2, sizeof(socklen_t), 1) || user_ok((void *)a1, *(socklen_t *)a2, 1))
			return -EFAULT;
		int e = ensure_bound(u);
		if (e)
			return e;
		struct sockaddr_in a;
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(ip_addr());
		a.sin_port = htons(udp_port(u->s));
		socklen_t *lenp = (socklen_t *)a2;
		size_t n = *lenp < sizeof a ? *lenp : sizeof a;
		memcpy((void *)a1, &a, n);
		*lenp = sizeof a;
		return 0;
	}
	case SYS_setsockopt: {
		struct usock *u = sock_of(a0);
		if (!u)
			return -ENOTSOCK;
		if (a1 == SOL_SOCKET && a2 == SO_RCVTIMEO) {
			const struct timeval *tv = (const struct timeval *)a3;
			if (a4 >= (long)sizeof *tv && user_ok(tv, sizeof *tv, 0))
				return -EFAULT;
			if (a4 < (long)sizeof *tv || tv->tv_sec < 0 || tv->tv_usec < 0)
				return -EINVAL;
			u->rcvtimeo_ns = (uint64_t)tv->tv_sec * 1000000000ULL + (uint64_t)tv->tv_usec * 1000ULL;
			return 0;
		}
		return 0; /* SO_REUSEADDR and friends: nothing to do */
	}
	}
	*handled = 0;
	return 0;
}
