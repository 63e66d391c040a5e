#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "model.h"
#include "psi.h"
#include "ref.h"
#include "store.h"
#include "train.h"

void
mm_train_init(struct mm_train_out *o)
{
	memset(o, 0, sizeof(*o));
	mm_forest_init(&o->forest);
	mm_schema_init(&o->schema);
	mm_buf_init(&o->model);
	mm_buf_init(&o->reference);
	mm_buf_init(&o->card);
}

void
mm_train_release(struct mm_train_out *o)
{
	mm_forest_release(&o->forest);
	mm_schema_release(&o->schema);
	mm_buf_release(&o->model);
	mm_buf_release(&o->reference);
	mm_buf_release(&o->card);
}

size_t *
mm_train_usable(const struct mm_table *t, size_t *n)
{
	size_t *rows = mm_xmalloc((t->n ? t->n : 1) * sizeof(size_t));
	size_t i;

	*n = 0;
	for (i = 0; i < t->n; i++)
		if (t->labels[i] != -1)
			rows[(*n)++] = i;
	return rows;
}

double **
mm_gather(const struct mm_table *t, const size_t *idx, size_t n, int **y)
{
	double **cols = mm_xcalloc((size_t)t->nfeat, sizeof(double *));
	size_t i;
	int j;

	for (j = 0; j < t->nfeat; j++) {
		cols[j] = mm_xmalloc((n ? n : 1) * sizeof(double));
		for (i = 0; i < n; i++)
			cols[j][i] = t->cols[j][idx[i]];
	}
	*y = mm_xmalloc((n ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		(*y)[i] = t->labels[idx[i]];
	return cols;
}

void
mm_free_cols(double **cols, int nfeat)
{
	int j;

	if (cols == NULL)
		return;
	for (j = 0; j < nfeat; j++)
		free(cols[j]);
	free(cols);
}

void
mm_argmax(const double *proba, size_t n, int nclass, int *pred)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		const double *p = proba + i * (size_t)nclass;

		pred[i] = 0;
		for (k = 1; k < nclass; k++)
			if (p[k] > p[pred[i]])
				pred[i] = k;
	}
}

/* SHA-256 of the training rows: each row's doubles, then its label. */
static void
data_sha(double **cols, const int *y, size_t n, int nfeat, char *out)
{
	struct mm_sha s;
	size_t i;
	int j;

	mm_sha_init(&s);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nfeat; j++)
			mm_sha_update(&s, &cols[j][i], sizeof(double));
		mm_sha_update(&s, &y[i], sizeof(int));
	}
	mm_sha_final(&s, out);
}

static void
card_json(struct mm_buf *b, const struct mm_train_job *job,
    const struct mm_forest *f, const struct mm_schema *s,
    const long *balance, const char *data_sum,
    const char *model_sum, const char *ref_sum, const struct mm_scores *sc,
    double fit_s, size_t with_missing)
{
	char at[32];
	int k, j;

	mm_iso_time(job->now, at, sizeof(at));
	mm_buf_printf(b, "{\"format\":\"mm-card/1\",\"created_at\":\"%s\","
	    "\"model\":\"random_forest\",\"params\":{\"n_estimators\":%d,"
	    "\"max_depth\":%d,\"min_samples_leaf\":%d,\"max_features\":%d,"
	    "\"seed\":%lu},\"features\":[", at, f->params.n_estimators,
	    f->params.max_depth, f->params.min_samples_leaf,
	    f->params.max_features, f->params.seed);
	for (j = 0; j < f->d; j++) {
		if (j > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, job->data->names[j]);
	}
	mm_buf_printf(b, "],\"classes\":%d,\"class_balance\":{", f->nclass);
	for (k = 0; k < f->nclass; k++) {
		if (k > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, s->classes[k]);
		mm_buf_printf(b, ":%ld", balance[k]);
	}
	mm_buf_printf(b, "},\"rows\":{\"train\":%zu,\"validation\":%zu,"
	    "\"with_missing\":%zu},\"source\":", job->ntrain,
	    job->nvalid, with_missing);
	mm_jw_str(b, job->source ? job->source : "batch records");
	mm_buf_printf(b, ",\"shuffled_labels\":%s,\"validation\":",
	    job->shuffle ? "true" : "false");
	mm_jw_str(b, job->validation ? job->validation : "stratified split");
	mm_buf_printf(b, ",\"data_sha256\":\"%s\",\"model_sha256\":\"%s\","
	    "\"reference_sha256\":\"%s\",\"metrics\":{\"accuracy\":",
	    data_sum, model_sum, ref_sum);
	mm_jw_num(b, sc->accuracy);
	mm_buf_puts(b, ",\"f1\":");
	mm_jw_num(b, sc->f1);
	mm_buf_puts(b, "},\"fit_seconds\":");
	mm_jw_num(b, round(fit_s * 1000) / 1000);
	if (job->extra != NULL) {
		mm_buf_putc(b, ',');
		mm_buf_puts(b, job->extra);
	}
	mm_buf_puts(b, "}\n");
}

