/*
 * test_metrics.c - accuracy and F1 as scikit-learn computes them, from
 * rows and from confusion counts; the upper bound on F1 (mm_f1_upper):
 * its posterior, its determinism, and its coverage as a seeded
 * simulation; and the stratified train/validation split.
 *
 * Literals marked "sklearn" were computed with /usr/bin/python3
 * (scikit-learn 1.2) as accuracy_score(y, pred), f1_score(y, pred,
 * average=...) and confusion_matrix(y, pred, labels=range(k)) and
 * pasted with repr().
 *
 * The coverage simulation prints its rates as TAP diagnostics ("# ...").
 * MM_CAL_SCALE (a number in (0, 1]) shortens it, and under valgrind it
 * is shortened to 2% on its own; a shortened run prints its rates but
 * asserts none.  Every cell is held to 1.5% for the nominal 1%.  (A
 * cell known to miss could be marked in its profile's `known` bits and
 * held to 4% unless MM_CAL_STRICT=1; none is: with a symmetric prior of
 * 0.1 per cell the rare class missed 1.75% and three classes 2.5% at 32
 * rows, and the prior leaning to the diagonal fixed both.)
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

#include "asserts.h"
#include "metrics.h"
#include "policy.h"
#include "rng.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define assert_rel(got, want, rel) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= (rel) * fabs(w_)))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

static void
test_binary(void **state)
{
	static const int y[] = { 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1 };
	static const int pred[] = { 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 12);
	/* sklearn: accuracy 8/12; F1 of class 1 (tp 5, fp 2, fn 2) 10/14 */
	assert_rel(s.accuracy, 0.6666666666666666, 1e-15);
	assert_rel(s.f1, 0.7142857142857143, 1e-15);
}

static void
test_macro(void **state)
{
	static const int y[] = { 0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 2, 1, 0, 0 };
	static const int pred[] = { 0, 2, 2, 1, 1, 0, 2, 0, 0, 2, 1, 1, 2, 0 };
	/* Class 2 only among the predictions: macro over 0, 1 and 2. */
	static const int y2[] = { 0, 0, 1, 1, 0, 1 };
	static const int pred2[] = { 0, 2, 1, 1, 0, 0 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 14);
	/* sklearn, average="macro" */
	assert_rel(s.accuracy, 0.6428571428571429, 1e-15);
	assert_rel(s.f1, 0.6333333333333334, 1e-15);

	mm_score(y2, pred2, LEN(y2), 0, &s);
	assert_int_equal(s.known, 6);
	/* sklearn, average="macro": class 2 scores 0 */
	assert_rel(s.accuracy, 0.6666666666666666, 1e-15);
	assert_rel(s.f1, 0.48888888888888893, 1e-15);
}

static void
test_unknown_labels(void **state)
{
	/* The prediction 2 is on a row with no label: still binary. */
	static const int y[] = { 1, -1, 0, 1, -1, 0 };
	static const int pred[] = { 1, 2, 0, 0, 1, 1 };
	static const int none[] = { -1, -1, -1 };
	static const int zeros[] = { 0, 0, 0 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 4);
	/* sklearn on the 4 known rows, y [1,0,1,0], pred [1,0,0,1] */
	assert_exact(s.accuracy, 0.5);
	assert_exact(s.f1, 0.5);

	mm_score(none, zeros, LEN(none), 0, &s);
	assert_int_equal(s.known, 0);
	assert_true(isnan(s.accuracy));
	assert_true(isnan(s.f1));
	mm_score(none, zeros, 0, 0, &s);
	assert_int_equal(s.known, 0);
	assert_true(isnan(s.accuracy) && isnan(s.f1));

	/* A three-class model on a batch of classes 0 and 1 only: macro
	 * over 0 and 1 (sklearn average="macro"), not binary F1 of 1. */
	{
		static const int y3[] = { 0, 0, 1, 1 };
		static const int p3[] = { 0, 1, 1, 1 };

		mm_score(y3, p3, LEN(y3), 3, &s);
		/* class 0: tp 1, fn 1 -> 2/3; class 1: tp 2, fp 1 -> 4/5 */
		assert_rel(s.f1, (2.0 / 3 + 0.8) / 2, 1e-15);
		mm_score(y3, p3, LEN(y3), 2, &s);
		assert_rel(s.f1, 0.8, 1e-15);
	}

	/* No row of class 1 anywhere: sklearn says F1 0.0 (and warns). */
	mm_score(zeros, zeros, LEN(zeros), 0, &s);
	assert_int_equal(s.known, 3);
	assert_exact(s.accuracy, 1.0);
	assert_exact(s.f1, 0.0);
}

