#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int mm_parse_double_span(const char *p, const char *end, double *out);

static const char *skip_depth(const char *p, int depth, struct mm_err *err);

const char *
mm_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

const char *
mm_json_what(const char *p, char *buf, size_t size)
{
	if (*p == '\0')
		snprintf(buf, size, "end of line");
	else if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
		snprintf(buf, size, "byte 0x%02x", (unsigned char)*p);
	else
		snprintf(buf, size, "'%c'", *p);
	return buf;
}

const char *
mm_json_token(const char *p, char *buf, size_t size)
{
	const char *q = p;
	size_t n;

	if (*p == '[' || *p == '{') {
		snprintf(buf, size, *p == '[' ? "an array" : "an object");
		return buf;
	}
	if (*q == '"') {
		for (q++; *q != '\0' && *q != '"'; q++)
			if (*q == '\\' && q[1] != '\0')
				q++;
		if (*q == '"')
			q++;
	} else {
		while (*q != '\0' && strchr(",]}: \t\r\n", *q) == NULL)
			q++;
	}
	n = (size_t)(q - p);
	if (n == 0)
		return mm_json_what(p, buf, size);
	if (n > 24)
		snprintf(buf, size, "%.20s...", p);
	else
		snprintf(buf, size, "%.*s", (int)n, p);
	return buf;
}

static const char *
unexpected(const char *p, const char *wanted, struct mm_err *err)
{
	char what[32];

	mm_errf(err, MM_EINPUT, 0, "invalid JSON: expected %s, found %s",
	    wanted, mm_json_what(p, what, sizeof(what)));
	return NULL;
}

static int
isdigit_(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of a strict JSON number at p, or NULL. */
static const char *
number_end(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit_(*++p))
			;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit_(*++p))
			return NULL;
		while (isdigit_(*++p))
			;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit_(*p))
			return NULL;
		while (isdigit_(*++p))
			;
	}
	return p;
}

/* 10^k, k = 0..22: each a double exactly. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

const char *
mm_json_number(const char *p, double *out)
{
	const char *q = p, *e;
	uint64_t w = 0;
	int nd = 0, frac = 0;

	/*
	 * Read and checked in one pass when it is plain, as a batch's
	 * numbers are: no exponent and at most 15 digits, so that w is a
	 * double exactly and w / 10^frac, one correctly rounded division,
	 * is the number (Clinger's fast path), as strtod would give it.
	 */
	if (*q == '-')
		q++;
	if (*q == '0') {
		q++;
	} else if (*q >= '1' && *q <= '9') {
		do
			w = w * 10 + (uint64_t)(*q++ - '0'), nd++;
		while (isdigit_(*q));
	} else {
		return NULL;
	}
	if (*q == '.') {
		if (!isdigit_(*++q))
			return NULL;
		do
			w = w * 10 + (uint64_t)(*q++ - '0'), nd++, frac++;
		while (isdigit_(*q));
	}
	if (*q != 'e' && *q != 'E' && nd <= 15) {
		*out = (double)w / pow10_exact[frac];
		if (*p == '-')
			*out = -*out;
		return q;
	}
	e = number_end(p);
	if (e == NULL || mm_parse_double_span(p, e, out) < 0)
		return NULL;
	return e;
}

/* The four hex digits at p (already checked) as a number. */
static unsigned
hexval(const char *p)
{
	unsigned u = 0;
	int i;

	for (i = 0; i < 4; i++)
		u = u << 4 | (unsigned)(p[i] <= '9' ? p[i] - '0' :
		    (p[i] | 0x20) - 'a' + 10);
	return u;
}

/*
 * A string at p.  A \u escape must name a character: a high surrogate
 * only as the first half of a pair, a low one only as the second, since
 * what is left has no UTF-8 form (and other readers, jansson among them,
 * refuse it).  In a key (iskey), \u0000 is refused too: keys are
 * compared as C strings, which end at a NUL.
 */
static const char *
scan_string(const char *p, const char **s, size_t *n, int iskey,
    struct mm_err *err)
{
	const char *q;
	unsigned u, hi = 0;
	int i;

	if (*p != '"')
		return unexpected(p, "a string", err);
	q = ++p;
	for (;;) {
		unsigned char c = (unsigned char)*q;

		if (c == '"')
			break;
		if (c == '\0') {
			mm_errf(err, MM_EINPUT, 0,
			    "invalid JSON: unterminated string");
			return NULL;
		}
		if (c < 0x20) {
			mm_errf(err, MM_EINPUT, 0, "invalid JSON: control "
			    "character 0x%02x in string", c);
			return NULL;
		}
		if (c == '\\') {
			q++;
			switch (*q) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				if (hi)
					goto lone;
				break;
			case 'u':
				for (i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
					    q[i]) == NULL || q[i] == '\0') {
						mm_errf(err, MM_EINPUT, 0,
						    "invalid JSON: bad \\u "
						    "escape in string");
						return NULL;
					}
				u = hexval(q + 1);
				if (u >= 0xdc00 && u <= 0xdfff) {
					if (!hi)
						goto lone;
					hi = 0;
				} else if (hi) {
					goto lone;
				} else if (u >= 0xd800 && u <= 0xdbff) {
					hi = u;
				} else if (u == 0 && iskey) {
					mm_errf(err, MM_EINPUT, 0, "invalid "
					    "JSON: \\u0000 in a key");
					return NULL;
				}
				q += 4;
				break;
			default:
				mm_errf(err, MM_EINPUT, 0,
				    "invalid JSON: bad escape in string");
				return NULL;
			}
		} else if (hi) {
			goto lone;
		}
		q++;
	}
	if (hi)
		goto lone;
	*s = p;
	*n = (size_t)(q - p);
	return q + 1;
