/*
 * json_write.c - the JSON writer: records copied through with fields
 * added, replaced or dropped (mm_rec_write), and the growable buffer and
 * value writers (mm_buf_*, mm_jw_*) that build the text of new fields.
 * Apart from the scanner (json.c): this side never reads a record, it
 * only copies the spans the scanner found.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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
void
mm_rec_put_kv(struct mm_buf *out, const struct mm_rec *r,
    const char *const *drop, const struct mm_kv *kv, int nkv)
{
	const char *head_end, *tail, *fstart, *fend;
	int i, k, nkept = 0, last[MM_KV_MAX];

	for (k = 0; k < nkv; k++) {
		last[k] = -1;
		for (i = r->n - 1; i >= 0; i--)
			if (mm_span_eq(&r->f[i].key, kv[k].key)) {
				last[k] = i;
				break;
			}
	}
	head_end = r->n > 0 ? r->f[0].key.p - 1 : r->close;
	mm_buf_put(out, r->line, (size_t)(head_end - r->line));
	for (i = 0; i < r->n; i++) {
		const struct mm_field *f = &r->f[i];

		k = kv_index(f, kv, nkv);
		if (k >= 0 ? last[k] != i : dropped(&f->key, drop))
			continue;
		fstart = f->key.p - 1;	/* the opening quote */
		fend = f->val.p + f->val.n;
		if (nkept > 0) {
			const char *sep = r->f[i - 1].val.p + r->f[i - 1].val.n;

			mm_buf_put(out, sep, (size_t)(fstart - sep));
		}
		if (k >= 0) {
			mm_buf_put(out, fstart, (size_t)(f->val.p - fstart));
			mm_buf_put(out, kv[k].val, kv[k].vlen);
		} else {
			mm_buf_put(out, fstart, (size_t)(fend - fstart));
		}
		nkept++;
	}
	for (k = 0; k < nkv; k++) {
		if (last[k] >= 0)
			continue;
		mm_buf_puts(out, nkept > 0 ? ",\"" : "\"");
		mm_buf_puts(out, kv[k].key);
		mm_buf_puts(out, "\":");
		mm_buf_put(out, kv[k].val, kv[k].vlen);
		nkept++;
	}
	tail = r->n > 0 ? r->f[r->n - 1].val.p + r->f[r->n - 1].val.n :
	    r->close;
	mm_buf_put(out, tail, (size_t)(r->line + r->len - tail));
	mm_buf_putc(out, '\n');
}

void
mm_rec_put(struct mm_buf *out, const struct mm_rec *r,
    const char *const *drop, const char *key, const char *val, size_t vlen)
{
	struct mm_kv kv = { key, val, vlen };

	mm_rec_put_kv(out, r, drop, &kv, key != NULL);
}

int
mm_rec_write_kv(FILE *out, const struct mm_rec *r, const char *const *drop,
    const struct mm_kv *kv, int nkv)
{
	struct mm_buf b;
	int rc;

	if (nkv > MM_KV_MAX)
		return -1;
	mm_buf_init(&b);
	mm_rec_put_kv(&b, r, drop, kv, nkv);
	rc = fwrite(b.p, 1, b.n, out) == b.n ? 0 : -1;
	mm_buf_release(&b);
	return rc < 0 || ferror(out) ? -1 : 0;
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

void
mm_buf_long(struct mm_buf *b, long v)
{
	char tmp[24];
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	int n = (int)sizeof(tmp);

	do
		tmp[--n] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		tmp[--n] = '-';
	mm_buf_put(b, tmp + n, sizeof(tmp) - (size_t)n);
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
	/*
	 * A whole number below 1e15 is its digits, as %.15g writes it,
	 * without printf: a model holds hundreds of thousands of them.
	 */
	if (fabs(v) < 1e15 && v == (double)(long)v &&
	    (v != 0 || !signbit(v))) {
		mm_buf_long(b, (long)v);
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
