/*
 * predictor.c - one batch record through the model (predictor.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "gen.h"
#include "metrics.h"
#include "predictor.h"

void
mm_predictor_init(struct mm_predictor *pr, const char *dir,
    const char *pinned, int threads, const struct mm_say *say)
{
	const char *simd;

	memset(pr, 0, sizeof(*pr));
	pr->dir = dir;
	pr->pinned = pinned;
	pr->threads = threads;
	/* The walk node by node, to compare with the vector walk. */
	if ((simd = getenv("MM_SIMD")) != NULL && strcmp(simd, "none") == 0)
		mm_forest_vector(0);
	if (say != NULL)
		pr->say = *say;
	mm_batch_init(&pr->batch);
	mm_rec_init(&pr->rec);
	mm_buf_init(&pr->pred);
	mm_buf_init(&pr->proba);
	mm_buf_init(&pr->metrics);
}

static void
free_enc(struct mm_predictor *pr)
{
	int j, k;

	for (j = 0; pr->loaded && pr->enc != NULL && j < pr->model.nfeat; j++)
		free(pr->enc[j]);
	free(pr->enc);
	pr->enc = NULL;
	pr->enccap = 0;
	for (k = 0; pr->loaded && pr->cls != NULL &&
	    k < pr->model.forest.nclass; k++)
		mm_buf_release(&pr->cls[k]);
	free(pr->cls);
	pr->cls = NULL;
}

static int
load(struct mm_predictor *pr, const char *version, struct mm_err *err)
{
	struct mm_model m;
	int k;

	if (mm_model_load(&m, pr->dir, version, err) < 0)
		return -1;
	free_enc(pr);
	if (pr->loaded) {
		mm_model_release(&pr->model);
		mm_say(&pr->say, "now using model version %s (was %s)",
		    version, pr->version);
	}
	pr->model = m;
	/* A large batch is shared among the cores (forest.h). */
	pr->model.forest.params.threads = pr->threads;
	pr->loaded = 1;
	snprintf(pr->version, sizeof(pr->version), "%s", version);
	pr->cols = mm_xrealloc(pr->cols, (size_t)m.nfeat * sizeof(double *));
	pr->enc = mm_xcalloc((size_t)m.nfeat, sizeof(double *));
	pr->cls = mm_xcalloc((size_t)m.forest.nclass, sizeof(*pr->cls));
	pr->plain = mm_schema_plain(&m.schema);
	for (k = 0; k < m.forest.nclass; k++)
		mm_schema_label_json(&m.schema, k, &pr->cls[k]);
	pr->cm = mm_xrealloc(pr->cm, (size_t)m.forest.nclass *
	    (size_t)m.forest.nclass * sizeof(long));
	/* The probabilities are rows x classes: a new model sizes them anew. */
	pr->cap = 0;
	return 0;
}

/*
 * Follow the store: a stat of active.json per batch, and a reload when
 * it was replaced and names another version.
 */
static int
follow(struct mm_predictor *pr, struct mm_err *err)
{
	char path[MM_PATHMAX];
	struct stat st;
	struct mm_active a;
	int rc;

	if (pr->pinned != NULL)
		return pr->loaded ? 0 : load(pr, pr->pinned, err);
	mm_fs_pathf(path, "%s/active.json", pr->dir);
	mm_stat_or_zero(path, &st);
	if (pr->loaded && st.st_ino != 0 && mm_same_file(&st,
	    &pr->active_st))
		return 0;
	if ((rc = mm_store_read_active(pr->dir, &a, err)) < 0)
		return -1;
	if (rc == 1) {
		if (pr->loaded)
			return 0;	/* keep serving what was loaded */
		mm_errf(err, MM_EINPUT, 0, "no active model version: train "
		    "one with mm-train%s", pr->hint != NULL ? pr->hint : "");
		mm_err_where(err, pr->dir);
		return -1;
	}
	pr->active_st = st;
	if (pr->loaded && strcmp(a.version, pr->version) == 0)
		return 0;
	if (load(pr, a.version, err) < 0) {
		err->code = MM_ESYS;	/* active.json names a broken version */
		return -1;
	}
	return 0;
}