/* mm_confusion_add() of y against pred, compared cell by cell. */
static void
check_counts(int line, const int *y, const int *pred, size_t n, int k,
    const long *want)
{
	long cm[16];
	int i;

	memset(cm, 0, sizeof(cm));
	mm_confusion_add(cm, k, y, pred, n);
	for (i = 0; i < k * k; i++)
		if (cm[i] != want[i])
			fail_msg("line %d: true %d predicted %d: %ld, want %ld",
			    line, i / k, i % k, cm[i], want[i]);
}

/*
 * Counts, accuracy and F1 as scikit-learn gives them, and as mm_score()
 * gives them on the same rows with nclass k, to the last bit.
 */
static void
check_sklearn(int line, const int *y, const int *pred, size_t n, int k,
    const long *want, double acc, double f1)
{
	struct mm_scores s;

	check_counts(line, y, pred, n, k, want);
	if (mm_confusion_total(want, k) != (long)n)
		fail_msg("line %d: total %ld, want %zu", line,
		    mm_confusion_total(want, k), n);
	assert_rel(mm_confusion_accuracy(want, k), acc, 1e-15);
	assert_rel(mm_confusion_f1(want, k), f1, 1e-15);
	mm_score(y, pred, n, k, &s);
	assert_exact(mm_confusion_accuracy(want, k), s.accuracy);
	assert_exact(mm_confusion_f1(want, k), s.f1);
}

#define CHECK_SKLEARN(y, pred, k, want, acc, f1) \
	check_sklearn(__LINE__, (y), (pred), LEN(y), (k), (want), (acc), (f1))

static void
test_confusion_sklearn(void **state)
{
	/* The rows of test_binary and test_macro. */
	static const int yb[] = { 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1 };
	static const int pb[] = { 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1 };
	static const long cb[] = { 3, 2, 2, 5 };
	static const int ym[] = { 0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 2, 1, 0, 0 };
	static const int pm[] = { 0, 2, 2, 1, 1, 0, 2, 0, 0, 2, 1, 1, 2, 0 };
	static const long cmac[] = { 4, 0, 1, 1, 2, 1, 0, 2, 3 };
	/* Class 2 only among the predictions. */
	static const int y2[] = { 0, 0, 1, 1, 0, 1 };
	static const int p2[] = { 0, 2, 1, 1, 0, 0 };
	static const long c2[] = { 2, 0, 1, 1, 2, 0, 0, 0, 0 };
	/* Four classes, class 3 nowhere: macro over 0, 1 and 2. */
	static const int y4[] = { 0, 1, 2, 2, 1, 0, 2, 1 };
	static const int p4[] = { 0, 1, 2, 1, 1, 0, 0, 1 };
	static const long c4[] = { 2, 0, 0, 0, 0, 3, 0, 0, 1, 1, 1, 0,
	    0, 0, 0, 0 };
	/* Three classes on rows of 0 and 1: macro over 0 and 1. */
	static const int y3[] = { 0, 0, 1, 1 };
	static const int p3[] = { 0, 1, 1, 1 };
	static const long c3[] = { 1, 1, 0, 0, 2, 0, 0, 0, 0 };
	/* No row of class 1 (sklearn warns, says 0.0); all wrong. */
	static const int z[] = { 0, 0, 0 };
	static const long cz[] = { 3, 0, 0, 0 };
	static const int yw[] = { 0, 1, 0, 1 };
	static const int pw[] = { 1, 0, 1, 0 };
	static const long cw[] = { 0, 2, 2, 0 };
	/* sklearn on 53 rows of class 0 (3 called 1) and 47 (7 called 0). */
	static const long big[] = { 50, 3, 7, 40 };

	(void)state;
	/* sklearn: [[3, 2], [2, 5]], 0.6666666666666666, 0.7142857142857143 */
	CHECK_SKLEARN(yb, pb, 2, cb, 0.6666666666666666, 0.7142857142857143);
	/* sklearn, average="macro" */
	CHECK_SKLEARN(ym, pm, 3, cmac, 0.6428571428571429,
	    0.6333333333333334);
	CHECK_SKLEARN(y2, p2, 3, c2, 0.6666666666666666,
	    0.48888888888888893);
	CHECK_SKLEARN(y4, p4, 4, c4, 0.75, 0.719047619047619);
	CHECK_SKLEARN(y3, p3, 3, c3, 0.75, 0.7333333333333334);
	/* The same rows with two classes: F1 of class 1 (tp 2, fp 1). */
	CHECK_SKLEARN(y3, p3, 2, ((const long[]){ 1, 1, 0, 2 }), 0.75, 0.8);
	CHECK_SKLEARN(z, z, 2, cz, 1.0, 0.0);
	CHECK_SKLEARN(yw, pw, 2, cw, 0.0, 0.0);
	assert_int_equal(mm_confusion_total(big, 2), 100);
	assert_rel(mm_confusion_accuracy(big, 2), 0.9, 1e-15);
	assert_rel(mm_confusion_f1(big, 2), 0.888888888888889, 1e-15);
}

