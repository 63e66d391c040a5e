/*
 * mm-train - train a random forest and write it as a new model version.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batchin.h"
#include "config.h"
#include "encode.h"
#include "gen.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "retrain.h"
#include "run.h"
#include "store.h"
#include "table.h"
#include "train.h"

static const char *prog = "mm-train";

enum {
	O_MODELS, O_CONFIG, O_STAGE, O_ACTIVATE, O_SYNTHETIC, O_ROWS, O_SEED,
	O_SHUFFLE, O_VALIDATE, O_POSITIVE, O_NOW, O_THREADS, O_SKIPBAD,
	O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_MODELS] = MM_OPT_MODELS,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_STAGE] = { "stage", 0, NULL, "stage the new version as the "
	    "candidate" },
	[O_ACTIVATE] = { "activate", 0, NULL, "make the new version live at "
	    "once" },
	[O_SYNTHETIC] = { "synthetic", 0, NULL, "train on mm-gen's generator, "
	    "not input" },
	[O_ROWS] = { "rows", 0, "N", "rows with --synthetic (default 5000)" },
	[O_SEED] = { "seed", 0, "N", "sample seed with --synthetic (default "
	    "42)" },
	[O_SHUFFLE] = { "shuffle-labels", 0, NULL, "shuffle the labels (a "
	    "broken model, for drills)" },
	[O_VALIDATE] = { "validate", 0, "FILE", "validate on FILE instead of "
	    "a split" },
	[O_POSITIVE] = { "positive", 0, "LABEL", "the class binary F1 is of "
	    "(default: 1, or the second label)" },
	[O_NOW] = MM_OPT_NOW("time of the version (default: the clock)"),
	[O_THREADS] = { "threads", 0, "N", "training threads (default: one "
	    "per core)" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct train {
	const char *models, *config;
	char *validate;
	const char *positive;
	int stage, activate, synthetic, shuffle;
	long rows, seed, threads;
	double now, at;
	struct mm_config cfg;
	struct mm_table data, valid;
	struct mm_run run;
	struct mm_table *into;	/* data, then valid */
	struct mm_batch batch;
	struct mm_rec rec;
};

/* A batch record for tr->into. */
static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct train *tr = ctx;

	if (mm_batch_parse(&tr->batch, &tr->rec, line, len,
	    MM_BATCH_FEATURES | MM_BATCH_LABELS, err) < 0)
		return -1;
	return mm_table_add(tr->into, &tr->batch, err);
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
	char buf[MM_GEN_MAX_FEATURES][16];
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
		tr->data.kinds[j] = MM_COL_NUM;
		tr->data.cols[j] = mm_xmalloc(n * sizeof(double));
		memcpy(tr->data.cols[j], x + (size_t)j * n,
		    n * sizeof(double));
	}
	free(x);
	mm_gen_pop_release(&pop);
	return MM_OK;
}

/* Put the validation columns in the training data's order. */
static int
align(struct train *tr)
{
	struct mm_table *v = &tr->valid;
	struct mm_strtab *strs;
	double **cols;
	char **names;
	int *kinds, i, j;

	if (v->nfeat != tr->data.nfeat) {
		mm_warnx(prog, "--validate: %d features, the training data "
		    "has %d", v->nfeat, tr->data.nfeat);
		return MM_EINPUT;
	}
	cols = mm_xcalloc((size_t)v->nfeat, sizeof(double *));
	names = mm_xcalloc((size_t)v->nfeat, sizeof(char *));
	kinds = mm_xcalloc((size_t)v->nfeat, sizeof(int));
	strs = mm_xcalloc((size_t)v->nfeat, sizeof(struct mm_strtab));
	for (i = 0; i < v->nfeat; i++) {
		for (j = 0; j < v->nfeat; j++)
			if (strcmp(v->names[j], tr->data.names[i]) == 0)
				break;
		if (j == v->nfeat) {
			mm_warnx(prog, "--validate: feature '%s' missing",
			    tr->data.names[i]);
			free(cols);
			free(names);
			free(kinds);
			free(strs);
			return MM_EINPUT;
		}
		cols[i] = v->cols[j];
		names[i] = v->names[j];
		kinds[i] = v->kinds[j];
		strs[i] = v->strs[j];
	}
	free(v->cols);
	free(v->names);
	free(v->kinds);
	free(v->strs);
	v->cols = cols;
	v->names = names;
	v->kinds = kinds;
	v->strs = strs;
	return MM_OK;
}

