#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "mm.h"
#include "rng.h"

/*
 * The pseudo-counts of the F1 bound's posterior: one row more on the
 * diagonal (a correct prediction) and none off it.  The bound is an
 * upper one, so the prior leans towards a higher F1, as Clopper and
 * Pearson's bound does for a proportion (for two classes it is much
 * that bound on tp / (tp + fp + fn)).  A symmetric 0.1 or Jeffreys' 0.5
 * missed the level at small counts: 1.75% for a rare positive class and
 * 2.5% for three classes at 32 rows, for 1% (tests/unit/test_metrics.c
 * measures it).
 */
#define F1_PRIOR_DIAG 1.0
#define F1_PRIOR_OFF 0.0

void
mm_score(const int *y, const int *pred, size_t n, int nclass,
    struct mm_scores *s)
{
	size_t i, ok = 0;
	int k, maxc = 1, binary = 1, present;
	long *tp, *fp, *fn;
	double sum = 0;
	int nc = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		if (y[i] < 0)
			continue;
		s->known++;
		ok += y[i] == pred[i];
		if (y[i] > maxc)
			maxc = y[i];
		if (pred[i] > maxc)
			maxc = pred[i];
	}
	if (s->known == 0) {
		s->accuracy = s->f1 = NAN;
		return;
	}
	s->accuracy = (double)ok / (double)s->known;
	binary = maxc <= 1 && nclass <= 2;
	tp = mm_xcalloc((size_t)maxc + 1, sizeof(long));
	fp = mm_xcalloc((size_t)maxc + 1, sizeof(long));
	fn = mm_xcalloc((size_t)maxc + 1, sizeof(long));
	for (i = 0; i < n; i++) {
		if (y[i] < 0)
			continue;
		if (y[i] == pred[i]) {
			tp[y[i]]++;
		} else {
			fn[y[i]]++;
			fp[pred[i]]++;
		}
	}
	for (k = binary ? 1 : 0; k <= maxc; k++) {
		present = tp[k] + fn[k] + fp[k] > 0;
		if (!binary && !present)
			continue;
		nc++;
		if (2 * tp[k] + fp[k] + fn[k] > 0)
			sum += 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]);
	}
	s->f1 = nc > 0 ? sum / nc : 0;
	free(tp);
	free(fp);
	free(fn);
}

void
mm_stratified_split(const int *y, size_t n, int nclass, double frac,
    struct mm_rng *r, size_t *train, size_t *ntrain, size_t *valid,
    size_t *nvalid)
{
	unsigned char *isval = mm_xcalloc(n ? n : 1, 1);
	int *rows = mm_xmalloc((n ? n : 1) * sizeof(int));
	size_t i, m, take;
	int c;

	for (c = 0; c < nclass; c++) {
		m = 0;
		for (i = 0; i < n; i++)
			if (y[i] == c)
				rows[m++] = (int)i;
		if (m == 0)
			continue;
		mm_rng_shuffle(r, rows, m);
		take = (size_t)floor(frac * (double)m + 0.5);
		if (take == 0 && m >= 2)
			take = 1;
		if (take >= m)
			take = m - 1;
		for (i = 0; i < take; i++)
			isval[rows[i]] = 1;
	}
	*ntrain = *nvalid = 0;
	for (i = 0; i < n; i++) {
		if (y[i] < 0)
			continue;
		if (isval[i])
			valid[(*nvalid)++] = i;
		else
			train[(*ntrain)++] = i;
	}
	free(isval);
	free(rows);
}

void
mm_confusion_add(long *cm, int k, const int *y, const int *pred, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (y[i] >= 0 && y[i] < k && pred[i] >= 0 && pred[i] < k)
			cm[y[i] * k + pred[i]]++;
}

long
mm_confusion_total(const long *cm, int k)
{
	long t = 0;
	int i;

	for (i = 0; i < k * k; i++)
		t += cm[i];
	return t;
}

double
mm_confusion_accuracy(const long *cm, int k)
{
	long ok = 0, t = mm_confusion_total(cm, k);
	int c;

	for (c = 0; c < k; c++)
		ok += cm[c * k + c];
	return t > 0 ? (double)ok / (double)t : NAN;
}

