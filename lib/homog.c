/*
 * homog.c - the test of homogeneity behind drift's p-values: is a 2 x K
 * table of reference and production counts one population?  Asymptotic
 * chi-square, exact for two bins, seeded Monte Carlo otherwise.  Apart
 * from psi.c so that the statistics (GSL, the RNG) sit on their own and
 * psi.c keeps to bins and PSI.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "homog.h"
#include "mm.h"
#include "rng.h"

/* The asymptotic test needs this expected count in every cell. */
#define MIN_EXPECTED 5.0
/* Monte Carlo: stop after this many exceedances (Besag and Clifford). */
#define MC_HITS 20
/* Monte Carlo: most draws (rows times bins times tables) per p-value. */
#define MC_BUDGET 4e7

/* A 2 x K contingency table: counts, margins, expected counts. */
struct ctable {
	int k;
	double m, n, total;
	long *r, *c, *t;	/* reference, production and column totals */
	double *er, *ec;	/* expected counts */
};

static void
table_expect(struct ctable *tb)
{
	int i;

	for (i = 0; i < tb->k; i++) {
		tb->er[i] = tb->m * (double)tb->t[i] / tb->total;
		tb->ec[i] = tb->n * (double)tb->t[i] / tb->total;
	}
}

static double
pearson(const struct ctable *tb, const long *c)
{
	double x = 0, d;
	int i;

	for (i = 0; i < tb->k; i++) {
		d = (double)c[i] - tb->ec[i];
		x += d * d / tb->ec[i];
		d = (double)(tb->t[i] - c[i]) - tb->er[i];
		x += d * d / tb->er[i];
	}
	return x;
}

static double
min_expected(const struct ctable *tb)
{
	double lo = INFINITY;
	int i;

	for (i = 0; i < tb->k; i++)
		lo = fmin(lo, fmin(tb->er[i], tb->ec[i]));
	return lo;
}

static double
chi2_q(double x, int df)
{
	gsl_sf_result res;

	if (x <= 0)
		return 1.0;
	if (gsl_sf_gamma_inc_Q_e(df / 2.0, x / 2.0, &res) != GSL_SUCCESS)
		return x > df ? 0.0 : 1.0;
	return res.val;
}

/*
 * Two bins: the exact conditional test.  Given the margins, the
 * production count of bin 0 is hypergeometric, and Pearson's statistic
 * grows with its distance from the expected count, so the p-value is
 * the chance of a count at least as far from it, on either side.
 */
static double
exact2(const struct ctable *tb)
{
	double e = tb->ec[0], d = fabs((double)tb->c[0] - e);
	double tol = 1e-9 * (1 + e), lo, hi, p = 0;
	unsigned n1 = (unsigned)tb->t[0], n2 = (unsigned)tb->t[1];
	unsigned draws = (unsigned)tb->n;

	lo = floor(e - d + tol);	/* P(X <= lo) */
	hi = ceil(e + d - tol);		/* P(X >= hi) */
	if (lo >= 0)
		p += gsl_cdf_hypergeometric_P((unsigned)lo, n1, n2, draws);
	if (hi <= 0)
		p += 1;
	else if (hi <= (double)n1)
		p += gsl_cdf_hypergeometric_Q((unsigned)hi - 1, n1, n2,
		    draws);
	return fmin(1.0, p);
}

static uint64_t
table_seed(const struct ctable *tb)
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < tb->k; i++) {
		h = (h ^ (uint64_t)tb->r[i]) * 1099511628211ULL;
		h = (h ^ (uint64_t)tb->c[i]) * 1099511628211ULL;
	}
	return h;
}

/*
 * Monte Carlo p-value over tables with the same margins (draws without
 * replacement from the pooled rows), seeded by the table.  It stops
 * after MC_HITS tables at least as extreme (Besag and Clifford 1991),
 * or after nmax tables, so p-values far from significance are cheap.
 */
static double
monte_carlo(const struct ctable *tb, long nmax)
{
	struct mm_rng rng;
	long *left, *x, draws, rem, r, hits = 0, j;
	double obs = pearson(tb, tb->c), tol = 1e-9 * (1 + obs);
	int i, small_is_c = tb->n <= tb->m;

	left = mm_xmalloc((size_t)tb->k * sizeof(long));
	x = mm_xmalloc((size_t)tb->k * sizeof(long));
	mm_rng_seed(&rng, table_seed(tb), 0x6d6d);
	draws = (long)(small_is_c ? tb->n : tb->m);
	for (r = 1; r <= nmax; r++) {
		memcpy(left, tb->t, (size_t)tb->k * sizeof(long));
		memset(x, 0, (size_t)tb->k * sizeof(long));
		rem = (long)tb->total;
		for (j = 0; j < draws; j++) {
			long u = (long)mm_rng_below(&rng, (uint64_t)rem);

			for (i = 0; u >= left[i]; i++)
				u -= left[i];
			x[i]++;
			left[i]--;
			rem--;
		}
		if (!small_is_c)
			for (i = 0; i < tb->k; i++)
				x[i] = tb->t[i] - x[i];
		if (pearson(tb, x) >= obs - tol && ++hits == MC_HITS) {
			free(left);
			free(x);
			return (double)hits / (double)r;
		}
	}
	free(left);
	free(x);
	return (double)(hits + 1) / (double)(nmax + 1);
}

