/*
 * graft sign OBJ --key NAME.key [--type TYPE] [-o OUT]
 *
 * Verifies every program of OBJ and writes a detached signature (OUT,
 * default OBJ.sig) over the object's SHA-256, the program names, their
 * types and the verifier's verdicts (see include/graft/sign.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "graft/sign.h"
#include "verify_obj.h"

int cmd_sign(int argc, char **argv)
{
	const char *path = NULL, *keyfile = NULL, *outpath = NULL;
	enum verify_prog_type type = VERIFY_PROG_COUNT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			keyfile = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			outpath = argv[++i];
		else if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = verify_prog_type_from_name(argv[++i]);
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: graft sign OBJ --key NAME.key [--type TYPE] "
			       "[-o OUT]\n");
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return cli_error("usage: graft sign OBJ --key NAME.key "
					 "[--type TYPE] [-o OUT]"), EXIT_USAGE;
	}
	if (!path || !keyfile)
		return cli_error("usage: graft sign OBJ --key NAME.key [--type "
				 "TYPE] [-o OUT]"), EXIT_USAGE;
	struct graft_err err = { 0 };
	size_t klen, len;
	char *ktext = cli_read_file(keyfile, &klen, &err);
	if (!ktext)
		return cli_error("sign: %s", err.msg);
	struct sign_keypair kp;
	if (sign_parse_hex(ktext, klen, kp.sk, SIGN_SK_BYTES, &err)) {
		sodium_memzero(ktext, klen);
		free(ktext);
		return cli_error("sign: %s is not a secret key: %s", keyfile,
				 err.msg);
	}
	sodium_memzero(ktext, klen);
	free(ktext);
	/* the public key is the second half of libsodium's secret key */
	memcpy(kp.pk, kp.sk + 32, SIGN_PK_BYTES);
	char *obj = cli_read_file(path, &len, &err);
	if (!obj)
		return cli_error("sign: %s", err.msg);
	struct graft_alloc a = cli_alloc();
	struct graft_elf *e;
	if (graft_elf_open(&e, obj, len, &a, &err)) {
		free(obj);
		return cli_error("sign: %s: %s", path, err.msg);
	}
	struct sign_prog progs[SIGN_MAX_PROGS];
	size_t n = 0;
	for (size_t i = 0; i < e->nprogs && n < SIGN_MAX_PROGS; i++) {
		struct vo_result r;
		vo_verify(e, i, type, NULL, false, &r);
		snprintf(progs[n].name, SIGN_NAME, "%s", r.name);
		snprintf(progs[n].type, SIGN_NAME, "%s",
			 r.type == VERIFY_PROG_COUNT ? "unknown" :
			 verify_prog_type_name(r.type));
		progs[n].verified = r.status == GRAFT_OK;
		printf("%s (%s): %s\n", progs[n].name, progs[n].type,
		       progs[n].verified ? "verified" : "NOT verified");
		if (!progs[n].verified)
			printf("  %s\n", r.msg);
		n++;
	}
	graft_elf_close(e);
	static char sig[16384];
	size_t siglen;
	enum graft_status s = sign_object(&kp, obj, len, progs, n, sig,
					  sizeof sig, &siglen, &err);
	sodium_memzero(&kp, sizeof kp);
	free(obj);
	if (s)
		return cli_error("sign: %s", err.msg);
	char def[4096];
	if (!outpath) {
		snprintf(def, sizeof def, "%s.sig", path);
		outpath = def;
	}
	FILE *f = fopen(outpath, "w");
	if (!f || fwrite(sig, 1, siglen, f) != siglen || fclose(f))
		return cli_error("sign: cannot write %s", outpath);
	printf("wrote %s\n", outpath);
	return EXIT_OK;
}
