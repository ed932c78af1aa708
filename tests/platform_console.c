/*
 * tests/platform_console.c — console-channel echo, host side.
 *
 * With no argument (as a suite in `make check`): starts the Linux build of
 * apps/ktest with GRAFT_CONSOLE on a fresh socket, and checks the echo.
 * With SOCK: only the client part, against an already running guest (QEMU
 * serves SOCK for `graft vm run --console SOCK`); used by the kernel suites.
 * The client retries its connect for a while: the guest may still boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int connect_retry(const char *path, int seconds)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	for (int i = 0; i < seconds * 50; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof a))
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(20000);
	}
	return -1;
}

/* Read one line (up to '\n') within ms; returns its length or -1. */
static int read_line(int fd, char *buf, size_t cap, int ms)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, ms) <= 0)
			return -1;
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

static void client(const char *path)
{
	int fd = connect_retry(path, 20);
	if (!T_CHECK(fd >= 0, "console: connect to %s: %s", path, strerror(errno)))
		return;
	/* The guest may not be reading yet: the first line is resent until it echoes. */
	char line[600];
	int got = 0;
	for (int attempt = 0; attempt < 100 && !got; attempt++) {
		if (write(fd, "ping\n", 5) != 5)
			break;
		while (read_line(fd, line, sizeof line, 200) >= 0)
			if (!strcmp(line, "echo: ping"))
				got = 1;
	}
	T_CHECK(got, "console: no echo of 'ping'");
	int ok = 1;
	for (int i = 0; i < 50 && got; i++) {
		char msg[128], want[160];
		int n = snprintf(msg, sizeof msg, "line %d with some text %*s\n", i, i, "");
		snprintf(want, sizeof want, "echo: %.*s", n - 1, msg);
		if (write(fd, msg, (size_t)n) != n || read_line(fd, line, sizeof line, 10000) < 0 || strcmp(line, want)) {
			ok = 0;
			T_CHECK(0, "console: line %d came back as '%s'", i, line);
			break;
		}
	}
	T_CHECK(ok, "console: 50 lines echoed");
	if (write(fd, "quit\n", 5) == 5)
		T_CHECK(read_line(fd, line, sizeof line, 10000) >= 0 && !strcmp(line, "bye"), "console: bye");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		client(argv[1]);
		return t_done();
	}
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char app[512], sock[128];
	snprintf(app, sizeof app, "%s/apps/ktest", build);
	snprintf(sock, sizeof sock, "/tmp/graft-console-%d.sock", (int)getpid());
	if (access(app, X_OK)) {
		T_CHECK(0, "console: %s not built", app);
		return t_done();
	}
	pid_t pid = fork();
	if (pid == 0) {
		setenv("GRAFT_CONSOLE", sock, 1);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execl(app, app, "console", (char *)NULL);
		_exit(127);
	}
	client(sock);
	int status = 0;
	for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "console: app exit status %d", status);
	unlink(sock);
	printf("linux platform: console echo over a unix socket (ping, 50 lines, quit)\n");
	return t_done();
}
