/*
 * mm-exec - carry out decisions: the only program that changes the model
 * store unasked.  The executor itself, and the exactly-once protocol of
 * a retrain, are in lib/retrain.c; here records are read and written.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "opt.h"
#include "policy.h"
#include "retrain.h"
#include "run.h"

static const char *prog = "mm-exec";

enum {
	O_DB, O_MODELS, O_CONFIG, O_NOW, O_DRYRUN, O_FAILON, O_SKIPBAD,
	O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_DB] = MM_OPT_DB,
	[O_MODELS] = MM_OPT_MODELS,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_NOW] = MM_OPT_NOW("time of the changes (default: the clock)"),
	[O_DRYRUN] = { "dry-run", 'n', NULL, "change nothing; say what would "
	    "be done" },
	[O_FAILON] = { "fail-on", 0, "LIST", "exit 1 if any decision was one "
	    "of these actions" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct exec {
	struct mm_db db;
	struct mm_config cfg;
	struct mm_exec x;
	double now;
	unsigned fail_mask, seen_mask;
	struct mm_run run;
	struct mm_rec rec, dec, meta;
	struct mm_buf out;
	/*
	 * Decisions that change nothing but the history (none, reject) are
	 * recorded a group to a transaction; their records, and any record
	 * after them, wait in pending for its commit.
	 */
	int open;		/* the group's transaction is open */
	struct mm_buf pending;
	long npending, group;
};

/*
 * Commit the open group, then let its records go downstream: what the
 * next program sees is recorded.
 */
static int
flush(struct exec *e, struct mm_err *err)
{
	if (e->open) {
		if (mm_db_commit(&e->db, err) < 0)
			return -1;	/* MM_ESYS, as every database error */
		e->open = 0;
	}
	e->npending = 0;
	return mm_run_write(&e->pending, err);
}

/* Input would block: what is read is recorded and passed on now. */
static int
on_idle(void *ctx, struct mm_err *err)
{
	struct exec *e = ctx;

	return e->npending > 0 || e->open ? flush(e, err) : 0;
}

/*
 * Keep every good record before a bad one, recorded and passed; after a
 * storage error, nothing of the open group.
 */
static int
on_end(void *ctx, int rc, struct mm_err *err)
{
	struct exec *e = ctx;

	if (rc == MM_OK || rc == MM_EINPUT)
		return flush(e, err);
	if (e->open)
		mm_db_rollback(&e->db);
	e->open = 0;
	mm_buf_reset(&e->pending);
	e->npending = 0;
	return 0;
}

/*
 * A record out, with kv added (or, kv NULL, the line as it came): after
 * the open group's records, in the order read.
 */
static int
put(struct exec *e, const char *line, size_t len, const struct mm_kv *kv,
    struct mm_err *err)
{
	if (kv != NULL)
		mm_rec_put_kv(&e->pending, &e->rec, NULL, kv, 1);
	else {
		mm_buf_put(&e->pending, line, len);
		mm_buf_putc(&e->pending, '\n');
	}
	e->npending++;
	if (e->npending >= e->group || !e->open)
		return flush(e, err);
	return 0;
}

/*
 * What the executor reads from the metadata: the version live when the
 * decision was made (*version, new, and d->decided_for), and the
 * decision's evidence horizon.  Metadata that is not an object, or not
 * one the scanner takes (a key twice), is passed on, not read.
 */
static int
read_meta(struct mm_rec *meta, const struct mm_span *span, char **version,
    struct mm_exec_decision *d, struct mm_err *err)
{
	const struct mm_field *f;
	struct mm_err ignored;
	double h = -1;

	if (span == NULL || span->p[0] != '{' ||
	    mm_rec_parse(meta, span->p, span->n, NULL, NULL, &ignored) < 0)
		return 0;
	d->decided_for = *version = mm_rec_get_string(meta, "model_version");
	f = mm_rec_get(meta, "evidence_horizon");
	if (mm_field_null(f))
		return 0;
	if (mm_field_number(f, &h) != 1 ||
	    !(h >= 0 && h <= 9007199254740992.0 && h == floor(h)))
		return mm_errf(err, MM_EINPUT, 0, "'decision.metadata."
		    "evidence_horizon' is not a whole number of 0 or more");
	d->has_horizon = 1;
	d->horizon = (long)h;
	return 0;
}

static void
exec_json(const struct mm_exec_result *r, struct mm_buf *b)
{
	mm_buf_printf(b, "{\"status\":\"%s\",\"detail\":", r->status);
	mm_jw_str(b, r->detail);
	mm_buf_puts(b, ",\"model_version\":");
	if (r->version[0] != '\0')
		mm_jw_str(b, r->version);
	else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"retrain_key\":");
	if (r->key[0] != '\0')
		mm_jw_str(b, r->key);
	else
		mm_buf_puts(b, "null");
	mm_buf_putc(b, '}');
}

