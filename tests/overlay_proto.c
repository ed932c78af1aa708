/*
 * The overlay protocol and command layer over an in-memory channel, with
 * a small mock application behind the services: framing, every command's
 * argument checks, errors, streaming, a client that leaves mid-command,
 * and 1,000 lines of random garbage.
 */
#include <stdint.h>
#include <string.h>

#include "graft/overlay.h"
#include "testlib.h"

/* ---- an in-memory channel ------------------------------------------- */

struct mem_chan {
	char out[1 << 20];
	size_t len;
	size_t fail_after; /* writes fail once this many bytes went out */
	unsigned writes;
};

static int mem_write(void *ud, const void *buf, size_t n)
{
	struct mem_chan *m = ud;
	if (m->len + n > m->fail_after || m->len + n > sizeof m->out)
		return -1;
	memcpy(m->out + m->len, buf, n);
	m->len += n;
	m->writes++;
	return 0;
}

static long mem_read(void *ud, void *buf, size_t n)
{
	(void)ud, (void)buf, (void)n;
	return 0;
}

/* ---- a mock application behind the services ------------------------- */

struct app {
	uint64_t map[16];
	bool used[16];
	int last_signal;
	unsigned writes_seen_mid; /* channel writes seen before a command ended */
	struct mem_chan *chan;
	bool big_done;
	const char *file;
};

static enum graft_status svc_cat(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	struct app *a = ud;
	(void)argc;
	if (!strcmp(argv[1], "big")) {
		/* 200 KB in 10,000 lines; the state change comes after it. */
		for (int i = 0; i < 10000; i++)
			ovl_printf(out, "line %05d of the big file.\n", i);
		a->writes_seen_mid = a->chan->writes;
		a->big_done = true;
		return GRAFT_OK;
	}
	if (!strcmp(argv[1], "f")) {
		ovl_write(out, a->file, strlen(a->file));
		return GRAFT_OK;
	}
	return graft_errf(err, GRAFT_ENOENT, "%s: no such file", argv[1]);
}

static enum graft_status key_of(const char *s, uint32_t *k,
				struct graft_err *err)
{
	if (ovl_parse_bytes(s, k, sizeof *k, err))
		return GRAFT_EINVAL;
	if (*k >= 16)
		return graft_errf(err, GRAFT_EINVAL, "key %u out of range", *k);
	return GRAFT_OK;
}

static enum graft_status svc_get(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	struct app *a = ud;
	uint32_t k;
	(void)argc;
	if (key_of(argv[2], &k, err))
		return GRAFT_EINVAL;
	if (!a->used[k])
		return graft_errf(err, GRAFT_ENOENT, "no key %u", k);
	ovl_printf(out, "%llu\n", (unsigned long long)a->map[k]);
	return GRAFT_OK;
}

static enum graft_status svc_put(void *ud, int argc, char *const *argv,
				 struct ovl_out *out, struct graft_err *err)
{
	struct app *a = ud;
	uint32_t k;
	uint64_t v;
	(void)argc, (void)out;
	if (key_of(argv[2], &k, err) || ovl_parse_bytes(argv[3], &v, 8, err))
		return GRAFT_EINVAL;
	a->map[k] = v;
	a->used[k] = true;
	return GRAFT_OK;
}

static enum graft_status svc_kill(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err)
{
	struct app *a = ud;
	(void)argc;
	if (ovl_parse_signal(argv[1], &a->last_signal, err))
		return GRAFT_EINVAL;
	ovl_ok(out, "sent SIG%s", ovl_signal_name(a->last_signal));
	return GRAFT_OK;
}

static struct app app;
static struct mem_chan chan;
static struct ovl_services svc = {
	.cat = { svc_cat, &app }, .bpf_map_get = { svc_get, &app },
	.bpf_map_put = { svc_put, &app }, .kill = { svc_kill, &app },
};

