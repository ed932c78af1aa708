/*
 * graft console — talk to a running unikernel's (or Linux-platform app's)
 * overlay console over its unix socket.
 *
 *   graft console SOCK                 interactive (libedit line editing
 *                                      and history) when stdin is a tty
 *   graft console SOCK < script        one command per input line
 *   graft console -c CMD [-c CMD] SOCK the given commands
 *
 * Each reply's data lines go to stdout, its status line "ok ..." to stdout
 * and "error: ..." to stderr. Scripted runs stop at the first error unless
 * -k is given. Exit: 0 when every reply was ok, 1 after an error status or
 * a lost connection, 2 for bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"

#define MAX_CMDS 64
/* console_do's result when the connection is gone: nothing more to send. */
#define EXIT_LOST 3

struct conn {
	int fd;
	char buf[8192];
	size_t pos, len;
	bool quiet;
};

static int console_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		cli_error("console: socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		cli_error("console: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One line of the reply into line (NUL-terminated, no newline); -1 at EOF. */
static int read_line(struct conn *c, char *line, size_t cap)
{
	size_t n = 0;
	for (;;) {
		if (c->pos == c->len) {
			ssize_t k = recv(c->fd, c->buf, sizeof c->buf, 0);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			c->pos = 0;
			c->len = (size_t)k;
		}
		char ch = c->buf[c->pos++];
		if (ch == '\n')
			break;
		if (n + 1 < cap)
			line[n++] = ch;
	}
	line[n] = '\0';
	return 0;
}

/*
 * Send one command and print its reply. Returns EXIT_OK for "ok",
 * EXIT_FAIL for "error: ..." or a lost connection.
 */
static int console_do(struct conn *c, const char *cmd, size_t n)
{
	char line[2048];
	if (memchr(cmd, '\n', n)) {
		cli_error("console: a command is one line");
		return EXIT_FAIL;
	}
	if (send_all(c->fd, cmd, n) < 0 || send_all(c->fd, "\n", 1) < 0)
		return cli_error("console: connection lost while sending"),
		       EXIT_LOST;
	for (;;) {
		if (read_line(c, line, sizeof line) < 0)
			return cli_error("console: connection closed before the reply ended"),
			       EXIT_LOST;
		if (!strcmp(line, "ok") || !strncmp(line, "ok ", 3)) {
			if (line[2] || !c->quiet)
				printf("%s\n", line);
			fflush(stdout);
			return EXIT_OK;
		}
		if (!strncmp(line, "error: ", 7)) {
			fflush(stdout);
			fprintf(stderr, "%s\n", line);
			return EXIT_FAIL;
		}
		/* A data line; a leading '\' only protects the framing. */
		fputs(line[0] == '\\' ? line + 1 : line, stdout);
		fputc('\n', stdout);
	}
}

static bool blank(const char *s)
{
	s += strspn(s, " \t\r");
	return !*s;
}

static int interactive(struct conn *c)
{
	char hist[4096] = "";
	const char *home = getenv("HOME");
	if (home && snprintf(hist, sizeof hist, "%s/.graft_console_history",
			     home) < (int)sizeof hist)
		read_history(hist);
	else
		hist[0] = '\0';
	stifle_history(1000);
	int rc = EXIT_OK;
	char *line;
	while ((line = readline("graft> ")) != NULL) {
		if (!blank(line)) {
			add_history(line);
			rc = console_do(c, line, strlen(line));
			bool quit = !strcmp(line + strspn(line, " \t"), "quit");
			if (quit || rc == EXIT_LOST) {
				free(line);
				break;
			}
		}
		free(line);
	}
	if (hist[0])
		write_history(hist);
	return rc == EXIT_LOST ? EXIT_FAIL : rc;
}

static int scripted(struct conn *c, FILE *in, bool keep_going)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = EXIT_OK;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (blank(line) && strlen(line) == (size_t)n)
			continue;
		/* Send the raw line: the console judges it, not us. */
		int r = console_do(c, line, (size_t)n);
		if (r) {
			rc = EXIT_FAIL;
			if (!keep_going || r == EXIT_LOST)
				break;
		}
	}
	free(line);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: graft console [-k] [-q] [-c CMD]... SOCK\n"
		"  SOCK    the overlay console's unix socket\n"
		"  -c CMD  run CMD (repeatable) instead of reading commands\n"
		"  -k      keep going after an error (scripted use)\n"
		"  -q      do not print plain 'ok' status lines\n"
		"Without -c, reads commands from stdin: with line editing and\n"
		"history when it is a terminal. Exit 0 when every reply was ok.\n");
}

int cmd_console(int argc, char **argv)
{
	const char *cmds[MAX_CMDS];
	int ncmds = 0, opt;
	bool keep_going = false;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return cli_error("console: out of memory");
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		free(c);
		return EXIT_OK;
	}
	optind = 1;
	while ((opt = getopt(argc, argv, "c:kqh")) != -1) {
		switch (opt) {
		case 'c':
			if (ncmds == MAX_CMDS) {
				free(c);
				return cli_error("console: more than %d -c", MAX_CMDS);
			}
			cmds[ncmds++] = optarg;
			break;
		case 'k':
			keep_going = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			usage(stdout);
			free(c);
			return EXIT_OK;
		default:
			usage(stderr);
			free(c);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		free(c);
		return EXIT_USAGE;
	}
	c->fd = console_connect(argv[optind]);
	int rc = EXIT_FAIL;
	if (c->fd >= 0) {
		if (ncmds) {
			rc = EXIT_OK;
			for (int i = 0; i < ncmds; i++) {
				int r = console_do(c, cmds[i], strlen(cmds[i]));
				if (r) {
					rc = EXIT_FAIL;
					if (!keep_going || r == EXIT_LOST)
						break;
				}
			}
		} else if (isatty(STDIN_FILENO)) {
			rc = interactive(c);
		} else {
			rc = scripted(c, stdin, keep_going);
		}
		close(c->fd);
	}
	free(c);
	return rc;
}
