/*
 * recordin.c - a batch record's metrics and drift objects, read and
 * checked on their way into the store (recordin.h).
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "mm.h"
#include "model.h"
#include "recordin.h"

/* Escapes are rare here, so jansson undoes them. */
const char *
mm_recin_string(const struct mm_field *f, struct mm_buf *b)
{
	json_t *v;

	mm_buf_reset(b);
	if (f == NULL || f->val.p[0] != '"')
		return NULL;
	if (memchr(f->val.p, '\\', f->val.n) == NULL) {
		mm_buf_put(b, f->val.p + 1, f->val.n - 2);
		return b->p;
	}
	v = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, NULL);
	if (!json_is_string(v)) {
		json_decref(v);
		return NULL;
	}
	mm_buf_puts(b, json_string_value(v));
	json_decref(v);
	return b->p;
}

const char *
mm_recin_count(const char *p, long long *v)
{
	const char *q;

	*v = 0;
	for (q = p; *q >= '0' && *q <= '9'; q++) {
		if (*v > (MM_COUNT_MAX - (*q - '0')) / 10)
			return NULL;
		*v = *v * 10 + (*q - '0');
	}
	return q > p ? q : NULL;
}

/*
 * drift.counts must be an object of arrays of counts, one per feature,
 * each adding up to drift.n: the rows of the batch, every one in some
 * bin.  The line is known to be valid JSON.
 */
static int
check_counts(const struct mm_drift_in *d, struct mm_err *err)
{
	const char *p, *q, *key;
	char tok[64];
	long long n, v, sum;
	size_t klen;

	if (d->n == NULL)
		return mm_errf(err, MM_EINPUT, 0, "'drift.n' missing");
	if (mm_recin_count(d->n->val.p, &n) != d->n->val.p + d->n->val.n)
		return mm_errf(err, MM_EINPUT, 0, "'drift.n': %s is not a "
		    "count", mm_json_token(d->n->val.p, tok, sizeof(tok)));
	p = d->counts->val.p;
	if (*p != '{')
		return mm_errf(err, MM_EINPUT, 0, "'drift.counts' is not an "
		    "object");
	if (*(p = mm_json_ws(p + 1)) == '}')
		return mm_errf(err, MM_EINPUT, 0, "'drift.counts' is empty");
	for (;;) {
		p = mm_json_string(p, &key, &klen, NULL);
		p = mm_json_ws(mm_json_ws(p) + 1);
		if (*p != '[')
			return mm_errf(err, MM_EINPUT, 0, "'drift.counts.%.*s' "
			    "is not an array", (int)klen, key);
		sum = 0;
		for (p = mm_json_ws(p + 1); *p != ']';) {
			if ((q = mm_recin_count(p, &v)) == NULL ||
			    (*(q = mm_json_ws(q)) != ',' && *q != ']'))
				return mm_errf(err, MM_EINPUT, 0,
				    "'drift.counts.%.*s': %s is not a count",
				    (int)klen, key,
				    mm_json_token(p, tok, sizeof(tok)));
			sum = sum > LLONG_MAX - v ? LLONG_MAX : sum + v;
			p = *q == ',' ? mm_json_ws(q + 1) : q;
		}
		if (sum != n)
			return mm_errf(err, MM_EINPUT, 0, "'drift.counts.%.*s' "
			    "sums to %lld but 'drift.n' is %lld", (int)klen,
			    key, sum, n);
		if (*(p = mm_json_ws(p + 1)) == '}')
			return 0;
		p = mm_json_ws(p + 1);
	}
}

/*
 * The object o without the fields named in drop, into b: each kept
 * field with the separator that came before it, as mm_rec_write_kv()
 * copies fields, so what is kept stays byte for byte.
 */
