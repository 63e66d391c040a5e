/*
 * test_batchin.c - decoding batch records into columns of numbers or of
 * strings, and every way a batch record can be wrong.
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

#define ALL (MM_BATCH_ID | MM_BATCH_FEATURES | MM_BATCH_LABELS)

/* Same double, sign of zero included; NaN equals NaN. */
#define assert_same_double(got, want) do {				\
	double g_ = (got), w_ = (want);					\
	if (isnan(w_) ? !isnan(g_) :					\
	    (!(g_ == w_) || signbit(g_) != signbit(w_)))		\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_span(span, want) do {					\
	const struct mm_span *s_ = &(span);				\
	const char *w_ = (want);					\
	if (s_->n != strlen(w_) || memcmp(s_->p, w_, s_->n) != 0)	\
		fail_msg("span '%.*s', want '%s'", (int)s_->n, s_->p,	\
		    w_);						\
} while (0)

static int
parse(struct mm_batch *b, struct mm_rec *rec, const char *line,
    unsigned flags, struct mm_err *err)
{
	memset(err, 0, sizeof(*err));
	return mm_batch_parse(b, rec, line, strlen(line), flags, err);
}

/* Parsing line with flags fails with exactly msg. */
static void
expect_error_flags(const char *line, unsigned flags, const char *msg)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	mm_batch_init(&b);
	mm_rec_init(&rec);
	if (parse(&b, &rec, line, flags, &err) != -1)
		fail_msg("accepted: %s", line);
	assert_int_equal(err.code, MM_EINPUT);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, msg);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

#define expect_error(line, msg) expect_error_flags((line), ALL, (msg))

static void
test_decode(void **state)
{
	const char *line = "{\"batch_id\":\"b000041\",\"ts\":1764140000.0,"
	    "\"features\":{\"f0\":[0.12,-1.30],\"f1\":[1e-7, null ],"
	    "\"f2\":[-0.0,5]},\"labels\":[1,null],\"extra\":{\"x\":[1]}}";
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	const struct mm_col *c;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
	assert_string_equal(b.id, "b000041");
	assert_int_equal(b.has_ts, 1);
	assert_same_double(b.ts, 1764140000.0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.nfeat, 3);
	assert_string_equal(b.cols[0].name, "f0");
	assert_string_equal(b.cols[1].name, "f1");
	assert_string_equal(b.cols[2].name, "f2");
	assert_same_double(b.cols[0].v[0], 0.12);
	assert_same_double(b.cols[0].v[1], -1.3);
	assert_same_double(b.cols[1].v[0], 1e-7);
	assert_same_double(b.cols[1].v[1], NAN);
	assert_same_double(b.cols[2].v[0], -0.0);
	assert_same_double(b.cols[2].v[1], 5.0);
	assert_int_equal(b.has_labels, 1);
	assert_int_equal(b.nlabels, 2);
	assert_int_equal(b.labels[0], 1);
	assert_int_equal(b.labels[1], -1);
	c = mm_batch_col(&b, "f1");
	assert_ptr_equal(c, &b.cols[1]);
	assert_ptr_equal(mm_batch_col(&b, "f0"), &b.cols[0]);
	assert_null(mm_batch_col(&b, "f3"));
	assert_null(mm_batch_col(&b, "f"));
	assert_null(mm_batch_col(&b, ""));
	/* The record keeps every field's span for pass-through. */
	assert_int_equal(rec.n, 5);
	assert_span(mm_rec_get(&rec, "features")->val,
	    "{\"f0\":[0.12,-1.30],\"f1\":[1e-7, null ],\"f2\":[-0.0,5]}");
	assert_span(mm_rec_get(&rec, "labels")->val, "[1,null]");
	assert_span(mm_rec_get(&rec, "batch_id")->val, "\"b000041\"");
	assert_span(mm_rec_get(&rec, "ts")->val, "1764140000.0");
	assert_span(mm_rec_get(&rec, "extra")->val, "{\"x\":[1]}");
	mm_rec_release(&rec);
	mm_batch_release(&b);
	assert_null(b.cols);
	assert_null(b.id);
	assert_null(b.labels);
}

