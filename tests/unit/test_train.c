/*
 * test_train.c - what the training job refuses before it fits anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "batchin.h"
#include "table.h"
#include "train.h"

static void
add(struct mm_table *t, const char *line)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	mm_batch_init(&b);
	mm_rec_init(&rec);
	memset(&err, 0, sizeof(err));
	if (mm_batch_parse(&b, &rec, line, strlen(line), MM_BATCH_FEATURES |
	    MM_BATCH_LABELS, &err) != 0 || mm_table_add(t, &b, &err) != 0)
		fail_msg("%s: %s", line, err.msg);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

/* The forest takes numbers only: a feature of strings is bad input. */
static void
test_strings_refused(void **state)
{
	static const size_t rows[] = { 0, 1 };
	struct mm_table num, str;
	struct mm_train_job job;
	struct mm_train_out out;
	struct mm_err err;

	(void)state;
	mm_table_init(&num);
	mm_table_init(&str);
	add(&num, "{\"features\":{\"x\":[1,2],\"region\":[null,null]},"
	    "\"labels\":[0,1]}");
	add(&str, "{\"features\":{\"x\":[1,2],\"region\":[null,\"north\"]},"
	    "\"labels\":[0,1]}");
	memset(&job, 0, sizeof(job));
	job.data = &str;
	job.train = job.valid = rows;
	job.ntrain = job.nvalid = 2;
	job.nclass = 2;
	mm_train_init(&out);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "feature 'region' holds strings; the "
	    "forest takes numbers only");
	/* Validation rows from another table are checked too. */
	job.data = &num;
	job.vdata = &str;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_string_equal(err.msg, "feature 'region' holds strings; the "
	    "forest takes numbers only");
	mm_train_release(&out);
	mm_table_release(&num);
	mm_table_release(&str);
}

/*
 * The class count is bounded, and every label checked, before anything
 * is sized by them: a label of a million once took 1.8 GB and a minute
 * before it failed.
 */
static void
test_classes_bounded(void **state)
{
	static const size_t rows[] = { 0, 1, 2, 3 };
	struct mm_table t;
	struct mm_model_cfg mc = { 0 };
	struct mm_train_job job;
	struct mm_train_out out;
	struct mm_err err;

	(void)state;
	mm_table_init(&t);
	add(&t, "{\"features\":{\"x\":[1,2,3,4]},\"labels\":[0,1,0,1000000]}");
	mc.n_estimators = 2;
	mc.max_depth = 2;
	mc.min_samples_leaf = 1;
	memset(&job, 0, sizeof(job));
	job.data = &t;
	job.train = job.valid = rows;
	job.ntrain = job.nvalid = 4;
	job.model = &mc;
	job.bins = 4;
	job.threads = 1;
	mm_train_init(&out);
	job.nclass = 1000001;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "1000001 classes: mm supports 2 to 1000");
	job.nclass = 1;
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_string_equal(err.msg, "1 classes: mm supports 2 to 1000");
	/* Fewer classes than a label needs: a label out of range. */
	job.nclass = 2;
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "label 1000000 is not a class from 0 to "
	    "1");
	/* Only the rows used count. */
	job.ntrain = job.nvalid = 3;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_train_run(&job, &out, &err), 0);
	assert_int_equal(out.forest.nclass, 2);
	mm_train_release(&out);
	mm_table_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_refused),
		cmocka_unit_test(test_classes_bounded),
	};

	return cmocka_run_group_tests_name("train", tests, NULL, NULL);
}
