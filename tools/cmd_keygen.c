/*
 * graft keygen NAME — make an Ed25519 key pair: NAME.key (secret, mode
 * 0600) and NAME.pub (public), each one line of hex.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "graft/sign.h"

static int write_text(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

int cmd_keygen(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: graft keygen NAME   (writes NAME.key and NAME.pub)\n");
		return argc == 2 ? EXIT_OK : EXIT_USAGE;
	}
	struct sign_keypair kp;
	struct graft_err err = { 0 };
	if (sign_keygen(&kp, &err))
		return cli_error("keygen: %s", err.msg);
	char sk[2 * SIGN_SK_BYTES + 2], pk[2 * SIGN_PK_BYTES + 2];
	sign_hex(kp.sk, SIGN_SK_BYTES, sk, sizeof sk);
	sign_hex(kp.pk, SIGN_PK_BYTES, pk, sizeof pk);
	strcat(sk, "\n");
	strcat(pk, "\n");
	sodium_memzero(&kp, sizeof kp);
	char path[4096];
	snprintf(path, sizeof path, "%s.key", argv[1]);
	if (write_text(path, sk, 0600)) {
		sodium_memzero(sk, sizeof sk);
		return cli_error("keygen: cannot create %s (exists?)", path);
	}
	sodium_memzero(sk, sizeof sk);
	snprintf(path, sizeof path, "%s.pub", argv[1]);
	if (write_text(path, pk, 0644))
		return cli_error("keygen: cannot create %s (exists?)", path);
	printf("wrote %s.key (secret) and %s.pub: %s", argv[1], argv[1], pk);
	return EXIT_OK;
}
