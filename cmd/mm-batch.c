/*
 * mm-batch - turn rows, JSON objects or CSV, into batch records.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchid.h"
#include "batchout.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "rowin.h"
#include "rows.h"
#include "run.h"
#include "strtab.h"
#include "timeparse.h"

static const char *prog = "mm-batch";

enum {
	O_CSV, O_JSON, O_ID, O_TS, O_LABEL, O_FEATURES, O_SIZE, O_EVERY,
	O_PREFIX, O_IDPREFIX, O_NOW, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CSV] = { "csv", 0, NULL, "read CSV with a header line" },
	[O_JSON] = { "json", 0, NULL, "read one JSON object per line" },
	[O_ID] = { "id", 0, "NAME", "batch id field (default: batch_id)" },
	[O_TS] = { "ts", 0, "NAME", "time field (default: ts)" },
	[O_LABEL] = { "label", 0, "NAME", "label field (default: label)" },
	[O_FEATURES] = { "features", 0, "LIST", "features, comma separated "
	    "(default: all numeric fields)" },
	[O_SIZE] = { "size", 0, "N", "a batch every N rows" },
	[O_EVERY] = { "every", 0, "SECONDS", "a batch per time window of "
	    "SECONDS (or 30s, 5m, 1h, 1d)" },
	[O_PREFIX] = { "prefix", 0, "P", "batch id prefix with --size, "
	    "--every (default: b)" },
	[O_IDPREFIX] = { "id-prefix", 0, "STR", "with --size, ids STR000000 "
	    "up (default: P, the run's start, a hash)" },
	[O_NOW] = MM_OPT_NOW("ts of batches whose rows have none; the run's "
	    "start"),
	[O_SKIPBAD] = { "skip-bad", 0, NULL, "skip bad rows and count them" },
	[O_MAXREC] = { "max-record", 0, "BYTES", "longest line accepted "
	    "(default 256M)" },
	MM_OPT_END
};

enum group { BY_ID, BY_SIZE, BY_TIME };
enum format { UNKNOWN, JSON, CSV };

/* What is kept of a field name as the batches go. */
struct name {
	int col;		/* column in the current batch, or -1 */
	int warned;		/* reported as an extra field already */
	unsigned long stamp;	/* the last row it appeared in */
};

/* The field names seen, interned, each with its struct name. */
struct nametab {
	struct mm_strtab s;
	struct name *v;
	int cap;
};

struct ivec {
	int *v;
	int n, cap;
};

struct batcher {
	/* Settings. */
	enum group group;
	int group_known;	/* BY_ID is confirmed by the first row */
	long size;
	double every;
	char *prefix;		/* JSON-escaped, like every name below */
	int run_tag;		/* --size: its tag is still to add */
	double at;		/* --now as a number */
	uint64_t head;		/* hash of the lines up to it */
	char *idname, *tsname, *labelname;
	size_t idlen, tslen, labellen;
	int fixed;		/* --features: the columns never change */
	const double *now;	/* --now, or NULL: the clock */
	const char *now_text;	/* --now as given: the ts it writes */
	enum format format;	/* forced, or UNKNOWN */
	struct mm_run run;	/* run.in: the file being read */

	/* The file being read. */
	enum format fmt;	/* b->format, or what its first row is */
	int header;		/* its CSV header is read */

	struct nametab names;
	struct mm_strtab seen;	/* ids of the batches written (BY_ID) */

	/* The current batch. */
	struct mm_batchout out;
	unsigned long nbatches;
	double window;		/* BY_TIME: floor(ts / every) */
	struct mm_buf tstext;	/* its ts as written */

	/* The current row, and the CSV header of the current file. */
	struct mm_rowin in;
	unsigned long seq;
	struct mm_buf rowid;
	struct mm_buf tsnum;	/* its ts, given as an ISO time, in seconds */
	struct ivec newname, newfield, warn;
};

static void
ivec_push(struct ivec *v, int x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->v = mm_xrealloc(v->v, (size_t)v->cap * sizeof(int));
	}
	v->v[v->n++] = x;
}