static void
test_confusion_add(void **state)
{
	/* Unknown labels and classes the model has not are left out. */
	static const int y[] = { 1, -1, 0, 1, 2, 0, 1, 0 };
	static const int pred[] = { 1, 0, 0, 0, 1, 5, -1, 1 };
	static const int ym[] = { 0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 2, 1, 0, 0 };
	static const int pm[] = { 0, 2, 2, 1, 1, 0, 2, 0, 0, 2, 1, 1, 2, 0 };
	long cm[9], whole[9];
	size_t cut;

	(void)state;
	check_counts(__LINE__, y, pred, LEN(y), 2,
	    (const long[]){ 1, 1, 1, 1 });
	/* Counts add: any two parts sum to the whole, on top of counts. */
	memset(whole, 0, sizeof(whole));
	mm_confusion_add(whole, 3, ym, pm, LEN(ym));
	for (cut = 0; cut <= LEN(ym); cut++) {
		memset(cm, 0, sizeof(cm));
		mm_confusion_add(cm, 3, ym, pm, cut);
		mm_confusion_add(cm, 3, ym + cut, pm + cut, LEN(ym) - cut);
		assert_memory_equal(cm, whole, sizeof(cm));
	}
	mm_confusion_add(cm, 3, ym, pm, 0);
	assert_memory_equal(cm, whole, sizeof(cm));
	mm_confusion_add(cm, 3, ym, pm, LEN(ym));
	assert_int_equal(mm_confusion_total(cm, 3), 2 * LEN(ym));
	/* Twice the rows: the same accuracy and F1. */
	assert_exact(mm_confusion_accuracy(cm, 3),
	    mm_confusion_accuracy(whole, 3));
	assert_exact(mm_confusion_f1(cm, 3), mm_confusion_f1(whole, 3));

	/* No row counted: NaN, and no bound. */
	memset(cm, 0, sizeof(cm));
	assert_int_equal(mm_confusion_total(cm, 3), 0);
	assert_true(isnan(mm_confusion_accuracy(cm, 3)));
	assert_true(isnan(mm_confusion_f1(cm, 3)));
	assert_true(isnan(mm_f1_upper(cm, 3, 0.01, 4000)));
	assert_true(isnan(mm_f1_upper(cm, 2, 0.01, 4000)));
	/* No draws: no bound. */
	assert_true(isnan(mm_f1_upper(whole, 3, 0.01, 0)));
	assert_false(isnan(mm_f1_upper(whole, 3, 0.01, 1)));
}

