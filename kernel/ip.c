/*
 * kernel/ip.c — a compact IPv4 path over the virtio-net frames: ARP (answer
 * requests for our address, resolve peers with a small cache), ICMP echo
 * (answer ping), and UDP sockets with bounded receive queues. Every host is
 * on-link (no routing, no fragments: a datagram must fit in one frame).
 * Input runs from the scheduler's poller and never blocks: replies that
 * find no free transmit buffer are dropped, as a router would.
 */
#include <errno.h>
#include <string.h>

#include "devices.h"
#include "kernel.h"
#include "net.h"

#define ARP_SLOTS 16
#define SOCKETS 16
#define SOCK_QUEUE 32
#define MAX_UDP (1514 - 14 - 20 - 8)

struct dgram {
	uint32_t ip;
	uint16_t port, len;
	uint8_t *data;
};

struct sock {
	int used;
	uint16_t port;
	struct dgram q[SOCK_QUEUE];
	unsigned head, len;
	struct waitq waiters;
};

static uint32_t our_ip = 0x0a000002; /* 10.0.0.2 unless net.ip= says otherwise */
static struct {
	uint32_t ip;
	uint8_t mac[6];
	uint64_t when;
} arp[ARP_SLOTS];
static struct waitq arp_waiters;
static struct sock socks[SOCKETS];
static uint16_t next_ephemeral = 49152;
uint64_t ip_dropped;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += get16(p + i);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

uint32_t ip_addr(void) { return net_available() ? our_ip : 0; }

void ip_init(void)
{
	const char *opt = kopt("net.ip");
	if (opt) {
		uint32_t v = 0;
		int parts = 0;
		const char *p = opt;
		while (parts < 4) {
			unsigned x = 0, digits = 0;
			while (*p >= '0' && *p <= '9' && digits < 4)
				x = x * 10 + (unsigned)(*p++ - '0'), digits++;
			if (!digits || x > 255)
				break;
			v = v << 8 | x;
			parts++;
			if (parts < 4 && *p++ != '.')
				break;
		}
		if (parts == 4 && !*p)
			our_ip = v;
		else
			kprintf("graft: net.ip=%s is not an IPv4 address; using 10.0.0.2\n", opt);
	}
}

static void arp_learn(uint32_t ip, const uint8_t *mac)
{
	int slot = 0;
	for (int i = 0; i < ARP_SLOTS; i++) {
		if (arp[i].ip == ip) {
			slot = i;
			break;
		}
		if (arp[i].when < arp[slot].when)
			slot = i;
	}
	arp[slot].ip = ip;
	memcpy(arp[slot].mac, mac, 6);
	arp[slot].when = time_ns() | 1;
	waitq_wake_all(&arp_waiters);
}

static const uint8_t *arp_lookup(uint32_t ip)
{
	for (int i = 0; i < ARP_SLOTS; i++)
		if (arp[i].ip == ip && arp[i].when)
			return arp[i].mac;
	return NULL;
}

static void eth_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, net_our_mac(), 6);
	put16(f + 12, type);
}

static void arp_send(uint16_t op, const uint8_t *dst_mac, uint32_t dst_ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[42];
	eth_header(f, op == 1 ? bcast : dst_mac, 0x0806);
	put16(f + 14, 1);      /* Ethernet */
	put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, net_our_mac(), 6);
	put32(f + 28, our_ip);
	if (op == 1)
		memset(f + 32, 0, 6);
	else
		memcpy(f + 32, dst_mac, 6);
	put32(f + 38, dst_ip);
	net_send_frame(f, sizeof f);
}

static void arp_input(const uint8_t *f, size_t len)
{
	if (len < 42 || get16(f + 14) != 1 || get16(f + 16) != 0x0800 || f[18] != 6 || f[19] != 4)
		return;
	uint16_t op = get16(f + 20);
	uint32_t sender = get32(f + 28), target = get32(f + 38);
	if (target != our_ip)
		return;
	arp_learn(sender, f + 22);
	if (op == 1)
		arp_send(2, f + 22, sender);
}

/* Build the IPv4 header at f + 14 for payload len; checksum included. */
static void ip_header(uint8_t *f, uint32_t dst, uint8_t proto, size_t payload)
{
	static uint16_t ident;
	uint8_t *h = f + 14;
	h[0] = 0x45;
	h[1] = 0;
	put16(h + 2, (uint16_t)(20 + payload));
	put16(h + 4, ident++);
	put16(h + 6, 0x4000); /* don't fragment */
	h[8] = 64;
	h[9] = proto;
	put16(h + 10, 0);
	put32(h + 12, our_ip);
	put32(h + 16, dst);
	put16(h + 10, fold(sum16(h, 20, 0)));
}

static void icmp_input(const uint8_t *f, size_t len, const uint8_t *ip, size_t ihl, size_t total)
{
	const uint8_t *icmp = ip + ihl;
	size_t n = total - ihl;
	if (n < 8 || icmp[0] != 8 || fold(sum16(icmp, n, 0)) != 0)
		return;
	uint8_t out[1514];
	if (14 + 20 + n > sizeof out || len < 14 + total)
		return;
	eth_header(out, f + 6, 0x0800);
	ip_header(out, get32(ip + 12), 1, n);
	uint8_t *r = out + 34;
	memcpy(r, icmp, n);
	r[0] = 0; /* echo reply */
	put16(r + 2, 0);
	put16(r + 2, fold(sum16(r, n, 0)));
	net_send_frame(out, 34 + n);
}