static void
test_optional_fields(void **state)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	/* No ts, no labels. */
	assert_int_equal(parse(&b, &rec, "{\"features\":{\"a\":[ 1 , 2 ]},"
	    "\"batch_id\":\"x\"}", ALL, &err), 0);
	assert_string_equal(b.id, "x");
	assert_int_equal(b.has_ts, 0);
	assert_same_double(b.ts, 0.0);
	assert_int_equal(b.has_labels, 0);
	assert_int_equal(b.n, 2);
	/* "labels":null means none known yet. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"y\",\"ts\":5,"
	    "\"features\":{\"a\":[3]},\"labels\":null}", ALL, &err), 0);
	assert_int_equal(b.has_labels, 0);
	assert_int_equal(b.has_ts, 1);
	assert_same_double(b.ts, 5.0);
	assert_same_double(b.cols[0].v[0], 3.0);
	/* Labels are decoded only when asked for. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"z\",\"features\":"
	    "{\"a\":[3]},\"labels\":[1,2,3]}", MM_BATCH_ID | MM_BATCH_FEATURES,
	    &err), 0);
	assert_int_equal(b.has_labels, 0);
	/* Features likewise: not decoded, but still valid JSON. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"z\",\"features\":"
	    "[\"not\",\"columns\"]}", MM_BATCH_ID, &err), 0);
	assert_int_equal(b.nfeat, 0);
	assert_int_equal(b.n, 0);
	/* No batch_id needed unless asked for. */
	assert_int_equal(parse(&b, &rec, "{\"features\":{\"a\":[3]}}",
	    MM_BATCH_FEATURES, &err), 0);
	assert_null(b.id);
	/* Empty columns. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"e\",\"features\":"
	    "{\"a\":[],\"b\":[ ]},\"labels\":[]}", ALL, &err), 0);
	assert_int_equal(b.nfeat, 2);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.has_labels, 1);
	assert_int_equal(b.nlabels, 0);
	/* Labels 0 and the largest class number accepted, 1000000. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"l\",\"features\":"
	    "{\"a\":[1,2,3]},\"labels\":[0,1000000,7]}", ALL, &err), 0);
	assert_int_equal(b.labels[0], 0);
	assert_int_equal(b.labels[1], 1000000);
	assert_int_equal(b.labels[2], 7);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

static void
test_errors_fields(void **state)
{
	(void)state;
	expect_error("{\"features\":{\"f0\":[1]}}", "'batch_id' missing");
	expect_error("{\"batch_id\":5,\"features\":{\"f0\":[1]}}",
	    "'batch_id' is not a string");
	expect_error("{\"batch_id\":\"\",\"features\":{\"f0\":[1]}}",
	    "'batch_id' is empty");
	expect_error("{\"batch_id\":\"b\",\"ts\":\"now\","
	    "\"features\":{\"f0\":[1]}}", "'ts' is not a number");
	expect_error("{\"batch_id\":\"b\",\"ts\":1e999,"
	    "\"features\":{\"f0\":[1]}}", "'ts' is out of range");
	/* Cut off after a key: the JSON is truncated, whatever the key. */
	expect_error("{\"batch_id\":", "invalid JSON: truncated after "
	    "'batch_id'");
	expect_error("{\"batch_id\":\"b\",\"ts\":", "invalid JSON: "
	    "truncated after 'ts'");
	expect_error("{\"batch_id\":\"b\"}", "'features' missing");
	expect_error("{\"batch_id\":\"b\",\"features\":{}}",
	    "'features' is empty");
	expect_error("{\"batch_id\":\"b\",\"features\":[[1,2]]}",
	    "'features' is not an object");
	expect_error("{\"batch_id\":\"b\",\"features\":null}",
	    "'features' is not an object");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":1}}",
	    "feature 'f0' is not an array");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":null}}",
	    "feature 'f0' is not an array");
	/* Not a batch record at all. */
	expect_error("", "empty line");
	expect_error("[1]", "invalid JSON: expected a JSON object, found '['");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]}} x",
	    "invalid JSON: expected end of line after the object, found 'x'");
}