/*
 * With two classes F1 = 2q / (1 + q), q = tp / (tp + fp + fn), and under
 * the Dirichlet posterior (one pseudo-row on the diagonal, none off it)
 * q is Beta(tp + 1, fp + fn) whatever tn is, and 1 when fp + fn is 0.
 * So the bound at level 1 - alpha maps back to a q at which the Beta CDF
 * is 1 - alpha, give or take the error of an empirical quantile of 4000
 * draws (4 standard errors allowed).
 */
static void
check_beta(int line, const long *cm, double alpha)
{
	double ub = mm_f1_upper(cm, 2, alpha, MM_F1_DRAWS), q, p, se;

	if (cm[1] + cm[2] == 0) {
		if (ub != 1)
			fail_msg("line %d: no error, yet bound %.17g", line, ub);
		return;
	}
	q = ub / (2 - ub);
	p = gsl_cdf_beta_P(q, (double)cm[3] + 1,
	    (double)(cm[1] + cm[2]));
	se = sqrt(alpha * (1 - alpha) / MM_F1_DRAWS);
	if (!(fabs(p - (1 - alpha)) <= 4 * se + 1.0 / MM_F1_DRAWS))
		fail_msg("line %d: [[%ld, %ld], [%ld, %ld]] alpha %g: bound "
		    "%.6f is the Beta's %.5f quantile", line, cm[0], cm[1],
		    cm[2], cm[3], alpha, ub, p);
}

static void
test_f1_upper_posterior(void **state)
{
	static const long tables[][4] = {
		{ 3, 2, 2, 5 }, { 50, 3, 7, 40 }, { 26, 1, 1, 4 },
		{ 900, 30, 20, 50 }, { 30, 0, 0, 2 }, { 5, 4, 6, 1 },
		{ 0, 0, 0, 32 }, { 9000, 70, 130, 800 },
		/* tn plays no part in the distribution */
		{ 3000, 2, 2, 5 },
	};
	static const double alphas[] = { 0.01, 0.05, 0.2, 0.5 };
	size_t i, j;

	(void)state;
	for (i = 0; i < LEN(tables); i++)
		for (j = 0; j < LEN(alphas); j++)
			check_beta(__LINE__, tables[i], alphas[j]);
}

static void
test_f1_upper_properties(void **state)
{
	static const long tables[][9] = {
		{ 3, 2, 2, 5 }, { 50, 3, 7, 40 }, { 0, 0, 0, 32 },
		{ 26, 1, 1, 4 }, { 4, 0, 1, 1, 2, 1, 0, 2, 3 },
		{ 1, 1, 0, 0, 2, 0, 0, 0, 0 },
		{ 300, 12, 9, 8, 170, 11, 6, 14, 120 },
	};
	static const int ks[] = { 2, 2, 2, 2, 3, 3, 3 };
	static const double alphas[] = { 0.001, 0.01, 0.05, 0.2, 0.5, 0.9 };
	long copy[9], scaled[9];
	double ub, prev, again, f1;
	size_t i, j;
	int c, k;

	(void)state;
	for (i = 0; i < LEN(tables); i++) {
		k = ks[i];
		ub = mm_f1_upper(tables[i], k, 0.01, MM_F1_DRAWS);
		/* Seeded by the counts: the same counts, the same bits. */
		memcpy(copy, tables[i], sizeof(copy));
		again = mm_f1_upper(copy, k, 0.01, MM_F1_DRAWS);
		assert_memory_equal(&ub, &again, sizeof(ub));
		/* A bound at or above the point F1, and an F1. */
		f1 = mm_confusion_f1(tables[i], k);
		if (!(ub >= f1 && ub <= 1))
			fail_msg("table %zu: bound %.17g, F1 %.17g", i, ub,
			    f1);
		/* The same draws at every level: a lower level, a higher
		 * bound. */
		prev = INFINITY;
		for (j = 0; j < LEN(alphas); j++) {
			again = mm_f1_upper(tables[i], k, alphas[j],
			    MM_F1_DRAWS);
			if (!(again <= prev))
				fail_msg("table %zu: alpha %g bound %.17g "
				    "above %.17g", i, alphas[j], again, prev);
			prev = again;
		}
		/* Ten times the rows in the same shares: a tighter bound. */
		for (c = 0; c < k * k; c++)
			scaled[c] = 10 * tables[i][c];
		again = mm_f1_upper(scaled, k, 0.01, MM_F1_DRAWS);
		/* (Without an error the bound is 1 at any count.) */
		if (!(fabs(again - mm_confusion_f1(scaled, k)) < fabs(ub - f1) ||
		    (f1 == 1 && again == 1 && ub == 1)))
			fail_msg("table %zu: bound %.17g on ten times the "
			    "rows, %.17g on them once", i, again, ub);
	}
	/* A million rows: the bound is the point F1 within a few 0.001. */
	{
		static const long m[] = { 300000, 12000, 9000, 8000, 170000,
		    11000, 6000, 14000, 120000 };
		f1 = mm_confusion_f1(m, 3);
		ub = mm_f1_upper(m, 3, 0.01, MM_F1_DRAWS);
		if (!(ub > f1 && ub < f1 + 0.005))
			fail_msg("bound %.17g on a million rows, F1 %.17g", ub,
			    f1);
	}
}

