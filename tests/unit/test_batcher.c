/*
 * test_batcher.c - rows into batch records, without the program: by id,
 * every N rows and by time window; every batch with every feature; a
 * category written as a string whatever it came as; labels, with and
 * without a schema's classes; bad rows and the batch they end; the
 * warnings said once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batcher.h"
#include "featset.h"
#include "rowin.h"
#include "schema.h"

/* A batcher writing to a temporary file, its warnings kept. */
struct fixture {
	struct mm_batcher b;
	struct mm_rowin r;
	FILE *out;
	char said[1024];
	char got[4096];
};

static double now = 7;

static void
warned(void *ctx, const char *msg)
{
	struct fixture *fx = ctx;
	size_t n = strlen(fx->said);

	snprintf(fx->said + n, sizeof(fx->said) - n, "%s\n", msg);
}

static void
setup(struct fixture *fx, int group, long size, int skip_bad,
    const struct mm_schema *s)
{
	struct mm_batcher_conf c;

	memset(fx, 0, sizeof(*fx));
	memset(&c, 0, sizeof(c));
	fx->out = tmpfile();
	assert_non_null(fx->out);
	c.group = group;
	c.size = size;
	c.every = 60;
	c.id = "batch_id";
	c.ts = "ts";
	c.label = "label";
	c.prefix = "p";
	c.now = &now;
	c.schema = s;
	c.skip_bad = skip_bad;
	c.out = fx->out;
	c.warn = warned;
	c.ctx = fx;
	mm_batcher_init(&fx->b, &c);
	mm_rowin_init(&fx->r);
}

/* What was written, into fx->got. */
static const char *
written(struct fixture *fx)
{
	size_t n;

	rewind(fx->out);
	n = fread(fx->got, 1, sizeof(fx->got) - 1, fx->out);
	fx->got[n] = '\0';
	return fx->got;
}

static void
teardown(struct fixture *fx)
{
	fclose(fx->out);
	mm_rowin_release(&fx->r);
	mm_batcher_release(&fx->b);
}

/* Observe the JSON rows, then fix the kinds. */
static void
held(struct fixture *fx, const char *const *rows, int n)
{
	struct mm_err err = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(mm_rowin_json(&fx->r, rows[i],
		    strlen(rows[i]), &err), 0);
		mm_batcher_observe(&fx->b, &fx->r);
	}
	mm_batcher_decide(&fx->b, (unsigned long)n);
}

/* Take one JSON row: mm_batcher_row()'s result, err its message. */
static int
row(struct fixture *fx, const char *line, struct mm_err *err)
{
	memset(err, 0, sizeof(*err));
	assert_int_equal(mm_rowin_json(&fx->r, line, strlen(line), err), 0);
	return mm_batcher_row(&fx->b, &fx->r, err);
}

/* Take the rows, each of which must be good. */
static void
rows(struct fixture *fx, const char *const *lines, int n)
{
	struct mm_err err;
	int i;

	for (i = 0; i < n; i++)
		if (row(fx, lines[i], &err) < 0)
			fail_msg("row %d: %s", i + 1, err.msg);
}

