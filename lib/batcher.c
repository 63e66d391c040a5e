/*
 * batcher.c - rows into batches, and batches out as records (batcher.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchid.h"
#include "batcher.h"
#include "batchout.h"
#include "featset.h"
#include "json.h"
#include "mm.h"
#include "rowin.h"
#include "rows.h"
#include "schema.h"
#include "strtab.h"
#include "timeparse.h"

static void
ivec_push(struct mm_ivec *v, int x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->v = mm_xrealloc(v->v, (size_t)v->cap * sizeof(int));
	}
	v->v[v->n++] = x;
}

void
mm_batcher_init(struct mm_batcher *b, const struct mm_batcher_conf *c)
{
	memset(b, 0, sizeof(*b));
	b->c = *c;
	b->prefix = mm_rowin_name(c->prefix != NULL ? c->prefix : "b");
	b->idname = mm_rowin_name(c->id);
	b->tsname = mm_rowin_name(c->ts);
	b->labelname = mm_rowin_name(c->label);
	b->idlen = strlen(b->idname);
	b->tslen = strlen(b->tsname);
	b->labellen = strlen(b->labelname);
	b->run_tag = c->group == MM_BY_SIZE && c->run_tag;
	b->head = MM_FNV_BASIS;
	mm_featset_init(&b->fs);
	mm_strtab_init(&b->seen);
}

void
mm_batcher_release(struct mm_batcher *b)
{
	free(b->prefix);
	free(b->idname);
	free(b->tsname);
	free(b->labelname);
	mm_featset_release(&b->fs);
	mm_strtab_release(&b->seen);
	mm_batchout_release(&b->b);
	mm_buf_release(&b->tstext);
	mm_buf_release(&b->rowid);
	mm_buf_release(&b->tsnum);
	mm_buf_release(&b->val);
	mm_buf_release(&b->label);
	mm_buf_release(&b->text);
	free(b->warn.v);
	memset(b, 0, sizeof(*b));
}

int
mm_batcher_named(const struct mm_batcher *b, const char *name, size_t n)
{
	return (n == b->idlen && memcmp(name, b->idname, n) == 0) ||
	    (n == b->tslen && memcmp(name, b->tsname, n) == 0) ||
	    (n == b->labellen && memcmp(name, b->labelname, n) == 0);
}

/* A feature named name, escaped already. */
static int
add_feature(struct mm_batcher *b, const char *name, int kind,
    struct mm_err *err)
{
	struct mm_outcol *col;
	size_t n = strlen(name);
	int c;

	if (mm_batcher_named(b, name, n))
		return mm_errf(err, MM_EINPUT, 0, "'%s' is the id, ts or "
		    "label field", name);
	if ((c = mm_featset_add(&b->fs, name, n, kind)) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'%s' appears twice", name);
	col = mm_batchout_add_col(&b->b);
	col->name = b->fs.f[c].name;
	b->fs.listed = 1;
	return 0;
}

int
mm_batcher_feature(struct mm_batcher *b, const char *name, int kind,
    struct mm_err *err)
{
	char *esc = mm_rowin_name(name);
	int rc;

	rc = add_feature(b, esc, kind, err);
	free(esc);
	return rc;
}

int
mm_batcher_schema(struct mm_batcher *b, const struct mm_schema *s,
    struct mm_err *err)
{
	int i;

