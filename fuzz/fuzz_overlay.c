/*
 * libFuzzer target: the overlay's request parser and command layer, and
 * (for inputs that start like an ELF file) the native program linker. The
 * input is fed as console bytes (split at a point the input chooses) to a
 * session whose services check what the command layer promised them: the
 * argument count is in range and every word is NUL-free printable text.
 * Every request must get exactly one status line, and every reply line
 * must be text. An ELF input is loaded with `load` (never run): it must be
 * linked or refused, and its pages freed either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graft/overlay.h"

struct sink {
	uint8_t buf[1 << 16];
	size_t len;
	uint64_t total;
};

static int sink_write(void *ud, const void *p, size_t n)
{
	struct sink *s = ud;
	const uint8_t *b = p;
	s->total += n;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];
		/* Replies are text: control bytes went out as \xHH. */
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			abort();
	}
	if (s->len + n <= sizeof s->buf) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
	}
	return 0;
}

static long no_read(void *ud, void *p, size_t n)
{
	(void)ud, (void)p, (void)n;
	return 0;
}

static enum graft_status svc_any(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	(void)ud;
	if (argc < 1 || argc > OVL_MAX_ARGS)
		abort();
	for (int i = 0; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				abort();
		ovl_printf(out, "%s\n", argv[i]);
	}
	uint8_t key[12];
	if (argc > 2 && ovl_parse_bytes(argv[2], key, sizeof key, err))
		return err->status;
	return GRAFT_OK;
}

/* ---- the native linker: "load x.o" where x.o is the input ---------- */

static const uint8_t *elf_data;
static size_t elf_len;
static long live_pages;

static enum graft_status f_read(void *ud, const char *path,
				const struct graft_alloc *a, void **data,
				size_t *len, struct graft_err *err)
{
	(void)ud, (void)path, (void)err;
	*data = a->alloc(a->ud, elf_len + 1);
	if (!*data)
		return GRAFT_ENOMEM;
	memcpy(*data, elf_data, elf_len);
	*len = elf_len;
	return GRAFT_OK;
}

static uint64_t f_sym(void *ud, const char *name)
{
	(void)ud;
	return name[0] == 'a' ? 0x1000 : 0; /* some symbols exist */
}

static void *f_pages(void *ud, size_t len)
{
	(void)ud;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	live_pages++;
	return p;
}

static int f_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud, (void)p, (void)len, (void)prot;
	return 0; /* stays writable: nothing runs */
}

static void f_pages_free(void *ud, void *p, size_t len)
{
	(void)ud;
	munmap(p, len);
	live_pages--;
}

static void *f_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void f_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static void fuzz_native(const uint8_t *data, size_t size)
{
	static struct ovl_native *n;
	static struct ovl_services nsvc;
	static struct sink nsink;
	static struct ovl_session ns;
	if (!n) {
		struct ovl_native_host h = {
			.read_file = f_read, .sym_addr = f_sym,
			.pages_alloc = f_pages, .pages_protect = f_protect,
			.pages_free = f_pages_free,
		};
		struct graft_alloc a = { f_alloc, f_free, NULL };
		if (ovl_native_create(&n, &h, &a, NULL))
			abort();
		ovl_native_services(n, &nsvc);
	}
	elf_data = data;
	elf_len = size;
	nsink.len = 0;
	struct ovl_chan c = { &nsink, no_read, sink_write };
	ovl_session_init(&ns, &c, &nsvc);
	static const char cmd[] = "load x.o\nunload x\n";
	ovl_session_feed(&ns, cmd, sizeof cmd - 1);
	/* freed, or one of at most 4 unloaded images kept for reuse */
	if (ns.stats.requests != 2 || live_pages < 0 || live_pages > 4)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && !memcmp(data, "\177ELF", 4)) {
		fuzz_native(data, size);
		return 0;
	}
	static struct ovl_session s;
	static struct sink sink;
	static struct ovl_services svc;
	if (!svc.ls.fn) {
#define SET(name, min, max, usage, help) svc.name.fn = svc_any;
		OVL_COMMANDS(SET)
#undef SET
		svc.quit.fn = NULL; /* keep the session open for the whole input */
	}
	sink.len = 0;
	struct ovl_chan c = { &sink, no_read, sink_write };
	ovl_session_init(&s, &c, &svc);
	size_t cut = size ? data[0] % (size + 1) : 0;
	ovl_session_feed(&s, data, cut);
	ovl_session_feed(&s, data + cut, size - cut);
	size_t newlines = 0;
	for (size_t i = 0; i < size; i++)
		newlines += data[i] == '\n';
	if (s.stats.requests != newlines && !s.closed)
		abort();
	/* Count status lines in what was kept (all of it for small inputs). */
	if (sink.len == sink.total) {
		uint64_t status = 0;
		size_t start = 0;
		for (size_t i = 0; i < sink.len; i++) {
			if (sink.buf[i] != '\n')
				continue;
			const char *l = (const char *)sink.buf + start;
			size_t n = i - start;
			if ((n >= 2 && !memcmp(l, "ok", 2) && (n == 2 || l[2] == ' ')) ||
			    (n >= 7 && !memcmp(l, "error: ", 7)))
				status++;
			start = i + 1;
		}
		if (status != s.stats.requests || start != sink.len)
			abort();
	}
	return 0;
}
