/*
 * mm-batch - turn rows, JSON objects or CSV, into batch records.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "rows.h"
#include "run.h"

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
	    "SECONDS" },
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
enum kind { K_NUM, K_RANGE, K_NULL, K_STR, K_OTHER, K_LOOSE };

/* One field of a row: a member of a JSON object, or a CSV cell. */
struct field {
	struct mm_span key;	/* name, JSON-escaped, without quotes */
	struct mm_span val;	/* raw JSON value, or the unquoted cell */
	enum kind kind;
	double num;		/* K_NUM */
	int named;		/* the id, ts or label field */
};

/* A field name or a batch id, interned once. */
struct name {
	char *s;		/* owned */
	size_t n;
	int col;		/* column in the current batch, or -1 */
	int warned;		/* reported as an extra field already */
	unsigned long stamp;	/* the last row it appeared in */
};

struct table {
	struct name *v;
	int n, cap;
	int *slot;		/* index into v, or -1 */
	size_t nslot;
};

struct column {
	int name;		/* in the names table */
	int field;		/* its field in the current row */
	struct mm_buf v;	/* the batch's values, comma separated */
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

	struct table names;
	struct table seen;	/* ids of the batches written (BY_ID) */

	/* The current batch. */
	size_t rows;
	unsigned long nbatches;
	struct mm_buf id;	/* a quoted JSON string */
	struct mm_buf ts;	/* ts of its last row that had one */
	double window;		/* BY_TIME: floor(ts / every) */
	struct column *cols;
	int ncols, colcap;
	struct mm_buf labels;
	int has_label;

	/* The current row. */
	struct field *f;
	int nf, fcap;
	int csv;		/* the row came from CSV */
	unsigned long seq;
	struct mm_buf rowid;
	struct mm_buf keys;	/* the row's escaped keys, canonical */
	struct ivec newname, newfield, warn;
	struct mm_rec rec;
	struct mm_csv cells;

	/* The CSV header of the current file. */
	struct mm_buf hdr;
	struct mm_span *hcol;
	size_t *hoff;
	int nhcol, hcap;
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

#define FNV_BASIS 14695981039346656037ULL

/* FNV-1a: h with the n bytes at s folded in. */
static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
hash(const char *s, size_t n)
{
	return fnv(FNV_BASIS, s, n);
}

/* The slot holding s, or the empty slot where it would go. */
static size_t
probe(const struct table *t, const char *s, size_t n)
{
	size_t i = (size_t)hash(s, n) & (t->nslot - 1);
	int k;

	while ((k = t->slot[i]) >= 0) {
		if (t->v[k].n == n && memcmp(t->v[k].s, s, n) == 0)
			break;
		i = (i + 1) & (t->nslot - 1);
	}
	return i;
}

static int
tab_find(const struct table *t, const char *s, size_t n)
{
	return t->nslot == 0 ? -1 : t->slot[probe(t, s, n)];
}

static int
tab_add(struct table *t, const char *s, size_t n)
{
	size_t i;
	int k;

	if (2 * (size_t)(t->n + 1) > t->nslot) {
		free(t->slot);
		t->nslot = t->nslot ? 2 * t->nslot : 64;
		t->slot = mm_xmalloc(t->nslot * sizeof(int));
		for (i = 0; i < t->nslot; i++)
			t->slot[i] = -1;
		for (k = 0; k < t->n; k++)
			t->slot[probe(t, t->v[k].s, t->v[k].n)] = k;
	}
	i = probe(t, s, n);
	if (t->slot[i] >= 0)
		return t->slot[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = mm_xrealloc(t->v, (size_t)t->cap * sizeof(*t->v));
	}
	k = t->n++;
	t->v[k].s = mm_xstrndup(s, n);
	t->v[k].n = n;
	t->v[k].col = -1;
	t->v[k].warned = 0;
	t->v[k].stamp = 0;
	t->slot[i] = k;
	return k;
}

static void
tab_release(struct table *t)
{
	int k;

	for (k = 0; k < t->n; k++)
		free(t->v[k].s);
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* Append s as the inside of a JSON string. */
static void
put_escaped(struct mm_buf *b, const char *s, size_t n)
{
	size_t start = b->n;

	mm_jw_strn(b, s, n);
	memmove(b->p + start, b->p + start + 1, b->n - start - 2);
	b->n -= 2;
	b->p[b->n] = '\0';
}

static char *
escape(const char *s)
{
	struct mm_buf b;
	char *r;

	mm_buf_init(&b);
	put_escaped(&b, s, strlen(s));
	r = mm_xstrndup(b.p, b.n);
	mm_buf_release(&b);
	return r;
}

static int
is_name(const struct mm_span *key, const char *name, size_t len)
{
	return key->n == len && memcmp(key->p, name, len) == 0;
}

static struct column *
add_column(struct batcher *b)
{
	if (b->ncols == b->colcap) {
		b->colcap = b->colcap ? 2 * b->colcap : 16;
		b->cols = mm_xrealloc(b->cols,
		    (size_t)b->colcap * sizeof(*b->cols));
		memset(b->cols + b->ncols, 0,
		    (size_t)(b->colcap - b->ncols) * sizeof(*b->cols));
	}
	return &b->cols[b->ncols++];
}

static struct field *
add_field(struct batcher *b)
{
	struct field *f;

	if (b->nf == b->fcap) {
		b->fcap = b->fcap ? 2 * b->fcap : 32;
		b->f = mm_xrealloc(b->f, (size_t)b->fcap * sizeof(*b->f));
	}
	f = &b->f[b->nf++];
	f->named = 0;
	f->num = 0;
	return f;
}

/* The value of f as it was written, for messages: at most 40 bytes. */
static int
shown(const struct field *f)
{
	return f->val.n > 40 ? 40 : (int)f->val.n;
}

static int
value_error(struct mm_err *err, const struct field *f, const char *what)
{
	switch (f->kind) {
	case K_LOOSE:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s': cell '%.*s' is "
		    "not a JSON number", what, (int)f->key.n, f->key.p,
		    shown(f), f->val.p);
	case K_RANGE:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s' is out of range: "
		    "%.*s", what, (int)f->key.n, f->key.p, shown(f),
		    f->val.p);
	default:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s' is not a number",
		    what, (int)f->key.n, f->key.p);
	}
}

