/*
 * Linux helpers that touch no map: probe_read and its _str/_user/_kernel
 * variants (graft has one address space: "kernel" and "user" memory are
 * both the regions the host registered, and the program's stack), the
 * clock, the random numbers, the CPU number and trace_printk, whose lines
 * go to the env's log for the host to read.
 */
#include <stdio.h>

#include "helpers_internal.h"

#define PTR(v) ((void *)(uintptr_t)(v))

static uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src,
			   struct ebpf_exec *x)
{
	if (!helper_mem(x, dst, size, EBPF_W, "probe_read", "dst"))
		return 0;
	if (size && !ebpf_exec_access_ok(x, src, size, EBPF_R)) {
		memset(PTR(dst), 0, size);
		return (uint64_t)(int64_t)GRAFT_E_FAULT;
	}
	memmove(PTR(dst), PTR(src), size);
	return 0;
}

/* Copies up to size-1 readable bytes and a NUL into d (host memory);
 * returns the length with the NUL, or -EFAULT when src's first byte is
 * unreadable (as Linux). */
static int64_t copy_str(struct ebpf_exec *x, uint8_t *d, uint64_t size,
			uint64_t src)
{
	if (size == 0)
		return 0;
	uint64_t i = 0;
	for (; i + 1 < size; i++) {
		if (!ebpf_exec_access_ok(x, src + i, 1, EBPF_R)) {
			if (i == 0) {
				memset(d, 0, size);
				return GRAFT_E_FAULT;
			}
			break;
		}
		uint8_t c = *(const uint8_t *)PTR(src + i);
		d[i] = c;
		if (!c)
			return (int64_t)i + 1;
	}
	d[i] = 0;
	return (int64_t)i + 1;
}

static uint64_t probe_read_str(uint64_t dst, uint64_t size, uint64_t src,
			       struct ebpf_exec *x)
{
	if (!helper_mem(x, dst, size, EBPF_W, "probe_read_str", "dst"))
		return 0;
	return (uint64_t)copy_str(x, PTR(dst), size, src);
}

#define PROBE(name, fn)                                                     \
	static uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3,        \
			     uint64_t r4, uint64_t r5, struct ebpf_exec *x) \
	{                                                                   \
		(void)r4, (void)r5;                                         \
		return fn(r1, (uint32_t)r2, r3, x);                         \
	}
PROBE(h_probe_read, probe_read)
PROBE(h_probe_read_str, probe_read_str)

static uint64_t h_ktime(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			uint64_t r5, struct ebpf_exec *x)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	struct graft_env *env = helper_env(x);
	return env && env->now_ns ? env->now_ns(env->now_ud) : 0;
}

static uint64_t h_prandom(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, struct ebpf_exec *x)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	struct graft_env *env = helper_env(x);
	if (!env)
		return 0;
	uint64_t s = env->rand_state ? env->rand_state : 0x9e3779b97f4a7c15ull;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	env->rand_state = s;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}

static uint64_t h_cpu(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		      uint64_t r5, struct ebpf_exec *x)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	struct graft_env *env = helper_env(x);
	return env ? env->cpu : 0;
}

void helper_log(struct graft_env *env, const char *s, size_t n)
{
	size_t room = sizeof env->log - 1 - env->log_len;
	size_t k = n < room ? n : room;
	memcpy(env->log + env->log_len, s, k);
	env->log_len += (uint32_t)k;
	env->log[env->log_len] = 0;
	env->log_dropped += (uint32_t)(n - k);
}

/*
 * trace_printk's conversions, as Linux's bprintf accepts them: flags
 * "-0+ ", a width, l/ll, then d i u x X c s p % ; %p variants print the
 * address. At most 3 arguments; %s reads through probe_read_str.
 */
