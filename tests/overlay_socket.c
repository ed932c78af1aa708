/*
 * The overlay over a real unix socket on the Linux side, beside a running
 * application thread that is pinged all along: commands, signals to the
 * app, clients that leave mid-command or mid-line, 1,000 garbage lines,
 * many clients in a row. The app must answer throughout.
 *
 * `overlay_socket --serve SOCK DIR` runs only the server (for
 * tests/overlay_console.sh, the bench and the demo) until SIGTERM/SIGINT.
 */
#include <stdlib.h>
#include <time.h>

#include "overlay_server.h"
#include "testlib.h"

static struct tapp app;
static struct tsrv srv;
static char top[64], dir[80], sock[100];

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int xfer_got; /* status lines the last xfer saw */

/* Send text, collect replies until `replies` status lines came back. */
static char *xfer(int fd, const char *text, size_t len, int replies)
{
	static char buf[1 << 21];
	size_t n = 0;
	if (send(fd, text, len, MSG_NOSIGNAL) != (ssize_t)len)
		return NULL;
	int got = 0;
	size_t line_start = 0;
	xfer_got = 0;
	while (got < replies && n < sizeof buf - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		int pr = poll(&p, 1, 5000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr != 1)
			return NULL;
		ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return NULL;
		for (size_t i = n; i < n + (size_t)k; i++) {
			if (buf[i] != '\n')
				continue;
			if (!strncmp(buf + line_start, "ok", 2) &&
			    (buf[line_start + 2] == '\n' || buf[line_start + 2] == ' '))
				got++;
			else if (!strncmp(buf + line_start, "error: ", 7))
				got++;
			line_start = i + 1;
		}
		n += (size_t)k;
		xfer_got = got;
	}
	buf[n] = 0;
	return buf;
}

static char *cmd(int fd, const char *c)
{
	return xfer(fd, c, strlen(c), 1);
}

/* ---- the pinger: the application must keep answering ------------------ */

static atomic_int ping_stop;
static atomic_uint pings_ok, pings_failed;

static void *pinger(void *arg)
{
	char r[128];
	(void)arg;
	while (!atomic_load(&ping_stop)) {
		if (tapp_request(&app, r, sizeof r))
			atomic_fetch_add(&pings_failed, 1);
		else
			atomic_fetch_add(&pings_ok, 1);
		usleep(500);
	}
	return NULL;
}

static void write_file(const char *name, const char *text, size_t n)
{
	char p[400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fwrite(text, 1, n, f);
		fclose(f);
	}
}

static void test_commands(void)
{
	int fd = dial();
	T_CHECK(fd >= 0, "connect");
	char *r = cmd(fd, "echo hi\n");
	T_CHECK(r && !strcmp(r, "hi\nok\n"), "echo: [%s]", r);
	r = cmd(fd, "ls\n");
	T_CHECK(r && strstr(r, " config\n") && strstr(r, " log\n") &&
			strstr(r, "ok 2 entries\n"), "ls: [%s]", r);
	r = cmd(fd, "cat config\n");
	T_CHECK(r && !strcmp(r, "v1\nok 3 bytes\n"), "cat: [%s]", r);
	r = cmd(fd, "cat nothere\n");
	T_CHECK(r && !strcmp(r, "error: cat: nothere: No such file or directory\n"),
		"cat missing: [%s]", r);
	r = cmd(fd, "cat ../etc/passwd\n");
	T_CHECK(r && strstr(r, "error: cat: ../etc/passwd: '..' not allowed"),
		"cat escape: [%s]", r);
	write_file("config", "v2\n", 3);
	r = cmd(fd, "kill HUP\n");
	T_CHECK(r && !strcmp(r, "ok SIGHUP delivered\n"), "kill HUP: [%s]", r);
	char a[128] = "";
	tapp_request(&app, a, sizeof a);
	T_CHECK(!strncmp(a, "v2 2 ", 5), "app reloaded its config: [%s]", a);
	r = cmd(fd, "kill TERM\n");
	T_CHECK(r && strstr(r, "error: kill: the application has no handler"),
		"kill TERM refused: [%s]", r);
	r = cmd(fd, "stats\n");
	T_CHECK(r && strstr(r, "config generation 2") && strstr(r, "\nok\n"),
		"stats: [%s]", r);
	r = cmd(fd, "bpf_list\n");
	T_CHECK(r && !strcmp(r, "ok 0 attached\n"), "bpf_list, empty: [%s]", r);
	r = cmd(fd, "quit\n");
	T_CHECK(r && !strcmp(r, "ok bye\n"), "quit: [%s]", r);
	char c;
	T_CHECK(recv(fd, &c, 1, 0) == 0, "server closed after quit");
	close(fd);
	printf("commands: echo ls cat kill(HUP reloads the app) stats quit, "
	       "missing file, path escape, refused signal\n");
}

