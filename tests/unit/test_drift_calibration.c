/*
 * test_drift_calibration.c - the drift test's statistical promises
 * (mm(7), Drift) as seeded simulations through the library: few
 * false alarms on stable data at every batch size and for every kind of
 * feature, calibrated p-values, and real changes seen quickly.
 *
 * Every simulation is seeded, so a run gives the same numbers on every
 * machine; the measured rates are printed as TAP diagnostics ("# ...").
 * MM_CAL_SCALE (a number in (0, 1]) shortens the simulations, and under
 * valgrind they are shortened to 2% on their own; a shortened run prints
 * its rates but asserts none, as they then mean nothing.  A known fault
 * is measured and printed, not asserted; MM_CAL_STRICT=1 asserts what it
 * should be, and fails.
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
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "config.h"
#include "psi.h"
#include "rng.h"

enum kind { NUMERIC, DISCRETE, CONSTANT, CATEGORICAL, MISSING, RARE,
	NKINDS };
static const char *const kind_names[NKINDS] = { "numeric", "discrete",
	"constant", "categorical", "20% missing", "rare binary" };

#define NCAT 30			/* categorical: Zipf over 30 strings */
#define KEEP 20			/* of which the reference keeps 20 */
#define NF 10			/* features per reference */
#define MAXF 30
#define M_REF 5000		/* reference rows */

static const long sizes[4] = { 20, 64, 256, 5000 };

static double scale = 1;	/* share of the full simulation run */
static double zipf_cum[NCAT];
static char cat_buf[NCAT][16];
static const char *cat_strs[NCAT];

/* A change to production data, for the power checks. */
struct change {
	double shift, scale;	/* numeric values: shift + scale * x */
	double missing;		/* share of values made missing */
	double new_value;	/* share set to 8, a value never seen */
};

/* A reference of nf features of one kind, and one batch's counts. */
struct panel {
	int kind, nf;
	struct mm_ref ref;
	int bins[MAXF][NCAT];	/* categorical: code -> bin */
	long *counts[MAXF];
	double *x;
	size_t cap;
};

static long
runs(long full)
{
	long n = (long)ceil((double)full * scale);

	return n < 1 ? 1 : n;
}

static int
asserting(void)
{
	return scale == 1;
}

static double
draw(struct mm_rng *g, int kind, const struct change *ch)
{
	double u, v;
	int k;

	switch (kind) {
	case NUMERIC:
		v = mm_rng_normal(g);
		break;
	case DISCRETE:
		u = mm_rng_uniform(g);
		v = u < .5 ? 0 : u < .8 ? 1 : u < .95 ? 2 : u < .99 ? 3 : 4;
		break;
	case CONSTANT:
		v = 7;
		break;
	case CATEGORICAL:
		u = mm_rng_uniform(g);
		for (k = 0; k < NCAT - 1 && u >= zipf_cum[k]; k++)
			;
		v = k;
		break;
	case MISSING:
		v = mm_rng_uniform(g) < .2 ? NAN : mm_rng_normal(g);
		break;
	default:
		v = mm_rng_uniform(g) < .02;
		break;
	}
	if (ch == NULL)
		return v;
	if (kind == NUMERIC || kind == MISSING)
		v = ch->shift + ch->scale * v;
	if (ch->missing > 0 && mm_rng_uniform(g) < ch->missing)
		v = NAN;
	if (ch->new_value > 0 && mm_rng_uniform(g) < ch->new_value)
		v = 8;
	return v;
}

static void
fill(struct panel *p, size_t n, struct mm_rng *g, const struct change *ch)
{
	size_t j;

	if (n > p->cap) {
		p->x = realloc(p->x, n * sizeof(double));
		assert_non_null(p->x);
		p->cap = n;
	}
	for (j = 0; j < n; j++)
		p->x[j] = draw(g, p->kind, ch);
}

