/*
 * The command layer: the table (from OVL_COMMANDS), argument checks common
 * to every platform, `help`, `echo`, `quit`, and dispatch to the services.
 */
#include <string.h>

#include "graft/overlay.h"
#include "out.h"

struct command {
	const char *name;
	int min, max;
	const char *usage, *help;
	size_t slot; /* offset of the service in struct ovl_services */
};

static const struct command commands[] = {
#define OVL_X_ROW(name, min, max, usage, help) \
	{ #name, min, max, usage, help, offsetof(struct ovl_services, name) },
	OVL_COMMANDS(OVL_X_ROW)
#undef OVL_X_ROW
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static const struct ovl_service *service_of(const struct ovl_services *svc,
					    const struct command *c)
{
	if (!svc)
		return NULL;
	const struct ovl_service *e =
		(const struct ovl_service *)((const char *)svc + c->slot);
	return e->fn ? e : NULL;
}

/* help, echo and quit are the protocol's own; the rest are the host's. */
static bool builtin(const struct command *c)
{
	return !strcmp(c->name, "help") || !strcmp(c->name, "echo") ||
	       !strcmp(c->name, "quit");
}

static bool available(const struct ovl_services *svc, const struct command *c)
{
	return builtin(c) || service_of(svc, c) != NULL;
}

static enum graft_status cmd_help(const struct ovl_services *svc, int argc,
				  char **argv, struct ovl_out *out,
				  struct graft_err *err)
{
	if (argc == 2) {
		const struct command *c = find(argv[1]);
		if (!c)
			return graft_errf(err, GRAFT_ENOENT,
					  "no command '%.64s'", argv[1]);
		ovl_printf(out, "usage: %s\n%s%s\n", c->usage, c->help,
			   available(svc, c) ? "" : " (not available here)");
		return GRAFT_OK;
	}
	unsigned n = 0;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];
		ovl_printf(out, "  %-30s %s%s\n", c->usage, c->help,
			   available(svc, c) ? "" : " (not available here)");
		n++;
	}
	ovl_ok(out, "%u commands", n);
	return GRAFT_OK;
}

/* Checks a command's arguments' forms, so services see only sane input. */
static enum graft_status check_args(const struct command *c, int argc,
				    char **argv, struct graft_err *err)
{
	if (!strcmp(c->name, "kill")) {
		int sig;
		return ovl_parse_signal(argv[1], &sig, err);
	}
	if (!strcmp(c->name, "bpf_exec")) {
		/* OBJ [PROG] [ARGS...]: after the optional name, numbers only. */
		int first = argc > 2 && !ovl_is_number(argv[2]) ? 3 : 2;
		if (argc - first > 5)
			return graft_errf(err, GRAFT_EINVAL,
					  "at most 5 program arguments, got %d",
					  argc - first);
		for (int i = first; i < argc; i++) {
			uint64_t v;
			if (ovl_parse_u64(argv[i], &v, err))
				return GRAFT_EINVAL;
		}
	}
	if (!strcmp(c->name, "trace") && argc == 2 && strcmp(argv[1], "clear"))
		return graft_errf(err, GRAFT_EINVAL,
				  "unknown option '%.32s' (usage: %s)", argv[1],
				  c->usage);
	return GRAFT_OK;
}

enum graft_status ovl_dispatch(const struct ovl_services *svc, int argc,
			       char **argv, struct ovl_out *out, bool *known,
			       bool *quit, struct graft_err *err)
{
	const struct command *c = find(argv[0]);
	*known = c != NULL;
	if (!c)
		return graft_errf(err, GRAFT_ENOENT,
				  "unknown command '%.64s' (try 'help')", argv[0]);
	int nargs = argc - 1;
	if (nargs < c->min || nargs > c->max) {
		if (c->min == c->max)
			return graft_errf(err, GRAFT_EINVAL,
					  "expected %d argument%s, got %d (usage: %s)",
					  c->min, c->min == 1 ? "" : "s", nargs,
					  c->usage);
		return graft_errf(err, GRAFT_EINVAL,
				  "expected %d to %d arguments, got %d (usage: %s)",
				  c->min, c->max, nargs, c->usage);
	}
	if (check_args(c, argc, argv, err))
		return err->status;
	if (!strcmp(c->name, "help"))
		return cmd_help(svc, argc, argv, out, err);
	if (!strcmp(c->name, "echo")) {
		for (int i = 1; i < argc; i++)
			ovl_printf(out, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
		return GRAFT_OK;
	}
	if (!strcmp(c->name, "quit")) {
		*quit = true;
		ovl_ok(out, "bye");
		return GRAFT_OK;
	}
	const struct ovl_service *e = service_of(svc, c);
	if (e)
		return e->fn(e->ud, argc, argv, out, err);
	return graft_errf(err, GRAFT_ENOTSUP, "not available here");
}
