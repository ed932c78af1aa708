/*
 * bench/verify/runner.c — runs graft's verifier, and the kernel's through
 * libbpf where bpf() works, on the programs of BPF selftest objects, and
 * compares both with the __success / __failure annotations the selftests
 * carry as BTF decl tags ("comment:test_expect_success" etc.).
 *
 *   runner [--kernel] [--tsv FILE] OBJ...
 *
 * Prints the summary table; the TSV lists every program with both
 * verdicts, times and graft's message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "elfprog.h"

/* Counts blocks verify_prog leaves allocated (it must leave none). */
static long live, leaked;
static void *r_alloc(void *ud, size_t n)
{
	(void)ud;
	void *p = malloc(n);
	live += p != NULL;
	return p;
}
static void r_free(void *ud, void *p)
{
	(void)ud;
	live -= p != NULL;
	free(p);
}

enum { EXP_NONE, EXP_SUCCESS, EXP_FAILURE };

struct rec {
	char obj[64], prog[128];
	int expect;
	int memsafe;          /* expected failure about memory safety */
	int graft;            /* 1 accept, 0 reject, -1 unmodeled */
	double graft_us;
	int kernel;           /* 1 accept, 0 reject, -1 not run */
	double kernel_us;
	char reason[160];
	char msg[256];        /* graft's whole message */
};

static struct rec *recs;
static size_t nrecs, caprecs;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Expected-failure messages that are about memory safety (bounds, types,
 * uninitialized reads, pointer leaks) rather than policy. */
static int is_memsafe_msg(const char *m)
{
	static const char *const keys[] = {
		"invalid access", "invalid mem access", "out of bounds",
		"min value is negative", "max value is outside", "invalid read",
		"invalid stack", "!read_ok", "invalid indirect read",
		"unbounded", "leaks addr", "pointer arithmetic",
		"invalid write", "misaligned", "outside of the allowed",
		"map_value_or_null", "invalid size", "invalid bpf_context",
		"invalid variable", "corrupted spill", "cannot write into",
		"pointer comparison", "invalid zero-sized", "R0 invalid mem",
		"arithmetic on", "variable stack access", "invalid negative",
		"bitwise operator", "unknown opcode", "value is outside",
		"offset is outside", "math between", "invalid indirect access",
		"dereference of modified", "type=scalar expected", "expected=",
		"invalid func", "!= pointer", "access beyond", "is not allowed",
		"ptr_to", "infinite loop", "back-edge", "unreachable",
		"jump out of range", "invalid argument", "possibly NULL",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strstr(m, keys[i]))
			return 1;
	return 0;
}

struct tags {
	int expect;
	int memsafe;
	int has_msg;
};

static struct tags func_tags(struct btf *btf, const char *fname)
{
	struct tags t = { EXP_NONE, 0, 0 };
	if (!btf)
		return t;
	unsigned n = btf__type_cnt(btf);
	for (unsigned id = 1; id < n; id++) {
		const struct btf_type *ty = btf__type_by_id(btf, id);
		if (!btf_is_decl_tag(ty))
			continue;
		const struct btf_type *tgt = btf__type_by_id(btf, ty->type);
		if (!tgt || !btf_is_func(tgt) ||
		    strcmp(btf__name_by_offset(btf, tgt->name_off), fname))
			continue;
		const char *tag = btf__name_by_offset(btf, ty->name_off);
		if (!strcmp(tag, "comment:test_expect_failure"))
			t.expect = EXP_FAILURE;
		else if (!strcmp(tag, "comment:test_expect_success"))
			t.expect = EXP_SUCCESS;
		else if (!strncmp(tag, "comment:test_expect_msg=", 24)) {
			t.has_msg = 1;
			if (is_memsafe_msg(tag))
				t.memsafe = 1;
		}
	}
	return t;
}

static struct rec *new_rec(void)
{
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 512;
		recs = realloc(recs, caprecs * sizeof *recs);
	}
	memset(&recs[nrecs], 0, sizeof recs[0]);
	recs[nrecs].kernel = -1;
	return &recs[nrecs++];
}

