#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batchin.h"

void
mm_batch_init(struct mm_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void
mm_batch_release(struct mm_batch *b)
{
	int i;

	for (i = 0; i < b->ncap; i++) {
		free(b->cols[i].name);
		free(b->cols[i].v);
		mm_strtab_release(&b->cols[i].strs);
	}
	free(b->cols);
	free(b->labels);
	mm_strtab_release(&b->lstrs);
	free(b->id);
	mm_buf_release(&b->tmp);
	memset(b, 0, sizeof(*b));
}

static int
bad(struct mm_err *err, const char *fmt, const char *a, long long i)
{
	return mm_errf(err, MM_EINPUT, 0, fmt, a, i);
}

/*
 * Past a value of c at *pp: 1 and past the closing ']', 0 and at the
 * next value after a ',', or -1 with err.
 */
static int
next_value(const struct mm_col *c, const char **pp, struct mm_err *err)
{
	const char *p = mm_json_ws(*pp);
	char what[32];

	if (*p == ']') {
		*pp = p + 1;
		return 1;
	}
	if (*p == ',') {
		*pp = mm_json_ws(p + 1);
		return 0;
	}
	if (*p == '\0')
		return mm_errf(err, MM_EINPUT, 0, "invalid JSON: truncated in "
		    "feature '%s'", c->name);
	return mm_errf(err, MM_EINPUT, 0, "invalid JSON: expected ',' or ']' "
	    "in feature '%s', found %s", c->name,
	    mm_json_what(p, what, sizeof(what)));
}

static void
col_reserve(struct mm_col *c, size_t n)
{
	if (n < c->cap)
		return;
	c->cap = c->cap ? 2 * c->cap : 1024;
	c->v = mm_xrealloc(c->v, c->cap * sizeof(double));
}

/*
 * The rest of a column of strings, from its first string at *pp after n
 * nulls: each string decoded and interned into c->strs.
 */
static int
parse_strings(struct mm_batch *b, struct mm_col *c, size_t n, size_t *count,
    const char **pp, struct mm_err *err)
{
	const char *p = *pp, *q, *s;
	size_t slen;
	double v;
	char what[32];
	int k, rc;

	do {
		col_reserve(c, n);
		if (*p == 'n' && strncmp(p, "null", 4) == 0) {
			c->v[n++] = NAN;
			p += 4;
		} else if (*p == '"') {
			if ((q = mm_json_string(p, &s, &slen, err)) == NULL)
				return -1;
			if (memchr(s, '\\', slen) == NULL) {
				k = mm_strtab_intern(&c->strs, s, slen);
			} else {
				mm_buf_reset(&b->tmp);
				if (mm_json_unescape(s, slen, &b->tmp) < 0)
					return mm_errf(err, MM_EINPUT, 0,
					    "feature '%s' value %zu has a \\u "
					    "escape of a NUL: %s", c->name, n,
					    mm_json_token(p, what,
					    sizeof(what)));
				k = mm_strtab_intern(&c->strs, b->tmp.p,
				    b->tmp.n);
			}
			c->v[n++] = k;
			p = q;
		} else if (*p == '\0') {
			return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
			    "truncated in feature '%s'", c->name);
		} else if (mm_json_number(p, &v) != NULL) {
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' value "
			    "%zu is a number, earlier values are strings",
			    c->name, n);
		} else {
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' value "
			    "%zu is not a string: %s", c->name, n,
			    mm_json_token(p, what, sizeof(what)));
		}
	} while ((rc = next_value(c, &p, err)) == 0);
	if (rc < 0)
		return -1;
	c->kind = MM_COL_STR;
	*count = n;
	*pp = p;
	return 0;
}

/* Whether c's first n values are all null. */
static int
all_null(const struct mm_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isnan(c->v[i]))
			return 0;
	return 1;
}

