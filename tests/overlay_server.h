/*
 * tests/overlay_server.h — a Linux-process test bed for the overlay: a
 * small "application" thread that answers requests on a socketpair and
 * reloads its config on SIGHUP, and an overlay server thread that serves
 * lib/overlay sessions on a unix socket, one client at a time (as the
 * unikernel's single context thread does). Shared by the overlay tests and
 * bench/overlay_rt.c; the services are POSIX stand-ins for the platform's
 * (files in a directory, signals to this process), plus graft's eBPF
 * and native program services over POSIX hosts. The app's request handler
 * is traceable: a stand-in for the unikernel's patched entry calls
 * ovl_bpf_enter when something is attached, under the lock that also
 * serialises console commands (Linux threads preempt; the unikernel's
 * cooperative threads need no lock).
 */
#ifndef GRAFT_TESTS_OVERLAY_SERVER_H
#define GRAFT_TESTS_OVERLAY_SERVER_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "graft/overlay.h"

/* ---- the application ------------------------------------------------- */

static atomic_int tapp_hup;          /* set by the SIGHUP handler */
static atomic_uint_fast64_t tapp_usr1;

static void tapp_on_hup(int sig)
{
	(void)sig;
	atomic_store(&tapp_hup, 1);
}

static void tapp_on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&tapp_usr1, 1);
}

struct tapp {
	int fd[2];            /* fd[0]: the app's end; fd[1]: clients' end */
	char dir[256];        /* its files: config, log */
	atomic_uint_fast64_t served, generation;
	char config[64];
	pthread_t thr;
	pthread_mutex_t lock; /* serialises clients of fd[1] */
	/* tracing: the site hooked on tapp_handle_request, or -1 */
	atomic_int hook_site;
	struct ovl_bpf *bpf;
	pthread_mutex_t *glock; /* the console's lock */
};

/* The app's request handler, traceable by bpf_attach. */
__attribute__((noinline, unused)) static uint64_t
tapp_handle_request(struct tapp *a, char c)
{
	int site = atomic_load(&a->hook_site);
	if (site >= 0) {
		uint64_t args[6] = { (unsigned char)c, (uint64_t)(uintptr_t)a };
		pthread_mutex_lock(a->glock);
		ovl_bpf_enter(a->bpf, (uint32_t)site, args,
			      (uint64_t)(uintptr_t)__builtin_return_address(0));
		pthread_mutex_unlock(a->glock);
	}
	return atomic_fetch_add(&a->served, 1) + 1;
}

static void tapp_load_config(struct tapp *a)
{
	char path[300];
	snprintf(path, sizeof path, "%s/config", a->dir);
	FILE *f = fopen(path, "r");
	a->config[0] = 0;
	if (f) {
		if (!fgets(a->config, sizeof a->config, f))
			a->config[0] = 0;
		a->config[strcspn(a->config, "\n")] = 0;
		fclose(f);
	}
	atomic_fetch_add(&a->generation, 1);
}

/* Answers each request byte with "config generation served". */
static void *tapp_main(void *arg)
{
	struct tapp *a = arg;
	char c, reply[128];
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	for (;;) {
		ssize_t n = read(a->fd[0], &c, 1);
		if (atomic_exchange(&tapp_hup, 0))
			tapp_load_config(a);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == 'q')
			break;
		uint64_t s = tapp_handle_request(a, c);
		int len = snprintf(reply, sizeof reply, "%s %llu %llu\n", a->config,
				   (unsigned long long)atomic_load(&a->generation),
				   (unsigned long long)s);
		if (write(a->fd[0], reply, (size_t)len) != len)
			break;
	}
	return NULL;
}

static int tapp_start(struct tapp *a, const char *dir)
{
	snprintf(a->dir, sizeof a->dir, "%s", dir);
	pthread_mutex_init(&a->lock, NULL);
	atomic_store(&a->hook_site, -1);
	struct sigaction sa = { .sa_handler = tapp_on_hup };
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = tapp_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/*
	 * The app's signals go to the app's thread, as in the unikernel: the
	 * caller (and every thread it starts later) blocks them.
	 */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	tapp_load_config(a);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a->fd))
		return -1;
	return pthread_create(&a->thr, NULL, tapp_main, a) ? -1 : 0;
}

