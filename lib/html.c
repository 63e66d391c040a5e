#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "html.h"

void
mm_html_escn(struct mm_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			if ((len = mm_utf8_seq(p + i, n - i)) == 0) {
				mm_buf_puts(b, "\xef\xbf\xbd");
				i++;
			} else {
				mm_buf_put(b, s + i, len);
				i += len;
			}
			continue;
		}
		switch (c) {
		case '&': mm_buf_puts(b, "&amp;"); break;
		case '<': mm_buf_puts(b, "&lt;"); break;
		case '>': mm_buf_puts(b, "&gt;"); break;
		case '"': mm_buf_puts(b, "&quot;"); break;
		case '\'': mm_buf_puts(b, "&#39;"); break;
		case '\t':
		case '\n':
			mm_buf_putc(b, (char)c);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				mm_buf_puts(b, "\xef\xbf\xbd");
			else
				mm_buf_putc(b, (char)c);
		}
		i++;
	}
}

void
mm_html_esc(struct mm_buf *b, const char *s)
{
	mm_html_escn(b, s, strlen(s));
}

void
mm_html_utc(char *buf, size_t size, double ts, const char *fmt)
{
	time_t t = fabs(ts) < 1e12 ? (time_t)floor(ts) : 0;
	struct tm tm;

	if (!(fabs(ts) < 1e12) || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	strftime(buf, size, fmt, &tm);
}

void
mm_html_time(struct mm_buf *b, double ts)
{
	char tmp[64];

	mm_html_utc(tmp, sizeof(tmp), ts, "%Y-%m-%d %H:%M:%S");
	mm_buf_puts(b, tmp);
}
