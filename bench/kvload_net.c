/*
 * bench/kvload_net.c — how kvload reaches a store: a UDP socket (Linux
 * platform), or raw Ethernet frames as UDP datagrams on loopback, QEMU's
 * -netdev socket format, for a guest. For frames we are a tiny host: we
 * answer ARP for our address, learn the guest's MAC, and wrap and unwrap
 * IPv4/UDP (UDP checksum 0: none, as IPv4 allows).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvload.h"

static int udp_pair(uint16_t lport, const char *rhost, uint16_t rport)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in l = { .sin_family = AF_INET, .sin_port = htons(lport) };
	struct sockaddr_in r = { .sin_family = AF_INET, .sin_port = htons(rport) };
	l.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || inet_pton(AF_INET, rhost, &r.sin_addr) != 1 ||
	    (lport && bind(fd, (struct sockaddr *)&l, sizeof l)) ||
	    connect(fd, (struct sockaddr *)&r, sizeof r)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	return fd;
}

int kvnet_udp(struct kvnet *n, const char *spec)
{
	char host[64];
	unsigned port;
	memset(n, 0, sizeof *n);
	if (sscanf(spec, "%63[^:]:%u", host, &port) != 2 || !port || port > 65535)
		return -1;
	n->fd = udp_pair(0, host, (uint16_t)port);
	return n->fd < 0 ? -1 : 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static void arp(struct kvnet *n, uint16_t op, const uint8_t *dst_mac)
{
	uint8_t f[42];
	static const uint8_t bcast[6] = { 255, 255, 255, 255, 255, 255 };
	memcpy(f, dst_mac ? dst_mac : bcast, 6);
	memcpy(f + 6, n->my_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1), put16(f + 16, 0x0800), f[18] = 6, f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, n->my_mac, 6), put32(f + 28, n->my_ip);
	memset(f + 32, 0, 6);
	if (dst_mac)
		memcpy(f + 32, dst_mac, 6);
	put32(f + 38, n->peer_ip);
	(void)!send(n->fd, f, sizeof f, 0);
}

static long ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

int kvnet_frames(struct kvnet *n, const char *spec, int wait_ms)
{
	unsigned lport, rport, port, a, b, c, d;
	memset(n, 0, sizeof *n);
	if (sscanf(spec, "%u:%u:%u.%u.%u.%u:%u", &lport, &rport, &a, &b, &c, &d, &port) != 7 ||
	    lport > 65535 || rport > 65535 || port > 65535 || (a | b | c | d) > 255)
		return -1;
	n->frames = 1;
	n->peer_ip = a << 24 | b << 16 | c << 8 | d;
	n->my_ip = (n->peer_ip & ~0xffu) | 0xfe; /* .254 on the guest's net */
	n->peer_port = (uint16_t)port;
	n->my_port = 40000;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x6b, 0x76, 0xfe };
	memcpy(n->my_mac, mac, 6);
	n->fd = udp_pair((uint16_t)lport, "127.0.0.1", (uint16_t)rport);
	if (n->fd < 0)
		return -1;
	/* Ask until the guest answers: it may still be booting. */
	long end = ms_now() + wait_ms;
	uint8_t f[2048];
	while (ms_now() < end) {
		arp(n, 1, NULL);
		long until = ms_now() + 100;
		while (ms_now() < until) {
			struct pollfd p = { n->fd, POLLIN, 0 };
			if (poll(&p, 1, 20) <= 0)
				continue;
			ssize_t r = recv(n->fd, f, sizeof f, 0);
			if (r >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
			    get32(f + 28) == n->peer_ip) {
				memcpy(n->peer_mac, f + 22, 6);
				return 0;
			}
		}
	}
	errno = ETIMEDOUT;
	return -1;
}

static uint16_t ip_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int kvnet_send(struct kvnet *n, const void *buf, size_t len)
{
	if (!n->frames)
		return send(n->fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
	uint8_t f[2048];
	if (len > sizeof f - 42)
		return -1;
	memcpy(f, n->peer_mac, 6), memcpy(f + 6, n->my_mac, 6), put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *u = ip + 20;
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
	put16(ip + 2, (uint16_t)(28 + len));
	put32(ip + 12, n->my_ip), put32(ip + 16, n->peer_ip);
	put16(ip + 10, ip_sum(ip, 20));
	put16(u, n->my_port), put16(u + 2, n->peer_port);
	put16(u + 4, (uint16_t)(8 + len)), put16(u + 6, 0);
	memcpy(u + 8, buf, len);
	return send(n->fd, f, 42 + len, 0) == (ssize_t)(42 + len) ? 0 : -1;
}

ssize_t kvnet_recv(struct kvnet *n, void *buf, size_t cap, int timeout_ms)
{
	uint8_t f[2048];
	long end = ms_now() + timeout_ms;
	for (;;) {
		long left = end - ms_now();
		struct pollfd p = { n->fd, POLLIN, 0 };
		int pr = poll(&p, 1, left > 0 ? (int)left : 0);
		if (pr < 0)
			return errno == EINTR ? 0 : -1;
		if (pr == 0)
			return 0;
		ssize_t r = recv(n->fd, n->frames ? (void *)f : buf, n->frames ? sizeof f : cap, 0);
		if (r < 0)
			return errno == ECONNREFUSED ? 0 : -1;
		if (!n->frames)
			return r;
		if (r >= 42 && get16(f + 12) == 0x0806) {
			if (get16(f + 20) == 1 && get32(f + 38) == n->my_ip)
				arp(n, 2, f + 22);
			continue;
		}
		/* IPv4, no options, UDP, to us from the store's port. */
		if (r < 42 || get16(f + 12) != 0x0800 || f[14] != 0x45 || f[23] != 17 ||
		    get32(f + 30) != n->my_ip || get16(f + 36) != n->my_port)
			continue;
		size_t ulen = get16(f + 38);
		if (ulen < 8 || 34 + ulen > (size_t)r || ulen - 8 > cap)
			continue;
		memcpy(buf, f + 42, ulen - 8);
		return (ssize_t)(ulen - 8);
	}
}
