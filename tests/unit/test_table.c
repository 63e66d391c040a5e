/*
 * test_table.c - batch records gathered into columns: the first batch
 * fixes the features and their order, later batches may list them in
 * any order but must have the same ones.
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

#include "batch.h"
#include "json.h"
#include "table.h"

/* Parse line as a batch record (as mm-train does) and add it to t. */
static int
add(struct mm_table *t, const char *line, struct mm_err *err)
{
	struct mm_batch b;
	struct mm_rec rec;
	int rc;

	mm_batch_init(&b);
	mm_rec_init(&rec);
	memset(err, 0, sizeof(*err));
	if (mm_batch_parse(&b, &rec, line, strlen(line), MM_BATCH_FEATURES |
	    MM_BATCH_LABELS, err) != 0)
		fail_msg("mm_batch_parse: %s: %s", line, err->msg);
	rc = mm_table_add(t, &b, err);
	mm_rec_release(&rec);
	mm_batch_release(&b);
	return rc;
}

static void
add_ok(struct mm_table *t, const char *line)
{
	struct mm_err err;

	if (add(t, line, &err) != 0)
		fail_msg("mm_table_add: %s", err.msg);
}

static void
check_col(const struct mm_table *t, int j, const double *want, size_t n)
{
	size_t i;

	assert_int_equal(t->n, n);
	for (i = 0; i < n; i++)
		if (!(t->cols[j][i] == want[i] || (isnan(want[i]) &&
		    isnan(t->cols[j][i]))))
			fail_msg("%s[%zu] = %.17g, want %.17g", t->names[j], i,
			    t->cols[j][i], want[i]);
}

static void
test_order(void **state)
{
	static const double f1[] = { 1, 2, 30, 40, 50 };
	static const double f0[] = { 3, 4, 10, 20, NAN };
	static const int y[] = { 1, 0, 0, -1, 1 };
	struct mm_table t;
	size_t i;

	(void)state;
	mm_table_init(&t);
	/* The first batch's order, not the names' order, is the order. */
	add_ok(&t, "{\"batch_id\":\"a\",\"features\":{\"f1\":[1,2],"
	    "\"f0\":[3,4]},\"labels\":[1,0]}");
	assert_int_equal(t.nfeat, 2);
	assert_string_equal(t.names[0], "f1");
	assert_string_equal(t.names[1], "f0");
	/* A later batch lists them the other way round. */
	add_ok(&t, "{\"batch_id\":\"b\",\"features\":{\"f0\":[10,20,null],"
	    "\"f1\":[30,40,50]},\"labels\":[0,null,1]}");
	assert_int_equal(t.nfeat, 2);
	assert_string_equal(t.names[0], "f1");
	assert_string_equal(t.names[1], "f0");
	check_col(&t, 0, f1, 5);
	check_col(&t, 1, f0, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(t.labels[i], y[i]);
	assert_int_equal(t.labelled, 4);
	mm_table_release(&t);
}

static void
test_no_labels(void **state)
{
	static const int y[] = { -1, -1, 1, 0, -1 };
	static const double x[] = { 0.5, 1.5, 2.5, 3.5, 4.5 };
	struct mm_table t;
	size_t i;

	(void)state;
	mm_table_init(&t);
	add_ok(&t, "{\"batch_id\":\"a\",\"features\":{\"x\":[0.5,1.5]}}");
	assert_int_equal(t.n, 2);
	assert_int_equal(t.labelled, 0);
	add_ok(&t, "{\"batch_id\":\"b\",\"features\":{\"x\":[2.5,3.5]},"
	    "\"labels\":[1,0]}");
	add_ok(&t, "{\"batch_id\":\"c\",\"features\":{\"x\":[4.5]}}");
	check_col(&t, 0, x, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(t.labels[i], y[i]);
	assert_int_equal(t.labelled, 2);
	mm_table_release(&t);
}

static void
test_errors(void **state)
{
	static const double f0[] = { 1, 2, 5 };
	struct mm_table t;
	struct mm_err err;

	(void)state;
	mm_table_init(&t);
	add_ok(&t, "{\"batch_id\":\"a\",\"features\":{\"f0\":[1,2],"
	    "\"f1\":[3,4]},\"labels\":[1,0]}");
	assert_int_equal(add(&t, "{\"batch_id\":\"b\",\"features\":{"
	    "\"f0\":[1],\"f2\":[3]},\"labels\":[1]}", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "feature 'f1' missing");
	assert_int_equal(add(&t, "{\"batch_id\":\"b\",\"features\":{"
	    "\"f2\":[1],\"f1\":[3]},\"labels\":[1]}", &err), -1);
	assert_string_equal(err.msg, "feature 'f0' missing");
	assert_int_equal(add(&t, "{\"batch_id\":\"c\",\"features\":{"
	    "\"f0\":[1],\"f1\":[3],\"f2\":[4]}}", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "batch has 3 features, the first had 2");
	assert_int_equal(add(&t, "{\"batch_id\":\"d\",\"features\":{"
	    "\"f1\":[1]}}", &err), -1);
	assert_string_equal(err.msg, "batch has 1 features, the first had 2");
	/* A refused batch adds nothing; the next good one goes on. */
	assert_int_equal(t.n, 2);
	assert_int_equal(t.labelled, 2);
	add_ok(&t, "{\"batch_id\":\"e\",\"features\":{\"f1\":[6],"
	    "\"f0\":[5]},\"labels\":[0]}");
	check_col(&t, 0, f0, 3);
	assert_int_equal(t.labels[2], 0);
	assert_int_equal(t.labelled, 3);
	mm_table_release(&t);
}

/* Many batches: the columns grow and keep every row. */
static void
test_growth(void **state)
{
	struct mm_table t;
	char line[256];
	size_t i;

	(void)state;
	mm_table_init(&t);
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "{\"batch_id\":\"b%zu\","
		    "\"features\":{\"u\":[%zu,%zu,%zu],\"v\":[%zu,%zu,%zu]},"
		    "\"labels\":[%zu,%zu,%zu]}", i, 3 * i, 3 * i + 1,
		    3 * i + 2, i, i, i, i % 2, i % 2, i % 2);
		add_ok(&t, line);
	}
	assert_int_equal(t.n, 900);
	assert_int_equal(t.labelled, 900);
	for (i = 0; i < 900; i++) {
		assert_true(t.cols[0][i] == (double)i);
		assert_true(t.cols[1][i] == (double)(i / 3));
		assert_int_equal(t.labels[i], (int)(i / 3 % 2));
	}
	mm_table_release(&t);
}

static void
test_set_and_push(void **state)
{
	static const char *const names[] = { "a", "b" };
	static const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
	const double *cols[2] = { a, b };
	struct mm_table t;

	(void)state;
	mm_table_init(&t);
	mm_table_set_features(&t, 2, names);
	mm_table_push(&t, cols, 2, 1);
	mm_table_push(&t, cols, 0, -1);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.labelled, 1);
	assert_true(t.cols[0][0] == 3 && t.cols[1][0] == 6);
	assert_true(t.cols[0][1] == 1 && t.cols[1][1] == 4);
	assert_int_equal(t.labels[0], 1);
	assert_int_equal(t.labels[1], -1);
	/* Batches added later must have those features. */
	add_ok(&t, "{\"batch_id\":\"x\",\"features\":{\"b\":[8],\"a\":[7]}}");
	assert_true(t.cols[0][2] == 7 && t.cols[1][2] == 8);
	mm_table_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_no_labels),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_set_and_push),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
