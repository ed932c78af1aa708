/*
 * Function-entry attachments: bpf_attach, bpf_detach, bpf_list and the
 * trampoline's entry (ovl_bpf_enter).
 *
 * A site is one traced function; its entry is hooked (through the host)
 * while at least one program is attached there, and restored when the
 * last one goes. Several programs on one site run in attach order. IDs
 * are never reused, so a stale `bpf_detach ID` cannot hit a newer
 * attachment. An object with attached programs stays loaded (refs).
 *
 * Not thread-safe: the unikernel's threads are cooperative, so the
 * console and a traced function never run at the same time; a host with
 * preemptive threads serialises console commands and traced calls.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"

static int find_site(struct ovl_bpf *b, uint64_t addr)
{
	for (unsigned i = 0; i < OVL_BPF_MAX_SITES; i++)
		if (b->sites[i].used && b->sites[i].addr == addr)
			return (int)i;
	return -1;
}

enum graft_status ovl_bpf_attach_cmd(void *ud, int argc, char *const *argv,
				     struct ovl_out *out,
				     struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	const struct ovl_bpf_host *h = &b->opts.host;
	if (!h->sym_addr || !h->hook)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "function-entry hooks are not available here");
	if (strlen(argv[1]) >= sizeof b->sites[0].symbol)
		return graft_errf(err, GRAFT_EINVAL, "symbol name too long");
	uint64_t addr = h->sym_addr(h->ud, argv[1]);
	if (!addr)
		return graft_errf(err, GRAFT_ENOENT, "unknown symbol '%.64s'",
				  argv[1]);
	unsigned slot, prog;
	if (ovl_bpf_get_obj(b, argv[2], &slot, err) ||
	    ovl_bpf_find_prog(b, slot, argc > 3 ? argv[3] : NULL, &prog, err))
		return err->status;
	if (b->objs[slot].fast[prog] == OVL_USE_EXEC)
		return graft_errf(err, GRAFT_EPERM,
				  "%s was verified as an exec program (section %s) "
				  "and runs unchecked: run it with bpf_exec",
				  b->objs[slot].elf->progs[prog].name,
				  b->objs[slot].elf->progs[prog].section);
	struct ovl_attach *a = NULL;
	for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH && !a; i++)
		if (!b->att[i].used)
			a = &b->att[i];
	if (!a)
		return graft_errf(err, GRAFT_ENOMEM, "all %d attachments in use",
				  OVL_BPF_MAX_ATTACH);
	int site = find_site(b, addr);
	bool fresh = site < 0;
	for (unsigned i = 0; fresh && i < OVL_BPF_MAX_SITES; i++) {
		if (!b->sites[i].used) {
			site = (int)i;
			break;
		}
	}
	if (site < 0)
		return graft_errf(err, GRAFT_ENOMEM, "all %d traced functions in use",
				  OVL_BPF_MAX_SITES);
	struct ovl_site *s = &b->sites[site];
	if (fresh) {
		struct graft_err e = { GRAFT_OK, "" };
		if (h->hook(h->ud, addr, (uint32_t)site, true, &e))
			return graft_errf(err, e.status, "%s: %s", argv[1], e.msg);
		memset(s, 0, sizeof *s);
		s->used = true;
		s->addr = addr;
		snprintf(s->symbol, sizeof s->symbol, "%s", argv[1]);
	}
	/* Filled before it is marked used: a traced call never sees half. */
	memset(a, 0, sizeof *a);
	b->tx_for = NULL;
	ebpf_exec_init(&b->x);
	if (graft_obj_exec(b->objs[slot].obj, &b->x, &b->env, err) ||
	    b->x.nregion >= EBPF_MAX_REGIONS) {
		if (fresh) {
			h->hook(h->ud, addr, (uint32_t)site, false, NULL);
			s->used = false;
		}
		return err->status ? err->status :
		       graft_errf(err, GRAFT_ENOMEM, "no region left for the context");
	}
	memcpy(a->region, b->x.region, sizeof a->region);
	a->nregion = b->x.nregion;
	a->id = b->next_id++;
	a->site = (uint32_t)site;
	a->obj = slot;
	a->prog = prog;
	a->run = b->objs[slot].obj->progs[prog];
	a->fast = b->objs[slot].fast[prog] != 0;
	a->used = true;
	s->list[s->nprogs++] = (uint8_t)(a - b->att);
	b->objs[slot].refs++;
	ovl_ok(out, "attached %s to %s as %u", b->objs[slot].elf->progs[prog].name,
	       s->symbol, a->id);
	return GRAFT_OK;
}

static enum graft_status detach_one(struct ovl_bpf *b, struct ovl_attach *a,
				    struct graft_err *err)
{
	struct ovl_site *s = &b->sites[a->site];
	uint8_t idx = (uint8_t)(a - b->att);
	unsigned k = 0;
	for (unsigned i = 0; i < s->nprogs; i++)
		if (s->list[i] != idx)
			s->list[k++] = s->list[i];
	s->nprogs = k;
	a->used = false;
	b->tx_for = NULL;
	b->objs[a->obj].refs--;
	if (s->nprogs)
		return GRAFT_OK;
	s->used = false;
	struct graft_err e = { GRAFT_OK, "" };
	if (b->opts.host.hook(b->opts.host.ud, s->addr, a->site, false, &e))
		return graft_errf(err, e.status, "%s: restoring the entry: %s",
				  s->symbol, e.msg);
	return GRAFT_OK;
}

