/*
 * Native programs on the console: load (link, cached by content hash),
 * run (on the console's thread, isolated by the host where it can) and
 * unload. A program's `overlay_puts` goes to the console of the command
 * running it, through a thunk in the program's own image that passes this
 * module's state, so there is no global.
 */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "native_internal.h"

struct native_slot {
	bool used;
	char name[64];
	uint64_t hash, len, runs;
	struct native_prog p;
};

/*
 * Images of unloaded programs are kept mapped (up to NATIVE_SPARES, each up
 * to NATIVE_SPARE_MAX bytes) and reused by the next load: fresh pages cost
 * a map, a page fault per page and an unmap with its TLB shootdown, each
 * tens of microseconds on a virtual machine. A reused image is made
 * read-write (never writable and executable at once), zeroed, linked and
 * sealed again.
 */
#define NATIVE_SPARES 4
#define NATIVE_SPARE_MAX (1u << 20)

struct spare {
	uint8_t *base;
	uint64_t size;
};

struct ovl_native {
	struct ovl_native_host host;
	struct graft_alloc alloc;
	struct native_slot progs[OVL_NATIVE_MAX];
	struct spare spare[NATIVE_SPARES];
	struct spare got;        /* what alloc_pages handed out last */
	bool got_spare;          /* ... from spare[] (already read-write) */
	struct ovl_out *out;     /* of the command running a program */
	uint64_t loads, cached, runs;
	uint64_t scratch[2 * NATIVE_MAX_SYMS];
};

static uint64_t now(struct ovl_native *n)
{
	return n->host.now_ns ? n->host.now_ns(n->host.ud) : 0;
}

static void native_puts(const char *s, struct ovl_native *n)
{
	/* Called from inside an isolated run: the output buffer is the
	 * application's memory, so the protection is lifted meanwhile. */
	uint64_t t = n->host.suspend ? n->host.suspend(n->host.ud) : 0;
	if (n->out && s)
		ovl_write(n->out, s, strnlen(s, 65536));
	if (n->host.resume)
		n->host.resume(n->host.ud, t);
}

static uint64_t lookup(void *ud, const char *name, const struct native_prog *p)
{
	struct ovl_native *n = ud;
	if (!strcmp(name, "overlay_puts"))
		return (uint64_t)(uintptr_t)(p->base + p->thunk_off);
	return n->host.sym_addr ? n->host.sym_addr(n->host.ud, name) : 0;
}

/* The smallest spare that fits, made writable and zeroed (as fresh
 * pages are); else fresh pages. */
static void *alloc_pages(void *ud, size_t len)
{
	struct ovl_native *n = ud;
	struct spare *best = NULL;
	for (unsigned i = 0; i < NATIVE_SPARES; i++) {
		struct spare *sp = &n->spare[i];
		if (sp->base && sp->size >= len && (!best || sp->size < best->size))
			best = sp;
	}
	n->got_spare = false;
	if (best) {
		n->got = *best;
		best->base = NULL;
		if (!n->host.pages_protect(n->host.ud, n->got.base, n->got.size,
					   OVL_PROT_R | OVL_PROT_W)) {
			memset(n->got.base, 0, n->got.size);
			n->got_spare = true;
			return n->got.base;
		}
		n->host.pages_free(n->host.ud, n->got.base, n->got.size);
	}
	n->got.base = n->host.pages_alloc(n->host.ud, len);
	n->got.size = len;
	return n->got.base;
}

static void spare_put(struct ovl_native *n, uint8_t *base, uint64_t size)
{
	struct spare *sp = NULL;
	for (unsigned i = 0; i < NATIVE_SPARES && !sp; i++)
		if (!n->spare[i].base)
			sp = &n->spare[i];
	if (!sp || size > NATIVE_SPARE_MAX) {
		n->host.pages_free(n->host.ud, base, size);
		return;
	}
	*sp = (struct spare){ base, size };
}

