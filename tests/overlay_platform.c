/*
 * The overlay on the Linux-process platform (graft/platform.h): an
 * application (a cooperative thread that ticks and reloads its config on
 * SIGHUP) runs beside ovl_console_start's context thread; a client (an OS
 * thread outside the platform) drives the console channel: files, kill,
 * stats, bpf_exec, a native program reading the app by symbol, a faulty
 * program, garbage, a client that leaves mid-reply. The app must keep
 * ticking throughout.
 *
 * The platform reads GRAFT_CONSOLE and GRAFT_ROOT at start-up, so the test
 * makes a directory, sets them and runs itself again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graft/platform.h"
#include "graft/overlay.h"
#include "testlib.h"

/* ---- the application ---------------------------------------------------- */

volatile unsigned long app_ticks;       /* read by a native program */
unsigned long test_counter = 4242;      /* read by an eBPF program */
static volatile sig_atomic_t app_hup;
static unsigned app_reloads;
static char app_config[64];
static atomic_int client_done;

static void on_hup(int sig)
{
	(void)sig;
	app_hup = 1;
}

static void app_reload(void)
{
	int h = gp_open("/config", GP_O_READ);
	ssize_t n = h >= 0 ? gp_read(h, app_config, sizeof app_config - 1) : 0;
	app_config[n > 0 ? n : 0] = 0;
	if (h >= 0)
		gp_close(h);
	app_reloads++;
}

static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void t_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* ---- the client (an OS thread, not a platform thread) --------------------- */

static char sock[100], root[300];

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof sa))
			return fd;
		close(fd);
		usleep(20000);
	}
	return -1;
}

static char *cmd(int fd, const char *c)
{
	static char buf[1 << 16];
	size_t n = 0, start = 0;
	if (send(fd, c, strlen(c), MSG_NOSIGNAL) < 0)
		return NULL;
	while (n < sizeof buf - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) != 1)
			return NULL;
		ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
		if (k <= 0)
			return NULL;
		n += (size_t)k;
		buf[n] = 0;
		for (char *e; (e = strchr(buf + start, '\n')) != NULL;) {
			if (!strncmp(buf + start, "ok", 2) ||
			    !strncmp(buf + start, "error: ", 7))
				return buf;
			start = (size_t)(e - buf) + 1;
		}
	}
	return buf;
}

#define EXPECT(fd, line, want)                                              \
	do {                                                                \
		char *r_ = cmd(fd, line);                                  \
		T_CHECK(r_ && strstr(r_, want), "%s: got [%s] want [%s]", line, \
			r_ ? r_ : "(nothing)", want);                      \
	} while (0)

static void *client(void *arg)
{
	(void)arg;
	int fd = dial();
	T_CHECK(fd >= 0, "connect to the console");
	EXPECT(fd, "echo hi\n", "hi\nok\n");
	EXPECT(fd, "ls\n", " config\n");
	EXPECT(fd, "cat /config\n", "v1\nok 3 bytes\n");
	EXPECT(fd, "cat /nothere\n", "error: cat: /nothere: no such file\n");
	FILE *f = fopen(strcat(strcpy((char[400]){ 0 }, root), "/config"), "w");
	if (f) {
		fputs("v2\n", f);
		fclose(f);
	}
	EXPECT(fd, "kill HUP\n", "ok SIGHUP delivered");
	EXPECT(fd, "kill TERM\n", "error: kill: only HUP, USR1 and USR2");
	EXPECT(fd, "stats\n", "platform: linux");
	EXPECT(fd, "bpf_exec exec.o sum 1 2 3\n", "r0 = 6 (0x6)\nok sum:");
	EXPECT(fd, "bpf_exec faulty.o peek 16\n",
	       "invalid load of 8 bytes at 0x10");
	EXPECT(fd, "bpf_map_get .bss 0\n", "6\nok\n");
	EXPECT(fd, "bpf_attach main exec.o count\n",
	       "-fpatchable-function-entry=5,0");
	EXPECT(fd, "bpf_exec symbol.o read_var\n", "r0 = 4242 (0x1092)\nok");
	EXPECT(fd, "load ticks.o\n", "ok loaded ticks");
	char *r = cmd(fd, "run ticks\n");
	T_CHECK(r && strstr(r, "ok ticks returned "), "native reads app_ticks: [%s]",
		r ? r : "");
	EXPECT(fd, "frob\n", "error: unknown command 'frob'");
	EXPECT(fd, "\001\002\n", "error: binary data at column 1");
	/* Leave in the middle of a long reply. */
	send(fd, "help\nhelp\nhelp\n", 15, MSG_NOSIGNAL);
	close(fd);
	fd = dial();
	EXPECT(fd, "echo back\n", "back\nok\n");
	EXPECT(fd, "quit\n", "ok bye\n");
	close(fd);
	atomic_store(&client_done, 1);
	return NULL;
}