static void
reserve(struct mm_predictor *pr, size_t n)
{
	if (n <= pr->cap)
		return;
	pr->cap = n;
	pr->p = mm_xrealloc(pr->p, n * (size_t)pr->model.forest.nclass *
	    sizeof(double));
	pr->yhat = mm_xrealloc(pr->yhat, n * sizeof(int));
}

/*
 * The batch's columns in the model's order; a categorical feature's
 * values as their codes (encode.h).
 */
static int
map_columns(struct mm_predictor *pr, struct mm_err *err)
{
	const struct mm_batch *b = &pr->batch;
	const struct mm_schema_feat *f;
	const struct mm_col *c;
	int j;

	if (b->n > pr->enccap) {
		pr->enccap = b->n;
		for (j = 0; j < pr->model.nfeat; j++)
			if (pr->model.schema.f[j].kind == MM_KIND_CATEGORICAL)
				pr->enc[j] = mm_xrealloc(pr->enc[j],
				    b->n * sizeof(double));
	}
	for (j = 0; j < pr->model.nfeat; j++) {
		const char *name = pr->model.features[j];

		f = &pr->model.schema.f[j];
		c = j < b->nfeat && strcmp(b->cols[j].name, name) == 0 ?
		    &b->cols[j] : mm_batch_col(b, name);
		if (c == NULL)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' of "
			    "model %s is missing from the batch", name,
			    pr->version);
		if (f->kind == MM_KIND_NUMERIC && c->kind == MM_COL_STR)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' holds "
			    "strings; model %s takes numbers there", name,
			    pr->version);
		if (f->kind == MM_KIND_NUMERIC) {
			pr->cols[j] = c->v;
			continue;
		}
		mm_encode_col(f, c->v, b->n, c->kind == MM_COL_STR ?
		    &c->strs : NULL, pr->enc[j]);
		pr->cols[j] = pr->enc[j];
	}
	if (b->nfeat > pr->model.nfeat && !pr->warned_extra) {
		for (j = 0; j < b->nfeat; j++) {
			int k, known = 0;

			for (k = 0; k < pr->model.nfeat && !known; k++)
				known = strcmp(b->cols[j].name,
				    pr->model.features[k]) == 0;
			if (!known)
				break;
		}
		mm_say(&pr->say, "ignoring features the model does not use, "
		    "such as '%s'", b->cols[j].name);
		pr->warned_extra = 1;
	}
	return 0;
}

/* A class number or a count, without printf's cost on every row. */
static void
put_class(struct mm_buf *b, long k)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + k % 10);
	while ((k /= 10) > 0);
	while (n > 0)
		mm_buf_putc(b, tmp[--n]);
}

/*
 * The labels as the model's class numbers.  A label the model has no
 * class for cannot be counted in its confusion matrix, nor scored: it
 * is bad input.
 */
