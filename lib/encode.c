#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batchin.h"
#include "encode.h"
#include "json_write.h"
#include "rows.h"

/* The decimal text of a label from 0 to MM_LABEL_MAX into buf. */
static size_t
label_text(char *buf, int v)
{
	char tmp[16];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

void
mm_encode_col(const struct mm_schema_feat *f, const double *v, size_t n,
    const struct mm_strtab *strs, double *out)
{
	struct mm_buf text;
	int *map, m, k;
	size_t i;

	if (f->kind == MM_KIND_NUMERIC) {
		for (i = 0; i < n; i++)
			out[i] = strs != NULL ? NAN : v[i];
		return;
	}
	if (strs != NULL) {
		m = mm_strtab_count(strs);
		map = mm_xmalloc((size_t)(m ? m : 1) * sizeof(int));
		for (k = 0; k < m; k++)
			map[k] = mm_schema_cat(f, mm_strtab_str(strs, k),
			    mm_strtab_len(strs, k));
		for (i = 0; i < n; i++)
			out[i] = isnan(v[i]) || map[(int)v[i]] < 0 ? NAN :
			    map[(int)v[i]];
		free(map);
	} else {
		mm_buf_init(&text);
		for (i = 0; i < n; i++) {
			out[i] = NAN;
			if (isnan(v[i]))
				continue;
			mm_buf_reset(&text);
			mm_jw_num(&text, v[i]);
			if ((k = mm_schema_cat(f, text.p, text.n)) >= 0)
				out[i] = k;
		}
		mm_buf_release(&text);
	}
}

int
mm_encode_int_label(const struct mm_schema *s, int y)
{
	char buf[16];

	if (y < 0 || y > MM_LABEL_MAX)
		return -1;
	return mm_schema_class(s, buf, label_text(buf, y));
}

/* The class of integer label y, with a cache of those seen. */
static int
int_class(const struct mm_schema *s, int y, int *cache)
{
	if (y > MM_LABEL_MAX)
		return -1;
	if (cache[y] == -2)
		cache[y] = mm_encode_int_label(s, y);
	return cache[y];
}

int
mm_encode_labels(const struct mm_schema *s, int *labels, size_t n,
    const struct mm_strtab *lstrs, struct mm_err *err)
{
	int cache[MM_LABEL_MAX + 1], *smap, m, k, y;
	size_t i;
	int rc = 0;

	for (k = 0; k <= MM_LABEL_MAX; k++)
		cache[k] = -2;
	m = lstrs != NULL ? mm_strtab_count(lstrs) : 0;
	smap = mm_xmalloc((size_t)(m ? m : 1) * sizeof(int));
	for (k = 0; k < m; k++)
		smap[k] = mm_schema_class(s, mm_strtab_str(lstrs, k),
		    mm_strtab_len(lstrs, k));
	/* Check every row first: on an error, nothing has changed. */
	for (i = 0; i < n && rc == 0; i++) {
		y = labels[i];
		if (y == -1)
			continue;
		if (!MM_LABEL_IS_STR(y) && int_class(s, y, cache) < 0)
			rc = mm_errf(err, MM_EINPUT, 0, "row %zu: label %d is "
			    "not one of the model's classes", i, y);
		else if (MM_LABEL_IS_STR(y) && smap[MM_LABEL_STR_INDEX(y)] < 0)
			rc = mm_errf(err, MM_EINPUT, 0, "row %zu: label \"%s\" "
			    "is not one of the model's classes", i,
			    mm_strtab_str(lstrs, MM_LABEL_STR_INDEX(y)));
	}
	for (i = 0; i < n && rc == 0; i++) {
		y = labels[i];
		if (y != -1)
			labels[i] = MM_LABEL_IS_STR(y) ?
			    smap[MM_LABEL_STR_INDEX(y)] : cache[y];
	}
	free(smap);
	return rc;
}

static int
cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mm_encode_classes(struct mm_schema *s, const int *labels, size_t n,
    const struct mm_strtab *lstrs, const char *positive,
    struct mm_err *err)
{
	struct mm_strtab seen;
	char buf[16], **text, *tmp;
	int max = -1, strings = 0, m, k, p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (MM_LABEL_IS_STR(labels[i]))
			strings = 1;
		else if (labels[i] > max)
			max = labels[i];
	}
	if (max < 0 && !strings)
		return mm_errf(err, MM_EINPUT, 0, "the training data has no "
		    "labels");
	if (max > MM_LABEL_MAX)
		return mm_errf(err, MM_EINPUT, 0, "label %d is above the "
		    "largest class mm supports (%d)", max, MM_LABEL_MAX);
	mm_strtab_init(&seen);
	if (!strings)
		for (k = 0; k <= max; k++) {
			mm_strtab_intern(&seen, buf, label_text(buf, k));
		}
	else
		for (i = 0; i < n; i++) {
			if (labels[i] == -1)
				continue;
			if (MM_LABEL_IS_STR(labels[i])) {
				k = MM_LABEL_STR_INDEX(labels[i]);
				mm_strtab_intern(&seen, mm_strtab_str(lstrs,
				    k), mm_strtab_len(lstrs, k));
				continue;
			}
			mm_strtab_intern(&seen, buf, label_text(buf,
			    labels[i]));
		}
	m = mm_strtab_count(&seen);
	if (m > MM_LABEL_MAX + 1 || m < 2) {
		mm_strtab_release(&seen);
		return mm_errf(err, MM_EINPUT, 0, m < 2 ? "the labels hold a "
		    "single class; a classifier needs at least two" : "the "
		    "labels hold %d classes; mm supports 2 to %d", m,
		    MM_LABEL_MAX + 1);
	}
	text = mm_xmalloc((size_t)m * sizeof(char *));
	for (k = 0; k < m; k++)
		text[k] = (char *)mm_strtab_str(&seen, k);
	if (strings)
		qsort(text, (size_t)m, sizeof(char *), cmp_text);
	if (positive != NULL) {
		for (p = 0; p < m && strcmp(text[p], positive) != 0; p++)
			;
		if (p == m || m != 2) {
			mm_errf(err, MM_EINPUT, 0, p == m ? "--positive '%s' "
			    "is not one of the labels" : "--positive '%s': "
			    "the labels hold %d classes; a positive class "
			    "goes with two", positive, m);
			free(text);
			mm_strtab_release(&seen);
			return -1;
		}
		tmp = text[1];
		text[1] = text[p];
		text[p] = tmp;
	}
	for (k = 0; k < m; k++)
		mm_schema_add_class(s, text[k], strlen(text[k]));
	s->positive = m == 2 ? 1 : -1;
	free(text);
	mm_strtab_release(&seen);
	return 0;
}

