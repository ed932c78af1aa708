/*
 * The overlay on a graft platform (graft/platform.h): a cooperative context
 * thread beside the application serves the console channel, one client
 * after another, with the platform's files, signals, memory figures and
 * symbols, and graft's eBPF and native program services.
 *
 * bpf_attach patches function entries through lib/overlay/entry.c
 * (functions built with -fpatchable-function-entry=5,0); native programs
 * run through gp_call_isolated (protection keys where the platform has
 * them, and a fault inside is an error, not a crash).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "graft/platform.h"
#include "graft/overlay.h"

struct ovl_console {
	struct ovl_console_opts opts;
	struct ovl_services svc;
	struct ovl_session sess;
	struct ovl_bpf *bpf;
	struct ovl_native *nat;
	struct ovl_entry *entry;
	struct gp_thread *thr;
	volatile bool stop;
	bool connected;
	uint64_t sessions, requests, errors;
};

/* ---- files ------------------------------------------------------------ */

/* The platform's namespace is absolute: "log" means "/log". */
static const char *abs_path(const char *p, char *buf, size_t cap)
{
	if (p[0] == '/')
		return p;
	snprintf(buf, cap, "/%s", p);
	return buf;
}

static enum graft_status gp_status(int rc, const char *what,
				   struct graft_err *err)
{
	switch (rc) {
	case -ENOENT:
		return graft_errf(err, GRAFT_ENOENT, "%s: no such file", what);
	case -ENOTDIR:
		return graft_errf(err, GRAFT_EINVAL, "%s: not a directory", what);
	case -EISDIR:
		return graft_errf(err, GRAFT_EINVAL, "%s: is a directory", what);
	default:
		return graft_errf(err, GRAFT_EIO, "%s: error %d", what, -rc);
	}
}

struct ls_ctx {
	struct ovl_out *out;
	const char *dir;
	unsigned n;
};

static int ls_one(void *ud, const char *name, int is_dir)
{
	struct ls_ctx *c = ud;
	char path[512];
	struct gp_stat st = { 0, is_dir };
	snprintf(path, sizeof path, "%s/%s", strcmp(c->dir, "/") ? c->dir : "",
		 name);
	gp_stat(path, &st);
	ovl_printf(c->out, "%10llu %s%s\n", (unsigned long long)st.size, name,
		   is_dir ? "/" : "");
	c->n++;
	return 0;
}

static enum graft_status cmd_ls(void *ud, int argc, char *const *argv,
				struct ovl_out *out, struct graft_err *err)
{
	char pb[512];
	struct ls_ctx c = { out, abs_path(argc > 1 ? argv[1] : "/", pb, sizeof pb),
			    0 };
	(void)ud;
	int rc = gp_readdir(c.dir, ls_one, &c);
	if (rc < 0)
		return gp_status(rc, c.dir, err);
	ovl_ok(out, "%u entries", c.n);
	return GRAFT_OK;
}

static enum graft_status cmd_cat(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	char buf[2048], pb[512];
	(void)ud, (void)argc;
	int h = gp_open(abs_path(argv[1], pb, sizeof pb), GP_O_READ);
	if (h < 0)
		return gp_status(h, argv[1], err);
	ssize_t n;
	uint64_t total = 0;
	while ((n = gp_read(h, buf, sizeof buf)) > 0) {
		ovl_write(out, buf, (size_t)n);
		total += (uint64_t)n;
	}
	gp_close(h);
	if (n < 0)
		return gp_status((int)n, argv[1], err);
	ovl_ok(out, "%llu bytes", (unsigned long long)total);
	return GRAFT_OK;
}

/* For the eBPF and native program services: a whole file. */
static enum graft_status read_file(void *ud, const char *path,
				   const struct graft_alloc *a, void **data,
				   size_t *len, struct graft_err *err)
{
	struct gp_stat st;
	char pb[512];
	(void)ud;
	path = abs_path(path, pb, sizeof pb);
	int rc = gp_stat(path, &st);
	if (rc < 0)
		return gp_status(rc, path, err);
	if (st.is_dir || st.size > (64u << 20))
		return graft_errf(err, GRAFT_EINVAL, "%s: not a file of at most 64 MiB",
				  path);
	int h = gp_open(path, GP_O_READ);
	if (h < 0)
		return gp_status(h, path, err);
	uint8_t *buf = a->alloc(a->ud, st.size + 1);
	size_t got = 0;
	ssize_t n = 0;
	while (buf && got < st.size &&
	       (n = gp_read(h, buf + got, st.size - got)) > 0)
		got += (size_t)n;
	gp_close(h);
	if (!buf)
		return graft_errf(err, GRAFT_ENOMEM, "%s: no memory", path);
	if (n < 0 || got != st.size) {
		a->free(a->ud, buf);
		return graft_errf(err, GRAFT_EIO, "%s: short read", path);
	}
	*data = buf;
	*len = got;
	return GRAFT_OK;
}

