#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "json.h"

/* Streams of the population seed and of the sample seed. */
#define STREAM_POP 1
#define STREAM_TRAIN 2
#define STREAM_BATCH (1ULL << 32)

/* 10^MM_GEN_DECIMALS, the rounding grid. */
#define GRID 1e6
#define GRID_DIGITS 6
#if GRID_DIGITS != MM_GEN_DECIMALS
#error "GRID does not match MM_GEN_DECIMALS"
#endif

void
mm_gen_shape_defaults(struct mm_gen_shape *s)
{
	s->features = 10;
	s->informative = 6;
	s->redundant = 2;
	s->classes = 2;
	s->class_sep = 1.2;
	s->flip_y = 0.01;
}

static int
check_shape(const struct mm_gen_shape *s, struct mm_err *err)
{
	if (s->features < 1 || s->features > MM_GEN_MAX_FEATURES)
		return mm_errf(err, MM_EINPUT, 0, "%d features: not from 1 "
		    "to %d", s->features, MM_GEN_MAX_FEATURES);
	if (s->informative < 1 || s->redundant < 0 ||
	    s->informative + s->redundant > s->features)
		return mm_errf(err, MM_EINPUT, 0, "%d informative and %d "
		    "redundant features do not fit in %d", s->informative,
		    s->redundant, s->features);
	if (s->classes < 2 || s->classes > MM_GEN_MAX_CLASSES)
		return mm_errf(err, MM_EINPUT, 0, "%d classes: not from 2 "
		    "to %d", s->classes, MM_GEN_MAX_CLASSES);
	if (s->informative < 30 && 2L * s->classes > 1L << s->informative)
		return mm_errf(err, MM_EINPUT, 0, "%d classes need %d "
		    "clusters, more than the %ld corners of %d informative "
		    "features", s->classes, 2 * s->classes,
		    1L << s->informative, s->informative);
	if (!(s->class_sep >= 0) || !isfinite(s->class_sep))
		return mm_errf(err, MM_EINPUT, 0, "class separation %g is "
		    "not a number from 0", s->class_sep);
	if (!(s->flip_y >= 0 && s->flip_y <= 1))
		return mm_errf(err, MM_EINPUT, 0, "flip rate %g is not from "
		    "0 to 1", s->flip_y);
	return 0;
}

/* Distinct corners of the hypercube, +-class_sep in each coordinate. */
static void
place_centres(struct mm_gen_pop *p, struct mm_rng *r)
{
	int ni = p->shape.informative, k, j, m, same;
	double *c;

	for (k = 0; k < p->nclusters; k++) {
		c = p->centre + (size_t)k * ni;
		do {
			for (j = 0; j < ni; j++)
				c[j] = (mm_rng_u64(r) >> 63) ?
				    p->shape.class_sep : -p->shape.class_sep;
			same = 0;
			for (m = 0; m < k && !same; m++)
				same = memcmp(c, p->centre + (size_t)m * ni,
				    (size_t)ni * sizeof(double)) == 0;
		} while (same && p->shape.class_sep > 0);
	}
}

/* Each cluster's mean and sd per feature, then the mixture's. */
static void
marginals(struct mm_gen_pop *p)
{
	int ni = p->shape.informative, nr = p->shape.redundant;
	int nf = p->shape.features, nc = p->nclusters, k, j, m, t;
	const double *c, *a, *w = p->weight;
	double *mu, *sd, s, v;

	for (k = 0; k < nc; k++) {
		c = p->centre + (size_t)k * ni;
		a = p->transform + (size_t)k * ni * ni;
		mu = p->cmean + (size_t)k * nf;
		sd = p->csd + (size_t)k * nf;
		for (j = 0; j < ni; j++) {
			mu[j] = c[j];
			for (v = 0, m = 0; m < ni; m++)
				v += a[m * ni + j] * a[m * ni + j];
			sd[j] = sqrt(v);
		}
		for (t = 0; t < nr; t++) {
			for (s = 0, j = 0; j < ni; j++)
				s += c[j] * w[j * nr + t];
			mu[ni + t] = s;
			for (v = 0, m = 0; m < ni; m++) {
				for (s = 0, j = 0; j < ni; j++)
					s += a[m * ni + j] * w[j * nr + t];
				v += s * s;
			}
			sd[ni + t] = sqrt(v);
		}
		for (j = ni + nr; j < nf; j++) {
			mu[j] = 0;
			sd[j] = 1;
		}
	}
	for (j = 0; j < nf; j++) {
		for (s = 0, k = 0; k < nc; k++)
			s += p->cmean[(size_t)k * nf + j];
		p->mean[j] = s / nc;
		for (v = 0, k = 0; k < nc; k++) {
			s = p->cmean[(size_t)k * nf + j] - p->mean[j];
			v += p->csd[(size_t)k * nf + j] *
			    p->csd[(size_t)k * nf + j] + s * s;
		}
		p->sd[j] = sqrt(v / nc);
	}
}

