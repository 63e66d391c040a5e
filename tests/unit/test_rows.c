/*
 * test_rows.c - CSV lines split into cells, cells and labels classified.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rows.h"

#define assert_span(span, want) do {					\
	const struct mm_span *s_ = &(span);				\
	const char *w_ = (want);					\
	if (s_->n != strlen(w_) || memcmp(s_->p, w_, s_->n) != 0)	\
		fail_msg("span '%.*s', want '%s'", (int)s_->n, s_->p,	\
		    w_);						\
	assert_int_equal(s_->p[s_->n], '\0');				\
} while (0)

static int
split(struct mm_csv *c, const char *line, struct mm_err *err)
{
	memset(err, 0, sizeof(*err));
	return mm_csv_split(c, line, strlen(line), err);
}

static void
test_split_plain(void **state)
{
	struct mm_csv c;
	struct mm_err err;

	(void)state;
	mm_csv_init(&c);
	assert_int_equal(split(&c, "batch_id,ts,f0", &err), 0);
	assert_int_equal(c.n, 3);
	assert_span(c.cell[0], "batch_id");
	assert_span(c.cell[1], "ts");
	assert_span(c.cell[2], "f0");

	/* Empty cells, at the ends too; spaces are kept. */
	assert_int_equal(split(&c, ",a,, b ,", &err), 0);
	assert_int_equal(c.n, 5);
	assert_span(c.cell[0], "");
	assert_span(c.cell[1], "a");
	assert_span(c.cell[2], "");
	assert_span(c.cell[3], " b ");
	assert_span(c.cell[4], "");

	assert_int_equal(split(&c, "", &err), 0);
	assert_int_equal(c.n, 1);
	assert_span(c.cell[0], "");
	mm_csv_release(&c);
}

static void
test_split_quoted(void **state)
{
	struct mm_csv c;
	struct mm_err err;

	(void)state;
	mm_csv_init(&c);
	assert_int_equal(split(&c, "\"b \"\"1\"\",c\",\"\",\"x\"", &err), 0);
	assert_int_equal(c.n, 3);
	assert_span(c.cell[0], "b \"1\",c");
	assert_span(c.cell[1], "");
	assert_span(c.cell[2], "x");

	assert_int_equal(split(&c, "\"\"\"\"", &err), 0);
	assert_int_equal(c.n, 1);
	assert_span(c.cell[0], "\"");

	/* A longer line after a shorter one reuses and grows the buffer. */
	assert_int_equal(split(&c, "a,\"0123456789,0123456789\",z", &err),
	    0);
	assert_int_equal(c.n, 3);
	assert_span(c.cell[1], "0123456789,0123456789");
	assert_span(c.cell[2], "z");
	mm_csv_release(&c);
}

static void
test_split_errors(void **state)
{
	struct mm_csv c;
	struct mm_err err;

	(void)state;
	mm_csv_init(&c);
	assert_int_equal(split(&c, "a,\"b", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "cell 2: unterminated quoted cell");

	assert_int_equal(split(&c, "\"a\"b,c", &err), -1);
	assert_string_equal(err.msg, "cell 1: text after the closing quote");

	assert_int_equal(split(&c, "a,b\"c", &err), -1);
	assert_string_equal(err.msg, "cell 2: quote in an unquoted cell");

	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_csv_split(&c, "a,\0b", 4, &err), -1);
	assert_string_equal(err.msg, "NUL byte in line");

	/* Cells become JSON strings: the line must be UTF-8. */
	assert_int_equal(split(&c, "caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80",
	    &err), 0);
	assert_int_equal(c.n, 3);
	assert_span(c.cell[0], "caf\xc3\xa9");
	assert_int_equal(split(&c, "a,caf\xe9,b", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "invalid UTF-8 at byte 6");
	assert_int_equal(split(&c, "\"x\xc0\xaf\"", &err), -1);
	assert_string_equal(err.msg, "invalid UTF-8 at byte 3");
	assert_int_equal(split(&c, "ab\xe2\x82", &err), -1);
	assert_string_equal(err.msg, "invalid UTF-8 at byte 3");
	mm_csv_release(&c);
}

static enum mm_cell
kind(const char *s, double *v)
{
	return mm_cell_kind(s, strlen(s), v);
}

static void
test_cell_kind(void **state)
{
	static const char *const loose[] = {
		"+1", ".5", "1.", "01", " 1", "1 ", "0x1f", "-.5", "1.e3",
		NULL
	};
	static const char *const text[] = {
		"abc", "nan", "inf", "-", "1e", "1.5.3", "12abc", "b000001",
		" ", NULL
	};
	double v = 0;
	int i;

	(void)state;
	assert_int_equal(kind("", NULL), MM_CELL_EMPTY);
	assert_int_equal(kind("1.50", &v), MM_CELL_NUMBER);
	assert_true(v == 1.5);
	assert_int_equal(kind("-0.0", &v), MM_CELL_NUMBER);
	assert_true(v == 0 && signbit(v));
	assert_int_equal(kind("1e-7", &v), MM_CELL_NUMBER);
	assert_true(v == 1e-7);
	assert_int_equal(kind("2E+03", &v), MM_CELL_NUMBER);
	assert_true(v == 2000);
	assert_int_equal(kind("1e999", &v), MM_CELL_NUMBER);
	assert_true(isinf(v));
	assert_int_equal(kind("7", NULL), MM_CELL_NUMBER);
	for (i = 0; loose[i] != NULL; i++)
		if (kind(loose[i], NULL) != MM_CELL_LOOSE)
			fail_msg("'%s' is not MM_CELL_LOOSE", loose[i]);
	for (i = 0; text[i] != NULL; i++)
		if (kind(text[i], NULL) != MM_CELL_TEXT)
			fail_msg("'%s' is not MM_CELL_TEXT", text[i]);
}

static int
label(const char *s, int *out)
{
	return mm_label_parse(s, strlen(s), out);
}

static void
test_label(void **state)
{
	static const char *const bad[] = {
		"", "-1", "-0", "1.0", "1e0", "01", "+1", "1000", "1000001",
		"99999999999", "1 ", "a", "null", NULL
	};
	int v = -1, i;

	(void)state;
	assert_int_equal(label("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(label("1", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(label("999", &v), 0);
	assert_int_equal(v, MM_LABEL_MAX);
	/* Only the n bytes given count. */
	assert_int_equal(mm_label_parse("12,", 2, &v), 0);
	assert_int_equal(v, 12);
	for (i = 0; bad[i] != NULL; i++)
		if (label(bad[i], &v) != -1)
			fail_msg("label '%s' was accepted", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_plain),
		cmocka_unit_test(test_split_quoted),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_cell_kind),
		cmocka_unit_test(test_label),
	};

	return cmocka_run_group_tests_name("rows", tests, NULL, NULL);
}
