/*
 * mm-decide - turn metrics, drift and trust into a decision.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "decider.h"
#include "db.h"
#include "evidence.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"
#include "metrics.h"
#include "policy.h"
#include "pool.h"
#include "psi.h"
#include "replay.h"
#include "store.h"

static const char *prog = "mm-decide";

enum {
	O_CONFIG, O_DB, O_MODELS, O_BASELINE, O_STAGED, O_FAILON, O_REPLAY,
	O_FROM, O_TO, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_DB] = { "db", 0, "FILE", "seed recent decisions from this "
	    "database" },
	[O_MODELS] = { "models", 0, "DIR", "baseline F1 and staged candidate "
	    "from this store" },
	[O_BASELINE] = { "baseline-f1", 0, "X", "baseline F1 (instead of the "
	    "store's)" },
	[O_STAGED] = { "staged", 0, NULL, "a candidate is staged (instead of "
	    "the store's)" },
	[O_FAILON] = { "fail-on", 0, "LIST", "exit 1 if any of these actions "
	    "was decided" },
	[O_REPLAY] = { "replay", 0, NULL, "recompute the decisions stored in "
	    "--db" },
	[O_FROM] = { "from", 0, "TS", "with --replay: decisions at or after "
	    "TS" },
	[O_TO] = { "to", 0, "TS", "with --replay: decisions at or before TS" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct decide {
	struct mm_config cfg;
	struct mm_decider d;
	unsigned fail_mask, decided_mask;
	struct mm_run run;
	struct mm_buf out;
};

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct decide *d = ctx;

	mm_buf_reset(&d->out);
	if (mm_decider_line(&d->d, line, len, &d->out, err) < 0)
		return -1;
	d->decided_mask |= 1u << d->d.dec.action;
	if (fwrite(d->out.p, 1, d->out.n, stdout) != d->out.n)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return mm_db_is_url(path) || stat(path, &st) == 0;
}

static int
replay(const char *dbpath, double from, double to)
{
	struct mm_err err = { 0 };
	struct mm_db db;
	long n = 0, differ = 0;
	int rc = MM_OK;

	if (!exists(mm_db_path(dbpath))) {
		mm_warnx(prog, "%s: no such database to replay",
		    mm_db_path(dbpath));
		return MM_EINPUT;
	}
	if (mm_db_open(&db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	rc = mm_replay(&db, from, to, stdout, &n, &differ, &err);
	mm_db_close(&db);
	if (rc < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_warnx(prog, "replayed %ld decision%s, %ld differ%s", n,
	    n == 1 ? "" : "s", differ, differ == 1 ? "s" : "");
	if (differ > 0)
		rc = MM_ECHECK;
	return rc;
}

static int
parse_failon(struct decide *d, const char *list)
{
	char *copy = mm_xstrdup(list), *tok, *save = NULL;
	int a;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((a = mm_action_parse(tok)) < 0) {
			mm_warnx(prog, "--fail-on: '%s' is not an action "
			    "(none, reject, rollback, retrain, promote)", tok);
			free(copy);
			return -1;
		}
		d->fail_mask |= 1u << a;
	}
	free(copy);
	return 0;
}


int
main(int argc, char **argv)
{
	struct decide d;
	struct mm_optstate st = { .prog = "mm-decide",
	    .synopsis = "[--config DIR] [--db FILE] [--models DIR] "
	    "[--baseline-f1 X] [--staged]\n"
	    " [--fail-on LIST] [--skip-bad] [--max-record BYTES] [FILE ...]\n"
	    "--replay [--db FILE] [--from TS] [--to TS]",
	    .about = "Add a decision (none, reject, rollback, retrain, "
	    "promote) to each record, by a pure policy." };
	struct mm_err err = { 0 };
	const char *config = NULL, *dbpath = NULL, *models = NULL;
	double from = -INFINITY, to = INFINITY, baseline = 0;
	int o, rc = MM_OK, do_replay = 0, have_baseline = 0, have_staged = 0;

	memset(&d, 0, sizeof(d));
	d.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CONFIG: config = st.arg; break;
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: models = st.arg; break;
		case O_BASELINE:
			if (mm_opt_double(&st, "baseline-f1", 0, 1,
			    &baseline) < 0)
				return MM_EINPUT;
			have_baseline = 1;
			break;
		case O_STAGED: have_staged = 1; break;
		case O_FAILON:
			if (parse_failon(&d, st.arg) < 0)
				return MM_EINPUT;
			break;
		case O_REPLAY: do_replay = 1; break;
		case O_FROM:
			if (mm_opt_double(&st, "from", -1e12, 1e12, &from) < 0)
				return MM_EINPUT;
			break;
		case O_TO:
			if (mm_opt_double(&st, "to", -1e12, 1e12, &to) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: d.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &d.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (do_replay) {
		if (st.ind < argc) {
			mm_warnx(prog, "--replay reads the database, not "
			    "files");
			return MM_EINPUT;
		}
		rc = replay(dbpath, from, to);
		goto out;
	}
	if (mm_config_load(&d.cfg, config, MM_CFG_RETRAIN, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	/* The store and the database are used when given or present. */
	if (models == NULL && exists(mm_models_dir(NULL)))
		models = mm_models_dir(NULL);
	if (dbpath != NULL || exists(mm_db_path(NULL)))
		dbpath = mm_db_path(dbpath);
	if (mm_decider_open(&d.d, &d.cfg.retrain, models, dbpath, &err) < 0) {
		mm_perr(prog, &err);
		mm_decider_release(&d.d);
		return err.code;
	}
	if (have_baseline)
		mm_decider_baseline(&d.d, baseline);
	if (have_staged)
		mm_decider_staged(&d.d);
	mm_buf_init(&d.out);
	rc = mm_run(&d.run, argc - st.ind, argv + st.ind, on_line, &d);
	if (rc == MM_OK && (d.fail_mask & d.decided_mask))
		rc = MM_ECHECK;
	mm_decider_release(&d.d);
	mm_buf_release(&d.out);
out:
	return mm_run_finish(&d.run, rc);
}