int
mm_gen_pop_init(struct mm_gen_pop *p, const struct mm_gen_shape *s,
    uint64_t seed, struct mm_err *err)
{
	struct mm_rng r;
	size_t ni, i, nt;

	memset(p, 0, sizeof(*p));
	if (check_shape(s, err) < 0)
		return -1;
	p->shape = *s;
	p->nclusters = 2 * s->classes;
	ni = (size_t)s->informative;
	nt = (size_t)p->nclusters * ni * ni;
	p->centre = mm_xcalloc((size_t)p->nclusters * ni, sizeof(double));
	p->transform = mm_xcalloc(nt, sizeof(double));
	p->weight = mm_xcalloc(ni * (size_t)s->redundant + 1,
	    sizeof(double));
	p->cmean = mm_xcalloc((size_t)p->nclusters * (size_t)s->features,
	    sizeof(double));
	p->csd = mm_xcalloc((size_t)p->nclusters * (size_t)s->features,
	    sizeof(double));
	p->mean = mm_xcalloc((size_t)s->features, sizeof(double));
	p->sd = mm_xcalloc((size_t)s->features, sizeof(double));

	mm_rng_seed(&r, seed, STREAM_POP);
	place_centres(p, &r);
	for (i = 0; i < nt; i++)
		p->transform[i] = 2 * mm_rng_uniform(&r) - 1;
	for (i = 0; i < ni * (size_t)s->redundant; i++)
		p->weight[i] = 2 * mm_rng_uniform(&r) - 1;
	marginals(p);
	return 0;
}

void
mm_gen_pop_release(struct mm_gen_pop *p)
{
	free(p->centre);
	free(p->transform);
	free(p->weight);
	free(p->cmean);
	free(p->csd);
	free(p->mean);
	free(p->sd);
	memset(p, 0, sizeof(*p));
}

static double
mixture_cdf(const struct mm_gen_pop *p, int j, double t)
{
	int nf = p->shape.features, k;
	double mu, sd, s = 0;

	for (k = 0; k < p->nclusters; k++) {
		mu = p->cmean[(size_t)k * nf + j];
		sd = p->csd[(size_t)k * nf + j];
		if (sd > 0)
			s += 0.5 * erfc((mu - t) / (sd * M_SQRT2));
		else
			s += t >= mu;
	}
	return s / p->nclusters;
}

