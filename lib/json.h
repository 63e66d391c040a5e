/*
 * json.h - a small JSON scanner for records, and a JSON writer.
 *
 * Records pass through mm byte for byte: mm_rec_parse() validates one
 * line as a JSON object and remembers where each top-level field is, and
 * mm_rec_write() copies the line with one field added or replaced (and
 * optionally some dropped).  Numbers are never re-printed.
 *
 * Lines must be NUL-terminated (struct mm_reader does that); the NUL is
 * the scanner's end sentinel, so a NUL inside a line is an error.
 *
 * Text is Unicode: a record must be valid UTF-8, and a \u escape must
 * name a character (a surrogate only as half of a pair).  Keys may not
 * hold \u0000.  Keys and the strings mm reads are compared decoded, so
 * "temp\u00e9rature" and "température" are one key; what passes through
 * keeps its bytes, escapes and all.
 */
#ifndef MM_JSON_H
#define MM_JSON_H

#include <stdio.h>

#include "mm.h"

#define MM_JSON_MAX_DEPTH 256

struct mm_span {
	const char *p;
	size_t n;
};

struct mm_field {
	struct mm_span key;	/* raw key bytes, without quotes (escaped) */
	struct mm_span val;	/* raw value bytes */
};

/* Growable text buffer for building JSON. */
struct mm_buf {
	char *p;
	size_t n, cap;
};

struct mm_rec {
	const char *line;
	size_t len;
	struct mm_field *f;	/* owned, reused across parses */
	int n, cap;
	const char *close;	/* the object's closing brace */
	struct mm_span *keys;	/* owned: the keys decoded, for the */
	int kcap;		/* repeated-key check */
	struct mm_buf kbuf;
};

/*
 * A hook for mm_rec_parse: called at each top-level key with *pp at the
 * value.  Return 1 after consuming the value (advance *pp past it), 0 to
 * let the scanner validate and skip it, -1 on error (err filled).
 */
typedef int (*mm_field_fn)(void *ctx, const struct mm_span *key,
    const char **pp, struct mm_err *err);

void mm_rec_init(struct mm_rec *r);
void mm_rec_release(struct mm_rec *r);

/*
 * Parse line as one JSON object.  0, or -1 with err (MM_EINPUT): invalid
 * UTF-8 is "invalid UTF-8 at byte N", N counting from 1 at line[0]; a
 * top-level key that comes twice (as decoded) is "field 'K' appears
 * twice", since a record is passed on as it came and the next reader
 * might take either value.
 */
int mm_rec_parse(struct mm_rec *r, const char *line, size_t len,
    mm_field_fn fn, void *ctx, struct mm_err *err);

/*
 * The field whose decoded key is key ("a" and "\u0061" are the same
 * key), or NULL.
 */
const struct mm_field *mm_rec_get(const struct mm_rec *r, const char *key);

/*
 * The decoded value of the string field key (new, the caller frees), or
 * NULL when the field is absent, not a string, or holds a NUL.
 */
char *mm_rec_get_string(const struct mm_rec *r, const char *key);

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
int mm_rec_write_kv(FILE *out, const struct mm_rec *r,
    const char *const *drop, const struct mm_kv *kv, int nkv);

/* Scanner primitives.  Each returns the position after what it read. */
const char *mm_json_ws(const char *p);
/* Validate any value; NULL and err on error. */
const char *mm_json_skip(const char *p, struct mm_err *err);
/* A JSON number (strict grammar) into *out; NULL if p is not one. */
const char *mm_json_number(const char *p, double *out);
/* A JSON string; *s, *n get the raw bytes between the quotes. */
const char *mm_json_string(const char *p, const char **s, size_t *n,
    struct mm_err *err);
/*
 * Whether the JSON string whose raw bytes (between the quotes) are s
 * decodes to the C string str.  No allocation; escapes are decoded only
 * if s holds a backslash.  A bad escape compares unequal.
 */
int mm_span_eq(const struct mm_span *s, const char *str);
/*
 * The length of the longest valid UTF-8 prefix of s[0..n): n when all
 * of it is valid.  Overlong forms, surrogates (U+D800..DFFF), code
 * points above U+10FFFF and cut sequences are invalid.
 */
size_t mm_utf8_check(const char *s, size_t n);
/* The length (2 to 4) of the valid sequence at s[0] >= 0x80, or 0. */
size_t mm_utf8_seq(const unsigned char *s, size_t n);

/* A short description of what is at p, for messages ("'x'", "end"). */
const char *mm_json_what(const char *p, char *buf, size_t size);
/* The value at p as a message shows it: "\"abc\"", "0.5", "an array". */
const char *mm_json_token(const char *p, char *buf, size_t size);

void mm_buf_init(struct mm_buf *b);
void mm_buf_release(struct mm_buf *b);
void mm_buf_reset(struct mm_buf *b);
void mm_buf_put(struct mm_buf *b, const char *s, size_t n);
void mm_buf_puts(struct mm_buf *b, const char *s);
void mm_buf_putc(struct mm_buf *b, char c);
void mm_buf_printf(struct mm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Append to out the string whose raw bytes (between the quotes) are
 * raw[0..n): escapes decoded, \uXXXX (and surrogate pairs) to UTF-8.
 * Returns 0, or -1 on a bad escape, a lone surrogate, or \u0000 (a C
 * string cannot hold it); out may then hold part of the string.
 */
int mm_json_unescape(const char *raw, size_t n, struct mm_buf *out);

/*
 * Append to out the canonical raw form of the string raw[0..n): decoded,
 * then escaped as mm_jw_strn() does, without quotes, so two spellings of
 * one string ("\u0041", "A") come out the same bytes.  Without a
 * backslash raw is copied as it is (it is canonical already).  0, or -1
 * as mm_json_unescape().
 */
int mm_json_canon(const char *raw, size_t n, struct mm_buf *out);

/* JSON values.  Non-finite numbers are written as null. */
void mm_jw_num(struct mm_buf *b, double v);
void mm_jw_str(struct mm_buf *b, const char *s);
void mm_jw_strn(struct mm_buf *b, const char *s, size_t n);
/* Write a comma unless *first, then "key":.  Clears *first. */
void mm_jw_key(struct mm_buf *b, int *first, const char *key);

/* Shortest text that reads back as v ("%.15g" to "%.17g"). */
int mm_fmt_double(char *buf, size_t size, double v);

#endif
