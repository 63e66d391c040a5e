/*
 * test_schema.c - a model's schema as text and back, where it is read
 * from, and rows encoded by it (encode.h): category codes, unseen
 * categories, labels as classes, the classes learned and --positive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "batchin.h"
#include "encode.h"
#include "schema.h"
#include "scratch.h"

static const char text[] = "{\"features\":[{\"name\":\"x\",\"kind\":"
    "\"numeric\"},{\"name\":\"region\",\"kind\":\"categorical\","
    "\"categories\":[\"west\",\"east\",\"caf\\u00e9\"]}],\"classes\":"
    "[\"ok\",\"fraud\"],\"positive\":\"fraud\"}";

static void
parse(struct mm_schema *s, const char *t)
{
	struct mm_err err = { 0 };

	if (mm_schema_parse(s, t, strlen(t), &err) != 0)
		fail_msg("%s: %s", t, err.msg);
}

static void
test_round_trip(void **state)
{
	struct mm_schema s;
	struct mm_buf b;

	(void)state;
	parse(&s, text);
	assert_int_equal(s.nfeat, 2);
	assert_int_equal(s.f[1].kind, MM_KIND_CATEGORICAL);
	assert_int_equal(s.f[1].ncats, 3);
	assert_string_equal(s.f[1].cats[2], "caf\xc3\xa9");
	assert_int_equal(s.nclass, 2);
	assert_int_equal(s.int_classes, 0);
	assert_int_equal(s.positive, 1);
	assert_int_equal(mm_schema_find(&s, "region"), 1);
	assert_int_equal(mm_schema_find(&s, "f0"), -1);
	assert_int_equal(mm_schema_cat(&s.f[1], "east", 4), 1);
	assert_int_equal(mm_schema_cat(&s.f[1], "eas", 3), -1);
	assert_int_equal(mm_schema_class(&s, "fraud", 5), 1);
	mm_buf_init(&b);
	mm_schema_json(&s, &b);
	assert_string_equal(b.p, "{\"features\":[{\"name\":\"x\",\"kind\":"
	    "\"numeric\"},{\"name\":\"region\",\"kind\":\"categorical\","
	    "\"categories\":[\"west\",\"east\",\"caf\xc3\xa9\"]}],"
	    "\"classes\":[\"ok\",\"fraud\"],\"positive\":\"fraud\"}");
	mm_buf_release(&b);
	mm_schema_release(&s);

	/* Integer classes are written as numbers; inside a model.json. */
	parse(&s, "{\"format\":\"mm-forest/2\",\"schema\":{\"features\":"
	    "[{\"name\":\"a\",\"kind\":\"numeric\"}],\"classes\":[1,0,2]},"
	    "\"trees\":[]}");
	assert_int_equal(s.int_classes, 1);
	assert_int_equal(s.positive, -1);
	assert_string_equal(s.classes[0], "1");
	mm_buf_init(&b);
	mm_schema_json(&s, &b);
	assert_string_equal(b.p, "{\"features\":[{\"name\":\"a\",\"kind\":"
	    "\"numeric\"}],\"classes\":[1,0,2]}");
	mm_buf_release(&b);
	mm_schema_release(&s);
}

static void
expect_error(const char *t, const char *msg)
{
	struct mm_schema s;
	struct mm_err err = { 0 };

	if (mm_schema_parse(&s, t, strlen(t), &err) != -1)
		fail_msg("accepted: %s", t);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, msg);
	assert_int_equal(s.nfeat, 0);
	assert_null(s.f);
	mm_schema_release(&s);
}

#define F1 "\"features\":[{\"name\":\"a\",\"kind\":\"numeric\"}]"