/* Strip numbers so that messages group by reason. */
static void reason_of(const char *msg, char *out, size_t len)
{
	const char *p = strstr(msg, "): ");
	p = p ? p + 3 : msg;
	size_t k = 0;
	for (; *p && *p != ';' && k + 1 < len; p++) {
		if (*p >= '0' && *p <= '9') {
			if (k && out[k - 1] == 'N')
				continue;
			out[k++] = 'N';
		} else {
			out[k++] = *p;
		}
	}
	out[k] = 0;
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* The kernel's verdict on one program of the object, and its own
 * "verification time N usec". */
static int kernel_verify(const char *path, const char *prog, double *us)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj || libbpf_get_error(obj))
		return -1;
	struct bpf_program *p, *want = NULL;
	static char log[1 << 16];
	bpf_object__for_each_program(p, obj) {
		if (!strcmp(bpf_program__name(p), prog)) {
			want = p;
			bpf_program__set_autoload(p, true);
			bpf_program__set_log_level(p, 4);
			bpf_program__set_log_buf(p, log, sizeof log);
		} else {
			bpf_program__set_autoload(p, false);
		}
	}
	if (!want) {
		bpf_object__close(obj);
		return -1;
	}
	log[0] = 0;
	double t0 = now_us();
	int err = bpf_object__load(obj);
	double t1 = now_us();
	const char *vt = strstr(log, "verification time ");
	*us = vt ? atof(vt + 18) : t1 - t0;
	bpf_object__close(obj);
	if (err == -ENOENT || err == -EOPNOTSUPP)
		return -1;
	return err == 0;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void times(double *v, size_t n, double *med, double *max)
{
	if (!n) {
		*med = *max = 0;
		return;
	}
	qsort(v, n, sizeof *v, cmpd);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*max = v[n - 1];
}

