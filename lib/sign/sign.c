/*
 * Signatures over an object, its programs and their verdicts; the policy
 * that decides whether a program may be loaded. Ed25519 and SHA-256 come
 * from libsodium; this file only builds and parses the signed text.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "graft/sign.h"

static const char MAGIC[] = "graft-signature v1\n";

static bool sodium_ready(void)
{
	return sodium_init() >= 0;
}

enum graft_status sign_keygen(struct sign_keypair *kp, struct graft_err *err)
{
	if (!sodium_ready())
		return graft_errf(err, GRAFT_EIO, "libsodium failed to start");
	crypto_sign_keypair(kp->pk, kp->sk);
	return GRAFT_OK;
}

size_t sign_hex(const uint8_t *bytes, size_t n, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	if (cap < 2 * n + 1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = 0;
	return 2 * n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum graft_status sign_parse_hex(const char *text, size_t len, uint8_t *out,
				 size_t n, struct graft_err *err)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		       text[len - 1] == ' '))
		len--;
	if (len != 2 * n)
		return graft_errf(err, GRAFT_EINVAL,
				  "expected %zu hex digits, found %zu", 2 * n,
				  len);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return graft_errf(err, GRAFT_EINVAL,
					  "not a hex digit at offset %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return GRAFT_OK;
}

void sign_sha256(const void *data, size_t len, uint8_t out[SIGN_HASH_BYTES])
{
	crypto_hash_sha256(out, data, len);
}

/* Prefix the message already in err (graft_errf cannot format a buffer
 * into itself). */
static enum graft_status rewrap(struct graft_err *err, enum graft_status s,
				const char *prefix)
{
	char was[GRAFT_ERR_MSG];
	snprintf(was, sizeof was, "%s", err ? err->msg : "");
	return graft_errf(err, s, "%s%s", prefix, was);
}

/* Names go on one line separated by spaces: no blanks or controls. */
static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

enum graft_status sign_object(const struct sign_keypair *kp, const void *obj,
			      size_t objlen, const struct sign_prog *progs,
			      size_t nprogs, char *out, size_t cap,
			      size_t *outlen, struct graft_err *err)
{
	if (!sodium_ready())
		return graft_errf(err, GRAFT_EIO, "libsodium failed to start");
	if (nprogs > SIGN_MAX_PROGS)
		return graft_errf(err, GRAFT_ENOMEM, "more than %d programs",
				  SIGN_MAX_PROGS);
	uint8_t h[SIGN_HASH_BYTES];
	char pkhex[2 * SIGN_PK_BYTES + 1], hhex[2 * SIGN_HASH_BYTES + 1];
	sign_sha256(obj, objlen, h);
	sign_hex(kp->pk, SIGN_PK_BYTES, pkhex, sizeof pkhex);
	sign_hex(h, SIGN_HASH_BYTES, hhex, sizeof hhex);
	size_t k = 0;
	int w = snprintf(out, cap, "%skey %s\nobject-sha256 %s\n", MAGIC, pkhex,
			 hhex);
	if (w < 0 || (size_t)w >= cap)
		return graft_errf(err, GRAFT_ENOMEM, "signature buffer too small");
	k = (size_t)w;
	for (size_t i = 0; i < nprogs; i++) {
		if (!name_ok(progs[i].name) || !name_ok(progs[i].type))
			return graft_errf(err, GRAFT_EINVAL,
					  "program %zu: name or type has blanks "
					  "or is empty", i);
		w = snprintf(out + k, cap - k, "program %s %s %s\n",
			     progs[i].name, progs[i].type,
			     progs[i].verified ? "verified" : "unverified");
		if (w < 0 || (size_t)w >= cap - k)
			return graft_errf(err, GRAFT_ENOMEM,
					  "signature buffer too small");
		k += (size_t)w;
	}
	uint8_t sig[SIGN_SIG_BYTES];
	crypto_sign_detached(sig, NULL, (const unsigned char *)out, k, kp->sk);
	char sighex[2 * SIGN_SIG_BYTES + 1];
	sign_hex(sig, SIGN_SIG_BYTES, sighex, sizeof sighex);
	w = snprintf(out + k, cap - k, "signature %s\n", sighex);
	if (w < 0 || (size_t)w >= cap - k)
		return graft_errf(err, GRAFT_ENOMEM, "signature buffer too small");
	*outlen = k + (size_t)w;
	return GRAFT_OK;
}