static void
test_errors(void **state)
{
	(void)state;
	expect_error("{", "invalid JSON: string or '}' expected near end of "
	    "file");
	expect_error("[1]", "not a schema: not a JSON object");
	expect_error("{\"features\":[]}", "not a schema: no \"features\" "
	    "array");
	expect_error("{\"features\":[{\"kind\":\"numeric\"}]}",
	    "not a schema: a feature has no name");
	expect_error("{\"features\":[{\"name\":\"a\",\"kind\":\"text\"}]}",
	    "not a schema: feature 'a': kind is not \"numeric\" or "
	    "\"categorical\"");
	expect_error("{\"features\":[{\"name\":\"a\",\"kind\":\"numeric\"},"
	    "{\"name\":\"a\",\"kind\":\"numeric\"}]}",
	    "not a schema: feature 'a' appears twice");
	expect_error("{\"features\":[{\"name\":\"a\",\"kind\":\"categorical\","
	    "\"categories\":[\"x\",\"x\"]}]}", "not a schema: feature 'a': "
	    "categories must be distinct strings");
	expect_error("{" F1 ",\"classes\":[0]}", "not a schema: a model has "
	    "2 to 1000 classes");
	expect_error("{" F1 ",\"classes\":[0,1000]}", "not a schema: a class "
	    "is not an integer from 0 to 999 or a string");
	expect_error("{" F1 ",\"classes\":[0,\"0\"]}", "not a schema: class "
	    "'0' appears twice");
	expect_error("{" F1 ",\"classes\":[0,1],\"positive\":2}",
	    "not a schema: \"positive\" is not one of the classes");
	expect_error("{" F1 ",\"classes\":[0,1],\"positive\":0}",
	    "not a schema: \"positive\" is the second of two classes");
	expect_error("{\"format\":\"mm-forest/1\",\"features\":[\"a\"],"
	    "\"trees\":[]}", "not a schema: a model.json without one "
	    "(written before mm kept schemas: train it again, or give a "
	    "schema file)");
}

