/*
 * utf8_ref.h - the valid UTF-8 prefix of a string by decoding each
 * sequence, as the definition reads, to check mm_utf8_check() (which
 * goes by byte ranges) against: shared by the unit tests and fuzzers.
 */
#ifndef MM_UTF8_REF_H
#define MM_UTF8_REF_H

#include <stddef.h>

/* The valid prefix of str[0..n): n when all of it is valid. */
static inline size_t
utf8_ref(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, j;
	unsigned long u, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 1, u = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 2, u = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 3, u = s[i] & 0x07, min = 0x10000;
		} else
			return i;
		if (n - i <= k)
			return i;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return i;
			u = u << 6 | (s[i + j] & 0x3f);
		}
		if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
			return i;
		i += k + 1;
	}
	return n;
}

#endif
