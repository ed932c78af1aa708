/* apps/ktest/t_sock.c — plain BSD UDP sockets, the code any C program
 * would write: `sock server PORT N` echoes N datagrams (upper-cased) then
 * stops at "quit"; `sock client IP PORT N` sends and checks. On the
 * unikernel these are our system calls over its UDP path. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

int t_sock(int argc, char **argv)
{
	char buf[1500];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	KT_CHECK(fd >= 0, "socket: errno %d", errno);
	if (fd < 0)
		return kt_done();
	struct timeval tv = { 0, 300000 };
	KT_CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO");
	if (argc >= 3 && !strcmp(argv[1], "server")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
		int n = argc > 3 ? atoi(argv[3]) : 5, served = 0, idle = 0;
		KT_CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind: errno %d", errno);
		printf("socket server ready\n");
		fflush(stdout);
		while (idle < 80) { /* 80 x 300 ms without traffic ends it */
			struct sockaddr_in from;
			socklen_t flen = sizeof from;
			ssize_t r = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
			if (r < 0) {
				KT_CHECK(errno == EAGAIN || errno == EWOULDBLOCK, "recvfrom: errno %d", errno);
				idle++;
				continue;
			}
			idle = 0;
			buf[r] = '\0';
			if (!strcmp(buf, "quit"))
				break;
			for (ssize_t k = 0; k < r; k++)
				if (buf[k] >= 'a' && buf[k] <= 'z')
					buf[k] = (char)(buf[k] - 32);
			KT_CHECK(sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen) == r, "sendto");
			served++;
		}
		KT_CHECK(served >= n, "served %d of %d", served, n);
	} else if (argc >= 4 && !strcmp(argv[1], "client")) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
		KT_CHECK(inet_pton(AF_INET, argv[2], &to.sin_addr) == 1, "address %s", argv[2]);
		KT_CHECK(connect(fd, (struct sockaddr *)&to, sizeof to) == 0, "connect");
		int n = argc > 4 ? atoi(argv[4]) : 5, answered = 0;
		for (int i = 0; i < n; i++) {
			char msg[64], want[64];
			snprintf(msg, sizeof msg, "socket datagram %d", i);
			snprintf(want, sizeof want, "SOCKET DATAGRAM %d", i);
			for (int attempt = 0; attempt < 60; attempt++) {
				if (write(fd, msg, strlen(msg)) < 0) {
					/* peer not up yet (no ARP answer, or port unreachable) */
					struct timespec ts = { 0, 100000000L };
					nanosleep(&ts, NULL);
					continue;
				}
				ssize_t r = read(fd, buf, sizeof buf - 1);
				if (r > 0) {
					buf[r] = '\0';
					if (!strcmp(buf, want)) {
						answered++;
						break;
					}
				} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
					/* e.g. ECONNREFUSED: the server is not bound yet */
					struct timespec ts = { 0, 100000000L };
					nanosleep(&ts, NULL);
				}
			}
		}
		for (int i = 0; i < 3; i++)
			if (write(fd, "quit", 4) < 0)
				break;
		KT_CHECK(answered == n, "%d of %d answered", answered, n);
		printf("%d socket datagrams answered\n", answered);
	} else {
		KT_CHECK(0, "usage: sock server PORT [N] | sock client IP PORT [N]");
	}
	close(fd);
	return kt_done();
}