static void
put_without(struct mm_buf *b, const struct mm_rec *o,
    const char *const *drop)
{
	const char *head_end, *tail, *start, *sep;
	const char *const *k;
	int i, kept = 0;

	mm_buf_reset(b);
	head_end = o->n > 0 ? o->f[0].key.p - 1 : o->close;
	mm_buf_put(b, o->line, (size_t)(head_end - o->line));
	for (i = 0; i < o->n; i++) {
		for (k = drop; *k != NULL; k++)
			if (mm_span_eq(&o->f[i].key, *k))
				break;
		if (*k != NULL)
			continue;
		start = o->f[i].key.p - 1;	/* the opening quote */
		if (kept++ > 0) {
			sep = o->f[i - 1].val.p + o->f[i - 1].val.n;
			mm_buf_put(b, sep, (size_t)(start - sep));
		}
		mm_buf_put(b, start, (size_t)(o->f[i].val.p + o->f[i].val.n -
		    start));
	}
	tail = o->n > 0 ? o->f[o->n - 1].val.p + o->f[o->n - 1].val.n :
	    o->close;
	mm_buf_put(b, tail, (size_t)(o->line + o->len - tail));
}

/* Counts are checked here, before anything of the record is written. */
int
mm_recin_drift(struct mm_rec *sub, const struct mm_field *f,
    struct mm_drift_in *d, struct mm_buf *stored, struct mm_err *err)
{
	static const char *const not_stored[] = { "ref", "counts", NULL };

	if (mm_rec_parse(sub, f->val.p, f->val.n, NULL, NULL, err) < 0)
		return -1;
	d->score = mm_rec_get(sub, "drift_score");
	d->status = mm_rec_get(sub, "status");
	d->psi = mm_rec_get(sub, "psi");
	d->p_value = mm_rec_get(sub, "p_value");
	d->n = mm_rec_get(sub, "n");
	d->ref = mm_rec_get(sub, "ref");
	d->counts = mm_rec_get(sub, "counts");
	if (d->ref != NULL && d->ref->val.p[0] != '"')
		return mm_errf(err, MM_EINPUT, 0, "'drift.ref' is not a "
		    "string");
	if (d->counts != NULL && check_counts(d, err) < 0)
		return -1;
	put_without(stored, sub, not_stored);
	return 0;
}

/* A field of o, NULL when absent or null. */
static const struct mm_field *
get_value(const struct mm_rec *o, const char *key)
{
	const struct mm_field *f = mm_rec_get(o, key);

	if (mm_field_null(f))
		return NULL;
	return f;
}

static int
check_count(const struct mm_field *f, const char *key, long long *v,
    struct mm_err *err)
{
	char tok[64];

	if (f != NULL && mm_recin_count(f->val.p, v) != f->val.p + f->val.n)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.%s': %s is not a "
		    "count", key, mm_json_token(f->val.p, tok, sizeof(tok)));
	return 0;
}

/* A number from 0, to 1 when share is set. */
static int
check_number(const struct mm_field *f, const char *key, int share,
    struct mm_err *err)
{
	char tok[64];
	double v;

	if (f == NULL)
		return 0;
	mm_json_token(f->val.p, tok, sizeof(tok));
	if (mm_json_number(f->val.p, &v) != f->val.p + f->val.n)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.%s': %s is not a "
		    "number", key, tok);
	if (!(v >= 0 && v <= (share ? 1 : HUGE_VAL)) || !isfinite(v))
		return mm_errf(err, MM_EINPUT, 0, "'metrics.%s': %s is out of "
		    "range %s", key, tok, share ? "[0, 1]" : "[0, inf)");
	return 0;
}

/*
 * metrics.confusion must be k arrays of k counts, k a model's number of
 * classes (2 to MM_MAX_CLASSES).  *total gets the rows counted, *right
 * those on the diagonal.  The line is known to be valid JSON.
 */
