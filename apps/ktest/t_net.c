/* apps/ktest/t_net.c — UDP between two instances, and the console echo. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

/*
 * server PORT N: answer every datagram with its upper-case copy until
 * "quit" (or 30 s); succeed when N distinct ones were answered.
 * client IP PORT N: send N numbered datagrams, each resent until its own
 * answer comes (the server may still be booting, answers may be duplicated),
 * then "quit".
 */
int t_udp(int argc, char **argv)
{
	char buf[1500];
	if (argc >= 3 && !strcmp(argv[1], "server")) {
		int port = atoi(argv[2]), n = argc > 3 ? atoi(argv[3]) : 10;
		int s = gp_udp_open((uint16_t)port);
		KT_CHECK(s >= 0, "open port %d: %d", port, s);
		if (s < 0)
			return kt_done();
		printf("udp server on port %d\n", port);
		fflush(stdout);
		int distinct = 0, last = -1;
		uint64_t end = gp_now_ns() + 25000000000ULL;
		for (;;) {
			uint32_t ip;
			uint16_t from;
			ssize_t r = gp_udp_recv(s, buf, sizeof buf - 1, &ip, &from, end);
			if (r < 0)
				break;
			buf[r] = '\0';
			if (!strcmp(buf, "quit"))
				break;
			int num = -1;
			if (sscanf(buf, "datagram number %d", &num) == 1 && num > last) {
				last = num;
				distinct++;
			}
			for (ssize_t k = 0; k < r; k++)
				if (buf[k] >= 'a' && buf[k] <= 'z')
					buf[k] = (char)(buf[k] - 32);
			KT_CHECK(gp_udp_send(s, ip, from, buf, (size_t)r) == 0, "send reply");
		}
		KT_CHECK(distinct >= n, "answered %d distinct datagrams, want %d", distinct, n);
		printf("answered %d distinct datagrams\n", distinct);
		gp_udp_close(s);
		return kt_done();
	}
	if (argc >= 4 && !strcmp(argv[1], "client")) {
		uint32_t ip = gp_ip_parse(argv[2]);
		int port = atoi(argv[3]), n = argc > 4 ? atoi(argv[4]) : 10;
		KT_CHECK(ip != 0, "bad address %s", argv[2]);
		int s = gp_udp_open(0);
		KT_CHECK(s >= 0, "open: %d", s);
		if (s < 0 || !ip)
			return kt_done();
		int answered = 0;
		uint64_t end = gp_now_ns() + 20000000000ULL;
		for (int i = 0; i < n && gp_now_ns() < end; i++) {
			char msg[64], want[64];
			snprintf(msg, sizeof msg, "datagram number %d", i);
			snprintf(want, sizeof want, "DATAGRAM NUMBER %d", i);
			int got = 0;
			while (!got && gp_now_ns() < end) {
				int e = gp_udp_send(s, ip, (uint16_t)port, msg, strlen(msg));
				if (e == -EHOSTUNREACH) /* the peer is not up yet */
					continue;
				KT_CHECK(e == 0, "send: %d", e);
				if (e)
					break;
				uint64_t until = gp_now_ns() + 300000000ULL;
				for (;;) {
					uint32_t from_ip;
					uint16_t from_port;
					ssize_t r = gp_udp_recv(s, buf, sizeof buf - 1, &from_ip, &from_port, until);
					if (r < 0)
						break;
					buf[r] = '\0';
					if (!strcmp(buf, want)) {
						KT_CHECK(from_ip == ip && from_port == port, "reply from the wrong peer");
						got = 1;
						break;
					}
				}
			}
			answered += got;
		}
		for (int i = 0; i < 3; i++)
			gp_udp_send(s, ip, (uint16_t)port, "quit", 4);
		KT_CHECK(answered == n, "%d of %d datagrams answered", answered, n);
		printf("%d datagrams answered\n", answered);
		gp_udp_close(s);
		return kt_done();
	}
	KT_CHECK(0, "usage: udp server PORT [N] | udp client IP PORT [N]");
	return kt_done();
}

int t_console(int argc, char **argv)
{
	(void)argc, (void)argv;
	KT_CHECK(gp_console_available(), "no console channel");
	if (!gp_console_available())
		return kt_done();
	printf("console ready\n");
	fflush(stdout);
	char line[512];
	size_t len = 0;
	int lines = 0;
	uint64_t deadline = gp_now_ns() + 60000000000ULL;
	for (;;) {
		char c;
		ssize_t r = gp_console_read(&c, 1, deadline);
		if (r == -ENOTCONN) {
			gp_sleep_ns(10000000);
			if (gp_now_ns() > deadline)
				break;
			continue;
		}
		KT_CHECK(r == 1, "console read: %zd", r);
		if (r != 1)
			break;
		if (c != '\n') {
			if (len < sizeof line - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		if (!strcmp(line, "quit")) {
			gp_console_write("bye\n", 4);
			break;
		}
		char out[600];
		int n = snprintf(out, sizeof out, "echo: %s\n", line);
		KT_CHECK(gp_console_write(out, (size_t)n) == n, "console write");
		lines++;
		len = 0;
	}
	printf("echoed %d lines\n", lines);
	return kt_done();
}