/*
 * The schema's features: categorical where the training rows hold
 * strings.  The validation rows may not hold strings where the training
 * rows hold numbers.
 */
static int
features(const struct mm_train_job *job, const struct mm_table *vt,
    struct mm_schema *s, struct mm_err *err)
{
	const struct mm_table *t = job->data;
	int j, cat;

	for (j = 0; j < t->nfeat; j++) {
		cat = t->kinds != NULL && t->kinds[j] == MM_COL_STR;
		if (!cat && vt->kinds != NULL && vt->kinds[j] == MM_COL_STR)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' holds "
			    "strings in the validation rows, numbers in the "
			    "training rows", t->names[j]);
		mm_schema_add(s, t->names[j], cat ? MM_KIND_CATEGORICAL :
		    MM_KIND_NUMERIC);
	}
	return 0;
}

/* The classes: the job's, or 0 to nclass - 1. */
static void
classes(const struct mm_train_job *job, struct mm_schema *s)
{
	char buf[16];
	int k;

	if (job->classes != NULL) {
		for (k = 0; k < job->classes->nclass; k++)
			mm_schema_add_class(s, job->classes->classes[k],
			    strlen(job->classes->classes[k]));
	} else
		for (k = 0; k < job->nclass; k++) {
			snprintf(buf, sizeof(buf), "%d", k);
			mm_schema_add_class(s, buf, strlen(buf));
		}
	s->positive = s->nclass == 2 ? 1 : -1;
}

/*
 * The class count and every label, before anything is sized by them: a
 * forest holds nclass numbers per node, so one label of a million would
 * take gigabytes and minutes before any later check could refuse it.
 */
static int
classes_ok(const struct mm_train_job *job, const struct mm_table *vt,
    struct mm_err *err)
{
	const size_t *idx[2] = { job->train, job->valid };
	const struct mm_table *t[2] = { job->data, vt };
	size_t n[2] = { job->ntrain, job->nvalid }, i;
	int k, y;

	if (job->nclass < 2 || job->nclass > MM_MAX_CLASSES)
		return mm_errf(err, MM_EINPUT, 0, "%d classes: mm supports 2 "
		    "to %d", job->nclass, MM_MAX_CLASSES);
	for (k = 0; k < 2; k++)
		for (i = 0; i < n[k]; i++) {
			y = t[k]->labels[idx[k][i]];
			if (y < 0 || y >= job->nclass)
				return mm_errf(err, MM_EINPUT, 0, "label %d "
				    "is not a class from 0 to %d", y,
				    job->nclass - 1);
		}
	return 0;
}

int
mm_train_run(const struct mm_train_job *job, struct mm_train_out *out,
    struct mm_err *err)
{
	const struct mm_table *vt = job->vdata ? job->vdata : job->data;
	struct mm_forest_params p = { 0 };
	struct mm_ref ref;
	struct mm_rng rng;
	char data_sum[MM_SHA_HEX], ref_sum[MM_SHA_HEX];
	double **trc, **vac = NULL, *proba = NULL, t1;
	int *try, *vay = NULL, *pred = NULL, j, rc = -1;
	long *balance;
	size_t i, with_missing = 0;