static int
tab_find(const struct nametab *t, const char *s, size_t n)
{
	return mm_strtab_find(&t->s, s, n);
}

static int
tab_add(struct nametab *t, const char *s, size_t n)
{
	int had = mm_strtab_count(&t->s), k;

	k = mm_strtab_intern(&t->s, s, n);
	if (k < had)
		return k;
	if (k == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = mm_xrealloc(t->v, (size_t)t->cap * sizeof(*t->v));
	}
	t->v[k].col = -1;
	t->v[k].warned = 0;
	t->v[k].stamp = 0;
	return k;
}

static void
tab_release(struct nametab *t)
{
	mm_strtab_release(&t->s);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int
is_name(const struct mm_span *key, const char *name, size_t len)
{
	return key->n == len && memcmp(key->p, name, len) == 0;
}

static int
twice(struct mm_err *err, const struct mm_rowfield *f)
{
	return mm_errf(err, MM_EINPUT, 0, "field '%.*s' appears twice",
	    (int)f->key.n, f->key.p);
}

/*
 * Check the row's features against the batch's columns (or, for the
 * first row of a batch, collect them) without changing the batch.
 */
static int
check_features(struct batcher *b, int isnew, unsigned long seq,
    struct mm_err *err)
{
	struct mm_rowfield *f;
	struct name *nm;
	int i, k;

	b->newname.n = b->newfield.n = b->warn.n = 0;
	for (i = 0; i < b->in.nf; i++) {
		f = &b->in.f[i];
		if (f->named)
			continue;
		if (b->fixed || !isnew) {
			k = tab_find(&b->names, f->key.p, f->key.n);
			if (k >= 0 && b->names.v[k].col >= 0) {
				nm = &b->names.v[k];
				if (nm->stamp == seq)
					return twice(err, f);
				nm->stamp = seq;
				if (f->kind != MM_ROW_NUM &&
				    f->kind != MM_ROW_NULL)
					return mm_rowin_not_number(err, f,
					    "feature");
				b->out.cols[nm->col].field = i;
				continue;
			}
			if (b->fixed || (f->kind != MM_ROW_NUM &&
			    f->kind != MM_ROW_NULL && f->kind != MM_ROW_RANGE))
				continue;
			if (k >= 0 && (b->names.v[k].warned ||
			    b->names.v[k].stamp == seq))
				continue;
			k = tab_add(&b->names, f->key.p, f->key.n);
			b->names.v[k].stamp = seq;
			ivec_push(&b->warn, k);
			continue;
		}
		if (f->kind == MM_ROW_STR || f->kind == MM_ROW_OTHER)
			continue;
		if (f->kind != MM_ROW_NUM && f->kind != MM_ROW_NULL)
			return mm_rowin_not_number(err, f, "feature");
		k = tab_add(&b->names, f->key.p, f->key.n);
		if (b->names.v[k].stamp == seq)
			return twice(err, f);
		b->names.v[k].stamp = seq;
		ivec_push(&b->newname, k);
		ivec_push(&b->newfield, i);
	}
	if (isnew && !b->fixed && b->newname.n == 0)
		return mm_errf(err, MM_EINPUT, 0, "no feature: the first row "
		    "of a batch needs a numeric field");
	return 0;
}

/* The ts of the batch, as JSON, into b->tstext. */
static void
put_ts(struct batcher *b)
{
	long long ms;

	mm_buf_reset(&b->tstext);
	if (b->group == BY_TIME)
		mm_buf_printf(&b->tstext, "%.0f", (b->window + 1) * b->every +
		    0.0);
	else if (b->out.ts.n > 0)
		mm_buf_put(&b->tstext, b->out.ts.p, b->out.ts.n);
	else if (b->now != NULL)
		mm_buf_puts(&b->tstext, b->now_text);
	else {
		ms = (long long)floor(mm_clock(NULL) * 1000);
		mm_buf_printf(&b->tstext, "%lld.%03lld", ms / 1000, ms % 1000);
	}
}

static int
flush(struct batcher *b, struct mm_err *err)
{
	put_ts(b);
	if (mm_batchout_write(&b->out, &b->names.s, b->tstext.p,
	    b->tstext.n, stdout, err) < 0)
		return -1;
	if (b->group == BY_ID)
		mm_strtab_intern(&b->seen, b->out.id.p, b->out.id.n);
	b->out.rows = 0;
	return 0;
}

/* The run's ids carry the run: its start and a hash (batchid.h). */
static void
add_run_tag(struct batcher *b)
{
	char *prefix;

	prefix = mm_batchid_run_prefix(b->prefix, b->head, b->now);
	free(b->prefix);
	b->prefix = prefix;
	b->run_tag = 0;
}

/* Begin a batch with the row just checked; k is its time window. */
static void
start(struct batcher *b, double k)
{
	struct mm_outcol *col;
	int c;

	if (!b->fixed) {
		for (c = 0; c < b->out.ncols; c++)
			b->names.v[b->out.cols[c].name].col = -1;
		b->out.ncols = 0;
		for (c = 0; c < b->newname.n; c++) {
			col = mm_batchout_add_col(&b->out);
			col->name = b->newname.v[c];
			col->field = b->newfield.v[c];
			b->names.v[col->name].col = c;
		}
	}
	mm_batchout_clear(&b->out);
	switch (b->group) {
	case BY_ID:
		mm_buf_put(&b->out.id, b->rowid.p, b->rowid.n);
		break;
	case BY_SIZE:
		if (b->run_tag)
			add_run_tag(b);
		mm_batchid_count(&b->out.id, b->prefix, b->nbatches);
		break;
	case BY_TIME:
		b->window = k;
		mm_batchid_window(&b->out.id, b->prefix, k * b->every);
		break;
	}
	b->nbatches++;
}

static void
append(struct batcher *b, unsigned long seq, const struct mm_rowfield *ts,
    const struct mm_rowfield *label)
{
	const struct mm_rowfield *f;
	struct mm_outcol *col;
	int c;

	for (c = 0; c < b->out.ncols; c++) {
		col = &b->out.cols[c];
		/* Only a field this row has is looked at (it may have none). */
		if (b->names.v[col->name].stamp == seq &&
		    (f = &b->in.f[col->field])->kind == MM_ROW_NUM)
			mm_batchout_value(&b->out, c, &f->val);
		else
			mm_batchout_value(&b->out, c, NULL);
	}
	mm_batchout_row(&b->out, label != NULL ? &label->val : NULL,
	    ts != NULL && b->group != BY_TIME ? &ts->val : NULL);
}

static void
warn_extra(struct batcher *b)
{
	struct mm_err w = { 0 };
	int i, k;

	if (b->warn.n == 0)
		return;
	mm_err_where(&w, b->run.in->name);
	w.line = b->run.in->lineno;
	for (i = 0; i < b->warn.n; i++) {
		k = b->warn.v[i];
		mm_errf(&w, MM_OK, b->run.in->lineno, "ignoring field '%s', "
		    "not in the first row of batch '%.*s'",
		    mm_strtab_str(&b->names.s, k), (int)b->out.id.n - 2,
		    b->out.id.p + 1);
		mm_perr(prog, &w);
		b->names.v[b->warn.v[i]].warned = 1;
	}
}

/*
 * A ts given as an ISO 8601 time ("2026-11-30T12:00:00Z", as logs and
 * CSV exports write it) is taken as its Unix seconds, and written so;
 * anything else stays a string, which the checks after refuse.
 */
static void
iso_ts(struct batcher *b, struct mm_rowfield *ts)
{
	const char *p = ts->val.p;
	size_t n = ts->val.n;
	double t;

	if (!b->in.csv) {
		if (n < 2 || p[0] != '"' || memchr(p, '\\', n) != NULL)
			return;
		p++;
		n -= 2;
	}
	if (mm_parse_timen(p, n, &t) < 0)
		return;
	mm_buf_reset(&b->tsnum);
	mm_jw_num(&b->tsnum, t);
	ts->kind = MM_ROW_NUM;
	ts->num = t;
	ts->val.p = b->tsnum.p;
	ts->val.n = b->tsnum.n;
}

/* A ts that is neither a number nor an ISO 8601 time. */
static int
not_time(struct mm_err *err, const struct mm_rowfield *ts)
{
	if (ts->kind != MM_ROW_STR)
		return mm_rowin_not_number(err, ts, "field");
	return mm_errf(err, MM_EINPUT, 0, "field '%.*s' is not a time (Unix "
	    "seconds or ISO 8601): %.*s", (int)ts->key.n, ts->key.p,
	    mm_rowin_shown(ts), ts->val.p);
}

/* The row's named fields: its id, ts and label. */
struct named {
	struct mm_rowfield *id, *ts, *label;
	double k;		/* BY_TIME: the row's window */
};

/*
 * Find the named fields and which batch the row belongs to: *isnew is
 * set when the row begins a batch.
 */
static int
row_batch(struct batcher *b, struct named *nf, int *isnew,
    struct mm_err *err)
{
	struct mm_rowfield *f, **slot;
	int i;

	memset(nf, 0, sizeof(*nf));
	for (i = 0; i < b->in.nf; i++) {
		f = &b->in.f[i];
		if (is_name(&f->key, b->idname, b->idlen))
			slot = &nf->id;
		else if (is_name(&f->key, b->tsname, b->tslen))
			slot = &nf->ts;
		else if (is_name(&f->key, b->labelname, b->labellen))
			slot = &nf->label;
		else
			continue;
		if (*slot != NULL)
			return twice(err, f);
		*slot = f;
		f->named = 1;
	}
	if (nf->ts != NULL && nf->ts->kind == MM_ROW_NULL)
		nf->ts = NULL;
	if (nf->ts != NULL && nf->ts->kind == MM_ROW_STR)
		iso_ts(b, nf->ts);
	if (nf->label != NULL && nf->label->kind == MM_ROW_NULL)
		nf->label = NULL;
	switch (b->group) {
	case BY_ID:
		if (nf->id == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->idname);
		if (mm_batchid_of_row(&b->rowid, nf->id, b->in.csv,
		    b->idname, err) < 0)
			return -1;
		*isnew = b->out.rows == 0 || b->out.id.n != b->rowid.n ||
		    memcmp(b->out.id.p, b->rowid.p, b->out.id.n) != 0;
		break;
	case BY_SIZE:
		*isnew = b->out.rows == 0;
		break;
	case BY_TIME:
		if (nf->ts == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->tsname);
		if (nf->ts->kind != MM_ROW_NUM)
			return not_time(err, nf->ts);
		nf->k = floor(nf->ts->num / b->every);
		*isnew = b->out.rows == 0 || nf->k != b->window;
		break;
	}
	return 0;
}

/* Check the rest of the row against the batch it belongs to. */
static int
row_check(struct batcher *b, const struct named *nf, int isnew,
    unsigned long seq, struct mm_err *err)
{
	const struct mm_rowfield *f;
	int label;

	if (b->group == BY_ID && isnew &&
	    mm_strtab_find(&b->seen, b->rowid.p, b->rowid.n) >= 0)
		return mm_errf(err, MM_EINPUT, 0, "batch '%.*s' is not "
		    "contiguous", (int)b->rowid.n - 2, b->rowid.p + 1);
	if (b->group == BY_TIME && b->out.rows > 0 && nf->k < b->window)
		return mm_errf(err, MM_EINPUT, 0, "ts %.*s is before the "
		    "window of batch '%.*s'", mm_rowin_shown(nf->ts),
		    nf->ts->val.p, (int)b->out.id.n - 2, b->out.id.p + 1);
	if ((f = nf->ts) != NULL && f->kind != MM_ROW_NUM)
		return not_time(err, f);
	if ((f = nf->label) != NULL && (f->kind != MM_ROW_NUM ||
	    mm_label_parse(f->val.p, f->val.n, &label) < 0))
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is not an "
		    "integer from 0 to %d: %.*s", b->labelname, MM_LABEL_MAX,
		    mm_rowin_shown(f), f->val.p);
	return check_features(b, isnew, seq, err);
}

