#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

/* A statement that could not step to its end: what SQLite says. */
static int
step_err(struct mm_db *db, struct mm_stmt *st, struct mm_err *err,
    const char *what)
{
	mm_db_err(db, err, what);
	mm_finalize(st);
	return -1;
}

int
mm_evidence_horizon(struct mm_db *db, const char *batch_id, double ts,
    long *horizon, struct mm_err *err)
{
	struct mm_stmt *st;
	int rc;

	*horizon = MM_HORIZON_ALL;
	if (batch_id != NULL) {
		/*
		 * The batch's metrics row (none: never recorded, no
		 * horizon), and the newest batch of evidence recorded no
		 * later: newest first, each looked up in metrics by its
		 * unique batch_id, so that only batches recorded after this
		 * one are passed over.  CROSS JOIN keeps SQLite to that
		 * order (and is a plain join to PostgreSQL).  One statement,
		 * one read of the log's index.
		 */
		st = mm_db_cached(db, "SELECT m0.id, (SELECT e.id FROM "
		    "evidence_batch e CROSS JOIN metrics m WHERE m.batch_id = "
		    "e.batch_id AND m.id <= m0.id ORDER BY e.id DESC LIMIT 1) "
		    "FROM metrics m0 WHERE m0.batch_id = ?1", err);
		if (st == NULL)
			return -1;
		mm_bind_text(st, 1, batch_id, -1);
		rc = mm_step(st);
		if (rc == MM_ROW)
			*horizon = mm_col_type(st, 1) == MM_NULL ? 0 :
			    (long)mm_col_int64(st, 1);
		else if (rc != MM_DONE)
			mm_db_err(db, err, "cannot read evidence");
		mm_reset(st);
		if (rc == MM_DONE)
			return 1;	/* never recorded: no horizon */
		return rc == MM_ROW ? 0 : -1;
	}
	st = mm_db_cached(db, "SELECT id FROM evidence_batch WHERE ts <= ?1 "
	    "ORDER BY id DESC LIMIT 1", err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, ts);
	rc = mm_step(st);
	if (rc == MM_ROW)
		*horizon = (long)mm_col_int64(st, 0);
	else if (rc == MM_DONE)
		*horizon = 0;
	else
		mm_db_err(db, err, "cannot read evidence");
	mm_reset(st);
	return rc == MM_ROW || rc == MM_DONE ? 0 : -1;
}

void
mm_evidence_init(struct mm_evidence *e)
{
	memset(e, 0, sizeof(*e));
	mm_table_init(&e->rows);
}

void
mm_evidence_release(struct mm_evidence *e)
{
	mm_table_release(&e->rows);
	memset(e, 0, sizeof(*e));
}

/*
 * The newest batch's names at or below horizon into *names (owned), and
 * the number of the newest row past the cap into *floor.  0; 1 when there
 * is no row; -1 with err.
 */
static int
newest(struct mm_db *db, long horizon, long cap, char **names,
    int64_t *floor, struct mm_err *err)
{
	struct mm_stmt *st;
	int rc;

	*floor = INT64_MIN;
	st = mm_db_prepare(db, "SELECT names, id FROM evidence_batch WHERE "
	    "id <= ?1 ORDER BY id DESC LIMIT 1", err);
	if (st == NULL)
		return -1;
	mm_bind_int64(st, 1, horizon);
	rc = mm_step(st);
	if (rc == MM_DONE) {
		mm_finalize(st);
		return 1;
	}
	if (rc != MM_ROW)
		return step_err(db, st, err, "cannot read evidence");
	*names = mm_xstrdup((const char *)mm_col_text(st, 0));
	/*
	 * As mm-record trims, counting rows back from the newest at or
	 * below horizon: rows are numbered without a gap.
	 */
	if (cap > 0)
		*floor = mm_col_int64(st, 1) - cap;
	mm_finalize(st);
	return 0;
}

/* Split names at its commas into *nm (owned, pointing into copy). */
static int
split_names(char *copy, const char ***nm)
{
	char *p;
	int n = 1, i = 0;

	for (p = copy; *p != '\0'; p++)
		n += *p == ',';
	*nm = mm_xcalloc((size_t)n, sizeof(char *));
	for (p = copy;; p++) {
		if (i == 0 || p[-1] == '\0')
			(*nm)[i++] = p;
		if (*p == '\0')
			break;
		if (*p == ',')
			*p = '\0';
	}
	return n;
}

/*
 * A label is a class, as mm-train takes labels: an integer (read whole,
 * not cut to 32 bits) from 0 below MM_MAX_CLASSES.
 */
static int
is_class(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < MM_MAX_CLASSES;
}

/* Count a row left out for its label; the first one is named. */
static void
bad_row(struct mm_evidence *e, const json_t *v, int64_t id)
{
	char *b = e->bad_label;
	size_t n = sizeof(e->bad_label);
	const char *t;

	if (e->bad++ > 0)
		return;
	e->bad_id = (long)id;
	if (json_is_integer(v))
		snprintf(b, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, n, "%.17g", json_real_value(v));
	else if (json_is_string(v)) {
		t = json_string_value(v);
		snprintf(b, n, "'%.20s%s'", t, strlen(t) > 20 ? "..." : "");
	} else
		snprintf(b, n, "null");
}

/* Evidence that is not as mm-record writes it: an error (MM_ESYS). */
static int
corrupt(struct mm_db *db, struct mm_err *err, int64_t id,
    const char *what)
{
	mm_errf(err, MM_ESYS, 0, "corrupt: evidence row %lld %s",
	    (long long)id, what);
	mm_err_where(err, db->path);
	return -1;
}

/*
 * One batch of evidence (st: id, batch_id, n_rows, rows, labels,
 * features) into e: its rows numbered above floor.  0, or -1 with err.
 */
