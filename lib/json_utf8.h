/*
 * json_utf8.h - the text of JSON strings: UTF-8 checked, and escapes
 * decoded or made canonical.  json.h includes this header.
 */
#ifndef MM_JSON_UTF8_H
#define MM_JSON_UTF8_H

#include <stddef.h>

struct mm_buf;		/* json_write.h */
struct mm_span;		/* json.h */

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

#endif
