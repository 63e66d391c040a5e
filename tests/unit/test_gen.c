/*
 * Unit tests of lib/gen.c: the population, samples, scenarios and the
 * number writer.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"
#include "json.h"
#include "rng.h"

#define NF 10

static void
pop_default(struct mm_gen_pop *p, uint64_t seed)
{
	struct mm_gen_shape s;
	struct mm_err err = { 0 };

	mm_gen_shape_defaults(&s);
	assert_int_equal(mm_gen_pop_init(p, &s, seed, &err), 0);
}

/* A sample of n rows from batch stream `batch` of seed. */
static void
draw(const struct mm_gen_pop *p, uint64_t seed, long batch, size_t n,
    double **x, int **y)
{
	struct mm_rng r;

	*x = mm_xcalloc(n * (size_t)p->shape.features, sizeof(double));
	*y = mm_xcalloc(n, sizeof(int));
	mm_gen_stream(&r, seed, batch);
	mm_gen_sample(p, &r, n, *x, *y);
}

static double
col_mean(const double *c, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += c[i];
	return s / (double)n;
}

static void
test_defaults(void **state)
{
	struct mm_gen_shape s;

	(void)state;
	mm_gen_shape_defaults(&s);
	assert_int_equal(s.features, 10);
	assert_int_equal(s.informative, 6);
	assert_int_equal(s.redundant, 2);
	assert_int_equal(s.classes, 2);
	assert_true(s.class_sep == 1.2);
	assert_true(s.flip_y == 0.01);
}

static void
test_population_deterministic(void **state)
{
	struct mm_gen_pop a, b, c;

	(void)state;
	pop_default(&a, 42);
	pop_default(&b, 42);
	pop_default(&c, 43);
	assert_int_equal(a.nclusters, 4);
	assert_memory_equal(a.centre, b.centre, 4 * 6 * sizeof(double));
	assert_memory_equal(a.transform, b.transform,
	    4 * 36 * sizeof(double));
	assert_memory_equal(a.weight, b.weight, 12 * sizeof(double));
	assert_memory_equal(a.mean, b.mean, NF * sizeof(double));
	assert_memory_equal(a.sd, b.sd, NF * sizeof(double));
	assert_memory_not_equal(a.transform, c.transform,
	    4 * 36 * sizeof(double));
	assert_memory_not_equal(a.weight, c.weight, 12 * sizeof(double));
	mm_gen_pop_release(&a);
	mm_gen_pop_release(&b);
	mm_gen_pop_release(&c);
}

static void
test_centres_on_cube(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_shape s;
	struct mm_err err = { 0 };
	int k, m, j;

	(void)state;
	mm_gen_shape_defaults(&s);
	s.classes = 10;
	assert_int_equal(mm_gen_pop_init(&p, &s, 7, &err), 0);
	assert_int_equal(p.nclusters, 20);
	for (k = 0; k < 20; k++) {
		for (j = 0; j < 6; j++)
			assert_true(fabs(p.centre[k * 6 + j]) == 1.2);
		for (m = 0; m < k; m++)
			assert_memory_not_equal(p.centre + k * 6,
			    p.centre + m * 6, 6 * sizeof(double));
	}
	for (j = 0; j < 6 * 6 * 20; j++)
		assert_true(p.transform[j] >= -1 && p.transform[j] < 1);
	mm_gen_pop_release(&p);
}

