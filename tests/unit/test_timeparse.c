/*
 * test_timeparse.c - times and lengths as every program takes them:
 * Unix seconds and ISO 8601, lengths with units, and what is none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "timeparse.h"

static void
time_is(const char *s, double want)
{
	double t = -1;

	if (mm_parse_time(s, &t) != 0)
		fail_msg("'%s' was refused", s);
	if (t != want)
		fail_msg("'%s' is %.17g, not %.17g", s, t, want);
	/* The same through the counted form, with bytes after it. */
	t = -1;
	assert_int_equal(mm_parse_timen(s, strlen(s), &t), 0);
	assert_true(t == want);
}

static void
test_times(void **state)
{
	(void)state;
	time_is("0", 0);
	time_is("1764140000", 1764140000);
	time_is("1764140000.25", 1764140000.25);
	time_is("2025-11-26", 1764115200);
	time_is("2025-11-26T06:53", 1764139980);
	time_is("2025-11-26T06:53Z", 1764139980);
	time_is("2025-11-26T06:53:20", 1764140000);
	time_is("2025-11-26T06:53:20Z", 1764140000);
	time_is("2025-11-26T06:53:20.5Z", 1764140000.5);
	time_is("2025-11-26T07:53:20+01:00", 1764140000);
	time_is("2025-11-26T01:23:20-05:30", 1764140000);
	time_is("2024-02-29T00:00:00Z", 1709164800);
}

static void
test_not_times(void **state)
{
	static const char *const bad[] = {
		"", "now", "0x10", "1e9", "inf", "-1", "1.", ".5", "1e12",
		"2025-02-30", "2025-02-29", "2025-11-26T06:53:60Z",
		"2025-11-26T24:00:00Z", "2025-13-01", "2025-11-26T06:53:20ZZ",
		"2025-11-26T06:53:20+1:00", "2025-11-26T06:53:20+24:00",
		"2025-11-26T06:53.5", "2025-11-26Z", "2025-11-26 06:53:20",
		"2025-11-26T06:53:20.", NULL
	};
	double t;
	int i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (mm_parse_time(bad[i], &t) != -1)
			fail_msg("'%s' was taken as %.17g", bad[i], t);
	/* The counted form takes no NUL inside, and no overlong text. */
	assert_int_equal(mm_parse_timen("17\0" "0", 4, &t), -1);
	assert_int_equal(mm_parse_timen("1764140000", 4, &t), 0);
	assert_true(t == 1764);
}

static void
test_lengths(void **state)
{
	static const struct {
		const char *s;
		long want;
	} ok[] = {
		{ "1", 1 }, { "3600", 3600 }, { "30s", 30 }, { "5m", 300 },
		{ "1h", 3600 }, { "24h", 86400 }, { "1d", 86400 },
		{ "366d", 366L * 86400 }, { "31622400", 31622400 },
	};
	static const char *const bad[] = {
		"", "0", "0s", "-5m", "1.5h", "1x", "h", "1h ", "367d",
		"31622401", "01h", NULL
	};
	long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (mm_parse_length(ok[i].s, &v) != 0 || v != ok[i].want)
			fail_msg("'%s' is %ld, not %ld", ok[i].s, v,
			    ok[i].want);
	}
	for (i = 0; bad[i] != NULL; i++)
		if (mm_parse_length(bad[i], &v) != -1)
			fail_msg("'%s' was taken as %ld", bad[i], v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_not_times),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests_name("timeparse", tests, NULL, NULL);
}
