/*
 * tests/asm_datafile.h — reader for the conformance suite's .data files
 * (see ../shared/conformance/README.md), shared by the conformance runner
 * and the assembler round-trip test.
 *
 * Sections: `-- asm` (kept as text, handed to the assembler as is),
 * `-- mem` (hex bytes), `-- result` (hex r0), `-- error` (expected
 * failure text), `-- raw` (64-bit words `0x...` or 8 hex bytes per slot);
 * `-- c` and `-- no register offset` are notes and ignored. Lines starting
 * with `#` outside `-- asm` are comments. Any other section is an error.
 */
#ifndef GRAFT_TESTS_ASM_DATAFILE_H
#define GRAFT_TESTS_ASM_DATAFILE_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"

#define DF_MAX_RAW 4096

struct datafile {
	char *buf; /* the whole file, NUL-terminated */
	const char *asm_text;
	size_t asm_len;
	unsigned asm_line; /* file line of the first asm line */
	bool has_asm, has_mem, has_result, has_error, has_raw;
	uint8_t *mem;
	size_t mem_len;
	uint64_t result;
	char error[256];
	struct ebpf_insn raw[DF_MAX_RAW];
	size_t nraw;
	char why[256]; /* why the file could not be read */
};

static char *df_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap + 1);
	while (b) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *nb = realloc(b, 2 * cap + 1);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		cap *= 2;
	}
	fclose(f);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

__attribute__((unused)) static void df_free(struct datafile *d)
{
	free(d->buf);
	free(d->mem);
	memset(d, 0, sizeof *d);
}

__attribute__((unused)) static int df_hex(int ch)
{
	return isdigit(ch) ? ch - '0' : isxdigit(ch) ? (tolower(ch) - 'a' + 10) : -1;
}

__attribute__((unused)) static struct ebpf_insn df_from_word(uint64_t w)
{
	return (struct ebpf_insn){
		.code = (uint8_t)w, .dst = (uint8_t)((w >> 8) & 0xf),
		.src = (uint8_t)((w >> 12) & 0xf), .off = (int16_t)(uint16_t)(w >> 16),
		.imm = (int32_t)(uint32_t)(w >> 32),
	};
}

/* One line of a section; returns false (and sets d->why) on bad data. */
__attribute__((unused)) static bool df_line(struct datafile *d, const char *sect, char *s,
		    unsigned ln, uint8_t *bytes, size_t *nbytes)
{
	if (!strcmp(sect, "mem") || !strcmp(sect, "raw")) {
		for (char *t = strtok(s, " \t\r"); t; t = strtok(NULL, " \t\r")) {
			if (!strcmp(sect, "raw") && t[0] == '0' && t[1] == 'x') {
				char *end;
				errno = 0;
				uint64_t w = strtoull(t, &end, 16);
				if (*end || errno || d->nraw == DF_MAX_RAW)
					goto bad;
				d->raw[d->nraw++] = df_from_word(w);
				continue;
			}
			if (strlen(t) != 2 || df_hex(t[0]) < 0 || df_hex(t[1]) < 0)
				goto bad;
			bytes[(*nbytes)++] = (uint8_t)(df_hex(t[0]) << 4 | df_hex(t[1]));
		}
		return true;
	}
	if (!strcmp(sect, "result")) {
		char *end;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return true;
		if (d->has_result)
			goto bad;
		errno = 0;
		d->result = strtoull(s, &end, 0);
		while (isspace((unsigned char)*end))
			end++;
		if (*end || errno)
			goto bad;
		d->has_result = true;
		return true;
	}
	if (!strcmp(sect, "error")) {
		size_t have = strlen(d->error);
		snprintf(d->error + have, sizeof d->error - have, "%s%s",
			 have ? " " : "", s);
		return true;
	}
	return true; /* c, no register offset */
bad:
	snprintf(d->why, sizeof d->why, "line %u: bad -- %s data", ln, sect);
	return false;
}

