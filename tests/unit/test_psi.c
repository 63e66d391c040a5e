/*
 * test_psi.c - quantile edges, binning, PSI, its chi-square p-value and
 * critical value, Benjamini-Hochberg, drift status, and reference files.
 *
 * Literals marked "numpy" or "scipy" were computed with /usr/bin/python3
 * (numpy 1.24, scipy 1.10) and pasted with repr(); the others are worked
 * by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psi.h"

#define assert_rel(got, want, rel) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= (rel) * fabs(w_)))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_exact(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(g_ == w_))						\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_nan(got) do {						\
	double g_ = (got);						\
	if (!isnan(g_))							\
		fail_msg("%s = %.17g, want NaN", #got, g_);		\
} while (0)

static void
check_feat(const struct mm_ref_feat *f, const char *name, int nedges,
    const double *edges, int nbins, const long *counts, long n, long missing)
{
	int i;

	assert_string_equal(f->name, name);
	assert_int_equal(f->nedges, nedges);
	assert_int_equal(f->nbins, nbins);
	for (i = 0; i < nedges; i++)
		if (f->edges[i] != edges[i])
			fail_msg("%s edge %d = %.17g, want %.17g", name, i,
			    f->edges[i], edges[i]);
	for (i = 0; i < nbins; i++)
		if (f->counts[i] != counts[i])
			fail_msg("%s count %d = %ld, want %ld", name, i,
			    f->counts[i], counts[i]);
	assert_int_equal(f->n, n);
	assert_int_equal(f->missing, missing);
}

/* numpy.quantile(x, q) for q in 0, .1, .25, 1/3, .5, .7, .9, .95, 1. */
static void
expect_quantiles(const double *x, size_t n, const double want[9])
{
	static const double q[9] = { 0.0, 0.1, 0.25, 1.0 / 3, 0.5, 0.7, 0.9,
	    0.95, 1.0 };
	int i;

	for (i = 0; i < 9; i++) {
		double got = mm_quantile_sorted(x, n, q[i]);

		/* Promised to the last bit (psi.c). */
		if (got != want[i])
			fail_msg("n %zu q %.17g: %.17g, want %.17g", n, q[i],
			    got, want[i]);
	}
}

static void
test_quantile(void **state)
{
	/* numpy: np.quantile(np.array(x), q), printed with repr(). */
	static const double x1[] = { 3.5 };
	static const double w1[9] = { 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5,
	    3.5 };
	static const double x2[] = { 1.0, 4.0 };
	static const double w2[9] = { 1.0, 1.3, 1.75, 2.0, 2.5,
	    3.0999999999999996, 3.7, 3.8499999999999996, 4.0 };
	static const double x5[] = { -2.0, 0.5, 1.0, 7.0, 10.0 };
	static const double w5[9] = { -2.0, -1.0, 0.5, 0.6666666666666666,
	    1.0, 5.799999999999999, 8.8, 9.399999999999999, 10.0 };
	static const double x7[] = { 0.1, 0.2, 0.2, 0.3, 1.7, 2.9, 100.0 };
	static const double w7[9] = { 0.1, 0.16000000000000003, 0.2, 0.2, 0.3,
	    1.939999999999999, 41.74000000000003, 70.86999999999993, 100.0 };
	static const double x10[] = { -3.25, -1.0, 0.0, 0.125, 0.3, 0.7, 1.1,
	    2.0, 5.5, 9.75 };
	static const double w10[9] = { -3.25, -1.2249999999999999, 0.03125,
	    0.125, 0.5, 1.3699999999999999, 5.924999999999999,
	    7.837499999999995, 9.75 };

	(void)state;
	expect_quantiles(x1, 1, w1);
	expect_quantiles(x2, 2, w2);
	expect_quantiles(x5, 5, w5);
	expect_quantiles(x7, 7, w7);
	expect_quantiles(x10, 10, w10);
}