lone:
	mm_errf(err, MM_EINPUT, 0, "invalid JSON: \\u escape of a lone "
	    "surrogate in string");
	return NULL;
}

const char *
mm_json_string(const char *p, const char **s, size_t *n, struct mm_err *err)
{
	return scan_string(p, s, n, 0, err);
}


static const char *
literal(const char *p, const char *word, struct mm_err *err)
{
	size_t n = strlen(word);

	if (strncmp(p, word, n) != 0)
		return unexpected(p, "a value", err);
	return p + n;
}

static const char *
skip_depth(const char *p, int depth, struct mm_err *err)
{
	const char *s, *q;
	size_t n;

	if (depth > MM_JSON_MAX_DEPTH) {
		mm_errf(err, MM_EINPUT, 0, "invalid JSON: nested deeper "
		    "than %d", MM_JSON_MAX_DEPTH);
		return NULL;
	}
	switch (*p) {
	case '{':
		p = mm_json_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			if ((p = scan_string(p, &s, &n, 1, err)) == NULL)
				return NULL;
			p = mm_json_ws(p);
			if (*p != ':')
				return unexpected(p, "':'", err);
			p = mm_json_ws(p + 1);
			if ((p = skip_depth(p, depth + 1, err)) == NULL)
				return NULL;
			p = mm_json_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p != ',')
				return unexpected(p, "',' or '}'", err);
			p = mm_json_ws(p + 1);
		}
	case '[':
		p = mm_json_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			/*
			 * A number, as in a column of them, without a call:
			 * the arrays of a batch are most of the bytes a
			 * filter passes over.
			 */
			if (depth < MM_JSON_MAX_DEPTH &&
			    (*p == '-' || isdigit_(*p))) {
				if ((q = number_end(p)) == NULL)
					return unexpected(p, "a value", err);
				p = q;
			} else if ((p = skip_depth(p, depth + 1, err)) ==
			    NULL) {
				return NULL;
			}
			p = mm_json_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p != ',')
				return unexpected(p, "',' or ']'", err);
			p = mm_json_ws(p + 1);
		}
	case '"':
		return mm_json_string(p, &s, &n, err);
	case 't':
		return literal(p, "true", err);
	case 'f':
		return literal(p, "false", err);
	case 'n':
		return literal(p, "null", err);
	default:
		if ((q = number_end(p)) == NULL)
			return unexpected(p, "a value", err);
		return q;
	}
}

const char *
mm_json_skip(const char *p, struct mm_err *err)
{
	return skip_depth(p, 0, err);
}


void
mm_rec_init(struct mm_rec *r)
{
	memset(r, 0, sizeof(*r));
}

void
mm_rec_release(struct mm_rec *r)
{
	free(r->f);
	free(r->keys);
	mm_buf_release(&r->kbuf);
	memset(r, 0, sizeof(*r));
}

static int
span_cmp(const void *a, const void *b)
{
	const struct mm_span *x = a, *y = b;
	int c;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	c = memcmp(x->p, y->p, x->n);
	return c;
}

/*
 * Refuse a top-level key that comes twice.  Keys are compared decoded
 * ("a" is "\u0061"); a handful pairwise, more sorted, so a wide row of
 * a thousand columns costs n log n, not n squared.
 */
static int
no_repeated_key(struct mm_rec *r, struct mm_err *err)
{
	struct mm_span *k;
	size_t *at = NULL;
	int i, j, escaped = 0, dup = -1;

	if (r->n < 2)
		return 0;
	if (r->kcap < r->n) {
		r->kcap = r->n;
		r->keys = mm_xrealloc(r->keys, (size_t)r->kcap *
		    sizeof(*r->keys));
	}
	k = r->keys;
	for (i = 0; i < r->n; i++) {
		k[i] = r->f[i].key;
		escaped |= memchr(k[i].p, '\\', k[i].n) != NULL;
	}
	if (escaped) {
		/* Decoded into kbuf; spans point into it once it is done. */
		mm_buf_reset(&r->kbuf);
		at = mm_xcalloc((size_t)r->n, sizeof(*at));
		for (i = 0; i < r->n; i++) {
			if (memchr(k[i].p, '\\', k[i].n) == NULL)
				continue;
			at[i] = r->kbuf.n + 1;
			if (mm_json_unescape(k[i].p, k[i].n, &r->kbuf) < 0) {
				free(at);
				return mm_errf(err, MM_EINPUT, 0,
				    "invalid JSON: bad escape in key '%.*s'",
				    (int)k[i].n, k[i].p);
			}
			k[i].n = r->kbuf.n - (at[i] - 1);
		}
		for (i = 0; i < r->n; i++)
			if (at[i] != 0)
				k[i].p = r->kbuf.p + at[i] - 1;
		free(at);
	}
	if (r->n <= 16) {
		for (i = 1; i < r->n && dup < 0; i++)
			for (j = 0; j < i; j++)
				if (span_cmp(&k[i], &k[j]) == 0) {
					dup = i;
					break;
				}
	} else {
		qsort(k, (size_t)r->n, sizeof(*k), span_cmp);
		for (i = 1; i < r->n; i++)
			if (span_cmp(&k[i], &k[i - 1]) == 0) {
				dup = i;
				break;
			}
	}
	if (dup < 0)
		return 0;
	return mm_errf(err, MM_EINPUT, 0, "field '%.*s' appears twice",
	    (int)k[dup].n, k[dup].p);
}