/* Add the row in b->f to the current batch, or begin the next one. */
static int
take_row(struct batcher *b, struct mm_err *err)
{
	struct named nf;
	struct mm_err werr;
	unsigned long seq = ++b->seq;
	int isnew = 0;

	if (row_batch(b, &nf, &isnew, err) < 0)
		return -1;
	if (row_check(b, &nf, isnew, seq, err) < 0) {
		/*
		 * A bad row of another batch ends the open one; when the
		 * run stops here, that batch is complete and is written.
		 */
		if (isnew && b->out.rows > 0 && !b->run.skip_bad &&
		    flush(b, &werr) < 0)
			*err = werr;
		return -1;
	}
	if (isnew && b->out.rows > 0 && flush(b, err) < 0)
		return -1;
	if (isnew)
		start(b, nf.k);
	warn_extra(b);
	append(b, seq, nf.ts, nf.label);
	if (b->group == BY_SIZE && b->out.rows == (size_t)b->size)
		return flush(b, err);
	return 0;
}

/*
 * A JSON row.  Returns 0, -1 for a bad row, or -2 for an error no row
 * can skip: the first row says how rows are grouped.
 */
static int
json_row(struct batcher *b, const char *line, size_t len,
    struct mm_err *err)
{
	int i, has_id = 0;

