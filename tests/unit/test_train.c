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

/*
 * A feature of strings is categorical: its codes are learned from the
 * training rows, by their share of class 1, and a category the training
 * rows never had is missing.  Validation rows may not hold strings where
 * the training rows hold numbers.
 */
static void
test_categorical(void **state)
{
	static const size_t rows[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const size_t vrows[] = { 0, 1 };
	struct mm_table num, str, v;
	struct mm_model_cfg mc = { 0 };
	struct mm_train_job job;
	struct mm_train_out out;
	struct mm_err err;
	const struct mm_schema_feat *f;

	(void)state;
	mm_table_init(&num);
	mm_table_init(&str);
	mm_table_init(&v);
	add(&num, "{\"features\":{\"x\":[1,2],\"region\":[null,null]},"
	    "\"labels\":[0,1]}");
	add(&str, "{\"features\":{\"x\":[1,2,3,4,5,6,7,8],\"region\":"
	    "[\"n\",\"s\",\"s\",\"e\",null,\"e\",\"s\",\"n\"]},"
	    "\"labels\":[0,1,1,0,1,1,1,0]}");
	add(&v, "{\"features\":{\"x\":[1,2],\"region\":[\"w\",\"s\"]},"
	    "\"labels\":[0,1]}");
	mc.n_estimators = 3;
	mc.max_depth = 2;
	mc.min_samples_leaf = 1;
	memset(&job, 0, sizeof(job));
	job.data = &num;
	job.vdata = &str;
	job.train = job.valid = rows;
	job.ntrain = 2;
	job.nvalid = 8;
	job.nclass = 2;
	job.model = &mc;
	job.bins = 4;
	job.threads = 1;
	mm_train_init(&out);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_train_run(&job, &out, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "feature 'region' holds strings in the "
	    "validation rows, numbers in the training rows");
	mm_train_release(&out);

	/* n: 0 of 2 class 1, e: 1 of 2, s: 3 of 3; w never seen. */
	job.data = &str;
	job.vdata = &v;
	job.ntrain = 8;
	job.valid = vrows;
	job.nvalid = 2;
	mm_train_init(&out);
	assert_int_equal(mm_train_run(&job, &out, &err), 0);
	f = &out.schema.f[1];
	assert_int_equal(out.schema.nfeat, 2);
	assert_int_equal(out.schema.f[0].kind, MM_KIND_NUMERIC);
	assert_int_equal(f->kind, MM_KIND_CATEGORICAL);
	assert_int_equal(f->ncats, 3);
	assert_string_equal(f->cats[0], "n");
	assert_string_equal(f->cats[1], "e");
	assert_string_equal(f->cats[2], "s");
	assert_int_equal(out.schema.nclass, 2);
	assert_string_equal(out.schema.classes[0], "0");
	assert_string_equal(out.schema.classes[1], "1");
	assert_non_null(strstr(out.model.p, "{\"name\":\"region\",\"kind\":"
	    "\"categorical\",\"categories\":[\"n\",\"e\",\"s\"]}],"
	    "\"classes\":[0,1],\"positive\":1}"));
	assert_non_null(strstr(out.card.p, "\"rows\":{\"train\":8,"
	    "\"validation\":2,\"with_missing\":1}"));
	mm_train_release(&out);
	mm_table_release(&num);
	mm_table_release(&str);
	mm_table_release(&v);
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
		cmocka_unit_test(test_categorical),
		cmocka_unit_test(test_classes_bounded),
	};

	return cmocka_run_group_tests_name("train", tests, NULL, NULL);
}