static void
test_errors_columns(void **state)
{
	(void)state;
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2],"
	    "\"f1\":[3]}}", "feature 'f1' has 1 values, 'f0' has 2");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1],"
	    "\"f1\":[3],\"f2\":[4,5,6]}}",
	    "feature 'f2' has 3 values, 'f0' has 1");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,\"a\"]}}",
	    "feature 'f0' value 1 is a string, earlier values are numbers");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[true]}}",
	    "feature 'f0' value 0 is not a number: true");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2,nul]}}",
	    "feature 'f0' value 2 is not a number: nul");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[[1]]}}",
	    "feature 'f0' value 0 is not a number: an array");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[.5]}}",
	    "feature 'f0' value 0 is not a number: .5");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[NaN]}}",
	    "feature 'f0' value 0 is not a number: NaN");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,1e999]}}",
	    "feature 'f0' value 1 is out of range");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1 2]}}",
	    "invalid JSON: expected ',' or ']' in feature 'f0', found '2'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[01]}}",
	    "invalid JSON: expected ',' or ']' in feature 'f0', found '1'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,]}}",
	    "feature 'f0' value 1 is not a number: ']'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1],"
	    "\"f0\":[2]}}", "feature 'f0' appears twice");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"a\":[1],\"b\":[2],"
	    "\"a\":[3]}}", "feature 'a' appears twice");
}

static void
test_errors_truncated(void **state)
{
	(void)state;
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2",
	    "invalid JSON: truncated in feature 'f0'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,",
	    "invalid JSON: truncated in feature 'f0'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[",
	    "invalid JSON: truncated in feature 'f0'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2]",
	    "invalid JSON: truncated in 'features'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2],",
	    "invalid JSON: expected a string, found end of line");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\"",
	    "invalid JSON: expected ':' in 'features'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0",
	    "invalid JSON: unterminated string");
	expect_error("{\"batch_id\":\"b\",\"features\":{",
	    "invalid JSON: expected a string, found end of line");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1] \"f1\"",
	    "invalid JSON: expected ',' or '}' in 'features'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]}",
	    "invalid JSON: expected ',' or '}', found end of line");
}

static void
test_errors_labels(void **state)
{
	(void)state;
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2]},"
	    "\"labels\":[1]}", "'labels' has 1 values, features have 2");
	/* Labels first, features after: still checked. */
	expect_error("{\"batch_id\":\"b\",\"labels\":[1,0,1],"
	    "\"features\":{\"f0\":[1,2]}}",
	    "'labels' has 3 values, features have 2");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2]},"
	    "\"labels\":[1,0.5]}", "label 1 is not a class: 0.5");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[1.0]}", "label 0 is not a class: 1.0");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[-1]}", "label 0 is not a class: -1");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[\"\"]}",
	    "label 0 is not a class: \"\"");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[1000001]}",
	    "label 0 is not a class: 1000001");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[true]}", "label 0 is not a class: true");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":{\"a\":1}}", "'labels' is not an array");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1]},"
	    "\"labels\":[1", "invalid JSON: truncated in 'labels'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"f0\":[1,2]},"
	    "\"labels\":[1 0]}", "invalid JSON: expected ',' or ']' in "
	    "'labels'");
}