static void
test_shape_errors(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_shape s;
	struct mm_err err = { 0 };

	(void)state;
	mm_gen_shape_defaults(&s);
	s.features = 7;
	assert_int_equal(mm_gen_pop_init(&p, &s, 1, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "6 informative and 2 redundant "
	    "features do not fit in 7");

	mm_gen_shape_defaults(&s);
	s.informative = 2;
	s.classes = 3;
	assert_int_equal(mm_gen_pop_init(&p, &s, 1, &err), -1);
	assert_string_equal(err.msg, "3 classes need 6 clusters, more than "
	    "the 4 corners of 2 informative features");

	mm_gen_shape_defaults(&s);
	s.classes = 11;
	assert_int_equal(mm_gen_pop_init(&p, &s, 1, &err), -1);
	assert_string_equal(err.msg, "11 classes: not from 2 to 10");

	/* Two informative features hold the four clusters of two classes. */
	mm_gen_shape_defaults(&s);
	s.informative = 2;
	assert_int_equal(mm_gen_pop_init(&p, &s, 1, &err), 0);
	mm_gen_pop_release(&p);
}

static void
test_sample_deterministic(void **state)
{
	struct mm_gen_pop p;
	double *x1, *x2, *x3;
	int *y1, *y2, *y3;
	size_t n = 500;

	(void)state;
	pop_default(&p, 42);
	draw(&p, 1, 3, n, &x1, &y1);
	draw(&p, 1, 3, n, &x2, &y2);
	draw(&p, 2, 3, n, &x3, &y3);
	assert_memory_equal(x1, x2, n * NF * sizeof(double));
	assert_memory_equal(y1, y2, n * sizeof(int));
	assert_memory_not_equal(x1, x3, n * NF * sizeof(double));
	free(x2);
	free(y2);
	/* Another batch, and the training set, are other streams. */
	draw(&p, 1, 4, n, &x2, &y2);
	assert_memory_not_equal(x1, x2, n * NF * sizeof(double));
	free(x2);
	free(y2);
	draw(&p, 1, MM_GEN_TRAIN, n, &x2, &y2);
	assert_memory_not_equal(x1, x2, n * NF * sizeof(double));
	free(x1);
	free(y1);
	free(x2);
	free(y2);
	free(x3);
	free(y3);
	mm_gen_pop_release(&p);
}

/* Redundant features are exactly the weighted sums of informative ones. */
static void
test_redundant_combination(void **state)
{
	struct mm_gen_pop p;
	double *x, v;
	int *y, j, r;
	size_t i, n = 1000;

	(void)state;
	pop_default(&p, 42);
	draw(&p, 5, 0, n, &x, &y);
	for (i = 0; i < n; i++)
		for (r = 0; r < 2; r++) {
			for (v = 0, j = 0; j < 6; j++)
				v += x[j * n + i] * p.weight[j * 2 + r];
			assert_true(fabs(v - x[(6 + r) * n + i]) < 1e-12);
		}
	free(x);
	free(y);
	mm_gen_pop_release(&p);
}

/*
 * The expected covariance of features a and b: a mixture of the
 * clusters' N(c G, G' A' A G), G = [I W], and independent N(0, 1) noise.
 */
static double
expected_cov(const struct mm_gen_pop *p, int a, int b)
{
	int ni = p->shape.informative, nr = p->shape.redundant;
	int nc = p->nclusters, k, m, j;
	double g[2][MM_GEN_MAX_FEATURES], s = 0, ua, ub, da, db;
	const double *t;

	if (a >= ni + nr || b >= ni + nr)
		return a == b;
	for (j = 0; j < ni; j++) {
		g[0][j] = a < ni ? j == a : p->weight[j * nr + a - ni];
		g[1][j] = b < ni ? j == b : p->weight[j * nr + b - ni];
	}
	for (k = 0; k < nc; k++) {
		t = p->transform + k * ni * ni;
		for (m = 0; m < ni; m++) {
			for (ua = ub = 0, j = 0; j < ni; j++) {
				ua += t[m * ni + j] * g[0][j];
				ub += t[m * ni + j] * g[1][j];
			}
			s += ua * ub;
		}
		da = p->cmean[k * p->shape.features + a] - p->mean[a];
		db = p->cmean[k * p->shape.features + b] - p->mean[b];
		s += da * db;
	}
	return s / nc;
}

static void
test_sample_moments(void **state)
{
	struct mm_gen_pop p;
	double *x, ma, mb, c, want;
	int *y, a, b;
	size_t i, n = 200000;

	(void)state;
	pop_default(&p, 42);
	draw(&p, 9, 0, n, &x, &y);
	for (a = 0; a < NF; a++) {
		assert_true(fabs(expected_cov(&p, a, a) - p.sd[a] * p.sd[a]) <
		    1e-9 * p.sd[a] * p.sd[a]);
		ma = col_mean(x + a * n, n);
		assert_true(fabs(ma - p.mean[a]) < 0.02 * p.sd[a]);
		for (b = 0; b <= a; b++) {
			mb = col_mean(x + b * n, n);
			for (c = 0, i = 0; i < n; i++)
				c += (x[a * n + i] - ma) * (x[b * n + i] - mb);
			c /= (double)(n - 1);
			want = expected_cov(&p, a, b);
			if (fabs(c - want) >= 0.02 * p.sd[a] * p.sd[b])
				fail_msg("cov(f%d, f%d) %g, expected %g", a, b,
				    c, want);
		}
	}
	/* Noise has mean 0 and sd 1. */
	assert_true(p.mean[9] == 0 && p.sd[9] == 1);
	free(x);
	free(y);
	mm_gen_pop_release(&p);
}

/* With clusters far apart, a row's cluster is its nearest centre. */
static int
nearest_cluster(const struct mm_gen_pop *p, const double *x, size_t n,
    size_t i)
{
	int ni = p->shape.informative, k, j, best = -1;
	double d, bd = INFINITY;

	for (k = 0; k < p->nclusters; k++) {
		for (d = 0, j = 0; j < ni; j++)
			d += pow(x[j * n + i] - p->centre[k * ni + j], 2);
		if (d < bd) {
			bd = d;
			best = k;
		}
	}
	return best;
}

static void
flip_rate(int classes, double flip, double *mismatch, double *class0)
{
	struct mm_gen_pop p;
	struct mm_gen_shape s;
	struct mm_err err = { 0 };
	double *x;
	int *y;
	size_t i, n = 100000, bad = 0, zero = 0;

	mm_gen_shape_defaults(&s);
	s.classes = classes;
	s.flip_y = flip;
	s.class_sep = 40;
	assert_int_equal(mm_gen_pop_init(&p, &s, 3, &err), 0);
	draw(&p, 11, 0, n, &x, &y);
	for (i = 0; i < n; i++) {
		bad += y[i] != nearest_cluster(&p, x, n, i) % classes;
		zero += y[i] == 0;
		assert_true(y[i] >= 0 && y[i] < classes);
	}
	*mismatch = (double)bad / (double)n;
	*class0 = (double)zero / (double)n;
	free(x);
	free(y);
	mm_gen_pop_release(&p);
}

static void
test_flip_rate(void **state)
{
	double mis, c0;

	(void)state;
	flip_rate(2, 0, &mis, &c0);
	assert_true(mis == 0);
	assert_true(fabs(c0 - 0.5) < 0.01);
	/* A flipped row gets a random class: it changes with p (K-1)/K. */
	flip_rate(2, 0.2, &mis, &c0);
	assert_true(fabs(mis - 0.1) < 0.006);
	assert_true(fabs(c0 - 0.5) < 0.01);
	flip_rate(4, 0.2, &mis, &c0);
	assert_true(fabs(mis - 0.15) < 0.006);
	assert_true(fabs(c0 - 0.25) < 0.01);
	flip_rate(2, 0.01, &mis, &c0);
	assert_true(fabs(mis - 0.005) < 0.0015);
}

static void
test_quantile(void **state)
{
	struct mm_gen_pop p;
	double *x, q;
	int *y, f, k;
	static const int feats[] = { 0, 3, 6, 7, 9 };
	static const double qs[] = { 0.1, 0.5, 0.9, 0.99 };
	size_t i, n = 200000, above;

	(void)state;
	pop_default(&p, 42);
	draw(&p, 13, 0, n, &x, &y);
	for (f = 0; f < 5; f++)
		for (k = 0; k < 4; k++) {
			q = mm_gen_quantile(&p, feats[f], qs[k]);
			for (above = 0, i = 0; i < n; i++)
				above += x[feats[f] * n + i] > q;
			if (fabs((double)above / (double)n - (1 - qs[k])) >
			    0.005)
				fail_msg("f%d q%g: %zu above", feats[f], qs[k],
				    above);
		}
	/* Noise is N(0, 1) in every cluster. */
	assert_true(fabs(mm_gen_quantile(&p, 9, 0.5)) < 1e-12);
	assert_true(fabs(mm_gen_quantile(&p, 9, 0.975) - 1.959963984540054) <
	    1e-9);
	assert_true(mm_gen_quantile(&p, 0, 0) == -INFINITY);
	assert_true(mm_gen_quantile(&p, 0, 1) == INFINITY);
	free(x);
	free(y);
	mm_gen_pop_release(&p);
}

static void
test_concept_rule(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_shape s;
	struct mm_err err = { 0 };
	double x[3 * 5] = { -1, 0.5, 0.6, 2, 0.5 };
	int y[5] = { 0, 1, 2, 2, 0 };

	(void)state;
	mm_gen_shape_defaults(&s);
	s.features = 3;
	s.informative = 3;
	s.redundant = 0;
	s.classes = 3;
	assert_int_equal(mm_gen_pop_init(&p, &s, 1, &err), 0);
	assert_int_equal(mm_gen_concept(&p, 0, 0.5, 5, x, y), 2);
	assert_int_equal(y[0], 0);
	assert_int_equal(y[1], 1);	/* not above: equal */
	assert_int_equal(y[2], 0);	/* 2 rotates to 0 */
	assert_int_equal(y[3], 0);
	assert_int_equal(y[4], 0);
	mm_gen_pop_release(&p);
}

/* Same stream with and without a scenario: only what it names moves. */
static void
scenario_pair(struct mm_gen_scenario *sc, long index, size_t n, double **x0,
    int **y0, double **x1, int **y1)
{
	struct mm_gen_pop p;
	struct mm_err err = { 0 };
	struct mm_rng r;

	pop_default(&p, 42);
	assert_int_equal(mm_gen_scenario_ready(sc, &p, &err), 0);
	*x0 = mm_xcalloc(n * NF, sizeof(double));
	*x1 = mm_xcalloc(n * NF, sizeof(double));
	*y0 = mm_xcalloc(n, sizeof(int));
	*y1 = mm_xcalloc(n, sizeof(int));
	mm_gen_stream(&r, 2, index);
	mm_gen_draw(&p, NULL, &r, index, n, *x0, *y0);
	mm_gen_stream(&r, 2, index);
	mm_gen_draw(&p, sc, &r, index, n, *x1, *y1);
	mm_gen_pop_release(&p);
}

static void
test_concept_fraction(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_scenario sc;
	double *x0, *x1;
	int *y0, *y1;
	size_t i, n = 100000, same = 0;

	(void)state;
	pop_default(&p, 42);
	mm_gen_scenario_init(&sc, &p);
	mm_gen_pop_release(&p);
	sc.concept_at = 3;
	sc.concept_strength = 0.1;
	scenario_pair(&sc, 2, 1000, &x0, &y0, &x1, &y1);
	assert_memory_equal(y0, y1, 1000 * sizeof(int));
	assert_memory_equal(x0, x1, 1000 * NF * sizeof(double));
	free(x0);
	free(y0);
	free(x1);
	free(y1);
	scenario_pair(&sc, 3, n, &x0, &y0, &x1, &y1);
	assert_memory_equal(x0, x1, n * NF * sizeof(double));
	for (i = 0; i < n; i++) {
		same += y0[i] == y1[i];
		assert_int_equal(y0[i] != y1[i], x0[i] > sc.concept_threshold);
	}
	assert_true(fabs((double)same / (double)n - 0.9) < 0.005);
	free(x0);
	free(y0);
	free(x1);
	free(y1);
}

static void
test_drift(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_scenario sc;
	double *x0, *x1, m, s, d;
	int *y0, *y1, j;
	size_t i, n = 2000;

	(void)state;
	pop_default(&p, 42);
	mm_gen_scenario_init(&sc, &p);
	m = p.mean[1];
	s = p.sd[1];
	memset(sc.drift, 0, sizeof(sc.drift));
	sc.drift[1] = 1;
	sc.drift_at = 2;
	sc.shift = 1.5;
	sc.scale = 2;
	scenario_pair(&sc, 1, n, &x0, &y0, &x1, &y1);
	assert_memory_equal(x0, x1, n * NF * sizeof(double));
	free(x0);
	free(y0);
	free(x1);
	free(y1);
	scenario_pair(&sc, 2, n, &x0, &y0, &x1, &y1);
	assert_memory_equal(y0, y1, n * sizeof(int));
	for (j = 0; j < NF; j++) {
		if (j == 1)
			continue;
		assert_memory_equal(x0 + j * n, x1 + j * n,
		    n * sizeof(double));
	}
	for (i = 0; i < n; i++) {
		d = m + 2 * (x0[n + i] - m) + 1.5 * s - x1[n + i];
		/* Both sides are rounded to 1e-6. */
		assert_true(fabs(d) < 2.1e-6);
	}
	free(x0);
	free(y0);
	free(x1);
	free(y1);
	mm_gen_pop_release(&p);
}

static void
test_scenario_errors(void **state)
{
	struct mm_gen_pop p;
	struct mm_gen_scenario sc;
	struct mm_err err = { 0 };

	(void)state;
	pop_default(&p, 42);
	mm_gen_scenario_init(&sc, &p);
	assert_int_equal(sc.drift_at, -1);
	assert_int_equal(sc.concept_at, -1);
	assert_true(sc.drift[0] && sc.drift[1] && sc.drift[2] &&
	    !sc.drift[3]);
	sc.concept_feature = 10;
	assert_int_equal(mm_gen_scenario_ready(&sc, &p, &err), -1);
	assert_string_equal(err.msg, "concept feature 'f10' is not one of "
	    "f0 to f9");
	sc.concept_feature = 0;
	sc.drift[12] = 1;
	assert_int_equal(mm_gen_scenario_ready(&sc, &p, &err), -1);
	assert_string_equal(err.msg, "drift feature 'f12' is not one of f0 "
	    "to f9");
	sc.drift[12] = 0;
	assert_int_equal(mm_gen_scenario_ready(&sc, &p, &err), 0);
	assert_true(sc.concept_threshold == mm_gen_quantile(&p, 0, 0.9));
	mm_gen_pop_release(&p);
}

static void
test_round(void **state)
{
	double v[] = { 1.23456749, -1.2345675001, -4e-7, 2.5e-7, 3.0,
	    0.1 + 0.2 };
	char buf[32];

	(void)state;
	mm_gen_round(6, v);
	assert_true(v[0] == 1.234567);
	assert_true(v[1] == -1.234568);
	assert_true(v[2] == 0 && !signbit(v[2]));
	assert_true(v[3] == 0);
	assert_true(v[4] == 3);
	assert_true(v[5] == 0.3);
	mm_gen_fmt(buf, v[2]);
	assert_string_equal(buf, "0");
}

static void
check_fmt(double v)
{
	char a[40], b[40];

	mm_gen_fmt(a, v);
	mm_fmt_double(b, sizeof(b), v);
	if (strcmp(a, b) != 0)
		fail_msg("%.17g: '%s', mm_fmt_double '%s'", v, a, b);
}

static void
test_fmt(void **state)
{
	static const double edge[] = { 0, 1, -1, 1e-4, -1e-4, 9.9e-5,
	    0.000123, 999999999.999999, 1e9, -1e9, 123456789.5, 0.5, 1e-6,
	    -1e-6, 1.5e-6, 3.141593, 1764140000, 0.1 + 0.2, 1e300, 1e-300,
	    5e-324 };
	struct mm_rng r;
	char buf[40];
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		check_fmt(edge[i]);
	mm_rng_seed(&r, 1, 1);
	for (i = 0; i < 300000; i++) {
		v = mm_rng_normal(&r) * pow(10, (double)mm_rng_below(&r, 14) -
		    5);
		check_fmt(v);
		mm_gen_round(1, &v);
		check_fmt(v);
	}
	assert_int_equal(mm_gen_fmt(buf, -2.5), 4);
	assert_string_equal(buf, "-2.5");
	assert_int_equal(mm_gen_fmt(buf, NAN), 4);
	assert_string_equal(buf, "null");
	mm_gen_fmt(buf, -INFINITY);
	assert_string_equal(buf, "null");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_population_deterministic),
		cmocka_unit_test(test_centres_on_cube),
		cmocka_unit_test(test_shape_errors),
		cmocka_unit_test(test_sample_deterministic),
		cmocka_unit_test(test_redundant_combination),
		cmocka_unit_test(test_sample_moments),
		cmocka_unit_test(test_flip_rate),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_concept_rule),
		cmocka_unit_test(test_concept_fraction),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_scenario_errors),
		cmocka_unit_test(test_round),
		cmocka_unit_test(test_fmt),
	};

	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
