/*
 * test_merge.c - mm-psi --merge's sums (merge.h): count records from
 * --counts and drift records that carry counts add up per group; a
 * record made with another reference, or whose counts do not add up to
 * n, is refused whole; --by groups by the field's value, a string by its
 * text, in first-seen order.
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

#include "json.h"
#include "merge.h"
#include "psi.h"
#include "ref.h"

/*
 * A reference of one feature "a" with two values: bins 0, 1, other and
 * missing.
 */
static void
make_ref(struct mm_ref *r)
{
	double v[] = { 0, 1, 0, 1 };
	struct mm_err err = { 0 };

	mm_ref_init(r);
	assert_int_equal(mm_ref_add(r, "a", v, 4, 10, &err), 0);
	mm_ref_finish(r);
	assert_int_equal(r->f[0].nbins, 4);
}

/* Add a record, formatted with the reference's id, to m. */
static int
add(struct mm_merge *m, struct mm_err *err, const char *fmt, ...)
{
	struct mm_rec rec;
	char line[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	mm_rec_init(&rec);
	memset(err, 0, sizeof(*err));
	if (mm_rec_parse(&rec, line, strlen(line), NULL, NULL, err) < 0)
		fail_msg("mm_rec_parse: %s: %s", line, err->msg);
	rc = mm_merge_record(m, &rec, err);
	mm_rec_release(&rec);
	return rc;
}

static void
test_sum(void **state)
{
	struct mm_ref r;
	struct mm_merge m;
	struct mm_err err;

	(void)state;
	make_ref(&r);
	mm_merge_init(&m, &r, NULL);
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\",\"n\":3,"
	    "\"bins\":{\"a\":[1,2,0,0]}}}", r.id), 0);
	/* A drift record's counts are under "counts". */
	assert_int_equal(add(&m, &err, "{\"drift\":{\"ref\":\"%s\",\"n\":2,"
	    "\"counts\":{\"a\":[0,1,0,1]}}}", r.id), 0);
	assert_int_equal(m.ngroups, 1);
	assert_null(m.groups[0].key);
	assert_int_equal(m.groups[0].records, 2);
	assert_int_equal(m.groups[0].rows, 5);
	assert_int_equal(m.groups[0].counts[0][0], 1);
	assert_int_equal(m.groups[0].counts[0][1], 3);
	assert_int_equal(m.groups[0].counts[0][3], 1);
	mm_merge_release(&m);
	mm_ref_release(&r);
}

static void
test_refused(void **state)
{
	struct mm_ref r;
	struct mm_merge m;
	struct mm_err err;

	(void)state;
	make_ref(&r);
	mm_merge_init(&m, &r, NULL);
	assert_int_equal(add(&m, &err, "{\"x\":1}"), -1);
	assert_string_equal(err.msg, "neither 'counts' nor 'drift' (make "
	    "count records with mm-psi --counts)");
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"0123\","
	    "\"n\":1,\"bins\":{\"a\":[1,0,0,0]}}}"), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_non_null(strstr(err.msg, "counts were made with reference "
	    "'0123'"));
	assert_int_equal(add(&m, &err, "{\"drift\":{\"n\":1}}"), -1);
	assert_string_equal(err.msg, "'drift' is not a count object (no "
	    "ref, n and counts)");
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\",\"n\":1,"
	    "\"bins\":{\"a\":[1,0]}}}", r.id), -1);
	assert_string_equal(err.msg, "counts of feature 'a' missing or of "
	    "the wrong length");
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\",\"n\":1,"
	    "\"bins\":{\"a\":[1,-1,1,0]}}}", r.id), -1);
	assert_string_equal(err.msg, "count 1 of feature 'a' is not a count");
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\",\"n\":3,"
	    "\"bins\":{\"a\":[1,1,0,0]}}}", r.id), -1);
	assert_string_equal(err.msg, "counts of feature 'a' add up to 2, not "
	    "n 3");
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\","
	    "\"n\":1125899906842624,\"bins\":{\"a\":"
	    "[1125899906842624,0,0,0]}}}", r.id), 0);
	assert_int_equal(add(&m, &err, "{\"counts\":{\"ref\":\"%s\",\"n\":1,"
	    "\"bins\":{\"a\":[1,0,0,0]}}}", r.id), -1);
	assert_string_equal(err.msg, "counts of feature 'a' overflow");
	/* Nothing of a refused record was added. */
	assert_int_equal(m.ngroups, 1);
	assert_int_equal(m.groups[0].records, 1);
	assert_int_equal(m.groups[0].rows, 1125899906842624L);
	mm_merge_release(&m);
	mm_ref_release(&r);
}

static void
test_by(void **state)
{
	struct mm_ref r;
	struct mm_merge m;
	struct mm_err err;
	const char *rec = "{\"g\":%s,\"counts\":{\"ref\":\"%s\",\"n\":1,"
	    "\"bins\":{\"a\":[1,0,0,0]}}}";

	(void)state;
	make_ref(&r);
	mm_merge_init(&m, &r, "g");
	assert_int_equal(add(&m, &err, rec, "\"b1\"", r.id), 0);
	assert_int_equal(add(&m, &err, rec, "7", r.id), 0);
	assert_int_equal(add(&m, &err, rec, "\"b\\u0031\"", r.id), 0);
	assert_int_equal(m.ngroups, 2);
	assert_string_equal(m.groups[0].key, "\"b1\"");
	assert_int_equal(m.groups[0].records, 2);
	assert_string_equal(m.groups[1].key, "7");
	assert_int_equal(m.groups[1].records, 1);
	assert_int_equal(add(&m, &err, "{\"counts\":{}}"), -1);
	assert_string_equal(err.msg, "'g' missing");
	assert_int_equal(add(&m, &err, rec, "\"b\\u0000\"", r.id), -1);
	assert_string_equal(err.msg, "'g' has a \\u escape of a NUL");
	mm_merge_release(&m);
	mm_ref_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_by),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
