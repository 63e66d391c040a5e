#include <math.h>
#include <stdlib.h>

#include "bh.h"
#include "mm.h"

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

/*
 * The k p-values that are not NaN, smallest first, each with its index
 * (ties in index order); *m gets how many.  The caller frees.
 */
static struct pidx *
sorted(const double *p, int k, int *m)
{
	struct pidx *s = mm_xmalloc((size_t)(k > 0 ? k : 1) * sizeof(*s));
	int i;

	*m = 0;
	for (i = 0; i < k; i++)
		if (!isnan(p[i]))
			s[(*m)++] = (struct pidx){ p[i], i };
	qsort(s, (size_t)*m, sizeof(*s), cmp_pidx);
	return s;
}

int
mm_bh(const double *p, int k, double alpha, int *sig)
{
	struct pidx *s;
	int i, m, last = -1;

	for (i = 0; i < k; i++)
		sig[i] = 0;
	s = sorted(p, k, &m);
	for (i = 0; i < m; i++)
		if (s[i].p <= (double)(i + 1) / m * alpha)
			last = i;
	for (i = 0; i <= last; i++)
		sig[s[i].i] = 1;
	free(s);
	return last + 1;
}

double
mm_bh_min(const double *p, int n)
{
	struct pidx *s;
	double q = NAN;
	int i, m;

	s = sorted(p, n, &m);
	for (i = 0; i < m; i++)
		if (isnan(q) || s[i].p * m / (i + 1) < q)
			q = s[i].p * m / (i + 1);
	free(s);
	return isnan(q) ? q : fmin(q, 1);
}
