/*
 * platform/linux/net.c — frames and UDP for the Linux platform.
 *
 * Frames (GRAFT_NET): "udp:LPORT:RHOST:RPORT" sends each Ethernet frame as
 * one UDP datagram, exactly what QEMU's -netdev socket,udp= does, so a
 * Linux-platform process can be the peer of a guest; "pcap:IN,OUT" reads
 * frames from a pcap file and appends sent ones to another.
 * UDP (gp_udp_*): host UDP sockets bound to GRAFT_IP (default 127.0.0.1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static int frame_fd = -1;
static FILE *pcap_in, *pcap_out;
static int pcap_swapped;
static uint32_t our_ip = 0x7f000001;
static uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static int open_pcap(const char *spec)
{
	char in[2048], out[2048];
	const char *comma = strchr(spec, ',');
	if (!comma || (size_t)(comma - spec) >= sizeof in || strlen(comma + 1) >= sizeof out)
		return -1;
	memcpy(in, spec, (size_t)(comma - spec));
	in[comma - spec] = '\0';
	strcpy(out, comma + 1);
	pcap_in = fopen(in, "rb");
	pcap_out = fopen(out, "wb");
	if (!pcap_in || !pcap_out)
		return -1;
	uint32_t hdr[6];
	if (fread(hdr, sizeof hdr, 1, pcap_in) != 1)
		return -1;
	if (hdr[0] == 0xd4c3b2a1u)
		pcap_swapped = 1;
	else if (hdr[0] != 0xa1b2c3d4u)
		return -1;
	uint32_t ohdr[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
	fwrite(ohdr, sizeof ohdr, 1, pcap_out);
	fflush(pcap_out);
	return 0;
}

void lp_net_init(void)
{
	const char *ip = getenv("GRAFT_IP");
	if (ip && gp_ip_parse(ip))
		our_ip = gp_ip_parse(ip);
	our_mac[3] = (uint8_t)(our_ip >> 16);
	our_mac[4] = (uint8_t)(our_ip >> 8);
	our_mac[5] = (uint8_t)our_ip;
	const char *net = getenv("GRAFT_NET");
	if (!net || !*net)
		return;
	unsigned lport, rport;
	char rhost[64];
	if (sscanf(net, "udp:%u:%63[^:]:%u", &lport, rhost, &rport) == 3 && lport < 65536 && rport < 65536) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_in l = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
		struct sockaddr_in r = { .sin_family = AF_INET, .sin_port = htons((uint16_t)rport) };
		l.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || inet_pton(AF_INET, rhost, &r.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&l, sizeof l) || connect(fd, (struct sockaddr *)&r, sizeof r)) {
			fprintf(stderr, "graft: GRAFT_NET=%s: cannot set up the frame socket\n", net);
			if (fd >= 0)
				close(fd);
			return;
		}
		frame_fd = fd;
	} else if (!strncmp(net, "pcap:", 5)) {
		if (open_pcap(net + 5)) {
			fprintf(stderr, "graft: GRAFT_NET=%s: cannot open the pcap files or not a pcap input\n", net);
			if (pcap_in)
				fclose(pcap_in);
			if (pcap_out)
				fclose(pcap_out);
			pcap_in = pcap_out = NULL;
		}
	} else {
		fprintf(stderr, "graft: GRAFT_NET=%s: want udp:LPORT:RHOST:RPORT or pcap:IN,OUT\n", net);
	}
}

int gp_net_available(void) { lp_init(); return frame_fd >= 0 || (pcap_in && pcap_out); }
int gp_net_mac(uint8_t mac[6]) { lp_init(); memcpy(mac, our_mac, 6); return 0; }
int gp_net_raw(int on) { lp_init(); (void)on; return gp_net_available() ? 0 : -ENODEV; }

int gp_net_send(const void *frame, size_t len)
{
	lp_init();
	if (len < 14 || len > 1514)
		return -EINVAL;
	if (frame_fd >= 0)
		return send(frame_fd, frame, len, 0) == (ssize_t)len ? 0 : -errno;
	if (pcap_out) {
		uint64_t t = gp_now_ns();
		uint32_t rec[4] = { (uint32_t)(t / 1000000000ULL), (uint32_t)(t % 1000000000ULL / 1000),
				    (uint32_t)len, (uint32_t)len };
		fwrite(rec, sizeof rec, 1, pcap_out);
		fwrite(frame, len, 1, pcap_out);
		return fflush(pcap_out) ? -EIO : 0;
	}
	return -ENODEV;
}

static uint32_t sw(uint32_t v) { return pcap_swapped ? __builtin_bswap32(v) : v; }

ssize_t gp_net_recv(void *buf, size_t cap, uint64_t deadline)
{
	lp_init();
	if (frame_fd >= 0) {
		for (;;) {
			ssize_t r = recv(frame_fd, buf, cap, 0);
			if (r >= 0)
				return r;
			if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
				return -errno;
			if (lp_wait_fd(frame_fd, POLLIN, deadline) == -ETIMEDOUT)
				return -ETIMEDOUT;
		}
	}
	if (pcap_in) {
		uint32_t rec[4];
		if (fread(rec, sizeof rec, 1, pcap_in) != 1)
			return -ENODATA;
		uint32_t incl = sw(rec[2]);
		if (incl > 65535)
			return -EINVAL;
		uint8_t tmp[65536];
		if (fread(tmp, 1, incl, pcap_in) != incl)
			return -EINVAL;
		size_t n = incl < cap ? incl : cap;
		memcpy(buf, tmp, n);
		return (ssize_t)n;
	}
	return -ENODEV;
}

uint32_t gp_ip_addr(void) { lp_init(); return our_ip; }

int gp_udp_open(uint16_t port)
{
	lp_init();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(our_ip);
	if (bind(fd, (struct sockaddr *)&a, sizeof a)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int gp_udp_send(int s, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(ip);
	return sendto(s, buf, len, 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)len ? 0 : -errno;
}

ssize_t gp_udp_recv(int s, void *buf, size_t cap, uint32_t *ip, uint16_t *port, uint64_t deadline)
{
	for (;;) {
		struct sockaddr_in a;
		socklen_t alen = sizeof a;
		ssize_t r = recvfrom(s, buf, cap, 0, (struct sockaddr *)&a, &alen);
		if (r >= 0) {
			if (ip)
				*ip = ntohl(a.sin_addr.s_addr);
			if (port)
				*port = ntohs(a.sin_port);
			return r;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (lp_wait_fd(s, POLLIN, deadline) == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

int gp_udp_close(int s) { return close(s) ? -errno : 0; }
