/*
 * mm-train - train a random forest and write it as a new model version.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "config.h"
#include "forest.h"
#include "gen.h"
#include "json.h"
#include "metrics.h"
#include "mm.h"
#include "model.h"
#include "ndjson.h"
#include "opt.h"
#include "psi.h"
#include "sha.h"
#include "store.h"
#include "table.h"

static const char *prog = "mm-train";

static const struct mm_opt opts[] = {
#define O_MODELS 0
	{ "models", 0, "DIR", "model store (default: $MM_MODELS or models)" },
#define O_CONFIG 1
	{ "config", 0, "DIR", "config directory (default: $MM_CONFIG or "
	    "config)" },
#define O_STAGE 2
	{ "stage", 0, NULL, "stage the new version as the candidate" },
#define O_ACTIVATE 3
	{ "activate", 0, NULL, "make the new version live at once" },
#define O_SYNTHETIC 4
	{ "synthetic", 0, NULL, "train on mm-gen's generator, not input" },
#define O_ROWS 5
	{ "rows", 0, "N", "rows with --synthetic (default 5000)" },
#define O_SEED 6
	{ "seed", 0, "N", "sample seed with --synthetic (default 42)" },
#define O_SHUFFLE 7
	{ "shuffle-labels", 0, NULL, "shuffle the labels (a broken model, "
	    "for drills)" },
#define O_VALIDATE 8
	{ "validate", 0, "FILE", "validate on FILE instead of a split" },
#define O_NOW 9
	{ "now", 0, "TS", "time of the version (default: the clock)" },
#define O_THREADS 10
	{ "threads", 0, "N", "training threads (default: one per core)" },
#define O_SKIPBAD 11
	{ "skip-bad", 0, NULL, "skip bad records and count them" },
	{ NULL, 0, NULL, NULL }
};

struct train {
	const char *models, *config, *validate;
	int stage, activate, synthetic, shuffle, skip_bad;
	long rows, seed, threads;
	double now;
	struct mm_config cfg;
	struct mm_table data, valid;
	long skipped, incomplete;
};

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read batch records from path into t. */
static int
read_batches(struct train *tr, const char *path, struct mm_table *t)
{
	struct mm_reader r;
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err = { 0 };
	char *line;
	size_t len;
	int rc, ret = MM_OK;

	if (mm_reader_open(&r, path, 0, &err) < 0) {
		mm_perr(prog, &err);
		return MM_ESYS;
	}
	mm_batch_init(&b);
	mm_rec_init(&rec);
	while ((rc = mm_reader_next(&r, &line, &len, &err)) != 0) {
		if (rc > 0 && mm_batch_parse(&b, &rec, line, len,
		    MM_BATCH_FEATURES | MM_BATCH_LABELS, &err) == 0 &&
		    mm_table_add(t, &b, &err) == 0)
			continue;
		err.line = r.lineno;
		mm_err_where(&err, r.name);
		if (err.code == MM_EINPUT && tr->skip_bad) {
			tr->skipped++;
			continue;
		}
		mm_perr(prog, &err);
		ret = err.code;
		break;
	}
	mm_batch_release(&b);
	mm_rec_release(&rec);
	mm_reader_release(&r);
	return ret;
}

static int
synthetic(struct train *tr)
{
	struct mm_gen_shape shape;
	struct mm_gen_pop pop;
	struct mm_gen_scenario sc;
	struct mm_rng r;
	struct mm_err err = { 0 };
	const char *names[MM_GEN_MAX_FEATURES];
	char buf[MM_GEN_MAX_FEATURES][8];
	double *x;
	int *y, j;
	size_t n = (size_t)tr->rows;

	mm_gen_shape_defaults(&shape);
	if (mm_gen_pop_init(&pop, &shape, 42, &err) < 0) {
		mm_perr(prog, &err);
		return MM_EINPUT;
	}
	mm_gen_scenario_init(&sc, &pop);
	if (mm_gen_scenario_ready(&sc, &pop, &err) < 0) {
		mm_perr(prog, &err);
		mm_gen_pop_release(&pop);
		return MM_EINPUT;
	}
	x = mm_xmalloc(n * (size_t)shape.features * sizeof(double));
	y = mm_xmalloc(n * sizeof(int));
	mm_gen_stream(&r, (uint64_t)tr->seed, MM_GEN_TRAIN);
	mm_gen_draw(&pop, &sc, &r, 0, n, x, y);
	for (j = 0; j < shape.features; j++) {
		snprintf(buf[j], sizeof(buf[j]), "f%d", j);
		names[j] = buf[j];
	}
	mm_table_set_features(&tr->data, shape.features, names);
	tr->data.cap = n;
	tr->data.n = n;
	tr->data.labels = y;
	tr->data.labelled = n;
	for (j = 0; j < shape.features; j++) {
		tr->data.cols[j] = mm_xmalloc(n * sizeof(double));
		memcpy(tr->data.cols[j], x + (size_t)j * n,
		    n * sizeof(double));
	}
	free(x);
	mm_gen_pop_release(&pop);
	return MM_OK;
}