/* ---- signals, stats, symbols, pages ------------------------------------ */

static enum graft_status cmd_kill(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err)
{
	int sig;
	(void)ud, (void)argc;
	if (ovl_parse_signal(argv[1], &sig, err))
		return err->status;
	/*
	 * gp_raise runs the handler, but on Linux a signal without one ends
	 * the process: only the reconfiguration signals, which applications
	 * catch, are sent.
	 */
	if (sig != 1 && sig != 10 && sig != 12)
		return graft_errf(err, GRAFT_EPERM,
				  "only HUP, USR1 and USR2 are sent to the application");
	int rc = gp_raise(sig);
	if (rc < 0)
		return graft_errf(err, GRAFT_EIO, "SIG%s: error %d",
				  ovl_signal_name(sig), -rc);
	ovl_ok(out, "SIG%s delivered to the application's handler",
	       ovl_signal_name(sig));
	return GRAFT_OK;
}

static enum graft_status cmd_stats(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err)
{
	struct ovl_console *c = ud;
	struct gp_mem_stats m;
	(void)argc, (void)argv, (void)err;
	gp_mem_stats(&m);
	ovl_printf(out, "platform: %s, up %llu ms\n", gp_name(),
		   (unsigned long long)(gp_now_ns() / 1000000));
	ovl_printf(out, "memory: %llu KiB used of %llu KiB, heap %llu KiB\n",
		   (unsigned long long)(m.used >> 10),
		   (unsigned long long)(m.total >> 10),
		   (unsigned long long)(m.heap >> 10));
	ovl_printf(out, "console: %llu sessions, %llu requests, %llu errors\n",
		   (unsigned long long)c->sessions,
		   (unsigned long long)(c->requests + c->sess.stats.requests),
		   (unsigned long long)(c->errors + c->sess.stats.errors));
	ovl_printf(out, "protection keys: %s\n",
		   gp_isolation_key() >= 0 ?
		   "native programs run with the application's memory read-only (PKU)" :
		   gp_pkey_supported() ?
		   "the CPU has them, this platform does not isolate with them "
		   "(isolation: none); faults in native programs are caught" :
		   "not available on this CPU (isolation: none); faults in "
		   "native programs are caught");
	return GRAFT_OK;
}

static uint64_t sym_addr(void *ud, const char *name)
{
	uintptr_t a = 0;
	(void)ud;
	return gp_sym_lookup(name, &a, NULL) ? 0 : (uint64_t)a;
}

static uint64_t sym_size(void *ud, const char *name)
{
	uintptr_t a = 0;
	size_t size = 0;
	(void)ud;
	return gp_sym_lookup(name, &a, &size) ? 0 : (uint64_t)size;
}

static enum graft_status hook(void *ud, uint64_t addr, uint32_t site, bool on,
			      struct graft_err *err)
{
	struct ovl_console *c = ud;
	return ovl_entry_hook(c->entry, addr, site, on, err);
}

static uint64_t now_ns(void *ud)
{
	(void)ud;
	return gp_now_ns();
}

static void *pages_alloc(void *ud, size_t len)
{
	(void)ud;
	return gp_pages_alloc(len, GP_PROT_READ | GP_PROT_WRITE);
}

/* A native program's pages join the isolated domain where there is one. */
static int pages_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud;
	int gp = (prot & OVL_PROT_R ? GP_PROT_READ : 0) |
		 (prot & OVL_PROT_W ? GP_PROT_WRITE : 0) |
		 (prot & OVL_PROT_X ? GP_PROT_EXEC : 0);
	int key = gp_isolation_key();
	return key >= 0 ? gp_pkey_protect(p, len, gp, key) :
			  gp_pages_protect(p, len, gp);
}

static uint64_t iso_suspend(void *ud)
{
	(void)ud;
	return gp_isolation_suspend();
}

static void iso_resume(void *ud, uint64_t token)
{
	(void)ud;
	gp_isolation_resume(token);
}

static enum graft_status isolated_call(void *ud, int (*entry)(int, char **),
				       int argc, char **argv, int *ret,
				       const char **isolation,
				       struct graft_err *err)
{
	struct gp_fault f;
	(void)ud;
	if (!gp_call_isolated(entry, argc, argv, ret, isolation, &f))
		return GRAFT_OK;
	if (f.vector == 14)
		return graft_errf(err, GRAFT_EFAULT,
				  "stopped by a page fault: %s of 0x%llx%s at pc 0x%llx "
				  "(isolation: %s); the application goes on",
				  f.error & 16 ? "fetch" : f.error & 2 ? "write" : "read",
				  (unsigned long long)f.addr,
				  f.error & 32 ? " (protection key: application memory "
						 "is read-only)" : "",
				  (unsigned long long)f.pc, *isolation);
	return graft_errf(err, GRAFT_EFAULT,
			  "stopped by exception %d at pc 0x%llx (isolation: %s); "
			  "the application goes on", f.vector,
			  (unsigned long long)f.pc, *isolation);
}