static void
put(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	char top[512], path[1024];
	struct mm_schema s;
	struct mm_err err = { 0 };

	(void)state;
	assert_int_equal(scratch_make(top, sizeof(top), "mm-schema"), 0);
	/* A file; a version directory; a store, through active.json. */
	snprintf(path, sizeof(path), "%s/s.json", top);
	put(path, text);
	assert_int_equal(mm_schema_load(&s, path, &err), 0);
	assert_int_equal(s.nfeat, 2);
	mm_schema_release(&s);
	snprintf(path, sizeof(path), "%s/versions", top);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/versions/v1", top);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/versions/v1/model.json", top);
	put(path, "{\"schema\":{" F1 ",\"classes\":[\"a\",\"b\"]}}");
	snprintf(path, sizeof(path), "%s/versions/v1", top);
	assert_int_equal(mm_schema_load(&s, path, &err), 0);
	assert_string_equal(s.classes[1], "b");
	mm_schema_release(&s);
	snprintf(path, sizeof(path), "%s/active.json", top);
	put(path, "{\"version\":\"v1\",\"previous_version\":null,"
	    "\"metrics\":{\"baseline_f1\":0.5},\"promoted_at\":"
	    "\"2026-01-01T00:00:00Z\"}");
	assert_int_equal(mm_schema_load(&s, top, &err), 0);
	assert_string_equal(s.f[0].name, "a");
	mm_schema_release(&s);
	/* A directory that is neither; a path that is not there. */
	snprintf(path, sizeof(path), "%s/versions", top);
	assert_int_equal(mm_schema_load(&s, path, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "no model.json or active.json here");
	snprintf(path, sizeof(path), "%s/none", top);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_schema_load(&s, path, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	/* What the file says is wrong names the file. */
	snprintf(path, sizeof(path), "%s/s.json", top);
	put(path, "{\"features\":[]}");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_schema_load(&s, path, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.where, path);
	scratch_remove(top);
}

static void
test_encode_col(void **state)
{
	struct mm_schema s;
	struct mm_strtab strs;
	const double v[] = { 0, 1, NAN, 2, 3 };
	const double num[] = { 2, 7.5, NAN };
	double out[5];

	(void)state;
	parse(&s, "{\"features\":[{\"name\":\"x\",\"kind\":\"numeric\"},"
	    "{\"name\":\"c\",\"kind\":\"categorical\",\"categories\":"
	    "[\"b\",\"2\",\"a\"]}]}");
	mm_strtab_init(&strs);
	mm_strtab_intern(&strs, "a", 1);
	mm_strtab_intern(&strs, "b", 1);
	mm_strtab_intern(&strs, "zzz", 3);
	mm_strtab_intern(&strs, "2", 1);
	/* a is code 2, b 0, zzz unseen (missing), 2 is code 1. */
	mm_encode_col(&s.f[1], v, 5, &strs, out);
	assert_true(out[0] == 2 && out[1] == 0 && isnan(out[2]) &&
	    isnan(out[3]) && out[4] == 1);
	/* Numbers in a categorical feature: the category of their text. */
	mm_encode_col(&s.f[1], num, 3, NULL, out);
	assert_true(out[0] == 1 && isnan(out[1]) && isnan(out[2]));
	/* A numeric feature keeps its numbers; strings there are missing. */
	mm_encode_col(&s.f[0], num, 3, NULL, out);
	assert_true(out[0] == 2 && out[1] == 7.5 && isnan(out[2]));
	mm_encode_col(&s.f[0], v, 2, &strs, out);
	assert_true(isnan(out[0]) && isnan(out[1]));
	mm_strtab_release(&strs);
	mm_schema_release(&s);
}

static void
test_labels(void **state)
{
	struct mm_schema s;
	struct mm_strtab l;
	struct mm_err err = { 0 };
	int y[5];

	(void)state;
	parse(&s, "{" F1 ",\"classes\":[\"ok\",\"7\",\"fraud\"]}");
	mm_strtab_init(&l);
	mm_strtab_intern(&l, "fraud", 5);
	mm_strtab_intern(&l, "ok", 2);
	mm_strtab_intern(&l, "maybe", 5);
	/* The integer 7 is the class "7". */
	y[0] = MM_LABEL_STR(0);
	y[1] = -1;
	y[2] = 7;
	y[3] = MM_LABEL_STR(1);
	assert_int_equal(mm_encode_labels(&s, y, 4, &l, &err), 0);
	assert_true(y[0] == 2 && y[1] == -1 && y[2] == 1 && y[3] == 0);
	/* An unknown label: an error naming its row, nothing changed. */
	y[0] = 7;
	y[1] = MM_LABEL_STR(2);
	assert_int_equal(mm_encode_labels(&s, y, 2, &l, &err), -1);
	assert_string_equal(err.msg, "row 1: label \"maybe\" is not one of "
	    "the model's classes");
	assert_int_equal(y[0], 7);
	y[1] = 1000000;
	assert_int_equal(mm_encode_labels(&s, y, 2, &l, &err), -1);
	assert_string_equal(err.msg, "row 1: label 1000000 is not one of "
	    "the model's classes");
	mm_strtab_release(&l);
	mm_schema_release(&s);
}

static void
classes(const int *y, size_t n, const struct mm_strtab *l, const char *pos,
    const char *want)
{
	struct mm_schema s;
	struct mm_err err = { 0 };
	struct mm_buf b;
	int k;

	mm_schema_init(&s);
	if (mm_encode_classes(&s, y, n, l, pos, &err) != 0)
		fail_msg("%s", err.msg);
	mm_buf_init(&b);
	for (k = 0; k < s.nclass; k++)
		mm_buf_printf(&b, "%s%s", k ? "," : "", s.classes[k]);
	mm_buf_printf(&b, " %d %d", s.int_classes, s.positive);
	assert_string_equal(b.p, want);
	mm_buf_release(&b);
	mm_schema_release(&s);
}

static void
classes_error(const int *y, size_t n, const struct mm_strtab *l,
    const char *pos, const char *msg)
{
	struct mm_schema s;
	struct mm_err err = { 0 };

	mm_schema_init(&s);
	assert_int_equal(mm_encode_classes(&s, y, n, l, pos, &err), -1);
	assert_string_equal(err.msg, msg);
	assert_int_equal(s.nclass, 0);
	mm_schema_release(&s);
}

static void
test_classes(void **state)
{
	static const int ints[] = { 2, -1, 0, 2 };
	static const int two[] = { 1, 0, 1 };
	static const int big[] = { 0, 1000 };
	int mixed[4];
	struct mm_strtab l;

	(void)state;
	mm_strtab_init(&l);
	mm_strtab_intern(&l, "ok", 2);
	mm_strtab_intern(&l, "fraud", 5);
	/* Integers: 0 to the largest, a class 1 no row has included. */
	classes(ints, 4, NULL, NULL, "0,1,2 1 -1");
	classes(two, 3, NULL, NULL, "0,1 1 1");
	classes(two, 3, NULL, "0", "1,0 1 1");
	/* Strings: byte order, integers by their text among them. */
	mixed[0] = MM_LABEL_STR(0);
	mixed[1] = MM_LABEL_STR(1);
	mixed[2] = 3;
	mixed[3] = -1;
	classes(mixed, 4, &l, NULL, "3,fraud,ok 0 -1");
	classes(mixed, 2, &l, NULL, "fraud,ok 0 1");
	classes(mixed, 2, &l, "fraud", "ok,fraud 0 1");
	classes_error(mixed, 2, &l, "froud", "--positive 'froud' is not one "
	    "of the labels");
	classes_error(mixed, 3, &l, "ok", "--positive 'ok': the labels hold 3 "
	    "classes; a positive class goes with two");
	classes_error(mixed, 1, &l, NULL, "the labels hold a single class; a "
	    "classifier needs at least two");
	classes_error(mixed + 3, 1, &l, NULL, "the training data has no "
	    "labels");
	classes_error(big, 2, NULL, NULL, "label 1000 is above the largest "
	    "class mm supports (999)");
	mm_strtab_release(&l);
}

static void
test_fit_cats(void **state)
{
	struct mm_schema s;
	struct mm_schema_feat *f;
	struct mm_strtab strs;
	/* n: 1 of 2 class 1; s: 0 of 2; e: 2 of 2; w only unlabelled. */
	const double v[] = { 0, 0, 1, 1, 2, 2, NAN };
	const int y[] = { 1, 0, 0, 0, 1, 1, 1 };
	double out[7];

	(void)state;
	mm_schema_init(&s);
	mm_strtab_init(&strs);
	mm_strtab_intern(&strs, "n", 1);
	mm_strtab_intern(&strs, "s", 1);
	mm_strtab_intern(&strs, "e", 1);
	mm_strtab_intern(&strs, "w", 1);
	f = mm_schema_add(&s, "c", MM_KIND_CATEGORICAL);
	mm_encode_fit_cats(f, v, y, 7, &strs, 2, out);
	assert_int_equal(f->ncats, 3);
	assert_string_equal(f->cats[0], "s");
	assert_string_equal(f->cats[1], "n");
	assert_string_equal(f->cats[2], "e");
	assert_true(out[0] == 1 && out[2] == 0 && out[4] == 2 &&
	    isnan(out[6]));
	/* More classes: by frequency, ties in byte order. */
	f = mm_schema_add(&s, "d", MM_KIND_CATEGORICAL);
	mm_encode_fit_cats(f, v, y, 5, &strs, 3, out);
	assert_int_equal(f->ncats, 3);
	assert_string_equal(f->cats[0], "n");
	assert_string_equal(f->cats[1], "s");
	assert_string_equal(f->cats[2], "e");
	mm_strtab_release(&strs);
	mm_schema_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_encode_col),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_fit_cats),
	};

	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
