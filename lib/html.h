/*
 * html.h - text for mm-report's page: escaped for HTML content and
 * attribute values, and times shown in UTC.  UTF-8 is checked with
 * json.c's mm_utf8_seq(), so the page and the record reader agree on
 * what is valid.
 */
#ifndef MM_HTML_H
#define MM_HTML_H

#include <stddef.h>

#include "json.h"

/*
 * Text escaped for HTML content and attribute values: & < > " ' become
 * entities, control characters other than tab and newline and bytes
 * that are not UTF-8 become U+FFFD.
 */
void mm_html_esc(struct mm_buf *b, const char *s);
void mm_html_escn(struct mm_buf *b, const char *s, size_t n);

/*
 * Unix seconds ts as strftime(3)'s fmt in UTC, into buf; "?" when ts
 * is not a time gmtime_r() can show.
 */
void mm_html_utc(char *buf, size_t size, double ts, const char *fmt);

/* ts as "2025-11-26 06:53:20" (UTC, no zone). */
void mm_html_time(struct mm_buf *b, double ts);

#endif
