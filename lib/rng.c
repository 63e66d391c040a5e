#include <math.h>

#include "rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
mm_rng_seed(struct mm_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	r->have_spare = 0;
	r->spare = 0;
}

uint64_t
mm_rng_u64(struct mm_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
mm_rng_uniform(struct mm_rng *r)
{
	return (double)(mm_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t
mm_rng_below(struct mm_rng *r, uint64_t n)
{
	uint64_t x, limit = UINT64_MAX - UINT64_MAX % n;

	do
		x = mm_rng_u64(r);
	while (x >= limit);
	return x % n;
}

double
mm_rng_normal(struct mm_rng *r)
{
	double u, v, s, m;

	if (r->have_spare) {
		r->have_spare = 0;
		return r->spare;
	}
	do {
		u = 2 * mm_rng_uniform(r) - 1;
		v = 2 * mm_rng_uniform(r) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	m = sqrt(-2 * log(s) / s);
	r->spare = v * m;
	r->have_spare = 1;
	return u * m;
}

void
mm_rng_shuffle(struct mm_rng *r, int *a, uint64_t n)
{
	uint64_t i, j;
	int t;

	for (i = n; i > 1; i--) {
		j = mm_rng_below(r, i);
		t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}