/*
 * Coverage: the share of runs in which the bound falls below the F1 of
 * the process that drew the counts must be at most alpha (1%), within
 * what 2000 runs can tell (1.5%).  Three classifiers: balanced classes
 * and a good model; a rare positive class (20%) that the model misses
 * now and then; three classes of 50, 30 and 20% (macro F1).
 *
 * Known fault: the bound misses more often than alpha where few rows
 * bear on F1 (the rare class at 32 rows, about 7 of which are tp, fp or
 * fn; the three classes at 32 and 64 rows: 2.7% and 1.8% in 10,000
 * runs).  For two classes the bound is a Bayesian bound on q = tp / (tp
 * + fp + fn) with a Beta(0.1, 0.2) prior (test_f1_upper_posterior), and
 * a Beta quantile with less than 1 added to the successes, or anything
 * added to the failures, is not conservative at small counts: computed
 * exactly, the rare class misses 1.60% at 32 rows and 1.14% at 64, a
 * rarer one (5%, recall .7) 3.3% and 4.2%.  A prior of 1 on the
 * diagonal and 0 off it (Clopper-Pearson for two classes) holds 1% in
 * every cell tried.
 *
 * A run is 2000 tables per cell, seeded; the time goes to bounding
 * them, so see cell_misses() for which are bounded.
 */
#define NSIZES 4
#define RUNS 2000
#define MEMO 8192		/* a power of two, above RUNS */

static const long cov_sizes[NSIZES] = { 32, 64, 256, 2000 };

struct profile {
	const char *name;
	int k;
	double cell[9];		/* shares, row = true class */
	unsigned known;		/* bit s: known to miss at cov_sizes[s] */
};

static double cov_scale = 1;
static int cov_strict;

/* Two classes: prevalence of class 1, its recall, class 0's recall. */
static void
binary_profile(struct profile *p, double prev, double tpr, double tnr)
{
	p->k = 2;
	p->cell[0] = (1 - prev) * tnr;
	p->cell[1] = (1 - prev) * (1 - tnr);
	p->cell[2] = prev * (1 - tpr);
	p->cell[3] = prev * tpr;
}

/* Three classes, each with its share and recall; errors split evenly. */
static void
three_profile(struct profile *p, const double *share, const double *recall)
{
	int t, q;

	p->k = 3;
	for (t = 0; t < 3; t++)
		for (q = 0; q < 3; q++)
			p->cell[t * 3 + q] = share[t] * (t == q ? recall[t] :
			    (1 - recall[t]) / 2);
}

