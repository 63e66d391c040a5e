/*
 * test_html.c - text for mm-report's page: HTML escaping, UTF-8 as
 * json.c's mm_utf8_seq() takes it, and times in UTC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

static void
test_html_esc(void **state)
{
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_html_esc(&b, "<a href=\"x\">Tom & 'Jerry'</a>");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
	    "&#39;Jerry&#39;&lt;/a&gt;");

	/* UTF-8 passes; tab and newline pass; the rest becomes U+FFFD. */
	mm_buf_reset(&b);
	mm_html_esc(&b, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\x88\t\n");
	assert_string_equal(b.p, "caf\xc3\xa9 \xe2\x86\x92 "
	    "\xf0\x9f\x93\x88\t\n");
	mm_buf_reset(&b);
	mm_html_esc(&b, "a\x01" "b\x7f" "c\xff" "d");
	assert_string_equal(b.p, "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "c\xef\xbf\xbd" "d");
	/* Overlong, surrogate, too big, cut short: one U+FFFD a byte. */
	mm_buf_reset(&b);
	mm_html_esc(&b, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82");
	assert_string_equal(b.p,
	    "\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* A NUL inside a counted string. */
	mm_buf_reset(&b);
	mm_html_escn(&b, "x\0y", 3);
	assert_string_equal(b.p, "x\xef\xbf\xbdy");
	mm_buf_release(&b);
}

/* Times in UTC, and "?" for what is not one. */
static void
test_html_time(void **state)
{
	struct mm_buf b;
	char tmp[32];

	(void)state;
	mm_buf_init(&b);
	mm_html_time(&b, 1764140000.9);
	assert_string_equal(b.p, "2025-11-26 06:53:20");
	mm_html_utc(tmp, sizeof(tmp), 1764201600, "%b %d %H:%M");
	assert_string_equal(tmp, "Nov 27 00:00");
	mm_html_utc(tmp, sizeof(tmp), NAN, "%H:%M");
	assert_string_equal(tmp, "?");
	mm_html_utc(tmp, sizeof(tmp), 1e13, "%H:%M");
	assert_string_equal(tmp, "?");
	mm_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_esc),
		cmocka_unit_test(test_html_time),
	};

	return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