/* Column c holds strings: want[i] for row i, NULL where null. */
static void
check_strings(const struct mm_col *c, const char *const *want, size_t n)
{
	size_t i;
	int k;

	assert_int_equal(c->kind, MM_COL_STR);
	for (i = 0; i < n; i++) {
		if (want[i] == NULL) {
			if (!isnan(c->v[i]))
				fail_msg("%s[%zu] = %g, want null", c->name, i,
				    c->v[i]);
			continue;
		}
		k = mm_strtab_find(&c->strs, want[i], strlen(want[i]));
		if (k < 0)
			fail_msg("%s: '%s' not interned", c->name, want[i]);
		if (c->v[i] != (double)k)
			fail_msg("%s[%zu] = %g, want %d ('%s')", c->name, i,
			    c->v[i], k, want[i]);
	}
}

static void
test_strings(void **state)
{
	const char *line = "{\"batch_id\":\"s\",\"features\":{"
	    "\"region\":[\"north\",null,\"south\",\"north\",\"\"],"
	    "\"x\":[1.5,2,null,4,5],\"none\":[null,null,null,null,null],"
	    "\"late\":[null, null,\"b\" ,\"a\",\"b\"]},"
	    "\"labels\":[0,1,0,1,0]}";
	static const char *const region[] = {
		"north", NULL, "south", "north", "",
	};
	static const char *const late[] = { NULL, NULL, "b", "a", "b" };
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	const struct mm_col *c;
	size_t i;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.nfeat, 4);
	/* Indices in first-seen order. */
	c = mm_batch_col(&b, "region");
	check_strings(c, region, 5);
	assert_int_equal(mm_strtab_count(&c->strs), 3);
	assert_string_equal(mm_strtab_str(&c->strs, 0), "north");
	assert_string_equal(mm_strtab_str(&c->strs, 1), "south");
	assert_string_equal(mm_strtab_str(&c->strs, 2), "");
	assert_same_double(c->v[0], 0.0);
	assert_same_double(c->v[2], 1.0);
	assert_same_double(c->v[3], 0.0);
	assert_same_double(c->v[4], 2.0);
	/* Numbers as before; nulls only is neither kind. */
	c = mm_batch_col(&b, "x");
	assert_int_equal(c->kind, MM_COL_NUM);
	assert_int_equal(mm_strtab_count(&c->strs), 0);
	assert_same_double(c->v[1], 2.0);
	assert_same_double(c->v[2], NAN);
	c = mm_batch_col(&b, "none");
	assert_int_equal(c->kind, MM_COL_NONE);
	for (i = 0; i < 5; i++)
		assert_same_double(c->v[i], NAN);
	/* Nulls before the first string. */
	c = mm_batch_col(&b, "late");
	check_strings(c, late, 5);
	assert_string_equal(mm_strtab_str(&c->strs, 0), "b");
	assert_same_double(c->v[2], 0.0);
	assert_same_double(c->v[3], 1.0);
	/* No rows at all: no kind. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"e\",\"features\":"
	    "{\"a\":[]}}", ALL, &err), 0);
	assert_int_equal(b.cols[0].kind, MM_COL_NONE);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

/* Strings and names are decoded: one string, however it is escaped. */
static void
test_string_escapes(void **state)
{
	const char *line = "{\"batch_id\":\"s\",\"features\":{"
	    "\"temp\\u00e9rature\":[\"caf\\u00e9\",\"caf\xc3\xa9\","
	    "\"a\\\"b\",\"\\ud83d\\ude00\",\"tab\\there\",\"\\/\"],"
	    "\"q\\\"k\":[1,2,3,4,5,6]}}";
	static const char *const want[] = {
		"caf\xc3\xa9", "caf\xc3\xa9", "a\"b", "\xf0\x9f\x98\x80",
		"tab\there", "/",
	};
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	const struct mm_col *c;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
	assert_string_equal(b.cols[0].name, "temp\xc3\xa9rature");
	assert_string_equal(b.cols[1].name, "q\"k");
	c = mm_batch_col(&b, "temp\xc3\xa9rature");
	assert_non_null(c);
	check_strings(c, want, 6);
	assert_int_equal(mm_strtab_count(&c->strs), 5);
	assert_same_double(c->v[1], 0.0);
	assert_int_equal(mm_strtab_len(&c->strs, 0), 5);
	/* The record itself passes through as it came. */
	assert_memory_equal(mm_rec_get(&rec, "features")->val.p,
	    "{\"temp\\u00e9rature\":[\"caf\\u00e9\"", 27);
	mm_rec_release(&rec);
	mm_batch_release(&b);
	/* Two spellings of one name are one feature. */
	expect_error("{\"batch_id\":\"b\",\"features\":{"
	    "\"temp\\u00e9rature\":[1],\"temp\xc3\xa9rature\":[2]}}",
	    "feature 'temp\xc3\xa9rature' appears twice");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"a\":[1],"
	    "\"\\u0061\":[2]}}", "feature 'a' appears twice");
}