/* F1 of the shares, as mm_confusion_f1() on counts. */
static double
true_f1(const struct profile *p)
{
	double sum = 0, tp, fp, fn;
	int c, j, k = p->k;

	for (c = k == 2 ? 1 : 0; c < k; c++) {
		tp = p->cell[c * k + c];
		fp = fn = 0;
		for (j = 0; j < k; j++)
			if (j != c) {
				fn += p->cell[c * k + j];
				fp += p->cell[j * k + c];
			}
		sum += 2 * tp / (2 * tp + fp + fn);
	}
	return sum / (k == 2 ? 1 : k);
}

/* The bound is a function of the counts: each table is bounded once. */
struct memo {
	long cm[9];
	double ub;
	int used;
};

static double
memo_upper(struct memo *m, const long *cm, int k)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	int c;

	for (c = 0; c < k * k; c++)
		h = (h ^ (uint64_t)cm[c]) * 1099511628211ULL;
	for (i = h & (MEMO - 1); m[i].used; i = (i + 1) & (MEMO - 1))
		if (memcmp(m[i].cm, cm, (size_t)(k * k) * sizeof(long)) == 0)
			return m[i].ub;
	memcpy(m[i].cm, cm, (size_t)(k * k) * sizeof(long));
	m[i].ub = mm_f1_upper(cm, k, 0.01, MM_F1_DRAWS);
	m[i].used = 1;
	return m[i].ub;
}

/*
 * One cell: runs tables of n rows drawn from the profile; returns the
 * misses.  A bound misses only far below the middle, so a table whose
 * F1 is above the true F1 less half the spread of the tables' F1 is not
 * bounded, saving two thirds of the time: the bound of a table is its
 * F1 plus about 2.3 posterior standard deviations, and no table may
 * count as covered on that ground unless (checked) every bounded table
 * is at least half a spread above its F1, and every tenth table passed
 * over is bounded anyway and covers.
 */
static long
cell_misses(const struct profile *p, long n, long runs, struct mm_rng *g,
    struct memo *memo, int *bad)
{
	long *tab = malloc((size_t)runs * 9 * sizeof(long)), r, i, miss = 0;
	double *f = malloc((size_t)runs * sizeof(double)), truth = true_f1(p);
	double cum[9], u, sum = 0, sum2 = 0, sd, ub, gap = INFINITY;
	long skipped = 0;
	int c, kk = p->k * p->k;

	cum[0] = p->cell[0];
	for (c = 1; c < kk; c++)
		cum[c] = cum[c - 1] + p->cell[c];
	memset(tab, 0, (size_t)runs * 9 * sizeof(long));
	for (r = 0; r < runs; r++) {
		for (i = 0; i < n; i++) {
			u = mm_rng_uniform(g);
			for (c = 0; c < kk - 1 && u >= cum[c]; c++)
				;
			tab[r * 9 + c]++;
		}
		f[r] = mm_confusion_f1(tab + r * 9, p->k);
		sum += f[r];
		sum2 += f[r] * f[r];
	}
	sd = sqrt(fmax(0, sum2 / (double)runs - (sum / (double)runs) *
	    (sum / (double)runs)));
	memset(memo, 0, MEMO * sizeof(*memo));
	for (r = 0; r < runs; r++) {
		if (f[r] >= truth - sd && skipped++ % 10 != 0)
			continue;
		ub = memo_upper(memo, tab + r * 9, p->k);
		if (f[r] >= truth - sd) {
			if (ub < truth) {
				printf("# %s, %ld rows: a table passed over "
				    "misses (F1 %.4f, bound %.4f)\n", p->name,
				    n, f[r], ub);
				(*bad)++;
			}
			continue;
		}
		miss += ub < truth;
		if (ub - f[r] < gap)
			gap = ub - f[r];
	}
	if (gap < sd) {
		printf("# %s, %ld rows: a bound only %.4f above its F1, spread "
		    "%.4f\n", p->name, n, gap, sd);
		(*bad)++;
	}
	free(tab);
	free(f);
	return miss;
}