static void
test_ref_add(void **state)
{
	/*
	 * By hand, numpy's linear method, index (n-1)q:
	 * 1..8, B = 4: indexes 0, 1.75, 3.5, 5.25, 7 give edges 1, 2.75,
	 * 4.5, 6.25, 8; 1,2 | 3,4 | 5,6 | 7,8.  The NaN is missing.
	 */
	static const double v1[] = { 5, 1, 8, 3, 2, NAN, 4, 7, 6 };
	static const double e1[] = { 1, 2.75, 4.5, 6.25, 8 };
	static const long c1[] = { 2, 2, 2, 2 };
	/*
	 * 1,1,1,1,1,2,3,4, B = 4: indexes 0, 1.75, 3.5 all fall among the
	 * ones, 5.25 gives 2 + 0.25 * (3 - 2) = 2.25, 7 gives 4: edges 1, 1,
	 * 1, 2.25, 4, so after removing duplicates 1, 2.25, 4 and B = 2:
	 * six values below 2.25, two above.
	 */
	static const double v2[] = { 1, 2, 1, 3, 1, 4, 1, 1 };
	static const double e2[] = { 1, 2.25, 4 };
	static const long c2[] = { 6, 2 };
	/* One distinct value: one edge, one bin. */
	static const double v3[] = { 7, 7, NAN, 7 };
	static const double e3[] = { 7 };
	static const long c3[] = { 3 };
	/*
	 * numpy: B = 10, q = k * (1.0 / 10), edges np.quantile(x, q) with
	 * duplicates removed, counts np.bincount(np.searchsorted(
	 * edges[1:-1], x, side='right')).  Bin 3 is empty: 0.5 is an
	 * edge, so the four 0.5s go to the bin above.
	 */
	static const double v4[] = { 0.5, 0.25, 3.0, 0.25, 0.75, 1.5, 0.5,
	    2.25, 0.5, 0.125, 10.0, 0.5, 0.3, 0.7, 0.9, 1.1, 0.05 };
	static const double e4[] = { 0.05, 0.2, 0.26, 0.46000000000000013,
	    0.5, 0.7300000000000001, 0.9400000000000003, 1.4200000000000004,
	    2.5500000000000003, 10.0 };
	static const long c4[] = { 2, 2, 1, 0, 5, 2, 1, 2, 2 };
	struct mm_ref r;
	struct mm_err err;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "f1", v1, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "dup", v2, 8, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "one", v3, 4, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "ten", v4, 17, 10, &err), 0);
	assert_int_equal(r.nfeat, 4);
	check_feat(&r.f[0], "f1", 5, e1, 4, c1, 8, 1);
	check_feat(&r.f[1], "dup", 3, e2, 2, c2, 8, 0);
	check_feat(&r.f[2], "one", 1, e3, 1, c3, 3, 1);
	check_feat(&r.f[3], "ten", 10, e4, 9, c4, 17, 0);
	/* bins as first asked for; rows the most values given. */
	assert_int_equal(r.bins, 4);
	assert_int_equal(r.rows, 17);
	assert_int_equal(mm_ref_find(&r, "f1"), 0);
	assert_int_equal(mm_ref_find(&r, "ten"), 3);
	assert_int_equal(mm_ref_find(&r, "f"), -1);
	assert_int_equal(mm_ref_find(&r, "f10"), -1);
	/* A feature without values is refused and not added. */
	{
		static const double none[] = { NAN, NAN };

		memset(&err, 0, sizeof(err));
		assert_int_equal(mm_ref_add(&r, "z", none, 2, 4, &err), -1);
		assert_int_equal(err.code, MM_EINPUT);
		assert_string_equal(err.msg,
		    "feature 'z' has no values to fit");
		assert_int_equal(mm_ref_add(&r, "z0", none, 0, 4, &err), -1);
		assert_string_equal(err.msg,
		    "feature 'z0' has no values to fit");
		assert_int_equal(r.nfeat, 4);
		assert_int_equal(mm_ref_find(&r, "z"), -1);
	}
	mm_ref_release(&r);
	assert_int_equal(r.nfeat, 0);
	assert_null(r.f);
}

static void
test_ref_bin(void **state)
{
	static const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const double one[] = { 7, 7 };
	struct mm_ref r;
	struct mm_err err;
	const struct mm_ref_feat *f;
	long counts[4] = { 0 }, missing = 0, c1[1] = { 0 };
	static const double prod[] = { -1e300, 1, 2.7499999, 2.75, NAN, 4.5,
	    6.25, 8, 1e300, NAN, 3 };

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "x", v, 8, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "one", one, 2, 4, &err), 0);
	f = &r.f[0];		/* edges 1, 2.75, 4.5, 6.25, 8 */
	/* On an edge: the bin above. */
	assert_int_equal(mm_ref_bin(f, 2.75), 1);
	assert_int_equal(mm_ref_bin(f, 4.5), 2);
	assert_int_equal(mm_ref_bin(f, 6.25), 3);
	assert_int_equal(mm_ref_bin(f, nextafter(2.75, 0)), 0);
	assert_int_equal(mm_ref_bin(f, nextafter(4.5, 0)), 1);
	assert_int_equal(mm_ref_bin(f, nextafter(6.25, 0)), 2);
	/* The outer edges bound nothing: the outer bins are open. */
	assert_int_equal(mm_ref_bin(f, 1), 0);
	assert_int_equal(mm_ref_bin(f, 0.5), 0);
	assert_int_equal(mm_ref_bin(f, -1e300), 0);
	assert_int_equal(mm_ref_bin(f, -INFINITY), 0);
	assert_int_equal(mm_ref_bin(f, 8), 3);
	assert_int_equal(mm_ref_bin(f, 8.5), 3);
	assert_int_equal(mm_ref_bin(f, INFINITY), 3);
	/* A single value: everything in the one bin. */
	assert_int_equal(mm_ref_bin(&r.f[1], -5), 0);
	assert_int_equal(mm_ref_bin(&r.f[1], 7), 0);
	assert_int_equal(mm_ref_bin(&r.f[1], 9), 0);
	/* Counting adds to what is there; NaN counts as missing. */
	counts[2] = 10;
	mm_ref_count(f, prod, 11, counts, &missing);
	assert_int_equal(counts[0], 3);	/* -1e300, 1, 2.7499999 */
	assert_int_equal(counts[1], 2);	/* 2.75, 3 */
	assert_int_equal(counts[2], 11);	/* 4.5 */
	assert_int_equal(counts[3], 3);	/* 6.25, 8, 1e300 */
	assert_int_equal(missing, 2);
	mm_ref_count(&r.f[1], prod, 11, c1, &missing);
	assert_int_equal(c1[0], 9);
	assert_int_equal(missing, 4);
	mm_ref_release(&r);
}

