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
#include "drifter.h"
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
	struct mm_drifter d;
	const char *by;
	long window;
	int fail_level;		/* -1, or enum mm_status */
	struct mm_run run;
	struct mm_buf out;

	/* --fit: every value of every feature. */
	struct mm_batch batch;
	struct mm_rec rec;
	struct mm_ref ref;
	struct mm_table fit;

	/* --merge: groups in first-seen order. */
	struct mm_merge merge;
};

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
		if (mm_drifter_score(&p->d, g->counts, g->rows, err) < 0)
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
		    p->d.out.p);
	}
	return 0;
}

static void
psi_release(struct psi *p)
{
	/* The groups are of the drifter's reference: freed before it. */
	if (p->merge.ref != NULL)
		mm_merge_release(&p->merge);
	mm_drifter_release(&p->d);
	mm_table_release(&p->fit);
	mm_ref_release(&p->ref);
	mm_batch_release(&p->batch);
	mm_rec_release(&p->rec);
	mm_buf_release(&p->out);
}

/* One batch record in PSI or --counts mode, out at once. */
static int
do_batch(struct psi *p, char *line, size_t len, struct mm_err *err)
{
	mm_buf_reset(&p->out);
	if (mm_drifter_line(&p->d, line, len, p->mode == COUNTS, &p->out,
	    err) < 0)
		return -1;
	if (fwrite(p->out.p, 1, p->out.n, stdout) != p->out.n)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
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
	struct mm_say say = { mm_say_stderr, (void *)prog };
	const char *ref = NULL, *models = NULL, *config = NULL;
	int rc = MM_OK, worst;

	memset(&p, 0, sizeof(p));
	p.run.prog = prog;
	mm_batch_init(&p.batch);
	mm_rec_init(&p.rec);
	mm_buf_init(&p.out);
	p.window = 1;
	p.fail_level = -1;
	mm_drifter_init(&p.d, &p.cfg.drift, 1, &say);
	if ((rc = parse_args(&p, &st, argc, argv, &ref, &models,
	    &config)) < 0) {
		psi_release(&p);
		return rc == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
	}
	mm_merge_init(&p.merge, &p.d.ref, p.by);
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
	p.d.cfg = p.cfg.drift;
	p.d.window = p.window;
	if (p.mode != FIT && mm_drifter_load(&p.d, ref, ref == NULL ?
	    mm_models_dir(models) : NULL, &err) < 0) {
		mm_perr(prog, &err);
		psi_release(&p);
		return err.code;
	}
	rc = mm_run(&p.run, argc - st.ind, argv + st.ind, on_line, &p);
	if (rc == MM_OK && p.mode == FIT && finish_fit(&p, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	if (rc == MM_OK && p.mode == MERGE && finish_merge(&p, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	worst = p.d.worst;
	psi_release(&p);
	/* A write error outranks the check: the output is not all there. */
	rc = mm_run_finish(&p.run, rc);
	if (rc == MM_OK && p.fail_level >= 0 && worst >= p.fail_level)
		rc = MM_ECHECK;
	return rc;
}