static void slot_free(struct ovl_native *n, struct native_slot *s)
{
	if (s->p.base)
		spare_put(n, s->p.base, s->p.size);
	memset(s, 0, sizeof *s);
}

/* `mov rsi, n; mov rax, native_puts; jmp rax`: puts(s) with our state. */
static void write_thunk(struct ovl_native *n, struct native_prog *p)
{
	uint8_t *t = p->base + p->thunk_off;
	uint64_t self = (uint64_t)(uintptr_t)n;
	uint64_t fn = (uint64_t)(uintptr_t)native_puts;
	t[0] = 0x48, t[1] = 0xbe;
	memcpy(t + 2, &self, 8);
	t[10] = 0x48, t[11] = 0xb8;
	memcpy(t + 12, &fn, 8);
	t[20] = 0xff, t[21] = 0xe0;
}

/*
 * Code read+exec, read-only data read, the rest read+write. Taking write
 * away is what costs (a TLB shootdown), so code and read-only data lose it
 * in one call and the code then gains exec (no shootdown). The writable
 * group of a reused image is read-write already, through the same host
 * call (protection key included).
 */
static enum graft_status seal(struct ovl_native *n, struct native_prog *p,
			      bool data_rw, struct graft_err *err)
{
	void *ud = n->host.ud;
	uint64_t code = p->group_off[1] - p->group_off[0];
	uint64_t ro = p->group_off[2] - p->group_off[0];
	uint64_t rw = p->size - p->group_off[2];
	int bad = 0;
	if (ro > code)
		bad |= n->host.pages_protect(ud, p->base + p->group_off[0], ro,
					     OVL_PROT_R);
	if (code)
		bad |= n->host.pages_protect(ud, p->base + p->group_off[0], code,
					     OVL_PROT_R | OVL_PROT_X);
	if (rw && !data_rw)
		bad |= n->host.pages_protect(ud, p->base + p->group_off[2], rw,
					     OVL_PROT_R | OVL_PROT_W);
	return bad ? graft_errf(err, GRAFT_EIO, "cannot protect the image")
		   : GRAFT_OK;
}

static void name_of(const char *path, char *out, size_t cap)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t k = strlen(b);
	if (k > 2 && !strcmp(b + k - 2, ".o"))
		k -= 2;
	snprintf(out, cap, "%.*s", (int)(k < cap - 1 ? k : cap - 1), b);
}

static struct native_slot *find(struct ovl_native *n, const char *name)
{
	for (unsigned i = 0; i < OVL_NATIVE_MAX; i++)
		if (n->progs[i].used && !strcmp(n->progs[i].name, name))
			return &n->progs[i];
	return NULL;
}

static enum graft_status cmd_load(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err)
{
	struct ovl_native *n = ud;
	void *data = NULL;
	size_t len = 0;
	char name[64];
	(void)argc;
	uint64_t t0 = now(n);
	if (n->host.read_file(n->host.ud, argv[1], &n->alloc, &data, &len, err))
		return err->status;
	name_of(argv[1], name, sizeof name);
	uint64_t h = ovl_hash64(data, len);
	struct native_slot *s = find(n, name);
	if (s && s->hash == h && s->len == len) {
		n->alloc.free(n->alloc.ud, data);
		n->cached++;
		ovl_ok(out, "%s cached (same content), %llu ns", name,
		       (unsigned long long)(now(n) - t0));
		return GRAFT_OK;
	}
	if (s)
		slot_free(n, s);
	for (unsigned i = 0; i < OVL_NATIVE_MAX && !s; i++)
		if (!n->progs[i].used)
			s = &n->progs[i];
	if (!s) {
		n->alloc.free(n->alloc.ud, data);
		return graft_errf(err, GRAFT_ENOMEM, "all %d program slots in use",
				  OVL_NATIVE_MAX);
	}
	struct native_resolver r = { n, lookup, alloc_pages };
	struct graft_err e = { GRAFT_OK, "" };
	n->got.base = NULL;
	enum graft_status st = native_link(&s->p, data, len, &r, n->scratch, &e);
	n->alloc.free(n->alloc.ud, data);
	if (s->p.base && s->p.base == n->got.base)
		s->p.size = n->got.size; /* a spare may be larger */
	if (!st) {
		write_thunk(n, &s->p);
		st = seal(n, &s->p, n->got_spare, &e);
	}
	if (st) {
		slot_free(n, s);
		return graft_errf(err, st, "%s: %s", argv[1], e.msg);
	}
	s->used = true;
	snprintf(s->name, sizeof s->name, "%s", name);
	s->hash = h;
	s->len = len;
	n->loads++;
	ovl_ok(out, "loaded %s: %llu bytes of code, %u relocations, %u imports, "
	       "%llu ns", name,
	       (unsigned long long)(s->p.group_end[0] - s->p.group_off[0]),
	       s->p.nrelocs, s->p.nimports, (unsigned long long)(now(n) - t0));
	return GRAFT_OK;
}