static void test_disconnects(void)
{
	/* Leave in the middle of a 1 MB reply, 20 times over. */
	for (int i = 0; i < 20; i++) {
		int fd = dial();
		char buf[1000];
		send(fd, "cat log\n", 8, MSG_NOSIGNAL);
		ssize_t got = recv(fd, buf, sizeof buf, MSG_WAITALL);
		T_CHECK(got > 0, "first bytes of the long reply (%d)", i);
		close(fd);
	}
	/* Leave in the middle of a line, and with unread replies queued. */
	int fd = dial();
	send(fd, "echo half a li", 14, MSG_NOSIGNAL);
	close(fd);
	fd = dial();
	for (int i = 0; i < 50; i++)
		send(fd, "help\n", 5, MSG_NOSIGNAL);
	close(fd);
	fd = dial();
	char *r = cmd(fd, "cat config\n");
	T_CHECK(r && !strcmp(r, "v2\nok 3 bytes\n"), "next client served: [%s]", r);
	close(fd);
	printf("disconnects: 20 mid-reply (1 MB cat), 1 mid-line, 1 with 50 "
	       "queued replies; next client served\n");
}

static void test_garbage(void)
{
	static char in[1 << 20];
	static size_t ends[1000]; /* offset after each line's newline */
	size_t n = 0;
	srand(42);
	for (int line = 0; line < 1000; line++) {
		size_t len = (size_t)rand() % (rand() % 5 ? 80 : 1500);
		for (size_t i = 0; i < len; i++) {
			char c;
			do
				c = (char)rand();
			while (c == '\n');
			in[n++] = c;
		}
		in[n++] = '\n';
		ends[line] = n;
	}
	int fd = dial();
	/* Sent in slices so the server's replies never back up. */
	unsigned status = 0;
	size_t off = 0;
	for (int slice = 0; slice < 10; slice++) {
		size_t end = ends[slice * 100 + 99];
		xfer(fd, in + off, end - off, 100);
		status += (unsigned)xfer_got;
		off = end;
	}
	T_CHECK(status == 1000, "a reply for every garbage line: %u", status);
	char *r = cmd(fd, "echo alive\n");
	T_CHECK(r && !strcmp(r, "alive\nok\n"), "alive after garbage: [%s]", r);
	close(fd);
	printf("garbage: 1,000 random lines over the socket, %u status lines\n",
	       status);
}

static void test_many_clients(void)
{
	unsigned ok = 0;
	for (int i = 0; i < 200; i++) {
		int fd = dial();
		char *r = fd >= 0 ? cmd(fd, "echo x\n") : NULL;
		ok += r && !strcmp(r, "x\nok\n");
		if (fd >= 0)
			close(fd);
	}
	T_CHECK(ok == 200, "200 clients in a row: %u served", ok);
	printf("clients: 200 in a row\n");
}

/* Objects built by mk/overlay.mk, copied into the app's directory. */
static const char *const copied[] = { "exec.o", "faulty.o", "served.o" };

static void copy_in(const char *sub, const char *name)
{
	char from[400];
	const char *b = getenv("BUILD");
	snprintf(from, sizeof from, "%s/%s/%s", b && *b ? b : "build", sub, name);
	FILE *f = fopen(from, "rb");
	static char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	write_file(name, buf, n);
}

