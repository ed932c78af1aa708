/*
 * A console session: assembles request lines from whatever bytes arrive,
 * runs each one, and answers each with exactly one reply. A line that is
 * too long is dropped up to its newline and answered with one error, so a
 * client never loses step with its replies.
 */
#include <string.h>

#include "graft/overlay.h"
#include "out.h"

void ovl_session_init(struct ovl_session *s, const struct ovl_chan *chan,
		      const struct ovl_services *svc)
{
	memset(s, 0, sizeof *s);
	s->chan = *chan;
	s->svc = svc;
	s->out.chan = &s->chan;
}

void ovl_session_line(struct ovl_session *s, const char *line, size_t n)
{
	struct graft_err err = { GRAFT_OK, "" };
	char *argv[OVL_MAX_ARGS];
	int argc = 0;
	bool quit = false, known = false;
	const char *cmd = NULL;
	enum graft_status st;

	s->stats.requests++;
	ovl_out_begin(&s->out, &s->chan);
	if (n > OVL_MAX_LINE) {
		st = graft_errf(&err, GRAFT_EINVAL,
				"line longer than %d bytes, ignored", OVL_MAX_LINE);
	} else {
		memcpy(s->scratch, line, n);
		s->scratch[n] = '\0';
		st = ovl_split(s->scratch, n, &argc, argv, &err);
		if (!st && argc > 0 && argv[0][0] != '#') {
			st = ovl_dispatch(s->svc, argc, argv, &s->out, &known,
					  &quit, &err);
			if (known)
				cmd = argv[0];
		}
	}
	if (st)
		s->stats.errors++;
	ovl_out_end(&s->out, st, cmd, err.msg);
	s->stats.bytes_out += s->out.bytes;
	if (quit || s->out.gone)
		s->closed = true;
}

bool ovl_session_feed(struct ovl_session *s, const void *data, size_t n)
{
	const char *p = data;
	s->stats.bytes_in += n;
	for (size_t i = 0; i < n && !s->closed; i++) {
		char c = p[i];
		if (c != '\n') {
			/* Keep one byte past the limit: a '\r' may still come off. */
			if (s->len <= OVL_MAX_LINE)
				s->line[s->len++] = c;
			else
				s->overlong = true;
			continue;
		}
		size_t len = s->len;
		if (len && s->line[len - 1] == '\r')
			len--;
		if (s->overlong)
			len = OVL_MAX_LINE + 1;
		ovl_session_line(s, s->line, len);
		s->len = 0;
		s->overlong = false;
	}
	return !s->closed;
}

enum graft_status ovl_session_serve(struct ovl_session *s)
{
	char buf[4096];
	while (!s->closed) {
		long n = s->chan.read(s->chan.ud, buf, sizeof buf);
		if (n == 0)
			return GRAFT_OK;
		if (n < 0)
			return GRAFT_EIO;
		ovl_session_feed(s, buf, (size_t)n);
	}
	return GRAFT_OK;
}
