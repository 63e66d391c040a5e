/*
 * timeparse.c - times and lengths of time as options and fields give
 * them: see timeparse.h.
 */
#define _XOPEN_SOURCE 700	/* strptime */
#define _DEFAULT_SOURCE		/* timegm */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#define TIME_MAX 1e11		/* a time past year 5000 is a mistake */

/* n digits at p into *v; -1 if they are not all digits. */
static int
digits(const char *p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = 10 * *v + (p[i] - '0');
	}
	return 0;
}

/* Unix seconds in plain decimal: digits, and a fraction after a point. */
static int
unix_seconds(const char *s, double *out)
{
	const char *p = s;
	char *e;
	double v;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p != '\0')
		return -1;
	errno = 0;
	v = strtod(s, &e);
	if (*e != '\0' || errno != 0 || v > TIME_MAX)
		return -1;
	*out = v;
	return 0;
}

/* What may follow the seconds: a fraction, then nothing, Z or +-HH:MM. */
static int
tail(const char *p, double *frac, long *offset)
{
	int h, m;

	*frac = 0;
	*offset = 0;
	if (*p == '.') {
		double scale = 0.1;

		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			*frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == '\0' || strcmp(p, "Z") == 0)
		return 0;
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':' ||
	    digits(p + 1, 2, &h) < 0 || digits(p + 4, 2, &m) < 0 || h > 23 ||
	    m > 59)
		return -1;
	*offset = (*p == '+' ? 1 : -1) * (h * 3600L + m * 60L);
	return 0;
}

int
mm_parse_time(const char *s, double *out)
{
	static const struct {
		const char *fmt;
		int seconds;	/* the fraction and zone may follow */
		int zone;	/* a zone may follow */
	} forms[] = {
		{ "%Y-%m-%dT%H:%M:%S", 1, 1 },
		{ "%Y-%m-%dT%H:%M", 0, 1 },
		{ "%Y-%m-%d", 0, 0 },
	};
	struct tm tm, back;
	const char *end;
	double frac;
	long offset;
	time_t t;
	size_t i;

	if (unix_seconds(s, out) == 0)
		return 0;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i].fmt, &tm);
		if (end == NULL)
			continue;
		if (*end == '.' && !forms[i].seconds)
			continue;
		if (*end != '\0' && !forms[i].zone)
			continue;
		if (tail(end, &frac, &offset) < 0)
			continue;
		/* A date that does not exist (2025-02-30, 06:53:60) is none. */
		back = tm;
		t = timegm(&back);
		if (gmtime_r(&t, &back) == NULL || back.tm_year != tm.tm_year ||
		    back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
		    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min ||
		    back.tm_sec != tm.tm_sec)
			return -1;
		*out = (double)t - (double)offset + frac;
		return *out < 0 || *out > TIME_MAX ? -1 : 0;
	}
	return -1;
}

int
mm_parse_timen(const char *s, size_t n, double *out)
{
	char buf[64];

	if (n >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return mm_parse_time(buf, out);
}

int
mm_parse_window(const char *s, long *seconds)
{
	char *end;
	long v, mul;

	if (*s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (end[1] != '\0' || v > 366L * 86400 / mul)
		return -1;
	*seconds = v * mul;
	return 0;
}

int
mm_parse_length(const char *s, long *seconds)
{
	char *end;
	long v;

	if (mm_parse_window(s, seconds) == 0)
		return 0;
	if (*s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 366L * 86400)
		return -1;
	*seconds = v;
	return 0;
}