static enum graft_status cmd_run(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	struct ovl_native *n = ud;
	struct native_slot *s = find(n, argv[1]);
	if (!s)
		return graft_errf(err, GRAFT_ENOENT, "no program '%.64s' loaded",
				  argv[1]);
	char *args[OVL_MAX_ARGS + 1];
	for (int i = 1; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = NULL;
	int (*entry)(int, char **);
	uint64_t e = s->p.entry;
	memcpy(&entry, &e, sizeof entry);
	int ret = 0;
	const char *iso = "none";
	n->out = out;
	uint64_t t0 = now(n);
	enum graft_status st = GRAFT_OK;
	if (n->host.call)
		st = n->host.call(n->host.ud, entry, argc - 1, args, &ret, &iso, err);
	else
		ret = entry(argc - 1, args);
	uint64_t ns = now(n) - t0;
	n->out = NULL;
	s->runs++;
	n->runs++;
	if (st)
		return err->status;
	ovl_ok(out, "%s returned %d in %llu ns (isolation: %s)", s->name, ret,
	       (unsigned long long)ns, iso);
	return GRAFT_OK;
}

static enum graft_status cmd_unload(void *ud, int argc, char *const *argv,
				    struct ovl_out *out, struct graft_err *err)
{
	struct ovl_native *n = ud;
	(void)argc;
	struct native_slot *s = find(n, argv[1]);
	if (!s)
		return graft_errf(err, GRAFT_ENOENT, "no program '%.64s' loaded",
				  argv[1]);
	slot_free(n, s);
	ovl_ok(out, "unloaded %s", argv[1]);
	return GRAFT_OK;
}

enum graft_status ovl_native_create(struct ovl_native **out,
				    const struct ovl_native_host *host,
				    const struct graft_alloc *alloc,
				    struct graft_err *err)
{
	*out = NULL;
	if (!host->read_file || !host->pages_alloc || !host->pages_protect ||
	    !host->pages_free)
		return graft_errf(err, GRAFT_EINVAL,
				  "native programs need file and page services");
	struct ovl_native *n = alloc->alloc(alloc->ud, sizeof *n);
	if (!n)
		return graft_errf(err, GRAFT_ENOMEM, "native program state");
	memset(n, 0, sizeof *n);
	n->host = *host;
	n->alloc = *alloc;
	*out = n;
	return GRAFT_OK;
}

void ovl_native_free(struct ovl_native *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < OVL_NATIVE_MAX; i++)
		if (n->progs[i].used || n->progs[i].p.base)
			slot_free(n, &n->progs[i]);
	for (unsigned i = 0; i < NATIVE_SPARES; i++)
		if (n->spare[i].base)
			n->host.pages_free(n->host.ud, n->spare[i].base,
					   n->spare[i].size);
	n->alloc.free(n->alloc.ud, n);
}

void ovl_native_services(struct ovl_native *n, struct ovl_services *svc)
{
	svc->load = (struct ovl_service){ cmd_load, n };
	svc->run = (struct ovl_service){ cmd_run, n };
	svc->unload = (struct ovl_service){ cmd_unload, n };
}