/* The batch id and the record's own keys are read decoded too. */
static void
test_id_escapes(void **state)
{
	const char *line = "{\"b\\u0061tch_id\":\"b\\u0031\",\"\\u0074s\":5,"
	    "\"\\u0066eatures\":{\"x\":[1,2]},\"l\\u0061bels\":[0,1]}";
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
	assert_string_equal(b.id, "b1");
	assert_int_equal(b.has_ts, 1);
	assert_same_double(b.ts, 5.0);
	assert_int_equal(b.nfeat, 1);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.has_labels, 1);
	assert_int_equal(b.labels[1], 1);
	/* The record keeps its bytes. */
	assert_span(mm_rec_get(&rec, "batch_id")->val, "\"b\\u0031\"");
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"\\u00e9t\\u00e9 "
	    "\\\"q\\\" \\ud83d\\ude00\",\"features\":{\"x\":[1]}}", ALL,
	    &err), 0);
	assert_string_equal(b.id, "\xc3\xa9t\xc3\xa9 \"q\" \xf0\x9f\x98\x80");
	/* Plain ids are as they were. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"b\xc3\xa9\","
	    "\"features\":{\"x\":[1]}}", ALL, &err), 0);
	assert_string_equal(b.id, "b\xc3\xa9");
	mm_rec_release(&rec);
	mm_batch_release(&b);
	expect_error("{\"batch_id\":\"b\\u0000\",\"features\":{\"x\":[1]}}",
	    "'batch_id' has a \\u escape of a NUL");
	expect_error("{\"batch_id\":\"b\\udc00\",\"features\":{\"x\":[1]}}",
	    "invalid JSON: \\u escape of a lone surrogate in string");
	/* Invalid UTF-8 anywhere in the record. */
	expect_error("{\"batch_id\":\"b\xe9\",\"features\":{\"x\":[1]}}",
	    "invalid UTF-8 at byte 15");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"\xc0\xae\"]}}",
	    "invalid UTF-8 at byte 35");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"\xed\xa0\x80\":[1]}}",
	    "invalid UTF-8 at byte 30");
}