static void
test_f1_upper_coverage(void **state)
{
	static const double share3[3] = { 0.5, 0.3, 0.2 };
	static const double recall3[3] = { 0.9, 0.85, 0.8 };
	struct profile prof[3] = {
		{ .name = "2 classes, .5, .95/.95" },
		{ .name = "2 classes, .2, .80/.97", .known = 0 },
		{ .name = "3 classes, macro", .known = 0 },
	};
	struct memo *memo = calloc(MEMO, sizeof(*memo));
	long runs = (long)ceil(RUNS * cov_scale), big_miss = 0, big_runs = 0;
	clock_t t0 = clock();
	int p, s, fails = 0;

	(void)state;
	binary_profile(&prof[0], 0.5, 0.95, 0.95);
	binary_profile(&prof[1], 0.2, 0.8, 0.97);
	three_profile(&prof[2], share3, recall3);
	printf("# F1 bound coverage: share of runs whose bound (alpha .01) "
	    "is below the true F1 [runs %ld]; * known to miss\n", runs);
	printf("# %-24s %6s %8s %8s %8s %8s\n", "classifier", "F1", "32 rows",
	    "64 rows", "256 rows", "2000 rows");
	for (p = 0; p < 3; p++) {
		char line[256];
		int len;

		len = snprintf(line, sizeof(line), "# %-24s %6.4f",
		    prof[p].name, true_f1(&prof[p]));
		for (s = 0; s < NSIZES; s++) {
			struct mm_rng g;
			long miss;
			double rate, cap;
			int known = (prof[p].known >> s) & 1;

			mm_rng_seed(&g, 20261130, (uint64_t)(p * NSIZES + s));
			miss = cell_misses(&prof[p], cov_sizes[s], runs, &g,
			    memo, &fails);
			rate = (double)miss / (double)runs;
			len += snprintf(line + len, sizeof(line) - (size_t)len,
			    " %7.4f%s", rate, known ? "*" : " ");
			if (s >= 2) {
				big_miss += miss;
				big_runs += runs;
			}
			cap = known && !cov_strict ? 0.04 : 0.015;
			if (cov_scale == 1 && rate > cap) {
				printf("# %s, %ld rows: %ld misses in %ld "
				    "runs, more than %g%%\n", prof[p].name,
				    cov_sizes[s], miss, runs, 100 * cap);
				fails++;
			}
		}
		printf("%s\n", line);
		fflush(stdout);
	}
	/*
	 * Too good is off too: at 256 and 2000 rows the posterior is near
	 * normal and the bound misses about 1% of the time, not never.
	 */
	printf("# at 256 and 2000 rows: %ld misses in %ld runs\n", big_miss,
	    big_runs);
	if (cov_scale == 1 && big_miss * 400 < big_runs) {
		printf("# fewer than 0.25%%: the bound is far too wide\n");
		fails++;
	}
	printf("# cpu %.2f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	free(memo);
	assert_int_equal(fails, 0);
}

static int
setup(void **state)
{
	const char *s = getenv("MM_CAL_SCALE");
	const char *pre = getenv("LD_PRELOAD");
	const char *strict = getenv("MM_CAL_STRICT");

	(void)state;
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		cov_scale = 0.02;
	if (s != NULL && *s != '\0')
		cov_scale = atof(s);
	if (!(cov_scale > 0 && cov_scale <= 1))
		cov_scale = 1;
	cov_strict = strict != NULL && strcmp(strict, "1") == 0;
	if (cov_scale != 1)
		printf("# shortened run (scale %g): rates not asserted\n",
		    cov_scale);
	return 0;
}

/* 70 rows of class 0, 30 of class 1 and 3 unknown, interleaved. */
static size_t
labels(int *y)
{
	size_t i, n = 0;

	for (i = 0; i < 100; i++) {
		y[n++] = i % 10 < 3 ? 1 : 0;
		if (i == 0 || i == 50 || i == 99)
			y[n++] = -1;
	}
	return n;
}

static void
split(const int *y, size_t n, int nclass, double frac, uint64_t seed,
    size_t *tr, size_t *ntr, size_t *va, size_t *nva)
{
	struct mm_rng r;

	mm_rng_seed(&r, seed, 1);
	mm_stratified_split(y, n, nclass, frac, &r, tr, ntr, va, nva);
}

static void
test_split_counts(void **state)
{
	int y[103];
	size_t n = labels(y), tr[103], va[103], ntr, nva, i, j;
	size_t vcls[2] = { 0, 0 }, tcls[2] = { 0, 0 };
	unsigned char seen[103];

	(void)state;
	assert_int_equal(n, 103);
	split(y, n, 2, 0.25, 42, tr, &ntr, va, &nva);
	/* round(0.25 * 70) = 18 and round(0.25 * 30) = 8 to validation. */
	assert_int_equal(nva, 26);
	assert_int_equal(ntr, 74);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < ntr; i++) {
		assert_true(i == 0 || tr[i] > tr[i - 1]);
		assert_in_range(y[tr[i]], 0, 1);
		tcls[y[tr[i]]]++;
		seen[tr[i]]++;
	}
	for (i = 0; i < nva; i++) {
		assert_true(i == 0 || va[i] > va[i - 1]);
		assert_in_range(y[va[i]], 0, 1);
		vcls[y[va[i]]]++;
		seen[va[i]]++;
	}
	assert_int_equal(vcls[0], 18);
	assert_int_equal(vcls[1], 8);
	assert_int_equal(tcls[0], 52);
	assert_int_equal(tcls[1], 22);
	/* Each known row in exactly one part; unknown ones in neither. */
	for (j = 0; j < n; j++)
		assert_int_equal(seen[j], y[j] < 0 ? 0 : 1);
}