/* ---- main: set up, re-run with the platform's environment --------------- */

static int copy(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[1 << 16];
	size_t n = a ? fread(buf, 1, sizeof buf, a) : 0;
	if (b)
		fwrite(buf, 1, n, b);
	if (a)
		fclose(a);
	if (b)
		fclose(b);
	return a && b ? 0 : -1;
}

static int setup_and_rerun(char **argv)
{
	char top[] = "/tmp/graft-ovlp-XXXXXX";
	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof root, "%s/root", top);
	snprintf(sock, sizeof sock, "%s/console.sock", top);
	mkdir(root, 0700);
	const char *b = getenv("BUILD");
	b = b && *b ? b : "build";
	char from[400], to[400];
	static const char *const objs[][2] = {
		{ "overlay_bpf", "exec.o" }, { "overlay_bpf", "faulty.o" },
		{ "overlay_bpf", "symbol.o" },
		{ "overlay_native", "ticks.o" },
	};
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
		snprintf(from, sizeof from, "%s/%s/%s", b, objs[i][0], objs[i][1]);
		snprintf(to, sizeof to, "%s/%s", root, objs[i][1]);
		if (copy(from, to)) {
			printf("FAIL setup: %s missing\n0 passed, 1 failed\n", from);
			return 1;
		}
	}
	snprintf(to, sizeof to, "%s/config", root);
	copy("/dev/null", to);
	FILE *f = fopen(to, "w");
	if (f) {
		fputs("v1\n", f);
		fclose(f);
	}
	setenv("GRAFT_CONSOLE", sock, 1);
	setenv("GRAFT_ROOT", root, 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
		snprintf(to, sizeof to, "%s/%s", root, objs[i][1]);
		unlink(to);
	}
	snprintf(to, sizeof to, "%s/config", root);
	unlink(to);
	rmdir(root);
	unlink(sock);
	rmdir(top);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("GRAFT_CONSOLE"))
		return setup_and_rerun(argv);
	snprintf(sock, sizeof sock, "%s", getenv("GRAFT_CONSOLE"));
	snprintf(root, sizeof root, "%s", getenv("GRAFT_ROOT"));
	signal(SIGHUP, on_hup);
	app_reload();
	struct ovl_console_opts o = { .alloc = { t_alloc, t_free, NULL } };
	struct ovl_console *con = NULL;
	struct graft_err err;
	T_CHECK(!ovl_console_start(&con, &o, &err), "console started: %s", err.msg);
	if (!con)
		return t_done();
	pthread_t cl;
	pthread_create(&cl, NULL, client, NULL);
	/* The application: ticks every millisecond, yielding to the console. */
	uint64_t deadline = gp_now_ns() + 60000000000ull;
	unsigned after = 0; /* ticks after the client finished */
	while (after < 20 && gp_now_ns() < deadline) {
		after += atomic_load(&client_done) != 0;
		app_ticks++;
		if (app_hup) {
			app_hup = 0;
			app_reload();
		}
		gp_sleep_ns(1000000);
	}
	pthread_join(cl, NULL);
	unsigned long ticks_during = app_ticks - 20;
	ovl_console_stop(con);
	T_CHECK(app_reloads == 2 && !strcmp(app_config, "v2\n"),
		"app reloaded its config on SIGHUP: %u reloads, [%s]", app_reloads,
		app_config);
	T_CHECK(ticks_during > 0, "app kept running during the session: %lu ticks",
		ticks_during);
	printf("platform: console thread beside a ticking app on %s: files, "
	       "kill HUP, stats, bpf_exec, a variable read by symbol, faulty program, native program by "
	       "symbol, garbage, client leaving; app ticked %lu times meanwhile\n",
	       gp_name(), ticks_during);
	return t_done();
}
