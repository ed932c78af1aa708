/*
 * The overlay's map commands: bpf_map_get, bpf_map_put, bpf_map_del and
 * bpf_map_dump, over maps found by registry name or by their name in a
 * loaded object. Keys and values are typed as numbers (little-endian) or
 * hex:BYTES, and printed back the same way.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"

/*
 * A map by registry name, or by its name in a loaded object ("NAME" or
 * "OBJ:NAME"), the most recently used object first.
 */
static struct graft_map *find_map(struct ovl_bpf *b, const char *name,
				  struct graft_err *err)
{
	struct graft_map *m = graft_registry_find(b->reg, name);
	if (m)
		return m;
	const char *colon = strchr(name, ':');
	const char *mname = colon ? colon + 1 : name;
	size_t olen = colon ? (size_t)(colon - name) : 0;
	struct ovl_obj *best = NULL;
	struct graft_map *found = NULL;
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++) {
		struct ovl_obj *o = &b->objs[i];
		if (!o->used || (best && o->last_use < best->last_use))
			continue;
		if (colon && (strncmp(o->path, name, olen) || o->path[olen]) &&
		    (strncmp(ovl_base_name(o->path), name, olen) ||
		     ovl_base_name(o->path)[olen]))
			continue;
		for (size_t k = 0; k < o->elf->nmaps; k++) {
			if (!strcmp(o->elf->maps[k].name, mname)) {
				best = o;
				found = o->obj->maps[k];
			}
		}
	}
	if (!found)
		graft_errf(err, GRAFT_ENOENT, "no map '%.64s' (see stats)", name);
	return found;
}

static void print_value(struct ovl_out *out, const uint8_t *p, size_t n)
{
	if (n == 1 || n == 2 || n == 4 || n == 8) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)p[i] << (8 * i);
		ovl_printf(out, "%llu", (unsigned long long)v);
		return;
	}
	ovl_printf(out, "hex:");
	for (size_t i = 0; i < n; i++)
		ovl_printf(out, "%02x", p[i]);
}

static enum graft_status map_errno(int rc, const char *map, const char *key,
				   struct graft_err *err)
{
	switch (rc) {
	case GRAFT_E_NOENT:
		return graft_errf(err, GRAFT_ENOENT, "%s: no key %s", map, key);
	case GRAFT_E_2BIG:
	case GRAFT_E_NOSPC:
		return graft_errf(err, GRAFT_ENOMEM, "%s: map is full", map);
	case GRAFT_E_EXIST:
		return graft_errf(err, GRAFT_EEXIST, "%s: key %s exists", map, key);
	default:
		return graft_errf(err, GRAFT_EINVAL, "%s: refused (errno %d)", map,
				  -rc);
	}
}

static enum graft_status map_key(struct graft_map *m, const char *s,
				 uint8_t *key, struct graft_err *err)
{
	const struct graft_map_def *d = graft_map_get_def(m);
	if (d->key_size == 0 || d->key_size > GRAFT_MAP_MAX_KEY)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "map type %u has no keys", d->type);
	return ovl_parse_bytes(s, key, d->key_size, err);
}

enum graft_status ovl_bpf_map_get(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	const uint8_t *v = graft_map_lookup(m, key);
	if (!v)
		return map_errno(GRAFT_E_NOENT, argv[1], argv[2], err);
	print_value(out, v, graft_map_get_def(m)->value_size);
	ovl_printf(out, "\n");
	return GRAFT_OK;
}

enum graft_status ovl_bpf_map_put(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY], val[256];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc, (void)out;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	uint32_t vs = graft_map_get_def(m)->value_size;
	if (vs > sizeof val)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "values of %u bytes cannot be typed in", vs);
	if (ovl_parse_bytes(argv[3], val, vs, err))
		return err->status;
	int rc = graft_map_update(m, key, val, GRAFT_ANY);
	return rc ? map_errno(rc, argv[1], argv[2], err) : GRAFT_OK;
}

enum graft_status ovl_bpf_map_del(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc, (void)out;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	int rc = graft_map_delete(m, key);
	return rc ? map_errno(rc, argv[1], argv[2], err) : GRAFT_OK;
}

struct dump_ctx {
	struct ovl_out *out;
	const struct graft_map_def *def;
	unsigned n;
};

static void dump_one(void *ud, const void *key, const void *value)
{
	struct dump_ctx *d = ud;
	print_value(d->out, key, d->def->key_size);
	ovl_printf(d->out, " = ");
	print_value(d->out, value, d->def->value_size);
	ovl_printf(d->out, "\n");
	d->n++;
}

enum graft_status ovl_bpf_map_dump(void *ud, int argc, char *const *argv,
				      struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc;
	if (!m)
		return err->status;
	struct dump_ctx d = { out, graft_map_get_def(m), 0 };
	if (!d.def->key_size)
		return graft_errf(err, GRAFT_ENOTSUP, "map type %u has no keys",
				  d.def->type);
	graft_map_dump(m, dump_one, &d);
	ovl_ok(out, "%u entries", d.n);
	return GRAFT_OK;
}