/*
 * The version just written loads as mm-predict will load it, before it
 * is staged or made live: a version that does not would stop every
 * mm-predict that follows the store.  0, or -1 with err naming it.
 */
static int
written_loads(const char *dir, const char *version, struct mm_err *err)
{
	char why[sizeof(err->msg)];

	if (mm_version_loads(dir, version, err) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", err->msg);
	return mm_errf(err, MM_ESYS, 0, "version %s was written but does not "
	    "load; not staged or made live: %.400s", version, why);
}

static int
train(struct train *tr)
{
	struct mm_train_job job = { 0 };
	struct mm_train_out out;
	struct mm_err err = { 0 };
	struct mm_store store;
	struct mm_active act;
	struct mm_rng rng;
	struct mm_buf line;
	struct mm_schema cls;
	char version[MM_VERSION_MAX], source[64];
	const char *status, *dir = mm_models_dir(tr->models);
	size_t *rows, n, *tri, *vai, ntr = 0, nva = 0, i, vn = 0, *vr = NULL;
	double t0 = mm_monotonic();
	int nclass = 0, rc = MM_OK, arc, flip;

	/* The classes are the training labels'; labels become class
	   numbers, the positive class of two the second. */
	mm_schema_init(&cls);
	if (mm_encode_classes(&cls, tr->data.labels, tr->data.n,
	    &tr->data.lstrs, tr->positive, &err) < 0 ||
	    mm_encode_labels(&cls, tr->data.labels, tr->data.n,
	    &tr->data.lstrs, &err) < 0 || (tr->validate != NULL &&
	    mm_encode_labels(&cls, tr->valid.labels, tr->valid.n,
	    &tr->valid.lstrs, &err) < 0)) {
		if (tr->validate != NULL && strncmp(err.msg, "row ", 4) == 0)
			mm_err_where(&err, tr->validate);
		mm_perr(prog, &err);
		mm_schema_release(&cls);
		return MM_EINPUT;
	}
	nclass = cls.nclass;
	rows = mm_train_usable(&tr->data, &n);
	if (tr->validate != NULL)
		vr = mm_train_usable(&tr->valid, &vn);
	tri = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	vai = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	if (tr->validate != NULL) {
		memcpy(tri, rows, n * sizeof(size_t));
		ntr = n;
		job.vdata = &tr->valid;
		job.valid = vr;
		nva = vn;
	} else {
		int *y = mm_xmalloc((n ? n : 1) * sizeof(int));
		size_t *a = mm_xmalloc((n ? n : 1) * sizeof(size_t));
		size_t *b = mm_xmalloc((n ? n : 1) * sizeof(size_t));

		/* The same rows are held out whichever class --positive
		   names: the split sees the classes in their natural order. */
		flip = nclass == 2 && (cls.int_classes ?
		    atoi(cls.classes[0]) > atoi(cls.classes[1]) :
		    strcmp(cls.classes[0], cls.classes[1]) > 0);
		for (i = 0; i < n; i++)
			y[i] = flip ? 1 - tr->data.labels[rows[i]] :
			    tr->data.labels[rows[i]];
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
		job.valid = vai;
	}
	if (tr->synthetic)
		snprintf(source, sizeof(source), "synthetic seed %ld",
		    tr->seed);
	else
		snprintf(source, sizeof(source), "batch records");
	job.data = &tr->data;
	job.min_valid = (size_t)tr->cfg.model.min_validation_rows;
	job.train = tri;
	job.ntrain = ntr;
	job.nvalid = nva;
	job.nclass = nclass;
	job.classes = &cls;
	job.max_categories = tr->cfg.drift.max_categories;
	job.model = &tr->cfg.model;
	job.bins = tr->cfg.drift.bins;
	job.threads = tr->threads > 0 ? (int)tr->threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	job.shuffle = tr->shuffle;
	job.now = tr->now;
	job.clock = mm_monotonic;
	job.source = source;
	job.validation = tr->validate ? "file" : "stratified split";
	mm_train_init(&out);
	mm_buf_init(&line);
	if (mm_train_run(&job, &out, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto out;
	}
	{
		struct mm_store_file files[3] = {
			{ "model.json", out.model.p, out.model.n },
			{ "reference.json", out.reference.p,
			    out.reference.n },
			{ "card.json", out.card.p, out.card.n },
		};

		if (mm_store_open(&store, dir, 1, 0, &err) != 0) {
			mm_perr(prog, &err);
			rc = err.code;
			goto out;
		}
		arc = mm_store_read_active(dir, &act, &err);
		if (arc < 0 || mm_store_write_version(&store, tr->now, files,
		    3, version, sizeof(version), &err) < 0 ||
		    written_loads(dir, version, &err) < 0 ||
		    (tr->stage && mm_store_stage(&store, version, tr->now,
		    &err) < 0) || ((tr->activate || (!tr->stage &&
		    arc == 1)) && mm_store_activate(&store, version,
		    out.scores.f1, tr->now, &err) < 0)) {
			mm_perr(prog, &err);
			rc = err.code;
			mm_store_close(&store);
			goto out;
		}
		mm_store_close(&store);
		status = tr->stage ? "staged" : tr->activate || arc == 1 ?
		    "active" : "stored";
	}
	mm_buf_printf(&line, "{\"version\":\"%s\",\"status\":\"%s\","
	    "\"metrics\":{\"accuracy\":", version, status);
	mm_jw_num(&line, out.scores.accuracy);
	mm_buf_puts(&line, ",\"f1\":");
	mm_jw_num(&line, out.scores.f1);
	mm_buf_printf(&line, "},\"rows\":{\"train\":%zu,\"validation\":%zu},"
	    "\"timings\":{\"fit_s\":%.3f,\"total_s\":%.3f}}", ntr, nva,
	    out.fit_s, mm_monotonic() - t0);
	puts(line.p);
out:
	mm_schema_release(&cls);
	mm_train_release(&out);
	mm_buf_release(&line);
	free(tri);
	free(vai);
	free(vr);
	free(rows);
	return rc;
}

int
main(int argc, char **argv)
{
	struct train tr;
	struct mm_optstate st = { .prog = "mm-train",
	    .synopsis = "[--models DIR] [--config DIR] [--stage | --activate] "
	    "[--validate FILE]\n"
	    " [--positive LABEL] [--now TS] [--threads N] [--shuffle-labels]\n"
	    " [--skip-bad]"
	    " [--max-record BYTES] [FILE ...]\n"
	    "--synthetic [--rows N] [--seed N] [--models DIR] "
	    "[--config DIR]\n"
	    " [--stage | --activate] [--now TS] [--threads N]",
	    .about = "Train a random forest on labelled batch records and "
	    "write it as a new model version." };
	struct mm_err err = { 0 };
	const double *now = NULL;	/* --now, or NULL: the clock */
	int o, rc = MM_OK;

	memset(&tr, 0, sizeof(tr));
	tr.run.prog = prog;
	mm_table_init(&tr.data);
	mm_table_init(&tr.valid);
	tr.rows = 5000;
	tr.seed = 42;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
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
		case O_POSITIVE: tr.positive = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &tr.at, &now) < 0)
				return MM_EINPUT;
			break;
		case O_THREADS:
			if (mm_opt_long(&st, "threads", 1, 8, &tr.threads) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: tr.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &tr.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (tr.stage && tr.activate) {
		mm_warnx(prog, "--stage and --activate exclude each other");
		return MM_EINPUT;
	}
	if (tr.positive != NULL && *tr.positive == '\0') {
		mm_warnx(prog, "--positive needs a label");
		return MM_EINPUT;
	}
	if (tr.synthetic && st.ind < argc) {
		mm_warnx(prog, "--synthetic takes no input files");
		return MM_EINPUT;
	}
	tr.now = mm_clock_sec(now);
	if (mm_config_load(&tr.cfg, tr.config, MM_CFG_MODEL | MM_CFG_DRIFT,
	    &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_batch_init(&tr.batch);
	mm_rec_init(&tr.rec);
	tr.into = &tr.data;
	if (tr.synthetic)
		rc = synthetic(&tr);
	else
		rc = mm_run(&tr.run, argc - st.ind, argv + st.ind, on_line,
		    &tr);
	tr.into = &tr.valid;
	if (rc == MM_OK && tr.validate != NULL)
		rc = mm_run(&tr.run, 1, &tr.validate, on_line, &tr);
	mm_batch_release(&tr.batch);
	mm_rec_release(&tr.rec);
	if (rc == MM_OK && tr.data.n == 0) {
		mm_warnx(prog, "no training rows");
		rc = MM_EINPUT;
	}
	if (rc == MM_OK && tr.validate != NULL)
		rc = align(&tr);
	mm_run_skipped(&tr.run);
	if (rc == MM_OK)
		rc = train(&tr);
	mm_table_release(&tr.data);
	mm_table_release(&tr.valid);
	return mm_run_finish(&tr.run, rc);
}