static int
twice(struct mm_err *err, const struct field *f)
{
	return mm_errf(err, MM_EINPUT, 0, "field '%.*s' appears twice",
	    (int)f->key.n, f->key.p);
}

/* The batch id of a row, as a quoted JSON string, into b->rowid. */
static int
row_id(struct batcher *b, const struct field *f, struct mm_err *err)
{
	mm_buf_reset(&b->rowid);
	if (b->csv) {
		if (f->val.n == 0)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' is empty",
			    b->idname);
		mm_jw_strn(&b->rowid, f->val.p, f->val.n);
		return 0;
	}
	switch (f->kind) {
	case K_STR:
		if (f->val.n == 2)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' is empty",
			    b->idname);
		/* One spelling per id: "b\u0031" is the batch "b1". */
		mm_buf_putc(&b->rowid, '"');
		if (mm_json_canon(f->val.p + 1, f->val.n - 2, &b->rowid) < 0)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' has a "
			    "\\u escape of a NUL", b->idname);
		mm_buf_putc(&b->rowid, '"');
		return 0;
	case K_NUM:
	case K_RANGE:
		mm_buf_putc(&b->rowid, '"');
		mm_buf_put(&b->rowid, f->val.p, f->val.n);
		mm_buf_putc(&b->rowid, '"');
		return 0;
	case K_NULL:
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is null",
		    b->idname);
	default:
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is not a string",
		    b->idname);
	}
}

/*
 * Check the row's features against the batch's columns (or, for the
 * first row of a batch, collect them) without changing the batch.
 */
static int
check_features(struct batcher *b, int isnew, unsigned long seq,
    struct mm_err *err)
{
	struct field *f;
	struct name *nm;
	int i, k;

