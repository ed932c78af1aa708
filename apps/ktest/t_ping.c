/* apps/ktest/t_ping.c — ping over raw frames: `ping OUR_IP PEER_IP N`
 * resolves the peer with ARP and sends N ICMP echo requests, checking each
 * reply. Uses only gp_net_* (on Linux: GRAFT_NET frames over UDP, the
 * format of QEMU's socket netdev), so it can ping a guest from the host. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t a = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		a += get16(p + i);
	if (n & 1)
		a += (uint32_t)p[n - 1] << 8;
	while (a >> 16)
		a = (a & 0xffff) + (a >> 16);
	return (uint16_t)~a;
}

int t_ping(int argc, char **argv)
{
	if (argc < 3) {
		KT_CHECK(0, "usage: ping OUR_IP PEER_IP [N]");
		return kt_done();
	}
	uint32_t us = gp_ip_parse(argv[1]), peer = gp_ip_parse(argv[2]);
	int n = argc > 3 ? atoi(argv[3]) : 3;
	uint8_t mac[6], peer_mac[6], f[1514];
	KT_CHECK(us && peer, "bad addresses");
	KT_CHECK(gp_net_available() && gp_net_mac(mac) == 0 && gp_net_raw(1) == 0, "no network");
	if (kt_failures)
		return kt_done();
	int resolved = 0;
	uint64_t end = gp_now_ns() + 15000000000ULL;
	while (!resolved && gp_now_ns() < end) {
		memset(f, 0xff, 6);
		memcpy(f + 6, mac, 6);
		put16(f + 12, 0x0806);
		put16(f + 14, 1), put16(f + 16, 0x0800), f[18] = 6, f[19] = 4, put16(f + 20, 1);
		memcpy(f + 22, mac, 6), put32(f + 28, us);
		memset(f + 32, 0, 6), put32(f + 38, peer);
		gp_net_send(f, 42);
		uint64_t until = gp_now_ns() + 200000000ULL;
		ssize_t r;
		while ((r = gp_net_recv(f, sizeof f, until)) >= 0)
			if (r >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 && get32(f + 28) == peer) {
				memcpy(peer_mac, f + 22, 6);
				resolved = 1;
				break;
			}
	}
	KT_CHECK(resolved, "ARP: no answer from %s", argv[2]);
	int replies = 0;
	for (int seq = 0; resolved && seq < n; seq++) {
		size_t plen = 8 + 32;
		memcpy(f, peer_mac, 6);
		memcpy(f + 6, mac, 6);
		put16(f + 12, 0x0800);
		uint8_t *ip = f + 14, *icmp = f + 34;
		memset(ip, 0, 20);
		ip[0] = 0x45, put16(ip + 2, (uint16_t)(20 + plen)), ip[8] = 64, ip[9] = 1;
		put32(ip + 12, us), put32(ip + 16, peer);
		put16(ip + 10, csum(ip, 20));
		icmp[0] = 8, icmp[1] = 0, put16(icmp + 2, 0), put16(icmp + 4, 0x6766), put16(icmp + 6, (uint16_t)seq);
		for (int i = 0; i < 32; i++)
			icmp[8 + i] = (uint8_t)(seq + i);
		put16(icmp + 2, csum(icmp, plen));
		uint64_t t0 = gp_now_ns();
		KT_CHECK(gp_net_send(f, 34 + plen) == 0, "send echo %d", seq);
		ssize_t r;
		int got = 0;
		while (!got && (r = gp_net_recv(f, sizeof f, t0 + 2000000000ULL)) >= 0) {
			if (r < 34 + 40 || get16(f + 12) != 0x0800 || f[23] != 1)
				continue;
			const uint8_t *ri = f + 34;
			if (ri[0] == 0 && get16(ri + 4) == 0x6766 && get16(ri + 6) == seq && csum(ri, plen) == 0) {
				int same = 1;
				for (int i = 0; i < 32; i++)
					same &= ri[8 + i] == (uint8_t)(seq + i);
				KT_CHECK(same, "echo %d payload differs", seq);
				got = 1;
			}
		}
		KT_CHECK(got, "no echo reply %d", seq);
		if (got)
			printf("reply from %s: seq %d time %.3f ms\n", argv[2], seq, (double)(gp_now_ns() - t0) / 1e6);
		replies += got;
	}
	printf("%d of %d pings answered\n", replies, n);
	return kt_done();
}