/* Merge neighbouring bins until every expected count is large enough. */
static void
merge_small(struct ctable *tb)
{
	int i, k = 0;
	long r = 0, c = 0;

	for (i = 0; i < tb->k; i++) {
		r += tb->r[i];
		c += tb->c[i];
		if (fmin(tb->m * (double)(r + c), tb->n * (double)(r + c)) /
		    tb->total >= MIN_EXPECTED || i == tb->k - 1) {
			tb->r[k] = r;
			tb->c[k] = c;
			k++;
			r = c = 0;
		}
	}
	/* A short last group joins the one before it. */
	if (k >= 2 && fmin(tb->m, tb->n) * (double)(tb->r[k - 1] +
	    tb->c[k - 1]) / tb->total < MIN_EXPECTED) {
		tb->r[k - 2] += tb->r[k - 1];
		tb->c[k - 2] += tb->c[k - 1];
		k--;
	}
	tb->k = k;
	for (i = 0; i < k; i++)
		tb->t[i] = tb->r[i] + tb->c[i];
	table_expect(tb);
}

double
mm_homogeneity_p(const long *r, const long *c, int nbins, double p_min)
{
	struct ctable tb;
	double p;
	long nmax;
	int i;

	memset(&tb, 0, sizeof(tb));
	tb.r = mm_xmalloc((size_t)(nbins ? nbins : 1) * 3 * sizeof(long));
	tb.c = tb.r + nbins;
	tb.t = tb.c + nbins;
	tb.er = mm_xmalloc((size_t)(nbins ? nbins : 1) * 2 * sizeof(double));
	tb.ec = tb.er + nbins;
	for (i = 0; i < nbins; i++) {
		if (r[i] + c[i] == 0)
			continue;
		tb.r[tb.k] = r[i];
		tb.c[tb.k] = c[i];
		tb.t[tb.k] = r[i] + c[i];
		tb.m += (double)r[i];
		tb.n += (double)c[i];
		tb.k++;
	}
	tb.total = tb.m + tb.n;
	gsl_set_error_handler_off();
	if (tb.k < 2 || tb.m <= 0 || tb.n <= 0) {
		p = tb.m > 0 && tb.n > 0 ? 1.0 : NAN;
		goto out;
	}
	table_expect(&tb);
	nmax = (long)ceil(2.0 / fmax(p_min, 1e-7));
	if (min_expected(&tb) >= MIN_EXPECTED)
		p = chi2_q(pearson(&tb, tb.c), tb.k - 1);
	else if (tb.k == 2)
		p = exact2(&tb);
	else if (fmin(tb.m, tb.n) * tb.k * (double)nmax <= MC_BUDGET)
		p = monte_carlo(&tb, nmax);
	else {
		/* Too many rows for Monte Carlo: then few bins are small. */
		merge_small(&tb);
		if (tb.k < 2)
			p = 1.0;
		else if (tb.k == 2 && min_expected(&tb) < MIN_EXPECTED)
			p = exact2(&tb);
		else
			p = chi2_q(pearson(&tb, tb.c), tb.k - 1);
	}
out:
	free(tb.r);
	free(tb.er);
	return p;
}

/*
 * The chi-square quantile depends on alpha and k alone, the same for
 * every batch: each thread keeps the last one it computed for each k
 * (it was a fifth of mm-psi's time).
 */
#define QCACHE_K 256

double
mm_psi_crit(double alpha, long m, long n, int k)
{
	static _Thread_local struct {
		double alpha, q;
		int set;
	} cache[QCACHE_K];
	double q;

	if (k < 2 || n <= 0 || m <= 0)
		return NAN;
	if (k < QCACHE_K && cache[k].set && cache[k].alpha == alpha)
		q = cache[k].q;
	else {
		gsl_set_error_handler_off();
		q = gsl_cdf_chisq_Qinv(alpha, k - 1);
		if (k < QCACHE_K) {
			cache[k].alpha = alpha;
			cache[k].q = q;
			cache[k].set = 1;
		}
	}
	return q * (1.0 / (double)m + 1.0 / (double)n);
}