/* Run input through a fresh session; the reply text lands in chan.out. */
static const char *talk(const struct ovl_services *s, const char *in,
			size_t n, size_t chunk)
{
	static struct ovl_session sess;
	struct ovl_chan c = { &chan, mem_read, mem_write };
	chan.len = 0;
	chan.writes = 0;
	chan.fail_after = (size_t)-1;
	ovl_session_init(&sess, &c, s);
	for (size_t i = 0; i < n; i += chunk)
		ovl_session_feed(&sess, in + i, n - i < chunk ? n - i : chunk);
	chan.out[chan.len < sizeof chan.out ? chan.len : sizeof chan.out - 1] = 0;
	return chan.out;
}

static const char *say(const char *in)
{
	return talk(&svc, in, strlen(in), 7);
}

#define EXPECT(in, want)                                                    \
	do {                                                                \
		const char *got_ = say(in);                                \
		T_CHECK(!strcmp(got_, want), "%s: got [%s] want [%s]", #in, got_, \
			want);                                              \
	} while (0)

static void test_basics(void)
{
	EXPECT("echo hello   world\n", "hello world\nok\n");
	EXPECT("echo\n", "ok\n");
	EXPECT("\n", "ok\n");
	EXPECT("   # a comment\n", "ok\n");
	EXPECT("echo a\r\n", "a\nok\n");
	EXPECT("echo \"a  b\" c\\d \"q\\\"x\"\n", "a  b c\\d q\"x\nok\n");
	EXPECT("quit\necho never\n", "ok bye\n");
	EXPECT("echo one\necho two\n", "one\nok\ntwo\nok\n");
	const char *h = say("help\n");
	T_CHECK(strstr(h, "bpf_map_dump MAP") && strstr(h, "kill SIGNAL") &&
			strstr(h, "\nok 19 commands\n"),
		"help lists every command: [%.200s]", h);
	T_CHECK(strstr(h, "ls [PATH]") && strstr(h, "(not available here)"),
		"help marks missing services");
	EXPECT("help kill\n", "usage: kill SIGNAL\nsend a signal (HUP, USR1, 10...) to the app\nok\n");
	EXPECT("help nope\n", "error: help: no command 'nope'\n");
	printf("basics: echo, blank, comment, CRLF, quotes, quit, help\n");
}

static void test_errors(void)
{
	EXPECT("frob 1 2\n", "error: unknown command 'frob' (try 'help')\n");
	EXPECT("cat\n", "error: cat: expected 1 argument, got 0 (usage: cat PATH)\n");
	EXPECT("bpf_map_put m 1\n",
	       "error: bpf_map_put: expected 3 arguments, got 2 (usage: bpf_map_put MAP KEY VALUE)\n");
	EXPECT("bpf_attach f\n",
	       "error: bpf_attach: expected 2 to 3 arguments, got 1 (usage: bpf_attach SYMBOL OBJ [PROG])\n");
	EXPECT("bpf_list x\n",
	       "error: bpf_list: expected 0 arguments, got 1 (usage: bpf_list)\n");
	EXPECT("kill FOO\n",
	       "error: kill: unknown signal 'FOO' (HUP, USR1, TERM, ... or 1..64)\n");
	EXPECT("kill 99\n", "error: kill: signal 99 out of range 1..64\n");
	EXPECT("bpf_exec o.o prog 12x\n",
	       "error: bpf_exec: bad number '12x' (decimal or 0x hex, 64 bits)\n");
	EXPECT("bpf_exec o.o 1 2 3 4 5 6\n",
	       "error: bpf_exec: at most 5 program arguments, got 6\n");
	EXPECT("trace now\n",
	       "error: trace: unknown option 'now' (usage: trace [clear])\n");
	EXPECT("ls /\n", "error: ls: not available here\n");
	EXPECT("cat missing\n", "error: cat: missing: no such file\n");
	EXPECT("bpf_map_get m 99\n", "error: bpf_map_get: key 99 out of range\n");
	EXPECT("bpf_map_get m x\n",
	       "error: bpf_map_get: bad value 'x' (a number or hex:BYTES)\n");
	EXPECT("echo \"open\n", "error: unterminated quote at column 6\n");
	EXPECT("ec\001ho\n", "error: binary data at column 3 (byte 0x01)\n");
	EXPECT("a b c d e f g h i j k l m n o p q\n",
	       "error: more than 16 words (column 33)\n");
	/* Overlong: one error for the whole line, then in step again. */
	static char big[3000];
	memset(big, 'x', 2500);
	memcpy(big + 2500, "\necho after\n", 13);
	EXPECT(big, "error: line longer than 1024 bytes, ignored\nafter\nok\n");
	memset(big, 'y', 1024);
	memcpy(big + 1024, "\r\n", 3);
	EXPECT(big, "error: unknown command 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' (try 'help')\n");
	/* Every command with no services at all. */
	const char *r = talk(NULL, "stats\nbpf_list\n", 15, 3);
	T_CHECK(!strcmp(r, "error: stats: not available here\nerror: bpf_list: not available here\n"),
		"no services: [%s]", r);
	printf("errors: unknown command, argument counts, numbers, signals, "
	       "quotes, binary, overlong, missing services\n");
}

