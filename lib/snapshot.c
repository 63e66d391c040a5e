/*
 * snapshot.c - the executor's exactly-once bookkeeping (retrain.h):
 * retrain snapshots begun and finished, the decision_history row, the
 * version a retrain left, and the pending snapshots of runs that died
 * settled.  Apart from retrain.c, which decides and trains: this is
 * what makes a rerun find what an earlier run did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "retrain.h"

static double
now(const struct mm_exec *x)
{
	return mm_clock(x->now);
}

const char *const mm_snap_names[MM_SNAP_N] = {
	"pending", "executed", "skipped", "failed"
};

int
mm_history_add(struct mm_db *db, const struct mm_history *h, double at,
    struct mm_err *err)
{
	struct mm_stmt *st;
	int rc = 0;

	st = mm_db_cached(db, "INSERT INTO decision_history (ts, source, "
	    "action, reason, metadata, exec_status, exec_detail, "
	    "model_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9)", err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, h->ts);
	mm_bind_text(st, 2, h->source, -1);
	mm_bind_text(st, 3, h->action, -1);
	mm_bind_text(st, 4, h->reason, -1);
	if (h->meta != NULL)
		mm_bind_text(st, 5, h->meta, (int)h->meta_len);
	else
		mm_bind_text(st, 5, "{}", 2);
	mm_bind_text(st, 6, h->status, -1);
	mm_bind_text(st, 7, h->detail, -1);
	if (h->version != NULL && h->version[0] != '\0')
		mm_bind_text(st, 8, h->version, -1);
	else
		mm_bind_null(st, 8);
	mm_bind_double(st, 9, at);
	if (mm_step(st) != MM_DONE)
		rc = mm_db_err(db, err, "cannot record the decision");
	mm_reset(st);
	return rc;
}

static int
snap_parse(const char *s)
{
	int i;

	for (i = 0; i < MM_SNAP_N; i++)
		if (s != NULL && strcmp(s, mm_snap_names[i]) == 0)
			return i;
	return -1;
}

int
mm_snapshot_get(struct mm_db *db, const char *key, struct mm_snapshot *s,
    struct mm_err *err)
{
	struct mm_stmt *st;
	const char *v, *d;
	int rc;

	memset(s, 0, sizeof(*s));
	st = mm_db_prepare(db, "SELECT status, n_rows, max_evidence_id, "
	    "version, detail FROM retrain_snapshots WHERE key = ?1", err);
	if (st == NULL)
		return -1;
	mm_bind_text(st, 1, key, -1);
	rc = mm_step(st);
	if (rc == MM_ROW) {
		s->status = snap_parse((const char *)mm_col_text(st,
		    0));
		s->n_rows = (long)mm_col_int64(st, 1);
		s->max_id = (long)mm_col_int64(st, 2);
		v = (const char *)mm_col_text(st, 3);
		d = (const char *)mm_col_text(st, 4);
		snprintf(s->version, sizeof(s->version), "%s", v ? v : "");
		snprintf(s->detail, sizeof(s->detail), "%s", d ? d : "");
		rc = s->status < 0 ? -1 : 0;
		mm_finalize(st);
		if (rc < 0) {
			mm_errf(err, MM_ESYS, 0, "corrupt: retrain snapshot "
			    "with an unknown status");
			mm_err_where(err, db->path);
		}
		return rc;
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read retrain_snapshots");
	return 1;
}

/*
 * The detail of a snapshot settled failed because its run died before
 * it wrote a version: the one failure begin takes up again.
 */
#define INTERRUPTED "interrupted before a version was written"

int
mm_snapshot_interrupted(const struct mm_snapshot *s)
{
	return s->status == MM_SNAP_FAILED && strncmp(s->detail, INTERRUPTED,
	    sizeof(INTERRUPTED) - 1) == 0;
}

/*
 * The attempts a pending or interrupted snapshot has had: its detail
 * says "attempt n"; one written before they were counted had one.
 */
static long
attempts(const struct mm_snapshot *s)
{
	const char *p = strstr(s->detail, "attempt ");
	long n = p != NULL ? strtol(p + 8, NULL, 10) : 1;

	return n > 0 ? n : 1;
}

/* Run st (prepared, bound) to its end; 0, or -1 with err. */
static int
run(struct mm_db *db, struct mm_stmt *st, const char *what, struct mm_err *err)
{
	int rc = 0;

	if (mm_step(st) != MM_DONE)
		rc = mm_db_err(db, err, what);
	mm_finalize(st);
	return rc;
}

