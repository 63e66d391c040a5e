/*
 * test_rowin.c - rows in as fields: JSON objects and CSV lines under a
 * header, names kept escaped the same way from either, values
 * classified, and the messages for a field that is not a number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowin.h"

#define assert_span(span, want) do {					\
	const struct mm_span *s_ = &(span);				\
	const char *w_ = (want);					\
	if (s_->n != strlen(w_) || memcmp(s_->p, w_, s_->n) != 0)	\
		fail_msg("span '%.*s', want '%s'", (int)s_->n, s_->p,	\
		    w_);						\
} while (0)

static int
json(struct mm_rowin *r, const char *line, struct mm_err *err)
{
	memset(err, 0, sizeof(*err));
	return mm_rowin_json(r, line, strlen(line), err);
}

static int
csv(struct mm_rowin *r, const char *line, int header, struct mm_err *err)
{
	memset(err, 0, sizeof(*err));
	if (header)
		return mm_rowin_csv_header(r, line, strlen(line), err);
	return mm_rowin_csv(r, line, strlen(line), err);
}

static void
test_json(void **state)
{
	struct mm_rowin r;
	struct mm_err err;

	(void)state;
	mm_rowin_init(&r);
	assert_int_equal(json(&r, "{\"id\":\"b1\",\"x\":1.5,\"n\":null,"
	    "\"big\":1e999,\"s\":\"t\",\"o\":[1],\"t\":true}", &err), 0);
	assert_int_equal(r.nf, 7);
	assert_false(r.csv);
	assert_span(r.f[0].key, "id");
	assert_span(r.f[0].val, "\"b1\"");
	assert_int_equal(r.f[0].kind, MM_ROW_STR);
	assert_int_equal(r.f[1].kind, MM_ROW_NUM);
	assert_true(r.f[1].num == 1.5);
	assert_int_equal(r.f[2].kind, MM_ROW_NULL);
	assert_int_equal(r.f[3].kind, MM_ROW_RANGE);
	assert_int_equal(r.f[5].kind, MM_ROW_OTHER);
	assert_int_equal(r.f[6].kind, MM_ROW_OTHER);

	/* Escaped keys come out in one spelling, wherever they sit. */
	assert_int_equal(json(&r, "{\"temp\\u00e9rature\":1,\"a\":2,"
	    "\"\\u0061\\u0062\":3}", &err), 0);
	assert_int_equal(r.nf, 3);
	assert_span(r.f[0].key, "temp\xc3\xa9rature");
	assert_span(r.f[1].key, "a");
	assert_span(r.f[2].key, "ab");

	/* No name holds a NUL. */
	assert_int_equal(json(&r, "{\"a\\u0000\":1}", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_int_equal(json(&r, "[1]", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	mm_rowin_release(&r);
}

static void
test_csv(void **state)
{
	struct mm_rowin r;
	struct mm_err err;

	(void)state;
	mm_rowin_init(&r);
	/* Header names are escaped as JSON keys are kept. */
	assert_int_equal(csv(&r, "batch_id,\"q\"\"t\",temp\xc3\xa9rature", 1,
	    &err), 0);
	assert_int_equal(r.nhcol, 3);
	assert_span(r.hcol[0], "batch_id");
	assert_span(r.hcol[1], "q\\\"t");
	assert_span(r.hcol[2], "temp\xc3\xa9rature");

	assert_int_equal(csv(&r, "b1,,0x1f", 0, &err), 0);
	assert_true(r.csv);
	assert_int_equal(r.nf, 3);
	assert_span(r.f[1].key, "q\\\"t");
	assert_int_equal(r.f[0].kind, MM_ROW_STR);
	assert_int_equal(r.f[1].kind, MM_ROW_NULL);
	assert_int_equal(r.f[2].kind, MM_ROW_LOOSE);
	assert_int_equal(csv(&r, "7,1e999,2", 0, &err), 0);
	assert_int_equal(r.f[0].kind, MM_ROW_NUM);
	assert_int_equal(r.f[1].kind, MM_ROW_RANGE);

	assert_int_equal(csv(&r, "b1,2", 0, &err), -1);
	assert_string_equal(err.msg, "2 cells, the header has 3");
	assert_int_equal(csv(&r, "b1", 0, &err), -1);
	assert_string_equal(err.msg, "1 cell, the header has 3");

	assert_int_equal(csv(&r, "a,,c", 1, &err), -1);
	assert_string_equal(err.msg, "header: column 2 has no name");
	/* A longer header after a shorter one. */
	assert_int_equal(csv(&r, "a,b,c,d,e", 1, &err), 0);
	assert_int_equal(r.nhcol, 5);
	assert_span(r.hcol[4], "e");
	mm_rowin_release(&r);
}

static void
test_not_number(void **state)
{
	struct mm_rowin r;
	struct mm_err err;

	(void)state;
	mm_rowin_init(&r);
	assert_int_equal(csv(&r, "x,y,z", 1, &err), 0);
	assert_int_equal(csv(&r, "+1,1e999,abc", 0, &err), 0);
	assert_int_equal(mm_rowin_not_number(&err, &r.f[0], "feature"), -1);
	assert_string_equal(err.msg, "feature 'x': cell '+1' is not a JSON "
	    "number");
	mm_rowin_not_number(&err, &r.f[1], "field");
	assert_string_equal(err.msg, "field 'y' is out of range: 1e999");
	mm_rowin_not_number(&err, &r.f[2], "feature");
	assert_string_equal(err.msg, "feature 'z' is not a number");
	assert_int_equal(err.code, MM_EINPUT);

	/* What is shown of a value is 40 bytes at most. */
	assert_int_equal(json(&r, "{\"v\":1234567890123456789012345678901234"
	    "5678901234567890e999}", &err), 0);
	assert_int_equal(mm_rowin_shown(&r.f[0]), 40);
	mm_rowin_release(&r);
}

static void
test_name(void **state)
{
	struct mm_buf b;
	char *s;

	(void)state;
	s = mm_rowin_name("a\"b\\c\n");
	assert_string_equal(s, "a\\\"b\\\\c\\n");
	free(s);
	mm_buf_init(&b);
	mm_rowin_put_name(&b, "x", 1);
	mm_rowin_put_name(&b, "\t", 1);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.p, "x\\t");
	mm_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_not_number),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests_name("rowin", tests, NULL, NULL);
}
