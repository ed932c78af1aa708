/*
 * graft verify-sig OBJ [--sig FILE] --trust KEY.pub... [--policy MODE]
 *                  [--prog NAME]
 *
 * Checks OBJ's detached signature (default OBJ.sig): made by one of the
 * trusted keys, valid, and over this exact object. Prints what the signer
 * stated about each program. With --policy (any|verified|signed) and
 * --prog, also says whether the runtime policy would load that program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graft/sign.h"

#define MAX_TRUST 16

int cmd_verify_sig(int argc, char **argv)
{
	const char *path = NULL, *sigpath = NULL, *prog = NULL;
	const char *policy = NULL;
	uint8_t trusted[MAX_TRUST][SIGN_PK_BYTES];
	size_t ntrust = 0;
	struct graft_err err = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sig") && i + 1 < argc) {
			sigpath = argv[++i];
		} else if (!strcmp(argv[i], "--prog") && i + 1 < argc) {
			prog = argv[++i];
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			policy = argv[++i];
		} else if (!strcmp(argv[i], "--trust") && i + 1 < argc) {
			size_t kl;
			char *k = cli_read_file(argv[++i], &kl, &err);
			if (!k)
				return cli_error("verify-sig: %s", err.msg);
			if (ntrust == MAX_TRUST ||
			    sign_parse_hex(k, kl, trusted[ntrust], SIGN_PK_BYTES,
					   &err)) {
				free(k);
				return cli_error("verify-sig: %s is not a public "
						 "key: %s", argv[i], err.msg);
			}
			free(k);
			ntrust++;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: graft verify-sig OBJ [--sig FILE] --trust "
			       "KEY.pub... [--policy any|verified|signed --prog "
			       "NAME]\n");
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			return cli_error("usage: graft verify-sig OBJ [--sig FILE] "
					 "--trust KEY.pub..."), EXIT_USAGE;
		}
	}
	if (!path || !ntrust)
		return cli_error("usage: graft verify-sig OBJ [--sig FILE] "
				 "--trust KEY.pub... (at least one trusted "
				 "key)"), EXIT_USAGE;
	char def[4096];
	if (!sigpath) {
		snprintf(def, sizeof def, "%s.sig", path);
		sigpath = def;
	}
	size_t olen, slen;
	char *obj = cli_read_file(path, &olen, &err);
	if (!obj)
		return cli_error("verify-sig: %s", err.msg);
	char *sig = cli_read_file(sigpath, &slen, &err);
	if (!sig && !policy) {
		free(obj);
		return cli_error("verify-sig: missing signature: %s", err.msg);
	}
	int rc = EXIT_OK;
	if (policy) {
		struct sign_policy pol = { SIGN_POLICY_ANY, trusted, ntrust };
		if (!strcmp(policy, "verified"))
			pol.mode = SIGN_POLICY_VERIFIED;
		else if (!strcmp(policy, "signed"))
			pol.mode = SIGN_POLICY_SIGNED;
		else if (strcmp(policy, "any"))
			rc = cli_error("verify-sig: unknown policy '%s'", policy);
		if (!prog && rc == EXIT_OK)
			rc = cli_error("verify-sig: --policy needs --prog NAME");
		if (rc == EXIT_OK) {
			/* policy 'verified' trusts only a valid signature's
			 * verdict here; the runtime runs the verifier itself */
			bool verified = false;
			struct sign_statement st;
			struct graft_err e2 = { 0 };
			if (sig && !sign_verify(sig, slen, obj, olen, trusted,
						ntrust, &st, &e2))
				for (size_t i = 0; i < st.nprogs; i++)
					if (!strcmp(st.progs[i].name, prog))
						verified = st.progs[i].verified;
			if (sign_policy_check(&pol, obj, olen, sig,
					      sig ? slen : 0, prog, verified, &err))
				rc = cli_error("verify-sig: refused: %s", err.msg);
			else
				printf("policy %s: %s may be loaded\n", policy,
				       prog);
		}
		free(obj);
		free(sig);
		return rc;
	}
	struct sign_statement st;
	if (sign_verify(sig, slen, obj, olen, trusted, ntrust, &st, &err)) {
		rc = cli_error("verify-sig: %s: %s", path, err.msg);
	} else {
		printf("%s: good signature\n", path);
		for (size_t i = 0; i < st.nprogs; i++)
			printf("  %s (%s): %s\n", st.progs[i].name,
			       st.progs[i].type,
			       st.progs[i].verified ? "verified" : "unverified");
	}
	free(obj);
	free(sig);
	return rc;
}
