/*
 * test_pool.c - rule 3's pool (pool.h): batches are kept oldest first
 * up to the cap in rows, but the newest always; a reset empties it for
 * another class count and version; seeding reads the metrics table for
 * the batches a version served before a given batch, stopping at
 * another class count.  And confusion counts as JSON, both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pool.h"
#include "scratch.h"

static void
test_cap(void **state)
{
	struct mm_pool p;
	long a[] = { 1, 1, 1, 1 }, b[] = { 2, 0, 0, 2 }, c[] = { 0, 3, 3, 0 },
	    big[] = { 10, 10, 10, 10 };

	(void)state;
	mm_pool_init(&p, 10);
	mm_pool_reset(&p, 2, "v1");
	assert_string_equal(p.version, "v1");
	mm_pool_add(&p, a);
	mm_pool_add(&p, b);
	assert_int_equal(p.nring, 2);
	assert_int_equal(p.sum[0], 3);
	/* 4 + 4 + 6 rows: the oldest goes. */
	mm_pool_add(&p, c);
	assert_int_equal(p.nring, 2);
	assert_int_equal(p.sum[0], 2);
	assert_int_equal(p.sum[1], 3);
	assert_int_equal(p.sum[2], 3);
	assert_int_equal(p.sum[3], 2);
	/* A batch over the cap alone is kept alone. */
	mm_pool_add(&p, big);
	assert_int_equal(p.nring, 1);
	assert_int_equal(p.sum[0], 10);
	mm_pool_reset(&p, 3, "v2");
	assert_int_equal(p.nring, 0);
	assert_int_equal(p.k, 3);
	assert_int_equal(p.sum[8], 0);
	mm_pool_release(&p);
}

static void
test_confusion_json(void **state)
{
	struct mm_buf b;
	json_t *a;
	long *cm;
	size_t i;
	int k = 0;

	(void)state;
	a = json_loads("[[1,2],[3,4]]", 0, NULL);
	assert_int_equal(mm_confusion_parse(a, &cm, &k), 0);
	json_decref(a);
	assert_int_equal(k, 2);
	mm_buf_init(&b);
	mm_confusion_json(&b, cm, k);
	assert_string_equal(b.p, "[[1,2],[3,4]]");
	free(cm);
	mm_buf_reset(&b);
	mm_confusion_json(&b, NULL, 2);
	assert_string_equal(b.p, "null");
	mm_buf_release(&b);
	assert_int_equal(mm_confusion_parse(NULL, &cm, &k), 1);
	assert_null(cm);
	a = json_null();
	assert_int_equal(mm_confusion_parse(a, &cm, &k), 1);
	json_decref(a);
	/* Not square, one class, negative, fractional, too large. */
	a = json_loads("[[[1,2],[3]]]", 0, NULL);
	assert_int_equal(mm_confusion_parse(json_array_get(a, 0), &cm, &k),
	    -1);
	json_decref(a);
	a = json_loads("[[[1]], [[1,-2],[3,4]], [[1,2.5],[3,4]], "
	    "[[1,2],[3,1125899906842625]]]", 0, NULL);
	for (i = 0; i < json_array_size(a); i++) {
		assert_int_equal(mm_confusion_parse(json_array_get(a, i), &cm,
		    &k), -1);
		assert_null(cm);
	}
	json_decref(a);
}

static void
test_seed(void **state)
{
	struct mm_err err = { 0 };
	struct mm_db db;
	struct mm_pool p;
	char top[256], path[300];

	(void)state;
	assert_int_equal(scratch_make(top, sizeof(top), "mm-pool"), 0);
	snprintf(path, sizeof(path), "%s/m.db", top);
	assert_int_equal(mm_db_open(&db, path, &err), 0);
	/* b0 is of an older model with three classes. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics (batch_id, ts, "
	    "model_version, confusion, recorded_at) VALUES "
	    "('b0', 0, 'v1', '[[1,0,0],[0,1,0],[0,0,1]]', 0),"
	    "('b1', 1, 'v1', '[[1,0],[0,1]]', 0),"
	    "('x', 1, 'v0', '[[5,0],[0,5]]', 0),"
	    "('b2', 2, 'v1', '[[0,2],[2,0]]', 0),"
	    "('b3', 3, 'v1', '[[3,0],[0,3]]', 0)", &err), 0);
	mm_pool_init(&p, 100);
	assert_int_equal(mm_pool_seed(&p, &db, "v1", "b3", &err), 0);
	assert_int_equal(p.k, 2);
	assert_string_equal(p.version, "v1");
	assert_int_equal(p.nring, 2);
	assert_int_equal(p.ring[0][0], 1);	/* b1, oldest first */
	assert_int_equal(p.ring[1][1], 2);	/* b2 */
	assert_int_equal(p.sum[0] + p.sum[1] + p.sum[2] + p.sum[3], 6);
	mm_pool_release(&p);
	/* A batch not stored: all of them, newest first to the cap. */
	mm_pool_init(&p, 5);
	assert_int_equal(mm_pool_seed(&p, &db, "v1", "new", &err), 0);
	assert_int_equal(p.nring, 1);
	assert_int_equal(p.sum[0], 3);
	mm_pool_release(&p);
	mm_pool_init(&p, 100);
	assert_int_equal(mm_pool_seed(&p, &db, "v9", NULL, &err), 0);
	assert_int_equal(p.k, 0);
	mm_pool_release(&p);
	mm_db_close(&db);
	scratch_remove(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_confusion_json),
		cmocka_unit_test(test_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