/* A reference feature with the given counts (edges do not matter). */
static void
make_feat(struct mm_ref_feat *f, long *counts, int nbins)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->nbins = nbins;
	f->counts = counts;
	for (i = 0; i < nbins; i++)
		f->n += counts[i];
}

static void
test_psi(void **state)
{
	struct mm_ref_feat f;
	long r2[2] = { 6, 2 }, p2[2] = { 1, 3 };
	long r4[4] = { 2, 2, 2, 2 }, p4[4] = { 4, 0, 0, 0 };
	long r3[3] = { 3, 3, 2 }, p3[3] = { 1, 2, 5 }, same[3] = { 6, 6, 4 };
	long r1[1] = { 3 }, p1[1] = { 5 };
	double v;

	(void)state;
	/*
	 * Reference shares .75, .25; production .25, .75.  Both terms are
	 * .5 * ln(.750001 / .250001), so PSI = ln(.750001 / .250001).
	 */
	make_feat(&f, r2, 2);
	assert_rel(mm_psi(&f, p2, 4, 1e-6), log(0.750001 / 0.250001), 1e-12);
	assert_rel(mm_psi(&f, p2, 4, 1e-6), 1.0986096220085544, 1e-12);
	/* Without eps it is ln 3. */
	assert_rel(mm_psi(&f, p2, 4, 0), 1.0986122886681098, 1e-12);
	/*
	 * An empty bin: shares 1, 0, 0, 0 against .25 each.  PSI =
	 * .75 ln(1.000001/.250001) + 3 (-.25) ln(.000001/.250001)
	 * = .75 ln(1.000001/.000001) = .75 ln 1000001: large, finite.
	 */
	make_feat(&f, r4, 4);
	v = mm_psi(&f, p4, 4, 1e-6);
	assert_true(isfinite(v));
	assert_rel(v, 10.36163366847283, 1e-12);
	/* Three bins, numpy-free: sum((a-e) * log((a+eps)/(e+eps))). */
	make_feat(&f, r3, 3);
	assert_rel(mm_psi(&f, p3, 8, 1e-6), 0.6689428351435427, 1e-12);
	assert_rel(mm_psi(&f, p3, 8, 0.01), 0.6459161148253072, 1e-12);
	/* Same shares: exactly 0. */
	assert_exact(mm_psi(&f, same, 16, 1e-6), 0.0);
	assert_exact(mm_psi(&f, r3, 8, 1e-6), 0.0);
	/* One distinct value in the reference: PSI 0. */
	make_feat(&f, r1, 1);
	assert_exact(mm_psi(&f, p1, 5, 1e-6), 0.0);
	/* No production values: NaN. */
	make_feat(&f, r3, 3);
	{
		long zero[3] = { 0, 0, 0 };

		assert_nan(mm_psi(&f, zero, 0, 1e-6));
	}
}