static int
load_batch(struct mm_db *db, struct mm_stmt *st, int64_t floor,
    const char *names, int nf, const double **cols,
    double *row, struct mm_sha *sha, struct mm_evidence *e,
    struct mm_err *err)
{
	int64_t id = mm_col_int64(st, 0), first, num, ix;
	const char *bid = (const char *)mm_col_text(st, 1);
	int64_t n = mm_col_int64(st, 2);
	const char *blob = mm_col_blob(st, 5);
	size_t width = (size_t)nf * sizeof(double), k;
	json_t *rows, *labels, *v;
	char what[96];
	int32_t label;
	int rc = -1;

	rows = json_loads((const char *)mm_col_text(st, 3), 0, NULL);
	labels = json_loads((const char *)mm_col_text(st, 4), 0,
	    NULL);
	first = id - n + 1;
	if (bid == NULL || n < 1 || !json_is_array(rows) ||
	    !json_is_array(labels) || json_array_size(rows) != (size_t)n ||
	    json_array_size(labels) != (size_t)n) {
		corrupt(db, err, first, "begins a batch whose rows and labels "
		    "are not arrays of n_rows");
		goto out;
	}
	if ((size_t)mm_col_bytes(st, 5) != (size_t)n * width) {
		snprintf(what, sizeof(what), "begins %lld rows in %d bytes of "
		    "features; their %d names need %zu", (long long)n,
		    mm_col_bytes(st, 5), nf, (size_t)n * width);
		corrupt(db, err, first, what);
		goto out;
	}
	for (k = 0; k < (size_t)n; k++) {
		num = first + (int64_t)k;
		if (num <= floor)
			continue;
		e->max_id = (long)num;
		v = json_array_get(labels, k);
		if (!is_class(v)) {
			bad_row(e, v, num);
			continue;
		}
		if (!json_is_integer(json_array_get(rows, k))) {
			corrupt(db, err, num, "has a row_index that is not an "
			    "integer");
			goto out;
		}
		ix = (int64_t)json_integer_value(json_array_get(rows,
		    k));
		if (width > 0)
			memcpy(row, blob + k * width, width);
		label = (int32_t)json_integer_value(v);
		mm_table_push(&e->rows, cols, 0, label);
		mm_sha_update(sha, bid, strlen(bid) + 1);
		mm_sha_update(sha, &ix, sizeof(ix));
		mm_sha_update(sha, names, strlen(names) + 1);
		mm_sha_update(sha, row, width);
		mm_sha_update(sha, &label, sizeof(label));
	}
	rc = 0;
out:
	json_decref(rows);
	json_decref(labels);
	return rc;
}

int
mm_evidence_load(struct mm_db *db, long horizon, long cap,
    struct mm_evidence *e, struct mm_err *err)
{
	struct mm_stmt *st = NULL;
	int64_t floor;
	struct mm_sha sha;
	char *names = NULL, *copy = NULL;
	const char **nm = NULL;
	const double **cols = NULL;
	double *row = NULL;
	size_t width;
	int nf, j, rc, hashing = 0;

	e->key[0] = '\0';
	e->max_id = 0;
	e->bad = 0;
	/* No row at or below horizon is still on its way. */
	if (mm_db_settle(db, err) < 0)
		return -1;
	if ((rc = newest(db, horizon, cap, &names, &floor, err)) != 0)
		return rc < 0 ? -1 : 0;
	copy = mm_xstrdup(names);
	nf = names[0] == '\0' ? 0 : split_names(copy, &nm);
	mm_table_set_features(&e->rows, nf, nm);
	width = (size_t)nf * sizeof(double);
	row = mm_xmalloc(width ? width : 1);
	cols = mm_xcalloc(nf ? (size_t)nf : 1, sizeof(double *));
	for (j = 0; j < nf; j++)
		cols[j] = &row[j];
	st = mm_db_prepare(db, "SELECT id, batch_id, n_rows, rows, labels, "
	    "features FROM evidence_batch WHERE id > ?1 AND id <= ?2 AND "
	    "names = ?3 ORDER BY id", err);
	if (st == NULL)
		goto fail;
	mm_bind_int64(st, 1, floor);
	mm_bind_int64(st, 2, horizon);
	mm_bind_text(st, 3, names, -1);
	mm_sha_init(&sha);
	hashing = 1;
	while ((rc = mm_step(st)) == MM_ROW)
		if (load_batch(db, st, floor, names, nf, cols, row,
		    &sha, e, err) < 0)
			goto fail;
	if (rc != MM_DONE) {
		/* Never a key over part of the evidence. */
		mm_db_err(db, err, "cannot read evidence");
		goto fail;
	}
	mm_finalize(st);
	mm_sha_final(&sha, e->key);
	free(row);
	free(cols);
	free(nm);
	free(copy);
	free(names);
	return 0;
fail:
	if (hashing) {
		char junk[MM_SHA_HEX];

		mm_sha_final(&sha, junk);
	}
	mm_finalize(st);
	free(row);
	free(cols);
	free(nm);
	free(copy);
	free(names);
	mm_table_release(&e->rows);
	mm_table_init(&e->rows);
	e->key[0] = '\0';
	e->max_id = 0;
	e->bad = 0;
	return -1;
}

int
mm_evidence_consume(struct mm_db *db, long max_id, struct mm_err *err)
{
	struct mm_stmt *st;

	st = mm_db_prepare(db, "DELETE FROM evidence_batch WHERE id <= ?1",
	    err);
	if (st == NULL)
		return -1;
	mm_bind_int64(st, 1, max_id);
	if (mm_step(st) != MM_DONE)
		return step_err(db, st, err, "cannot consume evidence");
	mm_finalize(st);
	return 0;
}