int
mm_snapshot_begin(struct mm_db *db, const char *key, long n_rows,
    long max_id, double at, struct mm_err *err)
{
	struct mm_snapshot s;
	struct mm_stmt *st;
	char detail[32];
	long tries = 0;
	int rc;

	if (mm_db_begin(db, err) < 0)
		return -1;
	if ((rc = mm_snapshot_get(db, key, &s, err)) < 0)
		goto fail;
	if (rc == 0 && s.status != MM_SNAP_PENDING &&
	    !mm_snapshot_interrupted(&s)) {
		mm_db_rollback(db);
		return 1;
	}
	if (rc == 0)
		tries = attempts(&s);
	/* Tries used up: pending, the count kept, to be finished failed. */
	snprintf(detail, sizeof(detail), "attempt %ld",
	    tries < MM_RETRAIN_TRIES ? tries + 1 : tries);
	st = mm_db_prepare(db, rc == 1 ? "INSERT INTO retrain_snapshots (key, "
	    "status, n_rows, max_evidence_id, detail, created_at, updated_at) "
	    "VALUES (?1, 'pending', ?2, ?3, ?5, ?4, ?4)" : "UPDATE "
	    "retrain_snapshots SET status = 'pending', n_rows = ?2, "
	    "max_evidence_id = ?3, version = NULL, detail = ?5, updated_at = "
	    "?4 WHERE key = ?1", err);
	if (st == NULL)
		goto fail;
	mm_bind_text(st, 1, key, -1);
	mm_bind_int64(st, 2, n_rows);
	mm_bind_int64(st, 3, max_id);
	mm_bind_double(st, 4, at);
	mm_bind_text(st, 5, detail, -1);
	if (run(db, st, "cannot update retrain_snapshots", err) < 0 ||
	    mm_db_commit(db, err) < 0)
		goto fail;
	return tries < MM_RETRAIN_TRIES ? 0 : 2;
fail:
	mm_db_rollback(db);
	return -1;
}

int
mm_snapshot_finish(struct mm_db *db, const char *key, int status,
    const char *version, const char *detail, const struct mm_history *h,
    double at, struct mm_err *err)
{
	struct mm_snapshot s;
	struct mm_stmt *st;
	int rc;

	if (status != MM_SNAP_EXECUTED && status != MM_SNAP_SKIPPED &&
	    status != MM_SNAP_FAILED)
		return mm_errf(err, MM_ESYS, 0, "a retrain cannot finish "
		    "%s", status >= 0 && status < MM_SNAP_N ?
		    mm_snap_names[status] : "so");
	if (mm_db_begin(db, err) < 0)
		return -1;
	if ((rc = mm_snapshot_get(db, key, &s, err)) < 0)
		goto fail;
	if (rc == 1 || s.status != MM_SNAP_PENDING) {
		mm_errf(err, MM_ESYS, 0, "retrain snapshot %.16s is %s, not "
		    "pending", key, rc == 1 ? "missing" :
		    mm_snap_names[s.status]);
		goto fail;
	}
	st = mm_db_prepare(db, "UPDATE retrain_snapshots SET status = ?2, "
	    "version = ?3, detail = ?4, updated_at = ?5 WHERE key = ?1", err);
	if (st == NULL)
		goto fail;
	mm_bind_text(st, 1, key, -1);
	mm_bind_text(st, 2, mm_snap_names[status], -1);
	if (version != NULL && version[0] != '\0')
		mm_bind_text(st, 3, version, -1);
	else
		mm_bind_null(st, 3);
	mm_bind_text(st, 4, detail, -1);
	mm_bind_double(st, 5, at);
	if (run(db, st, "cannot update retrain_snapshots", err) < 0)
		goto fail;
	if (status == MM_SNAP_EXECUTED &&
	    mm_evidence_consume(db, s.max_id, err) < 0)
		goto fail;
	if (h != NULL && mm_history_add(db, h, at, err) < 0)
		goto fail;
	if (mm_db_commit(db, err) < 0)
		goto fail;
	return 0;
fail:
	mm_db_rollback(db);
	return -1;
}

int
mm_retrain_find_version(const char *models, const char *key, char *version,
    size_t size, struct mm_err *err)
{
	char **names, *card, needle[MM_SHA_HEX + 20];
	size_t len;
	int n, i, rc = 1;

	if (mm_store_list(models, &names, &n, err) < 0)
		return -1;
	snprintf(needle, sizeof(needle), "\"retrain_key\":\"%s\"", key);
	for (i = n - 1; i >= 0 && rc == 1; i--) {
		if (mm_store_read_file(models, names[i], "card.json", &card,
		    &len, err) < 0) {
			/* A version without a card is no retrain's. */
			if (err->code != MM_EINPUT)
				rc = -1;
			continue;
		}
		if (strstr(card, needle) != NULL) {
			snprintf(version, size, "%s", names[i]);
			rc = 0;
		}
		free(card);
	}
	if (rc == 1)
		memset(err, 0, sizeof(*err));
	mm_store_list_free(names, n);
	return rc;
}