static void
test_pvalue_crit(void **state)
{
	(void)state;
	/*
	 * scipy: chi2.sf(psi / (1/m + 1/n), B - 1).  Check by hand on the
	 * third: .01 / (1/200 + 1/200) = 1, df 2: sf = exp(-1/2).
	 */
	assert_rel(mm_psi_pvalue(0.05, 1000, 100, 10), 0.8719982518181065,
	    1e-9);
	assert_rel(mm_psi_pvalue(0.5, 5000, 64, 10), 0.00023384890692842842,
	    1e-9);
	assert_rel(mm_psi_pvalue(0.01, 200, 200, 3), 0.6065306597126334,
	    1e-9);
	assert_rel(mm_psi_pvalue(0.01, 200, 200, 3), exp(-0.5), 1e-12);
	assert_rel(mm_psi_pvalue(0.001, 100000, 100000, 2),
	    1.537459794428033e-12, 1e-9);
	assert_rel(mm_psi_pvalue(0.2, 500, 300, 5), 1.420841273489262e-07,
	    1e-9);
	/* scipy gives 0.0: far past the tail. */
	assert_exact(mm_psi_pvalue(5.0, 10000, 10000, 10), 0.0);
	/* Degenerate cases. */
	assert_exact(mm_psi_pvalue(0.3, 100, 100, 1), 1.0);
	assert_exact(mm_psi_pvalue(0.0, 100, 100, 10), 1.0);
	assert_nan(mm_psi_pvalue(0.1, 100, 0, 10));
	assert_nan(mm_psi_pvalue(0.1, 0, 100, 10));
	assert_nan(mm_psi_pvalue(NAN, 100, 100, 10));
	/* scipy: chi2.isf(alpha, B - 1) * (1/m + 1/n). */
	assert_rel(mm_psi_crit(0.05, 1000, 100, 10), 0.18610875365082497,
	    1e-9);
	assert_rel(mm_psi_crit(0.01, 50, 50, 2), 0.2653958640408487, 1e-9);
	assert_rel(mm_psi_crit(0.05, 5000, 64, 5), 0.1501433120070618, 1e-9);
	assert_rel(mm_psi_crit(0.001, 2000, 1000, 20), 0.06573029394677629,
	    1e-9);
	assert_nan(mm_psi_crit(0.05, 100, 100, 1));
	assert_nan(mm_psi_crit(0.05, 100, 0, 10));
	assert_nan(mm_psi_crit(0.05, 0, 100, 10));
	/* At the critical PSI the p-value is alpha. */
	assert_rel(mm_psi_pvalue(mm_psi_crit(0.05, 1000, 100, 10), 1000, 100,
	    10), 0.05, 1e-9);
}