/* The next line of text: [*pos, eol); returns its length or -1 at end. */
static long next_line(const char *t, size_t len, size_t *pos, size_t *start)
{
	if (*pos >= len)
		return -1;
	*start = *pos;
	const char *nl = memchr(t + *pos, '\n', len - *pos);
	if (!nl)
		return -2; /* every line ends with a newline */
	size_t l = (size_t)(nl - (t + *pos));
	*pos += l + 1;
	return (long)l;
}

static bool take_word(const char **p, const char *end, char *out, size_t cap)
{
	size_t k = 0;
	while (*p < end && **p != ' ') {
		if (k + 1 >= cap)
			return false;
		out[k++] = *(*p)++;
	}
	out[k] = 0;
	if (*p < end)
		(*p)++;
	return k > 0;
}

enum graft_status sign_parse(const char *text, size_t len,
			     struct sign_statement *st, struct graft_err *err)
{
	memset(st, 0, sizeof *st);
	size_t pos = 0, start, lineno = 0;
	long l;
	if (len < sizeof MAGIC - 1 || memcmp(text, MAGIC, sizeof MAGIC - 1))
		return graft_errf(err, GRAFT_EINVAL,
				  "signature line 1: not a graft signature "
				  "(expected \"graft-signature v1\")");
	pos = sizeof MAGIC - 1;
	lineno = 1;
	int have_key = 0, have_hash = 0, have_sig = 0;
	while ((l = next_line(text, len, &pos, &start)) != -1) {
		lineno++;
		if (l == -2)
			return graft_errf(err, GRAFT_EINVAL,
					  "signature line %zu: no newline at the "
					  "end", lineno);
		if (have_sig)
			return graft_errf(err, GRAFT_EINVAL,
					  "signature line %zu: text after the "
					  "signature", lineno);
		const char *s = text + start, *e = s + l;
		enum graft_status r = GRAFT_OK;
		if (l > 4 && !memcmp(s, "key ", 4) && !have_key) {
			r = sign_parse_hex(s + 4, (size_t)l - 4, st->pk,
					   SIGN_PK_BYTES, err);
			have_key = 1;
		} else if (l > 14 && !memcmp(s, "object-sha256 ", 14) &&
			   !have_hash) {
			r = sign_parse_hex(s + 14, (size_t)l - 14, st->obj_hash,
					   SIGN_HASH_BYTES, err);
			have_hash = 1;
		} else if (l > 8 && !memcmp(s, "program ", 8)) {
			if (st->nprogs == SIGN_MAX_PROGS)
				return graft_errf(err, GRAFT_EINVAL,
						  "signature line %zu: too many "
						  "programs", lineno);
			struct sign_prog *p = &st->progs[st->nprogs];
			char verdict[16];
			const char *q = s + 8;
			if (!take_word(&q, e, p->name, sizeof p->name) ||
			    !take_word(&q, e, p->type, sizeof p->type) ||
			    !take_word(&q, e, verdict, sizeof verdict) || q != e ||
			    (strcmp(verdict, "verified") &&
			     strcmp(verdict, "unverified")))
				return graft_errf(err, GRAFT_EINVAL,
						  "signature line %zu: expected "
						  "\"program NAME TYPE "
						  "verified|unverified\"", lineno);
			p->verified = !strcmp(verdict, "verified");
			st->nprogs++;
		} else if (l > 10 && !memcmp(s, "signature ", 10)) {
			st->signed_len = start;
			r = sign_parse_hex(s + 10, (size_t)l - 10, st->sig,
					   SIGN_SIG_BYTES, err);
			have_sig = 1;
		} else {
			return graft_errf(err, GRAFT_EINVAL,
					  "signature line %zu: unknown or "
					  "repeated line", lineno);
		}
		if (r) {
			char pre[48];
			snprintf(pre, sizeof pre, "signature line %zu: ", lineno);
			return rewrap(err, r, pre);
		}
	}
	if (!have_key || !have_hash || !have_sig)
		return graft_errf(err, GRAFT_EINVAL,
				  "signature is incomplete: missing the %s line",
				  !have_key ? "key" : !have_hash ? "object-sha256" :
				  "signature");
	return GRAFT_OK;
}

