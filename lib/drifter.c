/*
 * drifter.c - one batch record's drift against a reference (drifter.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drifter.h"
#include "merge.h"

static int follow_store(struct mm_drifter *, struct mm_err *);

static void
zero_counts(const struct mm_ref *ref, long **c)
{
	int i;

	for (i = 0; i < ref->nfeat; i++)
		memset(c[i], 0, (size_t)ref->f[i].nbins * sizeof(long));
}

/* Map reference features to the batch's columns. */
static int
map_columns(struct mm_drifter *p, struct mm_err *err)
{
	const struct mm_batch *b = p->cur;
	int i, j, used = 0;

	for (i = 0; i < p->ref.nfeat; i++) {
		const char *name = p->ref.f[i].name;

		j = i < b->nfeat && strcmp(b->cols[i].name, name) == 0 ? i :
		    -1;
		if (j < 0)
			for (j = 0; j < b->nfeat; j++)
				if (strcmp(b->cols[j].name, name) == 0)
					break;
		if (j == b->nfeat)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' of the "
			    "reference is missing from the batch", name);
		p->colmap[i] = j;
		used++;
	}
	if (b->nfeat > used && !p->warned_extra) {
		for (j = 0; j < b->nfeat; j++)
			if (mm_ref_find(&p->ref, b->cols[j].name) < 0)
				break;
		mm_say(&p->say, "ignoring features not in the reference, "
		    "such as '%s'", b->cols[j].name);
		p->warned_extra = 1;
	}
	return 0;
}

/* Count one column into the bins of reference feature i. */
static int
count_column(struct mm_drifter *p, int i, const struct mm_col *c,
    struct mm_err *err)
{
	const struct mm_ref_feat *f = &p->ref.f[i];
	size_t k, nstr;

	if (c->kind == MM_COL_STR && f->kind != MM_FEAT_CATEGORICAL)
		return mm_errf(err, MM_EINPUT, 0, "feature '%s' holds strings; "
		    "the reference has numbers", f->name);
	if (c->kind == MM_COL_NUM && f->kind == MM_FEAT_CATEGORICAL)
		return mm_errf(err, MM_EINPUT, 0, "feature '%s' holds numbers; "
		    "the reference has categories", f->name);
	if (c->kind != MM_COL_STR) {
		mm_ref_count(f, c->v, p->cur->n, p->counts[i]);
		return 0;
	}
	nstr = (size_t)mm_strtab_count(&c->strs);
	if (nstr > p->ncatbins) {
		p->ncatbins = nstr;
		p->catbins = mm_xrealloc(p->catbins, nstr * sizeof(int));
	}
	for (k = 0; k < nstr; k++)
		p->catbins[k] = mm_ref_cat_bin(f, mm_strtab_str(&c->strs,
		    (int)k));
	mm_ref_count_codes(f, c->v, p->cur->n, p->catbins, p->counts[i]);
	return 0;
}

static int
count_batch(struct mm_drifter *p, struct mm_err *err)
{
	int i;

	zero_counts(&p->ref, p->counts);
	for (i = 0; i < p->ref.nfeat; i++)
		if (count_column(p, i, &p->cur->cols[p->colmap[i]], err) < 0)
			return -1;
	p->rows = (long)p->cur->n;
	return 0;
}

/* Slide the window: drop the oldest batch, add the current one. */
static void
slide(struct mm_drifter *p, long **sum, long *sumrows)
{
	long **slot = p->ring[p->head];
	int i, k;

	for (i = 0; i < p->ref.nfeat; i++)
		for (k = 0; k < p->ref.f[i].nbins; k++) {
			sum[i][k] += p->counts[i][k] - slot[i][k];
			slot[i][k] = p->counts[i][k];
		}
	*sumrows += p->rows - p->ring_rows[p->head];
	p->ring_rows[p->head] = p->rows;
	p->head = (p->head + 1) % p->window;
}

int
mm_drifter_score(struct mm_drifter *p, long **counts, long rows,
    struct mm_err *err)
{
	struct mm_drift d;

	mm_drift_init(&d, p->ref.nfeat);
	if (mm_drift_compute(&d, &p->ref, counts, rows, &p->cfg) < 0) {
		mm_drift_release(&d);
		return mm_errf(err, MM_EINPUT, 0, "no rows");
	}
	mm_buf_reset(&p->out);
	mm_drift_json(&d, &p->ref, counts, &p->out);
	if (d.status > p->worst)
		p->worst = d.status;
	mm_drift_release(&d);
	return 0;
}

static void
counts_json(struct mm_drifter *p, struct mm_buf *b)
{
	int i, k, first = 1;

	mm_buf_printf(b, "{\"ref\":\"%s\",\"n\":%ld,\"bins\":{", p->ref.id,
	    p->rows);
	for (i = 0; i < p->ref.nfeat; i++) {
		mm_jw_key(b, &first, p->ref.f[i].name);
		mm_buf_putc(b, '[');
		for (k = 0; k < p->ref.f[i].nbins; k++) {
			if (k > 0)
				mm_buf_putc(b, ',');
			mm_buf_long(b, p->counts[i][k]);
		}
		mm_buf_putc(b, ']');
	}
	mm_buf_puts(b, "}}");
}

static const char *const row_fields[] = { "features", "labels", "pred",
	"proba", "drift", NULL };