static void
test_errors_strings(void **state)
{
	(void)state;
	/* A column holds numbers or strings, never both. */
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[1,null,3,"
	    "4,\"n\"]}}",
	    "feature 'x' value 4 is a string, earlier values are numbers");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[null,\"a\","
	    "null,\"b\",5]}}",
	    "feature 'x' value 4 is a number, earlier values are strings");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",-0.5]}}",
	    "feature 'x' value 1 is a number, earlier values are strings");
	/* Other values in a column of strings. */
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",true]}}",
	    "feature 'x' value 1 is not a string: true");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",[\"b\"]]"
	    "}}", "feature 'x' value 1 is not a string: an array");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",]}}",
	    "feature 'x' value 1 is not a string: ']'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\" \"b\"]}}",
	    "invalid JSON: expected ',' or ']' in feature 'x', found '\"'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",\"b",
	    "invalid JSON: unterminated string");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\",",
	    "invalid JSON: truncated in feature 'x'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\"",
	    "invalid JSON: truncated in feature 'x'");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\\x\"]}}",
	    "invalid JSON: bad escape in string");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"a\tb\"]}}",
	    "invalid JSON: control character 0x09 in string");
	/* Escapes that decode to no text. */
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":[\"ok\","
	    "\"a\\u0000\"]}}", "feature 'x' value 1 has a \\u escape of a "
	    "NUL: \"a\\u0000\"");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"x\":["
	    "\"\\ud800\"]}}", "invalid JSON: \\u escape of a lone surrogate "
	    "in string");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"a\\u0000\":[1]}}",
	    "feature name \"a\\u0000\" has a \\u escape of a NUL");
	/* Unequal lengths, whatever the kinds. */
	expect_error("{\"batch_id\":\"b\",\"features\":{\"s\":[\"a\",\"b\"],"
	    "\"x\":[1]}}", "feature 'x' has 1 values, 's' has 2");
	expect_error("{\"batch_id\":\"b\",\"features\":{\"s\":[\"a\"]},"
	    "\"labels\":[1,0]}", "'labels' has 2 values, features have 1");
}

