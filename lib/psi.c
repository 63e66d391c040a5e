#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "homog.h"
#include "psi.h"

const char *const mm_status_names[3] = { "stable", "moderate", "severe" };
const char *const mm_feat_kind_names[3] = { "numeric", "discrete",
	"categorical" };

void
mm_ref_init(struct mm_ref *r)
{
	memset(r, 0, sizeof(*r));
}

void
mm_ref_release(struct mm_ref *r)
{
	int i, k;

	for (i = 0; i < r->nfeat; i++) {
		struct mm_ref_feat *f = &r->f[i];

		free(f->name);
		free(f->edges);
		free(f->vals);
		for (k = 0; k < f->ncats; k++)
			free(f->cats[k]);
		free(f->cats);
		free(f->cat_order);
		free(f->counts);
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
	int lo, hi;

	if (isnan(v))
		return MM_BIN_MISSING(f);
	if (f->kind == MM_FEAT_DISCRETE) {
		lo = 0;
		hi = f->nvals;
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (f->vals[mid] < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < f->nvals && f->vals[lo] == v ? lo :
		    MM_BIN_OTHER(f);
	}
	if (f->kind != MM_FEAT_NUMERIC)
		return MM_BIN_OTHER(f);
	lo = 1;
	hi = f->nedges - 1;	/* search edges[1 .. B-1] */
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (f->edges[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

int
mm_ref_cat_bin(const struct mm_ref_feat *f, const char *s)
{
	int lo = 0, hi = f->ncats;

	while (lo < hi) {
		int mid = (lo + hi) / 2, c;

		c = strcmp(f->cats[f->cat_order[mid]], s);
		if (c == 0)
			return f->cat_order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return MM_BIN_OTHER(f);
}

void
mm_ref_count(const struct mm_ref_feat *f, const double *v, size_t n,
    long *counts)
{
	const double *e;
	int j, inner = f->nedges - 2, miss = MM_BIN_MISSING(f);
	size_t i;

	if (f->kind != MM_FEAT_NUMERIC || inner > 32) {
		for (i = 0; i < n; i++)
			counts[mm_ref_bin(f, v[i])]++;
		return;
	}
	e = f->edges + 1;
	/*
	 * With few bins a branch-free count of the inner edges at or below
	 * v beats a binary search, whose branches go a random way per value.
	 */
	for (i = 0; i < n; i++) {
		int k = 0;

		if (isnan(v[i])) {
			counts[miss]++;
			continue;
		}
		for (j = 0; j < inner; j++)
			k += e[j] <= v[i];
		counts[k]++;
	}
}

void
mm_ref_count_codes(const struct mm_ref_feat *f, const double *codes,
    size_t n, const int *bins, long *counts)
{
	size_t i;

	for (i = 0; i < n; i++)
		counts[isnan(codes[i]) ? MM_BIN_MISSING(f) :
		    bins[(long)codes[i]]]++;
}

static struct mm_ref_feat *
new_feat(struct mm_ref *r, const char *name, int kind, int nbins, size_t n)
{
	struct mm_ref_feat *f;

	r->f = mm_xrealloc(r->f, (size_t)(r->nfeat + 1) * sizeof(*r->f));
	f = &r->f[r->nfeat++];
	memset(f, 0, sizeof(*f));
	f->name = mm_xstrdup(name);
	f->kind = kind;
	f->nbins = nbins;
	f->counts = mm_xcalloc((size_t)nbins, sizeof(long));
	f->n = (long)n;
	if ((long)n > r->rows)
		r->rows = (long)n;
	return f;
}

int
mm_ref_add(struct mm_ref *r, const char *name, const double *v, size_t n,
    int bins, struct mm_err *err)
{
	struct mm_ref_feat *f;
	double *x, *e, step = 1.0 / bins, q, lastq = 0;
	size_t i, m = 0, distinct = 0;
	int k, ne = 0, split = 0;

	x = mm_xmalloc((n ? n : 1) * sizeof(double));
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			x[m++] = v[i] + 0.0;	/* -0 is 0, as files keep it */
	if (m == 0) {
		free(x);
		return mm_errf(err, MM_EINPUT, 0, "feature '%s' has no values "
		    "to fit", name);
	}
	qsort(x, m, sizeof(double), cmp_double);
	for (i = 0; i < m; i++)
		distinct += i == 0 || x[i] != x[i - 1];
	if (r->bins == 0)
		r->bins = bins;
	if (distinct <= (size_t)bins) {
		f = new_feat(r, name, MM_FEAT_DISCRETE, (int)distinct + 2, n);
		f->vals = mm_xmalloc(distinct * sizeof(double));
		for (i = 0; i < m; i++) {
			if (i == 0 || x[i] != x[i - 1])
				f->vals[f->nvals++] = x[i];
			f->counts[f->nvals - 1]++;
		}
	} else {
		/*
		 * A value that two quantiles share holds at least 1/bins of
		 * the rows (zero in a zero-inflated amount, say): it gets a
		 * bin of its own, [v, nextafter(v)), so that a change in how
		 * often it occurs is seen.
		 */
		e = mm_xmalloc((size_t)(2 * bins + 2) * sizeof(double));
		for (k = 0; k <= bins; k++) {
			q = k == bins ? 1.0 : k * step;
			double y = mm_quantile_sorted(x, m, q);

			if (ne == 0 || y > lastq) {
				if (ne == 0 || y > e[ne - 1])
					e[ne++] = y;
				split = 0;
			} else if (!split) {
				e[ne++] = nextafter(y, INFINITY);
				split = 1;
			}
			lastq = y;
		}
		f = new_feat(r, name, MM_FEAT_NUMERIC, ne, n);
		f->edges = e;
		f->nedges = ne;
		for (i = 0; i < m; i++)
			f->counts[mm_ref_bin(f, x[i])]++;
	}
	f->counts[MM_BIN_MISSING(f)] = (long)(n - m);
	free(x);
	return 0;
}

struct catcount {
	const char *s;
	long n;
	int code;
};

static int
cmp_catcount(const void *a, const void *b)
{
	const struct catcount *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->s, y->s);
}

static const struct mm_ref_feat *sort_feat;

static int
cmp_cat_order(const void *a, const void *b)
{
	return strcmp(sort_feat->cats[*(const int *)a],
	    sort_feat->cats[*(const int *)b]);
}

/* Index the categories by byte order for mm_ref_cat_bin. */
static void
order_cats(struct mm_ref_feat *f)
{
	int k;

	f->cat_order = mm_xmalloc((size_t)(f->ncats ? f->ncats : 1) *
	    sizeof(int));
	for (k = 0; k < f->ncats; k++)
		f->cat_order[k] = k;
	sort_feat = f;
	qsort(f->cat_order, (size_t)f->ncats, sizeof(int), cmp_cat_order);
	sort_feat = NULL;
}

int
mm_ref_add_cat(struct mm_ref *r, const char *name, const double *codes,
    size_t n, const char *const *strs, int nstrs, int max_categories,
    struct mm_err *err)
{
	struct mm_ref_feat *f;
	struct catcount *cc;
	size_t i, m = 0;
	int k, keep;

	cc = mm_xcalloc((size_t)(nstrs ? nstrs : 1), sizeof(*cc));
	for (k = 0; k < nstrs; k++) {
		cc[k].s = strs[k];
		cc[k].code = k;
	}
	for (i = 0; i < n; i++) {
		if (isnan(codes[i]))
			continue;
		cc[(long)codes[i]].n++;
		m++;
	}
	if (m == 0) {
		free(cc);
		return mm_errf(err, MM_EINPUT, 0, "feature '%s' has no values "
		    "to fit", name);
	}
	qsort(cc, (size_t)nstrs, sizeof(*cc), cmp_catcount);
	for (keep = 0; keep < nstrs && keep < max_categories &&
	    cc[keep].n > 0; keep++)
		;
	f = new_feat(r, name, MM_FEAT_CATEGORICAL, keep + 2, n);
	f->ncats = keep;
	f->cats = mm_xcalloc((size_t)(keep ? keep : 1), sizeof(char *));
	for (k = 0; k < nstrs; k++) {
		if (k < keep) {
			f->cats[k] = mm_xstrdup(cc[k].s);
			f->counts[k] = cc[k].n;
		} else {
			f->counts[MM_BIN_OTHER(f)] += cc[k].n;
		}
	}
	f->counts[MM_BIN_MISSING(f)] = (long)(n - m);
	order_cats(f);
	if (r->max_categories == 0)
		r->max_categories = max_categories;
	free(cc);
	return 0;
}

double
mm_psi_counts(const long *r, const long *c, int nbins, double smoothing,
    double eps, int *kp)
{
	double psi = 0, m = 0, n = 0, a, e;
	int i, k = 0;

	for (i = 0; i < nbins; i++) {
		m += (double)r[i];
		n += (double)c[i];
		k += r[i] + c[i] > 0;
	}
	if (kp != NULL)
		*kp = k;
	if (m <= 0 || n <= 0)
		return NAN;
	for (i = 0; i < nbins; i++) {
		if (r[i] + c[i] == 0)
			continue;
		if (smoothing > 0) {
			a = ((double)c[i] + smoothing) / (n + smoothing * k);
			e = ((double)r[i] + smoothing) / (m + smoothing * k);
			psi += (a - e) * log(a / e);
		} else {
			a = (double)c[i] / n;
			e = (double)r[i] / m;
			psi += (a - e) * log((a + eps) / (e + eps));
		}
	}
	return psi;
}

void
mm_drift_init(struct mm_drift *d, int nfeat)
{
	memset(d, 0, sizeof(*d));
	d->nfeat = nfeat;
	d->f = mm_xcalloc((size_t)(nfeat ? nfeat : 1), sizeof(*d->f));
	d->drifted = mm_xcalloc((size_t)(nfeat ? nfeat : 1), sizeof(int));
}

void
mm_drift_release(struct mm_drift *d)
{
	free(d->f);
	free(d->drifted);
	memset(d, 0, sizeof(*d));
}

static int
band(double v, const struct mm_drift_cfg *cfg)
{
	if (!(v >= cfg->moderate))
		return MM_STABLE;
	return v >= cfg->severe ? MM_SEVERE : MM_MODERATE;
}

static const struct mm_drift *sort_drift;

static int
cmp_drifted(const void *a, const void *b)
{
	const struct mm_drift_feat *x = &sort_drift->f[*(const int *)a];
	const struct mm_drift_feat *y = &sort_drift->f[*(const int *)b];

	if (x->psi_adj != y->psi_adj)
		return x->psi_adj > y->psi_adj ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

int
mm_drift_compute(struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, long rows, const struct mm_drift_cfg *cfg)
{
	double sum = 0, *p, p_min;
	int i, used = 0, tested = 0, *sig;

	d->rows = rows;
	d->ndrifted = 0;
	d->status = MM_STABLE;
	if (rows <= 0)
		return -1;
	p = mm_xmalloc((size_t)(ref->nfeat ? ref->nfeat : 1) *
	    sizeof(double));
	sig = mm_xmalloc((size_t)(ref->nfeat ? ref->nfeat : 1) * sizeof(int));
	for (i = 0; i < ref->nfeat; i++) {
		const struct mm_ref_feat *f = &ref->f[i];
		struct mm_drift_feat *o = &d->f[i];
		double m = (double)f->n, n = (double)rows;

		o->n = rows;
		o->missing = counts[i][MM_BIN_MISSING(f)];
		o->psi = mm_psi_counts(f->counts, counts[i], f->nbins,
		    cfg->smoothing, cfg->eps, &o->k);
		o->psi_adj = fmax(0, o->psi - (o->k - 1) * (1 / m + 1 / n));
		o->crit = mm_psi_crit(cfg->alpha, f->n, rows, o->k);
		tested += o->k >= 2;
	}
	/* The smallest p-value Benjamini-Hochberg could need to resolve. */
	p_min = cfg->alpha / (tested ? tested : 1);
	for (i = 0; i < ref->nfeat; i++) {
		const struct mm_ref_feat *f = &ref->f[i];
		struct mm_drift_feat *o = &d->f[i];

		o->p_value = mm_homogeneity_p(f->counts, counts[i], f->nbins,
		    p_min);
		/* A feature with one bin has no test: left out of BH. */
		p[i] = o->k >= 2 ? o->p_value : NAN;
		if (cfg->threshold == MM_THRESHOLD_FIXED)
			o->band = band(o->psi, cfg);
		else
			o->band = band(o->psi_adj, cfg);
		if (!isnan(o->psi)) {
			sum += cfg->threshold == MM_THRESHOLD_FIXED ? o->psi :
			    o->psi_adj;
			used++;
		}
	}
	mm_bh(p, ref->nfeat, cfg->alpha, sig);
	d->score = used ? sum / used : NAN;
	for (i = 0; i < ref->nfeat; i++) {
		struct mm_drift_feat *o = &d->f[i];

		o->significant = sig[i];
		o->drifted = o->band > MM_STABLE &&
		    (cfg->threshold == MM_THRESHOLD_FIXED || o->significant);
		if (o->drifted)
			d->drifted[d->ndrifted++] = i;
		if (o->drifted && cfg->threshold == MM_THRESHOLD_TEST &&
		    o->band > d->status)
			d->status = o->band;
	}
	if (cfg->threshold == MM_THRESHOLD_FIXED)
		d->status = band(d->score, cfg);
	sort_drift = d;
	qsort(d->drifted, (size_t)d->ndrifted, sizeof(int), cmp_drifted);
	sort_drift = NULL;
	free(p);
	free(sig);
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
		case 1: mm_jw_num(b, d->f[i].psi_adj); break;
		case 2: mm_jw_num(b, d->f[i].p_value); break;
		case 3: mm_jw_num(b, d->f[i].crit); break;
		default: mm_buf_long(b, d->f[i].missing); break;
		}
	}
	mm_buf_putc(b, '}');
}

void
mm_drift_json(const struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, struct mm_buf *b)
{
	int first = 1, i, k;

	mm_buf_putc(b, '{');
	feature_map(d, ref, b, &first, "psi", 0);
	feature_map(d, ref, b, &first, "psi_adj", 1);
	feature_map(d, ref, b, &first, "p_value", 2);
	feature_map(d, ref, b, &first, "psi_crit", 3);
	mm_buf_puts(b, ",\"drifted\":[");
	for (i = 0; i < d->ndrifted; i++) {
		if (i > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, ref->f[d->drifted[i]].name);
	}
	mm_buf_puts(b, "],\"drift_score\":");
	mm_jw_num(b, d->score);
	mm_buf_printf(b, ",\"status\":\"%s\",\"n\":%ld",
	    mm_status_names[d->status], d->rows);
	feature_map(d, ref, b, &first, "missing", 4);
	if (counts != NULL) {
		mm_buf_printf(b, ",\"ref\":\"%s\",\"counts\":{", ref->id);
		first = 1;
		for (i = 0; i < ref->nfeat; i++) {
			mm_jw_key(b, &first, ref->f[i].name);
			mm_buf_putc(b, '[');
			for (k = 0; k < ref->f[i].nbins; k++) {
				if (k > 0)
					mm_buf_putc(b, ',');
				mm_buf_long(b, counts[i][k]);
			}
			mm_buf_putc(b, ']');
		}
		mm_buf_putc(b, '}');
	}
	mm_buf_putc(b, '}');
}
