/* kernel/cmdline.c — see cmdline.h for the syntax. */
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int fail(char *err, size_t cap, const char *what, size_t off)
{
	if (err && cap)
		snprintf(err, cap, "kernel command line: %s at offset %zu", what, off);
	return -1;
}

int cmdline_parse(const char *text, char *buf, size_t cap, struct cmdline *out,
		  char *err, size_t errcap)
{
	char *words[CMDLINE_MAX_ARGS + CMDLINE_MAX_OPTS + 1];
	size_t woff[CMDLINE_MAX_ARGS + CMDLINE_MAX_OPTS + 1]; /* where each word starts */
	size_t nwords = 0, o = 0, i = 0, len = strlen(text);
	memset(out, 0, sizeof *out);
	if (cap < len + 1)
		return fail(err, errcap, "buffer too small", 0);
	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
			i++;
		if (i >= len)
			break;
		if (nwords >= sizeof words / sizeof words[0])
			return fail(err, errcap, "too many words", i);
		woff[nwords] = i;
		words[nwords++] = buf + o;
		char quote = 0;
		size_t start = i;
		for (; i < len; i++) {
			char c = text[i];
			if (quote) {
				if (c == quote) {
					quote = 0;
					continue;
				}
				if (c == '\\' && quote == '"' && i + 1 < len) {
					buf[o++] = text[++i];
					continue;
				}
				buf[o++] = c;
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\n')
				break;
			if (c == '"' || c == '\'') {
				quote = c;
				start = i;
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= len)
					return fail(err, errcap, "backslash at end of line", i);
				buf[o++] = text[++i];
				continue;
			}
			if ((unsigned char)c < 0x20)
				return fail(err, errcap, "control character", i);
			buf[o++] = c;
		}
		if (quote)
			return fail(err, errcap, "unterminated quote", start);
		buf[o++] = '\0';
	}
	size_t sep = nwords;
	for (size_t w = 0; w < nwords; w++)
		if (!strcmp(words[w], "--")) {
			sep = w;
			break;
		}
	size_t first_arg = 0;
	if (sep < nwords) {
		for (size_t w = 0; w < sep; w++) {
			char *eq = strchr(words[w], '=');
			if (!eq || eq == words[w])
				return fail(err, errcap, "kernel option is not key=value", woff[w]);
			if (out->nopts >= CMDLINE_MAX_OPTS)
				return fail(err, errcap, "too many kernel options (at most " STR(CMDLINE_MAX_OPTS) ")", woff[w]);
			*eq = '\0';
			out->opt_key[out->nopts] = words[w];
			out->opt_val[out->nopts] = eq + 1;
			out->nopts++;
		}
		first_arg = sep + 1;
	}
	for (size_t w = first_arg; w < nwords; w++) {
		if (out->argc >= CMDLINE_MAX_ARGS)
			return fail(err, errcap, "too many arguments (at most " STR(CMDLINE_MAX_ARGS) ")", woff[w]);
		out->argv[out->argc++] = words[w];
	}
	out->argv[out->argc] = NULL;
	return 0;
}