static void
test_by_id(void **state)
{
	const char *in[] = {
		"{\"batch_id\":\"a\",\"ts\":3,\"x\":1.50,\"s\":\"n\",\"label\":1}",
		"{\"batch_id\":\"a\",\"s\":2,\"label\":\"cat\"}",
		"{\"batch_id\":\"b\",\"x\":-0.0,\"s\":null}",
	};
	struct fixture fx;
	struct mm_err err = { 0 };

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	held(&fx, in, 3);
	assert_string_equal(fx.said, "");
	rows(&fx, in, 3);
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(written(&fx),
	    "{\"batch_id\":\"a\",\"ts\":3,\"features\":{\"x\":[1.50,null],"
	    "\"s\":[\"n\",\"2\"]},\"labels\":[1,\"cat\"]}\n"
	    "{\"batch_id\":\"b\",\"ts\":7,\"features\":{\"x\":[-0.0],"
	    "\"s\":[null]}}\n");
	/* An id that comes back. */
	assert_int_equal(row(&fx, in[0], &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "batch 'a' is not contiguous");
	teardown(&fx);
}

static void
test_csv_values(void **state)
{
	struct fixture fx;
	struct mm_err err = { 0 };
	const char *in[] = {
		"b,1,\"n\"\"q\",1", "b,2.50,,x y", "b,,7,3", "b,01,,0"
	};
	int i;

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	assert_int_equal(mm_rowin_csv_header(&fx.r, "batch_id,c,d,label", 18,
	    &err), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(mm_rowin_csv(&fx.r, in[i], strlen(in[i]),
		    &err), 0);
		mm_batcher_observe(&fx.b, &fx.r);
	}
	mm_batcher_decide(&fx.b, 4);
	/* c: 01 decides nothing, so numeric; d: text, so categorical. */
	assert_int_equal(fx.b.fs.f[0].kind, MM_KIND_NUMERIC);
	assert_int_equal(fx.b.fs.f[1].kind, MM_KIND_CATEGORICAL);
	for (i = 0; i < 4; i++) {
		assert_int_equal(mm_rowin_csv(&fx.r, in[i], strlen(in[i]),
		    &err), 0);
		assert_int_equal(mm_batcher_row(&fx.b, &fx.r, &err),
		    i < 3 ? 0 : -1);
	}
	assert_string_equal(err.msg, "feature 'c': cell '01' is not a JSON "
	    "number");
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	/* A cell of text, as a label too, is written as a JSON string. */
	assert_string_equal(written(&fx), "{\"batch_id\":\"b\",\"ts\":7,"
	    "\"features\":{\"c\":[1,2.50,null],\"d\":[\"n\\\"q\",null,"
	    "\"7\"]},\"labels\":[1,\"x y\",3]}\n");
	teardown(&fx);
}

static void
test_csv_labels(void **state)
{
	struct fixture fx;
	struct mm_err err = { 0 };
	const char *in[] = { "b,\"a \"\"q\"\"\",x y", "b,7,01", "b,8,3" };
	int i;

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	assert_int_equal(mm_rowin_csv_header(&fx.r, "batch_id,c,label", 16,
	    &err), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mm_rowin_csv(&fx.r, in[i], strlen(in[i]),
		    &err), 0);
		mm_batcher_observe(&fx.b, &fx.r);
	}
	mm_batcher_decide(&fx.b, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mm_rowin_csv(&fx.r, in[i], strlen(in[i]),
		    &err), 0);
		assert_int_equal(mm_batcher_row(&fx.b, &fx.r, &err), 0);
	}
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(written(&fx), "{\"batch_id\":\"b\",\"ts\":7,"
	    "\"features\":{\"c\":[\"a \\\"q\\\"\",\"7\",\"8\"]},"
	    "\"labels\":[\"x y\",\"01\",3]}\n");
	teardown(&fx);
}

static void
test_size_and_late_fields(void **state)
{
	const char *first[] = { "{\"x\":1}", "{\"x\":2,\"y\":null}" };
	const char *later[] = {
		"{\"x\":3,\"z\":1}", "{\"x\":4,\"z\":\"t\",\"w\":0}",
		"{\"x\":5,\"w\":1}"
	};
	struct fixture fx;
	struct mm_err err = { 0 };

	(void)state;
	setup(&fx, MM_BY_SIZE, 2, 0, NULL);
	held(&fx, first, 2);
	assert_string_equal(fx.said, "feature 'y' has no value in the first "
	    "2 rows: taken as numeric\n");
	fx.said[0] = '\0';
	rows(&fx, first, 2);
	rows(&fx, later, 3);
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(fx.said,
	    "ignoring field 'z', not in the first 2 rows\n"
	    "ignoring field 'w', not in the first 2 rows\n");
	assert_string_equal(written(&fx),
	    "{\"batch_id\":\"p000000\",\"ts\":7,"
	    "\"features\":{\"x\":[1,2],\"y\":[null,null]}}\n"
	    "{\"batch_id\":\"p000001\",\"ts\":7,"
	    "\"features\":{\"x\":[3,4],\"y\":[null,null]}}\n"
	    "{\"batch_id\":\"p000002\",\"ts\":7,"
	    "\"features\":{\"x\":[5],\"y\":[null]}}\n");
	teardown(&fx);
}