/* One request; fills reply ("config gen served"); 0 when answered. */
__attribute__((unused)) static int tapp_request(struct tapp *a, char *reply, size_t cap)
{
	pthread_mutex_lock(&a->lock);
	int rc = -1;
	struct pollfd p = { a->fd[1], POLLIN, 0 };
	if (write(a->fd[1], "r", 1) == 1 && poll(&p, 1, 2000) == 1) {
		ssize_t n = read(a->fd[1], reply, cap - 1);
		if (n > 0) {
			reply[n] = 0;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static void tapp_stop(struct tapp *a)
{
	if (write(a->fd[1], "q", 1) != 1)
		shutdown(a->fd[1], SHUT_RDWR);
	pthread_join(a->thr, NULL);
	close(a->fd[0]);
	close(a->fd[1]);
}

/* ---- POSIX stand-ins for the platform's services --------------------- */

struct tsrv {
	struct tapp *app;
	int lfd;
	char path[108];
	atomic_int stop;
	pthread_t thr;
	struct ovl_services svc;
	pthread_mutex_t glock;  /* one command or one traced call at a time */
	struct ovl_bpf *bpf;
	struct ovl_native *nat;
	struct ovl_stats total;
	atomic_uint_fast64_t sessions;
};

/* A path inside the app's directory: no "..", no absolute escape. */
static enum graft_status tsrv_path(struct tsrv *s, const char *rel, char *out,
				   size_t cap, struct graft_err *err)
{
	if (strstr(rel, ".."))
		return graft_errf(err, GRAFT_EPERM, "%s: '..' not allowed", rel);
	while (*rel == '/')
		rel++;
	snprintf(out, cap, "%s/%s", s->app->dir, rel);
	return GRAFT_OK;
}

static enum graft_status tsrv_ls(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	char p[512];
	if (tsrv_path(ud, argc > 1 ? argv[1] : "", p, sizeof p, err))
		return err->status;
	DIR *d = opendir(p);
	if (!d)
		return graft_errf(err, GRAFT_ENOENT, "%s: %s",
				  argc > 1 ? argv[1] : "/", strerror(errno));
	struct dirent *e;
	unsigned n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char f[800];
		struct stat st;
		snprintf(f, sizeof f, "%s/%s", p, e->d_name);
		if (stat(f, &st))
			continue;
		ovl_printf(out, "%10lld %s%s\n", (long long)st.st_size, e->d_name,
			   S_ISDIR(st.st_mode) ? "/" : "");
		n++;
	}
	closedir(d);
	ovl_ok(out, "%u entries", n);
	return GRAFT_OK;
}

static enum graft_status tsrv_cat(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err)
{
	char p[512], buf[4096];
	(void)argc;
	if (tsrv_path(ud, argv[1], p, sizeof p, err))
		return err->status;
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return graft_errf(err, GRAFT_ENOENT, "%s: %s", argv[1],
				  strerror(errno));
	ssize_t n;
	uint64_t total = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		ovl_write(out, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	if (n < 0)
		return graft_errf(err, GRAFT_EIO, "%s: read error", argv[1]);
	ovl_ok(out, "%llu bytes", (unsigned long long)total);
	return GRAFT_OK;
}

static enum graft_status tsrv_kill(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err)
{
	int sig;
	(void)ud, (void)argc;
	if (ovl_parse_signal(argv[1], &sig, err))
		return err->status;
	/* Only signals the application handles: never end the process. */
	if (sig != SIGHUP && sig != SIGUSR1)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "the application has no handler for signal %d", sig);
	if (kill(getpid(), sig))
		return graft_errf(err, GRAFT_EIO, "kill: %s", strerror(errno));
	ovl_ok(out, "SIG%s delivered", ovl_signal_name(sig));
	return GRAFT_OK;
}

static enum graft_status tsrv_stats(void *ud, int argc, char *const *argv,
				    struct ovl_out *out, struct graft_err *err)
{
	struct tsrv *s = ud;
	struct rusage ru;
	(void)argc, (void)argv, (void)err;
	getrusage(RUSAGE_SELF, &ru);
	ovl_printf(out, "memory: max rss %ld KiB\n", ru.ru_maxrss);
	ovl_printf(out, "app: %llu requests served, config generation %llu\n",
		   (unsigned long long)atomic_load(&s->app->served),
		   (unsigned long long)atomic_load(&s->app->generation));
	ovl_printf(out, "console: %llu sessions, %llu requests, %llu errors\n",
		   (unsigned long long)atomic_load(&s->sessions),
		   (unsigned long long)s->total.requests,
		   (unsigned long long)s->total.errors);
	ovl_printf(out, "protection keys: not used on the Linux test bed\n");
	return GRAFT_OK;
}

/* ---- the channel and the server thread ------------------------------- */

static long tsrv_read(void *ud, void *buf, size_t n)
{
	int fd = *(int *)ud;
	for (;;) {
		ssize_t k = recv(fd, buf, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		return k;
	}
}

static int tsrv_write(void *ud, const void *buf, size_t n)
{
	int fd = *(int *)ud;
	const char *p = buf;
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

static void *tsrv_main(void *arg)
{
	struct tsrv *s = arg;
	static struct ovl_session sess; /* one server per process */
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) != 1)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct ovl_chan c = { &fd, tsrv_read, tsrv_write };
		atomic_fetch_add(&s->sessions, 1);
		ovl_session_init(&sess, &c, &s->svc);
		char buf[4096];
		long n;
		while ((n = tsrv_read(&fd, buf, sizeof buf)) > 0) {
			pthread_mutex_lock(&s->glock);
			bool open = ovl_session_feed(&sess, buf, (size_t)n);
			pthread_mutex_unlock(&s->glock);
			if (!open)
				break;
		}
		s->total.requests += sess.stats.requests;
		s->total.errors += sess.stats.errors;
		close(fd);
	}
	return NULL;
}

/* ---- POSIX hosts for graft's eBPF and native program services -------- */

static void *tsrv_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void tsrv_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static enum graft_status tsrv_read_file(void *ud, const char *path,
					const struct graft_alloc *a,
					void **data, size_t *len,
					struct graft_err *err)
{
	char p[512];
	if (tsrv_path(ud, path, p, sizeof p, err))
		return err->status;
	int fd = open(p, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return graft_errf(err, GRAFT_ENOENT, "%s: %s", path, strerror(errno));
	}
	*data = a->alloc(a->ud, (size_t)st.st_size + 1);
	ssize_t got = *data ? read(fd, *data, (size_t)st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		if (*data)
			a->free(a->ud, *data);
		return graft_errf(err, GRAFT_EIO, "%s: read error", path);
	}
	*len = (size_t)got;
	return GRAFT_OK;
}

static uint64_t tsrv_now(void *ud)
{
	struct timespec t;
	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The test app's "symbol table". */
static uint64_t tsrv_sym(void *ud, const char *name)
{
	struct tsrv *s = ud;
	if (!strcmp(name, "tapp_handle_request"))
		return (uint64_t)(uintptr_t)tapp_handle_request;
	if (!strcmp(name, "tapp_served"))
		return (uint64_t)(uintptr_t)&s->app->served;
	return 0;
}

static enum graft_status tsrv_hook(void *ud, uint64_t addr, uint32_t site,
				   bool on, struct graft_err *err)
{
	struct tsrv *s = ud;
	if (addr != (uint64_t)(uintptr_t)tapp_handle_request)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "only tapp_handle_request is traceable here");
	atomic_store(&s->app->hook_site, on ? (int)site : -1);
	return GRAFT_OK;
}

static void *tsrv_pages(void *ud, size_t len)
{
	(void)ud;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int tsrv_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud;
	return mprotect(p, len, (prot & OVL_PROT_R ? PROT_READ : 0) |
				(prot & OVL_PROT_W ? PROT_WRITE : 0) |
				(prot & OVL_PROT_X ? PROT_EXEC : 0));
}

static void tsrv_pages_free(void *ud, void *p, size_t len)
{
	(void)ud;
	munmap(p, len);
}

static int tsrv_graft(struct tsrv *s, unsigned prog_flags)
{
	struct graft_alloc a = { tsrv_alloc, tsrv_free, NULL };
	struct ovl_bpf_opts o = {
		.host = { s, tsrv_read_file, tsrv_now, tsrv_sym, tsrv_hook },
		.alloc = a,
		.prog_flags = prog_flags,
	};
	struct ovl_native_host nh = {
		.ud = s, .read_file = tsrv_read_file, .sym_addr = tsrv_sym,
		.now_ns = tsrv_now, .pages_alloc = tsrv_pages,
		.pages_protect = tsrv_protect, .pages_free = tsrv_pages_free,
	};
	struct graft_err err;
	if (ovl_bpf_create(&s->bpf, &o, &err) ||
	    ovl_native_create(&s->nat, &nh, &a, &err)) {
		fprintf(stderr, "overlay server: %s\n", err.msg);
		return -1;
	}
	ovl_bpf_services(s->bpf, &s->svc);
	ovl_native_services(s->nat, &s->svc);
	s->app->bpf = s->bpf;
	s->app->glock = &s->glock;
	return 0;
}

/*
 * Serve on path: files, signals and stats from this server, and with
 * `graft` the eBPF and native program services too (prog_flags: EBPF_F_*).
 */
static int tsrv_start(struct tsrv *s, struct tapp *app, const char *path,
		      bool graft, unsigned prog_flags)
{
	memset(s, 0, sizeof *s);
	s->app = app;
	pthread_mutex_init(&s->glock, NULL);
	s->svc.ls = (struct ovl_service){ tsrv_ls, s };
	s->svc.cat = (struct ovl_service){ tsrv_cat, s };
	s->svc.kill = (struct ovl_service){ tsrv_kill, s };
	s->svc.stats = (struct ovl_service){ tsrv_stats, s };
	if (graft && tsrv_graft(s, prog_flags))
		return -1;
	snprintf(s->path, sizeof s->path, "%s", path);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(s->lfd, 8))
		return -1;
	return pthread_create(&s->thr, NULL, tsrv_main, s) ? -1 : 0;
}

/* Stop serving; the app must be stopped first when graft was on. */
static void tsrv_stop(struct tsrv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->thr, NULL);
	close(s->lfd);
	unlink(s->path);
	ovl_bpf_free(s->bpf);
	ovl_native_free(s->nat);
}

#endif