double
mm_gen_quantile(const struct mm_gen_pop *p, int j, double q)
{
	int nf = p->shape.features, k;
	double lo = INFINITY, hi = -INFINITY, mu, sd, mid;

	if (q <= 0)
		return -INFINITY;
	if (q >= 1)
		return INFINITY;
	for (k = 0; k < p->nclusters; k++) {
		mu = p->cmean[(size_t)k * nf + j];
		sd = p->csd[(size_t)k * nf + j];
		lo = fmin(lo, mu - 40 * sd - 1);
		hi = fmax(hi, mu + 40 * sd + 1);
	}
	/* Bisect until the interval is one representable step wide. */
	for (;;) {
		mid = lo + (hi - lo) / 2;
		if (mid <= lo || mid >= hi)
			break;
		if (mixture_cdf(p, j, mid) < q)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

void
mm_gen_scenario_init(struct mm_gen_scenario *sc, const struct mm_gen_pop *p)
{
	int j;

	memset(sc, 0, sizeof(*sc));
	sc->drift_at = -1;
	sc->shift = 1;
	sc->scale = 1;
	for (j = 0; j < 3 && j < p->shape.features; j++)
		sc->drift[j] = 1;
	sc->concept_at = -1;
	sc->concept_strength = 0.1;
	sc->concept_feature = 0;
	sc->concept_threshold = INFINITY;
}

int
mm_gen_scenario_ready(struct mm_gen_scenario *sc,
    const struct mm_gen_pop *p, struct mm_err *err)
{
	int j;

	for (j = p->shape.features; j < MM_GEN_MAX_FEATURES; j++)
		if (sc->drift[j])
			return mm_errf(err, MM_EINPUT, 0, "drift feature "
			    "'f%d' is not one of f0 to f%d", j,
			    p->shape.features - 1);
	if (sc->concept_feature < 0 ||
	    sc->concept_feature >= p->shape.features)
		return mm_errf(err, MM_EINPUT, 0, "concept feature 'f%d' is "
		    "not one of f0 to f%d", sc->concept_feature,
		    p->shape.features - 1);
	if (!(sc->concept_strength >= 0 && sc->concept_strength <= 1))
		return mm_errf(err, MM_EINPUT, 0, "concept strength %g is "
		    "not from 0 to 1", sc->concept_strength);
	if (!isfinite(sc->shift) || !isfinite(sc->scale))
		return mm_errf(err, MM_EINPUT, 0, "drift shift and scale "
		    "must be finite");
	sc->concept_threshold = mm_gen_quantile(p, sc->concept_feature,
	    1 - sc->concept_strength);
	return 0;
}

void
mm_gen_stream(struct mm_rng *r, uint64_t seed, long batch)
{
	mm_rng_seed(r, seed, batch < 0 ? STREAM_TRAIN :
	    STREAM_BATCH + (uint64_t)batch);
}

void
mm_gen_sample(const struct mm_gen_pop *p, struct mm_rng *r, size_t n,
    double *x, int *y)
{
	int ni = p->shape.informative, nr = p->shape.redundant;
	int nf = p->shape.features, nclass = p->shape.classes, k, j, m;
	double z[MM_GEN_MAX_FEATURES], xi[MM_GEN_MAX_FEATURES], v;
	const double *c, *a, *w = p->weight;
	size_t i;

	for (i = 0; i < n; i++) {
		k = (int)mm_rng_below(r, (uint64_t)p->nclusters);
		c = p->centre + (size_t)k * ni;
		a = p->transform + (size_t)k * ni * ni;
		for (m = 0; m < ni; m++)
			z[m] = mm_rng_normal(r);
		for (j = 0; j < ni; j++) {
			for (v = c[j], m = 0; m < ni; m++)
				v += z[m] * a[m * ni + j];
			xi[j] = v;
			x[(size_t)j * n + i] = v;
		}
		for (j = 0; j < nr; j++) {
			for (v = 0, m = 0; m < ni; m++)
				v += xi[m] * w[m * nr + j];
			x[(size_t)(ni + j) * n + i] = v;
		}
		for (j = ni + nr; j < nf; j++)
			x[(size_t)j * n + i] = mm_rng_normal(r);
		y[i] = k % nclass;
		if (mm_rng_uniform(r) < p->shape.flip_y)
			y[i] = (int)mm_rng_below(r, (uint64_t)nclass);
	}
}

size_t
mm_gen_concept(const struct mm_gen_pop *p, int j, double threshold,
    size_t n, const double *x, int *y)
{
	size_t i, moved = 0;

	for (i = 0; i < n; i++)
		if (x[(size_t)j * n + i] > threshold) {
			y[i] = (y[i] + 1) % p->shape.classes;
			moved++;
		}
	return moved;
}

void
mm_gen_drift(const struct mm_gen_pop *p, int j, double shift, double scale,
    size_t n, double *x)
{
	double mean = p->mean[j], d = shift * p->sd[j];
	double *col = x + (size_t)j * n;
	size_t i;

	for (i = 0; i < n; i++)
		col[i] = mean + scale * (col[i] - mean) + d;
}

void
mm_gen_round(size_t count, double *x)
{
	size_t i;
	double v;

	for (i = 0; i < count; i++) {
		v = nearbyint(x[i] * GRID) / GRID;
		x[i] = v == 0 ? 0 : v;
	}
}

void
mm_gen_draw(const struct mm_gen_pop *p, const struct mm_gen_scenario *sc,
    struct mm_rng *r, long index, size_t n, double *x, int *y)
{
	int j;

	mm_gen_sample(p, r, n, x, y);
	if (sc != NULL && sc->concept_at >= 0 && index >= sc->concept_at)
		mm_gen_concept(p, sc->concept_feature, sc->concept_threshold,
		    n, x, y);
	if (sc != NULL && sc->drift_at >= 0 && index >= sc->drift_at)
		for (j = 0; j < p->shape.features; j++)
			if (sc->drift[j])
				mm_gen_drift(p, j, sc->shift, sc->scale, n,
				    x);
	mm_gen_round((size_t)p->shape.features * n, x);
}

int
mm_gen_fmt(char *buf, double v)
{
	double a = fabs(v);
	long long m;
	unsigned long long u, ip, fp;
	char tmp[24];
	int n = 0, t = 0, d;

	if (!isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	/*
	 * On the grid and from 1e-4 to 1e9, "%.15g" prints the grid value's
	 * digits in fixed notation, and mm_fmt_double() stops there.
	 */
	if (a >= 1e-4 && a < 1e9) {
		m = llrint(v * GRID);
		if ((double)m / GRID == v) {
			if (m < 0)
				buf[n++] = '-';
			u = m < 0 ? 0ULL - (unsigned long long)m :
			    (unsigned long long)m;
			ip = u / (unsigned long long)GRID;
			fp = u % (unsigned long long)GRID;
			do
				tmp[t++] = (char)('0' + ip % 10);
			while ((ip /= 10) != 0);
			while (t > 0)
				buf[n++] = tmp[--t];
			if (fp != 0) {
				for (d = GRID_DIGITS; fp % 10 == 0; d--)
					fp /= 10;
				buf[n++] = '.';
				for (t = d - 1; t >= 0; t--, fp /= 10)
					buf[n + t] = (char)('0' + fp % 10);
				n += d;
			}
			buf[n] = '\0';
			return n;
		}
	}
	return mm_fmt_double(buf, 32, v);
}