int
mm_rec_parse(struct mm_rec *r, const char *line, size_t len, mm_field_fn fn,
    void *ctx, struct mm_err *err)
{
	const char *p, *v;
	struct mm_field *f;
	struct mm_span key;
	size_t i;
	int rc;

	r->line = line;
	r->len = len;
	r->n = 0;
	r->close = NULL;
	/*
	 * JSON text is UTF-8, and what mm writes is read by programs that
	 * refuse anything else (Python's json.loads among them): a record
	 * that is not is bad input here, before any of it is passed on.
	 */
	if ((i = mm_utf8_check(line, len)) < len)
		return mm_errf(err, MM_EINPUT, 0, "invalid UTF-8 at byte %zu",
		    i + 1);
	p = mm_json_ws(line);
	if (*p != '{') {
		if (*p == '\0')
			return mm_errf(err, MM_EINPUT, 0, "empty line");
		if (unexpected(p, "a JSON object", err) == NULL)
			return -1;
	}
	p = mm_json_ws(p + 1);
	if (*p != '}') {
		for (;;) {
			if ((p = scan_string(p, &key.p, &key.n, 1, err)) ==
			    NULL)
				return -1;
			p = mm_json_ws(p);
			if (*p != ':') {
				unexpected(p, "':'", err);
				return -1;
			}
			v = p = mm_json_ws(p + 1);
			rc = fn ? fn(ctx, &key, &p, err) : 0;
			if (rc < 0)
				return -1;
			if (rc == 0 && (p = skip_depth(p, 1, err)) == NULL)
				return -1;
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 16;
				r->f = mm_xrealloc(r->f,
				    (size_t)r->cap * sizeof(*r->f));
			}
			f = &r->f[r->n++];
			f->key = key;
			f->val.p = v;
			f->val.n = (size_t)(p - v);
			p = mm_json_ws(p);
			if (*p == '}')
				break;
			if (*p != ',') {
				unexpected(p, "',' or '}'", err);
				return -1;
			}
			p = mm_json_ws(p + 1);
		}
	}
	r->close = p;
	p = mm_json_ws(p + 1);
	if ((size_t)(p - line) < len) {
		if (*p == '\0')
			return mm_errf(err, MM_EINPUT, 0,
			    "invalid JSON: NUL byte after the object");
		unexpected(p, "end of line after the object", err);
		return -1;
	}
	return no_repeated_key(r, err);
}

const struct mm_field *
mm_rec_get(const struct mm_rec *r, const char *key)
{
	int i;

	for (i = r->n - 1; i >= 0; i--)
		if (mm_span_eq(&r->f[i].key, key))
			return &r->f[i];
	return NULL;
}

int
mm_field_null(const struct mm_field *f)
{
	return f == NULL || (f->val.n == 4 && memcmp(f->val.p, "null", 4) == 0);
}

int
mm_field_number(const struct mm_field *f, double *v)
{
	if (mm_field_null(f))
		return 0;
	if (mm_json_number(f->val.p, v) == f->val.p + f->val.n &&
	    isfinite(*v))
		return 1;
	/* The record is JSON: a value that starts as a number is one. */
	return f->val.p[0] == '-' || isdigit_(f->val.p[0]) ? -2 : -1;
}

int
mm_rec_sub(struct mm_rec *sub, struct mm_buf *text, const struct mm_field *f,
    struct mm_err *err)
{
	mm_buf_reset(text);
	mm_buf_put(text, f->val.p, f->val.n);
	return mm_rec_parse(sub, text->p, text->n, NULL, NULL, err);
}

char *
mm_rec_get_string(const struct mm_rec *r, const char *key)
{
	const struct mm_field *f = mm_rec_get(r, key);
	struct mm_buf b;
	char *s = NULL;

	if (f == NULL || f->val.n < 2 || f->val.p[0] != '"')
		return NULL;
	mm_buf_init(&b);
	if (mm_json_unescape(f->val.p + 1, f->val.n - 2, &b) == 0)
		s = mm_xstrndup(b.p ? b.p : "", b.n);
	mm_buf_release(&b);
	return s;
}
