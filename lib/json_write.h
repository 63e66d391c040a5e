/*
 * json_write.h - the JSON writer: a record copied through with fields
 * added, replaced or dropped, and a growable buffer with writers for
 * JSON values, to build what is added.  json.h includes this header.
 */
#ifndef MM_JSON_WRITE_H
#define MM_JSON_WRITE_H

#include <stdio.h>

#include "mm.h"

struct mm_rec;		/* json.h */

/* Growable text buffer for building JSON. */
struct mm_buf {
	char *p;
	size_t n, cap;
};

/*
 * Write the record and a newline to out: every field as it came, except
 * fields named in drop (a NULL-terminated list, or NULL), and key set to
 * the JSON text val (replaced in place, or appended last).  key may be
 * NULL to add nothing.  Returns 0, or -1 if out has an error.
 */
int mm_rec_write(FILE *out, const struct mm_rec *r, const char *const *drop,
    const char *key, const char *val, size_t vlen);

/* Several fields at once: each replaced in place or appended in order. */
struct mm_kv {
	const char *key;
	const char *val;
	size_t vlen;
};
#define MM_KV_MAX 8
int mm_rec_write_kv(FILE *out, const struct mm_rec *r,
    const char *const *drop, const struct mm_kv *kv, int nkv);

/* The same, appended to a buffer (nkv at most MM_KV_MAX). */
void mm_rec_put(struct mm_buf *out, const struct mm_rec *r,
    const char *const *drop, const char *key, const char *val, size_t vlen);
void mm_rec_put_kv(struct mm_buf *out, const struct mm_rec *r,
    const char *const *drop, const struct mm_kv *kv, int nkv);

void mm_buf_init(struct mm_buf *b);
void mm_buf_release(struct mm_buf *b);
void mm_buf_reset(struct mm_buf *b);
void mm_buf_put(struct mm_buf *b, const char *s, size_t n);
void mm_buf_puts(struct mm_buf *b, const char *s);
void mm_buf_putc(struct mm_buf *b, char c);
/* v in decimal, as "%ld" writes it, without printf. */
void mm_buf_long(struct mm_buf *b, long v);
void mm_buf_printf(struct mm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* JSON values.  Non-finite numbers are written as null. */
void mm_jw_num(struct mm_buf *b, double v);
void mm_jw_str(struct mm_buf *b, const char *s);
void mm_jw_strn(struct mm_buf *b, const char *s, size_t n);
/* Write a comma unless *first, then "key":.  Clears *first. */
void mm_jw_key(struct mm_buf *b, int *first, const char *key);

/*
 * Shortest text that reads back as v: what "%.15g" to "%.17g" writes,
 * the first that does (numparse.cc, without printf).
 */
int mm_fmt_double(char *buf, size_t size, double v);

#endif