static void
test_every(void **state)
{
	const char *in[] = {
		"{\"ts\":59.5,\"x\":1}", "{\"ts\":\"1970-01-01T00:01:00Z\","
		"\"x\":2}", "{\"ts\":119,\"x\":3}", "{\"ts\":60,\"x\":4}"
	};
	struct fixture fx;
	struct mm_err err = { 0 };

	(void)state;
	setup(&fx, MM_BY_TIME, 0, 1, NULL);	/* --skip-bad */
	held(&fx, in, 4);
	rows(&fx, in, 3);
	assert_string_equal(written(&fx), "{\"batch_id\":\"p0\",\"ts\":60,"
	    "\"features\":{\"x\":[1]}}\n");
	/* An earlier window than the open batch's, skipped. */
	assert_int_equal(row(&fx, "{\"ts\":10,\"x\":5}", &err), -1);
	assert_string_equal(err.msg, "ts 10 is before the window of batch "
	    "'p60'");
	assert_int_equal(row(&fx, in[3], &err), 0);
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(written(&fx), "{\"batch_id\":\"p0\",\"ts\":60,"
	    "\"features\":{\"x\":[1]}}\n{\"batch_id\":\"p60\",\"ts\":120,"
	    "\"features\":{\"x\":[2,3,4]}}\n");
	teardown(&fx);
}

static void
test_bad_values(void **state)
{
	const char *in[] = {
		"{\"batch_id\":\"a\",\"n\":1,\"c\":\"s\"}",
	};
	struct fixture fx;
	struct mm_err err;

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	held(&fx, in, 1);
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"n\":\"1\"}", &err),
	    -1);
	assert_string_equal(err.msg, "feature 'n' is not a number: \"1\"");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"n\":{}}", &err), -1);
	assert_string_equal(err.msg, "feature 'n' is not a number: {}");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"n\":1e999}", &err),
	    -1);
	assert_string_equal(err.msg, "feature 'n' is out of range: 1e999");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"c\":[1]}", &err), -1);
	assert_string_equal(err.msg, "feature 'c' is not a string or a "
	    "number: [1]");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"c\":1e999}", &err),
	    0);
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":1.5}", &err),
	    -1);
	assert_string_equal(err.msg, "field 'label' is not an integer from 0 "
	    "to 999: 1.5");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":[]}", &err),
	    -1);
	assert_string_equal(err.msg, "field 'label' is not an integer from 0 "
	    "to 999 or a string: []");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":\"\"}", &err),
	    -1);
	assert_string_equal(err.msg, "field 'label' is empty");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"ts\":\"soon\"}",
	    &err), -1);
	assert_string_equal(err.msg, "field 'ts' is not a time (Unix seconds "
	    "or ISO 8601): \"soon\"");
	/* A bad row of the next batch: the open one is complete. */
	assert_int_equal(row(&fx, "{\"batch_id\":\"b\",\"n\":true}", &err),
	    -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(written(&fx), "{\"batch_id\":\"a\",\"ts\":7,"
	    "\"features\":{\"n\":[null],\"c\":[\"1e999\"]}}\n");
	teardown(&fx);

	/* With --skip-bad the run goes on: the next row decides. */
	setup(&fx, MM_BY_ID, 0, 1, NULL);
	held(&fx, in, 1);
	assert_int_equal(row(&fx, in[0], &err), 0);
	assert_int_equal(row(&fx, "{\"batch_id\":\"b\",\"n\":true}", &err),
	    -1);
	assert_string_equal(written(&fx), "");
	assert_int_equal(row(&fx, in[0], &err), 0);
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(written(&fx), "{\"batch_id\":\"a\",\"ts\":7,"
	    "\"features\":{\"n\":[1,1],\"c\":[\"s\",\"s\"]}}\n");
	teardown(&fx);
}