enum graft_status ovl_bpf_detach_cmd(void *ud, int argc, char *const *argv,
				     struct ovl_out *out,
				     struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	unsigned n = 0;
	(void)argc;
	if (ovl_is_number(argv[1])) {
		uint64_t id;
		ovl_parse_u64(argv[1], &id, NULL);
		for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH; i++) {
			if (b->att[i].used && b->att[i].id == id) {
				ovl_ok(out, "detached %llu", (unsigned long long)id);
				return detach_one(b, &b->att[i], err);
			}
		}
		return graft_errf(err, GRAFT_ENOENT, "nothing attached as %.32s",
				  argv[1]);
	}
	for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH; i++) {
		struct ovl_attach *a = &b->att[i];
		if (!a->used || strcmp(b->sites[a->site].symbol, argv[1]))
			continue;
		if (detach_one(b, a, err))
			return err->status;
		n++;
	}
	if (!n)
		return graft_errf(err, GRAFT_ENOENT, "nothing attached to '%.64s'",
				  argv[1]);
	ovl_ok(out, "detached %u from %s", n, argv[1]);
	return GRAFT_OK;
}

enum graft_status ovl_bpf_list_cmd(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	unsigned n = 0;
	(void)argc, (void)argv, (void)err;
	for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH; i++) {
		const struct ovl_attach *a = &b->att[i];
		if (!a->used)
			continue;
		if (!n++)
			ovl_printf(out, "%4s %-20s %-24s %10s %12s %8s %6s %6s\n", "id",
				   "function", "program", "hits", "total ns",
				   "avg ns", "errors", "missed");
		const struct ovl_obj *o = &b->objs[a->obj];
		char prog[2 * GRAFT_ELF_NAME + sizeof o->path];
		snprintf(prog, sizeof prog, "%s:%s", o->path,
			 o->elf->progs[a->prog].name);
		uint64_t avg = a->sampled ? a->sampled_ns / a->sampled : 0;
		ovl_printf(out, "%4u %-20s %-24s %10llu %12llu %8llu %6llu %6llu\n",
			   a->id, b->sites[a->site].symbol, prog,
			   (unsigned long long)a->hits,
			   (unsigned long long)(avg * a->hits),
			   (unsigned long long)avg,
			   (unsigned long long)a->errors,
			   (unsigned long long)a->missed);
		const struct ovl_obj *ob = &b->objs[a->obj];
		ovl_printf(out, "     mode: %s%s%s\n", ovl_bpf_mode(b, ob, a->prog),
			   a->fast ? "" : "; ", a->fast ? "" : ob->why[a->prog]);
		if (a->errors)
			ovl_printf(out, "     last error: %s\n", a->last_error);
	}
	ovl_ok(out, "%u attached%s", n,
	       n ? "; run times sampled on 1 call in 256" : "");
	return GRAFT_OK;
}

/* Set the traced calls' exec up for a (its regions, then the fixed inputs). */
static void tx_setup(struct ovl_bpf *b, const struct ovl_attach *a)
{
	struct ebpf_exec *x = &b->tx;
	memcpy(x->region, a->region, a->nregion * sizeof a->region[0]);
	x->region[a->nregion] = (struct ebpf_region){ 0, 6 * sizeof(uint64_t),
						      EBPF_R };
	x->user = &b->env;
	x->pkt = NULL;
	x->pkt_len = 0;
	x->budget = b->opts.budget;
	memset(x->arg, 0, sizeof x->arg);
	b->tx_for = a;
}

/* One call in OVL_BPF_SAMPLE: the same run, timed. */
static __attribute__((noinline)) enum graft_status
run_timed(struct ovl_bpf *b, struct ovl_attach *a)
{
	uint64_t t0 = ovl_bpf_now(b);
	enum graft_status st = ebpf_prog_run(a->run, &b->tx);
	a->sampled_ns += ovl_bpf_now(b) - t0;
	a->sampled++;
	return st;
}

static __attribute__((noinline)) void run_failed(struct ovl_bpf *b,
						 struct ovl_attach *a)
{
	a->errors++;
	snprintf(a->last_error, sizeof a->last_error, "%.*s",
		 (int)sizeof a->last_error - 1, b->tx.err.msg);
}

/*
 * The trampoline's call, once per traced call: kept to the few stores a
 * run needs (the exec is set up per attachment, the clock read and the
 * error kept out of line).
 */
void ovl_bpf_enter(struct ovl_bpf *b, uint32_t site, const uint64_t args[6],
		   uint64_t ret_addr)
{
	if (site >= OVL_BPF_MAX_SITES || !b->sites[site].used)
		return;
	const struct ovl_site *s = &b->sites[site];
	unsigned n = s->nprogs;
	if (b->busy) { /* a program of ours called a traced function */
		for (unsigned i = 0; i < n; i++)
			b->att[s->list[i]].missed++;
		return;
	}
	b->busy = true;
	b->ret_addr = ret_addr;
	struct ebpf_exec *x = &b->tx;
	for (unsigned i = 0; i < n; i++) {
		struct ovl_attach *a = &b->att[s->list[i]];
		if (b->tx_for != a)
			tx_setup(b, a);
		unsigned k = a->nregion;
		x->region[k].addr = (uint64_t)(uintptr_t)args;
		x->nregion = k + 1; /* helpers may have added some */
		x->arg[0] = (uint64_t)(uintptr_t)args;
		enum graft_status st = a->hits++ % OVL_BPF_SAMPLE == 0
					       ? run_timed(b, a)
					       : ebpf_prog_run(a->run, x);
		if (st)
			run_failed(b, a);
	}
	b->busy = false;
}