struct catkey {
	double key;
	const char *s;
	int k;
};

static int
cmp_cat(const void *a, const void *b)
{
	const struct catkey *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->s, y->s);
}

void
mm_encode_fit_cats(struct mm_schema_feat *f, const double *v, const int *y,
    size_t n, const struct mm_strtab *strs, int nclass, double *out)
{
	int m = mm_strtab_count(strs), k, c, *code;
	long *tot, *pos;
	struct catkey *key;
	size_t i;

	tot = mm_xcalloc((size_t)(m ? m : 1), sizeof(long));
	pos = mm_xcalloc((size_t)(m ? m : 1), sizeof(long));
	for (i = 0; i < n; i++)
		if (!isnan(v[i])) {
			tot[(int)v[i]]++;
			pos[(int)v[i]] += y[i] == 1;
		}
	key = mm_xmalloc((size_t)(m ? m : 1) * sizeof(*key));
	for (k = c = 0; k < m; k++) {
		if (tot[k] == 0)
			continue;	/* not in the training rows */
		key[c].key = nclass == 2 ? (double)pos[k] / (double)tot[k] :
		    -(double)tot[k];
		key[c].s = mm_strtab_str(strs, k);
		key[c++].k = k;
	}
	qsort(key, (size_t)c, sizeof(*key), cmp_cat);
	code = mm_xmalloc((size_t)(m ? m : 1) * sizeof(int));
	for (k = 0; k < m; k++)
		code[k] = -1;
	for (k = 0; k < c; k++)
		code[key[k].k] = mm_schema_add_cat(f, key[k].s,
		    mm_strtab_len(strs, key[k].k));
	for (i = 0; i < n; i++)
		out[i] = isnan(v[i]) ? NAN : code[(int)v[i]];
	free(tot);
	free(pos);
	free(key);
	free(code);
}