static int
check_labels(struct mm_predictor *pr, struct mm_err *err)
{
	struct mm_batch *b = &pr->batch;
	char why[sizeof(err->msg)];

	if (mm_encode_labels(&pr->model.schema, b->labels, b->n, &b->lstrs,
	    err) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", err->msg);
	return mm_errf(err, MM_EINPUT, 0, "%.400s (model %s)", why,
	    pr->version);
}

/* "confusion":[[..],..]: row = true class, column = predicted. */
static void
put_confusion(struct mm_buf *b, const long *cm, int K)
{
	int t, p;

	mm_buf_putc(b, '[');
	for (t = 0; t < K; t++) {
		mm_buf_puts(b, t ? ",[" : "[");
		for (p = 0; p < K; p++) {
			if (p > 0)
				mm_buf_putc(b, ',');
			put_class(b, cm[t * K + p]);
		}
		mm_buf_putc(b, ']');
	}
	mm_buf_putc(b, ']');
}

int
mm_predictor_batch(struct mm_predictor *pr, const char *line, size_t len,
    struct mm_err *err)
{
	struct mm_batch *b = &pr->batch;
	double t0, ms, conf = 0, best;
	char num[32];
	size_t i;
	int k, K, n;

	if (mm_batch_parse(b, &pr->rec, line, len, MM_BATCH_ID |
	    MM_BATCH_FEATURES | MM_BATCH_LABELS, err) < 0)
		return -1;
	if (follow(pr, err) < 0)
		return -1;
	if (map_columns(pr, err) < 0 ||
	    (b->has_labels && check_labels(pr, err) < 0))
		return -1;
	K = pr->model.forest.nclass;
	reserve(pr, b->n);
	t0 = mm_monotonic();
	mm_forest_predict(&pr->model.forest, pr->cols, b->n, pr->p);
	ms = 1e3 * (mm_monotonic() - t0);
	mm_buf_reset(&pr->pred);
	mm_buf_reset(&pr->proba);
	mm_buf_putc(&pr->pred, '[');
	mm_buf_putc(&pr->proba, '[');
	for (i = 0; i < b->n; i++) {
		const double *p = pr->p + i * (size_t)K;

		pr->yhat[i] = 0;
		for (k = 1; k < K; k++)
			if (p[k] > p[pr->yhat[i]])
				pr->yhat[i] = k;
		best = p[pr->yhat[i]];
		conf += best;
		if (i > 0) {
			mm_buf_putc(&pr->pred, ',');
			mm_buf_putc(&pr->proba, ',');
		}
		if (pr->plain)
			put_class(&pr->pred, pr->yhat[i]);
		else
			mm_buf_put(&pr->pred, pr->cls[pr->yhat[i]].p,
			    pr->cls[pr->yhat[i]].n);
		n = mm_gen_fmt(num, round(best * 1e6) / 1e6);
		mm_buf_put(&pr->proba, num, (size_t)n);
	}
	mm_buf_putc(&pr->pred, ']');
	mm_buf_putc(&pr->proba, ']');
	/* Counts add up over batches; accuracy and F1 come from them. */
	memset(pr->cm, 0, (size_t)K * (size_t)K * sizeof(long));
	if (b->has_labels)
		mm_confusion_add(pr->cm, K, b->labels, pr->yhat, b->n);
	mm_buf_reset(&pr->metrics);
	mm_buf_printf(&pr->metrics, "{\"n_samples\":%zu,\"n_labelled\":%ld,"
	    "\"accuracy\":", b->n, mm_confusion_total(pr->cm, K));
	mm_jw_num(&pr->metrics, mm_confusion_accuracy(pr->cm, K));
	mm_buf_puts(&pr->metrics, ",\"f1\":");
	mm_jw_num(&pr->metrics, mm_confusion_f1(pr->cm, K));
	mm_buf_puts(&pr->metrics, ",\"confusion\":");
	put_confusion(&pr->metrics, pr->cm, K);
	mm_buf_puts(&pr->metrics, ",\"avg_confidence\":");
	mm_jw_num(&pr->metrics, b->n ? conf / (double)b->n : NAN);
	mm_buf_printf(&pr->metrics, ",\"latency_ms\":%.3f,"
	    "\"model_version\":", ms);
	mm_jw_str(&pr->metrics, pr->version);
	mm_buf_putc(&pr->metrics, '}');
	return 0;
}

int
mm_predictor_line(struct mm_predictor *pr, const char *line, size_t len,
    struct mm_buf *out, struct mm_err *err)
{
	struct mm_kv kv[3];

	if (mm_predictor_batch(pr, line, len, err) < 0)
		return -1;
	kv[0] = (struct mm_kv){ "pred", pr->pred.p, pr->pred.n };
	kv[1] = (struct mm_kv){ "proba", pr->proba.p, pr->proba.n };
	kv[2] = (struct mm_kv){ "metrics", pr->metrics.p, pr->metrics.n };
	mm_rec_put_kv(out, &pr->rec, NULL, kv, 3);
	return 0;
}

void
mm_predictor_release(struct mm_predictor *pr)
{
	free_enc(pr);
	if (pr->loaded)
		mm_model_release(&pr->model);
	free(pr->cols);
	free(pr->p);
	free(pr->yhat);
	free(pr->cm);
	mm_batch_release(&pr->batch);
	mm_rec_release(&pr->rec);
	mm_buf_release(&pr->pred);
	mm_buf_release(&pr->proba);
	mm_buf_release(&pr->metrics);
}