static void
test_bh(void **state)
{
	int sig[6];

	(void)state;
	/*
	 * Four p-values (the NaN is ignored), alpha .05: sorted .01, .03,
	 * .04, .2 against i/4 * .05 = .0125, .025, .0375, .05.  Only .01
	 * passes, and no larger one: one discovery.
	 */
	{
		const double p[5] = { 0.01, 0.04, 0.03, 0.2, NAN };
		const int want[5] = { 1, 0, 0, 0, 0 };

		memset(sig, 0x55, sizeof(sig));
		assert_int_equal(mm_bh(p, 5, 0.05, sig), 1);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/*
	 * Step-up: sorted .001, .03, .04, .045 against .0125, .025, .0375,
	 * .05.  .03 and .04 miss their own line, but .045 <= .05 is the
	 * largest that passes, so all four are discoveries.
	 */
	{
		const double p[4] = { 0.04, 0.001, 0.03, 0.045 };
		const int want[4] = { 1, 1, 1, 1 };

		assert_int_equal(mm_bh(p, 4, 0.05, sig), 4);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/*
	 * Three, alpha .1: sorted .02, .05, .5 against .0333, .0667, .1:
	 * .02 and .05 pass, .5 does not: two.
	 */
	{
		const double p[3] = { 0.5, 0.05, 0.02 };
		const int want[3] = { 0, 1, 1 };

		assert_int_equal(mm_bh(p, 3, 0.1, sig), 2);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/* Nothing small enough; all NaN; none at all. */
	{
		const double p[3] = { 0.2, 0.9, 0.06 };
		const double n[2] = { NAN, NAN };
		const int want[3] = { 0, 0, 0 };

		assert_int_equal(mm_bh(p, 3, 0.05, sig), 0);
		assert_memory_equal(sig, want, sizeof(want));
		sig[0] = sig[1] = 7;
		assert_int_equal(mm_bh(n, 2, 0.05, sig), 0);
		assert_int_equal(sig[0], 0);
		assert_int_equal(sig[1], 0);
		assert_int_equal(mm_bh(p, 0, 0.05, sig), 0);
	}
	/* Ties at the line: p == i/m * alpha counts. */
	{
		const double p[2] = { 0.05, 0.05 };

		assert_int_equal(mm_bh(p, 2, 0.05, sig), 2);
		assert_int_equal(sig[0], 1);
		assert_int_equal(sig[1], 1);
	}
}

/* A reference of one 2-bin feature with counts {m0, m1}. */
static void
ref2(struct mm_ref *r, long m0, long m1)
{
	double *v = malloc((size_t)(m0 + m1) * sizeof(double));
	struct mm_err err;
	long i;

	assert_non_null(v);
	/* Values 0 and 1 in those numbers: edges 0, x, 1 with 0 < x <= 1. */
	for (i = 0; i < m0 + m1; i++)
		v[i] = i < m0 ? 0.0 : 1.0;
	mm_ref_init(r);
	assert_int_equal(mm_ref_add(r, "f0", v, (size_t)(m0 + m1), 2, &err),
	    0);
	free(v);
	assert_int_equal(r->f[0].nbins, 2);
	assert_int_equal(r->f[0].counts[0], m0);
	assert_int_equal(r->f[0].counts[1], m1);
}

static int
status_of(const struct mm_ref *r, long a0, long a1,
    const struct mm_drift_cfg *cfg, double *score)
{
	struct mm_drift d;
	long c[2] = { a0, a1 }, *counts[1] = { c }, missing[1] = { 0 };
	int st;

	mm_drift_init(&d, r->nfeat);
	assert_int_equal(mm_drift_compute(&d, r, counts, missing, a0 + a1,
	    cfg), 0);
	st = d.status;
	if (score != NULL)
		*score = d.score;
	mm_drift_release(&d);
	return st;
}

static void
test_drift_bands(void **state)
{
	struct mm_config c;
	struct mm_drift_cfg cfg;
	struct mm_ref r;
	double s;

	(void)state;
	mm_config_defaults(&c);
	cfg = c.drift;		/* fixed, 0.1, 0.2, eps 1e-6 */
	assert_int_equal(cfg.threshold, MM_THRESHOLD_FIXED);
	ref2(&r, 500, 500);
	/*
	 * Production {k, 10000 - k} against {500, 500}; python:
	 * sum((a - e) * log((a + 1e-6) / (e + 1e-6))) over both bins.
	 */
	assert_int_equal(status_of(&r, 5000, 5000, &cfg, &s), MM_STABLE);
	assert_exact(s, 0.0);
	assert_int_equal(status_of(&r, 6554, 3446, &cfg, &s), MM_STABLE);
	assert_rel(s, 0.09990044960130706, 1e-9);
	assert_int_equal(status_of(&r, 6555, 3445, &cfg, &s), MM_MODERATE);
	assert_rel(s, 0.10003359092778925, 1e-9);
	assert_int_equal(status_of(&r, 7161, 2839, &cfg, &s), MM_MODERATE);
	assert_rel(s, 0.19993477621030054, 1e-9);
	assert_int_equal(status_of(&r, 7162, 2838, &cfg, &s), MM_SEVERE);
	assert_rel(s, 0.20013365165968972, 1e-9);
	/* Exactly at a band's lower end belongs to that band. */
	status_of(&r, 6555, 3445, &cfg, &s);
	cfg.moderate = s;
	assert_int_equal(status_of(&r, 6555, 3445, &cfg, NULL), MM_MODERATE);
	cfg.moderate = nextafter(s, 1);
	assert_int_equal(status_of(&r, 6555, 3445, &cfg, NULL), MM_STABLE);
	cfg = c.drift;
	status_of(&r, 7162, 2838, &cfg, &s);
	cfg.severe = s;
	assert_int_equal(status_of(&r, 7162, 2838, &cfg, NULL), MM_SEVERE);
	cfg.severe = nextafter(s, 1);
	assert_int_equal(status_of(&r, 7162, 2838, &cfg, NULL), MM_MODERATE);
	assert_string_equal(mm_status_names[MM_STABLE], "stable");
	assert_string_equal(mm_status_names[MM_MODERATE], "moderate");
	assert_string_equal(mm_status_names[MM_SEVERE], "severe");
	mm_ref_release(&r);
}

static void
test_drift_chi2(void **state)
{
	struct mm_config c;
	struct mm_drift_cfg cfg;
	struct mm_ref small, big;
	struct mm_drift d;
	long ca[2] = { 1, 3 }, *counts[1] = { ca }, missing[1] = { 0 };
	long cb[2] = { 2500, 7500 }, *bcounts[1] = { cb };

	(void)state;
	mm_config_defaults(&c);
	cfg = c.drift;
	/*
	 * Reference {5, 5}, production {1, 3}: PSI = .25 ln 2 + .25 ln 1.5
	 * = .25 ln 3 (eps aside), severe by the bands; but with M = 10,
	 * N = 4 the statistic is PSI / .35, p = .376 (scipy chi2.sf, 1 df):
	 * not significant.
	 */
	ref2(&small, 5, 5);
	mm_drift_init(&d, 1);
	assert_int_equal(mm_drift_compute(&d, &small, counts, missing, 4,
	    &cfg), 0);
	assert_rel(d.f[0].psi, 0.27465240550213854, 1e-9);
	assert_rel(d.f[0].p_value, 0.37570111958219643, 1e-9);
	assert_int_equal(d.f[0].significant, 0);
	assert_int_equal(d.status, MM_SEVERE);
	cfg.threshold = MM_THRESHOLD_CHI2;
	assert_int_equal(mm_drift_compute(&d, &small, counts, missing, 4,
	    &cfg), 0);
	assert_int_equal(d.status, MM_STABLE);
	assert_rel(d.score, 0.27465240550213854, 1e-9);
	mm_drift_release(&d);
	/* The same shift over 10000 rows each way is significant. */
	ref2(&big, 5000, 5000);
	mm_drift_init(&d, 1);
	assert_int_equal(mm_drift_compute(&d, &big, bcounts, missing, 10000,
	    &cfg), 0);
	assert_rel(d.f[0].psi, 0.27465240550213854, 1e-9);
	assert_true(d.f[0].p_value < 1e-250);	/* scipy: 1.357e-300 */
	assert_int_equal(d.f[0].significant, 1);
	assert_int_equal(d.status, MM_SEVERE);
	/* Moderate stays moderate when significant. */
	cfg.severe = 0.3;
	assert_int_equal(mm_drift_compute(&d, &big, bcounts, missing, 10000,
	    &cfg), 0);
	assert_int_equal(d.status, MM_MODERATE);
	mm_drift_release(&d);
	mm_ref_release(&small);
	mm_ref_release(&big);
}

static void
test_drift_features(void **state)
{
	static const double v[] = { 1, 2, 3, 4 };
	static const double one[] = { 7, 7, 7 };
	struct mm_config c;
	struct mm_ref r;
	struct mm_drift d;
	struct mm_err err;
	long ca[2] = { 1, 3 }, cb[1] = { 5 }, cc[2] = { 0, 0 };
	long *counts[3] = { ca, cb, cc }, missing[3] = { 1, 0, 6 };

	(void)state;
	mm_config_defaults(&c);
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "a", v, 4, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "one", one, 3, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "gone", v, 4, 2, &err), 0);
	mm_drift_init(&d, r.nfeat);
	assert_int_equal(mm_drift_compute(&d, &r, counts, missing, 6,
	    &c.drift), 0);
	/* a: {2,2} against {1,3}: .25 ln 3 as above (python, eps 1e-6). */
	assert_rel(d.f[0].psi, 0.27465240550213854, 1e-9);
	assert_int_equal(d.f[0].n, 4);
	assert_int_equal(d.f[0].missing, 1);
	/* one: a single value, PSI 0, p 1, no critical value. */
	assert_exact(d.f[1].psi, 0.0);
	assert_exact(d.f[1].p_value, 1.0);
	assert_nan(d.f[1].crit);
	assert_int_equal(d.f[1].n, 5);
	/* gone: every value missing, so NaN, left out of the mean. */
	assert_nan(d.f[2].psi);
	assert_nan(d.f[2].p_value);
	assert_nan(d.f[2].crit);
	assert_int_equal(d.f[2].n, 0);
	assert_int_equal(d.f[2].missing, 6);
	assert_rel(d.score, 0.27465240550213854 / 2, 1e-9);
	assert_int_equal(d.status, MM_MODERATE);
	assert_int_equal(d.rows, 6);
	mm_drift_release(&d);
	/* No feature with a value: an error. */
	{
		long z0[2] = { 0, 0 }, z1[1] = { 0 }, z2[2] = { 0, 0 };
		long *zc[3] = { z0, z1, z2 };

		mm_drift_init(&d, r.nfeat);
		assert_int_equal(mm_drift_compute(&d, &r, zc, missing, 6,
		    &c.drift), -1);
		mm_drift_release(&d);
	}
	mm_ref_release(&r);
}

static void
test_drift_json(void **state)
{
	static const double v[] = { 1, 2, 3 };
	struct mm_ref r;
	struct mm_drift d;
	struct mm_err err;
	struct mm_buf b;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "f0", v, 3, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "f\"1", v, 3, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "f2", v, 3, 2, &err), 0);
	mm_drift_init(&d, 3);
	d.f[0] = (struct mm_drift_feat){ 0.012, 0.93, 0.17, 62, 0, 0 };
	d.f[1] = (struct mm_drift_feat){ 0.5, 1e-7, 0.0625, 60, 2, 1 };
	d.f[2] = (struct mm_drift_feat){ NAN, NAN, NAN, 0, 64, 0 };
	d.score = 0.256;
	d.status = MM_SEVERE;
	d.rows = 64;
	mm_buf_init(&b);
	mm_buf_puts(&b, "x");	/* appended, not overwritten */
	mm_drift_json(&d, &r, &b);
	assert_string_equal(b.p, "x{\"psi\":{\"f0\":0.012,\"f\\\"1\":0.5,"
	    "\"f2\":null},\"p_value\":{\"f0\":0.93,\"f\\\"1\":1e-07,"
	    "\"f2\":null},\"psi_crit\":{\"f0\":0.17,\"f\\\"1\":0.0625,"
	    "\"f2\":null},\"drift_score\":0.256,\"status\":\"severe\","
	    "\"n\":64,\"missing\":{\"f0\":0,\"f\\\"1\":2,\"f2\":64}}");
	mm_buf_release(&b);
	mm_drift_release(&d);
	mm_ref_release(&r);

	/* Computed, for a single-valued feature: PSI 0, p 1, no crit. */
	{
		static const double one[] = { 7, 7 };
		struct mm_config c;
		long c0[1] = { 5 }, *counts[1] = { c0 }, missing[1] = { 0 };

		mm_config_defaults(&c);
		mm_ref_init(&r);
		assert_int_equal(mm_ref_add(&r, "c", one, 2, 10, &err), 0);
		mm_drift_init(&d, 1);
		assert_int_equal(mm_drift_compute(&d, &r, counts, missing, 5,
		    &c.drift), 0);
		mm_buf_init(&b);
		mm_drift_json(&d, &r, &b);
		assert_string_equal(b.p, "{\"psi\":{\"c\":0},\"p_value\":"
		    "{\"c\":1},\"psi_crit\":{\"c\":null},\"drift_score\":0,"
		    "\"status\":\"stable\",\"n\":5,\"missing\":{\"c\":0}}");
		mm_buf_release(&b);
		mm_drift_release(&d);
		mm_ref_release(&r);
	}
}