	if (mm_rowin_json(&b->in, line, len, err) < 0)
		return -1;
	for (i = 0; i < b->in.nf; i++)
		has_id |= is_name(&b->in.f[i].key, b->idname, b->idlen);
	if (!b->group_known) {
		if (!has_id) {
			mm_errf(err, MM_EINPUT, 0, "no '%s' field in the first "
			    "row: use --size N or --every SECONDS",
			    b->idname);
			return -2;
		}
		b->group_known = 1;
	}
	return 0;
}

/* A CSV header.  Its errors are fatal: -2. */
static int
csv_header(struct batcher *b, const char *line, size_t len,
    struct mm_err *err)
{
	const struct mm_span *col;
	unsigned long seq = ++b->seq;
	int i, k, has_id = 0, has_ts = 0;

	if (mm_rowin_csv_header(&b->in, line, len, err) < 0)
		return -2;
	for (i = 0; i < b->in.nhcol; i++) {
		col = &b->in.hcol[i];
		k = tab_add(&b->names, col->p, col->n);
		if (b->names.v[k].stamp == seq) {
			mm_errf(err, MM_EINPUT, 0, "header: column '%.*s' "
			    "appears twice", (int)col->n, col->p);
			return -2;
		}
		b->names.v[k].stamp = seq;
		has_id |= is_name(col, b->idname, b->idlen);
		has_ts |= is_name(col, b->tsname, b->tslen);
	}
	if (b->group == BY_ID && !has_id) {
		mm_errf(err, MM_EINPUT, 0, "header: no '%s' column%s",
		    b->idname, b->group_known ? "" : ": use --size N or "
		    "--every SECONDS");
		return -2;
	}
	b->group_known = 1;
	if (b->group == BY_TIME && !has_ts) {
		mm_errf(err, MM_EINPUT, 0, "header: no '%s' column",
		    b->tsname);
		return -2;
	}
	for (i = 0; b->fixed && i < b->out.ncols; i++)
		if (b->names.v[b->out.cols[i].name].stamp != seq) {
			mm_errf(err, MM_EINPUT, 0, "header: no column for "
			    "feature '%s'", mm_strtab_str(&b->names.s,
			    b->out.cols[i].name));
			return -2;
		}
	return 0;
}

