/*
 * kernel/cmdline.h — splitting the QEMU -append string into kernel options
 * and the application's argv. Pure code: also built on the host for tests
 * and the fuzzer.
 *
 * Syntax: words separated by blanks; "double" and 'single' quotes group,
 * a backslash escapes the next character (outside single quotes). If a
 * word "--" appears, the words before it are kernel options (key=value) and
 * the words after it are argv; otherwise every word is argv.
 */
#ifndef GRAFT_KERNEL_CMDLINE_H
#define GRAFT_KERNEL_CMDLINE_H

#include <stddef.h>

#define CMDLINE_MAX_ARGS 64
#define CMDLINE_MAX_OPTS 32

struct cmdline {
	char *argv[CMDLINE_MAX_ARGS + 1]; /* NULL-terminated */
	int argc;
	char *opt_key[CMDLINE_MAX_OPTS];
	char *opt_val[CMDLINE_MAX_OPTS];
	int nopts;
};

/*
 * Parse text (NUL-terminated) into out, using buf (cap bytes, at least
 * strlen(text) + 1) for the words. Returns 0, or -1 with a message in err
 * saying what is wrong and at which byte offset.
 */
int cmdline_parse(const char *text, char *buf, size_t cap, struct cmdline *out,
		  char *err, size_t errcap);

#endif
