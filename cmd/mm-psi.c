/*
 * mm-psi - population stability index per feature, per batch.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batchin.h"
#include "config.h"
#include "json.h"
#include "merge.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "psi.h"
#include "ref.h"
#include "run.h"
#include "store.h"
#include "table.h"

static const char *prog = "mm-psi";

enum mode { PSI, FIT, COUNTS, MERGE };

enum {
	O_REF, O_MODELS, O_CONFIG, O_WINDOW, O_FAILON, O_THRESHOLD, O_ALPHA,
	O_FIT, O_BINS, O_COUNTS, O_MERGE, O_BY, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_REF] = { "ref", 'r', "FILE", "reference file (default: the active "
	    "version's)" },
	[O_MODELS] = MM_OPT_MODELS,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_WINDOW] = { "window", 'w', "N", "PSI over the last N batches "
	    "together" },
	[O_FAILON] = { "fail-on", 0, "LEVEL", "exit 1 if any batch is "
	    "moderate or severe" },
	[O_THRESHOLD] = { "threshold", 0, "MODE", "'test' (significant and "
	    "large enough) or 'fixed' bands" },
	[O_ALPHA] = { "alpha", 0, "A", "significance level, after "
	    "Benjamini-Hochberg" },
	[O_FIT] = { "fit", 0, NULL, "write a reference fitted on the input" },
	[O_BINS] = { "bins", 0, "N", "bins per feature for --fit (default "
	    "10)" },
	[O_COUNTS] = { "counts", 0, NULL, "emit bin counts instead of PSI" },
	[O_MERGE] = { "merge", 0, NULL, "sum count records and compute PSI" },
	[O_BY] = { "by", 0, "FIELD", "with --merge: one result per value of "
	    "FIELD" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct psi {
	enum mode mode;
	struct mm_config cfg;
	struct mm_ref ref;
	const char *by;
	long window;
	int fail_level;		/* -1, or enum mm_status */
	int worst;		/* worst status seen, -1 before any */
	struct mm_run run;
	int warned_extra;
	const char *models;	/* following this store's live version */
	char version[MM_VERSION_MAX];	/* ... whose reference is loaded */
	struct stat active_st;	/* active.json when last read */

	struct mm_batch batch;
	struct mm_rec rec;
	struct mm_buf out;
	int *colmap;		/* ref feature -> batch column */

	/* Counts of the current batch (the last bin is "missing"). */
	long **counts, rows;
	int *catbins;		/* string index -> bin, for one column */
	size_t ncatbins;
	/* --window: a ring of per-batch counts and their sums. */
	long ***ring, *ring_rows;
	long head;
	long **wsum, wrows;

	/* --fit: every value of every feature. */
	struct mm_table fit;

	/* --merge: groups in first-seen order. */
	struct mm_merge merge;
};

static int follow_store(struct psi *, struct mm_err *);

static void
zero_counts(const struct mm_ref *ref, long **c)
{
	int i;

	for (i = 0; i < ref->nfeat; i++)
		memset(c[i], 0, (size_t)ref->f[i].nbins * sizeof(long));
}

/* Map reference features to the batch's columns. */
static int
map_columns(struct psi *p, struct mm_err *err)
{
	const struct mm_batch *b = &p->batch;
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
		mm_warnx(prog, "ignoring features not in the reference, "
		    "such as '%s'", b->cols[j].name);
		p->warned_extra = 1;
	}
	return 0;
}

/* Count one column into the bins of reference feature i. */
static int
count_column(struct psi *p, int i, const struct mm_col *c,
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
		mm_ref_count(f, c->v, p->batch.n, p->counts[i]);
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
	mm_ref_count_codes(f, c->v, p->batch.n, p->catbins, p->counts[i]);
	return 0;
}

static int
count_batch(struct psi *p, struct mm_err *err)
{
	int i;

	zero_counts(&p->ref, p->counts);
	for (i = 0; i < p->ref.nfeat; i++)
		if (count_column(p, i, &p->batch.cols[p->colmap[i]], err) < 0)
			return -1;
	p->rows = (long)p->batch.n;
	return 0;
}

/* Slide the window: drop the oldest batch, add the current one. */
static void
slide(struct psi *p, long **sum, long *sumrows)
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