	for (i = 0; i < s->nfeat; i++)
		if (mm_batcher_feature(b, s->f[i].name, s->f[i].kind,
		    err) < 0)
			return -1;
	return 0;
}

void
mm_batcher_head(struct mm_batcher *b, const char *line, size_t len)
{
	if (!b->run_tag)
		return;
	b->head = mm_fnv(b->head, line, len);
	b->head = mm_fnv(b->head, "\n", 1);
}

/* "the first 3 rows", for messages. */
static const char *
first_rows(unsigned long n, char *buf, size_t size)
{
	if (n == 1)
		return "the first row";
	snprintf(buf, size, "the first %lu rows", n);
	return buf;
}

/* Say msg through the warn hook. */
static void
say(struct mm_batcher *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct mm_batcher *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (b->c.warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->c.warn(b->c.ctx, msg);
}

/* Mark the row's id, ts and label fields named. */
static void
mark_named(struct mm_batcher *b, struct mm_rowin *r)
{
	int i;

	for (i = 0; i < r->nf; i++)
		r->f[i].named = mm_batcher_named(b, r->f[i].key.p,
		    r->f[i].key.n);
}

void
mm_batcher_observe(struct mm_batcher *b, struct mm_rowin *r)
{
	mark_named(b, r);
	mm_featset_observe(&b->fs, r);
}

void
mm_batcher_decide(struct mm_batcher *b, unsigned long held)
{
	const struct mm_feat *f;
	struct mm_outcol *col;
	char buf[64];
	int c;

	b->held = held;
	/* The columns the list had are there; those observed join. */
	for (c = b->b.ncols; c < b->fs.nf; c++) {
		col = mm_batchout_add_col(&b->b);
		col->name = b->fs.f[c].name;
	}
	mm_featset_decide(&b->fs);
	for (c = 0; c < b->fs.nf; c++) {
		f = &b->fs.f[c];
		if (held > 0 && f->found && f->nval == 0)
			say(b, "feature '%s' has no value in %s: taken as "
			    "numeric", mm_featset_name(&b->fs, f->name),
			    first_rows(held, buf, sizeof(buf)));
	}
}

static int
twice(struct mm_err *err, const struct mm_rowfield *f)
{
	return mm_errf(err, MM_EINPUT, 0, "field '%.*s' appears twice",
	    (int)f->key.n, f->key.p);
}

/* A value that a feature of kind cannot take. */
static int
check_value(int kind, const struct mm_rowfield *f, struct mm_err *err)
{
	if (kind == MM_KIND_CATEGORICAL) {
		if (f->kind != MM_ROW_OTHER)
			return 0;
		return mm_errf(err, MM_EINPUT, 0, "feature '%.*s' is not a "
		    "string or a number: %.*s", (int)f->key.n, f->key.p,
		    mm_rowin_shown(f), f->val.p);
	}
	switch (f->kind) {
	case MM_ROW_NUM:
	case MM_ROW_NULL:
		return 0;
	case MM_ROW_STR:
	case MM_ROW_OTHER:
		return mm_errf(err, MM_EINPUT, 0, "feature '%.*s' is not a "
		    "number: %.*s", (int)f->key.n, f->key.p,
		    mm_rowin_shown(f), f->val.p);
	default:
		return mm_rowin_not_number(err, f, "feature");
	}
}

/*
 * Check the row's features against their kinds, and find which field
 * each is in, without changing the batch; the fields to warn of go in
 * b->warn.
 */
static int
check_features(struct mm_batcher *b, struct mm_rowin *r, unsigned long seq,
    struct mm_err *err)
{
	struct mm_rowfield *f;
	struct mm_featname *nm;
	char buf[64];
	int i, k, quiet;

	if (b->fs.nf == 0)
		return mm_errf(err, MM_EINPUT, 0, "no feature: no field but "
		    "the id, ts and label in %s", first_rows(b->held, buf,
		    sizeof(buf)));
	/* Fields not in --features are ignored without a word. */
	quiet = b->fs.listed && b->c.schema == NULL;
	b->warn.n = 0;
	for (i = 0; i < r->nf; i++) {
		f = &r->f[i];
		if (f->named)
			continue;
		k = mm_featset_intern(&b->fs, f->key.p, f->key.n);
		nm = &b->fs.nm[k];
		if (nm->stamp == seq)
			return twice(err, f);
		nm->stamp = seq;
		nm->field = i;
		if (nm->col >= 0) {
			if (check_value(b->fs.f[nm->col].kind, f, err) < 0)
				return -1;
		} else if (!quiet && !nm->warned) {
			ivec_push(&b->warn, k);
		}
	}
	return 0;
}

static void
warn_extra(struct mm_batcher *b)
{
	char buf[64];
	int i, k;

	for (i = 0; i < b->warn.n; i++) {
		k = b->warn.v[i];
		if (b->c.schema != NULL)
			say(b, "ignoring field '%s', not in the schema",
			    mm_featset_name(&b->fs, k));
		else
			say(b, "ignoring field '%s', not in %s",
			    mm_featset_name(&b->fs, k), first_rows(b->held,
			    buf, sizeof(buf)));
		b->fs.nm[k].warned = 1;
	}
	b->warn.n = 0;
}

/* The ts of the batch, as JSON, into b->tstext. */
static void
put_ts(struct mm_batcher *b)
{
	long long ms;

	mm_buf_reset(&b->tstext);
	if (b->c.group == MM_BY_TIME)
		mm_buf_printf(&b->tstext, "%.0f", (b->window + 1) *
		    b->c.every + 0.0);
	else if (b->b.ts.n > 0)
		mm_buf_put(&b->tstext, b->b.ts.p, b->b.ts.n);
	else if (b->c.now != NULL)
		mm_jw_num(&b->tstext, *b->c.now);
	else {
		ms = (long long)floor(mm_clock(NULL) * 1000);
		mm_buf_printf(&b->tstext, "%lld.%03lld", ms / 1000, ms % 1000);
	}
}

static int
flush(struct mm_batcher *b, struct mm_err *err)
{
	put_ts(b);
	if (mm_batchout_write(&b->b, &b->fs.names, b->tstext.p,
	    b->tstext.n, b->c.out, err) < 0)
		return -1;
	if (b->c.group == MM_BY_ID)
		mm_strtab_intern(&b->seen, b->b.id.p, b->b.id.n);
	b->b.rows = 0;
	return 0;
}

/* Begin a batch with the row just checked; k is its time window. */
static void
start(struct mm_batcher *b, double k)
{
	char *prefix;

	mm_batchout_clear(&b->b);
	switch (b->c.group) {
	case MM_BY_ID:
		mm_buf_put(&b->b.id, b->rowid.p, b->rowid.n);
		break;
	case MM_BY_SIZE:
		/* The run's ids carry the run (batchid.h). */
		if (b->run_tag) {
			prefix = mm_batchid_run_prefix(b->prefix, b->head,
			    b->c.now);
			free(b->prefix);
			b->prefix = prefix;
			b->run_tag = 0;
		}
		mm_batchid_count(&b->b.id, b->prefix, b->nbatches);
		break;
	case MM_BY_TIME:
		b->window = k;
		mm_batchid_window(&b->b.id, b->prefix, k * b->c.every);
		break;
	}
	b->nbatches++;
}

/* Feature value f of a categorical column, as a JSON string, or NULL. */
static const struct mm_span *
category(struct mm_batcher *b, const struct mm_rowin *r,
    const struct mm_rowfield *f, struct mm_span *sp)
{
	if (f->kind == MM_ROW_NULL)
		return NULL;
	if (!r->csv && f->kind == MM_ROW_STR)
		return &f->val;		/* as it came, escapes and all */
	mm_buf_reset(&b->val);
	if (r->csv) {
		mm_jw_strn(&b->val, f->val.p, f->val.n);
	} else {
		/* A JSON number: its text, which needs no escape. */
		mm_buf_putc(&b->val, '"');
		mm_buf_put(&b->val, f->val.p, f->val.n);
		mm_buf_putc(&b->val, '"');
	}
	sp->p = b->val.p;
	sp->n = b->val.n;
	return sp;
}

static void
append(struct mm_batcher *b, const struct mm_rowin *r, unsigned long seq,
    const struct mm_span *ts, const struct mm_span *label)
{
	const struct mm_featname *nm;
	const struct mm_rowfield *f;
	const struct mm_span *v;
	struct mm_span sp;
	int c;

	for (c = 0; c < b->fs.nf; c++) {
		nm = &b->fs.nm[b->fs.f[c].name];
		v = NULL;
		/* Only a field this row has is looked at (it may have none). */
		if (nm->stamp == seq) {
			f = &r->f[nm->field];
			if (b->fs.f[c].kind == MM_KIND_CATEGORICAL)
				v = category(b, r, f, &sp);
			else if (f->kind == MM_ROW_NUM)
				v = &f->val;
		}
		mm_batchout_value(&b->b, c, v);
	}
	mm_batchout_row(&b->b, label, ts);
}

/*
 * A ts given as an ISO 8601 time ("2026-11-30T12:00:00Z", as logs and
 * CSV exports write it) is taken as its Unix seconds, and written so;
 * anything else stays a string, which the checks after refuse.
 */
static void
iso_ts(struct mm_batcher *b, const struct mm_rowin *r,
    struct mm_rowfield *ts)
{
	const char *p = ts->val.p;
	size_t n = ts->val.n;
	double t;

	if (!r->csv) {
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

/*
 * The label f as it is written, into *out: a number as it came, a JSON
 * string as it came, a CSV cell of text as a JSON string.  Without a
 * schema a number must be a class label (rows.h), a string not empty;
 * with one that has classes, either must be one of them, compared as
 * text.
 */
static int
check_label(struct mm_batcher *b, const struct mm_rowin *r,
    const struct mm_rowfield *f, struct mm_span *out, struct mm_err *err)
{
	const struct mm_schema *s = b->c.schema;
	struct mm_span text = f->val;
	int number, string, label;

	if (s != NULL && s->nclass == 0)
		s = NULL;	/* a schema without classes takes any */
	number = f->kind == MM_ROW_NUM || f->kind == MM_ROW_RANGE;
	string = f->kind == MM_ROW_STR || f->kind == MM_ROW_LOOSE;
	*out = f->val;
	if (string && !r->csv) {
		if (f->val.n == 2)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' is "
			    "empty", b->labelname);
		/* Compared decoded; one holding \u0000 is no class. */
		mm_buf_reset(&b->text);
		if (mm_json_unescape(f->val.p + 1, f->val.n - 2,
		    &b->text) < 0)
			mm_buf_reset(&b->text);
		text.p = b->text.n > 0 ? b->text.p : "";
		text.n = b->text.n;
	} else if (string) {
		mm_buf_reset(&b->label);
		mm_jw_strn(&b->label, f->val.p, f->val.n);
		out->p = b->label.p;
		out->n = b->label.n;
	}
	if (s != NULL) {
		if ((string || number) &&
		    mm_schema_class(s, text.p, text.n) >= 0)
			return 0;
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is not one of "
		    "the model's classes: %.*s", b->labelname,
		    mm_rowin_shown(f), f->val.p);
	}
	if (string || (number &&
	    mm_label_parse(f->val.p, f->val.n, &label) == 0))
		return 0;
	return mm_errf(err, MM_EINPUT, 0, "field '%s' is not an integer "
	    "from 0 to %d%s: %.*s", b->labelname, MM_LABEL_MAX, number ?
	    "" : " or a string", mm_rowin_shown(f), f->val.p);
}

/* The row's named fields: its id, ts and label. */
struct named {
	struct mm_rowfield *id, *ts, *label;
	struct mm_span labelout;	/* the label as written */
	double k;		/* MM_BY_TIME: the row's window */
};

/*
 * Find the named fields and which batch the row belongs to: *isnew is
 * set when the row begins a batch.
 */
static int
row_batch(struct mm_batcher *b, struct mm_rowin *r, struct named *nf,
    int *isnew, struct mm_err *err)
{
	struct mm_rowfield *f, **slot;
	int i;

	memset(nf, 0, sizeof(*nf));
	mark_named(b, r);
	for (i = 0; i < r->nf; i++) {
		f = &r->f[i];
		if (!f->named)
			continue;
		if (f->key.n == b->idlen && memcmp(f->key.p, b->idname,
		    b->idlen) == 0)
			slot = &nf->id;
		else if (f->key.n == b->tslen && memcmp(f->key.p, b->tsname,
		    b->tslen) == 0)
			slot = &nf->ts;
		else
			slot = &nf->label;
		if (*slot != NULL)
			return twice(err, f);
		*slot = f;
	}
	if (nf->ts != NULL && nf->ts->kind == MM_ROW_NULL)
		nf->ts = NULL;
	if (nf->ts != NULL && nf->ts->kind == MM_ROW_STR)
		iso_ts(b, r, nf->ts);
	if (nf->label != NULL && nf->label->kind == MM_ROW_NULL)
		nf->label = NULL;
	switch (b->c.group) {
	case MM_BY_ID:
		if (nf->id == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->idname);
		if (mm_batchid_of_row(&b->rowid, nf->id, r->csv,
		    b->idname, err) < 0)
			return -1;
		*isnew = b->b.rows == 0 || b->b.id.n != b->rowid.n ||
		    memcmp(b->b.id.p, b->rowid.p, b->b.id.n) != 0;
		break;
	case MM_BY_SIZE:
		*isnew = b->b.rows == 0;
		break;
	case MM_BY_TIME:
		if (nf->ts == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->tsname);
		if (nf->ts->kind != MM_ROW_NUM)
			return not_time(err, nf->ts);
		nf->k = floor(nf->ts->num / b->c.every);
		*isnew = b->b.rows == 0 || nf->k != b->window;
		break;
	}
	return 0;
}

/* Check the rest of the row against the batch it belongs to. */
static int
row_check(struct mm_batcher *b, struct mm_rowin *r, struct named *nf,
    int isnew, unsigned long seq, struct mm_err *err)
{
	const struct mm_rowfield *f;

	if (b->c.group == MM_BY_ID && isnew &&
	    mm_strtab_find(&b->seen, b->rowid.p, b->rowid.n) >= 0)
		return mm_errf(err, MM_EINPUT, 0, "batch '%.*s' is not "
		    "contiguous", (int)b->rowid.n - 2, b->rowid.p + 1);
	if (b->c.group == MM_BY_TIME && b->b.rows > 0 && nf->k < b->window)
		return mm_errf(err, MM_EINPUT, 0, "ts %.*s is before the "
		    "window of batch '%.*s'", mm_rowin_shown(nf->ts),
		    nf->ts->val.p, (int)b->b.id.n - 2, b->b.id.p + 1);
	if ((f = nf->ts) != NULL && f->kind != MM_ROW_NUM)
		return not_time(err, f);
	if ((f = nf->label) != NULL &&
	    check_label(b, r, f, &nf->labelout, err) < 0)
		return -1;
	return check_features(b, r, seq, err);
}

int
mm_batcher_row(struct mm_batcher *b, struct mm_rowin *r, struct mm_err *err)
{
	struct named nf;
	struct mm_err werr;
	unsigned long seq = ++b->seq;
	int isnew = 0;

	if (row_batch(b, r, &nf, &isnew, err) < 0)
		return -1;
	if (row_check(b, r, &nf, isnew, seq, err) < 0) {
		/*
		 * A bad row of another batch ends the open one; when the
		 * run stops here, that batch is complete and is written.
		 */
		memset(&werr, 0, sizeof(werr));
		if (isnew && b->b.rows > 0 && !b->c.skip_bad &&
		    flush(b, &werr) < 0)
			*err = werr;
		return -1;
	}
	if (isnew && b->b.rows > 0 && flush(b, err) < 0)
		return -1;
	if (isnew)
		start(b, nf.k);
	warn_extra(b);
	append(b, r, seq, nf.ts != NULL && b->c.group != MM_BY_TIME ?
	    &nf.ts->val : NULL, nf.label != NULL ? &nf.labelout : NULL);
	if (b->c.group == MM_BY_SIZE && b->b.rows == (size_t)b->c.size)
		return flush(b, err);
	return 0;
}

int
mm_batcher_end(struct mm_batcher *b, struct mm_err *err)
{
	if (b->b.rows > 0)
		return flush(b, err);
	return 0;
}
