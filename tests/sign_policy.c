/*
 * lib/sign: key generation, signing, and every failure mode of checking a
 * signature and of the load policy — a missing, malformed or bad
 * signature, an object with any byte flipped, an untrusted key, a program
 * signed as unverified or not named, a program the verifier rejected.
 */
#include <string.h>

#include "graft/sign.h"
#include "testlib.h"

static uint8_t obj[300];

static struct sign_prog progs[2] = {
	{ "filter", "xdp", true },
	{ "tracer", "trace", false },
};

int main(void)
{
	for (size_t i = 0; i < sizeof obj; i++)
		obj[i] = (uint8_t)(i * 131 + 7);
	struct sign_keypair kp, other;
	struct graft_err err = { 0 };
	T_CHECK(!sign_keygen(&kp, &err) && !sign_keygen(&other, &err),
		"keygen: %s", err.msg);
	T_CHECK(memcmp(kp.pk, other.pk, SIGN_PK_BYTES), "keygen: two keys equal");

	char sig[4096];
	size_t siglen;
	T_CHECK(!sign_object(&kp, obj, sizeof obj, progs, 2, sig, sizeof sig,
			     &siglen, &err), "sign: %s", err.msg);
	uint8_t trusted[2][SIGN_PK_BYTES];
	memcpy(trusted[0], other.pk, SIGN_PK_BYTES);
	memcpy(trusted[1], kp.pk, SIGN_PK_BYTES);
	struct sign_statement st;
	T_CHECK(!sign_verify(sig, siglen, obj, sizeof obj, trusted, 2, &st, &err),
		"good signature refused: %s", err.msg);
	T_CHECK(st.nprogs == 2 && st.progs[0].verified && !st.progs[1].verified &&
		!strcmp(st.progs[1].type, "trace"), "statement parsed wrong");
	printf("sign: keygen, sign and check a good signature\n");

	/* every byte of the object flipped: refused as tampered */
	int flips = 0;
	for (size_t i = 0; i < sizeof obj; i++) {
		obj[i] ^= 0x01;
		enum graft_status s = sign_verify(sig, siglen, obj, sizeof obj,
						  trusted, 2, &st, &err);
		flips += s == GRAFT_EPERM && strstr(err.msg, "does not match");
		obj[i] ^= 0x01;
	}
	T_CHECK(flips == (int)sizeof obj, "tampered object accepted: %d of %zu "
		"flips refused", flips, sizeof obj);
	T_CHECK(sign_verify(sig, siglen, obj, sizeof obj - 1, trusted, 2, &st,
			    &err) == GRAFT_EPERM, "truncated object accepted");
	printf("sign: %zu one-byte flips and a truncation of the object refused\n",
	       sizeof obj);

	/* every byte of the signed text changed: refused (bad signature or
	 * malformed, never accepted) */
	int sflips = 0;
	for (size_t i = 0; i < siglen; i++) {
		char c = sig[i];
		sig[i] = (char)(c == 'a' ? 'b' : c == '\n' ? ' ' : 'a');
		if (sig[i] == c)
			sig[i] = 'c';
		sflips += sign_verify(sig, siglen, obj, sizeof obj, trusted, 2,
				      &st, &err) != GRAFT_OK;
		sig[i] = c;
	}
	T_CHECK(sflips == (int)siglen, "altered signature file accepted: %d of "
		"%zu", sflips, siglen);
	printf("sign: %zu alterations of the signature file refused\n", siglen);

	/* an untrusted key */
	T_CHECK(sign_verify(sig, siglen, obj, sizeof obj, trusted, 1, &st,
			    &err) == GRAFT_EPERM && strstr(err.msg, "untrusted key"),
		"untrusted key: %s", err.msg);
	/* a statement re-signed by another key but claiming the first key */
	char forged[4096];
	size_t flen;
	sign_object(&other, obj, sizeof obj, progs, 2, forged, sizeof forged,
		    &flen, &err);
	memcpy(forged + strlen("graft-signature v1\nkey "),
	       sig + strlen("graft-signature v1\nkey "), 64);
	T_CHECK(sign_verify(forged, flen, obj, sizeof obj, trusted, 2, &st,
			    &err) == GRAFT_EPERM && strstr(err.msg, "bad signature"),
		"forged key line: %s", err.msg);
	/* malformed files */
	static const char *const bad[] = {
		"", "graft-signature v2\n", "graft-signature v1\nkey 00\n",
		"graft-signature v1\nkey zz\n",
		"graft-signature v1\nprogram a b maybe\n",
		"graft-signature v1\nbogus\n",
		"graft-signature v1\nkey 0000000000000000000000000000000000000000000000000000000000000000",
	};
	int nbad = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		nbad += sign_verify(bad[i], strlen(bad[i]), obj, sizeof obj,
				    trusted, 2, &st, &err) == GRAFT_EPERM &&
			strstr(err.msg, "malformed");
	T_CHECK(nbad == (int)(sizeof bad / sizeof bad[0]),
		"malformed files: %d refused", nbad);
	printf("sign: untrusted key, forged key line, %zu malformed files refused\n",
	       sizeof bad / sizeof bad[0]);

	/* the policy */
	struct sign_policy any = { SIGN_POLICY_ANY, NULL, 0 };
	struct sign_policy ver = { SIGN_POLICY_VERIFIED, NULL, 0 };
	struct sign_policy sgn = { SIGN_POLICY_SIGNED, trusted, 2 };
	struct sign_policy sgn1 = { SIGN_POLICY_SIGNED, trusted, 1 };
	T_CHECK(!sign_policy_check(&any, obj, sizeof obj, NULL, 0, "x", false,
				   &err), "any: refused");
	T_CHECK(sign_policy_check(&ver, obj, sizeof obj, NULL, 0, "x", false,
				  &err) == GRAFT_EPERM &&
		strstr(err.msg, "rejected by the verifier"), "verified: %s", err.msg);
	T_CHECK(!sign_policy_check(&ver, obj, sizeof obj, NULL, 0, "x", true,
				   &err), "verified: refused a verified program");
	T_CHECK(!sign_policy_check(&sgn, obj, sizeof obj, sig, siglen, "filter",
				   false, &err), "signed: refused: %s", err.msg);
	T_CHECK(sign_policy_check(&sgn, obj, sizeof obj, NULL, 0, "filter",
				  true, &err) == GRAFT_EPERM &&
		strstr(err.msg, "no signature"), "signed, missing: %s", err.msg);
	T_CHECK(sign_policy_check(&sgn, obj, sizeof obj, sig, siglen, "tracer",
				  true, &err) == GRAFT_EPERM &&
		strstr(err.msg, "unverified"), "signed, unverified: %s", err.msg);
	T_CHECK(sign_policy_check(&sgn, obj, sizeof obj, sig, siglen, "other",
				  true, &err) == GRAFT_EPERM &&
		strstr(err.msg, "not named"), "signed, unnamed: %s", err.msg);
	T_CHECK(sign_policy_check(&sgn1, obj, sizeof obj, sig, siglen, "filter",
				  true, &err) == GRAFT_EPERM &&
		strstr(err.msg, "untrusted"), "signed, untrusted: %s", err.msg);
	obj[7] ^= 0x80;
	T_CHECK(sign_policy_check(&sgn, obj, sizeof obj, sig, siglen, "filter",
				  true, &err) == GRAFT_EPERM &&
		strstr(err.msg, "does not match"), "signed, tampered: %s", err.msg);
	obj[7] ^= 0x80;
	printf("sign: policies any / verified / signed, each failure mode\n");

	/* hex helpers refuse bad input */
	uint8_t b[4];
	T_CHECK(sign_parse_hex("0011223", 7, b, 4, &err) == GRAFT_EINVAL &&
		sign_parse_hex("0011223g", 8, b, 4, &err) == GRAFT_EINVAL &&
		!sign_parse_hex("00112233\n", 9, b, 4, &err) && b[3] == 0x33,
		"hex parsing");
	return t_done();
}
