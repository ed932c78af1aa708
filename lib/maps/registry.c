/*
 * The map registry: a fixed table of named, reference-counted maps. Pinned
 * names are unique and outlive the objects that made them, which is how a
 * map keeps its contents across a live program swap. A program's map
 * "pointer" is a handle (tag | generation | slot) so helpers can check it
 * in constant time and a stale one never reaches a freed map.
 */
#include <stdio.h>

#include "map_internal.h"

enum graft_status graft_registry_create(struct graft_registry **out,
					const struct graft_alloc *alloc,
					struct graft_err *err)
{
	struct graft_registry *r = alloc->alloc(alloc->ud, sizeof *r);
	if (!r)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory for a registry");
	memset(r, 0, sizeof *r);
	r->alloc = *alloc;
	*out = r;
	return GRAFT_OK;
}

void graft_registry_free(struct graft_registry *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++)
		graft_map_free(r->slot[i].map);
	r->alloc.free(r->alloc.ud, r);
}

static struct reg_slot *by_name(struct graft_registry *r, const char *name,
				bool pinned_only)
{
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++) {
		struct reg_slot *s = &r->slot[i];
		if (s->map && (!pinned_only || s->pinned) &&
		    !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

struct graft_map *graft_registry_find(struct graft_registry *r,
				      const char *name)
{
	struct reg_slot *s = by_name(r, name, true);
	if (!s)
		s = by_name(r, name, false);
	return s ? s->map : NULL;
}

static bool same_def(const struct graft_map_def *a, const struct graft_map_def *b)
{
	return a->type == b->type && a->key_size == b->key_size &&
	       a->value_size == b->value_size &&
	       a->max_entries == b->max_entries && a->flags == b->flags;
}

static enum graft_status add(struct graft_registry *r, const char *name,
			     const struct graft_map_def *def, bool pinned,
			     struct graft_map **out, struct graft_err *err)
{
	unsigned i = 0;
	while (i < GRAFT_REGISTRY_MAX && r->slot[i].map)
		i++;
	if (i == GRAFT_REGISTRY_MAX)
		return graft_errf(err, GRAFT_ENOMEM,
				  "map '%s': registry full (%u maps)", name,
				  GRAFT_REGISTRY_MAX);
	struct graft_map *m;
	enum graft_status st = graft_map_create(&m, def, &r->alloc, err);
	if (st) {
		char why[GRAFT_ERR_MSG];
		snprintf(why, sizeof why, "%s", err ? err->msg : "");
		return graft_errf(err, st, "map '%s': %s", name, why);
	}
	struct reg_slot *s = &r->slot[i];
	s->map = m;
	s->pinned = pinned;
	s->gen++;
	m->slot = i;
	m->refs = 1 + pinned;
	/* A taken unpinned name gets "#N" so every name stays unique. */
	snprintf(s->name, sizeof s->name, "%s", name);
	for (unsigned k = 2; !pinned && k < 10000; k++) {
		bool taken = false;
		for (unsigned j = 0; j < GRAFT_REGISTRY_MAX; j++)
			taken |= j != i && r->slot[j].map &&
				 !strcmp(r->slot[j].name, s->name);
		if (!taken)
			break;
		snprintf(s->name, sizeof s->name, "%.*s#%u",
			 GRAFT_MAP_NAME - 8, name, k);
	}
	*out = m;
	return GRAFT_OK;
}

enum graft_status graft_registry_get(struct graft_registry *r,
				     const char *name,
				     const struct graft_map_def *def,
				     unsigned pinning, bool replace,
				     struct graft_map **out, bool *created,
				     struct graft_err *err)
{
	*out = NULL;
	*created = false;
	if (!name[0] || strlen(name) >= GRAFT_MAP_NAME)
		return graft_errf(err, GRAFT_EINVAL,
				  "map name '%.40s' empty or longer than %d",
				  name, GRAFT_MAP_NAME - 1);
	if (pinning > GRAFT_PIN_BY_NAME)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "map '%s': pinning %u not supported", name,
				  pinning);
	if (pinning == GRAFT_PIN_BY_NAME) {
		struct reg_slot *s = by_name(r, name, true);
		if (s && same_def(&s->map->def, def)) {
			s->map->refs++;
			*out = s->map;
			return GRAFT_OK;
		}
		if (s && !replace) {
			const struct graft_map_def *o = &s->map->def;
			return graft_errf(err, GRAFT_EEXIST,
				"map '%s' is pinned with type %u key %u value %u "
				"entries %u flags 0x%x; the object wants type %u "
				"key %u value %u entries %u flags 0x%x",
				name, o->type, o->key_size, o->value_size,
				o->max_entries, o->flags, def->type, def->key_size,
				def->value_size, def->max_entries, def->flags);
		}
		if (s) {
			struct graft_map *old = s->map;
			s->pinned = false;
			graft_registry_put(r, old);
			if (r->slot[old->slot].map == old) /* still held */
				snprintf(r->slot[old->slot].name, GRAFT_MAP_NAME,
					 "%.*s#old", GRAFT_MAP_NAME - 8, name);
		}
	}
	enum graft_status st = add(r, name, def, pinning == GRAFT_PIN_BY_NAME,
				   out, err);
	*created = st == GRAFT_OK;
	return st;
}

void graft_registry_put(struct graft_registry *r, struct graft_map *m)
{
	if (!m || --m->refs)
		return;
	struct reg_slot *s = &r->slot[m->slot];
	if (s->map == m) {
		s->map = NULL;
		s->name[0] = 0;
		s->pinned = false;
	}
	graft_map_free(m);
}

enum graft_status graft_registry_unpin(struct graft_registry *r,
				       const char *name, struct graft_err *err)
{
	struct reg_slot *s = by_name(r, name, true);
	if (!s)
		return graft_errf(err, GRAFT_ENOENT, "no pinned map '%s'", name);
	s->pinned = false;
	graft_registry_put(r, s->map);
	return GRAFT_OK;
}

struct graft_map *graft_registry_at(struct graft_registry *r, unsigned i,
				    const char **name, bool *pinned)
{
	if (i >= GRAFT_REGISTRY_MAX || !r->slot[i].map)
		return NULL;
	if (name)
		*name = r->slot[i].name;
	if (pinned)
		*pinned = r->slot[i].pinned;
	return r->slot[i].map;
}

uint64_t graft_registry_handle(struct graft_registry *r,
			       const struct graft_map *m)
{
	return HANDLE_TAG | ((uint64_t)r->slot[m->slot].gen << 16) | m->slot;
}

struct graft_map *graft_registry_map(struct graft_registry *r, uint64_t h)
{
	return registry_map(r, h);
}