	b->newname.n = b->newfield.n = b->warn.n = 0;
	for (i = 0; i < b->nf; i++) {
		f = &b->f[i];
		if (f->named)
			continue;
		if (b->fixed || !isnew) {
			k = tab_find(&b->names, f->key.p, f->key.n);
			if (k >= 0 && b->names.v[k].col >= 0) {
				nm = &b->names.v[k];
				if (nm->stamp == seq)
					return twice(err, f);
				nm->stamp = seq;
				if (f->kind != K_NUM && f->kind != K_NULL)
					return value_error(err, f, "feature");
				b->cols[nm->col].field = i;
				continue;
			}
			if (b->fixed || (f->kind != K_NUM &&
			    f->kind != K_NULL && f->kind != K_RANGE))
				continue;
			if (k >= 0 && (b->names.v[k].warned ||
			    b->names.v[k].stamp == seq))
				continue;
			k = tab_add(&b->names, f->key.p, f->key.n);
			b->names.v[k].stamp = seq;
			ivec_push(&b->warn, k);
			continue;
		}
		if (f->kind == K_STR || f->kind == K_OTHER)
			continue;
		if (f->kind != K_NUM && f->kind != K_NULL)
			return value_error(err, f, "feature");
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

static void
write_ts(const struct batcher *b, FILE *out)
{
	long long ms;

	if (b->group == BY_TIME)
		fprintf(out, "%.0f", (b->window + 1) * b->every + 0.0);
	else if (b->ts.n > 0)
		fwrite(b->ts.p, 1, b->ts.n, out);
	else if (b->now != NULL)
		fputs(b->now_text, out);
	else {
		ms = (long long)floor(mm_clock(NULL) * 1000);
		fprintf(out, "%lld.%03lld", ms / 1000, ms % 1000);
	}
}

static int
flush(struct batcher *b, struct mm_err *err)
{
	FILE *out = stdout;
	const struct name *nm;
	int c;

	fputs("{\"batch_id\":", out);
	fwrite(b->id.p, 1, b->id.n, out);
	fputs(",\"ts\":", out);
	write_ts(b, out);
	fputs(",\"features\":{", out);
	for (c = 0; c < b->ncols; c++) {
		nm = &b->names.v[b->cols[c].name];
		fputs(c > 0 ? ",\"" : "\"", out);
		fwrite(nm->s, 1, nm->n, out);
		fputs("\":[", out);
		fwrite(b->cols[c].v.p, 1, b->cols[c].v.n, out);
		fputc(']', out);
	}
	fputc('}', out);
	if (b->has_label) {
		fputs(",\"labels\":[", out);
		fwrite(b->labels.p, 1, b->labels.n, out);
		fputc(']', out);
	}
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	if (b->group == BY_ID)
		tab_add(&b->seen, b->id.p, b->id.n);
	b->rows = 0;
	return 0;
}

/*
 * The counts of --size begin at 000000 in every run, so a run's ids
 * carry the run: the time it began, in UTC ("20261126T063000Z"), and 8
 * hex digits of a hash of what it read up to its first batch (the CSV
 * header and the first row), with the process id too when there is no
 * --now.  Two runs that began in the same second on other input, or at
 * once, differ; with --now, a run gives the same ids every time.
 */
static void
add_run_tag(struct batcher *b)
{
	char stamp[32], pid[32];
	struct mm_buf id;
	struct tm tm;
	time_t t;
	uint64_t h = b->head;

	t = (time_t)floor(mm_clock_sec(b->now));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)t);
	if (b->now == NULL) {
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		h = fnv(h, pid, strlen(pid));
	}
	mm_buf_init(&id);
	mm_buf_printf(&id, "%s%s-%08lx-", b->prefix, stamp,
	    (unsigned long)(uint32_t)(h ^ (h >> 32)));
	free(b->prefix);
	b->prefix = mm_xstrndup(id.p, id.n);
	mm_buf_release(&id);
	b->run_tag = 0;
}

/* Begin a batch with the row just checked; k is its time window. */
static void
start(struct batcher *b, double k)
{
	struct column *col;
	int c;

	if (!b->fixed) {
		for (c = 0; c < b->ncols; c++)
			b->names.v[b->cols[c].name].col = -1;
		b->ncols = 0;
		for (c = 0; c < b->newname.n; c++) {
			col = add_column(b);
			col->name = b->newname.v[c];
			col->field = b->newfield.v[c];
			b->names.v[col->name].col = c;
		}
	}
	for (c = 0; c < b->ncols; c++)
		mm_buf_reset(&b->cols[c].v);
	mm_buf_reset(&b->labels);
	b->has_label = 0;
	mm_buf_reset(&b->ts);
	mm_buf_reset(&b->id);
	switch (b->group) {
	case BY_ID:
		mm_buf_put(&b->id, b->rowid.p, b->rowid.n);
		break;
	case BY_SIZE:
		if (b->run_tag)
			add_run_tag(b);
		mm_buf_printf(&b->id, "\"%s%06lu\"", b->prefix, b->nbatches);
		break;
	case BY_TIME:
		b->window = k;
		mm_buf_printf(&b->id, "\"%s%.0f\"", b->prefix,
		    k * b->every + 0.0);
		break;
	}
	b->nbatches++;
}

