/*
 * Request parsing: words, numbers, map keys and values, signals. Every
 * malformed input gets an error naming the column or the word.
 */
#include <string.h>

#include "graft/overlay.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

enum graft_status ovl_split(char *buf, size_t n, int *argc,
			    char *argv[OVL_MAX_ARGS], struct graft_err *err)
{
	size_t i = 0, o = 0; /* read and write positions; o <= i always */
	int nw = 0;
	*argc = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)buf[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return graft_errf(err, GRAFT_EINVAL,
					  "binary data at column %zu (byte 0x%02x)",
					  k + 1, c);
	}
	while (i < n) {
		while (i < n && is_blank(buf[i]))
			i++;
		if (i == n)
			break;
		if (nw == OVL_MAX_ARGS)
			return graft_errf(err, GRAFT_EINVAL,
					  "more than %d words (column %zu)",
					  OVL_MAX_ARGS, i + 1);
		argv[nw++] = buf + o;
		while (i < n && !is_blank(buf[i])) {
			if (buf[i] != '"') {
				buf[o++] = buf[i++];
				continue;
			}
			size_t open = i++;
			for (;;) {
				if (i == n)
					return graft_errf(err, GRAFT_EINVAL,
							  "unterminated quote at column %zu",
							  open + 1);
				if (buf[i] == '"') {
					i++;
					break;
				}
				if (buf[i] == '\\' && i + 1 < n &&
				    (buf[i + 1] == '"' || buf[i + 1] == '\\'))
					i++;
				buf[o++] = buf[i++];
			}
		}
		/* o < i here unless the word ran to the end of the line. */
		buf[o++] = '\0';
		if (i < n)
			i++;
	}
	*argc = nw;
	return GRAFT_OK;
}

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_num(const char *s, uint64_t *v)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t x = 0;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (neg)
			return false;
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = digit_val(*s);
		if (d < 0 || (unsigned)d >= base)
			return false;
		if (x > (UINT64_MAX - (unsigned)d) / base)
			return false;
		x = x * base + (unsigned)d;
	}
	if (neg) {
		if (x > (uint64_t)1 << 63)
			return false;
		x = -x;
	}
	*v = x;
	return true;
}

bool ovl_is_number(const char *s)
{
	uint64_t v;
	return parse_num(s, &v);
}

enum graft_status ovl_parse_u64(const char *s, uint64_t *v,
				struct graft_err *err)
{
	if (!parse_num(s, v))
		return graft_errf(err, GRAFT_EINVAL,
				  "bad number '%.64s' (decimal or 0x hex, 64 bits)", s);
	return GRAFT_OK;
}

enum graft_status ovl_parse_bytes(const char *s, void *buf, size_t size,
				  struct graft_err *err)
{
	uint8_t *b = buf;
	if (!strncmp(s, "hex:", 4)) {
		const char *h = s + 4;
		if (strlen(h) != 2 * size)
			return graft_errf(err, GRAFT_EINVAL,
					  "'%.64s': want %zu hex digits after 'hex:'",
					  s, 2 * size);
		for (size_t i = 0; i < size; i++) {
			int hi = digit_val(h[2 * i]), lo = digit_val(h[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return graft_errf(err, GRAFT_EINVAL,
						  "'%.64s': bad hex digit at byte %zu", s, i);
			b[i] = (uint8_t)(hi << 4 | lo);
		}
		return GRAFT_OK;
	}
	const char *comma = size == 16 ? strchr(s, ',') : NULL;
	if (comma) {
		char first[32];
		uint64_t k[2];
		size_t n = (size_t)(comma - s);
		if (n >= sizeof first)
			return graft_errf(err, GRAFT_EINVAL, "bad key '%.64s' (A,B)", s);
		memcpy(first, s, n);
		first[n] = 0;
		if (!parse_num(first, &k[0]) || !parse_num(comma + 1, &k[1]))
			return graft_errf(err, GRAFT_EINVAL,
					  "bad value '%.64s' (two numbers A,B)", s);
		for (size_t i = 0; i < 16; i++)
			b[i] = (uint8_t)(k[i / 8] >> (8 * (i % 8)));
		return GRAFT_OK;
	}
	uint64_t v;
	if (!parse_num(s, &v))
		return graft_errf(err, GRAFT_EINVAL,
				  "bad value '%.64s' (a number or hex:BYTES)", s);
	bool neg = s[0] == '-';
	for (size_t i = 0; i < size; i++) {
		b[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : (neg ? 0xff : 0);
	}
	if (size < 8) {
		uint64_t top = v >> (8 * size);
		uint64_t all = ((uint64_t)1 << (64 - 8 * size)) - 1;
		bool sign_ok = neg && top == all && (b[size - 1] & 0x80);
		if (size == 0 || (top && !sign_ok))
			return graft_errf(err, GRAFT_EINVAL,
					  "value '%.64s' does not fit in %zu bytes", s,
					  size);
	}
	return GRAFT_OK;
}

static const struct {
	int sig;
	const char *name;
} signals[] = {
	{ 1, "HUP" },   { 2, "INT" },   { 3, "QUIT" },  { 6, "ABRT" },
	{ 9, "KILL" },  { 10, "USR1" }, { 12, "USR2" }, { 13, "PIPE" },
	{ 14, "ALRM" }, { 15, "TERM" }, { 17, "CHLD" }, { 18, "CONT" },
	{ 19, "STOP" }, { 28, "WINCH" },
};

const char *ovl_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return NULL;
}

enum graft_status ovl_parse_signal(const char *s, int *sig,
				   struct graft_err *err)
{
	uint64_t v;
	if (parse_num(s, &v)) {
		if (v < 1 || v > 64)
			return graft_errf(err, GRAFT_EINVAL,
					  "signal %.32s out of range 1..64", s);
		*sig = (int)v;
		return GRAFT_OK;
	}
	const char *n = strncmp(s, "SIG", 3) ? s : s + 3;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (!strcmp(n, signals[i].name)) {
			*sig = signals[i].sig;
			return GRAFT_OK;
		}
	}
	return graft_errf(err, GRAFT_EINVAL,
			  "unknown signal '%.32s' (HUP, USR1, TERM, ... or 1..64)", s);
}