static int
emit_drift(struct psi *p, long **counts, long rows, struct mm_err *err)
{
	struct mm_drift d;

	mm_drift_init(&d, p->ref.nfeat);
	if (mm_drift_compute(&d, &p->ref, counts, rows, &p->cfg.drift) < 0) {
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
counts_json(struct psi *p, struct mm_buf *b)
{
	int i, k, first = 1;

	mm_buf_printf(b, "{\"ref\":\"%s\",\"n\":%ld,\"bins\":{", p->ref.id,
	    p->rows);
	for (i = 0; i < p->ref.nfeat; i++) {
		mm_jw_key(b, &first, p->ref.f[i].name);
		mm_buf_putc(b, '[');
		for (k = 0; k < p->ref.f[i].nbins; k++)
			mm_buf_printf(b, k ? ",%ld" : "%ld", p->counts[i][k]);
		mm_buf_putc(b, ']');
	}
	mm_buf_puts(b, "}}");
}

static const char *const row_fields[] = { "features", "labels", "pred",
	"proba", "drift", NULL };

/* One batch record in PSI or --counts mode. */
static int
do_batch(struct psi *p, char *line, size_t len, struct mm_err *err)
{
	if (mm_batch_parse(&p->batch, &p->rec, line, len,
	    MM_BATCH_ID | MM_BATCH_FEATURES, err) < 0)
		return -1;
	if (p->batch.n == 0)
		return mm_errf(err, MM_EINPUT, 0, "batch '%s' has no rows",
		    p->batch.id);
	if (p->models != NULL && follow_store(p, err) < 0)
		return -1;
	if (map_columns(p, err) < 0 || count_batch(p, err) < 0)
		return -1;
	if (p->mode == COUNTS) {
		mm_buf_reset(&p->out);
		counts_json(p, &p->out);
		if (mm_rec_write(stdout, &p->rec, row_fields, "counts",
		    p->out.p, p->out.n) < 0)
			return mm_errf(err, MM_ESYS, 0, "write error: %s",
			    strerror(errno));
		return 0;
	}
	if (p->window > 1) {
		slide(p, p->wsum, &p->wrows);
		if (emit_drift(p, p->wsum, p->wrows, err) < 0)
			return -1;
	} else if (emit_drift(p, p->counts, p->rows, err) < 0) {
		return -1;
	}
	if (mm_rec_write(stdout, &p->rec, NULL, "drift", p->out.p,
	    p->out.n) < 0 || fflush(stdout) != 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

/* --fit: keep every value of every feature. */
static int
do_fit_record(struct psi *p, char *line, size_t len, struct mm_err *err)
{
	if (mm_batch_parse(&p->batch, &p->rec, line, len, MM_BATCH_FEATURES,
	    err) < 0)
		return -1;
	return mm_table_add(&p->fit, &p->batch, err);
}

static int
finish_fit(struct psi *p, struct mm_err *err)
{
	const struct mm_strtab *st;
	const char **strs;
	int i, k, rc;

	if (p->fit.n == 0)
		return mm_errf(err, MM_EINPUT, 0, "no rows to fit a reference "
		    "on");
	p->ref.max_categories = p->cfg.drift.max_categories;
	p->ref.bins = p->cfg.drift.bins;
	for (i = 0; i < p->fit.nfeat; i++) {
		if (p->fit.kinds[i] != MM_COL_STR) {
			rc = mm_ref_add(&p->ref, p->fit.names[i],
			    p->fit.cols[i], p->fit.n, (int)p->cfg.drift.bins,
			    err);
		} else {
			st = &p->fit.strs[i];
			strs = mm_xcalloc((size_t)mm_strtab_count(st) + 1,
			    sizeof(char *));
			for (k = 0; k < mm_strtab_count(st); k++)
				strs[k] = mm_strtab_str(st, k);
			rc = mm_ref_add_cat(&p->ref, p->fit.names[i],
			    p->fit.cols[i], p->fit.n, strs,
			    mm_strtab_count(st),
			    (int)p->cfg.drift.max_categories, err);
			free(strs);
		}
		if (rc < 0)
			return -1;
	}
	mm_ref_finish(&p->ref);
	mm_buf_reset(&p->out);
	mm_ref_json(&p->ref, &p->out);
	fwrite(p->out.p, 1, p->out.n, stdout);
	return 0;
}

/* A count record (merge.h). */
static int
do_merge_record(struct psi *p, char *line, size_t len, struct mm_err *err)
{
	if (mm_rec_parse(&p->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	return mm_merge_record(&p->merge, &p->rec, err);
}

static int
finish_merge(struct psi *p, struct mm_err *err)
{
	struct mm_merge_group *g;
	int i;

	for (i = 0; i < p->merge.ngroups; i++) {
		g = &p->merge.groups[i];
		if (emit_drift(p, g->counts, g->rows, err) < 0)
			return -1;
		putchar('{');
		if (p->by != NULL) {
			struct mm_buf k;

			mm_buf_init(&k);
			mm_jw_str(&k, p->by);
			printf("%s:%s,", k.p, g->key);
			mm_buf_release(&k);
		}
		printf("\"n_records\":%ld,\"drift\":%s}\n", g->records,
		    p->out.p);
	}
	return 0;
}

/* The arrays that follow the reference's shape. */
static void
alloc_state(struct psi *p)
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
free_state(struct psi *p)
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
follow_store(struct psi *p, struct mm_err *err)
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

static int
load_reference(struct psi *p, const char *ref, const char *models,
    struct mm_err *err)
{
	if (ref == NULL) {
		p->models = mm_models_dir(models);
		return follow_store(p, err);
	}
	if (mm_ref_load(&p->ref, ref, err) < 0)
		return -1;
	alloc_state(p);
	return 0;
}

static void
psi_release(struct psi *p)
{
	free_state(p);
	free(p->catbins);
	mm_table_release(&p->fit);
	if (p->merge.ref != NULL)
		mm_merge_release(&p->merge);
	mm_ref_release(&p->ref);
	mm_batch_release(&p->batch);
	mm_rec_release(&p->rec);
	mm_buf_release(&p->out);
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct psi *p = ctx;

	switch (p->mode) {
	case FIT:
		return do_fit_record(p, line, len, err);
	case MERGE:
		return do_merge_record(p, line, len, err);
	default:
		return do_batch(p, line, len, err);
	}
}

static int
parse_args(struct psi *p, struct mm_optstate *st, int argc, char **argv,
    const char **ref, const char **models, const char **config)
{
	const char *threshold = NULL, *failon = NULL;
	double alpha = -1;
	long bins = 0;
	enum mode mode;
	int o;

	while ((o = mm_getopt(st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_REF: *ref = st->arg; break;
		case O_MODELS: *models = st->arg; break;
		case O_CONFIG: *config = st->arg; break;
		case O_WINDOW:
			if (mm_opt_long(st, "window", 1, 1000000,
			    &p->window) < 0)
				return -1;
			break;
		case O_FAILON: failon = st->arg; break;
		case O_THRESHOLD: threshold = st->arg; break;
		case O_ALPHA:
			if (mm_opt_double(st, "alpha", 1e-12, 0.5, &alpha) < 0)
				return -1;
			break;
		case O_FIT:
		case O_COUNTS:
		case O_MERGE:
			mode = o == O_FIT ? FIT :
			    o == O_COUNTS ? COUNTS : MERGE;
			if (p->mode != PSI && p->mode != mode) {
				mm_warnx(prog, "--fit, --counts and --merge "
				    "exclude each other");
				return -1;
			}
			p->mode = mode;
			break;
		case O_BINS:
			if (mm_opt_long(st, "bins", 2, 1000, &bins) < 0)
				return -1;
			break;
		case O_BY: p->by = st->arg; break;
		case O_SKIPBAD: p->run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(st, "max-record",
			    &p->run.max_record) < 0)
				return -1;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_GETOPT_EXIT : -1;
		}
	}
	if (failon != NULL) {
		if (strcmp(failon, "moderate") == 0)
			p->fail_level = MM_MODERATE;
		else if (strcmp(failon, "severe") == 0)
			p->fail_level = MM_SEVERE;
		else {
			mm_warnx(prog, "--fail-on: '%s' is not 'moderate' or "
			    "'severe'", failon);
			return -1;
		}
	}
	if (threshold != NULL && strcmp(threshold, "chi2") == 0) {
		mm_warnx(prog, "--threshold chi2 is now --threshold test "
		    "(deprecated)");
		threshold = "test";
	}
	if (threshold != NULL && strcmp(threshold, "fixed") != 0 &&
	    strcmp(threshold, "test") != 0) {
		mm_warnx(prog, "--threshold: '%s' is not 'test' or 'fixed'",
		    threshold);
		return -1;
	}
	if (p->by != NULL && p->mode != MERGE) {
		mm_warnx(prog, "--by goes with --merge");
		return -1;
	}
	if (p->window > 1 && p->mode != PSI) {
		mm_warnx(prog, "--window goes with PSI mode only");
		return -1;
	}
	if (bins && p->mode != FIT) {
		mm_warnx(prog, "--bins goes with --fit");
		return -1;
	}
	if (p->mode == FIT && (*ref != NULL || *models != NULL)) {
		mm_warnx(prog, "--fit makes a reference; --ref and --models "
		    "do not go with it");
		return -1;
	}
	if ((p->mode == FIT || p->mode == COUNTS) && (failon != NULL ||
	    threshold != NULL || alpha > 0)) {
		mm_warnx(prog, "--fail-on, --threshold and --alpha do not go "
		    "with --%s", p->mode == FIT ? "fit" : "counts");
		return -1;
	}
	/* Options override the config files, which are read later. */
	p->cfg.drift.bins = bins;
	p->cfg.drift.alpha = alpha;
	p->cfg.drift.threshold = threshold == NULL ? -1 :
	    strcmp(threshold, "test") == 0 ? MM_THRESHOLD_TEST :
	    MM_THRESHOLD_FIXED;
	return 0;
}

int
main(int argc, char **argv)
{
	struct psi p;
	struct mm_optstate st = { .prog = "mm-psi",
	    .synopsis = "[--ref FILE | --models DIR] [--window N] "
	    "[--fail-on LEVEL] [--threshold MODE]\n"
	    " [--alpha A] [--config DIR] [--skip-bad] [--max-record BYTES] "
	    "[FILE ...]\n"
	    "--fit [--bins N] [--config DIR] [--skip-bad] "
	    "[--max-record BYTES]\n"
	    " [FILE ...]\n"
	    "--counts [--ref FILE | --models DIR] [--skip-bad]\n"
	    " [--max-record BYTES] [FILE ...]\n"
	    "--merge [--by FIELD] [--ref FILE | --models DIR] "
	    "[--fail-on LEVEL]\n"
	    " [--threshold MODE] [--alpha A] [--config DIR] [--skip-bad]\n"
	    " [--max-record BYTES] [FILE ...]",
	    .about = "Add per-feature PSI drift to each batch record, "
	    "against bin edges fixed at training." };
	struct mm_err err = { 0 };
	struct mm_drift_cfg over;
	const char *ref = NULL, *models = NULL, *config = NULL;
	int rc = MM_OK;

	memset(&p, 0, sizeof(p));
	p.run.prog = prog;
	mm_batch_init(&p.batch);
	mm_rec_init(&p.rec);
	mm_buf_init(&p.out);
	p.window = 1;
	p.fail_level = -1;
	p.worst = -1;
	if ((rc = parse_args(&p, &st, argc, argv, &ref, &models,
	    &config)) < 0) {
		psi_release(&p);
		return rc == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
	}
	mm_merge_init(&p.merge, &p.ref, p.by);
	over = p.cfg.drift;
	if (mm_config_load(&p.cfg, config, MM_CFG_DRIFT, &err) < 0) {
		mm_perr(prog, &err);
		psi_release(&p);
		return err.code;
	}
	if (over.bins)
		p.cfg.drift.bins = over.bins;
	if (over.alpha > 0)
		p.cfg.drift.alpha = over.alpha;
	if (over.threshold >= 0)
		p.cfg.drift.threshold = over.threshold;
	if (p.mode != FIT && load_reference(&p, ref, models, &err) < 0) {
		mm_perr(prog, &err);
		psi_release(&p);
		return err.code;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = mm_run(&p.run, argc - st.ind, argv + st.ind, on_line, &p);
	if (rc == MM_OK && p.mode == FIT && finish_fit(&p, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	if (rc == MM_OK && p.mode == MERGE && finish_merge(&p, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	psi_release(&p);
	/* A write error outranks the check: the output is not all there. */
	rc = mm_run_finish(&p.run, rc);
	if (rc == MM_OK && p.fail_level >= 0 && p.worst >= p.fail_level)
		rc = MM_ECHECK;
	return rc;
}