static void test_services(void)
{
	memset(&app, 0, sizeof app);
	app.chan = &chan;
	EXPECT("bpf_map_put m 3 0x2a\nbpf_map_get m 3\n", "ok\n42\nok\n");
	EXPECT("bpf_map_put m hex:05000000 -1\nbpf_map_get m 5\n",
	       "ok\n18446744073709551615\nok\n");
	EXPECT("bpf_map_get m 4\n", "error: bpf_map_get: no key 4\n");
	EXPECT("kill SIGHUP\n", "ok sent SIGHUP\n");
	T_CHECK(app.last_signal == 1, "kill delivered HUP: %d", app.last_signal);
	EXPECT("kill 10\n", "ok sent SIGUSR1\n");
	/* Framing: data that looks like a status line is stuffed. */
	app.file = "ok\nerror: no\n\\back\nplain\ttab\001\033[2J";
	EXPECT("cat f\n", "\\ok\n\\error: no\n\\\\back\nplain\ttab\\x01\\x1b[2J\nok\n");
	printf("services: map put/get/del by number and hex, kill, framing, "
	       "control bytes\n");
}

static void test_streaming_and_disconnect(void)
{
	app.big_done = false;
	const char *r = say("cat big\necho next\n");
	T_CHECK(app.big_done && app.writes_seen_mid > 10,
		"output streamed during the command (%u writes before its end)",
		app.writes_seen_mid);
	T_CHECK(strstr(r, "line 09999 of the big file.\nok\nnext\nok\n") != NULL,
		"long reply intact and in step");

	/* The client leaves after 1,000 bytes: the command still completes. */
	static struct ovl_session s;
	struct ovl_chan c = { &chan, mem_read, mem_write };
	chan.len = 0;
	chan.fail_after = 1000;
	app.big_done = false;
	ovl_session_init(&s, &c, &svc);
	const char *in = "cat big\nbpf_map_put m 7 77\n";
	bool open = ovl_session_feed(&s, in, strlen(in));
	T_CHECK(app.big_done, "command ran to its end after the client left");
	T_CHECK(!open && s.closed, "session closed after the client left");
	T_CHECK(!app.used[7], "nothing run after the client left");
	T_CHECK(s.stats.bytes_out > 200000, "output counted though dropped");
	/* The application side keeps serving the next client. */
	EXPECT("bpf_map_put m 7 77\nbpf_map_get m 7\n", "ok\n77\nok\n");
	printf("streaming: 200 KB reply in %u writes; disconnect mid-command "
	       "completes it and closes the session\n", app.writes_seen_mid);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_garbage(void)
{
	static char in[1 << 20];
	static const char *words[] = { "kill", "cat", "bpf_exec", "\"", "0x",
				       "bpf_map_put", "help", "-", "ls", "trace" };
	size_t n = 0;
	for (int line = 0; line < 1000; line++) {
		size_t len = rnd() % 4 == 0 ? rnd() % 1500 : rnd() % 60;
		for (size_t i = 0; i < len; i++) {
			char c;
			if (rnd() % 8 == 0) {
				const char *w = words[rnd() % 10];
				size_t wl = strlen(w);
				memcpy(in + n, w, wl);
				n += wl;
				c = ' ';
			} else {
				do
					c = (char)rnd();
				while (c == '\n');
			}
			in[n++] = c;
		}
		in[n++] = '\n';
	}
	memcpy(in + n, "echo alive\n", 11);
	n += 11;
	memset(&app, 0, sizeof app);
	app.chan = &chan;
	const char *r = talk(&svc, in, n, 4096);
	unsigned status = 0, bad = 0;
	for (const char *p = r; *p;) {
		const char *e = strchr(p, '\n');
		if (!e) {
			bad++;
			break;
		}
		if (!strncmp(p, "ok", 2) &&
		    (p[2] == '\n' || p[2] == ' '))
			status++;
		else if (!strncmp(p, "error: ", 7))
			status++;
		for (const char *q = p; q < e; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				bad++;
		p = e + 1;
	}
	T_CHECK(status == 1001, "one status line per garbage line: %u", status);
	T_CHECK(bad == 0, "every reply line is text: %u bad", bad);
	T_CHECK(strlen(r) > 6 && !strcmp(r + strlen(r) - 9, "alive\nok\n"),
		"still answering after the garbage");
	printf("garbage: 1,000 random lines, %u status lines, then alive\n",
	       status);
}

static void test_parsers(void)
{
	struct graft_err err;
	uint64_t v = 0;
	T_CHECK(!ovl_parse_u64("18446744073709551615", &v, &err) &&
			v == UINT64_MAX, "u64 max");
	T_CHECK(ovl_parse_u64("18446744073709551616", &v, &err) == GRAFT_EINVAL,
		"u64 overflow rejected");
	T_CHECK(!ovl_parse_u64("0xFFffFFffFFffFFff", &v, &err) && v == UINT64_MAX,
		"hex max");
	T_CHECK(ovl_parse_u64("0x", &v, &err) && ovl_parse_u64("", &v, &err) &&
			ovl_parse_u64("-0x1", &v, &err) && ovl_parse_u64("1 ", &v, &err),
		"empty, bare 0x, negative hex, trailing blank rejected");
	T_CHECK(!ovl_parse_u64("-9223372036854775808", &v, &err) &&
			v == (uint64_t)1 << 63, "most negative");
	T_CHECK(ovl_parse_u64("-9223372036854775809", &v, &err), "below int64");
	uint8_t b[4];
	T_CHECK(!ovl_parse_bytes("0x01020304", b, 4, &err) && b[0] == 4 && b[3] == 1,
		"bytes little-endian");
	T_CHECK(ovl_parse_bytes("0x100000000", b, 4, &err) == GRAFT_EINVAL,
		"too big for 4 bytes: %s", err.msg);
	T_CHECK(!ovl_parse_bytes("-1", b, 4, &err) && b[0] == 0xff && b[3] == 0xff,
		"-1 in 4 bytes");
	T_CHECK(ovl_parse_bytes("-2147483649", b, 4, &err) == GRAFT_EINVAL,
		"below int32 in 4 bytes");
	T_CHECK(!ovl_parse_bytes("hex:0a0B", b, 2, &err) && b[0] == 10 && b[1] == 11,
		"hex bytes in order");
	T_CHECK(ovl_parse_bytes("hex:0a0", b, 2, &err) &&
			ovl_parse_bytes("hex:0g0a", b, 2, &err),
		"short hex, bad hex digit");
	uint8_t wide[12];
	T_CHECK(!ovl_parse_bytes("-2", wide, 12, &err) && wide[11] == 0xff &&
			wide[0] == 0xfe, "sign-extended to 12 bytes");
	int sig = 0;
	T_CHECK(!ovl_parse_signal("SIGUSR2", &sig, &err) && sig == 12, "SIGUSR2");
	T_CHECK(!ovl_parse_signal("TERM", &sig, &err) && sig == 15, "TERM");
	T_CHECK(ovl_parse_signal("SIG", &sig, &err) && ovl_parse_signal("0", &sig, &err),
		"bad signals");
	printf("parsers: numbers, map bytes, signals\n");
}

int main(void)
{
	app.chan = &chan;
	test_basics();
	test_errors();
	test_services();
	test_streaming_and_disconnect();
	test_garbage();
	test_parsers();
	return t_done();
}
