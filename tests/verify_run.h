/*
 * tests/verify_run.h — run a program the verifier accepted in the checked
 * interpreter on random inputs (context, packet, map contents), for the
 * soundness alarm (tests/verify_sound.c) and the fuzz target
 * (fuzz/fuzz_verify.c). Any GRAFT_EFAULT, EBUDGET, EDEPTH or EHELPER from
 * an accepted program is a verifier bug.
 */
#ifndef GRAFT_TESTS_VERIFY_RUN_H
#define GRAFT_TESTS_VERIFY_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graft/ebpf.h"
#include "graft/maps.h"
#include "graft/verify.h"

#define VR_MAX_MAPS 8
#define VR_PKT_MAX 256

struct vr {
	struct graft_alloc alloc;
	struct graft_registry *reg;
	struct graft_map *maps[VR_MAX_MAPS];
	size_t nmaps;
	struct graft_env env;
	struct ebpf_helper helpers[GRAFT_HELPERS_MAX];
	size_t nhelpers;
	uint8_t *low;  /* below 4 GiB: xdp_md holds 32-bit addresses */
	uint64_t rng;
};

static void *vr_malloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void vr_mfree(void *ud, void *p) { (void)ud; free(p); }

static uint64_t vr_rand(struct vr *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static int vr_setup(struct vr *r, const struct verify_map *maps, size_t n,
		    uint64_t seed)
{
	memset(r, 0, sizeof *r);
	r->alloc = (struct graft_alloc){ vr_malloc, vr_mfree, NULL };
	r->rng = seed | 1;
	struct graft_err err;
	if (graft_registry_create(&r->reg, &r->alloc, &err))
		return -1;
	for (size_t i = 0; i < n && i < VR_MAX_MAPS; i++) {
		struct graft_map_def d = { maps[i].type, maps[i].key_size,
					   maps[i].value_size,
					   maps[i].max_entries, 0 };
		char name[32];
		bool created;
		snprintf(name, sizeof name, "m%zu", i);
		if (graft_registry_get(r->reg, name, &d, GRAFT_PIN_NONE, false,
				       &r->maps[i], &created, &err))
			return -1;
		r->nmaps++;
	}
	graft_env_init(&r->env, r->reg);
	r->nhelpers = graft_helpers_all(r->helpers, GRAFT_HELPERS_MAX);
	r->low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	return r->low == MAP_FAILED ? -1 : 0;
}

static void vr_teardown(struct vr *r)
{
	if (r->low && r->low != MAP_FAILED)
		munmap(r->low, 4096);
	if (r->reg)
		graft_registry_free(r->reg);
}

static enum graft_status vr_resolve(void *ud, const struct ebpf_insn pair[2],
				    uint64_t *value, struct graft_err *err)
{
	struct vr *r = ud;
	uint32_t mi = (uint32_t)pair[0].imm;
	if (mi >= r->nmaps)
		return graft_errf(err, GRAFT_EINVAL, "no map %u", mi);
	if (pair[0].src == EBPF_PSEUDO_MAP_IDX ||
	    pair[0].src == EBPF_PSEUDO_MAP_FD) {
		*value = graft_registry_handle(r->reg, r->maps[mi]);
		return GRAFT_OK;
	}
	uint64_t len;
	unsigned perm;
	uint8_t *base = graft_map_region(r->maps[mi], &len, &perm);
	if (!base)
		return graft_errf(err, GRAFT_EINVAL, "map %u has no value", mi);
	*value = (uint64_t)(uintptr_t)(base + (uint32_t)pair[1].imm);
	return GRAFT_OK;
}

static enum graft_status vr_load(struct vr *r, const struct ebpf_insn *insns,
				 size_t n, struct ebpf_prog **out,
				 struct graft_err *err)
{
	struct ebpf_load_opts lo = {
		.helpers = r->helpers, .nhelpers = r->nhelpers,
		.resolve_ld64 = vr_resolve, .resolve_ud = r, .alloc = r->alloc,
	};
	return ebpf_prog_load(out, insns, n, &lo, err);
}

/* One checked run on fresh random inputs. */
static enum graft_status vr_run(struct vr *r, const struct ebpf_prog *p,
				enum verify_prog_type type,
				struct ebpf_exec *x)
{
	ebpf_exec_init(x);
	x->user = &r->env;
	x->budget = 2000000;
	for (size_t i = 0; i < r->nmaps; i++) {
		uint64_t len;
		unsigned perm;
		uint8_t *base = graft_map_region(r->maps[i], &len, &perm);
		if (!base)
			continue;
		if (graft_map_get_def(r->maps[i])->type == VERIFY_MAP_ARRAY)
			for (uint64_t k = 0; k < len; k++)
				base[k] = (uint8_t)vr_rand(r);
		ebpf_exec_add_region(x, base, len, perm);
	}
	uint8_t *ctx = r->low, *pkt = r->low + 256;
	uint32_t plen = (uint32_t)(vr_rand(r) % VR_PKT_MAX);
	for (uint32_t k = 0; k < VR_PKT_MAX; k++)
		pkt[k] = (uint8_t)vr_rand(r);
	memset(ctx, 0, 256);
	switch (type) {
	case VERIFY_PROG_XDP: {
		uint32_t *md = (uint32_t *)ctx;
		md[0] = (uint32_t)(uintptr_t)pkt;
		md[1] = (uint32_t)(uintptr_t)(pkt + plen);
		md[2] = md[0];
		md[3] = (uint32_t)vr_rand(r);
		ebpf_exec_add_region(x, ctx, 24, EBPF_R);
		ebpf_exec_add_region(x, pkt, plen, EBPF_RW);
		x->arg[0] = (uint64_t)(uintptr_t)ctx;
		break;
	}
	case VERIFY_PROG_MAPPER:
	case VERIFY_PROG_REDUCER: {
		uint64_t *c = (uint64_t *)ctx;
		c[0] = (uint64_t)(uintptr_t)pkt;
		c[1] = c[0] + plen;
		c[2] = vr_rand(r);
		ebpf_exec_add_region(x, ctx, 24, EBPF_R);
		ebpf_exec_add_region(x, pkt, plen, EBPF_R);
		x->arg[0] = (uint64_t)(uintptr_t)ctx;
		break;
	}
	case VERIFY_PROG_SKB:
	case VERIFY_PROG_SOCKET: {
		/* struct __sk_buff: random scalars, the packet at data (76) /
		 * data_end (80) / data_meta (140), no socket (sk at 168) */
		for (int k = 0; k < 48; k++)
			((uint32_t *)ctx)[k] = (uint32_t)vr_rand(r);
		uint32_t *w = (uint32_t *)ctx;
		w[76 / 4] = (uint32_t)(uintptr_t)pkt;
		w[80 / 4] = (uint32_t)(uintptr_t)(pkt + plen);
		w[140 / 4] = w[76 / 4];
		w[144 / 4] = w[148 / 4] = 0; /* flow_keys */
		w[168 / 4] = w[172 / 4] = 0; /* sk */
		ebpf_exec_add_region(x, ctx, 192, EBPF_RW);
		ebpf_exec_add_region(x, pkt, plen, EBPF_RW);
		x->arg[0] = (uint64_t)(uintptr_t)ctx;
		break;
	}
	case VERIFY_PROG_TRACE: case VERIFY_PROG_KPROBE: {
		uint64_t *c = (uint64_t *)ctx;
		for (int k = 0; k < 16; k++)
			c[k] = vr_rand(r);
		ebpf_exec_add_region(x, ctx, type == VERIFY_PROG_TRACE ? 48 : 128,
				     EBPF_R);
		x->arg[0] = (uint64_t)(uintptr_t)ctx;
		break;
	}
	default:
		for (int k = 0; k < 5; k++)
			x->arg[k] = vr_rand(r);
		break;
	}
	x->pkt = pkt;
	x->pkt_len = plen;
	return ebpf_prog_interp(p, x);
}

#endif