/*
 * Parse "[num|null, ...]" or "[str|null, ...]" into c; *pp at '['.
 * Numbers take the fast path, written out in full and keeping nothing
 * for the kind; a string turns to parse_strings().
 */
static int
parse_column(struct mm_batch *b, struct mm_col *c, size_t *count,
    const char **pp, struct mm_err *err)
{
	const char *p = *pp, *q;
	size_t n = 0;
	double v;
	char what[32];

	c->kind = MM_COL_NONE;
	mm_strtab_reset(&c->strs);
	if (*p != '[')
		return bad(err, "feature '%s' is not an array", c->name, 0);
	p = mm_json_ws(p + 1);
	if (*p == ']') {
		*count = 0;
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		if (n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 1024;
			c->v = mm_xrealloc(c->v, c->cap * sizeof(double));
		}
		if (*p == 'n' && strncmp(p, "null", 4) == 0) {
			c->v[n++] = NAN;
			p += 4;
		} else if ((q = mm_json_number(p, &v)) != NULL) {
			if (!isfinite(v))
				return bad(err, "feature '%s' value %lld is "
				    "out of range", c->name, (long long)n);
			c->v[n++] = v;
			p = q;
		} else if (*p == '"') {
			if (!all_null(c, n))
				return mm_errf(err, MM_EINPUT, 0, "feature "
				    "'%s' value %zu is a string, earlier "
				    "values are numbers", c->name, n);
			*pp = p;
			return parse_strings(b, c, n, count, pp, err);
		} else if (*p == '\0') {
			return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
			    "truncated in feature '%s'", c->name);
		} else {
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' value "
			    "%zu is not a number: %s", c->name, n,
			    mm_json_token(p, what, sizeof(what)));
		}
		p = mm_json_ws(p);
		if (*p == ']')
			break;
		if (*p != ',')
			return next_value(c, &p, err);	/* the error */
		p = mm_json_ws(p + 1);
	}
	if (!all_null(c, n))
		c->kind = MM_COL_NUM;
	*count = n;
	*pp = p + 1;
	return 0;
}

static int
parse_features(struct mm_batch *b, const char **pp, struct mm_err *err)
{
	const char *p = *pp, *s, *q;
	size_t n = 0, slen;
	struct mm_col *c;
	char what[32];
	int i;

	if (*p != '{')
		return mm_errf(err, MM_EINPUT, 0,
		    "'features' is not an object");
	b->nfeat = 0;
	p = mm_json_ws(p + 1);
	if (*p == '}')
		return mm_errf(err, MM_EINPUT, 0, "'features' is empty");
	for (;;) {
		if ((q = mm_json_string(p, &s, &slen, err)) == NULL)
			return -1;
		if (memchr(s, '\\', slen) != NULL) {
			mm_buf_reset(&b->tmp);
			if (mm_json_unescape(s, slen, &b->tmp) < 0)
				return mm_errf(err, MM_EINPUT, 0, "feature "
				    "name %s has a \\u escape of a NUL",
				    mm_json_token(p, what, sizeof(what)));
			s = b->tmp.p;
			slen = b->tmp.n;
		}
		p = q;
		if (b->nfeat == b->ncap) {
			b->ncap = b->ncap ? 2 * b->ncap : 16;
			b->cols = mm_xrealloc(b->cols,
			    (size_t)b->ncap * sizeof(*b->cols));
			memset(b->cols + b->nfeat, 0,
			    (size_t)(b->ncap - b->nfeat) * sizeof(*b->cols));
		}
		c = &b->cols[b->nfeat];
		if (c->name == NULL || strncmp(c->name, s, slen) != 0 ||
		    c->name[slen] != '\0') {
			free(c->name);
			c->name = mm_xstrndup(s, slen);
		}
		for (i = 0; i < b->nfeat; i++)
			if (strcmp(b->cols[i].name, c->name) == 0)
				return bad(err, "feature '%s' appears twice",
				    c->name, 0);
		p = mm_json_ws(p);
		if (*p != ':')
			return mm_errf(err, MM_EINPUT, 0,
			    "invalid JSON: expected ':' in 'features'");
		p = mm_json_ws(p + 1);
		if (parse_column(b, c, &n, &p, err) < 0)
			return -1;
		if (b->nfeat == 0)
			b->n = n;
		else if (n != b->n)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' has "
			    "%zu values, '%s' has %zu", c->name, n,
			    b->cols[0].name, b->n);
		b->nfeat++;
		p = mm_json_ws(p);
		if (*p == '}')
			break;
		if (*p != ',')
			return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
			    "%s in 'features'", *p ? "expected ',' or '}'" :
			    "truncated");
		p = mm_json_ws(p + 1);
	}
	*pp = p + 1;
	return 0;
}

