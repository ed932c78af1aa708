/*
 * fuzz/fuzz_kernel_cmdline.c — the kernel's command-line parser
 * (kernel/cmdline.c, host build) on arbitrary text: it must return 0 or -1
 * with a message, never read or write out of bounds, and on success give
 * words that are NUL-terminated inside the word buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/cmdline.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *buf = malloc(size + 1);
	if (!text || !buf) {
		free(text);
		free(buf);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	struct cmdline cl;
	char err[128];
	if (cmdline_parse(text, buf, size + 1, &cl, err, sizeof err) == 0) {
		for (int i = 0; i < cl.argc; i++)
			if (cl.argv[i] < buf || cl.argv[i] + strlen(cl.argv[i]) >= buf + size + 1)
				abort();
		if (cl.argv[cl.argc] != NULL)
			abort();
	} else if (!memchr(err, '\0', sizeof err) || strncmp(err, "kernel command line: ", 21)) {
		abort();
	}
	free(text);
	free(buf);
	return 0;
}