/* mm_batch_require_numeric() fails as a string value did before. */
static void
expect_numeric_error(const char *line, const char *msg)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	mm_batch_init(&b);
	mm_rec_init(&rec);
	if (parse(&b, &rec, line, ALL, &err) != 0)
		fail_msg("refused: %s: %s", line, err.msg);
	assert_int_equal(mm_batch_require_numeric(&b, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, msg);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

static void
test_require_numeric(void **state)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	(void)state;
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"a\"]}}", "feature 'f0' value 0 is not a number: \"a\"");
	/* The first string, after nulls, in the first column of strings. */
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"x\":[1,2,3,"
	    "4],\"n\":[null,null,null,null],\"s\":[null,null,null,\"abc\"],"
	    "\"t\":[\"a\",\"b\",\"c\",\"d\"]}}",
	    "feature 's' value 3 is not a number: \"abc\"");
	/* Long strings cut as mm_json_token() cuts them. */
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"abcdefghijklmnopqrstuvwxyz\"]}}", "feature 'f0' value 0 is not "
	    "a number: \"abcdefghijklmnopqrs...");
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"abcdefghijklmnopqrstuv\"]}}", "feature 'f0' value 0 is not "
	    "a number: \"abcdefghijklmnopqrstuv\"");
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"abcdefghijklmnopqrstuvw\"]}}", "feature 'f0' value 0 is not "
	    "a number: \"abcdefghijklmnopqrs...");
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"\"]}}", "feature 'f0' value 0 is not a number: \"\"");
	/* Escapes as JSON writes them again. */
	expect_numeric_error("{\"batch_id\":\"b\",\"features\":{\"f0\":"
	    "[\"a\\\"b\\\\c\\nd\"]}}", "feature 'f0' value 0 is not a number: "
	    "\"a\\\"b\\\\c\\nd\"");
	/* Numbers and nulls pass. */
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"b\",\"features\":{"
	    "\"x\":[1,null],\"n\":[null,null]}}", ALL, &err), 0);
	assert_int_equal(mm_batch_require_numeric(&b, &err), 0);
	/* Only this record's columns count. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"b\",\"features\":{"
	    "\"x\":[1,null],\"s\":[\"a\",\"b\"]}}", ALL, &err), 0);
	assert_int_equal(mm_batch_require_numeric(&b, &err), -1);
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"b\",\"features\":{"
	    "\"x\":[1,null]}}", ALL, &err), 0);
	assert_int_equal(mm_batch_require_numeric(&b, &err), 0);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

/* One struct, one column position, a different kind each record. */
static void
test_reuse_kinds(void **state)
{
	static const char *const lines[] = {
		"{\"batch_id\":\"1\",\"features\":{\"c\":[\"x\",\"y\",\"x\"],"
		    "\"d\":[1,2,3]}}",
		"{\"batch_id\":\"2\",\"features\":{\"c\":[1,2],\"d\":[\"p\","
		    "null]}}",
		"{\"batch_id\":\"3\",\"features\":{\"c\":[null],\"d\":[null]}}",
		"{\"batch_id\":\"4\",\"features\":{\"c\":[\"y\",\"z\"],"
		    "\"d\":[\"p\",\"q\"]}}",
	};
	static const char *const c1[] = { "x", "y", "x" };
	static const char *const d2[] = { "p", NULL };
	static const char *const c4[] = { "y", "z" };
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, lines[0], ALL, &err), 0);
	check_strings(&b.cols[0], c1, 3);
	assert_int_equal(b.cols[1].kind, MM_COL_NUM);
	assert_int_equal(parse(&b, &rec, lines[1], ALL, &err), 0);
	assert_int_equal(b.cols[0].kind, MM_COL_NUM);
	assert_int_equal(mm_strtab_count(&b.cols[0].strs), 0);
	assert_same_double(b.cols[0].v[1], 2.0);
	check_strings(&b.cols[1], d2, 2);
	assert_int_equal(mm_strtab_count(&b.cols[1].strs), 1);
	assert_int_equal(parse(&b, &rec, lines[2], ALL, &err), 0);
	assert_int_equal(b.cols[0].kind, MM_COL_NONE);
	assert_int_equal(b.cols[1].kind, MM_COL_NONE);
	assert_int_equal(mm_strtab_count(&b.cols[1].strs), 0);
	/* Strings from earlier records are gone; indices start at 0. */
	assert_int_equal(parse(&b, &rec, lines[3], ALL, &err), 0);
	check_strings(&b.cols[0], c4, 2);
	assert_int_equal(mm_strtab_find(&b.cols[0].strs, "x", 1), -1);
	assert_same_double(b.cols[0].v[0], 0.0);
	assert_same_double(b.cols[1].v[1], 1.0);
	/* A failed record in between, then a good one. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"5\",\"features\":"
	    "{\"c\":[\"a\",\"b\",1]}}", ALL, &err), -1);
	assert_int_equal(parse(&b, &rec, lines[0], ALL, &err), 0);
	check_strings(&b.cols[0], c1, 3);
	assert_int_equal(mm_strtab_count(&b.cols[0].strs), 2);
	assert_int_equal(b.cols[1].kind, MM_COL_NUM);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

/* Fill a batch line with nfeat columns of n rows named prefix0.. */
static char *
make_line(const char *id, const char *prefix, int nfeat, size_t n,
    int labels)
{
	size_t cap = 64 + (size_t)nfeat * (n * 24 + 32) + n * 8, len = 0;
	char *s = malloc(cap);
	size_t i;
	int f;

	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "{\"batch_id\":\"%s\",\"features\":{",
	    id);
	for (f = 0; f < nfeat; f++) {
		len += (size_t)snprintf(s + len, cap - len, "%s\"%s%d\":[",
		    f ? "," : "", prefix, f);
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(s + len, cap - len, "%s%d.5",
			    i ? "," : "", (int)(f * 100000 + (int)i));
		len += (size_t)snprintf(s + len, cap - len, "]");
	}
	len += (size_t)snprintf(s + len, cap - len, "}");
	if (labels) {
		len += (size_t)snprintf(s + len, cap - len, ",\"labels\":[");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(s + len, cap - len, "%s%d",
			    i ? "," : "", (int)(i % 3));
		len += (size_t)snprintf(s + len, cap - len, "]");
	}
	snprintf(s + len, cap - len, "}");
	return s;
}