static int
do_record(struct exec *e, char *line, size_t len, struct mm_err *err)
{
	const struct mm_field *f;
	struct mm_exec_decision d;
	struct mm_exec_result r;
	char *action = NULL, *reason = NULL, *batch = NULL, *window = NULL;
	char *version = NULL;
	int rc = -1;

	if (mm_rec_parse(&e->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	if ((f = mm_rec_get(&e->rec, "decision")) == NULL) {
		return put(e, line, len, NULL, err);
	}
	if (mm_rec_parse(&e->dec, f->val.p, f->val.n, NULL, NULL, err) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'decision' is not an "
		    "object");
	memset(&d, 0, sizeof(d));
	action = mm_rec_get_string(&e->dec, "action");
	if (action == NULL || (d.action = mm_action_parse(action)) < 0) {
		mm_errf(err, MM_EINPUT, 0, "'decision.action' is not one of "
		    "none, reject, rollback, retrain, promote");
		goto out;
	}
	f = mm_rec_get(&e->dec, "metadata");
	if (read_meta(&e->meta, f ? &f->val : NULL, &version, &d, err) < 0)
		goto out;
	if (f != NULL) {
		d.meta = f->val.p;
		d.meta_len = f->val.n;
	}
	reason = mm_rec_get_string(&e->dec, "reason");
	d.reason = reason ? reason : "";
	batch = mm_rec_get_string(&e->rec, "batch_id");
	/* A string that decodes to no C string is no id, and not absent. */
	if (batch == NULL && (f = mm_rec_get(&e->rec, "batch_id")) != NULL &&
	    f->val.p[0] == '"') {
		mm_errf(err, MM_EINPUT, 0, "'batch_id' has a \\u escape of a "
		    "NUL");
		goto out;
	}
	window = batch ? NULL : mm_rec_get_string(&e->rec, "window");
	d.batch_id = batch;
	d.window = window != NULL;
	d.source = batch ? batch : window ? window : "record";
	/* A record's time is its own; the clock only for one without. */
	switch (mm_field_number(mm_rec_get(&e->rec, "ts"), &d.ts)) {
	case 0:
		d.ts = mm_clock(e->x.now);
		break;
	case -1:
		mm_errf(err, MM_EINPUT, 0, "'ts' is not a number");
		goto out;
	case -2:
		mm_errf(err, MM_EINPUT, 0, "'ts' is out of range");
		goto out;
	}
	e->seen_mask |= 1u << d.action;
	if (d.action == MM_NONE || d.action == MM_REJECT) {
		/* Only a history row: in the group's transaction. */
		if (!e->x.dry_run && !e->open) {
			if (mm_db_begin(&e->db, err) < 0)
				goto out;
			e->open = 1;
		}
	} else if (flush(e, err) < 0)
		goto out;	/* the rest takes its own transactions */
	if (mm_exec_decision(&e->x, &d, &r, err) < 0)
		goto out;	/* the store or database failed: stop */
	/*
	 * Recorded, and the stream goes on; but nothing changed that was
	 * meant to, and cron mails what is said here.
	 */
	if (strcmp(r.status, "failed") == 0)
		mm_warnx(prog, "%s: %s failed: %s", d.source, action,
		    r.detail);
	mm_buf_reset(&e->out);
	exec_json(&r, &e->out);
	{
		struct mm_kv kv = { "exec", e->out.p, e->out.n };

		rc = put(e, NULL, 0, &kv, err);
	}
out:
	free(version);
	free(action);
	free(reason);
	free(batch);
	free(window);
	return rc;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	return do_record(ctx, line, len, err);
}

static int
parse_failon(struct exec *e, const char *list)
{
	char *copy = mm_xstrdup(list), *tok, *save;
	int a, rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((a = mm_action_parse(tok)) < 0) {
			mm_warnx(prog, "--fail-on: '%s' is not an action "
			    "(none, reject, rollback, retrain, promote)", tok);
			rc = -1;
			break;
		}
		e->fail_mask |= 1u << a;
	}
	if (rc == 0 && e->fail_mask == 0) {
		mm_warnx(prog, "--fail-on: no action given");
		rc = -1;
	}
	free(copy);
	return rc;
}

int
main(int argc, char **argv)
{
	struct exec e;
	struct mm_optstate st = { .prog = "mm-exec",
	    .synopsis = "[--db FILE] [--models DIR] [--config DIR] [--now TS] "
	    "[--dry-run]\n"
	    " [--fail-on LIST] [--skip-bad] [--max-record BYTES] [FILE ...]",
	    .about = "Carry out each record's decision (rollback, promote, "
	    "retrain) and record it." };
	struct mm_err err = { 0 };
	const char *dbpath = NULL, *config = NULL;
	int o, rc;

	memset(&e, 0, sizeof(e));
	e.run.prog = prog;
	e.run.idle = on_idle;
	e.run.end = on_end;
	e.group = 512;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: e.x.models = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &e.now, &e.x.now) < 0)
				return MM_EINPUT;
			break;
		case O_DRYRUN: e.x.dry_run = 1; break;
		case O_FAILON:
			if (parse_failon(&e, st.arg) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: e.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &e.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	e.x.models = mm_models_dir(e.x.models);
	if (mm_config_load(&e.cfg, config, MM_CFG_RETRAIN | MM_CFG_MODEL |
	    MM_CFG_DRIFT, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (mm_db_open(&e.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	/* Behind mm-record, whose commits grow the log: a decision waits
	 * for its commit, never for a checkpoint. */
	if (mm_db_checkpoint_behind(&e.db, &err) < 0) {
		mm_perr(prog, &err);
		mm_db_close(&e.db);
		return err.code;
	}
	e.x.db = &e.db;
	e.x.cfg = &e.cfg;
	mm_rec_init(&e.rec);
	mm_rec_init(&e.dec);
	mm_rec_init(&e.meta);
	mm_buf_init(&e.out);
	rc = mm_run(&e.run, argc - st.ind, argv + st.ind, on_line, &e);
	if (rc == MM_OK && (e.fail_mask & e.seen_mask))
		rc = MM_ECHECK;
	mm_rec_release(&e.rec);
	mm_rec_release(&e.dec);
	mm_rec_release(&e.meta);
	mm_buf_release(&e.out);
	mm_buf_release(&e.pending);
	mm_db_close(&e.db);
	return mm_run_finish(&e.run, rc);
}