/* Write text to a new temporary file; its name goes to path. */
static void
temp_file(char *path, size_t size, const char *text)
{
	const char *dir = getenv("TMPDIR");
	size_t n = strlen(text);
	int fd;

	snprintf(path, size, "%s/mm-test-ref.XXXXXX",
	    dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

/* A small reference, as the exact text of its file. */
static void
test_ref_json(void **state)
{
	static const double a[] = { 4, 1, 3, 2 };
	static const double bv[] = { 7, NAN, 7 };
	struct mm_ref r;
	struct mm_err err;
	struct mm_buf b;
	const char *features = "[{\"name\":\"a\",\"n\":4,\"missing\":0,"
	    "\"edges\":[1,2.5,4],\"counts\":[2,2],\"shares\":[0.5,0.5]},"
	    "{\"name\":\"b\",\"n\":2,\"missing\":1,\"edges\":[7],"
	    "\"counts\":[2],\"shares\":[1]}]";
	char want[1024];

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "b", bv, 3, 2, &err), 0);
	mm_ref_finish(&r);
	/*
	 * The id is the first 8 bytes of the SHA-256 of the features
	 * array, in hex: python3 hashlib.sha256(features).hexdigest()[:16].
	 */
	assert_string_equal(r.id, "9ef546314f0107b9");
	snprintf(want, sizeof(want), "{\"format\":\"mm-reference/1\","
	    "\"id\":\"9ef546314f0107b9\",\"bins\":2,\"rows\":4,"
	    "\"features\":%s}\n", features);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	assert_string_equal(b.p, want);
	mm_buf_release(&b);
	mm_ref_release(&r);
}