static void test_graft(void)
{
	copy_in("overlay_bpf", "exec.o");
	copy_in("overlay_bpf", "faulty.o");
	copy_in("overlay_native", "served.o");
	int fd = dial();
	char *r = cmd(fd, "bpf_exec exec.o sum 1 2 3\n");
	T_CHECK(r && strstr(r, "r0 = 6 (0x6)\nok sum:"), "bpf_exec: [%s]", r);
	r = cmd(fd, "bpf_attach tapp_handle_request exec.o count\n");
	T_CHECK(r && strstr(r, "ok attached count to tapp_handle_request as 1"),
		"bpf_attach: [%s]", r);
	char a[128];
	for (int i = 0; i < 50; i++)
		tapp_request(&app, a, sizeof a);
	r = cmd(fd, "bpf_map_get calls 114\n"); /* 'r', the request byte */
	unsigned long long hits = r ? strtoull(r, NULL, 10) : 0;
	T_CHECK(hits >= 50, "counted the app's requests: %llu [%s]", hits, r);
	r = cmd(fd, "bpf_attach tapp_handle_request faulty.o spin\n");
	T_CHECK(r && strstr(r, "as 2"), "attach a runaway program: [%s]", r);
	int answered = 0;
	for (int i = 0; i < 5; i++)
		answered += !tapp_request(&app, a, sizeof a);
	T_CHECK(answered == 5, "app answers with a runaway program attached");
	r = cmd(fd, "bpf_list\n");
	T_CHECK(r && strstr(r, "last error: instruction budget of 1000000 exhausted"),
		"bpf_list shows the error: [%s]", r);
	r = cmd(fd, "bpf_detach tapp_handle_request\n");
	T_CHECK(r && strstr(r, "ok detached 2 from tapp_handle_request"),
		"detach: [%s]", r);
	r = cmd(fd, "bpf_detach 1\n");
	T_CHECK(r && !strcmp(r, "error: bpf_detach: nothing attached as 1\n"),
		"detach again: [%s]", r);
	r = cmd(fd, "load served.o\n");
	T_CHECK(r && strstr(r, "ok loaded served"), "native load: [%s]", r);
	/* The app keeps serving on its own thread: the value the program
	 * read lies between the counts before and after the command. */
	unsigned long long before = atomic_load(&app.served);
	r = cmd(fd, "run served\n");
	unsigned long long after = atomic_load(&app.served), got = 0;
	T_CHECK(r && sscanf(r, "ok served returned %llu ", &got) == 1 &&
			got >= before && got <= after,
		"native program read the app: [%s] want %llu..%llu", r, before,
		after);
	r = cmd(fd, "bpf_exec faulty.o peek 8\n");
	T_CHECK(r && strstr(r, "invalid load of 8 bytes at 0x8"),
		"faulty bpf_exec: [%s]", r);
	close(fd);
	printf("graft: bpf_exec, bpf_attach counter on the app's request handler "
	       "(%llu hits), runaway attached program, detach, native program "
	       "reading the app\n", hits);
}

static volatile sig_atomic_t serve_stop;
static void on_term(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static int serve(const char *path, const char *d)
{
	snprintf(dir, sizeof dir, "%s", d);
	if (tapp_start(&app, dir) || tsrv_start(&srv, &app, path, true, 0)) {
		fprintf(stderr, "overlay_socket: cannot serve on %s\n", path);
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A steady load of requests, as clients of the app would send. */
	pthread_t pt;
	pthread_create(&pt, NULL, pinger, NULL);
	printf("serving %s\n", path);
	fflush(stdout);
	while (!serve_stop)
		pause();
	atomic_store(&ping_stop, 1);
	pthread_join(pt, NULL);
	tapp_stop(&app);
	tsrv_stop(&srv);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--serve"))
		return serve(argv[2], argv[3]);
	snprintf(top, sizeof top, "%s/graft-ovl-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof sock, "%s/console.sock", top);
	snprintf(dir, sizeof dir, "%s/app", top);
	mkdir(dir, 0700);
	write_file("config", "v1\n", 3);
	static char logtext[1 << 20];
	for (size_t i = 0; i < sizeof logtext; i++)
		logtext[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	write_file("log", logtext, sizeof logtext);

	T_CHECK(!tapp_start(&app, dir), "app started");
	T_CHECK(!tsrv_start(&srv, &app, sock, true, 0), "server started");
	pthread_t pt;
	pthread_create(&pt, NULL, pinger, NULL);

	test_commands();
	test_disconnects();
	test_garbage();
	test_many_clients();
	test_graft();

	atomic_store(&ping_stop, 1);
	pthread_join(pt, NULL);
	T_CHECK(atomic_load(&pings_failed) == 0 && atomic_load(&pings_ok) > 10,
		"app answered throughout: %u ok, %u failed",
		(unsigned)atomic_load(&pings_ok),
		(unsigned)atomic_load(&pings_failed));
	printf("app: answered %u pings during the run, %u failed\n",
	       (unsigned)atomic_load(&pings_ok),
	       (unsigned)atomic_load(&pings_failed));
	tapp_stop(&app);
	tsrv_stop(&srv);
	char p[400];
	snprintf(p, sizeof p, "%s/config", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/log", dir);
	unlink(p);
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, copied[i]);
		unlink(p);
	}
	rmdir(dir);
	rmdir(top);
	return t_done();
}