static int
parse_labels(struct mm_batch *b, const char **pp, struct mm_err *err)
{
	const char *p = *pp, *q, *s;
	size_t n = 0, slen;
	double v;
	char what[32];

	mm_strtab_reset(&b->lstrs);
	if (*p != '[')
		return mm_errf(err, MM_EINPUT, 0, "'labels' is not an array");
	p = mm_json_ws(p + 1);
	if (*p != ']') {
		for (;;) {
			if (n == b->lcap) {
				b->lcap = b->lcap ? 2 * b->lcap : 1024;
				b->labels = mm_xrealloc(b->labels,
				    b->lcap * sizeof(int));
			}
			if (*p == 'n' && strncmp(p, "null", 4) == 0) {
				b->labels[n++] = -1;
				p += 4;
			} else if ((q = mm_json_number(p, &v)) != NULL &&
			    v >= 0 && v <= 1e6 && v == floor(v) &&
			    memchr(p, '.', (size_t)(q - p)) == NULL) {
				b->labels[n++] = (int)v;
				p = q;
			} else if (*p == '"') {
				if ((q = mm_json_string(p, &s, &slen,
				    err)) == NULL)
					return -1;
				mm_buf_reset(&b->tmp);
				if (slen == 0 || mm_json_unescape(s, slen,
				    &b->tmp) < 0 || b->tmp.n == 0 ||
				    memchr(b->tmp.p, '\0', b->tmp.n) != NULL)
					return mm_errf(err, MM_EINPUT, 0,
					    "label %zu is not a class: %s", n,
					    mm_json_token(p, what,
					    sizeof(what)));
				b->labels[n++] = MM_LABEL_STR(mm_strtab_intern(
				    &b->lstrs, b->tmp.p, b->tmp.n));
				p = q;
			} else {
				return mm_errf(err, MM_EINPUT, 0, "label %zu "
				    "is not a class: %s", n,
				    mm_json_token(p, what, sizeof(what)));
			}
			p = mm_json_ws(p);
			if (*p == ']')
				break;
			if (*p != ',')
				return mm_errf(err, MM_EINPUT, 0, "invalid "
				    "JSON: %s in 'labels'", *p ?
				    "expected ',' or ']'" : "truncated");
			p = mm_json_ws(p + 1);
		}
	}
	b->has_labels = 1;
	b->nlabels = n;
	*pp = p + 1;
	return 0;
}

static int
on_field(void *ctx, const struct mm_span *key, const char **pp,
    struct mm_err *err)
{
	struct mm_batch *b = ctx;
	const char *p = *pp, *s, *q;
	size_t n;

