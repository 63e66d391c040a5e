/*
 * mm-record - store batch metrics and labelled rows in SQLite, passing
 * every record on unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "mm.h"
#include "opt.h"
#include "recorder.h"
#include "run.h"

static const char *prog = "mm-record";

enum {
	O_DB, O_CONFIG, O_NOW, O_GROUP, O_SKIPBAD, O_MAXREC, O_STRICT
};

static const struct mm_opt opts[] = {
	[O_DB] = MM_OPT_DB,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_NOW] = MM_OPT_NOW("time for records without ts (default: the "
	    "clock)"),
	[O_GROUP] = { "group", 0, "N", "records per transaction at most "
	    "(default 512)" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	[O_STRICT] = { "strict", 0, NULL, "exit 1 if a batch_id came with "
	    "other content than the one stored" },
	MM_OPT_END
};

struct record {
	struct mm_db db;
	struct mm_config cfg;
	struct mm_recorder rc;
	double at;
	const double *now;	/* --now, or NULL: the clock */
	long group;
	int strict;
	struct mm_run run;	/* run.in: the line of a warning */
	struct mm_buf pending;	/* lines waiting for their commit */
	long npending;
};

/* Say which batch conflicts with the stored one, on which line. */
static void
warn_conflict(void *ctx, const char *where, long line, const char *id,
    const char *why)
{
	struct mm_err w = { 0 };

	(void)ctx;
	if (where != NULL && where[0] != '\0')
		mm_err_where(&w, where);
	mm_errf(&w, MM_OK, line, "batch '%s' is stored already with other "
	    "content (%s): not stored again", id, why);
	mm_perr(prog, &w);
}

/*
 * Commit the open group, then let its records go downstream: what the
 * next program sees is always stored.
 */
static int
flush(struct record *r, struct mm_err *err)
{
	if (mm_recorder_commit(&r->rc, err) < 0)
		return -1;
	r->npending = 0;
	return mm_run_write(&r->pending, err);
}

static int
do_record(struct record *r, char *line, size_t len, struct mm_err *err)
{
	int rc;

	r->rc.where = r->run.in != NULL ? r->run.in->name : NULL;
	r->rc.line = r->run.in != NULL ? r->run.in->lineno : 0;
	if ((rc = mm_recorder_line(&r->rc, line, len, err)) < 0)
		return -1;
	if (rc == MM_RECORD_CONFLICT)
		warn_conflict(r, r->rc.where, r->rc.line, r->rc.batch.id,
		    r->rc.why);
	mm_buf_put(&r->pending, line, len);
	mm_buf_putc(&r->pending, '\n');
	r->npending++;
	return 0;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct record *r = ctx;

	if (do_record(r, line, len, err) < 0)
		return -1;
	return r->npending >= r->group ? flush(r, err) : 0;
}

/* Input would block: what is read is stored and passed on now. */
static int
on_idle(void *ctx, struct mm_err *err)
{
	struct record *r = ctx;

	return r->npending > 0 ? flush(r, err) : 0;
}

/*
 * Keep every good record before a bad one, stored and passed; after a
 * storage error, nothing of the open group.
 */
static int
on_end(void *ctx, int rc, struct mm_err *err)
{
	struct record *r = ctx;

	if (rc == MM_OK || rc == MM_EINPUT)
		return flush(r, err);
	mm_recorder_rollback(&r->rc);
	return 0;
}

int
main(int argc, char **argv)
{
	struct record r;
	struct mm_optstate st = { .prog = "mm-record",
	    .synopsis = "[--db FILE] [--config DIR] [--now TS] [--group N] "
	    "[--skip-bad]\n"
	    " [--strict] [--max-record BYTES] [FILE ...]",
	    .about = "Store each batch's metrics and labelled rows in SQLite "
	    "and pass every record on unchanged." };
	struct mm_err err = { 0 };
	struct mm_say say = { mm_say_stderr, (void *)prog };
	const char *dbpath = NULL, *config = NULL;
	int o, rc = MM_OK;

	memset(&r, 0, sizeof(r));
	r.run.prog = prog;
	r.run.idle = on_idle;
	r.run.end = on_end;
	r.group = 512;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &r.at, &r.now) < 0)
				return MM_EINPUT;
			break;
		case O_GROUP:
			if (mm_opt_long(&st, "group", 1, 100000, &r.group) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: r.run.skip_bad = 1; break;
		case O_STRICT: r.strict = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &r.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_config_load(&r.cfg, config, MM_CFG_RETRAIN, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (mm_db_open(&r.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	/* A record waits for its commit, never for a checkpoint. */
	if (mm_db_checkpoint_behind(&r.db, &err) < 0) {
		mm_perr(prog, &err);
		mm_db_close(&r.db);
		return err.code;
	}
	mm_buf_init(&r.pending);
	if (mm_recorder_open(&r.rc, &r.db, r.cfg.retrain.buffer_rows, r.now,
	    &say, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto out;
	}
	/* On a server, a group's batches go in a few statements. */
	mm_recorder_defer(&r.rc, warn_conflict, &r);
	rc = mm_run(&r.run, argc - st.ind, argv + st.ind, on_line, &r);
	mm_run_skipped(&r.run);
	/* Replays are silent: only a conflict makes the count worth saying. */
	if (r.rc.conflicts > 0)
		mm_warnx(prog, "%ld duplicate batch%s not stored again, %ld of "
		    "them conflicting", r.rc.duplicates, r.rc.duplicates == 1 ?
		    "" : "es", r.rc.conflicts);
	if (rc == MM_OK && r.strict && r.rc.conflicts > 0)
		rc = MM_ECHECK;
out:
	mm_recorder_close(&r.rc);
	mm_buf_release(&r.pending);
	mm_db_close(&r.db);
	return mm_run_finish(&r.run, rc);
}
