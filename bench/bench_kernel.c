/*
 * The Linux kernel's engine: load the same object through libbpf and time
 * it with BPF_PROG_TEST_RUN (XDP, a packet holding the inputs, `repeat`
 * runs per call). The kernel times the runs itself and reports the mean;
 * that figure, not our wall clock around the syscall, is what we use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"

struct bench_kprog {
	struct bpf_object *obj;
	int fd;
};

/* libbpf's last warning, kept for the "why" line instead of spraying it. */
static char last_log[256];

static int quiet_log(enum libbpf_print_level lvl, const char *fmt,
		     va_list ap)
{
	if (lvl != LIBBPF_DEBUG) {
		vsnprintf(last_log, sizeof last_log, fmt, ap);
		char *nl = strchr(last_log, '\n');
		if (nl)
			*nl = 0;
	}
	return 0;
}

struct bench_kprog *bench_kernel_load(const char *path, const char *name,
				      char *why, size_t whylen)
{
	libbpf_set_print(quiet_log);
	last_log[0] = 0;
	struct bench_kprog *k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	k->obj = bpf_object__open_file(path, NULL);
	long oerr = libbpf_get_error(k->obj);
	if (oerr) {
		snprintf(why, whylen, "libbpf cannot open %s: %s", path,
			 strerror((int)-oerr));
		free(k);
		return NULL;
	}
	int err = bpf_object__load(k->obj);
	if (err) {
		snprintf(why, whylen, "bpf() load refused: %s%s%s",
			 strerror(-err), last_log[0] ? " — " : "", last_log);
		bpf_object__close(k->obj);
		free(k);
		return NULL;
	}
	struct bpf_program *p = bpf_object__find_program_by_name(k->obj, name);
	if (!p) {
		snprintf(why, whylen, "%s has no program '%s'", path, name);
		bench_kernel_close(k);
		return NULL;
	}
	k->fd = bpf_program__fd(p);
	return k;
}

int bench_kernel_run(struct bench_kprog *k, const void *pkt, uint32_t len,
		     uint32_t repeat, double *ns, uint32_t *r0, char *why,
		     size_t whylen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat);
	if (bpf_prog_test_run_opts(k->fd, &o) != 0) {
		int e = errno;
		snprintf(why, whylen, "BPF_PROG_TEST_RUN failed: %s",
			 strerror(e));
		return -e;
	}
	*ns = o.duration;
	*r0 = o.retval;
	return 0;
}

void bench_kernel_close(struct bench_kprog *k)
{
	if (!k)
		return;
	bpf_object__close(k->obj);
	free(k);
}

bool bench_kernel_usable(const char *probe, char *why, size_t whylen)
{
	libbpf_set_print(quiet_log);
	struct bpf_object *obj = bpf_object__open_file(probe, NULL);
	long oerr = libbpf_get_error(obj);
	if (oerr) {
		snprintf(why, whylen, "libbpf cannot open %s: %s", probe,
			 strerror((int)-oerr));
		return false;
	}
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	if (err == -EPERM || err == -EACCES)
		snprintf(why, whylen, "bpf() not permitted (%s): loading "
			 "programs needs root or CAP_BPF with CAP_NET_ADMIN",
			 strerror(-err));
	else if (err)
		snprintf(why, whylen, "bpf() unusable: %s", strerror(-err));
	return err == 0;
}

const char *bench_kernel_jit_note(void)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	int on = -1;
	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = -1;
		fclose(f);
	}
	if (on == 0)
		return "kernel JIT is off (bpf_jit_enable=0): the kernel "
		       "column is the kernel's interpreter";
	return "";
}