/* Fit a fresh reference of nf features of kind from m rows each. */
static void
panel_fit(struct panel *p, int kind, int nf, long m, struct mm_rng *g)
{
	struct mm_err err;
	char name[16];
	int i, k;

	mm_ref_release(&p->ref);
	for (i = 0; i < p->nf; i++)
		free(p->counts[i]);
	p->kind = kind;
	p->nf = nf;
	for (i = 0; i < nf; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fill(p, (size_t)m, g, NULL);
		if (kind == CATEGORICAL)
			assert_int_equal(mm_ref_add_cat(&p->ref, name, p->x,
			    (size_t)m, cat_strs, NCAT, KEEP, &err), 0);
		else
			assert_int_equal(mm_ref_add(&p->ref, name, p->x,
			    (size_t)m, 10, &err), 0);
		for (k = 0; kind == CATEGORICAL && k < NCAT; k++)
			p->bins[i][k] = mm_ref_cat_bin(&p->ref.f[i],
			    cat_strs[k]);
		p->counts[i] = calloc((size_t)p->ref.f[i].nbins,
		    sizeof(long));
		assert_non_null(p->counts[i]);
	}
}

static void
panel_release(struct panel *p)
{
	int i;

	for (i = 0; i < p->nf; i++)
		free(p->counts[i]);
	mm_ref_release(&p->ref);
	free(p->x);
	memset(p, 0, sizeof(*p));
}

/* Add a batch of n rows to the counts; changes[i] (or NULL) per feature. */
static void
panel_add(struct panel *p, long n, struct mm_rng *g,
    const struct change *const *changes)
{
	int i;

	for (i = 0; i < p->nf; i++) {
		const struct mm_ref_feat *f = &p->ref.f[i];

		fill(p, (size_t)n, g, changes ? changes[i] : NULL);
		if (p->kind == CATEGORICAL)
			mm_ref_count_codes(f, p->x, (size_t)n, p->bins[i],
			    p->counts[i]);
		else
			mm_ref_count(f, p->x, (size_t)n, p->counts[i]);
	}
}

static void
panel_clear(struct panel *p)
{
	int i;

	for (i = 0; i < p->nf; i++)
		memset(p->counts[i], 0, (size_t)p->ref.f[i].nbins *
		    sizeof(long));
}

/* The status of the counts of rows rows; p-values to pv (may be NULL). */
static int
panel_status(const struct panel *p, long rows, double *pv)
{
	struct mm_config c;
	struct mm_drift d;
	int i, st;

	mm_config_defaults(&c);
	mm_drift_init(&d, p->nf);
	assert_int_equal(mm_drift_compute(&d, &p->ref, p->counts, rows,
	    &c.drift), 0);
	st = d.status;
	for (i = 0; pv != NULL && i < p->nf; i++)
		pv[i] = d.f[i].p_value;
	mm_drift_release(&d);
	return st;
}

/* One fresh batch of n rows: its status. */
static int
batch_status(struct panel *p, long n, struct mm_rng *g,
    const struct change *const *changes, double *pv)
{
	panel_clear(p);
	panel_add(p, n, g, changes);
	return panel_status(p, n, pv);
}

static int
setup(void **state)
{
	const char *s = getenv("MM_CAL_SCALE");
	const char *pre = getenv("LD_PRELOAD");
	double h = 0, c = 0;
	int k;

	(void)state;
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		scale = 0.02;
	if (s != NULL && *s != '\0')
		scale = atof(s);
	if (!(scale > 0 && scale <= 1))
		scale = 1;
	for (k = 0; k < NCAT; k++) {
		h += 1.0 / (k + 1);
		snprintf(cat_buf[k], sizeof(cat_buf[k]), "c%d", k);
		cat_strs[k] = cat_buf[k];
	}
	for (k = 0; k < NCAT; k++) {
		c += 1.0 / (k + 1);
		zipf_cum[k] = c / h;
	}
	if (!asserting())
		printf("# shortened run (scale %g): rates not asserted\n",
		    scale);
	return 0;
}

