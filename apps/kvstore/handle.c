/* apps/kvstore/handle.c — one request to one reply (protocol: kvstore.h).
 * Nothing here blocks; it runs on the application's thread. */
#include <stdio.h>
#include <string.h>

#include "kvstore.h"

volatile uint64_t kv_requests, kv_errors;

/* The next word of [*p, end): blanks end it. */
static size_t word(const char **p, const char *end, const char **w)
{
	while (*p < end && **p == ' ')
		(*p)++;
	*w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return (size_t)(*p - *w);
}

static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* snprintf that never reports more than it wrote. */
static size_t put(char *reply, size_t cap, size_t at, const char *fmt, const char *a,
		  size_t alen)
{
	if (at >= cap)
		return at;
	int n = snprintf(reply + at, cap - at, fmt, (int)alen, a);
	if (n < 0)
		return at;
	return at + ((size_t)n < cap - at ? (size_t)n : cap - at - 1);
}

static size_t fail(char *reply, size_t cap, size_t at, const char *why)
{
	kv_errors++;
	return put(reply, cap, at, "error: %.*s", why, strlen(why));
}

/* noinline and global: the overlay traces it by name. */
__attribute__((noinline)) size_t kv_handle_request(const char *req, size_t len, char *reply,
						   size_t cap)
{
	const char *p = req, *end = req + len, *id, *cmd, *key, *val;
	kv_requests++;
	if (!cap)
		return 0;
	reply[0] = '\0';
	if (len && end[-1] == '\n')
		end--;
	size_t idn = word(&p, end, &id);
	if (!idn || idn > 32 || !printable(id, idn))
		return fail(reply, cap, put(reply, cap, 0, "%.*s ", "-", 1),
			    "want: ID get|set|del|info ...");
	size_t at = put(reply, cap, 0, "%.*s ", id, idn);
	if (!printable(req, (size_t)(end - req)))
		return fail(reply, cap, at, "control bytes in request");
	size_t cn = word(&p, end, &cmd);
	if (cn == 4 && !memcmp(cmd, "info", 4)) {
		char text[200];
		snprintf(text, sizeof text, "ok gen=%llu name=%s keys=%u requests=%llu",
			 (unsigned long long)kv_config_gen, kv_config.name, kv_count(),
			 (unsigned long long)kv_requests);
		return put(reply, cap, at, "%.*s", text, strlen(text));
	}
	size_t kn = word(&p, end, &key);
	if (cn != 3 || (memcmp(cmd, "get", 3) && memcmp(cmd, "set", 3) && memcmp(cmd, "del", 3)))
		return fail(reply, cap, at, "unknown command (get, set, del, info)");
	if (!kn || kn > KV_KEY_MAX)
		return fail(reply, cap, at, "want a key of 1..64 bytes");
	if (cmd[0] == 's') {
		if (p < end)
			p++; /* the one blank before the value */
		val = p;
		size_t vn = (size_t)(end - p);
		if (!vn || vn > kv_config.max_value || vn > KV_VALUE_MAX)
			return fail(reply, cap, at, "want a value of 1..max_value bytes");
		if (kv_set(key, kn, val, vn))
			return fail(reply, cap, at, "full");
		return put(reply, cap, at, "%.*s", "ok", 2);
	}
	const char *rest;
	if (word(&p, end, &rest))
		return fail(reply, cap, at, "get and del take one key");
	if (cmd[0] == 'd') {
		int gone = kv_del(key, kn) == 0;
		return put(reply, cap, at, "%.*s", gone ? "ok" : "missing", gone ? 2 : 7);
	}
	size_t vn;
	const char *v = kv_get(key, kn, &vn);
	if (!v)
		return put(reply, cap, at, "%.*s", "missing", 7);
	at = put(reply, cap, at, "%.*s", "ok ", 3);
	return put(reply, cap, at, "%.*s", v, vn);
}