	if (classes_ok(job, vt, err) < 0)
		return -1;
	if (job->classes != NULL && job->classes->nclass != job->nclass)
		return mm_errf(err, MM_EINPUT, 0, "%d classes named, %d asked "
		    "for", job->classes->nclass, job->nclass);
	if (features(job, vt, &out->schema, err) < 0)
		return -1;
	classes(job, &out->schema);
	mm_ref_init(&ref);
	trc = mm_gather(job->data, job->train, job->ntrain, &try);
	for (j = 0; j < job->data->nfeat; j++)
		if (out->schema.f[j].kind == MM_KIND_CATEGORICAL)
			mm_encode_fit_cats(&out->schema.f[j], trc[j], try,
			    job->ntrain, &job->data->strs[j], job->nclass,
			    trc[j]);
	if (job->shuffle) {
		mm_rng_seed(&rng, (uint64_t)job->model->seed, 2);
		mm_rng_shuffle(&rng, try, job->ntrain);
	}
	balance = mm_xcalloc((size_t)job->nclass, sizeof(long));
	for (i = 0; i < job->ntrain; i++)
		balance[try[i]]++;
	p.n_estimators = (int)job->model->n_estimators;
	p.max_depth = (int)job->model->max_depth;
	p.min_samples_leaf = (int)job->model->min_samples_leaf;
	p.seed = (unsigned long)job->model->seed;
	p.threads = job->threads;
	/* The caller's clock: training reads none of its own. */
	t1 = job->clock != NULL ? job->clock() : 0;
	if (mm_forest_fit(&out->forest, (const double *const *)trc,
	    job->ntrain, job->data->nfeat, try, job->nclass, &p, err) < 0)
		goto out;
	out->fit_s = job->clock != NULL ? job->clock() - t1 : 0;
	if (job->nvalid == 0) {
		mm_errf(err, MM_EINPUT, 0, "no rows to validate on");
		goto out;
	}
	/*
	 * An F1 on a handful of rows is 1.0 by luck as often as not, and
	 * it would become the baseline every later batch is judged by.
	 */
	if (job->nvalid < job->min_valid) {
		mm_errf(err, MM_EINPUT, 0, "%zu validation rows, fewer than "
		    "min_validation_rows %zu (model.yaml): too few to judge "
		    "the model; give more rows or --validate FILE",
		    job->nvalid, job->min_valid);
		goto out;
	}
	vac = mm_gather(vt, job->valid, job->nvalid, &vay);
	for (j = 0; j < vt->nfeat; j++)
		if (out->schema.f[j].kind == MM_KIND_CATEGORICAL)
			mm_encode_col(&out->schema.f[j], vac[j], job->nvalid,
			    vt->kinds[j] == MM_COL_STR ? &vt->strs[j] : NULL,
			    vac[j]);
	proba = mm_xmalloc(job->nvalid * (size_t)job->nclass * sizeof(double));
	pred = mm_xmalloc(job->nvalid * sizeof(int));
	mm_forest_predict(&out->forest, (const double *const *)vac,
	    job->nvalid, proba);
	mm_argmax(proba, job->nvalid, job->nclass, pred);
	mm_score(vay, pred, job->nvalid, job->nclass, &out->scores);
	for (j = 0; j < job->data->nfeat; j++) {
		const struct mm_schema_feat *sf = &out->schema.f[j];

		if ((sf->kind == MM_KIND_CATEGORICAL ? mm_ref_add_cat(&ref,
		    sf->name, trc[j], job->ntrain,
		    (const char *const *)sf->cats, sf->ncats,
		    job->max_categories > 0 ? (int)job->max_categories : 20,
		    err) : mm_ref_add(&ref, sf->name, trc[j], job->ntrain,
		    (int)job->bins, err)) < 0)
			goto out;
	}
	mm_ref_finish(&ref);
	mm_ref_json(&ref, &out->reference);
	mm_model_json(&out->forest, NULL, &out->schema, &out->model);
	data_sha(trc, try, job->ntrain, job->data->nfeat, data_sum);
	mm_sha256_hex(out->model.p, out->model.n, out->model_sha);
	mm_sha256_hex(out->reference.p, out->reference.n, ref_sum);
	for (i = 0; i < job->ntrain; i++)
		for (j = 0; j < job->data->nfeat; j++)
			if (isnan(trc[j][i])) {
				with_missing++;
				break;
			}
	card_json(&out->card, job, &out->forest, &out->schema, balance,
	    data_sum, out->model_sha, ref_sum, &out->scores, out->fit_s,
	    with_missing);
	rc = 0;
out:
	mm_ref_release(&ref);
	mm_free_cols(trc, job->data->nfeat);
	mm_free_cols(vac, vt->nfeat);
	free(try);
	free(vay);
	free(pred);
	free(proba);
	free(balance);
	return rc;
}
