/*
 * rng.h - a seeded pseudo-random generator whose streams are the same on
 * every machine: xoshiro256** seeded through splitmix64.  Integer and
 * uniform draws are exact; normal draws use the polar method (sqrt and
 * log from libm, which IEEE-754 platforms with glibc agree on).  Pure:
 * a stream is its seed and nothing else; no I/O, no clock.
 */
#ifndef MM_RNG_H
#define MM_RNG_H

#include <stdint.h>

struct mm_rng {
	uint64_t s[4];
	int have_spare;
	double spare;
};

/* Seed a stream; different (seed, stream) pairs give independent streams. */
void mm_rng_seed(struct mm_rng *r, uint64_t seed, uint64_t stream);
uint64_t mm_rng_u64(struct mm_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double mm_rng_uniform(struct mm_rng *r);
/* Uniform integer in [0, n), without modulo bias.  n > 0. */
uint64_t mm_rng_below(struct mm_rng *r, uint64_t n);
/* Standard normal. */
double mm_rng_normal(struct mm_rng *r);
/* Shuffle an array of n ints in place (Fisher-Yates). */
void mm_rng_shuffle(struct mm_rng *r, int *a, uint64_t n);

#endif