static void
test_split_deterministic(void **state)
{
	int y[103];
	size_t n = labels(y), a[103], b[103], c[103], d[103];
	size_t na, nb, nc, nd, e[103], f[103], ne, nf;

	(void)state;
	split(y, n, 2, 0.25, 42, a, &na, b, &nb);
	split(y, n, 2, 0.25, 42, c, &nc, d, &nd);
	assert_int_equal(na, nc);
	assert_int_equal(nb, nd);
	assert_memory_equal(a, c, na * sizeof(size_t));
	assert_memory_equal(b, d, nb * sizeof(size_t));
	/* Another seed draws other rows, in the same numbers. */
	split(y, n, 2, 0.25, 43, c, &nc, d, &nd);
	assert_int_equal(nb, nd);
	assert_true(memcmp(b, d, nb * sizeof(size_t)) != 0);
	/* A larger share takes more rows of each class. */
	split(y, n, 2, 0.5, 42, e, &ne, f, &nf);
	assert_int_equal(nf, 50);
	assert_int_equal(ne, 50);
}

static void
test_split_small_classes(void **state)
{
	/* Class 1 has one row (stays in train), class 2 two (one each). */
	static const int y[] = { 0, 0, 2, 0, 0, 1, 0, 0, 2, 0 };
	size_t tr[10], va[10], ntr, nva, i, v2 = 0, v1 = 0;

	(void)state;
	split(y, LEN(y), 3, 0.25, 7, tr, &ntr, va, &nva);
	/* Class 0: round(0.25 * 7) = 2. */
	assert_int_equal(nva, 3);
	assert_int_equal(ntr, 7);
	for (i = 0; i < nva; i++) {
		v1 += y[va[i]] == 1;
		v2 += y[va[i]] == 2;
	}
	assert_int_equal(v1, 0);
	assert_int_equal(v2, 1);
	/* A share near 1 still leaves one row of each class to train on. */
	split(y, LEN(y), 3, 0.99, 7, tr, &ntr, va, &nva);
	assert_int_equal(ntr, 3);
	assert_int_equal(nva, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_macro),
		cmocka_unit_test(test_unknown_labels),
		cmocka_unit_test(test_confusion_sklearn),
		cmocka_unit_test(test_confusion_add),
		cmocka_unit_test(test_f1_upper_posterior),
		cmocka_unit_test(test_f1_upper_properties),
		cmocka_unit_test(test_f1_upper_coverage),
		cmocka_unit_test(test_split_counts),
		cmocka_unit_test(test_split_deterministic),
		cmocka_unit_test(test_split_small_classes),
	};

	return cmocka_run_group_tests_name("metrics", tests, setup, NULL);
}
