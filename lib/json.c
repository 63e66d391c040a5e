#include <math.h>
#include <stdarg.h>
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

const char *
mm_json_number(const char *p, double *out)
{
	const char *e = number_end(p);

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

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes left, s[0]
 * not ASCII), 0 if it is not one.  Unicode's table 3-7: no overlong
 * forms (C0, C1, E0 80..9F, F0 80..8F), no surrogates (ED A0..BF),
 * nothing above U+10FFFF (F4 90.., F5..FF).
 */
size_t
mm_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t k;

	if (c >= 0xc2 && c <= 0xdf)
		k = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	/* The second byte has the narrow range, the rest 80..BF. */
	if (n <= k || s[1] < lo || s[1] > hi)
		return 0;
	if (k >= 2 && (s[2] & 0xc0) != 0x80)
		return 0;
	if (k == 3 && (s[3] & 0xc0) != 0x80)
		return 0;
	return k + 1;
}

/*
 * The length of the valid UTF-8 at s (n bytes): n if all of it is.
 * Eight ASCII bytes are taken at a time.
 */
size_t
mm_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint64_t w;

	while (i < n) {
		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = mm_utf8_seq(p + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

/* Four hex digits at p into *u; -1 if they are not. */
static int
hex4(const char *p, const char *end, unsigned *u)
{
	int i, d;

	if (end - p < 4)
		return -1;
	*u = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*u = *u << 4 | (unsigned)d;
	}
	return 0;
}

/* The UTF-8 form of the character u into c; its length. */
static size_t
utf8_put(char *c, unsigned u)
{
	if (u < 0x80) {
		c[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		c[0] = (char)(0xc0 | u >> 6);
		c[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		c[0] = (char)(0xe0 | u >> 12);
		c[1] = (char)(0x80 | (u >> 6 & 0x3f));
		c[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	c[0] = (char)(0xf0 | u >> 18);
	c[1] = (char)(0x80 | (u >> 12 & 0x3f));
	c[2] = (char)(0x80 | (u >> 6 & 0x3f));
	c[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/*
 * The escape at *pp (its backslash), before end, decoded into c: its
 * length, with *pp past it, or -1 on a bad escape, a lone surrogate or
 * \u0000.
 */
static int
unescape1(const char **pp, const char *end, char *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *q = *pp + 1, *e;
	unsigned u, lo;

	if (q == end)
		return -1;
	if (*q != 'u') {
		if (*q == '\0' || (e = strchr(from, *q)) == NULL)
			return -1;
		c[0] = to[e - from];
		*pp = q + 1;
		return 1;
	}
	if (hex4(++q, end, &u) < 0 || u == 0 || (u >= 0xdc00 && u <= 0xdfff))
		return -1;
	q += 4;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
		    hex4(q + 2, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		q += 6;
	}
	*pp = q;
	return (int)utf8_put(c, u);
}

int
mm_json_unescape(const char *raw, size_t n, struct mm_buf *out)
{
	const char *p = raw, *end = raw + n, *q;
	char c[4];
	int k;

	while ((q = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		mm_buf_put(out, p, (size_t)(q - p));
		if ((k = unescape1(&q, end, c)) < 0)
			return -1;
		mm_buf_put(out, c, (size_t)k);
		p = q;
	}
	mm_buf_put(out, p, (size_t)(end - p));
	return 0;
}

int
mm_json_canon(const char *raw, size_t n, struct mm_buf *out)
{
	struct mm_buf dec;
	size_t start;

	if (memchr(raw, '\\', n) == NULL) {
		mm_buf_put(out, raw, n);
		return 0;
	}
	mm_buf_init(&dec);
	if (mm_json_unescape(raw, n, &dec) < 0) {
		mm_buf_release(&dec);
		return -1;
	}
	/* mm_jw_strn() with its quotes taken off. */
	start = out->n;
	mm_jw_strn(out, dec.p, dec.n);
	memmove(out->p + start, out->p + start + 1, out->n - start - 2);
	out->n -= 2;
	out->p[out->n] = '\0';
	mm_buf_release(&dec);
	return 0;
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
			if ((p = skip_depth(p, depth + 1, err)) == NULL)
				return NULL;
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

/*
 * Keys are compared decoded, so that "temp\u00e9rature" (what Python's
 * json.dumps writes by default) is the key "température".  The bytes are
 * compared as they are until a backslash, the rare case, and only from
 * there is anything decoded: nothing is allocated either way.
 */
int
mm_span_eq(const struct mm_span *s, const char *str)
{
	const char *p = s->p, *end = s->p + s->n;
	char c[4];
	int k;

	for (; p < end; p++, str++) {
		if (*p != '\\') {
			if (*p != *str)
				return 0;
			continue;
		}
		if ((k = unescape1(&p, end, c)) < 0 ||
		    strncmp(str, c, (size_t)k) != 0)
			return 0;
		str += k - 1;
		p--;
	}
	return *str == '\0';
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
		/* Decoded into kbuf; the spans point into it once it is done. */
		mm_buf_reset(&r->kbuf);
		at = mm_xcalloc((size_t)r->n, sizeof(*at));
		for (i = 0; i < r->n; i++) {
			if (memchr(k[i].p, '\\', k[i].n) == NULL)
				continue;
			at[i] = r->kbuf.n + 1;
			if (mm_json_unescape(k[i].p, k[i].n, &r->kbuf) < 0) {
				free(at);
				return mm_errf(err, MM_EINPUT, 0, "invalid JSON: "
				    "bad escape in key '%.*s'", (int)k[i].n,
				    k[i].p);
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

static int
dropped(const struct mm_span *key, const char *const *drop)
{
	for (; drop != NULL && *drop != NULL; drop++)
		if (mm_span_eq(key, *drop))
			return 1;
	return 0;
}

/* The kv entry whose key is f's, or -1. */
static int
kv_index(const struct mm_field *f, const struct mm_kv *kv, int nkv)
{
	int k;

	for (k = 0; k < nkv; k++)
		if (mm_span_eq(&f->key, kv[k].key))
			return k;
	return -1;
}

/*
 * Fields are copied with the separator that came before them, so what
 * lies between two kept fields stays as it came; a dropped field takes
 * no bytes with it but its own.  A key being set is replaced at its last
 * occurrence (earlier ones are dropped) or appended after the rest.
 */
int
mm_rec_write_kv(FILE *out, const struct mm_rec *r, const char *const *drop,
    const struct mm_kv *kv, int nkv)
{
	const char *head_end, *tail, *fstart, *fend;
	int i, k, nkept = 0, last[8];

	if (nkv > 8)
		return -1;
	for (k = 0; k < nkv; k++) {
		last[k] = -1;
		for (i = r->n - 1; i >= 0; i--)
			if (mm_span_eq(&r->f[i].key, kv[k].key)) {
				last[k] = i;
				break;
			}
	}
	head_end = r->n > 0 ? r->f[0].key.p - 1 : r->close;
	fwrite(r->line, 1, (size_t)(head_end - r->line), out);
	for (i = 0; i < r->n; i++) {
		const struct mm_field *f = &r->f[i];

		k = kv_index(f, kv, nkv);
		if (k >= 0 ? last[k] != i : dropped(&f->key, drop))
			continue;
		fstart = f->key.p - 1;	/* the opening quote */
		fend = f->val.p + f->val.n;
		if (nkept > 0) {
			const char *sep = r->f[i - 1].val.p + r->f[i - 1].val.n;

			fwrite(sep, 1, (size_t)(fstart - sep), out);
		}
		if (k >= 0) {
			fwrite(fstart, 1, (size_t)(f->val.p - fstart), out);
			fwrite(kv[k].val, 1, kv[k].vlen, out);
		} else {
			fwrite(fstart, 1, (size_t)(fend - fstart), out);
		}
		nkept++;
	}
	for (k = 0; k < nkv; k++) {
		if (last[k] >= 0)
			continue;
		fprintf(out, nkept > 0 ? ",\"%s\":" : "\"%s\":", kv[k].key);
		fwrite(kv[k].val, 1, kv[k].vlen, out);
		nkept++;
	}
	tail = r->n > 0 ? r->f[r->n - 1].val.p + r->f[r->n - 1].val.n :
	    r->close;
	fwrite(tail, 1, (size_t)(r->line + r->len - tail), out);
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

int
mm_rec_write(FILE *out, const struct mm_rec *r, const char *const *drop,
    const char *key, const char *val, size_t vlen)
{
	struct mm_kv kv = { key, val, vlen };

	return mm_rec_write_kv(out, r, drop, &kv, key != NULL);
}

void
mm_buf_init(struct mm_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
mm_buf_release(struct mm_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
mm_buf_reset(struct mm_buf *b)
{
	b->n = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static void
reserve(struct mm_buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	while (b->n + more + 1 > b->cap)
		b->cap = b->cap ? 2 * b->cap : 256;
	b->p = mm_xrealloc(b->p, b->cap);
}

void
mm_buf_put(struct mm_buf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
mm_buf_puts(struct mm_buf *b, const char *s)
{
	mm_buf_put(b, s, strlen(s));
}

void
mm_buf_putc(struct mm_buf *b, char c)
{
	reserve(b, 1);
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}

void
mm_buf_printf(struct mm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

int
mm_fmt_double(char *buf, size_t size, double v)
{
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return n;
}

void
mm_jw_num(struct mm_buf *b, double v)
{
	char tmp[40];
	int n;

	if (!isfinite(v)) {
		mm_buf_put(b, "null", 4);
		return;
	}
	n = mm_fmt_double(tmp, sizeof(tmp), v);
	mm_buf_put(b, tmp, (size_t)n);
}

void
mm_jw_strn(struct mm_buf *b, const char *s, size_t n)
{
	size_t i;

	mm_buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			mm_buf_putc(b, '\\');
			mm_buf_putc(b, (char)c);
		} else if (c == '\n') {
			mm_buf_put(b, "\\n", 2);
		} else if (c == '\t') {
			mm_buf_put(b, "\\t", 2);
		} else if (c < 0x20) {
			mm_buf_printf(b, "\\u%04x", c);
		} else {
			mm_buf_putc(b, (char)c);
		}
	}
	mm_buf_putc(b, '"');
}

void
mm_jw_str(struct mm_buf *b, const char *s)
{
	mm_jw_strn(b, s, strlen(s));
}

void
mm_jw_key(struct mm_buf *b, int *first, const char *key)
{
	if (!*first)
		mm_buf_putc(b, ',');
	*first = 0;
	mm_jw_str(b, key);
	mm_buf_putc(b, ':');
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
