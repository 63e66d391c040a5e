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
 *
 * The scanner is json.c; the writer (mm_rec_write, mm_buf, mm_jw_*) is
 * json_write.h's, UTF-8 and escapes json_utf8.h's.  This header includes
 * both, so a caller needs only it.
 */
#ifndef MM_JSON_H
#define MM_JSON_H

#include <stdio.h>

#include "json_utf8.h"
#include "json_write.h"
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

/* 1 when f is NULL (a field absent) or its value is null, else 0. */
int mm_field_null(const struct mm_field *f);

/*
 * The number that is f's value, of a record mm_rec_parse took, in *v:
 * 1, 0 when f is absent or null, -1 when it is not a number, -2 when
 * it is one past the range of a double.
 */
int mm_field_number(const struct mm_field *f, double *v);

/*
 * The decoded value of the string field key (new, the caller frees), or
 * NULL when the field is absent, not a string, or holds a NUL.
 */
char *mm_rec_get_string(const struct mm_rec *r, const char *key);

/*
 * The object that is f's value, parsed into sub (its text copied into
 * text, which sub points into): a look at a few of its fields without
 * building the rest.  0, or -1 with err.
 */
int mm_rec_sub(struct mm_rec *sub, struct mm_buf *text,
    const struct mm_field *f, struct mm_err *err);

/* Scanner primitives.  Each returns the position after what it read. */
const char *mm_json_ws(const char *p);
/* Validate any value; NULL and err on error. */
const char *mm_json_skip(const char *p, struct mm_err *err);
/* A JSON number (strict grammar) into *out; NULL if p is not one. */
const char *mm_json_number(const char *p, double *out);
/* A JSON string; *s, *n get the raw bytes between the quotes. */
const char *mm_json_string(const char *p, const char **s, size_t *n,
    struct mm_err *err);

/* A short description of what is at p, for messages ("'x'", "end"). */
const char *mm_json_what(const char *p, char *buf, size_t size);
/* The value at p as a message shows it: "\"abc\"", "0.5", "an array". */
const char *mm_json_token(const char *p, char *buf, size_t size);

#endif