static int
check_confusion(const struct mm_field *f, long long *total,
    long long *right, struct mm_err *err)
{
	const char *p = f->val.p, *q;
	char tok[64];
	long long v;
	long k = 0, row = 0, col;

	*total = *right = 0;
	if (*p != '[')
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' is not "
		    "an array");
	for (p = mm_json_ws(p + 1); *p != ']';) {
		if (*p != '[')
			return mm_errf(err, MM_EINPUT, 0,
			    "'metrics.confusion': row %ld is not an array",
			    row);
		col = 0;
		for (p = mm_json_ws(p + 1); *p != ']'; col++) {
			if ((q = mm_recin_count(p, &v)) == NULL ||
			    (*(q = mm_json_ws(q)) != ',' && *q != ']'))
				return mm_errf(err, MM_EINPUT, 0,
				    "'metrics.confusion': %s is not a count",
				    mm_json_token(p, tok, sizeof(tok)));
			*total = *total > LLONG_MAX - v ? LLONG_MAX :
			    *total + v;
			if (col == row)
				*right += v;
			p = *q == ',' ? mm_json_ws(q + 1) : q;
		}
		if (row == 0)
			k = col;
		else if (col != k)
			return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' "
			    "is not square: row %ld has %ld count%s, row 0 %ld",
			    row, col, col == 1 ? "" : "s", k);
		row++;
		if (*(p = mm_json_ws(p + 1)) == ',')
			p = mm_json_ws(p + 1);
	}
	if (row == 0)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' is "
		    "empty");
	if (row != k)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' is not "
		    "square: %ld row%s of %ld count%s", row, row == 1 ? "" :
		    "s", k, k == 1 ? "" : "s");
	if (k < 2 || k > MM_MAX_CLASSES)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' has %ld "
		    "class%s, not 2 to %d", k, k == 1 ? "" : "es",
		    MM_MAX_CLASSES);
	return 0;
}

/*
 * Check what can be checked of the confusion counts: their total is the
 * number of labelled rows, as n_labelled and the labels say, and the
 * accuracy is the share on the diagonal.  (Not F1: which class it is of
 * is the model's to say.)
 */
static int
check_totals(const struct mm_metrics_in *m, long long known,
    struct mm_err *err)
{
	long long total, right, n;
	char have[32], want[32];
	double acc;

	if (check_confusion(m->confusion, &total, &right, err) < 0)
		return -1;
	if (m->n_labelled != NULL) {
		mm_recin_count(m->n_labelled->val.p, &n);
		if (n != total)
			return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' "
			    "counts %lld rows but 'metrics.n_labelled' is %lld",
			    total, n);
	}
	if (known >= 0 && known != total)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' counts "
		    "%lld rows but 'labels' has %lld known", total, known);
	if (total == 0) {
		if (m->accuracy != NULL || m->f1 != NULL)
			return mm_errf(err, MM_EINPUT, 0, "'metrics.%s' is not "
			    "null but 'metrics.confusion' counts no rows",
			    m->accuracy != NULL ? "accuracy" : "f1");
		return 0;
	}
	if (m->accuracy == NULL)
		return 0;
	mm_json_number(m->accuracy->val.p, &acc);
	if (fabs(acc - (double)right / (double)total) > 1e-9) {
		mm_json_token(m->accuracy->val.p, have, sizeof(have));
		mm_fmt_double(want, sizeof(want), (double)right /
		    (double)total);
		return mm_errf(err, MM_EINPUT, 0, "'metrics.accuracy' is %s "
		    "but 'metrics.confusion' gives %s", have, want);
	}
	return 0;
}

int
mm_recin_metrics(struct mm_rec *o, const struct mm_field *f,
    long long known, struct mm_metrics_in *m, struct mm_buf *version,
    struct mm_err *err)
{
	long long v;

	if (mm_rec_parse(o, f->val.p, f->val.n, NULL, NULL, err) < 0)
		return -1;
	m->n_samples = get_value(o, "n_samples");
	m->n_labelled = get_value(o, "n_labelled");
	m->accuracy = get_value(o, "accuracy");
	m->f1 = get_value(o, "f1");
	m->confidence = get_value(o, "avg_confidence");
	m->latency = get_value(o, "latency_ms");
	m->version = get_value(o, "model_version");
	m->confusion = get_value(o, "confusion");
	if (check_count(m->n_samples, "n_samples", &v, err) < 0 ||
	    check_count(m->n_labelled, "n_labelled", &v, err) < 0 ||
	    check_number(m->accuracy, "accuracy", 1, err) < 0 ||
	    check_number(m->f1, "f1", 1, err) < 0 ||
	    check_number(m->confidence, "avg_confidence", 1, err) < 0 ||
	    check_number(m->latency, "latency_ms", 0, err) < 0)
		return -1;
	if (m->version != NULL && mm_recin_string(m->version, version) ==
	    NULL)
		return mm_errf(err, MM_EINPUT, 0, "'metrics.model_version' is "
		    "not a string");
	if (m->confusion != NULL && check_totals(m, known, err) < 0)
		return -1;
	return 0;
}
