/*
 * Reply writer: frames data lines so no data line can be read as a status
 * line, escapes control bytes, and streams through the channel every
 * OVL_OUT_BUF bytes. After the first failed write everything is dropped but
 * still counted, so a command never notices a client that left.
 */
#include <stdio.h>
#include <string.h>

#include "graft/overlay.h"
#include "out.h"

static void out_flush(struct ovl_out *out)
{
	if (out->blen && !out->gone && out->chan &&
	    out->chan->write(out->chan->ud, out->buf, out->blen) < 0)
		out->gone = true;
	out->blen = 0;
}

static void out_raw(struct ovl_out *out, const char *p, size_t n)
{
	out->bytes += n;
	while (n) {
		if (out->blen == sizeof out->buf)
			out_flush(out);
		size_t room = sizeof out->buf - out->blen;
		size_t k = n < room ? n : room;
		memcpy(out->buf + out->blen, p, k);
		out->blen += k;
		p += k;
		n -= k;
	}
}

static bool looks_like_status(const char *p, size_t n)
{
	return (n >= 2 && !memcmp(p, "ok", 2)) ||
	       (n >= 6 && !memcmp(p, "error:", 6)) || (n >= 1 && p[0] == '\\');
}

/* End the buffered data line: stuff it if needed, queue it with '\n'. */
static void out_end_line(struct ovl_out *out)
{
	if (looks_like_status(out->line, out->llen))
		out_raw(out, "\\", 1);
	out_raw(out, out->line, out->llen);
	out_raw(out, "\n", 1);
	out->llen = 0;
	out->at_line_start = true;
}

static void out_byte(struct ovl_out *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	if (c == '\n') {
		out_end_line(out);
		return;
	}
	if (out->llen + 4 > OVL_OUT_LINE)
		out_end_line(out);
	out->at_line_start = false;
	if ((c < 0x20 && c != '\t') || c == 0x7f) {
		out->line[out->llen++] = '\\';
		out->line[out->llen++] = 'x';
		out->line[out->llen++] = hex[c >> 4];
		out->line[out->llen++] = hex[c & 15];
	} else {
		out->line[out->llen++] = (char)c;
	}
}

void ovl_write(struct ovl_out *out, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		out_byte(out, p[i]);
}

void ovl_vprintf(struct ovl_out *out, const char *fmt, va_list ap)
{
	char tmp[512];
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	/* Longer text is cut; no caller prints more than a line at a time. */
	ovl_write(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void ovl_printf(struct ovl_out *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ovl_vprintf(out, fmt, ap);
	va_end(ap);
}

void ovl_ok(struct ovl_out *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->ok_text, sizeof out->ok_text, fmt, ap);
	va_end(ap);
}

bool ovl_gone(const struct ovl_out *out)
{
	return out->gone;
}

void ovl_out_begin(struct ovl_out *out, const struct ovl_chan *chan)
{
	out->chan = chan;
	out->llen = 0;
	out->blen = 0;
	out->bytes = 0;
	out->at_line_start = true;
	out->ok_text[0] = '\0';
}

/* Control bytes and newlines in a status text would break the framing. */
static void status_text(struct ovl_out *out, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		out_raw(out, &c, 1);
	}
}

void ovl_out_end(struct ovl_out *out, enum graft_status st, const char *cmd,
		 const char *msg)
{
	if (!out->at_line_start || out->llen)
		out_end_line(out);
	if (st == GRAFT_OK) {
		out_raw(out, "ok", 2);
		if (out->ok_text[0]) {
			out_raw(out, " ", 1);
			status_text(out, out->ok_text);
		}
	} else {
		out_raw(out, "error: ", 7);
		if (cmd) {
			status_text(out, cmd);
			out_raw(out, ": ", 2);
		}
		status_text(out, msg && *msg ? msg : graft_status_name(st));
	}
	out_raw(out, "\n", 1);
	out_flush(out);
}