static void
on_file(void *ctx)
{
	struct batcher *b = ctx;

	b->fmt = b->format;
	b->header = 0;
}

/* A row, or the CSV header; MM_RUN_FATAL for what no row can skip. */
static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct batcher *b = ctx;
	const char *p;
	int rc;

	if (b->run_tag) {
		b->head = mm_fnv(b->head, line, len);
		b->head = mm_fnv(b->head, "\n", 1);
	}
	if (b->run.in->lineno == 1 && len >= 3 &&
	    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;	/* a UTF-8 byte order mark */
		len -= 3;
	}
	p = mm_json_ws(line);
	if (p == line + len)
		return mm_errf(err, MM_EINPUT, 0, "empty line");
	if (b->fmt == UNKNOWN)
		b->fmt = *p == '{' ? JSON : CSV;
	if (b->fmt == CSV && !b->header) {
		if (csv_header(b, line, len, err) < 0)
			return MM_RUN_FATAL;
		b->header = 1;
		return 0;
	}
	rc = b->fmt == JSON ? json_row(b, line, len, err) :
	    mm_rowin_csv(&b->in, line, len, err);
	if (rc == 0)
		rc = take_row(b, err);
	return rc == -2 ? MM_RUN_FATAL : rc;
}

static int
set_features(struct batcher *b, const char *list)
{
	struct mm_outcol *col;
	const char *p = list, *e;
	char *raw, *name;
	int k;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p) {
			mm_warnx(prog, "--features: empty name in '%s'", list);
			return -1;
		}
		raw = mm_xstrndup(p, (size_t)(e - p));
		name = mm_rowin_name(raw);
		free(raw);
		if (strcmp(name, b->idname) == 0 ||
		    strcmp(name, b->tsname) == 0 ||
		    strcmp(name, b->labelname) == 0) {
			mm_warnx(prog, "--features: '%s' is the id, ts or "
			    "label field", name);
			free(name);
			return -1;
		}
		k = tab_add(&b->names, name, strlen(name));
		if (b->names.v[k].col >= 0) {
			mm_warnx(prog, "--features: '%s' appears twice", name);
			free(name);
			return -1;
		}
		free(name);
		col = mm_batchout_add_col(&b->out);
		col->name = k;
		b->names.v[k].col = b->out.ncols - 1;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	b->fixed = 1;
	return 0;
}