/* Count the batch b, and with counts clear, score it into p->out. */
static int
score_batch(struct mm_drifter *p, const struct mm_batch *b, int counts,
    struct mm_err *err)
{
	p->cur = b;
	if (b->n == 0)
		return mm_errf(err, MM_EINPUT, 0, "batch '%s' has no rows",
		    b->id);
	if (p->models != NULL && follow_store(p, err) < 0)
		return -1;
	if (map_columns(p, err) < 0 || count_batch(p, err) < 0)
		return -1;
	if (counts) {
		mm_buf_reset(&p->out);
		counts_json(p, &p->out);
		return 0;
	}
	if (p->window > 1) {
		slide(p, p->wsum, &p->wrows);
		return mm_drifter_score(p, p->wsum, p->wrows, err);
	}
	return mm_drifter_score(p, p->counts, p->rows, err);
}

int
mm_drifter_line(struct mm_drifter *p, const char *line, size_t len, int counts,
    struct mm_buf *out, struct mm_err *err)
{
	if (mm_batch_parse(&p->batch, &p->rec, line, len,
	    MM_BATCH_ID | MM_BATCH_FEATURES, err) < 0 ||
	    score_batch(p, &p->batch, counts, err) < 0)
		return -1;
	if (counts)
		mm_rec_put(out, &p->rec, row_fields, "counts", p->out.p,
		    p->out.n);
	else
		mm_rec_put(out, &p->rec, NULL, "drift", p->out.p, p->out.n);
	return 0;
}

int
mm_drifter_batch(struct mm_drifter *p, const struct mm_batch *b,
    struct mm_err *err)
{
	return score_batch(p, b, 0, err);
}

/* The arrays that follow the reference's shape. */
static void
alloc_state(struct mm_drifter *p)
{
	int i;

	p->colmap = mm_xcalloc((size_t)p->ref.nfeat, sizeof(int));
	p->counts = mm_counts_alloc(&p->ref);
	p->head = 0;
	p->wrows = 0;
	if (p->window > 1) {
		p->ring = mm_xcalloc((size_t)p->window, sizeof(long **));
		p->ring_rows = mm_xcalloc((size_t)p->window, sizeof(long));
		for (i = 0; i < p->window; i++)
			p->ring[i] = mm_counts_alloc(&p->ref);
		p->wsum = mm_counts_alloc(&p->ref);
	}
}

static void
free_state(struct mm_drifter *p)
{
	int i, nf = p->ref.nfeat;

	mm_counts_free(p->counts, nf);
	if (p->ring != NULL)
		for (i = 0; i < p->window; i++)
			mm_counts_free(p->ring[i], nf);
	free(p->ring);
	free(p->ring_rows);
	mm_counts_free(p->wsum, nf);
	free(p->colmap);
	p->counts = p->wsum = NULL;
	p->ring = NULL;
	p->ring_rows = NULL;
	p->colmap = NULL;
}

/*
 * The active version's reference.  Following the store, a stat of
 * active.json per batch; when another version went live, its reference
 * replaces the old one (a window starts again: counts against other
 * bins do not add up).  0, or -1 with err.
 */
static int
follow_store(struct mm_drifter *p, struct mm_err *err)
{
	struct mm_active a;
	struct mm_ref ref;
	struct stat st;
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/active.json", p->models);
	if (p->ref.nfeat > 0 && stat(path, &st) == 0 &&
	    mm_same_file(&st, &p->active_st))
		return 0;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	if ((rc = mm_store_read_active(p->models, &a, err)) < 0)
		return -1;
	if (rc == 1) {
		if (p->ref.nfeat > 0)
			return 0;	/* keep what was loaded */
		return mm_errf(err, MM_EINPUT, 0, "no reference: give --ref "
		    "FILE, or a model store with an active version (--models "
		    "DIR)");
	}
	p->active_st = st;
	if (p->ref.nfeat > 0 && strcmp(a.version, p->version) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/versions/%s/reference.json",
	    p->models, a.version);
	if (mm_ref_load(&ref, path, err) < 0) {
		err->code = MM_ESYS;	/* active.json names a broken version */
		return -1;
	}
	free_state(p);
	mm_ref_release(&p->ref);
	p->ref = ref;
	snprintf(p->version, sizeof(p->version), "%s", a.version);
	alloc_state(p);
	return 0;
}

int
mm_drifter_load(struct mm_drifter *p, const char *ref, const char *models,
    struct mm_err *err)
{
	if (ref == NULL) {
		p->models = models;
		return follow_store(p, err);
	}
	if (mm_ref_load(&p->ref, ref, err) < 0)
		return -1;
	alloc_state(p);
	return 0;
}

void
mm_drifter_init(struct mm_drifter *d, const struct mm_drift_cfg *cfg,
    long window, const struct mm_say *say)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->window = window;
	d->worst = -1;
	if (say != NULL)
		d->say = *say;
	mm_batch_init(&d->batch);
	mm_rec_init(&d->rec);
	mm_buf_init(&d->out);
}

void
mm_drifter_release(struct mm_drifter *d)
{
	free_state(d);
	free(d->catbins);
	mm_ref_release(&d->ref);
	mm_batch_release(&d->batch);
	mm_rec_release(&d->rec);
	mm_buf_release(&d->out);
}
