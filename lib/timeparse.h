/*
 * timeparse.h - the times and lengths of time every program takes, in
 * one spelling: a time is Unix seconds or an ISO 8601 UTC time, a length
 * is seconds or a number with a unit.
 */
#ifndef MM_TIMEPARSE_H
#define MM_TIMEPARSE_H

#include <stddef.h>

/*
 * A time into *out: Unix seconds in decimal ("1764140000", "1764140000.5";
 * not 0x10, inf or 1e9), or an ISO 8601 date and time such as
 * "2025-11-26", "2025-11-26T06:53", "2025-11-26T06:53:20.250Z" or
 * "2025-11-26T07:53:20+01:00" (no zone: UTC).  A date or time that does
 * not exist (2025-02-30, 06:53:60) is none.  0, or -1.
 */
int mm_parse_time(const char *s, double *out);

/* The same for the n bytes at s, which need not be NUL-terminated. */
int mm_parse_timen(const char *s, size_t n, double *out);

/* Parse a window length such as "5m", "1h", "24h", "30s", "7d". */
int mm_parse_window(const char *s, long *seconds);

/*
 * A length of time into *seconds: a whole number of seconds ("3600") or
 * one with a unit, s, m, h or d ("30s", "5m", "1h", "1d"), from 1 s to
 * 366 days.  0, or -1.
 */
int mm_parse_length(const char *s, long *seconds);

#endif
