/*
 * merge.c - count records summed per group (merge.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

/*
 * Counts above this are refused: sums of reference and production
 * counts stay exact in a double and far from overflowing a long.
 */
#define MAX_COUNT ((long)1 << 50)

long **
mm_counts_alloc(const struct mm_ref *ref)
{
	long **c = mm_xcalloc((size_t)ref->nfeat, sizeof(long *));
	int i;

	for (i = 0; i < ref->nfeat; i++)
		c[i] = mm_xcalloc((size_t)ref->f[i].nbins, sizeof(long));
	return c;
}

void
mm_counts_free(long **c, int nfeat)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < nfeat; i++)
		free(c[i]);
	free(c);
}

void
mm_merge_init(struct mm_merge *m, const struct mm_ref *ref, const char *by)
{
	memset(m, 0, sizeof(*m));
	m->ref = ref;
	m->by = by;
}

void
mm_merge_release(struct mm_merge *m)
{
	int i;

	for (i = 0; i < m->ngroups; i++) {
		free(m->groups[i].key);
		mm_counts_free(m->groups[i].counts, m->ref->nfeat);
	}
	free(m->groups);
	m->groups = NULL;
	m->ngroups = 0;
}

static struct mm_merge_group *
find_group(struct mm_merge *m, const struct mm_span *key)
{
	struct mm_merge_group *g;
	int i;

	for (i = 0; i < m->ngroups; i++) {
		g = &m->groups[i];
		if (key == NULL || (g->key != NULL &&
		    strlen(g->key) == key->n &&
		    memcmp(g->key, key->p, key->n) == 0))
			return g;
	}
	m->groups = mm_xrealloc(m->groups, (size_t)(m->ngroups + 1) *
	    sizeof(*m->groups));
	g = &m->groups[m->ngroups++];
	memset(g, 0, sizeof(*g));
	g->key = key ? mm_xstrndup(key->p, key->n) : NULL;
	g->counts = mm_counts_alloc(m->ref);
	return g;
}

/*
 * Check every count array of a count object against the reference and
 * n, then add them to g: a bad record adds nothing.
 */
static int
add_bins(const struct mm_ref *ref, struct mm_merge_group *g, json_t *bins,
    long n, struct mm_err *err)
{
	long sum, v;
	int i, k;

	if (!json_is_object(bins))
		return mm_errf(err, MM_EINPUT, 0, "counts are not an object");
	for (i = 0; i < ref->nfeat; i++) {
		const struct mm_ref_feat *f = &ref->f[i];
		json_t *a = json_object_get(bins, f->name);

		if (!json_is_array(a) || json_array_size(a) != (size_t)f->nbins)
			return mm_errf(err, MM_EINPUT, 0, "counts of feature "
			    "'%s' missing or of the wrong length", f->name);
		for (sum = 0, k = 0; k < f->nbins; k++) {
			json_t *c = json_array_get(a, (size_t)k);

			if (!json_is_integer(c) || json_integer_value(c) < 0 ||
			    __builtin_add_overflow(sum,
			    (long)json_integer_value(c), &sum))
				return mm_errf(err, MM_EINPUT, 0, "count %d of "
				    "feature '%s' is not a count", k, f->name);
		}
		if (sum != n)
			return mm_errf(err, MM_EINPUT, 0, "counts of feature "
			    "'%s' add up to %ld, not n %ld", f->name, sum, n);
		for (k = 0; k < f->nbins; k++)
			if (__builtin_add_overflow(g->counts[i][k],
			    (long)json_integer_value(json_array_get(a,
			    (size_t)k)), &v) || v > MAX_COUNT)
				return mm_errf(err, MM_EINPUT, 0, "counts of "
				    "feature '%s' overflow", f->name);
	}
	if (__builtin_add_overflow(g->rows, n, &v) || v > MAX_COUNT)
		return mm_errf(err, MM_EINPUT, 0, "n overflows");
	for (i = 0; i < ref->nfeat; i++) {
		json_t *a = json_object_get(bins, ref->f[i].name);

		for (k = 0; k < ref->f[i].nbins; k++)
			g->counts[i][k] += (long)json_integer_value(
			    json_array_get(a, (size_t)k));
	}
	g->rows += n;
	return 0;
}

int
mm_merge_record(struct mm_merge *m, const struct mm_rec *rec,
    struct mm_err *err)
{
	const struct mm_field *f, *byf = NULL;
	json_error_t jerr;
	json_t *c, *ref, *n, *bins;
	struct mm_merge_group *g;
	struct mm_buf canon;
	struct mm_span byv;
	int rc = -1, drift = 0;

	if ((f = mm_rec_get(rec, "counts")) == NULL &&
	    (f = mm_rec_get(rec, "drift")) == NULL)
		return mm_errf(err, MM_EINPUT, 0, "neither 'counts' nor "
		    "'drift' (make count records with mm-psi --counts)");
	drift = mm_rec_get(rec, "counts") == NULL;
	if (m->by != NULL && (byf = mm_rec_get(rec, m->by)) == NULL)
		return mm_errf(err, MM_EINPUT, 0, "'%s' missing", m->by);
	mm_buf_init(&canon);
	c = json_loadb(f->val.p, f->val.n, 0, &jerr);
	ref = c ? json_object_get(c, "ref") : NULL;
	n = c ? json_object_get(c, "n") : NULL;
	bins = c ? json_object_get(c, drift ? "counts" : "bins") : NULL;
	if (!json_is_object(c) || !json_is_string(ref) ||
	    !json_is_integer(n) || json_integer_value(n) < 0 || bins == NULL) {
		mm_errf(err, MM_EINPUT, 0, "'%s' is not a count object%s",
		    drift ? "drift" : "counts", drift ? " (no ref, n and "
		    "counts)" : "");
		goto out;
	}
	if (strcmp(json_string_value(ref), m->ref->id) != 0) {
		mm_errf(err, MM_EINPUT, 0, "counts were made with reference "
		    "'%s', not '%s'", json_string_value(ref), m->ref->id);
		goto out;
	}
	if (byf != NULL) {
		/* A string is grouped by its text: "b\u0031" with "b1". */
		byv = byf->val;
		if (byv.p[0] == '"' && memchr(byv.p, '\\', byv.n) != NULL) {
			mm_buf_putc(&canon, '"');
			if (mm_json_canon(byv.p + 1, byv.n - 2, &canon) < 0) {
				mm_errf(err, MM_EINPUT, 0, "'%s' has a \\u "
				    "escape of a NUL", m->by);
				goto out;
			}
			mm_buf_putc(&canon, '"');
			byv.p = canon.p;
			byv.n = canon.n;
		}
	}
	g = find_group(m, byf ? &byv : NULL);
	if (add_bins(m->ref, g, bins, (long)json_integer_value(n), err) < 0)
		goto out;
	g->records++;
	rc = 0;
out:
	mm_buf_release(&canon);
	json_decref(c);
	return rc;
}
