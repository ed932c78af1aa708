/*
 * graft/sign.h — detached Ed25519 signatures over an object and its
 * verification verdict, and the runtime trust policy. All cryptography is
 * libsodium's (crypto_sign_*, crypto_hash_sha256); nothing here is our own.
 *
 * A signature file is text:
 *
 *   graft-signature v1
 *   key <public key, 64 hex digits>
 *   object-sha256 <SHA-256 of the object file, 64 hex digits>
 *   program <name> <program type> <verified|unverified>     (one per program)
 *   signature <Ed25519 signature of every byte above, 128 hex digits>
 *
 * so the signer vouches for these exact bytes, these programs, their
 * types and the verifier's verdict on each.
 */
#ifndef GRAFT_SIGN_H
#define GRAFT_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"

#define SIGN_PK_BYTES 32
#define SIGN_SK_BYTES 64
#define SIGN_SIG_BYTES 64
#define SIGN_HASH_BYTES 32
#define SIGN_MAX_PROGS 64
#define SIGN_NAME 64

struct sign_keypair {
	uint8_t pk[SIGN_PK_BYTES];
	uint8_t sk[SIGN_SK_BYTES];
};

/* What the signer states about one program. */
struct sign_prog {
	char name[SIGN_NAME];
	char type[SIGN_NAME];   /* verify_prog_type_name(), e.g. "xdp" */
	bool verified;          /* the verifier accepted it */
};

/* A parsed signature file. */
struct sign_statement {
	uint8_t pk[SIGN_PK_BYTES];
	uint8_t obj_hash[SIGN_HASH_BYTES];
	struct sign_prog progs[SIGN_MAX_PROGS];
	size_t nprogs;
	uint8_t sig[SIGN_SIG_BYTES];
	size_t signed_len;      /* bytes of the text the signature covers */
};

/* A fresh key pair from the system's randomness. */
enum graft_status sign_keygen(struct sign_keypair *kp, struct graft_err *err);

/* Keys as text: 64 hex digits (public) or 128 (secret), one line. */
size_t sign_hex(const uint8_t *bytes, size_t n, char *out, size_t cap);
enum graft_status sign_parse_hex(const char *text, size_t len, uint8_t *out,
				 size_t n, struct graft_err *err);

void sign_sha256(const void *data, size_t len, uint8_t out[SIGN_HASH_BYTES]);

/*
 * Write the signature file for obj into out (cap bytes, NUL-terminated).
 * Returns GRAFT_ENOMEM when cap is too small; *outlen is the text length.
 */
enum graft_status sign_object(const struct sign_keypair *kp, const void *obj,
			      size_t objlen, const struct sign_prog *progs,
			      size_t nprogs, char *out, size_t cap,
			      size_t *outlen, struct graft_err *err);

/* Parse a signature file (no cryptographic check yet). */
enum graft_status sign_parse(const char *text, size_t len,
			     struct sign_statement *st, struct graft_err *err);

/*
 * Check a signature file against an object: well-formed, made by one of
 * the trusted public keys (ntrusted == 0: any key), the signature valid
 * over the text, and the object's SHA-256 equal to the one signed.
 * GRAFT_EPERM with a message saying which check failed.
 */
enum graft_status sign_verify(const char *sigtext, size_t siglen,
			      const void *obj, size_t objlen,
			      const uint8_t (*trusted)[SIGN_PK_BYTES],
			      size_t ntrusted, struct sign_statement *st,
			      struct graft_err *err);

/* ------------------------------------------------------------------ */
/* Runtime policy                                                      */

enum sign_policy_mode {
	SIGN_POLICY_ANY,      /* load anything (checked execution) */
	SIGN_POLICY_VERIFIED, /* the verifier must accept the program */
	SIGN_POLICY_SIGNED,   /* a trusted key signed it as verified */
};

struct sign_policy {
	enum sign_policy_mode mode;
	const uint8_t (*trusted)[SIGN_PK_BYTES];
	size_t ntrusted;
};

/*
 * May program `prog` of this object be loaded? verified: the verifier's
 * verdict on the host running the policy (for SIGN_POLICY_VERIFIED);
 * sigtext may be NULL when there is no signature. GRAFT_OK or GRAFT_EPERM
 * with the reason ("no signature", "object does not match its signature",
 * "signed by an untrusted key ...", "bad signature", "program P is not
 * signed as verified", "program P was rejected by the verifier").
 */
enum graft_status sign_policy_check(const struct sign_policy *pol,
				    const void *obj, size_t objlen,
				    const char *sigtext, size_t siglen,
				    const char *prog, bool verified,
				    struct graft_err *err);

const char *sign_policy_name(enum sign_policy_mode m);

#endif
