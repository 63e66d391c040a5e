#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "psi.h"

const char *const mm_status_names[3] = { "stable", "moderate", "severe" };

void
mm_ref_init(struct mm_ref *r)
{
	memset(r, 0, sizeof(*r));
}

void
mm_ref_release(struct mm_ref *r)
{
	int i;

	for (i = 0; i < r->nfeat; i++) {
		free(r->f[i].name);
		free(r->f[i].edges);
		free(r->f[i].counts);
	}
	free(r->f);
	memset(r, 0, sizeof(*r));
}

int
mm_ref_find(const struct mm_ref *r, const char *name)
{
	int i;

	for (i = 0; i < r->nfeat; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return i;
	return -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * As numpy.quantile(method="linear"): the virtual index ((n - 1) * q, as
 * numpy writes it for this method) and the lerp are evaluated in numpy's
 * order, so edges agree to the last bit.
 */
double
mm_quantile_sorted(const double *x, size_t n, double q)
{
	double vi, gamma, a, b, d;
	double nn = (double)n;
	long prev, next;

	vi = (nn - 1.0) * q;
	prev = (long)floor(vi);
	next = prev + 1;
	if (vi >= nn - 1) {
		prev = next = (long)n - 1;
	} else if (vi < 0) {
		prev = next = 0;
	}
	gamma = vi - floor(vi);
	a = x[prev];
	b = x[next];
	d = b - a;
	if (gamma >= 0.5)
		return b - d * (1.0 - gamma);
	return a + d * gamma;
}

int
mm_ref_bin(const struct mm_ref_feat *f, double v)
{
	int lo = 1, hi = f->nbins;	/* search edges[1 .. B-1] */

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (f->edges[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

void
mm_ref_count(const struct mm_ref_feat *f, const double *v, size_t n,
    long *counts, long *missing)
{
	const double *e = f->edges + 1;
	int j, inner = f->nbins - 1;
	size_t i;

	if (inner > 32) {
		for (i = 0; i < n; i++) {
			if (isnan(v[i]))
				(*missing)++;
			else
				counts[mm_ref_bin(f, v[i])]++;
		}
		return;
	}
	/*
	 * With few bins a branch-free count of the inner edges at or below
	 * v beats a binary search, whose branches go a random way per value.
	 */
	for (i = 0; i < n; i++) {
		int k = 0;

		if (isnan(v[i])) {
			(*missing)++;
			continue;
		}
		for (j = 0; j < inner; j++)
			k += e[j] <= v[i];
		counts[k]++;
	}
}

int
mm_ref_add(struct mm_ref *r, const char *name, const double *v, size_t n,
    int bins, struct mm_err *err)
{
	struct mm_ref_feat *f;
	double *x, step = 1.0 / bins, q;
	size_t i, m = 0;
	int k, ne = 0;

	x = mm_xmalloc((n ? n : 1) * sizeof(double));
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			x[m++] = v[i];
	if (m == 0) {
		free(x);
		return mm_errf(err, MM_EINPUT, 0, "feature '%s' has no values "
		    "to fit", name);
	}
	qsort(x, m, sizeof(double), cmp_double);
	r->f = mm_xrealloc(r->f, (size_t)(r->nfeat + 1) * sizeof(*r->f));
	f = &r->f[r->nfeat++];
	memset(f, 0, sizeof(*f));
	f->name = mm_xstrdup(name);
	f->edges = mm_xmalloc((size_t)(bins + 1) * sizeof(double));
	for (k = 0; k <= bins; k++) {
		q = k == bins ? 1.0 : k * step;
		double e = mm_quantile_sorted(x, m, q);

		/* Adding 0 turns -0 into 0, which a reference file keeps. */
		if (ne == 0 || e > f->edges[ne - 1])
			f->edges[ne++] = e + 0.0;
	}
	f->nedges = ne;
	f->nbins = ne > 1 ? ne - 1 : 1;
	f->counts = mm_xcalloc((size_t)f->nbins, sizeof(long));
	f->n = (long)m;
	f->missing = (long)(n - m);
	for (i = 0; i < m; i++)
		f->counts[mm_ref_bin(f, x[i])]++;
	if (r->bins == 0)
		r->bins = bins;
	if ((long)n > r->rows)
		r->rows = (long)n;
	free(x);
	return 0;
}

double
mm_psi(const struct mm_ref_feat *f, const long *counts, long n, double eps)
{
	double psi = 0, a, e;
	int i;

	if (n <= 0 || f->n <= 0)
		return NAN;
	for (i = 0; i < f->nbins; i++) {
		a = (double)counts[i] / (double)n;
		e = (double)f->counts[i] / (double)f->n;
		psi += (a - e) * log((a + eps) / (e + eps));
	}
	return psi;
}

double
mm_psi_pvalue(double psi, long m, long n, int nbins)
{
	double stat;
	gsl_sf_result res;

	if (nbins < 2)
		return 1.0;
	if (n <= 0 || m <= 0 || isnan(psi))
		return NAN;
	stat = psi / (1.0 / (double)m + 1.0 / (double)n);
	if (stat <= 0)
		return 1.0;
	gsl_set_error_handler_off();
	if (gsl_sf_gamma_inc_Q_e((nbins - 1) / 2.0, stat / 2.0, &res) !=
	    GSL_SUCCESS)
		return stat > nbins ? 0.0 : 1.0;
	return res.val;
}

double
mm_psi_crit(double alpha, long m, long n, int nbins)
{
	if (nbins < 2 || n <= 0 || m <= 0)
		return NAN;
	gsl_set_error_handler_off();
	return gsl_cdf_chisq_Qinv(alpha, nbins - 1) *
	    (1.0 / (double)m + 1.0 / (double)n);
}

struct pidx {
	double p;
	int i;
};

static int
cmp_pidx(const void *a, const void *b)
{
	const struct pidx *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->i - y->i;
}

int
mm_bh(const double *p, int k, double alpha, int *sig)
{
	struct pidx *s = mm_xmalloc((size_t)(k ? k : 1) * sizeof(*s));
	int i, m = 0, last = -1;

	for (i = 0; i < k; i++) {
		sig[i] = 0;
		if (!isnan(p[i]))
			s[m++] = (struct pidx){ p[i], i };
	}
	qsort(s, (size_t)m, sizeof(*s), cmp_pidx);
	for (i = 0; i < m; i++)
		if (s[i].p <= (double)(i + 1) / m * alpha)
			last = i;
	for (i = 0; i <= last; i++)
		sig[s[i].i] = 1;
	free(s);
	return last + 1;
}

void
mm_drift_init(struct mm_drift *d, int nfeat)
{
	memset(d, 0, sizeof(*d));
	d->nfeat = nfeat;
	d->f = mm_xcalloc((size_t)(nfeat ? nfeat : 1), sizeof(*d->f));
}

void
mm_drift_release(struct mm_drift *d)
{
	free(d->f);
	memset(d, 0, sizeof(*d));
}

int
mm_drift_compute(struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, const long *missing, long rows,
    const struct mm_drift_cfg *cfg)
{
	double sum = 0, *p;
	int i, used = 0, nsig = 0, *sig;

	p = mm_xmalloc((size_t)ref->nfeat * sizeof(double));
	sig = mm_xmalloc((size_t)ref->nfeat * sizeof(int));
	d->rows = rows;
	for (i = 0; i < ref->nfeat; i++) {
		const struct mm_ref_feat *f = &ref->f[i];
		struct mm_drift_feat *o = &d->f[i];
		long n = 0;
		int b;

		for (b = 0; b < f->nbins; b++)
			n += counts[i][b];
		o->n = n;
		o->missing = missing[i];
		o->psi = mm_psi(f, counts[i], n, cfg->eps);
		o->p_value = mm_psi_pvalue(o->psi, f->n, n, f->nbins);
		o->crit = mm_psi_crit(cfg->alpha, f->n, n, f->nbins);
		/* A single-bin feature has no test: leave it out of BH. */
		p[i] = f->nbins > 1 ? o->p_value : NAN;
		if (!isnan(o->psi)) {
			sum += o->psi;
			used++;
		}
	}
	nsig = mm_bh(p, ref->nfeat, cfg->alpha, sig);
	for (i = 0; i < ref->nfeat; i++)
		d->f[i].significant = sig[i];
	free(p);
	free(sig);
	if (used == 0)
		return -1;
	d->score = sum / used;
	if (d->score < cfg->moderate)
		d->status = MM_STABLE;
	else if (d->score < cfg->severe)
		d->status = MM_MODERATE;
	else
		d->status = MM_SEVERE;
	if (cfg->threshold == MM_THRESHOLD_CHI2 && nsig == 0)
		d->status = MM_STABLE;
	return 0;
}

static void
feature_map(const struct mm_drift *d, const struct mm_ref *ref,
    struct mm_buf *b, int *first, const char *key, int which)
{
	int i, ffirst = 1;

	mm_jw_key(b, first, key);
	mm_buf_putc(b, '{');
	for (i = 0; i < ref->nfeat; i++) {
		mm_jw_key(b, &ffirst, ref->f[i].name);
		switch (which) {
		case 0: mm_jw_num(b, d->f[i].psi); break;
		case 1: mm_jw_num(b, d->f[i].p_value); break;
		case 2: mm_jw_num(b, d->f[i].crit); break;
		default: mm_buf_printf(b, "%ld", d->f[i].missing); break;
		}
	}
	mm_buf_putc(b, '}');
}

void
mm_drift_json(const struct mm_drift *d, const struct mm_ref *ref,
    struct mm_buf *b)
{
	int first = 1;

	mm_buf_putc(b, '{');
	feature_map(d, ref, b, &first, "psi", 0);
	feature_map(d, ref, b, &first, "p_value", 1);
	feature_map(d, ref, b, &first, "psi_crit", 2);
	mm_buf_puts(b, ",\"drift_score\":");
	mm_jw_num(b, d->score);
	mm_buf_printf(b, ",\"status\":\"%s\",\"n\":%ld",
	    mm_status_names[d->status], d->rows);
	feature_map(d, ref, b, &first, "missing", 3);
	mm_buf_putc(b, '}');
}
