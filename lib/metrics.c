#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "mm.h"

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