int
mm_version_loads(const char *models, const char *version,
    struct mm_err *err)
{
	struct mm_model m;
	char why[sizeof(err->msg)];

	if (mm_model_load(&m, models, version, err) == 0) {
		mm_model_release(&m);
		return 0;
	}
	/* One message, the file first: callers name the version before. */
	if (err->where[0] != '\0') {
		snprintf(why, sizeof(why), "%s", err->msg);
		snprintf(err->msg, sizeof(err->msg), "%.200s: %.300s",
		    err->where, why);
		err->where[0] = '\0';
	}
	return -1;
}

/* Loaded first: no version that would not load is made live. */
int
mm_retrain_make_live(const struct mm_exec *x, struct mm_store *s,
    const char *version, struct mm_err *err)
{
	double f1;

	if (mm_version_loads(x->models, version, err) < 0)
		return 1;
	if (mm_store_card_f1(x->models, version, &f1, err) < 0)
		return -1;
	return mm_store_activate(s, version, f1, now(x), err) < 0 ? -1 : 0;
}

int
mm_retrain_settle(const struct mm_exec *x, struct mm_store *s,
    const char *mine, struct mm_err *err)
{
	struct mm_stmt *st;
	struct mm_snapshot sn;
	char key[MM_SHA_HEX], version[MM_VERSION_MAX];
	char detail[MM_DETAIL_MAX], meta[MM_SHA_HEX + 20];
	/* Its decision died with its run: the audit says what became of it. */
	struct mm_history h = { 0, "mm-exec", "retrain", "a retrain whose "
	    "run died, settled by a later run", NULL, 0, NULL, NULL, NULL };
	int rc, found, n = 0;

	for (;;) {
		st = mm_db_prepare(x->db, "SELECT key FROM retrain_snapshots "
		    "WHERE status = 'pending' AND key != ?1 ORDER BY id LIMIT "
		    "1", err);
		if (st == NULL)
			return -1;
		mm_bind_text(st, 1, mine ? mine : "", -1);
		rc = mm_step(st);
		if (rc == MM_ROW)
			snprintf(key, sizeof(key), "%s",
			    mm_col_text(st, 0));
		mm_finalize(st);
		if (rc == MM_DONE)
			return n;
		if (rc != MM_ROW)
			return mm_db_err(x->db, err, "cannot read "
			    "retrain_snapshots");
		if ((found = mm_retrain_find_version(x->models, key, version,
		    sizeof(version), err)) < 0 ||
		    mm_snapshot_get(x->db, key, &sn, err) < 0)
			return -1;
		snprintf(meta, sizeof(meta), "{\"retrain_key\":\"%s\"}", key);
		h.ts = now(x);
		h.meta = meta;
		h.meta_len = strlen(meta);
		h.detail = detail;
		h.version = NULL;
		if (found == 1) {
			/* Taken up again if that evidence comes back. */
			snprintf(detail, sizeof(detail), INTERRUPTED
			    " (attempt %ld)", attempts(&sn));
			h.status = mm_snap_names[MM_SNAP_FAILED];
			if (mm_snapshot_finish(x->db, key, MM_SNAP_FAILED,
			    NULL, detail, &h, now(x), err) < 0)
				return -1;
			continue;
		}
		if ((rc = mm_retrain_make_live(x, s, version, err)) < 0)
			return -1;
		if (rc == 1) {
			snprintf(detail, sizeof(detail), "version %s of an "
			    "interrupted retrain does not load; not made "
			    "live: %.300s", version, err->msg);
			memset(err, 0, sizeof(*err));
		}
		if (rc == 0)
			snprintf(detail, sizeof(detail), "completed after an "
			    "interruption");
		h.status = mm_snap_names[rc == 0 ? MM_SNAP_EXECUTED :
		    MM_SNAP_FAILED];
		h.version = rc == 0 ? version : NULL;
		if (mm_snapshot_finish(x->db, key, rc == 0 ?
		    MM_SNAP_EXECUTED : MM_SNAP_FAILED, h.version, detail, &h,
		    now(x), err) < 0)
			return -1;
		n += rc == 0;
	}
}