	if (mm_span_eq(key, "batch_id")) {
		if (*p == '\0')
			return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
			    "truncated after 'batch_id'");
		if (*p != '"')
			return mm_errf(err, MM_EINPUT, 0,
			    "'batch_id' is not a string");
		if ((q = mm_json_string(p, &s, &n, err)) == NULL)
			return -1;	/* invalid JSON: err says how */
		if (n == 0)
			return mm_errf(err, MM_EINPUT, 0,
			    "'batch_id' is empty");
		/*
		 * Decoded, so "b\u0031" is the batch "b1" wherever ids meet
		 * (the database, messages, other programs' records).
		 */
		if (memchr(s, '\\', n) != NULL) {
			mm_buf_reset(&b->tmp);
			if (mm_json_unescape(s, n, &b->tmp) < 0)
				return mm_errf(err, MM_EINPUT, 0, "'batch_id' "
				    "has a \\u escape of a NUL");
			s = b->tmp.p;
			n = b->tmp.n;
		}
		free(b->id);
		b->id = mm_xstrndup(s, n);
		*pp = q;
		return 1;
	}
	if (mm_span_eq(key, "ts")) {
		if (*p == '\0')
			return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
			    "truncated after 'ts'");
		if ((q = mm_json_number(p, &b->ts)) == NULL)
			return mm_errf(err, MM_EINPUT, 0,
			    "'ts' is not a number");
		if (!isfinite(b->ts))
			return mm_errf(err, MM_EINPUT, 0,
			    "'ts' is out of range");
		b->has_ts = 1;
		*pp = q;
		return 1;
	}
	if ((b->flags & (MM_BATCH_FEATURES | MM_BATCH_ANY_FEATURES)) &&
	    mm_span_eq(key, "features")) {
		if (parse_features(b, pp, err) < 0)
			return -1;
		return 1;
	}
	if ((b->flags & MM_BATCH_LABELS) && mm_span_eq(key, "labels")) {
		if (*p == 'n' && strncmp(p, "null", 4) == 0)
			return 0;	/* no labels yet */
		if (parse_labels(b, pp, err) < 0)
			return -1;
		return 1;
	}
	return 0;
}

int
mm_batch_parse(struct mm_batch *b, struct mm_rec *rec, const char *line,
    size_t len, unsigned flags, struct mm_err *err)
{
	int had_features;

	free(b->id);
	b->id = NULL;
	b->has_ts = 0;
	b->ts = 0;
	b->n = 0;
	b->nfeat = 0;
	b->has_labels = 0;
	b->nlabels = 0;
	b->flags = flags;
	if (mm_rec_parse(rec, line, len, on_field, b, err) < 0)
		return -1;
	if ((flags & MM_BATCH_ID) && b->id == NULL)
		return mm_errf(err, MM_EINPUT, 0, "'batch_id' missing");
	had_features = b->nfeat > 0;
	if ((flags & MM_BATCH_FEATURES) && !had_features)
		return mm_errf(err, MM_EINPUT, 0, "'features' missing");
	if (b->has_labels && had_features && b->nlabels != b->n)
		return mm_errf(err, MM_EINPUT, 0, "'labels' has %zu values, "
		    "features have %zu", b->nlabels, b->n);
	return 0;
}

int
mm_batch_require_numeric(const struct mm_batch *b, struct mm_err *err)
{
	const struct mm_col *c;
	struct mm_buf tok;
	char what[32];
	size_t i;
	int j, k;

	for (j = 0; j < b->nfeat; j++) {
		c = &b->cols[j];
		if (c->kind != MM_COL_STR)
			continue;
		for (i = 0; isnan(c->v[i]); i++)
			;
		k = (int)c->v[i];
		mm_buf_init(&tok);
		mm_jw_strn(&tok, mm_strtab_str(&c->strs, k),
		    mm_strtab_len(&c->strs, k));
		mm_errf(err, MM_EINPUT, 0, "feature '%s' value %zu is not a "
		    "number: %s", c->name, i, mm_json_token(tok.p, what,
		    sizeof(what)));
		mm_buf_release(&tok);
		return -1;
	}
	return 0;
}

const struct mm_col *
mm_batch_col(const struct mm_batch *b, const char *name)
{
	int i;

	for (i = 0; i < b->nfeat; i++)
		if (strcmp(b->cols[i].name, name) == 0)
			return &b->cols[i];
	return NULL;
}
