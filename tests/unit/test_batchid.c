/*
 * test_batchid.c - the ids mm-batch gives batches: a row's own id in
 * one spelling, the run's prefix for --size, counts and windows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchid.h"
#include "rowin.h"

/* The id of the first field of line (JSON, or a CSV row under "id"). */
static int
id_of(struct mm_buf *id, const char *line, int csv, struct mm_err *err)
{
	struct mm_rowin r;
	int rc;

	mm_rowin_init(&r);
	memset(err, 0, sizeof(*err));
	if (csv) {
		assert_int_equal(mm_rowin_csv_header(&r, "id", 2, err), 0);
		assert_int_equal(mm_rowin_csv(&r, line, strlen(line), err), 0);
	} else {
		assert_int_equal(mm_rowin_json(&r, line, strlen(line), err),
		    0);
	}
	rc = mm_batchid_of_row(id, &r.f[0], csv, "id", err);
	mm_rowin_release(&r);
	return rc;
}

static void
test_fnv(void **state)
{
	(void)state;
	assert_true(mm_fnv(MM_FNV_BASIS, "", 0) == MM_FNV_BASIS);
	assert_true(mm_fnv(MM_FNV_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);
	/* Folded in parts or at once, the same. */
	assert_true(mm_fnv(mm_fnv(MM_FNV_BASIS, "a,", 2), "b\n", 2) ==
	    mm_fnv(MM_FNV_BASIS, "a,b\n", 4));
}

static void
test_of_row(void **state)
{
	struct mm_buf id;
	struct mm_err err;

	(void)state;
	mm_buf_init(&id);
	assert_int_equal(id_of(&id, "{\"i\":\"b\\u0031\"}", 0, &err), 0);
	assert_string_equal(id.p, "\"b1\"");
	assert_int_equal(id_of(&id, "{\"i\":42}", 0, &err), 0);
	assert_string_equal(id.p, "\"42\"");
	assert_int_equal(id_of(&id, "{\"i\":1e999}", 0, &err), 0);
	assert_string_equal(id.p, "\"1e999\"");
	/* A cell is taken as it is, and quoted as JSON. */
	assert_int_equal(id_of(&id, "\"a\"\"b\"", 1, &err), 0);
	assert_string_equal(id.p, "\"a\\\"b\"");

	assert_int_equal(id_of(&id, "{\"i\":\"\"}", 0, &err), -1);
	assert_string_equal(err.msg, "field 'id' is empty");
	assert_int_equal(id_of(&id, "\"\"", 1, &err), -1);
	assert_string_equal(err.msg, "field 'id' is empty");
	assert_int_equal(id_of(&id, "{\"i\":null}", 0, &err), -1);
	assert_string_equal(err.msg, "field 'id' is null");
	assert_int_equal(id_of(&id, "{\"i\":true}", 0, &err), -1);
	assert_string_equal(err.msg, "field 'id' is not a string");
	assert_int_equal(id_of(&id, "{\"i\":\"a\\u0000\"}", 0, &err), -1);
	assert_string_equal(err.msg, "field 'id' has a \\u escape of a NUL");
	assert_int_equal(err.code, MM_EINPUT);
	mm_buf_release(&id);
}

static void
test_run_prefix(void **state)
{
	double now = 1764140000.5;
	char *p, *q;

	(void)state;
	/* With --now the same every time: its second in UTC, the hash. */
	p = mm_batchid_run_prefix("b", MM_FNV_BASIS, &now);
	assert_string_equal(p, "b20251126T065320Z-4fd0bfc1-");
	free(p);
	p = mm_batchid_run_prefix("x-", mm_fnv(MM_FNV_BASIS, "a,b\n", 4),
	    &now);
	assert_string_equal(p, "x-20251126T065320Z-371e0986-");
	free(p);
	/* From the clock, the process is in the hash. */
	p = mm_batchid_run_prefix("b", MM_FNV_BASIS, NULL);
	q = mm_batchid_run_prefix("b", MM_FNV_BASIS, &now);
	assert_int_equal(strlen(p), strlen(q));
	assert_string_not_equal(p + strlen(p) - 9, q + strlen(q) - 9);
	free(p);
	free(q);
}

static void
test_count_window(void **state)
{
	struct mm_buf id;

	(void)state;
	mm_buf_init(&id);
	mm_batchid_count(&id, "b", 42);
	assert_string_equal(id.p, "\"b000042\"");
	mm_batchid_count(&id, "p", 1234567);
	assert_string_equal(id.p, "\"p1234567\"");
	mm_batchid_window(&id, "w", 1764140000);
	assert_string_equal(id.p, "\"w1764140000\"");
	/* No "-0": a window that starts at 0 from below. */
	mm_batchid_window(&id, "w", -0.0);
	assert_string_equal(id.p, "\"w0\"");
	mm_buf_release(&id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv),
		cmocka_unit_test(test_of_row),
		cmocka_unit_test(test_run_prefix),
		cmocka_unit_test(test_count_window),
	};

	return cmocka_run_group_tests_name("batchid", tests, NULL, NULL);
}