static int
parse_args(struct batcher *b, struct mm_optstate *st, int argc, char **argv)
{
	const char *id = "batch_id", *ts = "ts", *label = "label";
	const char *features = NULL, *prefix = NULL, *idprefix = NULL;
	long every = 0;
	double v;
	int o, csv = 0, json = 0;

	while ((o = mm_getopt(st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CSV: csv = 1; break;
		case O_JSON: json = 1; break;
		case O_ID: id = st->arg; break;
		case O_TS: ts = st->arg; break;
		case O_LABEL: label = st->arg; break;
		case O_FEATURES: features = st->arg; break;
		case O_SIZE:
			if (mm_opt_long(st, "size", 1, 1000000000L,
			    &b->size) < 0)
				return -1;
			break;
		case O_EVERY:
			/* 3600, or 1h as mm-aggregate's windows are named. */
			if (mm_parse_length(st->arg, &every) < 0) {
				mm_warnx(prog, "--every: '%s' is not a length "
				    "such as 3600, 30s, 5m, 1h or 1d (366d at "
				    "most)", st->arg);
				return -1;
			}
			break;
		case O_PREFIX: prefix = st->arg; break;
		case O_IDPREFIX: idprefix = st->arg; break;
		case O_NOW:
			if (mm_json_number(st->arg, &v) !=
			    st->arg + strlen(st->arg) || !isfinite(v)) {
				mm_warnx(prog, "--now: '%s' is not a JSON "
				    "number", st->arg);
				return -1;
			}
			b->now_text = st->arg;
			b->at = v;
			b->now = &b->at;
			break;
		case O_SKIPBAD: b->run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(st, "max-record",
			    &b->run.max_record) < 0)
				return -1;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_GETOPT_EXIT : -1;
		}
	}
	if (csv && json) {
		mm_warnx(prog, "--csv and --json exclude each other");
		return -1;
	}
	b->format = csv ? CSV : json ? JSON : UNKNOWN;
	if (b->size > 0 && every > 0) {
		mm_warnx(prog, "--size and --every exclude each other");
		return -1;
	}
	b->group = b->size > 0 ? BY_SIZE : every > 0 ? BY_TIME : BY_ID;
	b->group_known = b->group != BY_ID;
	b->every = (double)every;
	if (prefix != NULL && b->group == BY_ID) {
		mm_warnx(prog, "--prefix goes with --size or --every");
		return -1;
	}
	if (idprefix != NULL && b->group != BY_SIZE) {
		mm_warnx(prog, "--id-prefix goes with --size");
		return -1;
	}
	if (idprefix != NULL && prefix != NULL) {
		mm_warnx(prog, "--prefix and --id-prefix exclude each other");
		return -1;
	}
	if (idprefix != NULL && *idprefix == '\0') {
		mm_warnx(prog, "--id-prefix needs a string: ids that are "
		    "only counts repeat from run to run");
		return -1;
	}
	/* The run's UTC start goes in its ids: a year from 0 to 9999. */
	if (b->group == BY_SIZE && idprefix == NULL && b->now != NULL &&
	    !(b->at >= 0 && b->at < 253402300800.0)) {
		mm_warnx(prog, "--now: '%s' is not a time from 0 to "
		    "253402300799, as --size needs for its ids (or give "
		    "--id-prefix)", b->now_text);
		return -1;
	}
	if (*id == '\0' || *ts == '\0' || *label == '\0') {
		mm_warnx(prog, "--id, --ts and --label need a name");
		return -1;
	}
	if (strcmp(id, ts) == 0 || strcmp(id, label) == 0 ||
	    strcmp(ts, label) == 0) {
		mm_warnx(prog, "--id, --ts and --label must name different "
		    "fields");
		return -1;
	}
	b->prefix = mm_rowin_name(idprefix != NULL ? idprefix : prefix != NULL ?
	    prefix : "b");
	b->run_tag = b->group == BY_SIZE && idprefix == NULL;
	b->head = MM_FNV_BASIS;
	b->idname = mm_rowin_name(id);
	b->tsname = mm_rowin_name(ts);
	b->labelname = mm_rowin_name(label);
	b->idlen = strlen(b->idname);
	b->tslen = strlen(b->tsname);
	b->labellen = strlen(b->labelname);
	if (features != NULL && set_features(b, features) < 0)
		return -1;
	return 0;
}