static void
test_ref_roundtrip(void **state)
{
	static const double v1[] = { 0.5, 0.25, 3.0, 0.25, 0.75, 1.5, 0.5,
	    2.25, 0.5, 0.125, 10.0, 0.5, 0.3, 0.7, 0.9, 1.1, 0.05, NAN };
	double v2[200];
	static const double v3[] = { -0.0, 0.0, 1e-300, 123456789012345680.0,
	    -1e-7 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b, b2;
	char path[512];
	int i, k;

	(void)state;
	for (i = 0; i < 200; i++)
		v2[i] = 1.0 / (i + 3) - (i % 7) / 3.0;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "ten", v1, 18, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "thirds", v2, 200, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "odd \"name\"", v3, 5, 10, &err), 0);
	mm_ref_finish(&r);
	assert_int_equal(strlen(r.id), 16);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	temp_file(path, sizeof(path), b.p);
	memset(&l, 0x5a, sizeof(l));
	if (mm_ref_load(&l, path, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_string_equal(l.id, r.id);
	assert_int_equal(l.nfeat, 3);
	assert_int_equal(l.bins, 10);
	assert_int_equal(l.rows, 200);
	for (i = 0; i < 3; i++) {
		const struct mm_ref_feat *f = &r.f[i], *g = &l.f[i];

		check_feat(g, f->name, f->nedges, f->edges, f->nbins,
		    f->counts, f->n, f->missing);
		for (k = 0; k < f->nedges; k++)
			assert_memory_equal(&g->edges[k], &f->edges[k],
			    sizeof(double));
	}
	/* Written again, the same bytes. */
	mm_buf_init(&b2);
	mm_ref_json(&l, &b2);
	assert_string_equal(b2.p, b.p);
	mm_buf_release(&b2);
	mm_buf_release(&b);
	mm_ref_release(&l);
	mm_ref_release(&r);
	assert_int_equal(unlink(path), 0);
}

/*
 * numpy: np.quantile([-1, -0., -0., 5], [0, .25, .5, .75, 1]) is -1,
 * -0.25, -0.0, 1.25, 5.  The -0 edge is stored as 0 (the same for
 * binning): written as "-0" it would read back as the integer 0, the id
 * would no longer match, and the fresh reference would not load.
 */
static void
test_ref_negative_zero(void **state)
{
	static const double v[] = { -1, -0.0, 5, -0.0 };
	static const double e[] = { -1, -0.25, 0, 1.25, 5 };
	static const long c[] = { 1, 0, 2, 1 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b;
	char path[512];

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "x", v, 4, 4, &err), 0);
	check_feat(&r.f[0], "x", 5, e, 4, c, 4, 0);
	assert_false(signbit(r.f[0].edges[2]));
	mm_ref_finish(&r);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	assert_non_null(strstr(b.p, "\"edges\":[-1,-0.25,0,1.25,5]"));
	temp_file(path, sizeof(path), b.p);
	memset(&err, 0, sizeof(err));
	if (mm_ref_load(&l, path, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_string_equal(l.id, r.id);
	check_feat(&l.f[0], "x", 5, e, 4, c, 4, 0);
	mm_ref_release(&l);
	mm_buf_release(&b);
	mm_ref_release(&r);
	assert_int_equal(unlink(path), 0);
}

/* Loading text fails with code and exactly msg, naming the file. */
static void
expect_load_error(const char *text, int code, long line, const char *msg)
{
	struct mm_ref l;
	struct mm_err err;
	char path[512];

	temp_file(path, sizeof(path), text);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_ref_load(&l, path, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	assert_int_equal(err.line, line);
	assert_string_equal(err.where, path);
	assert_int_equal(l.nfeat, 0);
	assert_null(l.f);
	assert_int_equal(unlink(path), 0);
}

/* text with the first `from` replaced by `to` (one of each). */
static char *
edit(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(text) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(p - text));
	strcpy(out + (p - text), to);
	strcat(out, p + strlen(from));
	return out;
}

static void
test_ref_load_errors(void **state)
{
	static const double a[] = { 4, 1, 3, 2 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b;
	char *t;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	mm_ref_finish(&r);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);

	/* An edited edge, still in order: the id no longer matches. */
	t = edit(b.p, "\"edges\":[1,2.5,4]", "\"edges\":[1,2.4,4]");
	expect_load_error(t, MM_EINPUT, 0, "not an mm reference: its id "
	    "does not match its contents (edited?)");
	free(t);
	t = edit(b.p, "\"id\":\"", "\"id\":\"0");
	expect_load_error(t, MM_EINPUT, 0, "not an mm reference: its id "
	    "does not match its contents (edited?)");
	free(t);
	/* Edges out of order, counts that do not add up to n. */
	t = edit(b.p, "\"edges\":[1,2.5,4]", "\"edges\":[1,5,4]");
	expect_load_error(t, MM_EINPUT, 0,
	    "not an mm reference: feature 0 is malformed");
	free(t);
	t = edit(b.p, "\"counts\":[2,2]", "\"counts\":[2,3]");
	expect_load_error(t, MM_EINPUT, 0,
	    "not an mm reference: feature 0 is malformed");
	free(t);
	t = edit(b.p, "\"counts\":[2,2]", "\"counts\":[2,2,0]");
	expect_load_error(t, MM_EINPUT, 0,
	    "not an mm reference: feature 0 is malformed");
	free(t);
	/* The wrong format. */
	t = edit(b.p, "mm-reference/1", "mm-reference/2");
	expect_load_error(t, MM_EINPUT, 0, "not an mm reference: no "
	    "\"format\":\"mm-reference/1\"");
	free(t);
	expect_load_error("[1,2]\n", MM_EINPUT, 0, "not an mm reference: no "
	    "\"format\":\"mm-reference/1\"");
	expect_load_error("{\"format\":\"mm-reference/1\",\"features\":[]}",
	    MM_EINPUT, 0, "not an mm reference: no features");
	expect_load_error("{\n\"format\":\n}\n", MM_EINPUT, 3,
	    "invalid reference JSON: unexpected token near '}'");
	/* A feature twice. */
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	mm_ref_finish(&r);
	mm_buf_reset(&b);
	mm_ref_json(&r, &b);
	expect_load_error(b.p, MM_EINPUT, 0,
	    "not an mm reference: a feature appears twice");
	mm_buf_release(&b);
	mm_ref_release(&r);

	/* A missing file is a system error. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_ref_load(&l, "/nonexistent/mm/ref.json", &err),
	    -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.where, "/nonexistent/mm/ref.json");
	assert_string_equal(err.msg,
	    "cannot read reference: No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_ref_add),
		cmocka_unit_test(test_ref_bin),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_pvalue_crit),
		cmocka_unit_test(test_bh),
		cmocka_unit_test(test_drift_bands),
		cmocka_unit_test(test_drift_chi2),
		cmocka_unit_test(test_drift_features),
		cmocka_unit_test(test_drift_json),
		cmocka_unit_test(test_ref_json),
		cmocka_unit_test(test_ref_roundtrip),
		cmocka_unit_test(test_ref_negative_zero),
		cmocka_unit_test(test_ref_load_errors),
	};

	return cmocka_run_group_tests_name("psi", tests, NULL, NULL);
}