static void
test_no_feature(void **state)
{
	const char *in[] = { "{\"batch_id\":\"a\",\"label\":1}" };
	struct fixture fx;
	struct mm_err err;

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	held(&fx, in, 1);
	assert_int_equal(row(&fx, in[0], &err), -1);
	assert_string_equal(err.msg, "no feature: no field but the id, ts "
	    "and label in the first row");
	teardown(&fx);
}

static void
test_schema(void **state)
{
	struct mm_schema s;
	struct fixture fx;
	struct mm_err err;

	(void)state;
	mm_schema_init(&s);
	mm_schema_add(&s, "r\xc3\xa9gion", MM_KIND_CATEGORICAL);
	mm_schema_add(&s, "radius", MM_KIND_NUMERIC);
	mm_schema_add_class(&s, "1", 1);
	mm_schema_add_class(&s, "cat", 3);
	setup(&fx, MM_BY_ID, 0, 0, &s);
	assert_int_equal(mm_batcher_schema(&fx.b, &s, &err), 0);
	mm_batcher_decide(&fx.b, 0);
	assert_string_equal(fx.said, "");
	/* Labels as text: 1 and "1" are one class, "c\u0061t" is "cat". */
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"radius\":\"x\"}",
	    &err), -1);
	assert_string_equal(err.msg, "feature 'radius' is not a number: "
	    "\"x\"");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"r\\u00e9gion\":2,"
	    "\"label\":1,\"more\":0}", &err), 0);
	assert_string_equal(fx.said, "ignoring field 'more', not in the "
	    "schema\n");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":\"1\","
	    "\"more\":1}", &err), 0);
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":"
	    "\"c\\u0061t\"}", &err), 0);
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":2}", &err),
	    -1);
	assert_string_equal(err.msg, "field 'label' is not one of the "
	    "model's classes: 2");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":\"1.0\"}",
	    &err), -1);
	assert_string_equal(err.msg, "field 'label' is not one of the "
	    "model's classes: \"1.0\"");
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"label\":true}",
	    &err), -1);
	assert_string_equal(err.msg, "field 'label' is not one of the "
	    "model's classes: true");
	assert_int_equal(mm_batcher_end(&fx.b, &err), 0);
	assert_string_equal(fx.said, "ignoring field 'more', not in the "
	    "schema\n");
	assert_string_equal(written(&fx), "{\"batch_id\":\"a\",\"ts\":7,"
	    "\"features\":{\"r\xc3\xa9gion\":[\"2\",null,null],"
	    "\"radius\":[null,null,null]},"
	    "\"labels\":[1,\"1\",\"c\\u0061t\"]}\n");
	teardown(&fx);
	mm_schema_release(&s);
}

static void
test_features(void **state)
{
	struct fixture fx;
	struct mm_err err;

	(void)state;
	setup(&fx, MM_BY_ID, 0, 0, NULL);
	assert_int_equal(mm_batcher_feature(&fx.b, "f", MM_KIND_OPEN, &err),
	    0);
	assert_int_equal(mm_batcher_feature(&fx.b, "f", MM_KIND_OPEN, &err),
	    -1);
	assert_string_equal(err.msg, "'f' appears twice");
	assert_int_equal(mm_batcher_feature(&fx.b, "ts", MM_KIND_OPEN, &err),
	    -1);
	assert_string_equal(err.msg, "'ts' is the id, ts or label field");
	assert_true(mm_batcher_named(&fx.b, "label", 5));
	assert_false(mm_batcher_named(&fx.b, "f", 1));
	/* Fields not listed are ignored without a word. */
	mm_batcher_decide(&fx.b, 1);
	assert_string_equal(fx.said, "feature 'f' has no value in the first "
	    "row: taken as numeric\n");
	fx.said[0] = '\0';
	assert_int_equal(row(&fx, "{\"batch_id\":\"a\",\"g\":\"x\"}", &err),
	    0);
	assert_string_equal(fx.said, "");
	teardown(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_id),
		cmocka_unit_test(test_csv_values),
		cmocka_unit_test(test_csv_labels),
		cmocka_unit_test(test_size_and_late_fields),
		cmocka_unit_test(test_every),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_no_feature),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_features),
	};

	return cmocka_run_group_tests_name("batcher", tests, NULL, NULL);
}
