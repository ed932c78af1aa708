/*
 * The overlay's eBPF helpers (IDs in graft/overlay.h, declarations for
 * programs in examples/bpf/include/overlay_helpers.h). They find the
 * overlay through the run's graft_env (x->user), whose app field the
 * overlay points at itself. Also here: trace_printk wrapped so that every
 * record in the trace ring ends with a newline.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"

static struct ovl_bpf *overlay_of(struct ebpf_exec *x)
{
	struct graft_env *env = x->user;
	return env ? env->app : NULL;
}

static uint64_t h_sym(uint64_t name, uint64_t len, uint64_t r3, uint64_t r4,
		      uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	char buf[128];
	(void)r3, (void)r4, (void)r5;
	if (!b || len == 0 || len >= sizeof buf)
		return 0;
	if (!ebpf_exec_access_ok(x, name, len, EBPF_R))
		return ebpf_exec_abort(x, "overlay_sym: name at 0x%llx not readable",
				       (unsigned long long)name);
	memcpy(buf, (const void *)(uintptr_t)name, len);
	buf[len] = 0;
	buf[strnlen(buf, len)] = 0;
	const struct ovl_bpf_host *h = &b->opts.host;
	uint64_t addr = h->sym_addr ? h->sym_addr(h->ud, buf) : 0;
	if (!addr)
		return 0;
	uint64_t size = h->sym_size ? h->sym_size(h->ud, buf) : 0;
	if (!size)
		size = 8;
	/* Readable for the rest of this run; no region left means 0. */
	if (!ebpf_exec_access_ok(x, addr, size, EBPF_R) &&
	    ebpf_exec_add_region(x, (const void *)(uintptr_t)addr, size, EBPF_R))
		return 0;
	return addr;
}

static uint64_t h_ret_addr(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return b ? b->ret_addr : 0;
}

static uint64_t h_notify(uint64_t value, uint64_t r2, uint64_t r3,
			 uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	char line[48];
	(void)r2, (void)r3, (void)r4, (void)r5;
	if (!b)
		return 0;
	int n = snprintf(line, sizeof line, "notify %llu\n",
			 (unsigned long long)value);
	struct graft_env *env = &b->env;
	if (n < 0 || env->log_len + (uint32_t)n >= sizeof env->log) {
		env->log_dropped += (uint32_t)(n > 0 ? n : 0);
		return (uint64_t)-1;
	}
	memcpy(env->log + env->log_len, line, (size_t)n);
	env->log_len += (uint32_t)n;
	env->log[env->log_len] = 0;
	return 0;
}

/* ---- the two-key store: the pinned map "overlay" ({k1, k2} -> u64) --- */

static uint64_t h_kv_get(uint64_t k1, uint64_t k2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	const uint64_t key[2] = { k1, k2 };
	(void)r3, (void)r4, (void)r5;
	const uint64_t *v = b && b->kv ? graft_map_lookup(b->kv, key) : NULL;
	return v ? *v : 0;
}

static uint64_t h_kv_put(uint64_t k1, uint64_t k2, uint64_t value, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	const uint64_t key[2] = { k1, k2 };
	(void)r4, (void)r5;
	if (!b || !b->kv)
		return (uint64_t)-1;
	return (uint64_t)(int64_t)graft_map_update(b->kv, key, &value, 0);
}

static uint64_t h_kv_del(uint64_t k1, uint64_t k2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	const uint64_t key[2] = { k1, k2 };
	(void)r3, (void)r4, (void)r5;
	if (!b || !b->kv)
		return (uint64_t)-1;
	return (uint64_t)(int64_t)graft_map_delete(b->kv, key);
}

/* To the console of the bpf_exec running it, else to the trace ring. */
static uint64_t h_puts(uint64_t str, uint64_t len, uint64_t r3, uint64_t r4,
		       uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	(void)r3, (void)r4, (void)r5;
	if (!b || len > 4096)
		return (uint64_t)-1;
	if (len && !ebpf_exec_access_ok(x, str, len, EBPF_R))
		return ebpf_exec_abort(x, "overlay_puts: 0x%llx (%llu bytes) not readable",
				       (unsigned long long)str,
				       (unsigned long long)len);
	const char *s = (const char *)(uintptr_t)str;
	size_t n = strnlen(s, len);
	if (b->out) {
		ovl_write(b->out, s, n);
		ovl_write(b->out, "\n", 1);
		return 0;
	}
	struct graft_env *env = &b->env;
	if (env->log_len + n + 1 >= sizeof env->log) {
		env->log_dropped += (uint32_t)(n + 1);
		return (uint64_t)-1;
	}
	memcpy(env->log + env->log_len, s, n);
	env->log_len += (uint32_t)n;
	env->log[env->log_len++] = '\n';
	env->log[env->log_len] = 0;
	return 0;
}

/* Linux's trace_printk makes one record per call; the ring shows them one
 * per line whether or not the format ended in "\n". */
static uint64_t h_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	if (!b || !b->printk)
		return (uint64_t)-1;
	struct graft_env *env = &b->env;
	uint32_t before = env->log_len;
	uint64_t rc = b->printk(r1, r2, r3, r4, r5, x);
	if (env->log_len > before && env->log[env->log_len - 1] != '\n') {
		if (env->log_len + 1 < sizeof env->log) {
			env->log[env->log_len++] = '\n';
			env->log[env->log_len] = 0;
		} else {
			env->log[env->log_len - 1] = '\n'; /* full: cut one byte */
		}
	}
	return rc;
}

void ovl_bpf_wrap_printk(struct ovl_bpf *b)
{
	for (size_t i = 0; i < b->nhelpers; i++) {
		if (b->helpers[i].id == GRAFT_FN_trace_printk) {
			b->printk = b->helpers[i].fn;
			b->helpers[i].fn = h_printk;
		}
	}
}

const struct ebpf_helper ovl_helpers[] = {
	{ OVL_FN_sym, "overlay_sym", h_sym },
	{ OVL_FN_ret_addr, "overlay_ret_addr", h_ret_addr },
	{ OVL_FN_notify, "overlay_notify", h_notify },
	{ OVL_FN_map_get, "overlay_map_get", h_kv_get },
	{ OVL_FN_map_put, "overlay_map_put", h_kv_put },
	{ OVL_FN_map_del, "overlay_map_del", h_kv_del },
	{ OVL_FN_puts, "overlay_puts", h_puts },
};
const size_t ovl_nhelpers = sizeof ovl_helpers / sizeof ovl_helpers[0];