enum graft_status sign_verify(const char *sigtext, size_t siglen,
			      const void *obj, size_t objlen,
			      const uint8_t (*trusted)[SIGN_PK_BYTES],
			      size_t ntrusted, struct sign_statement *st,
			      struct graft_err *err)
{
	if (!sodium_ready())
		return graft_errf(err, GRAFT_EIO, "libsodium failed to start");
	enum graft_status s = sign_parse(sigtext, siglen, st, err);
	if (s)
		return rewrap(err, GRAFT_EPERM, "malformed signature: ");
	char pkhex[2 * SIGN_PK_BYTES + 1];
	sign_hex(st->pk, SIGN_PK_BYTES, pkhex, sizeof pkhex);
	if (ntrusted) {
		size_t i;
		for (i = 0; i < ntrusted; i++)
			if (!sodium_memcmp(trusted[i], st->pk, SIGN_PK_BYTES))
				break;
		if (i == ntrusted)
			return graft_errf(err, GRAFT_EPERM,
					  "signed by an untrusted key %.16s...",
					  pkhex);
	}
	if (crypto_sign_verify_detached(st->sig,
					(const unsigned char *)sigtext,
					st->signed_len, st->pk))
		return graft_errf(err, GRAFT_EPERM,
				  "bad signature: the signed statement was "
				  "altered or not made by key %.16s...", pkhex);
	uint8_t h[SIGN_HASH_BYTES];
	sign_sha256(obj, objlen, h);
	if (sodium_memcmp(h, st->obj_hash, SIGN_HASH_BYTES))
		return graft_errf(err, GRAFT_EPERM,
				  "object does not match its signature "
				  "(SHA-256 differs: tampered or another "
				  "object)");
	return GRAFT_OK;
}

const char *sign_policy_name(enum sign_policy_mode m)
{
	switch (m) {
	case SIGN_POLICY_ANY: return "any";
	case SIGN_POLICY_VERIFIED: return "verified";
	case SIGN_POLICY_SIGNED: return "signed";
	}
	return "?";
}

enum graft_status sign_policy_check(const struct sign_policy *pol,
				    const void *obj, size_t objlen,
				    const char *sigtext, size_t siglen,
				    const char *prog, bool verified,
				    struct graft_err *err)
{
	switch (pol->mode) {
	case SIGN_POLICY_ANY:
		return GRAFT_OK;
	case SIGN_POLICY_VERIFIED:
		if (!verified)
			return graft_errf(err, GRAFT_EPERM,
					  "policy 'verified': program %s was "
					  "rejected by the verifier", prog);
		return GRAFT_OK;
	case SIGN_POLICY_SIGNED:
		break;
	default:
		return graft_errf(err, GRAFT_EINVAL, "unknown policy %d",
				  (int)pol->mode);
	}
	if (!sigtext || !siglen)
		return graft_errf(err, GRAFT_EPERM,
				  "policy 'signed': no signature for this "
				  "object");
	if (!pol->ntrusted)
		return graft_errf(err, GRAFT_EPERM,
				  "policy 'signed': no trusted keys configured");
	struct sign_statement st;
	enum graft_status s = sign_verify(sigtext, siglen, obj, objlen,
					  pol->trusted, pol->ntrusted, &st, err);
	if (s)
		return rewrap(err, GRAFT_EPERM, "policy 'signed': ");
	for (size_t i = 0; i < st.nprogs; i++) {
		if (strcmp(st.progs[i].name, prog))
			continue;
		if (!st.progs[i].verified)
			return graft_errf(err, GRAFT_EPERM,
					  "policy 'signed': program %s is "
					  "signed as unverified", prog);
		return GRAFT_OK;
	}
	return graft_errf(err, GRAFT_EPERM,
			  "policy 'signed': program %s is not named in the "
			  "signature", prog);
}