static void udp_input(const uint8_t *ip, size_t ihl, size_t total)
{
	const uint8_t *u = ip + ihl;
	if (total - ihl < 8)
		return;
	uint16_t sport = get16(u), dport = get16(u + 2), ulen = get16(u + 4);
	if (ulen < 8 || ulen > total - ihl)
		return;
	if (get16(u + 6)) { /* checksum present: verify with the pseudo header */
		uint32_t acc = sum16(ip + 12, 8, 0) + 17 + ulen;
		if (fold(sum16(u, ulen, acc)) != 0) {
			ip_dropped++;
			return;
		}
	}
	for (int i = 0; i < SOCKETS; i++) {
		struct sock *s = &socks[i];
		if (!s->used || s->port != dport)
			continue;
		if (s->len >= SOCK_QUEUE) {
			ip_dropped++;
			return;
		}
		uint8_t *copy = kmalloc(ulen - 8u ? ulen - 8u : 1);
		if (!copy) {
			ip_dropped++;
			return;
		}
		memcpy(copy, u + 8, ulen - 8u);
		struct dgram *d = &s->q[(s->head + s->len++) % SOCK_QUEUE];
		d->ip = get32(ip + 12);
		d->port = sport;
		d->len = (uint16_t)(ulen - 8);
		d->data = copy;
		waitq_wake_all(&s->waiters);
		return;
	}
}

void ip_input(const uint8_t *f, size_t len)
{
	if (len < 14)
		return;
	uint16_t type = get16(f + 12);
	if (type == 0x0806) {
		arp_input(f, len);
		return;
	}
	if (type != 0x0800 || len < 34)
		return;
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, total = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + total > len)
		return;
	if (fold(sum16(ip, ihl, 0)) != 0 || (get16(ip + 6) & 0x3fff)) /* bad checksum or a fragment */
		return;
	uint32_t dst = get32(ip + 16);
	if (dst != our_ip && dst != 0xffffffffu)
		return;
	arp_learn(get32(ip + 12), f + 6); /* the sender is on-link */
	if (ip[9] == 1)
		icmp_input(f, len, ip, ihl, total);
	else if (ip[9] == 17)
		udp_input(ip, ihl, total);
}

static struct sock *sock_get(int s)
{
	return s >= 0 && s < SOCKETS && socks[s].used ? &socks[s] : NULL;
}

int udp_open(uint16_t port)
{
	if (!net_available())
		return -ENODEV;
	if (!port) {
		for (int tries = 0; tries < 16384 && !port; tries++) {
			uint16_t p = next_ephemeral++;
			if (next_ephemeral < 49152)
				next_ephemeral = 49152;
			port = p;
			for (int i = 0; i < SOCKETS; i++)
				if (socks[i].used && socks[i].port == p)
					port = 0;
		}
	}
	for (int i = 0; i < SOCKETS; i++)
		if (socks[i].used && socks[i].port == port)
			return -EADDRINUSE;
	for (int i = 0; i < SOCKETS; i++)
		if (!socks[i].used) {
			memset(&socks[i], 0, sizeof socks[i]);
			socks[i].used = 1;
			socks[i].port = port;
			return i;
		}
	return -EMFILE;
}

uint16_t udp_port(int s)
{
	struct sock *k = sock_get(s);
	return k ? k->port : 0;
}

int udp_close(int s)
{
	struct sock *k = sock_get(s);
	if (!k)
		return -EBADF;
	while (k->len) {
		kfree(k->q[k->head].data);
		k->head = (k->head + 1) % SOCK_QUEUE;
		k->len--;
	}
	k->used = 0;
	waitq_wake_all(&k->waiters);
	return 0;
}

/* Resolve ip to a MAC, asking up to 5 times 200 ms apart. */
static const uint8_t *resolve(uint32_t ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (ip == 0xffffffffu)
		return bcast;
	for (int attempt = 0; attempt < 5; attempt++) {
		const uint8_t *m = arp_lookup(ip);
		if (m)
			return m;
		arp_send(1, NULL, ip);
		uint64_t until = time_ns() + 200000000ULL;
		while (!(m = arp_lookup(ip)) && !waitq_wait(&arp_waiters, until))
			;
		if (m)
			return m;
	}
	return NULL;
}

int udp_send(int s, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
	struct sock *k = sock_get(s);
	if (!k)
		return -EBADF;
	if (len > MAX_UDP)
		return -EMSGSIZE;
	const uint8_t *mac = resolve(ip);
	if (!mac)
		return -EHOSTUNREACH;
	uint8_t f[1514];
	eth_header(f, mac, 0x0800);
	ip_header(f, ip, 17, 8 + len);
	uint8_t *u = f + 34;
	put16(u, k->port);
	put16(u + 2, port);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, buf, len);
	uint32_t acc = sum16(f + 26, 8, 0) + 17 + (uint32_t)(8 + len);
	uint16_t c = fold(sum16(u, 8 + len, acc));
	put16(u + 6, c ? c : 0xffff);
	return net_send_frame(f, 34 + 8 + len);
}

ssize_t udp_recv(int s, void *buf, size_t cap, uint32_t *ip, uint16_t *port, uint64_t deadline)
{
	struct sock *k = sock_get(s);
	if (!k)
		return -EBADF;
	while (!k->len) {
		if (waitq_wait(&k->waiters, deadline))
			return -ETIMEDOUT;
		if (!k->used)
			return -EBADF;
	}
	struct dgram *d = &k->q[k->head];
	/* we may have waited: a thread may have unmapped a caller's buffer */
	if (user_ok(buf, d->len < cap ? d->len : cap, 1))
		return -EFAULT;
	k->head = (k->head + 1) % SOCK_QUEUE;
	k->len--;
	size_t n = d->len < cap ? d->len : cap;
	memcpy(buf, d->data, n);
	kfree(d->data);
	if (ip)
		*ip = d->ip;
	if (port)
		*port = d->port;
	return (ssize_t)n;
}