static int format(struct ebpf_exec *x, const char *f, size_t flen,
		  const uint64_t *args, char *out, size_t cap)
{
	size_t o = 0;
	unsigned used = 0;
	for (size_t i = 0; i < flen && f[i]; i++) {
		if (f[i] != '%') {
			if (o + 1 < cap)
				out[o++] = f[i];
			continue;
		}
		char spec[16] = "%";
		size_t s = 1;
		i++;
		while (i < flen && strchr("-0+ ", f[i]) && f[i] && s < 5)
			spec[s++] = f[i++];
		while (i < flen && f[i] >= '0' && f[i] <= '9' && s < 8)
			spec[s++] = f[i++];
		int longs = 0;
		while (i < flen && f[i] == 'l' && longs < 2)
			longs++, i++;
		if (i >= flen || !f[i])
			return -1;
		char c = f[i];
		if (c == '%') {
			if (o + 1 < cap)
				out[o++] = '%';
			continue;
		}
		if (used == 3 || !strchr("diuxXcsp", c))
			return -1;
		uint64_t a = args[used++];
		char tmp[300];
		int n;
		if (c == 's') {
			char str[256];
			if (copy_str(x, (uint8_t *)str, sizeof str, a) < 0)
				snprintf(str, sizeof str, "(efault)");
			spec[s++] = 's';
			n = snprintf(tmp, sizeof tmp, spec, str);
		} else if (c == 'p') {
			while (i + 1 < flen && (f[i + 1] == 'K' || f[i + 1] == 'x'))
				i++;
			n = snprintf(tmp, sizeof tmp, "0x%llx",
				     (unsigned long long)a);
		} else if (c == 'c') {
			spec[s++] = 'c';
			n = snprintf(tmp, sizeof tmp, spec, (int)(uint8_t)a);
		} else {
			spec[s++] = 'l';
			spec[s++] = 'l';
			spec[s++] = c;
			if (c == 'd' || c == 'i') {
				int64_t v = longs ? (int64_t)a : (int32_t)a;
				n = snprintf(tmp, sizeof tmp, spec, (long long)v);
			} else {
				uint64_t v = longs ? a : (uint32_t)a;
				n = snprintf(tmp, sizeof tmp, spec,
					     (unsigned long long)v);
			}
		}
		for (int k = 0; k < n && k < (int)sizeof tmp - 1; k++)
			if (o + 1 < cap)
				out[o++] = tmp[k];
	}
	out[o] = 0;
	return (int)o;
}

static uint64_t h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	struct graft_env *env = helper_env(x);
	if (!env || !helper_mem(x, r1, r2, EBPF_R, "trace_printk", "fmt"))
		return 0;
	const char *f = PTR(r1);
	if (r2 == 0 || f[r2 - 1] != 0)
		return (uint64_t)(int64_t)GRAFT_E_INVAL;
	uint64_t args[3] = { r3, r4, r5 };
	char out[512];
	int n = format(x, f, r2, args, out, sizeof out);
	if (n < 0)
		return (uint64_t)(int64_t)GRAFT_E_INVAL;
	helper_log(env, out, (size_t)n);
	return (uint64_t)n;
}

const struct ebpf_helper helpers_misc_table[] = {
	{ GRAFT_FN_probe_read, "probe_read", h_probe_read },
	{ GRAFT_FN_probe_read_user, "probe_read_user", h_probe_read },
	{ GRAFT_FN_probe_read_kernel, "probe_read_kernel", h_probe_read },
	{ GRAFT_FN_probe_read_str, "probe_read_str", h_probe_read_str },
	{ GRAFT_FN_probe_read_user_str, "probe_read_user_str",
	  h_probe_read_str },
	{ GRAFT_FN_probe_read_kernel_str, "probe_read_kernel_str",
	  h_probe_read_str },
	{ GRAFT_FN_ktime_get_ns, "ktime_get_ns", h_ktime },
	{ GRAFT_FN_get_prandom_u32, "get_prandom_u32", h_prandom },
	{ GRAFT_FN_get_smp_processor_id, "get_smp_processor_id", h_cpu },
	{ GRAFT_FN_trace_printk, "trace_printk", h_trace_printk },
};
const size_t helpers_misc_count =
	sizeof helpers_misc_table / sizeof helpers_misc_table[0];