static void
append(struct batcher *b, unsigned long seq, const struct field *ts,
    const struct field *label)
{
	const struct field *f;
	struct column *col;
	int c;

	for (c = 0; c < b->ncols; c++) {
		col = &b->cols[c];
		if (b->rows > 0)
			mm_buf_putc(&col->v, ',');
		/* Only a field this row has is looked at (a row may have none). */
		if (b->names.v[col->name].stamp == seq &&
		    (f = &b->f[col->field])->kind == K_NUM)
			mm_buf_put(&col->v, f->val.p, f->val.n);
		else
			mm_buf_put(&col->v, "null", 4);
	}
	if (b->rows > 0)
		mm_buf_putc(&b->labels, ',');
	if (label != NULL) {
		mm_buf_put(&b->labels, label->val.p, label->val.n);
		b->has_label = 1;
	} else {
		mm_buf_put(&b->labels, "null", 4);
	}
	if (ts != NULL && b->group != BY_TIME) {
		mm_buf_reset(&b->ts);
		mm_buf_put(&b->ts, ts->val.p, ts->val.n);
	}
	b->rows++;
}

static void
warn_extra(struct batcher *b)
{
	struct mm_err w = { 0 };
	const struct name *nm;
	int i;

	if (b->warn.n == 0)
		return;
	mm_err_where(&w, b->run.in->name);
	w.line = b->run.in->lineno;
	for (i = 0; i < b->warn.n; i++) {
		nm = &b->names.v[b->warn.v[i]];
		mm_errf(&w, MM_OK, b->run.in->lineno, "ignoring field '%.*s', "
		    "not in the first row of batch '%.*s'", (int)nm->n, nm->s,
		    (int)b->id.n - 2, b->id.p + 1);
		mm_perr(prog, &w);
		b->names.v[b->warn.v[i]].warned = 1;
	}
}

/* The row's named fields: its id, ts and label. */
struct named {
	struct field *id, *ts, *label;
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
	struct field *f, **slot;
	int i;

	memset(nf, 0, sizeof(*nf));
	for (i = 0; i < b->nf; i++) {
		f = &b->f[i];
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
	if (nf->ts != NULL && nf->ts->kind == K_NULL)
		nf->ts = NULL;
	if (nf->label != NULL && nf->label->kind == K_NULL)
		nf->label = NULL;
	switch (b->group) {
	case BY_ID:
		if (nf->id == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->idname);
		if (row_id(b, nf->id, err) < 0)
			return -1;
		*isnew = b->rows == 0 || b->id.n != b->rowid.n ||
		    memcmp(b->id.p, b->rowid.p, b->id.n) != 0;
		break;
	case BY_SIZE:
		*isnew = b->rows == 0;
		break;
	case BY_TIME:
		if (nf->ts == NULL)
			return mm_errf(err, MM_EINPUT, 0, "no '%s' field",
			    b->tsname);
		if (nf->ts->kind != K_NUM)
			return value_error(err, nf->ts, "field");
		nf->k = floor(nf->ts->num / b->every);
		*isnew = b->rows == 0 || nf->k != b->window;
		break;
	}
	return 0;
}

/* Check the rest of the row against the batch it belongs to. */
static int
row_check(struct batcher *b, const struct named *nf, int isnew,
    unsigned long seq, struct mm_err *err)
{
	const struct field *f;
	int label;

	if (b->group == BY_ID && isnew &&
	    tab_find(&b->seen, b->rowid.p, b->rowid.n) >= 0)
		return mm_errf(err, MM_EINPUT, 0, "batch '%.*s' is not "
		    "contiguous", (int)b->rowid.n - 2, b->rowid.p + 1);
	if (b->group == BY_TIME && b->rows > 0 && nf->k < b->window)
		return mm_errf(err, MM_EINPUT, 0, "ts %.*s is before the "
		    "window of batch '%.*s'", shown(nf->ts), nf->ts->val.p,
		    (int)b->id.n - 2, b->id.p + 1);
	if ((f = nf->ts) != NULL && f->kind != K_NUM)
		return value_error(err, f, "field");
	if ((f = nf->label) != NULL && (f->kind != K_NUM ||
	    mm_label_parse(f->val.p, f->val.n, &label) < 0))
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is not an "
		    "integer from 0 to %d: %.*s", b->labelname, MM_LABEL_MAX,
		    shown(f), f->val.p);
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
		if (isnew && b->rows > 0 && !b->run.skip_bad &&
		    flush(b, &werr) < 0)
			*err = werr;
		return -1;
	}
	if (isnew && b->rows > 0 && flush(b, err) < 0)
		return -1;
	if (isnew)
		start(b, nf.k);
	warn_extra(b);
	append(b, seq, nf.ts, nf.label);
	if (b->group == BY_SIZE && b->rows == (size_t)b->size)
		return flush(b, err);
	return 0;
}

