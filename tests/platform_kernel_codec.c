/*
 * tests/platform_kernel_codec.c — the unikernel's pure parsers, built for
 * the host: the command line (kernel/cmdline.c) and the 9P2000.L codec
 * (kernel/p9_msg.c). Good input gives the expected fields; every kind of
 * bad input gives an error naming the problem.
 */
#include <errno.h>
#include <string.h>

#include "testlib.h"
#include "../kernel/cmdline.c"
#include "../kernel/p9_msg.c"

static int parse(const char *text, struct cmdline *cl, char *err)
{
	static char buf[4096];
	return cmdline_parse(text, buf, sizeof buf, cl, err, 128);
}

static void test_cmdline(void)
{
	struct cmdline cl;
	char err[128];
	T_CHECK(parse("debug=1 net.ip=10.0.0.1 -- app \"a b\" 'c d' e\\ f \"q\\\"x\"", &cl, err) == 0, "cmdline: good line: %s", err);
	T_CHECK(cl.nopts == 2 && !strcmp(cl.opt_key[1], "net.ip") && !strcmp(cl.opt_val[1], "10.0.0.1"), "cmdline: options");
	T_CHECK(cl.argc == 5 && !strcmp(cl.argv[0], "app") && !strcmp(cl.argv[1], "a b") && !strcmp(cl.argv[2], "c d") &&
		!strcmp(cl.argv[3], "e f") && !strcmp(cl.argv[4], "q\"x") && !cl.argv[5], "cmdline: argv");
	T_CHECK(parse("just words", &cl, err) == 0 && cl.argc == 2 && cl.nopts == 0, "cmdline: no separator = all argv");
	T_CHECK(parse("", &cl, err) == 0 && cl.argc == 0, "cmdline: empty");
	T_CHECK(parse("a \"open", &cl, err) == -1 && strstr(err, "unterminated quote at offset 2"), "cmdline: quote: %s", err);
	T_CHECK(parse("x\\", &cl, err) == -1 && strstr(err, "backslash"), "cmdline: trailing backslash: %s", err);
	T_CHECK(parse("noeq -- a", &cl, err) == -1 && strstr(err, "key=value"), "cmdline: option: %s", err);
	T_CHECK(parse("=v -- a", &cl, err) == -1, "cmdline: empty key");
	T_CHECK(parse("a\x01" "b", &cl, err) == -1 && strstr(err, "control character"), "cmdline: control char");
	char many[1024] = "";
	for (int i = 0; i < CMDLINE_MAX_ARGS + 1; i++)
		strcat(many, "w ");
	T_CHECK(parse(many, &cl, err) == -1 && strstr(err, "too many"), "cmdline: too many words: %s", err);
	printf("cmdline: options, quotes, escapes; unterminated quote, backslash, bad option, control chars, too many\n");
}

static size_t mk(uint8_t *b, uint8_t type, uint16_t tag, const void *body, size_t n)
{
	uint32_t size = (uint32_t)(7 + n);
	memcpy(b, &size, 4);
	b[4] = type;
	memcpy(b + 5, &tag, 2);
	memcpy(b + 7, body, n);
	return size;
}

static void test_9p(void)
{
	uint8_t buf[256], body[128];
	struct p9_out m;
	p9_begin(&m, buf, sizeof buf, P9_TWALK, 7);
	p9_u32(&m, 1);
	p9_str(&m, "dir", 3);
	T_CHECK(p9_end(&m) == 7 + 4 + 2 + 3 && buf[0] == 16 && buf[4] == P9_TWALK && buf[5] == 7, "9p: encode");
	p9_begin(&m, buf, 10, P9_TWALK, 7);
	p9_str(&m, "a long name", 11);
	T_CHECK(p9_end(&m) == 0, "9p: encoder overflow is reported");

	struct p9_in r;
	uint32_t e2 = 2;
	size_t n = mk(buf, 7, 3, &e2, 4);
	T_CHECK(p9_reply(&r, buf, n, P9_TWALK, 3) == -ENOENT, "9p: Rlerror gives -errno");
	n = mk(buf, 111, 3, "\0\0", 2);
	T_CHECK(p9_reply(&r, buf, n, P9_TWALK, 4) == -EPROTO, "9p: wrong tag");
	T_CHECK(p9_reply(&r, buf, n, P9_TLOPEN, 3) == -EPROTO, "9p: wrong type");
	T_CHECK(p9_reply(&r, buf, 5, P9_TWALK, 3) == -EPROTO, "9p: short");
	buf[0] = 200;
	T_CHECK(p9_reply(&r, buf, n, P9_TWALK, 3) == -EPROTO, "9p: size beyond the buffer");
	/* Rread claiming more data than it has. */
	uint32_t c = 100;
	memcpy(body, &c, 4);
	memcpy(body + 4, "abc", 3);
	n = mk(buf, 117, 5, body, 7);
	T_CHECK(p9_reply(&r, buf, n, P9_TREAD, 5) == 0, "9p: Rread header");
	c = p9_get32(&r);
	T_CHECK(p9_getbytes(&r, c) == NULL && r.bad, "9p: Rread count past the end is refused");
	/* Rreaddir with one good entry then a truncated name. */
	size_t o = 0;
	uint8_t qid[13] = { 0x80 };
	memcpy(body + 4, qid, 13), o = 17;
	uint64_t off = 1;
	memcpy(body + o, &off, 8), o += 8;
	body[o++] = 4;
	uint16_t nl = 3;
	memcpy(body + o, &nl, 2), o += 2;
	memcpy(body + o, "abc", 3), o += 3;
	memcpy(body + o, qid, 13), o += 13;
	memcpy(body + o, &off, 8), o += 8;
	body[o++] = 8;
	nl = 50;
	memcpy(body + o, &nl, 2), o += 2;
	c = (uint32_t)(o - 4);
	memcpy(body, &c, 4);
	n = mk(buf, 41, 6, body, o);
	T_CHECK(p9_reply(&r, buf, n, P9_TREADDIR, 6) == 0, "9p: Rreaddir header");
	p9_get32(&r);
	struct p9_dirent d;
	T_CHECK(p9_next_dirent(&r, &d) == 0 && d.namelen == 3 && !memcmp(d.name, "abc", 3) && d.type == 4, "9p: dirent 1");
	T_CHECK(p9_next_dirent(&r, &d) == -EPROTO, "9p: truncated dirent is refused");
	printf("9p: encode, overflow, Rlerror, wrong tag/type, short and overlong replies, bad counts, truncated dirents\n");
}

int main(void)
{
	test_cmdline();
	test_9p();
	return t_done();
}
