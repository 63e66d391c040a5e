/*
 * test_table.c - batch records gathered into columns: the first batch
 * fixes the features and their order, later batches may list them in
 * any order but must have the same ones, each feature holding numbers or
 * strings throughout.
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

#include "batchin.h"
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
	assert_int_equal(t.kinds[0], MM_COL_NONE);
	mm_table_push(&t, cols, 2, 1);
	assert_int_equal(t.kinds[0], MM_COL_NUM);
	assert_int_equal(t.kinds[1], MM_COL_NUM);
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

/* Column j holds strings: want[i] for row i, NULL where null. */
static void
check_strings(const struct mm_table *t, int j, const char *const *want,
    size_t n)
{
	size_t i;
	int k;

	assert_int_equal(t->n, n);
	assert_int_equal(t->kinds[j], MM_COL_STR);
	for (i = 0; i < n; i++) {
		if (want[i] == NULL) {
			if (!isnan(t->cols[j][i]))
				fail_msg("%s[%zu] = %g, want null",
				    t->names[j], i, t->cols[j][i]);
			continue;
		}
		k = mm_strtab_find(&t->strs[j], want[i], strlen(want[i]));
		if (k < 0 || t->cols[j][i] != (double)k)
			fail_msg("%s[%zu] = %g, want '%s' (%d)", t->names[j],
			    i, t->cols[j][i], want[i], k);
	}
}

static void
test_strings(void **state)
{
	static const char *const region[] = {
		"north", NULL, "south", "east", "south", "north", NULL, NULL,
	};
	static const double x[] = { 1, 2, 3, 4, 5, 6, NAN, 8 };
	struct mm_table t;

	(void)state;
	mm_table_init(&t);
	add_ok(&t, "{\"batch_id\":\"a\",\"features\":{\"region\":[\"north\","
	    "null,\"south\"],\"x\":[1,2,3]},\"labels\":[1,0,1]}");
	assert_int_equal(t.kinds[0], MM_COL_STR);
	assert_int_equal(t.kinds[1], MM_COL_NUM);
	/* The batch numbers "east" 0; the table, 2. */
	add_ok(&t, "{\"batch_id\":\"b\",\"features\":{\"x\":[4,5,6],"
	    "\"region\":[\"east\",\"south\",\"north\"]}}");
	/* A batch of nulls only fits either kind. */
	add_ok(&t, "{\"batch_id\":\"c\",\"features\":{\"region\":[null,"
	    "null],\"x\":[null,8]}}");
	check_strings(&t, 0, region, 8);
	check_col(&t, 1, x, 8);
	assert_int_equal(mm_strtab_count(&t.strs[0]), 3);
	assert_string_equal(mm_strtab_str(&t.strs[0], 0), "north");
	assert_string_equal(mm_strtab_str(&t.strs[0], 1), "south");
	assert_string_equal(mm_strtab_str(&t.strs[0], 2), "east");
	assert_true(t.cols[0][3] == 2.0);
	assert_int_equal(mm_strtab_count(&t.strs[1]), 0);
	assert_int_equal(t.labelled, 3);
	mm_table_release(&t);
	assert_null(t.kinds);
	assert_null(t.strs);
}

/* A column's kind is fixed by the first batch with a value in it. */
static void
test_kinds(void **state)
{
	static const char *const s[] = { NULL, "a", "b", "a" };
	struct mm_table t;
	struct mm_err err;

	(void)state;
	mm_table_init(&t);
	add_ok(&t, "{\"batch_id\":\"a\",\"features\":{\"s\":[null],"
	    "\"x\":[null]}}");
	assert_int_equal(t.kinds[0], MM_COL_NONE);
	assert_int_equal(t.kinds[1], MM_COL_NONE);
	add_ok(&t, "{\"batch_id\":\"b\",\"features\":{\"s\":[\"a\",\"b\"],"
	    "\"x\":[1,2]}}");
	assert_int_equal(t.kinds[0], MM_COL_STR);
	assert_int_equal(t.kinds[1], MM_COL_NUM);
	assert_int_equal(add(&t, "{\"batch_id\":\"c\",\"features\":{"
	    "\"s\":[\"c\"],\"x\":[\"1\"]}}", &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "feature 'x' holds strings here, numbers "
	    "in earlier batches");
	assert_int_equal(add(&t, "{\"batch_id\":\"d\",\"features\":{"
	    "\"s\":[3],\"x\":[3]}}", &err), -1);
	assert_string_equal(err.msg, "feature 's' holds numbers here, strings "
	    "in earlier batches");
	/* A refused batch leaves the table as it was: no new strings. */
	assert_int_equal(t.n, 3);
	assert_int_equal(mm_strtab_count(&t.strs[0]), 2);
	assert_int_equal(mm_strtab_find(&t.strs[0], "c", 1), -1);
	add_ok(&t, "{\"batch_id\":\"e\",\"features\":{\"x\":[null],"
	    "\"s\":[\"a\"]}}");
	check_strings(&t, 0, s, 4);
	assert_int_equal(t.kinds[1], MM_COL_NUM);
	mm_table_release(&t);
}

/* Many batches of strings: each batch's numbering maps to the table's. */
static void
test_strings_growth(void **state)
{
	struct mm_table t;
	char line[256], want[16];
	size_t i;
	int k;

	(void)state;
	mm_table_init(&t);
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "{\"batch_id\":\"b%zu\","
		    "\"features\":{\"c\":[\"v%zu\",\"v%zu\",null,\"v%zu\"]}}",
		    i, 199 - i, i % 7, 199 - i);
		add_ok(&t, line);
	}
	assert_int_equal(t.n, 800);
	assert_int_equal(mm_strtab_count(&t.strs[0]), 200);
	for (i = 0; i < 200; i++) {
		snprintf(want, sizeof(want), "v%zu", 199 - i);
		k = (int)t.cols[0][4 * i];
		assert_string_equal(mm_strtab_str(&t.strs[0], k), want);
		assert_true(t.cols[0][4 * i + 3] == k);
		snprintf(want, sizeof(want), "v%zu", i % 7);
		k = (int)t.cols[0][4 * i + 1];
		assert_string_equal(mm_strtab_str(&t.strs[0], k), want);
		assert_true(isnan(t.cols[0][4 * i + 2]));
	}
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
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_strings_growth),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
