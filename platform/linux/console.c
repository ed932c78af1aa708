/*
 * platform/linux/console.c — the console channel as a unix stream socket
 * the process listens on (GRAFT_CONSOLE=PATH). One client at a time:
 * reading accepts a waiting client when none is connected; a client that
 * hangs up is dropped and the next read waits for another.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

static int listen_fd = -1, client_fd = -1;

void lp_console_init(void)
{
	const char *path = getenv("GRAFT_CONSOLE");
	if (!path || !*path)
		return;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		return;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4)) {
		close(fd);
		return;
	}
	listen_fd = fd;
}

int gp_console_available(void) { lp_init(); return listen_fd >= 0; }

static int try_accept(void)
{
	if (client_fd >= 0)
		return 0;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -ENOTCONN;
	client_fd = fd;
	return 0;
}

ssize_t gp_console_read(void *buf, size_t cap, uint64_t deadline)
{
	lp_init();
	if (listen_fd < 0)
		return -ENODEV;
	for (;;) {
		if (client_fd < 0 && try_accept()) {
			/* Wait for a client (it counts as "no client" only at the deadline). */
			if (lp_wait_fd(listen_fd, POLLIN, deadline) == -ETIMEDOUT)
				return -ETIMEDOUT;
			continue;
		}
		ssize_t r = read(client_fd, buf, cap);
		if (r > 0)
			return r;
		if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(client_fd);
			client_fd = -1;
			return -ENOTCONN;
		}
		if (lp_wait_fd(client_fd, POLLIN, deadline) == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

ssize_t gp_console_write(const void *buf, size_t len)
{
	lp_init();
	if (listen_fd < 0)
		return -ENODEV;
	if (client_fd < 0)
		return -ENOTCONN;
	size_t done = 0;
	while (done < len) {
		ssize_t r = send(client_fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EAGAIN) {
			lp_wait_fd(client_fd, POLLOUT, 0);
			continue;
		}
		close(client_fd);
		client_fd = -1;
		return -ENOTCONN;
	}
	return (ssize_t)len;
}
