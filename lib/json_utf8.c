/*
 * json_utf8.c - the text of JSON strings: UTF-8 validation, and escapes
 * decoded (to compare a key, to read a value) or put in canonical form.
 * Apart from the scanner (json.c), which only checks that an escape is
 * well formed, and from the writer (json_write.c), which makes them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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
	uint64_t w, x[4];

	while (i < n) {
		/* ASCII, as records are, 32 bytes a test. */
		if (n - i >= 32) {
			memcpy(x, p + i, 32);
			if (((x[0] | x[1] | x[2] | x[3]) &
			    0x8080808080808080ULL) == 0) {
				i += 32;
				continue;
			}
		}
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
