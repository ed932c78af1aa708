/* apps/ktest/t_libc.c — musl (or glibc on Linux) through our system calls. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graft/platform.h"
#include "ktest.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int t_libc(int argc, char **argv)
{
	(void)argc, (void)argv;
	char buf[256];
	snprintf(buf, sizeof buf, "%d|%5s|%-4x|%08.3f|%e|%g|%c|%%|%llu", -42, "ab", 255, 3.14159,
		 12345.678, 0.0001, 'z', 18446744073709551615ULL);
	KT_CHECK(!strcmp(buf, "-42|   ab|ff  |0003.142|1.234568e+04|0.0001|z|%|18446744073709551615"),
		 "snprintf gave '%s'", buf);

	int *v = malloc(1000 * sizeof *v);
	KT_CHECK(v != NULL, "malloc");
	if (v) {
		unsigned s = 7;
		for (int i = 0; i < 1000; i++) {
			s = s * 1103515245u + 12345u;
			v[i] = (int)(s >> 8) % 100000 - 50000;
		}
		qsort(v, 1000, sizeof *v, cmp_int);
		int sorted = 1;
		for (int i = 1; i < 1000; i++)
			sorted &= v[i - 1] <= v[i];
		KT_CHECK(sorted, "qsort");
		free(v);
	}

	char *end;
	double d = strtod("  -1.5e3xyz", &end);
	KT_CHECK(d == -1500.0 && !strcmp(end, "xyz"), "strtod -1.5e3 gave %g", d);
	d = strtod("0x1p-2", &end);
	KT_CHECK(d == 0.25 && !*end, "strtod hex gave %g", d);
	d = strtod("inf", NULL);
	KT_CHECK(isinf(d), "strtod inf");
	KT_CHECK(fabs(sqrt(2.0) - 1.41421356) < 1e-7, "sqrt");

	/* A built-in file (unikernel; on Linux it is under GRAFT_ROOT). */
	FILE *f = fopen("/etc/motd", "r");
	if (!strcmp(gp_name(), "kernel")) {
		KT_CHECK(f != NULL, "fopen /etc/motd");
		if (f) {
			KT_CHECK(fgets(buf, sizeof buf, f) && !strcmp(buf, "graft built-in file\n"), "line 1: '%s'", buf);
			KT_CHECK(fgets(buf, sizeof buf, f) && !strcmp(buf, "second line 42\n"), "line 2: '%s'", buf);
			KT_CHECK(!fgets(buf, sizeof buf, f), "end of file");
			fclose(f);
		}
	} else if (f) {
		fclose(f);
	}

	/* Write, append and read back a run-time file. */
	const char *dir = getenv("KTEST_TMP") ? getenv("KTEST_TMP") : "/tmp";
	char path[200];
	snprintf(path, sizeof path, "%s/ktest-libc", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/ktest-libc/notes.txt", dir);
	f = fopen(path, "w");
	KT_CHECK(f != NULL, "fopen %s for writing", path);
	if (f) {
		for (int i = 0; i < 100; i++)
			fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
		fclose(f);
	}
	f = fopen(path, "a");
	if (f) {
		fputs("appended\n", f);
		fclose(f);
	}
	f = fopen(path, "r");
	KT_CHECK(f != NULL, "fopen %s for reading", path);
	if (f) {
		int lines = 0, ok = 1;
		while (fgets(buf, sizeof buf, f)) {
			char want[64];
			if (lines < 100)
				snprintf(want, sizeof want, "line %d %s\n", lines, lines % 2 ? "odd" : "even");
			else
				snprintf(want, sizeof want, "appended\n");
			ok &= !strcmp(buf, want);
			lines++;
		}
		KT_CHECK(ok && lines == 101, "read back %d lines (ok %d)", lines, ok);
		fseek(f, 0, SEEK_END);
		KT_CHECK(ftell(f) > 1000, "ftell %ld", ftell(f));
		fclose(f);
	}
	struct stat st;
	KT_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 1000, "stat");
	snprintf(path, sizeof path, "%s/ktest-libc", dir);
	DIR *d1 = opendir(path);
	KT_CHECK(d1 != NULL, "opendir %s", path);
	if (d1) {
		int found = 0;
		struct dirent *e;
		while ((e = readdir(d1)))
			found += !strcmp(e->d_name, "notes.txt");
		closedir(d1);
		KT_CHECK(found == 1, "readdir found notes.txt %d times", found);
	}
	snprintf(path, sizeof path, "%s/ktest-libc/notes.txt", dir);
	KT_CHECK(unlink(path) == 0, "unlink");
	KT_CHECK(access(path, F_OK) != 0, "gone after unlink");
	snprintf(path, sizeof path, "%s/ktest-libc", dir);
	KT_CHECK(rmdir(path) == 0, "rmdir");
	KT_CHECK(fopen("/no/such/file", "r") == NULL, "fopen of a missing file");
	return kt_done();
}