static void run_obj(const char *path, int kernel)
{
	static struct ep_obj o;
	char err[256];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (ep_open(path, &o, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", path, err);
		return;
	}
	struct btf *btf = btf__parse_elf(path, NULL);
	if (btf && libbpf_get_error(btf))
		btf = NULL;
	for (size_t i = 0; i < o.nprogs; i++) {
		struct ep_prog *p = &o.progs[i];
		struct rec *r = new_rec();
		snprintf(r->obj, sizeof r->obj, "%.*s", (int)strcspn(base, "."),
			 base);
		snprintf(r->prog, sizeof r->prog, "%s", p->name);
		struct tags t = func_tags(btf, p->name);
		r->expect = t.expect;
		r->memsafe = t.expect == EXP_FAILURE && t.memsafe;
		enum verify_prog_type ty = verify_prog_type_from_section(p->sec);
		if (p->unsupported[0]) {
			r->graft = -1;
			snprintf(r->reason, sizeof r->reason, "object: %s",
				 p->unsupported);
		} else if (ty == VERIFY_PROG_COUNT) {
			r->graft = -1;
			snprintf(r->reason, sizeof r->reason,
				 "program type of section %.*s",
				 (int)strcspn(p->sec, "/."), p->sec);
		} else {
			struct verify_opts vo = {
				.type = ty, .maps = o.maps, .nmaps = o.nmaps,
				.alloc = { r_alloc, r_free, NULL } };
			vo.ret_range = verify_section_ret_range(
				p->sec, &vo.ret_min, &vo.ret_max);
			struct verify_result res;
			struct graft_err ge = { 0 };
			double best = 1e18;
			enum graft_status s = GRAFT_OK;
			for (int rep = 0; rep < 3; rep++) {
				live = 0;
				double t0 = now_us();
				s = verify_prog(p->insns, p->n, &vo, &res, &ge);
				double dt = now_us() - t0;
				leaked += live;
				if (dt < best)
					best = dt;
				if (dt > 20000)
					break;
			}
			r->graft_us = best;
			if (s == GRAFT_OK) {
				r->graft = 1;
			} else if (s == GRAFT_ENOTSUP) {
				snprintf(r->msg, sizeof r->msg, "%s", ge.msg);
				r->graft = -1;
				reason_of(ge.msg, r->reason, sizeof r->reason);
			} else {
				snprintf(r->msg, sizeof r->msg, "%s", ge.msg);
				r->graft = 0;
				reason_of(ge.msg, r->reason, sizeof r->reason);
			}
		}
		if (kernel)
			r->kernel = kernel_verify(path, p->name, &r->kernel_us);
	}
	if (btf)
		btf__free(btf);
	ep_close(&o);
}

struct count {
	char reason[160];
	int n;
};

int main(int argc, char **argv)
{
	int kernel = 0;
	const char *tsv = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--kernel"))
			kernel = 1;
		else if (!strcmp(argv[i], "--tsv") && i + 1 < argc)
			tsv = argv[++i];
	}
	libbpf_set_print(silent);
	for (; i < argc; i++)
		run_obj(argv[i], kernel);

	FILE *out = tsv ? fopen(tsv, "w") : NULL;
	size_t es = 0, es_acc = 0, ef = 0, ef_rej = 0, ms = 0, ms_rej = 0;
	size_t k_es_acc = 0, k_ef_rej = 0, k_acc = 0, g_of_k = 0, k_ms_rej = 0;
	size_t unmod = 0, total = 0, unsound_vs_expect = 0;
	double *gt = calloc(nrecs + 1, sizeof *gt), *kt = calloc(nrecs + 1,
								  sizeof *kt);
	size_t ngt = 0, nkt = 0;
	struct count *cnt = calloc(nrecs + 1, sizeof *cnt);
	size_t ncnt = 0;
	for (size_t k = 0; k < nrecs; k++) {
		struct rec *r = &recs[k];
		if (out)
			fprintf(out, "%s\t%s\t%s\t%s\t%.1f\t%s\t%.1f\t%s\t%s\n",
				r->obj,
				r->prog,
				r->expect == EXP_SUCCESS ? "success" :
				r->expect == EXP_FAILURE ? "failure" : "-",
				r->graft == 1 ? "accept" :
				r->graft == 0 ? "reject" : "unmodeled",
				r->graft_us,
				r->kernel == 1 ? "accept" :
				r->kernel == 0 ? "reject" : "-",
				r->kernel_us, r->reason, r->msg);
		if (r->expect == EXP_NONE)
			continue;
		total++;
		if (r->graft >= 0)
			gt[ngt++] = r->graft_us;
		if (r->kernel >= 0)
			kt[nkt++] = r->kernel_us;
		if (r->graft < 0) {
			unmod++;
			size_t c;
			for (c = 0; c < ncnt && strcmp(cnt[c].reason, r->reason); c++)
				;
			if (c == ncnt)
				snprintf(cnt[ncnt++].reason, 160, "%s", r->reason);
			cnt[c].n++;
		}
		if (r->expect == EXP_SUCCESS) {
			es++;
			es_acc += r->graft == 1;
			k_es_acc += r->kernel == 1;
		} else {
			ef++;
			ef_rej += r->graft != 1;
			k_ef_rej += r->kernel == 0;
			unsound_vs_expect += r->graft == 1;
			if (r->memsafe) {
				ms++;
				ms_rej += r->graft != 1;
				k_ms_rej += r->kernel == 0;
			}
		}
		if (r->kernel == 1) {
			k_acc++;
			g_of_k += r->graft == 1;
		}
	}
	if (out)
		fclose(out);
	double gmed, gmax, kmed, kmax;
	times(gt, ngt, &gmed, &gmax);
	times(kt, nkt, &kmed, &kmax);
	printf("programs with a privileged expectation: %zu (%zu expect "
	       "success, %zu expect failure, %zu of them memory-safety)\n",
	       total, es, ef, ms);
	printf("%-44s %12s %12s\n", "", "graft", kernel ? "kernel" : "kernel(n/a)");
	printf("%-44s %7zu/%-4zu %7zu/%-4zu\n", "accepted of expected-success",
	       es_acc, es, k_es_acc, es);
	if (kernel)
		printf("%-44s %7zu/%-4zu %7zu/%-4zu\n",
		       "accepted of kernel-accepted", g_of_k, k_acc, k_acc, k_acc);
	printf("%-44s %7zu/%-4zu %7zu/%-4zu\n", "rejected of expected-failure",
	       ef_rej, ef, k_ef_rej, ef);
	printf("%-44s %7zu/%-4zu %7zu/%-4zu\n",
	       "rejected of expected memory-safety failures", ms_rej, ms,
	       k_ms_rej, ms);
	printf("%-44s %9.1fus %9.1fus\n", "median verification time", gmed, kmed);
	printf("%-44s %9.1fus %9.1fus\n", "max verification time", gmax, kmax);
	if (es)
		printf("graft accepts %.1f%% of expected-success", 100.0 * es_acc / es);
	if (k_acc)
		printf(", %.1f%% of kernel-accepted", 100.0 * g_of_k / k_acc);
	if (ef)
		printf("; rejects %.1f%% of expected failures", 100.0 * ef_rej / ef);
	if (ms)
		printf(" (%.1f%% of memory-safety ones)", 100.0 * ms_rej / ms);
	printf("\n");
	printf("graft accepted %zu expected-failure programs (see the TSV; "
	       "most are policy checks graft does not make)\n",
	       unsound_vs_expect);
	printf("blocks verify_prog left allocated: %ld\n", leaked);
	printf("\nneeding features graft does not model: %zu programs, by "
	       "reason:\n", unmod);
	for (size_t a = 0; a < ncnt; a++)
		for (size_t b = a + 1; b < ncnt; b++)
			if (cnt[b].n > cnt[a].n) {
				struct count t = cnt[a];
				cnt[a] = cnt[b], cnt[b] = t;
			}
	for (size_t c = 0; c < ncnt; c++)
		printf("  %5d  %s\n", cnt[c].n, cnt[c].reason);
	free(gt), free(kt), free(cnt), free(recs);
	return 0;
}