static enum kind
json_kind(const char *p, double *num)
{
	switch (*p) {
	case '"':
		return K_STR;
	case 'n':
		return K_NULL;
	case 't': case 'f': case '{': case '[':
		return K_OTHER;
	default:
		mm_json_number(p, num);
		return isfinite(*num) ? K_NUM : K_RANGE;
	}
}

/* Returns 0, -1 for a bad row, or -2 for an error no row can skip. */
static int
json_row(struct batcher *b, const char *line, size_t len,
    struct mm_err *err)
{
	struct field *f;
	int i, has_id = 0;

	if (mm_rec_parse(&b->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	b->nf = 0;
	b->csv = 0;
	mm_buf_reset(&b->keys);
	for (i = 0; i < b->rec.n; i++) {
		f = add_field(b);
		f->key = b->rec.f[i].key;
		f->val = b->rec.f[i].val;
		f->kind = json_kind(f->val.p, &f->num);
		/*
		 * Names are kept escaped as mm_jw_strn() escapes them, as a
		 * CSV header's are, so "temp\u00e9rature" is "température".
		 * A key with an escape is rewritten into b->keys (NUL-ended:
		 * the canonical form holds none) and found once all are in.
		 */
		if (memchr(f->key.p, '\\', f->key.n) != NULL) {
			size_t at = b->keys.n;

			if (mm_json_canon(f->key.p, f->key.n, &b->keys) < 0)
				return mm_errf(err, MM_EINPUT, 0, "bad escape "
				    "in field name '%.*s'", (int)f->key.n,
				    f->key.p);
			mm_buf_putc(&b->keys, '\0');
			f->key.p = NULL;
			f->key.n = at;
		}
	}
	for (i = 0; i < b->nf; i++) {
		f = &b->f[i];
		if (f->key.p == NULL) {
			f->key.p = b->keys.p + f->key.n;
			f->key.n = strlen(f->key.p);
		}
		has_id |= is_name(&f->key, b->idname, b->idlen);
	}
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

static int
csv_row(struct batcher *b, const char *line, size_t len, struct mm_err *err)
{
	struct field *f;
	int i;

	if (mm_csv_split(&b->cells, line, len, err) < 0)
		return -1;
	if (b->cells.n != b->nhcol)
		return mm_errf(err, MM_EINPUT, 0, "%d cell%s, the header has "
		    "%d", b->cells.n, b->cells.n == 1 ? "" : "s", b->nhcol);
	b->nf = 0;
	b->csv = 1;
	for (i = 0; i < b->cells.n; i++) {
		f = add_field(b);
		f->key = b->hcol[i];
		f->val = b->cells.cell[i];
		switch (mm_cell_kind(f->val.p, f->val.n, &f->num)) {
		case MM_CELL_EMPTY:
			f->kind = K_NULL;
			break;
		case MM_CELL_NUMBER:
			f->kind = isfinite(f->num) ? K_NUM : K_RANGE;
			break;
		case MM_CELL_LOOSE:
			f->kind = K_LOOSE;
			break;
		default:
			f->kind = K_STR;
		}
	}
	return 0;
}

/* A CSV header.  Its errors are fatal: -2. */
static int
csv_header(struct batcher *b, const char *line, size_t len,
    struct mm_err *err)
{
	const struct mm_span *cell;
	unsigned long seq = ++b->seq;
	int i, k, has_id = 0, has_ts = 0;

	if (mm_csv_split(&b->cells, line, len, err) < 0)
		return -2;
	if (b->cells.n > b->hcap) {
		b->hcap = b->cells.n;
		b->hcol = mm_xrealloc(b->hcol,
		    (size_t)b->hcap * sizeof(*b->hcol));
		b->hoff = mm_xrealloc(b->hoff,
		    (size_t)b->hcap * sizeof(*b->hoff));
	}
	mm_buf_reset(&b->hdr);
	for (i = 0; i < b->cells.n; i++) {
		cell = &b->cells.cell[i];
		if (cell->n == 0) {
			mm_errf(err, MM_EINPUT, 0, "header: column %d has no "
			    "name", i + 1);
			return -2;
		}
		b->hoff[i] = b->hdr.n;
		put_escaped(&b->hdr, cell->p, cell->n);
		b->hcol[i].n = b->hdr.n - b->hoff[i];
	}
	b->nhcol = b->cells.n;
	for (i = 0; i < b->nhcol; i++) {
		b->hcol[i].p = b->hdr.p + b->hoff[i];
		k = tab_add(&b->names, b->hcol[i].p, b->hcol[i].n);
		if (b->names.v[k].stamp == seq) {
			mm_errf(err, MM_EINPUT, 0, "header: column '%.*s' "
			    "appears twice", (int)b->hcol[i].n,
			    b->hcol[i].p);
			return -2;
		}
		b->names.v[k].stamp = seq;
		has_id |= is_name(&b->hcol[i], b->idname, b->idlen);
		has_ts |= is_name(&b->hcol[i], b->tsname, b->tslen);
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
	for (i = 0; b->fixed && i < b->ncols; i++)
		if (b->names.v[b->cols[i].name].stamp != seq) {
			mm_errf(err, MM_EINPUT, 0, "header: no column for "
			    "feature '%s'", b->names.v[b->cols[i].name].s);
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
		b->head = fnv(b->head, line, len);
		b->head = fnv(b->head, "\n", 1);
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
	    csv_row(b, line, len, err);
	if (rc == 0)
		rc = take_row(b, err);
	return rc == -2 ? MM_RUN_FATAL : rc;
}

static int
set_features(struct batcher *b, const char *list)
{
	struct column *col;
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
		name = escape(raw);
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
		col = add_column(b);
		col->name = k;
		b->names.v[k].col = b->ncols - 1;
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
			if (mm_opt_long(st, "every", 1, 1000000000L,
			    &every) < 0)
				return -1;
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
	b->prefix = escape(idprefix != NULL ? idprefix : prefix != NULL ?
	    prefix : "b");
	b->run_tag = b->group == BY_SIZE && idprefix == NULL;
	b->head = FNV_BASIS;
	b->idname = escape(id);
	b->tsname = escape(ts);
	b->labelname = escape(label);
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
	int c;

	free(b->prefix);
	free(b->idname);
	free(b->tsname);
	free(b->labelname);
	tab_release(&b->names);
	tab_release(&b->seen);
	mm_buf_release(&b->id);
	mm_buf_release(&b->ts);
	for (c = 0; c < b->colcap; c++)
		mm_buf_release(&b->cols[c].v);
	free(b->cols);
	mm_buf_release(&b->labels);
	free(b->f);
	mm_buf_release(&b->rowid);
	mm_buf_release(&b->keys);
	free(b->newname.v);
	free(b->newfield.v);
	free(b->warn.v);
	mm_rec_release(&b->rec);
	mm_csv_release(&b->cells);
	mm_buf_release(&b->hdr);
	free(b->hcol);
	free(b->hoff);
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
	mm_rec_init(&b.rec);
	mm_csv_init(&b.cells);
	if ((rc = parse_args(&b, &st, argc, argv)) < 0) {
		batcher_release(&b);
		return rc == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = mm_run(&b.run, argc - st.ind, argv + st.ind, on_line, &b);
	if (rc == MM_OK && b.rows > 0 && flush(&b, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	batcher_release(&b);
	return mm_run_finish(&b.run, rc);
}