/* F1 from cell shares or counts (doubles); present marks the classes. */
static double
f1_cells(const double *cm, int k, const unsigned char *present)
{
	double sum = 0, tp, fp, fn;
	int c, j, nc = 0;

	for (c = k == 2 ? 1 : 0; c < k; c++) {
		if (k > 2 && !present[c])
			continue;
		tp = cm[c * k + c];
		fp = fn = 0;
		for (j = 0; j < k; j++) {
			if (j == c)
				continue;
			fn += cm[c * k + j];
			fp += cm[j * k + c];
		}
		nc++;
		if (2 * tp + fp + fn > 0)
			sum += 2 * tp / (2 * tp + fp + fn);
	}
	return nc > 0 ? sum / nc : 0;
}

static unsigned char *
present_classes(const long *cm, int k)
{
	unsigned char *pr = mm_xcalloc((size_t)k, 1);
	int t, p;

	for (t = 0; t < k; t++)
		for (p = 0; p < k; p++)
			if (cm[t * k + p] > 0)
				pr[t] = pr[p] = 1;
	return pr;
}

double
mm_confusion_f1(const long *cm, int k)
{
	unsigned char *pr;
	double *d, f1;
	int i;

	if (mm_confusion_total(cm, k) == 0)
		return NAN;
	d = mm_xmalloc((size_t)(k * k) * sizeof(double));
	for (i = 0; i < k * k; i++)
		d[i] = (double)cm[i];
	pr = present_classes(cm, k);
	f1 = f1_cells(d, k, pr);
	free(d);
	free(pr);
	return f1;
}

/* Gamma(a, 1) by Marsaglia and Tsang, boosted for a < 1. */
static double
gamma_draw(struct mm_rng *r, double a)
{
	double d, c, x, v, u, boost = 1;

	if (a <= 0)
		return 0;	/* a cell with no row and no prior */
	if (a < 1) {
		boost = pow(1 - mm_rng_uniform(r), 1 / a);
		a += 1;
	}
	d = a - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		do {
			x = mm_rng_normal(r);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = 1 - mm_rng_uniform(r);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v * boost;
	}
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
mm_f1_upper(const long *cm, int k, double alpha, int draws)
{
	struct mm_rng r;
	unsigned char *pr;
	double *cell, *f1, ub;
	uint64_t seed = 1469598103934665603ULL;
	int i, j, idx;

	if (mm_confusion_total(cm, k) == 0 || draws < 1)
		return NAN;
	/*
	 * Two classes: F1 = 2q / (1 + q) with q = tp / (tp + fp + fn), and
	 * q is Beta(tp + 1, fp + fn) under this posterior whatever tn is,
	 * so the quantile is exact, and a thousand times cheaper.
	 */
	if (k == 2) {
		double a = (double)cm[3] + F1_PRIOR_DIAG;
		double b = (double)(cm[1] + cm[2]) + F1_PRIOR_OFF, q;

		if (b <= 0)
			return 1;
		q = gsl_cdf_beta_Pinv(1 - alpha, a, b);
		return 2 * q / (1 + q);
	}
	for (i = 0; i < k * k; i++)
		seed = (seed ^ (uint64_t)cm[i]) * 1099511628211ULL;
	mm_rng_seed(&r, seed, 0x6631);
	pr = present_classes(cm, k);
	cell = mm_xmalloc((size_t)(k * k) * sizeof(double));
	f1 = mm_xmalloc((size_t)draws * sizeof(double));
	for (j = 0; j < draws; j++) {
		/* F1 is scale-free: gamma draws need no normalising. */
		for (i = 0; i < k * k; i++)
			cell[i] = gamma_draw(&r, (double)cm[i] +
			    (i % (k + 1) == 0 ? F1_PRIOR_DIAG : F1_PRIOR_OFF));
		f1[j] = f1_cells(cell, k, pr);
	}
	qsort(f1, (size_t)draws, sizeof(double), cmp_dbl);
	idx = (int)ceil((1 - alpha) * draws) - 1;
	if (idx < 0)
		idx = 0;
	if (idx >= draws)
		idx = draws - 1;
	ub = f1[idx];
	free(pr);
	free(cell);
	free(f1);
	return ub;
}