/*
 * Rows that can be learned from: a known label and every feature
 * present.  Returns their indices; the others are counted.
 */
static size_t *
usable_rows(struct train *tr, const struct mm_table *t, size_t *n)
{
	size_t *rows = mm_xmalloc((t->n ? t->n : 1) * sizeof(size_t));
	size_t i;
	int j, ok;

	*n = 0;
	for (i = 0; i < t->n; i++) {
		if (t->labels[i] < 0)
			continue;
		for (ok = 1, j = 0; j < t->nfeat && ok; j++)
			ok = !isnan(t->cols[j][i]);
		if (!ok) {
			tr->incomplete++;
			continue;
		}
		rows[(*n)++] = i;
	}
	return rows;
}

/* Columns of the rows idx[0..n) of t (freshly allocated). */
static double **
gather(const struct mm_table *t, const size_t *idx, size_t n, int **y)
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

static void
free_cols(double **cols, int nfeat)
{
	int j;

	for (j = 0; j < nfeat; j++)
		free(cols[j]);
	free(cols);
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
card_json(struct mm_buf *b, const struct train *tr, const struct mm_forest *f,
    const char *const *names, size_t ntrain, size_t nvalid,
    const long *balance, const char *data_sum, const char *model_sum,
    const char *ref_sum, const struct mm_scores *sc, double fit_s)
{
	char at[32];
	int k, j;

	mm_iso_time(tr->now, at, sizeof(at));
	mm_buf_printf(b, "{\"format\":\"mm-card/1\",\"created_at\":\"%s\","
	    "\"model\":\"random_forest\",\"params\":{\"n_estimators\":%d,"
	    "\"max_depth\":%d,\"min_samples_leaf\":%d,\"max_features\":%d,"
	    "\"seed\":%lu},\"features\":[", at, f->params.n_estimators,
	    f->params.max_depth, f->params.min_samples_leaf,
	    f->params.max_features, f->params.seed);
	for (j = 0; j < f->d; j++) {
		if (j > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, names[j]);
	}
	mm_buf_printf(b, "],\"classes\":%d,\"class_balance\":{", f->nclass);
	for (k = 0; k < f->nclass; k++)
		mm_buf_printf(b, "%s\"%d\":%ld", k ? "," : "", k, balance[k]);
	mm_buf_printf(b, "},\"rows\":{\"train\":%zu,\"validation\":%zu,"
	    "\"skipped_incomplete\":%ld},\"source\":", ntrain, nvalid,
	    tr->incomplete);
	if (tr->synthetic)
		mm_buf_printf(b, "\"synthetic seed %ld\"", tr->seed);
	else
		mm_buf_puts(b, "\"batch records\"");
	mm_buf_printf(b, ",\"shuffled_labels\":%s,\"validation\":\"%s\","
	    "\"data_sha256\":\"%s\",\"model_sha256\":\"%s\","
	    "\"reference_sha256\":\"%s\",\"metrics\":{\"accuracy\":",
	    tr->shuffle ? "true" : "false", tr->validate ? "file" :
	    "stratified split", data_sum, model_sum, ref_sum);
	mm_jw_num(b, sc->accuracy);
	mm_buf_puts(b, ",\"f1\":");
	mm_jw_num(b, sc->f1);
	mm_buf_puts(b, "},\"fit_seconds\":");
	mm_jw_num(b, round(fit_s * 1000) / 1000);
	mm_buf_puts(b, "}\n");
}

/* Put the validation columns in the training data's order. */
static int
align(struct train *tr)
{
	struct mm_table *v = &tr->valid;
	double **cols;
	char **names;
	int i, j;

	if (v->nfeat != tr->data.nfeat) {
		mm_warnx(prog, "--validate: %d features, the training data "
		    "has %d", v->nfeat, tr->data.nfeat);
		return MM_EINPUT;
	}
	cols = mm_xcalloc((size_t)v->nfeat, sizeof(double *));
	names = mm_xcalloc((size_t)v->nfeat, sizeof(char *));
	for (i = 0; i < v->nfeat; i++) {
		for (j = 0; j < v->nfeat; j++)
			if (strcmp(v->names[j], tr->data.names[i]) == 0)
				break;
		if (j == v->nfeat) {
			mm_warnx(prog, "--validate: feature '%s' missing",
			    tr->data.names[i]);
			free(cols);
			free(names);
			return MM_EINPUT;
		}
		cols[i] = v->cols[j];
		names[i] = v->names[j];
	}
	free(v->cols);
	free(v->names);
	v->cols = cols;
	v->names = names;
	return MM_OK;
}

static int
train(struct train *tr)
{
	struct mm_forest_params p = { 0 };
	struct mm_forest forest;
	struct mm_ref ref;
	struct mm_scores sc;
	struct mm_err err = { 0 };
	struct mm_store store;
	struct mm_buf model, refb, card;
	struct mm_rng rng;
	struct mm_active act;
	char data_sum[MM_SHA_HEX], model_sum[MM_SHA_HEX], ref_sum[MM_SHA_HEX];
	char version[MM_VERSION_MAX];
	const char *status;
	size_t *rows, n, *tri, *vai, ntr = 0, nva = 0, i;
	double **trc, **vac, *proba, t0 = seconds(), t1, fit_s;
	int *try, *vay, *pred, nclass = 0, j, k, rc = MM_OK;
	long *balance;
	int active_rc;

	rows = usable_rows(tr, &tr->data, &n);
	if (tr->data.labelled == 0) {
		mm_warnx(prog, "the training data has no labels");
		free(rows);
		return MM_EINPUT;
	}
	for (i = 0; i < n; i++)
		if (tr->data.labels[rows[i]] + 1 > nclass)
			nclass = tr->data.labels[rows[i]] + 1;
	tri = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	vai = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	if (tr->validate != NULL) {
		size_t vn, *vr = usable_rows(tr, &tr->valid, &vn);

		memcpy(tri, rows, n * sizeof(size_t));
		ntr = n;
		vac = gather(&tr->valid, vr, vn, &vay);
		nva = vn;
		free(vr);
		for (i = 0; i < nva; i++)
			if (vay[i] + 1 > nclass)
				nclass = vay[i] + 1;
	} else {
		int *y = mm_xmalloc((n ? n : 1) * sizeof(int));
		size_t *a = mm_xmalloc((n ? n : 1) * sizeof(size_t));
		size_t *b = mm_xmalloc((n ? n : 1) * sizeof(size_t));

		for (i = 0; i < n; i++)
			y[i] = tr->data.labels[rows[i]];
		mm_rng_seed(&rng, (uint64_t)tr->cfg.model.seed, 1);
		mm_stratified_split(y, n, nclass, tr->cfg.model.validation,
		    &rng, a, &ntr, b, &nva);
		for (i = 0; i < ntr; i++)
			tri[i] = rows[a[i]];
		for (i = 0; i < nva; i++)
			vai[i] = rows[b[i]];
		free(y);
		free(a);
		free(b);
		vac = gather(&tr->data, vai, nva, &vay);
	}
	trc = gather(&tr->data, tri, ntr, &try);
	if (tr->shuffle) {
		mm_rng_seed(&rng, (uint64_t)tr->cfg.model.seed, 2);
		mm_rng_shuffle(&rng, try, ntr);
	}
	balance = mm_xcalloc((size_t)(nclass ? nclass : 1), sizeof(long));
	for (i = 0; i < ntr; i++)
		balance[try[i]]++;
	p.n_estimators = (int)tr->cfg.model.n_estimators;
	p.max_depth = (int)tr->cfg.model.max_depth;
	p.min_samples_leaf = (int)tr->cfg.model.min_samples_leaf;
	p.seed = (unsigned long)tr->cfg.model.seed;
	p.threads = (int)tr->threads;
	mm_forest_init(&forest);
	mm_ref_init(&ref);
	mm_buf_init(&model);
	mm_buf_init(&refb);
	mm_buf_init(&card);
	pred = NULL;
	proba = NULL;
	t1 = seconds();
	if (mm_forest_fit(&forest, (const double *const *)trc, ntr,
	    tr->data.nfeat, try, nclass, &p, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto out;
	}
	fit_s = seconds() - t1;
	if (nva == 0) {
		mm_warnx(prog, "no rows to validate on");
		rc = MM_EINPUT;
		goto out;
	}
	proba = mm_xmalloc(nva * (size_t)nclass * sizeof(double));
	pred = mm_xmalloc(nva * sizeof(int));
	mm_forest_predict(&forest, (const double *const *)vac, nva, proba);
	for (i = 0; i < nva; i++) {
		pred[i] = 0;
		for (k = 1; k < nclass; k++)
			if (proba[i * nclass + k] > proba[i * nclass + pred[i]])
				pred[i] = k;
	}
	mm_score(vay, pred, nva, &sc);
	for (j = 0; j < tr->data.nfeat; j++)
		if (mm_ref_add(&ref, tr->data.names[j], trc[j], ntr,
		    (int)tr->cfg.drift.bins, &err) < 0) {
			mm_perr(prog, &err);
			rc = err.code;
			goto out;
		}
	mm_ref_finish(&ref);
	mm_ref_json(&ref, &refb);
	mm_model_json(&forest, (const char *const *)tr->data.names, &model);
	data_sha(trc, try, ntr, tr->data.nfeat, data_sum);
	mm_sha256_hex(model.p, model.n, model_sum);
	mm_sha256_hex(refb.p, refb.n, ref_sum);
	card_json(&card, tr, &forest, (const char *const *)tr->data.names,
	    ntr, nva, balance, data_sum, model_sum, ref_sum, &sc, fit_s);
	{
		struct mm_store_file files[3] = {
			{ "model.json", model.p, model.n },
			{ "reference.json", refb.p, refb.n },
			{ "card.json", card.p, card.n },
		};
		const char *dir = mm_models_dir(tr->models);

		if (mm_store_open(&store, dir, 1, 0, &err) != 0) {
			mm_perr(prog, &err);
			rc = err.code;
			goto out;
		}
		active_rc = mm_store_read_active(dir, &act, &err);
		if (active_rc < 0 || mm_store_write_version(&store, tr->now,
		    files, 3, version, sizeof(version), &err) < 0 ||
		    (tr->stage && mm_store_stage(&store, version, tr->now,
		    &err) < 0) || ((tr->activate || (!tr->stage &&
		    active_rc == 1)) && mm_store_activate(&store, version,
		    sc.f1, tr->now, &err) < 0)) {
			mm_perr(prog, &err);
			rc = err.code;
			mm_store_close(&store);
			goto out;
		}
		mm_store_close(&store);
		status = tr->stage ? "staged" : tr->activate ||
		    active_rc == 1 ? "active" : "stored";
	}
	printf("{\"version\":\"%s\",\"status\":\"%s\",\"metrics\":"
	    "{\"accuracy\":", version, status);
	mm_buf_reset(&card);
	mm_jw_num(&card, sc.accuracy);
	mm_buf_puts(&card, ",\"f1\":");
	mm_jw_num(&card, sc.f1);
	printf("%s},\"rows\":{\"train\":%zu,\"validation\":%zu},"
	    "\"timings\":{\"fit_s\":%.3f,\"total_s\":%.3f}}\n", card.p, ntr,
	    nva, fit_s, seconds() - t0);
out:
	if (tr->incomplete > 0)
		mm_warnx(prog, "left out %ld row%s with a missing value",
		    tr->incomplete, tr->incomplete == 1 ? "" : "s");
	free(pred);
	free(proba);
	free(balance);
	free_cols(trc, tr->data.nfeat);
	free_cols(vac, tr->valid.nfeat ? tr->valid.nfeat : tr->data.nfeat);
	free(try);
	free(vay);
	free(tri);
	free(vai);
	free(rows);
	mm_forest_release(&forest);
	mm_ref_release(&ref);
	mm_buf_release(&model);
	mm_buf_release(&refb);
	mm_buf_release(&card);
	return rc;
}

int
main(int argc, char **argv)
{
	struct train tr;
	struct mm_optstate st = { .prog = "mm-train",
	    .synopsis = "[--models DIR] [--config DIR] [--stage | --activate] "
	    "[--validate FILE]\n"
	    " [--now TS] [--threads N] [--shuffle-labels] [--skip-bad] "
	    "[FILE ...]\n"
	    "--synthetic [--rows N] [--seed N] [--models DIR] "
	    "[--stage | --activate] [--now TS]",
	    .about = "Train a random forest on labelled batch records and "
	    "write it as a new model version." };
	struct mm_err err = { 0 };
	int o, i, rc = MM_OK;

	memset(&tr, 0, sizeof(tr));
	mm_table_init(&tr.data);
	mm_table_init(&tr.valid);
	tr.rows = 5000;
	tr.seed = 42;
	tr.now = -1;
	while ((o = mm_getopt(&st, argc, argv, opts)) != -1) {
		switch (o) {
		case O_MODELS: tr.models = st.arg; break;
		case O_CONFIG: tr.config = st.arg; break;
		case O_STAGE: tr.stage = 1; break;
		case O_ACTIVATE: tr.activate = 1; break;
		case O_SYNTHETIC: tr.synthetic = 1; break;
		case O_ROWS:
			if (mm_opt_long(&st, "rows", 20, 10000000,
			    &tr.rows) < 0)
				return MM_EINPUT;
			break;
		case O_SEED:
			if (mm_opt_long(&st, "seed", 0, 2147483647,
			    &tr.seed) < 0)
				return MM_EINPUT;
			break;
		case O_SHUFFLE: tr.shuffle = 1; break;
		case O_VALIDATE: tr.validate = st.arg; break;
		case O_NOW:
			if (mm_opt_double(&st, "now", 0, 1e11, &tr.now) < 0)
				return MM_EINPUT;
			break;
		case O_THREADS:
			if (mm_opt_long(&st, "threads", 1, 8, &tr.threads) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: tr.skip_bad = 1; break;
		default:
			return o == -3 ? MM_OK : MM_EINPUT;
		}
	}
	if (tr.stage && tr.activate) {
		mm_warnx(prog, "--stage and --activate exclude each other");
		return MM_EINPUT;
	}
	if (tr.synthetic && st.ind < argc) {
		mm_warnx(prog, "--synthetic takes no input files");
		return MM_EINPUT;
	}
	if (tr.now < 0)
		tr.now = (double)time(NULL);
	if (mm_config_load(&tr.cfg, tr.config, MM_CFG_MODEL | MM_CFG_DRIFT,
	    &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (tr.synthetic)
		rc = synthetic(&tr);
	else if (st.ind >= argc)
		rc = read_batches(&tr, NULL, &tr.data);
	for (i = st.ind; i < argc && rc == MM_OK; i++)
		rc = read_batches(&tr, argv[i], &tr.data);
	if (rc == MM_OK && tr.validate != NULL)
		rc = read_batches(&tr, tr.validate, &tr.valid);
	if (rc == MM_OK && tr.data.n == 0) {
		mm_warnx(prog, "no training rows");
		rc = MM_EINPUT;
	}
	if (rc == MM_OK && tr.validate != NULL)
		rc = align(&tr);
	if (tr.skipped > 0)
		mm_warnx(prog, "skipped %ld bad record%s", tr.skipped,
		    tr.skipped == 1 ? "" : "s");
	if (rc == MM_OK)
		rc = train(&tr);
	mm_table_release(&tr.data);
	mm_table_release(&tr.valid);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