static void pages_free(void *ud, void *p, size_t len)
{
	(void)ud;
	gp_pages_free(p, len);
}

/* ---- the context thread ------------------------------------------------ */

static long chan_read(void *ud, void *buf, size_t n)
{
	(void)ud, (void)buf, (void)n;
	return 0; /* the thread reads; sessions are fed */
}

static int chan_write(void *ud, const void *buf, size_t n)
{
	(void)ud;
	return gp_console_write(buf, n) < 0 ? -1 : 0;
}

static void new_session(struct ovl_console *c)
{
	static const struct ovl_chan chan = { NULL, chan_read, chan_write };
	c->requests += c->sess.stats.requests;
	c->errors += c->sess.stats.errors;
	ovl_session_init(&c->sess, &chan, &c->svc);
	c->sessions++;
}

/*
 * force_align_arg_pointer: the Linux platform's thread entry currently
 * starts threads with a misaligned stack, and libc's SSE code (fscanf in
 * gp_mem_stats) faults on it; realigning here costs nothing elsewhere.
 */
__attribute__((force_align_arg_pointer)) static void console_main(void *arg)
{
	struct ovl_console *c = arg;
	char buf[2048];
	while (!c->stop) {
		ssize_t n = gp_console_read(buf, sizeof buf,
					    gp_now_ns() + 200000000ull);
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0) {
			/* The client left (or none came): the next is new. */
			c->connected = false;
			if (n != -ENOTCONN)
				gp_sleep_ns(50000000ull);
			continue;
		}
		if (!c->connected) {
			new_session(c);
			c->connected = true;
		}
		/* After quit, input is ignored until the client hangs up. */
		if (!c->sess.closed)
			ovl_session_feed(&c->sess, buf, (size_t)n);
		/* A failed write means the platform dropped the client: what
		 * comes next is from a new one. */
		if (c->sess.out.gone)
			c->connected = false;
	}
}

enum graft_status ovl_console_start(struct ovl_console **out,
				    const struct ovl_console_opts *opts,
				    struct graft_err *err)
{
	*out = NULL;
	if (!gp_console_available())
		return graft_errf(err, GRAFT_ENOTSUP, "no console channel");
	const struct graft_alloc *a = &opts->alloc;
	struct ovl_console *c = a->alloc(a->ud, sizeof *c);
	if (!c)
		return graft_errf(err, GRAFT_ENOMEM, "overlay console state");
	memset(c, 0, sizeof *c);
	c->opts = *opts;
	c->svc.ls = (struct ovl_service){ cmd_ls, c };
	c->svc.cat = (struct ovl_service){ cmd_cat, c };
	c->svc.kill = (struct ovl_service){ cmd_kill, c };
	c->svc.stats = (struct ovl_service){ cmd_stats, c };
	struct ovl_bpf_opts bo = {
		.host = { c, read_file, now_ns, sym_addr, hook, sym_size },
		.alloc = *a,
		.prog_flags = opts->prog_flags,
	};
	struct ovl_native_host nh = {
		.ud = c, .read_file = read_file, .sym_addr = sym_addr,
		.now_ns = now_ns, .pages_alloc = pages_alloc,
		.pages_protect = pages_protect, .pages_free = pages_free,
		.call = isolated_call, .suspend = iso_suspend, .resume = iso_resume,
	};
	if (ovl_entry_create(&c->entry, a, err) ||
	    ovl_bpf_create(&c->bpf, &bo, err) ||
	    ovl_native_create(&c->nat, &nh, a, err)) {
		ovl_console_stop(c);
		return err->status;
	}
	ovl_entry_bind(c->entry, c->bpf);
	ovl_bpf_services(c->bpf, &c->svc);
	ovl_native_services(c->nat, &c->svc);
	c->thr = gp_thread_create(console_main, c, 256 << 10, "overlay");
	if (!c->thr) {
		ovl_console_stop(c);
		return graft_errf(err, GRAFT_ENOMEM, "no thread for the console");
	}
	*out = c;
	return GRAFT_OK;
}

void ovl_console_stop(struct ovl_console *c)
{
	if (!c)
		return;
	c->stop = true;
	if (c->thr)
		gp_thread_join(c->thr);
	ovl_bpf_free(c->bpf);
	ovl_entry_free(c->entry);
	ovl_native_free(c->nat);
	c->opts.alloc.free(c->opts.alloc.ud, c);
}
