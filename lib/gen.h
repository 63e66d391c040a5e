/*
 * gen.h - synthetic classification data in the manner of scikit-learn's
 * make_classification, as a population and samples drawn from it.
 *
 * A population (struct mm_gen_pop) is fixed by its shape and a seed:
 * two Gaussian clusters per class on the vertices of a hypercube of side
 * 2 * class_sep in the informative features, each cluster N(0, I) times a
 * matrix A with entries uniform in (-1, 1), plus its centre; redundant
 * features are fixed random combinations (weights uniform in (-1, 1)) of
 * the informative ones; the rest are N(0, 1) noise.  A row's class is its
 * cluster's, except that a fraction flip_y of rows get a uniformly random
 * class.  Features are laid out informative, redundant, noise.
 *
 * Samples come from a caller's struct mm_rng, so the same population and
 * stream give the same values on every machine.  A scenario (drift from a
 * batch on, a concept change from a batch on) is a fixed transform of a
 * sample and draws no random numbers: with the same seed, a drifted batch
 * holds the same rows as the undrifted one, moved.
 *
 * Nothing here does I/O.  Matrices are column-major: x[j * n + i] is
 * feature j of row i.
 */
#ifndef MM_GEN_H
#define MM_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "rng.h"

#define MM_GEN_MAX_FEATURES 100
#define MM_GEN_MAX_CLASSES 10
/* Generated values are rounded to this many decimals. */
#define MM_GEN_DECIMALS 6
/* The batch number of a training set for mm_gen_stream(). */
#define MM_GEN_TRAIN (-1L)

struct mm_gen_shape {
	int features;		/* default 10 */
	int informative;	/* default 6 */
	int redundant;		/* default 2; noise is the rest */
	int classes;		/* default 2 */
	double class_sep;	/* default 1.2 */
	double flip_y;		/* default 0.01 */
};

struct mm_gen_pop {
	struct mm_gen_shape shape;
	int nclusters;		/* 2 per class; cluster k: class k % classes */
	double *centre;		/* nclusters x informative */
	double *transform;	/* nclusters x informative x informative */
	double *weight;		/* informative x redundant */
	double *cmean, *csd;	/* nclusters x features: cluster marginals */
	double *mean, *sd;	/* features: the population's marginals */
};

struct mm_gen_scenario {
	long drift_at;		/* first drifted batch, or -1 for none */
	double shift;		/* mean shift in population sds */
	double scale;		/* factor on the deviation from the mean */
	unsigned char drift[MM_GEN_MAX_FEATURES];	/* 1: feature drifts */
	long concept_at;	/* first batch with the new concept, or -1 */
	double concept_strength;	/* fraction of rows whose class moves */
	int concept_feature;
	double concept_threshold;	/* set by mm_gen_scenario_ready() */
};

void mm_gen_shape_defaults(struct mm_gen_shape *s);

/*
 * Build the population of shape s from seed.  Returns 0, or -1 with err
 * (MM_EINPUT) if the shape is impossible.  The population owns its
 * arrays; mm_gen_pop_release() frees them.
 */
int mm_gen_pop_init(struct mm_gen_pop *p, const struct mm_gen_shape *s,
    uint64_t seed, struct mm_err *err);
void mm_gen_pop_release(struct mm_gen_pop *p);

/* The population's q-quantile of feature j, exact; -+inf at q 0 and 1. */
double mm_gen_quantile(const struct mm_gen_pop *p, int j, double q);

/* No drift, no concept change; shift 1, scale 1, f0-f2, strength 0.1. */
void mm_gen_scenario_init(struct mm_gen_scenario *sc,
    const struct mm_gen_pop *p);
/* Check sc against p and compute the concept threshold: 0 or -1, err. */
int mm_gen_scenario_ready(struct mm_gen_scenario *sc,
    const struct mm_gen_pop *p, struct mm_err *err);

/* Seed r for batch number batch (0, 1, ...) or MM_GEN_TRAIN. */
void mm_gen_stream(struct mm_rng *r, uint64_t seed, long batch);

/* Draw n rows: x holds features x n values, y n labels. */
void mm_gen_sample(const struct mm_gen_pop *p, struct mm_rng *r, size_t n,
    double *x, int *y);

/* Move rows whose feature j is above threshold to the next class. */
size_t mm_gen_concept(const struct mm_gen_pop *p, int j, double threshold,
    size_t n, const double *x, int *y);

/* Feature j becomes mean + scale * (x - mean) + shift * sd. */
void mm_gen_drift(const struct mm_gen_pop *p, int j, double shift,
    double scale, size_t n, double *x);

/* Round count values to MM_GEN_DECIMALS decimals. */
void mm_gen_round(size_t count, double *x);

/*
 * One batch as mm-gen writes it: sample, then the concept change and the
 * drift if index is at or past where they start (the concept rule reads
 * the undrifted values), then round.
 */
void mm_gen_draw(const struct mm_gen_pop *p, const struct mm_gen_scenario *sc,
    struct mm_rng *r, long index, size_t n, double *x, int *y);

/*
 * Write v as mm_fmt_double() would, faster for values on the rounding
 * grid, and "null" if v is not finite.  buf has room for 32 bytes;
 * returns the length written (NUL-terminated).
 */
int mm_gen_fmt(char *buf, double v);

#endif