/* `-- raw` given as bytes: eight to a slot, least significant first. */
__attribute__((unused)) static bool df_flush_raw(struct datafile *d, const uint8_t *bytes,
			 size_t *nbytes)
{
	if (*nbytes % 8) {
		snprintf(d->why, sizeof d->why, "-- raw: %zu bytes, not whole slots",
			 *nbytes);
		return false;
	}
	for (size_t i = 0; i + 8 <= *nbytes && d->nraw < DF_MAX_RAW; i += 8) {
		uint64_t w = 0;
		for (int k = 7; k >= 0; k--)
			w = w << 8 | bytes[i + (size_t)k];
		d->raw[d->nraw++] = df_from_word(w);
	}
	*nbytes = 0;
	return true;
}

/* Read a .data file; false with d->why set when it cannot be used. */
__attribute__((unused)) static bool df_read(const char *path, struct datafile *d)
{
	memset(d, 0, sizeof *d);
	size_t len;
	d->buf = df_slurp(path, &len);
	if (!d->buf) {
		snprintf(d->why, sizeof d->why, "cannot read %.200s", path);
		return false;
	}
	/* mem and raw bytes: "xx " per byte, so fewer than half the file */
	uint8_t *bytes = malloc(len / 2 + 8);
	size_t nbytes = 0;
	d->mem = malloc(len / 2 + 8);
	if (!bytes || !d->mem) {
		free(bytes);
		snprintf(d->why, sizeof d->why, "out of memory");
		return false;
	}
	char sect[64] = "";
	char *p = d->buf;
	bool ok = true;
	for (unsigned ln = 1; *p && ok; ln++) {
		char *nl = strchr(p, '\n');
		char *next = nl ? nl + 1 : p + strlen(p);
		if (!strncmp(p, "-- ", 3)) {
			if (!strcmp(sect, "raw") && !df_flush_raw(d, bytes, &nbytes)) {
				ok = false;
				break;
			}
			size_t n = (size_t)(next - p) - 3;
			while (n && isspace((unsigned char)p[3 + n - 1]))
				n--;
			snprintf(sect, sizeof sect, "%.*s", (int)n, p + 3);
			if (!strcmp(sect, "asm")) {
				d->has_asm = true;
				d->asm_text = next;
				d->asm_line = ln + 1;
			} else if (!strcmp(sect, "mem")) {
				d->has_mem = true;
			} else if (!strcmp(sect, "error")) {
				d->has_error = true;
			} else if (!strcmp(sect, "raw")) {
				d->has_raw = true;
			} else if (strcmp(sect, "result") && strcmp(sect, "c") &&
				   strcmp(sect, "no register offset")) {
				snprintf(d->why, sizeof d->why,
					 "line %u: unknown section '-- %.40s'", ln, sect);
				ok = false;
			}
			if (nl)
				*nl = '\0';
		} else if (!strcmp(sect, "asm")) {
			d->asm_len = (size_t)(next - d->asm_text);
		} else if (*p != '#' && *sect) {
			if (nl)
				*nl = '\0';
			if (!strcmp(sect, "mem")) {
				ok = df_line(d, sect, p, ln, d->mem, &d->mem_len);
			} else {
				ok = df_line(d, sect, p, ln, bytes, &nbytes);
			}
		}
		p = next;
	}
	if (ok && !strcmp(sect, "raw"))
		ok = df_flush_raw(d, bytes, &nbytes);
	free(bytes);
	return ok;
}

static int df_cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The sorted names of the *.data files in dir (at most 1024); the count. */
__attribute__((unused)) static size_t df_list(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	size_t n = 0, cap = 1024;
	*names = malloc(cap * sizeof **names);
	for (struct dirent *e; d && *names && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".data") && n < cap)
			(*names)[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (*names)
		qsort(*names, n, sizeof **names, df_cmp_names);
	return n;
}

#endif