static void
batcher_release(struct batcher *b)
{
	free(b->prefix);
	free(b->idname);
	free(b->tsname);
	free(b->labelname);
	tab_release(&b->names);
	mm_strtab_release(&b->seen);
	mm_batchout_release(&b->out);
	mm_buf_release(&b->tstext);
	mm_buf_release(&b->tsnum);
	mm_rowin_release(&b->in);
	mm_buf_release(&b->rowid);
	free(b->newname.v);
	free(b->newfield.v);
	free(b->warn.v);
}

int
main(int argc, char **argv)
{
	struct batcher b;
	struct mm_optstate st = { .prog = "mm-batch",
	    .synopsis = "[--csv | --json] [--id NAME] [--ts NAME] "
	    "[--label NAME] [--features LIST]\n"
	    " [--size N | --every SECONDS] [--prefix P | --id-prefix STR]\n"
	    " [--now TS] [--skip-bad] [--max-record BYTES] [FILE ...]",
	    .about = "Group rows, JSON objects or CSV, into batch records." };
	struct mm_err err = { 0 };
	int rc;

	memset(&b, 0, sizeof(b));
	b.run.prog = prog;
	b.run.what = "row";
	b.run.file = on_file;
	mm_rowin_init(&b.in);
	if ((rc = parse_args(&b, &st, argc, argv)) < 0) {
		batcher_release(&b);
		return rc == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = mm_run(&b.run, argc - st.ind, argv + st.ind, on_line, &b);
	if (rc == MM_OK && b.out.rows > 0 && flush(&b, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	batcher_release(&b);
	return mm_run_finish(&b.run, rc);
}