static void
check_batch(const struct mm_batch *b, const char *id, const char *prefix,
    int nfeat, size_t n, int labels)
{
	char name[32];
	size_t i;
	int f;

	assert_string_equal(b->id, id);
	assert_int_equal(b->nfeat, nfeat);
	assert_int_equal(b->n, n);
	for (f = 0; f < nfeat; f++) {
		snprintf(name, sizeof(name), "%s%d", prefix, f);
		assert_string_equal(b->cols[f].name, name);
		assert_ptr_equal(mm_batch_col(b, name), &b->cols[f]);
		for (i = 0; i < n; i++)
			if (b->cols[f].v[i] != f * 100000 + (double)i + 0.5)
				fail_msg("%s[%zu] = %g", name, i,
				    b->cols[f].v[i]);
	}
	assert_int_equal(b->has_labels, labels);
	if (labels) {
		assert_int_equal(b->nlabels, n);
		for (i = 0; i < n; i++)
			assert_int_equal(b->labels[i], (int)(i % 3));
	}
}

static void
test_reuse(void **state)
{
	struct {
		const char *id, *prefix;
		int nfeat;
		size_t n;
		int labels;
	} cases[] = {
		{ "big", "f", 20, 3000, 1 },
		{ "b2", "g", 1, 1, 0 },
		{ "b3", "f", 3, 5, 1 },
		{ "b4", "h", 40, 2, 1 },
		{ "b5", "f", 2, 4000, 0 },
		{ "b6", "f", 2, 3, 1 },
	};
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	size_t i;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = make_line(cases[i].id, cases[i].prefix,
		    cases[i].nfeat, cases[i].n, cases[i].labels);

		assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
		check_batch(&b, cases[i].id, cases[i].prefix, cases[i].nfeat,
		    cases[i].n, cases[i].labels);
		free(line);
	}
	/* Names from earlier records are gone. */
	assert_null(mm_batch_col(&b, "g0"));
	assert_null(mm_batch_col(&b, "h5"));
	assert_null(mm_batch_col(&b, "f2"));
	/* A failed record, then a good one. */
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"bad\",\"features\":"
	    "{\"x\":[1],\"y\":[1,2]}}", ALL, &err), -1);
	assert_string_equal(err.msg, "feature 'y' has 2 values, 'x' has 1");
	assert_int_equal(parse(&b, &rec, "{\"batch_id\":\"ok\",\"features\":"
	    "{\"y\":[7,8]}}", ALL, &err), 0);
	assert_string_equal(b.id, "ok");
	assert_int_equal(b.nfeat, 1);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.has_labels, 0);
	assert_string_equal(b.cols[0].name, "y");
	assert_same_double(b.cols[0].v[1], 8.0);
	assert_null(mm_batch_col(&b, "x"));
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

static void
test_passthrough(void **state)
{
	const char *line = "{\"batch_id\":\"b1\", \"features\":{\"f0\":[1.50,"
	    "null]},\"labels\":[1,null],\"drift\":{\"old\":1} }";
	const char *const drop[] = { "labels", NULL };
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	char *out = NULL;
	size_t n = 0;
	FILE *fp;

	(void)state;
	mm_batch_init(&b);
	mm_rec_init(&rec);
	assert_int_equal(parse(&b, &rec, line, ALL, &err), 0);
	fp = open_memstream(&out, &n);
	assert_non_null(fp);
	assert_int_equal(mm_rec_write(fp, &rec, drop, "drift", "0.25", 4), 0);
	fclose(fp);
	assert_string_equal(out, "{\"batch_id\":\"b1\", \"features\":"
	    "{\"f0\":[1.50,null]},\"drift\":0.25 }\n");
	free(out);
	mm_rec_release(&rec);
	mm_batch_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_errors_fields),
		cmocka_unit_test(test_errors_columns),
		cmocka_unit_test(test_errors_truncated),
		cmocka_unit_test(test_errors_labels),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_id_escapes),
		cmocka_unit_test(test_errors_strings),
		cmocka_unit_test(test_require_numeric),
		cmocka_unit_test(test_reuse_kinds),
	};

	return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
