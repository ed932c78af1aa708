/*
 * libFuzzer target: the overlay's request parser and command layer. The
 * input is fed as console bytes (split at a point the input chooses) to a
 * session whose services check what the command layer promised them: the
 * argument count is in range and every word is NUL-free printable text.
 * Every request must get exactly one status line, and every reply line
 * must be text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