/* Print the processor time a test took. */
static void
cpu_note(clock_t t0)
{
	printf("# cpu %.2f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	fflush(stdout);
}

/*
 * The most batches out of n that a false-alarm rate of 1.5% gives in 99
 * runs of 100: the 99th percentile of Binomial(n, .015).
 */
static long
most_alarms(long n)
{
	long k = 0;

	while (gsl_cdf_binomial_P((unsigned)k, 0.015, (unsigned)n) < 0.99)
		k++;
	return k;
}

/*
 * Stable data: a reference of M_REF rows per feature, fixed for the
 * cell, and batches from the same distribution.  With 10 features and
 * BH at alpha .01 the chance of a significant feature is about 1% per
 * batch (less where the test is discrete or conservative), and the
 * share of batches that are not stable must be at most 1.5%.
 *
 * The true rate is not 1% everywhere.  BH's first line is alpha / 10 =
 * .001, far in the tail, where a reference's quantile bins being a
 * little off the truth weighs most; and the 20%-missing features' value
 * bins expect about 5 rows at 64 rows, where the chi-square tail is
 * least exact: 1.2 to 1.3 times .001 of their p-values are at or below
 * .001 (more where a bin is sparse and the Monte Carlo test takes over).
 * For 20% missing at 64 rows the rate is 1.32% (50000 batches here;
 * 1.29% from numpy on the same bins), for numeric 1.12% (200000; numpy
 * 1.11%; 1.08% over fresh references).  Close to 1.5%, so a cell fails
 * when its count of alarms is more than a true 1.5% gives in 99 runs of
 * 100 (the first 5000 batches of the 20%-missing cell measure 1.58%,
 * and the first 8000 of the numeric one 1.49%: runs of bad luck that
 * the rest of the stream evens out), and the share over all kinds at a
 * batch size must be at most 1.5% outright.
 *
 * Batches per cell: at least 600 below 256 rows, more where a batch is
 * cheap; 300 at 256 rows for discrete and categorical features, whose
 * Monte Carlo tests cost about 5 ms a batch there (and whose rate there
 * is near 0).  At 5000 rows a false alarm needs psi_adj >= .1 from noise
 * whose PSI is about 9 (1/5000 + 1/5000) = .0036, so 50 batches show it.
 */
static void
test_false_alarms(void **state)
{
	static const long full[NKINDS][4] = {
		{ 800, 10000, 2000, 50 },	/* numeric */
		{ 800, 600, 300, 50 },		/* discrete */
		{ 2000, 2000, 2000, 50 },	/* constant */
		{ 800, 600, 300, 50 },		/* categorical */
		{ 800, 5000, 2000, 50 },	/* 20% missing */
		{ 2000, 2000, 2000, 50 },	/* rare binary */
	};
	long all_bad[4] = { 0 }, all_n[4] = { 0 };
	clock_t t0 = clock();
	double pv[NF];
	int kind, s, fails = 0;

	(void)state;
	printf("# false alarms: share of batches not stable [batches] "
	    "(share of p <= .01), %d features, reference %d rows\n", NF,
	    M_REF);
	printf("# %-12s %23s %23s %23s %23s\n", "kind", "20 rows",
	    "64 rows", "256 rows", "5000 rows");
	for (kind = 0; kind < NKINDS; kind++) {
		char line[256];
		int len;

		len = snprintf(line, sizeof(line), "# %-12s",
		    kind_names[kind]);
		for (s = 0; s < 4; s++) {
			struct panel p;
			struct mm_rng g;
			long b, nb = runs(full[kind][s]), bad = 0, small = 0;
			long np = 0;
			int i;

			memset(&p, 0, sizeof(p));
			mm_rng_seed(&g, 20261130, (uint64_t)(kind * 4 + s));
			panel_fit(&p, kind, NF, M_REF, &g);
			for (b = 0; b < nb; b++) {
				bad += batch_status(&p, sizes[s], &g, NULL,
				    pv) != MM_STABLE;
				for (i = 0; i < NF; i++) {
					small += pv[i] <= 0.01;
					np += !isnan(pv[i]);
				}
			}
			len += snprintf(line + len, sizeof(line) - (size_t)len,
			    " %.4f [%5ld] (%.4f)", (double)bad / (double)nb,
			    nb, np ? (double)small / (double)np : 0.0);
			if (bad > most_alarms(nb)) {
				printf("# %s, %ld rows: %ld alarms in %ld "
				    "batches, more than %ld\n",
				    kind_names[kind], sizes[s], bad, nb,
				    most_alarms(nb));
				fails++;
			}
			all_bad[s] += bad;
			all_n[s] += nb;
			panel_release(&p);
		}
		printf("%s\n", line);
		fflush(stdout);
	}
	printf("# %-12s", "all kinds");
	for (s = 0; s < 4; s++) {
		printf(" %.4f [%5ld]%s", (double)all_bad[s] /
		    (double)all_n[s], all_n[s], s < 3 ? "         " : "\n");
		if ((double)all_bad[s] / (double)all_n[s] > 0.015)
			fails++;
	}
	cpu_note(t0);
	if (asserting() && fails > 0)
		fail_msg("%d false-alarm rates above 1.5%%", fails);
}

/*
 * The share of p-values at or below .01 of nr replicates of nf features
 * of kind, each replicate with a fresh reference of m rows and one batch
 * of n rows; the share at or below .05 to *p05.
 */
static double
pvalue_share(int kind, long m, long n, long nr, uint64_t stream,
    double *p05)
{
	struct panel p;
	struct mm_rng g;
	double pv[NF];
	long r, n01 = 0, n05 = 0, np = 0;
	int i;

	memset(&p, 0, sizeof(p));
	mm_rng_seed(&g, 777, stream);
	for (r = 0; r < nr; r++) {
		panel_fit(&p, kind, NF, m, &g);
		batch_status(&p, n, &g, NULL, pv);
		for (i = 0; i < NF; i++) {
			if (isnan(pv[i]))
				continue;
			np++;
			n01 += pv[i] <= 0.01;
			n05 += pv[i] <= 0.05;
		}
	}
	panel_release(&p);
	*p05 = (double)n05 / (double)np;
	return (double)n01 / (double)np;
}

/*
 * The p-values themselves, with the reference redrawn for every
 * replicate (its bins are fitted on it, so its luck is part of the
 * test): the share of per-feature p-values at or below .01 must be close
 * to .01: at most .02, and at least .003 (a test that never rejects is
 * not calibrated either; Monte Carlo and exact tests on few rows are a
 * little conservative).  With n p-values the share's binomial standard
 * error is sqrt(.01 .99 / n): .0018 for 3000 p-values, .0031 for the
 * 1000 at 5000 rows, so .02 is three or more of them above.  Numeric
 * references have M_CAL rows, to keep refitting (a sort) cheap;
 * categorical ones M_REF, as in test_false_alarms (see
 * test_pvalues_small_reference for why that matters).
 */
#define M_CAL 1000
static void
test_pvalues(void **state)
{
	static const int kinds[2] = { NUMERIC, CATEGORICAL };
	static const long m[2] = { M_CAL, M_REF };
	static const long full[2][4] = {
		{ 300, 300, 300, 100 },
		{ 300, 300, 150, 100 },
	};
	clock_t t0 = clock();
	int kk, s, fails = 0;

	(void)state;
	printf("# p-values, reference redrawn each replicate: share <= .01 "
	    "(share <= .05)\n");
	printf("# %-21s %16s %16s %16s %16s\n", "kind", "20 rows",
	    "64 rows", "256 rows", "5000 rows");
	for (kk = 0; kk < 2; kk++) {
		char line[256], what[32];
		int len;

		snprintf(what, sizeof(what), "%s, ref %ld",
		    kind_names[kinds[kk]], m[kk]);
		len = snprintf(line, sizeof(line), "# %-21s", what);
		for (s = 0; s < 4; s++) {
			double p01, p05;

			p01 = pvalue_share(kinds[kk], m[kk], sizes[s],
			    runs(full[kk][s]), (uint64_t)(kk * 4 + s), &p05);
			len += snprintf(line + len, sizeof(line) - (size_t)len,
			    " %7.4f (%.4f)", p01, p05);
			if (p01 > 0.02 || p01 < 0.003)
				fails++;
		}
		printf("%s\n", line);
		fflush(stdout);
	}
	cpu_note(t0);
	if (asserting() && fails > 0)
		fail_msg("%d cells with p-values <= .01 not in [.3%%, 2%%]",
		    fails);
}

/*
 * A known fault, measured: the categories a reference keeps are its
 * max_categories most frequent, chosen on the very counts the test then
 * compares against, so the kept ones' reference counts are biased up
 * and "other" down (a winner's curse).  Where the cut falls among
 * categories of nearly equal frequency (Zipf ranks 15 to 25 here) and
 * the reference is small next to the batch, the p-values come out too
 * small: with 1000 reference rows and 5000-row batches about 3% of them
 * are at or below .01 (python, the same chi-square test: 3.2% when the
 * reference chooses, 0.9% when the 20 truly most frequent are kept).
 * Stable batches are not flagged for it (psi_adj stays far below
 * moderate at these sizes), but the p-values are not calibrated.  This
 * prints the share; MM_CAL_STRICT=1 asserts .02 on it, and fails.
 */
static void
test_pvalues_small_reference(void **state)
{
	const char *strict = getenv("MM_CAL_STRICT");
	clock_t t0 = clock();
	double p01, p05;

	(void)state;
	p01 = pvalue_share(CATEGORICAL, 1000, 5000, runs(300), 99, &p05);
	printf("# known fault: categorical, ref 1000, 5000-row batches: "
	    "share <= .01 %.4f (<= .05 %.4f)\n", p01, p05);
	cpu_note(t0);
	if (strict != NULL && strcmp(strict, "1") == 0 && p01 > 0.02)
		fail_msg("categorical p-values with a small reference: %.4f "
		    "<= .01", p01);
}

/* The changes of the power checks. */
static const struct change shift_half = { 0.5, 1, 0, 0 };
static const struct change scale_15 = { 0, 1.5, 0, 0 };
static const struct change half_missing = { 0, 1, 0.5, 0 };
static const struct change new_value = { 0, 1, 0, 1 };
static const struct change some_new = { 0, 1, 0, 0.1 };

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/*
 * A 0.5-sd shift in 2 of 10 numeric features, 64-row batches: the batch
 * at which drift is first seen, over fresh references; its median must
 * be at most 3.  (Each shifted feature alone reaches p <= .001 in about
 * 30% of batches: noncentral chi-square, 9 df, noncentrality 64 x .238,
 * the PSI of the shift on deciles.)
 */
static void
test_power_shift(void **state)
{
	clock_t t0 = clock();
	const struct change *ch[NF] = { &shift_half, &shift_half };
	long nt = runs(41), t, first[41], at1 = 0;
	struct panel p;
	struct mm_rng g;

	(void)state;
	memset(&p, 0, sizeof(p));
	mm_rng_seed(&g, 4242, 1);
	for (t = 0; t < nt; t++) {
		long b;

		panel_fit(&p, NUMERIC, NF, M_CAL, &g);
		for (b = 1; b <= 50; b++)
			if (batch_status(&p, 64, &g, ch, NULL) != MM_STABLE)
				break;
		first[t] = b;
		at1 += b == 1;
	}
	qsort(first, (size_t)nt, sizeof(long), cmp_long);
	printf("# 0.5 sd shift in 2 of 10, 64 rows: first flagged at batch "
	    "%ld (median of %ld), %ld (max); at once in %.2f\n",
	    first[nt / 2], nt, first[nt - 1], (double)at1 / (double)nt);
	if (asserting())
		assert_true(first[nt / 2] <= 3);
	panel_release(&p);
	cpu_note(t0);
}

/*
 * Scale 1.5 in 1 feature of 30, one batch of 500 rows: flagged, and by
 * that feature, in at least 95% of trials.
 */
static void
test_power_scale(void **state)
{
	clock_t t0 = clock();
	const struct change *ch[30] = { &scale_15 };
	long nt = runs(100), t, hit = 0, right = 0;
	struct panel p;
	struct mm_rng g;

	(void)state;
	memset(&p, 0, sizeof(p));
	mm_rng_seed(&g, 4242, 2);
	for (t = 0; t < nt; t++) {
		struct mm_config c;
		struct mm_drift d;

		panel_fit(&p, NUMERIC, 30, M_CAL, &g);
		panel_clear(&p);
		panel_add(&p, 500, &g, ch);
		mm_config_defaults(&c);
		mm_drift_init(&d, p.nf);
		assert_int_equal(mm_drift_compute(&d, &p.ref, p.counts, 500,
		    &c.drift), 0);
		hit += d.status != MM_STABLE;
		right += d.ndrifted == 1 && d.drifted[0] == 0;
		mm_drift_release(&d);
	}
	printf("# scale 1.5 in 1 of 30, 500 rows: flagged in %.3f, by that "
	    "feature alone in %.3f of %ld\n", (double)hit / (double)nt,
	    (double)right / (double)nt, nt);
	if (asserting()) {
		assert_true(hit >= 0.95 * (double)nt);
		assert_true(right >= 0.95 * (double)nt);
	}
	panel_release(&p);
	cpu_note(t0);
}

/* Share of trials whose first batch of n rows is not stable. */
static double
first_batch(int kind, long n, const struct change *const *ch, long trials,
    uint64_t stream)
{
	struct panel p;
	struct mm_rng g;
	long t, hit = 0;

	memset(&p, 0, sizeof(p));
	mm_rng_seed(&g, 4242, stream);
	for (t = 0; t < trials; t++) {
		panel_fit(&p, kind, NF, M_CAL, &g);
		hit += batch_status(&p, n, &g, ch, NULL) != MM_STABLE;
	}
	panel_release(&p);
	return (double)hit / (double)trials;
}

/*
 * Half the values of 1 feature of 10 missing (none were), and a constant
 * column taking a new value, in all or a tenth of its rows: seen in the
 * first 64-row batch, every time.
 */
static void
test_power_missing_new_value(void **state)
{
	clock_t t0 = clock();
	const struct change *miss[NF] = { NULL, NULL, NULL, &half_missing };
	const struct change *nv[NF] = { &new_value };
	const struct change *some[NF] = { NULL, NULL, &some_new };
	long nt = runs(30);
	double a, b, c;

	(void)state;
	a = first_batch(NUMERIC, 64, miss, nt, 3);
	b = first_batch(CONSTANT, 64, nv, nt, 4);
	c = first_batch(CONSTANT, 64, some, nt, 5);
	printf("# first 64-row batch flagged: 50%% missing %.3f, constant "
	    "to a new value %.3f, a tenth new %.3f (%ld trials)\n", a, b, c,
	    nt);
	if (asserting()) {
		assert_true(a == 1);
		assert_true(b == 1);
		assert_true(c == 1);
	}
	cpu_note(t0);
}

/*
 * A 0.5-sd shift in 1 of 10 features, 20-row batches: one batch alone is
 * seldom flagged, but a window of 60 of them (summed counts, 1200 rows)
 * is, in every trial.
 */
static void
test_power_window(void **state)
{
	clock_t t0 = clock();
	const struct change *ch[NF] = { &shift_half };
	long nt = runs(20), t, b, win = 0, single = 0, nsingle = 0;
	long *sum[NF];
	struct panel p;
	struct mm_rng g;
	int i, k;

	(void)state;
	memset(&p, 0, sizeof(p));
	mm_rng_seed(&g, 4242, 6);
	for (t = 0; t < nt; t++) {
		panel_fit(&p, NUMERIC, NF, M_CAL, &g);
		for (i = 0; i < NF; i++) {
			sum[i] = calloc((size_t)p.ref.f[i].nbins,
			    sizeof(long));
			assert_non_null(sum[i]);
		}
		for (b = 0; b < 60; b++) {
			single += batch_status(&p, 20, &g, ch, NULL) !=
			    MM_STABLE;
			nsingle++;
			for (i = 0; i < NF; i++)
				for (k = 0; k < p.ref.f[i].nbins; k++)
					sum[i][k] += p.counts[i][k];
		}
		for (i = 0; i < NF; i++) {
			memcpy(p.counts[i], sum[i], (size_t)p.ref.f[i].nbins *
			    sizeof(long));
			free(sum[i]);
		}
		win += panel_status(&p, 1200, NULL) != MM_STABLE;
	}
	printf("# 0.5 sd shift in 1 of 10, 20-row batches: one batch "
	    "flagged in %.3f, a window of 60 in %.3f (%ld trials)\n",
	    (double)single / (double)nsingle, (double)win / (double)nt, nt);
	if (asserting())
		assert_true(win == nt);
	panel_release(&p);
	cpu_note(t0);
}

/*
 * A numeric feature with a point mass in more than a tenth of its values
 * (spending: 95% zeros, the rest |N(0, 1)| x 100): the quantiles 0 to .9
 * are all 0, so the edges are 0, nextafter(0), the maximum, and the
 * zeros have a bin of their own (two value bins).  When half the values
 * become zero, a 500-row batch is flagged, by that feature, in at least
 * 95% of trials; with the zeros' share unchanged, in at most 2% (the
 * test's level is 1%).  With duplicate edges merged, as mm did before,
 * the zeros shared the one value bin with every other value: PSI 0, p 1,
 * never flagged.
 */
static void
test_power_point_mass(void **state)
{
	long nt = runs(20), ns = runs(200), t, hit = 0, quiet = 0, m = M_CAL,
	    n = 500, j;
	clock_t t0 = clock();
	struct mm_config c;
	struct mm_rng g;
	double *x;
	int nb = 0;

	(void)state;
	mm_config_defaults(&c);
	mm_rng_seed(&g, 4242, 7);
	x = malloc((size_t)m * sizeof(double));
	assert_non_null(x);
	for (t = 0; t < nt + ns; t++) {
		struct mm_ref r;
		struct mm_drift d;
		struct mm_err err;
		long *counts[1];
		double zeros = t < nt ? 0.5 : 0.95;

		mm_ref_init(&r);
		for (j = 0; j < m; j++)
			x[j] = mm_rng_uniform(&g) < 0.95 ? 0 :
			    fabs(mm_rng_normal(&g)) * 100;
		assert_int_equal(mm_ref_add(&r, "spend", x, (size_t)m, 10,
		    &err), 0);
		assert_int_equal(r.f[0].kind, MM_FEAT_NUMERIC);
		nb = r.f[0].nbins - 1;
		counts[0] = calloc((size_t)r.f[0].nbins, sizeof(long));
		assert_non_null(counts[0]);
		for (j = 0; j < n; j++)
			x[j] = mm_rng_uniform(&g) < zeros ? 0 :
			    fabs(mm_rng_normal(&g)) * 100;
		mm_ref_count(&r.f[0], x, (size_t)n, counts[0]);
		mm_drift_init(&d, 1);
		assert_int_equal(mm_drift_compute(&d, &r, counts, n,
		    &c.drift), 0);
		if (t < nt)
			hit += d.status != MM_STABLE && d.ndrifted == 1 &&
			    d.drifted[0] == 0;
		else
			quiet += d.status == MM_STABLE;
		mm_drift_release(&d);
		free(counts[0]);
		mm_ref_release(&r);
	}
	free(x);
	printf("# 95%% zeros to 50%%, 500 rows: flagged in %.3f of %ld; "
	    "95%% zeros still: not stable in %.3f of %ld (value bins: %d)\n",
	    (double)hit / (double)nt, nt, (double)(ns - quiet) / (double)ns,
	    ns, nb);
	cpu_note(t0);
	if (asserting()) {
		assert_int_equal(nb, 2);
		assert_true(hit >= 0.95 * (double)nt);
		assert_true(ns - quiet <= 0.02 * (double)ns);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_false_alarms),
		cmocka_unit_test(test_pvalues),
		cmocka_unit_test(test_pvalues_small_reference),
		cmocka_unit_test(test_power_shift),
		cmocka_unit_test(test_power_scale),
		cmocka_unit_test(test_power_missing_new_value),
		cmocka_unit_test(test_power_window),
		cmocka_unit_test(test_power_point_mass),
	};

	return cmocka_run_group_tests_name("drift_calibration", tests, setup,
	    NULL);
}
