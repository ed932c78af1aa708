/*
 * Tristate numbers: a 64-bit value where each bit is 0, 1 or unknown.
 * The arithmetic is the well-known carry-propagation formulation (Vishwanathan
 * et al., "Sound, precise and fast abstract interpretation with tristate
 * numbers"), which is sound for every pair of concrete values.
 */
#include "vpriv.h"

struct tnum tnum_const(uint64_t v) { return TNUM(v, 0); }

/* The smallest tnum holding every value in [min, max]. */
struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (!chi)
		return tnum_const(min);
	unsigned bits = 64 - (unsigned)__builtin_clzll(chi);
	if (bits > 63)
		return TNUM_UNKNOWN;
	uint64_t delta = (1ull << bits) - 1;
	return TNUM(min & ~delta, delta);
}

bool tnum_is_const(struct tnum a) { return !a.mask; }

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
	uint64_t sigma = sm + sv, chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;
	return TNUM(sv & ~mu, mu);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t chi = alpha ^ beta;
	uint64_t mu = chi | a.mask | b.mask;
	return TNUM(dv & ~mu, mu);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask;
	uint64_t v = a.value & b.value;
	return TNUM(v, alpha & beta & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;
	return TNUM(v, mu & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value;
	uint64_t mu = a.mask | b.mask;
	return TNUM(v & ~mu, mu);
}

/* Shift-and-add multiplication; each step is a sound tnum_add. */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	struct tnum acc_v = tnum_const(a.value * b.value);
	struct tnum acc_m = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.value | b.mask));
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(acc_v, acc_m);
}

struct tnum tnum_lshift(struct tnum a, unsigned s)
{
	return TNUM(a.value << s, a.mask << s);
}

struct tnum tnum_rshift(struct tnum a, unsigned s)
{
	return TNUM(a.value >> s, a.mask >> s);
}

/* Arithmetic shift right within a 32- or 64-bit width. */
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width)
{
	if (width == 32)
		return TNUM((uint32_t)((int32_t)a.value >> s),
			    (uint32_t)((int32_t)a.mask >> s));
	return TNUM((uint64_t)((int64_t)a.value >> s),
		    (uint64_t)((int64_t)a.mask >> s));
}

/* Values in both a and b (the caller checks tnum_conflict first). */
struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask & b.mask;
	return TNUM(v & ~mu, mu);
}

/* True when a and b have a known bit that differs: no common value. */
bool tnum_conflict(struct tnum a, struct tnum b)
{
	return ((a.value ^ b.value) & ~a.mask & ~b.mask) != 0;
}

/* Truncate to the low `bytes` bytes (zero-extended). */
struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
	if (bytes >= 8)
		return a;
	uint64_t m = (1ull << (bytes * 8)) - 1;
	return TNUM(a.value & m, a.mask & m);
}

struct tnum tnum_subreg(struct tnum a) { return tnum_cast(a, 4); }

struct tnum tnum_with_subreg(struct tnum a, struct tnum sub)
{
	uint64_t hi = ~0xffffffffull;
	return tnum_or(TNUM(a.value & hi, a.mask & hi), tnum_subreg(sub));
}

/* Is every value of inner also a value of outer? */
bool tnum_in(struct tnum outer, struct tnum inner)
{
	if (inner.mask & ~outer.mask)
		return false;
	return (inner.value & ~outer.mask) == outer.value;
}
