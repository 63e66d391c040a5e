/*
 * test_featset.c - the features of a stream and their kinds: taken from
 * the rows observed in the order names first appear, or listed; a kind
 * categorical when a value was a string, numeric otherwise (a feature
 * without a value too), fixed by mm_featset_decide().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featset.h"
#include "rowin.h"
#include "schema.h"

/* Observe the JSON row line, its fields named "id" left out. */
static void
observe(struct mm_featset *fs, struct mm_rowin *r, const char *line)
{
	struct mm_err err = { 0 };
	int i;

	assert_int_equal(mm_rowin_json(r, line, strlen(line), &err), 0);
	for (i = 0; i < r->nf; i++)
		r->f[i].named = r->f[i].key.n == 2 &&
		    memcmp(r->f[i].key.p, "id", 2) == 0;
	mm_featset_observe(fs, r);
}

/* Feature c's name. */
static const char *
fname(const struct mm_featset *fs, int c)
{
	return mm_featset_name(fs, fs->f[c].name);
}

static void
test_found(void **state)
{
	struct mm_featset fs;
	struct mm_rowin r;

	(void)state;
	mm_featset_init(&fs);
	mm_rowin_init(&r);
	observe(&fs, &r, "{\"id\":\"a\",\"x\":1,\"s\":null,\"n\":null}");
	observe(&fs, &r, "{\"s\":\"north\",\"y\":2,\"x\":null,\"id\":7}");
	observe(&fs, &r, "{\"s\":3,\"o\":true,\"big\":1e999}");
	assert_int_equal(fs.observed, 3);
	/* In the order names first appear, the named field left out. */
	assert_int_equal(fs.nf, 6);
	assert_string_equal(fname(&fs, 0), "x");
	assert_string_equal(fname(&fs, 1), "s");
	assert_string_equal(fname(&fs, 2), "n");
	assert_string_equal(fname(&fs, 3), "y");
	assert_string_equal(fname(&fs, 4), "o");
	assert_string_equal(fname(&fs, 5), "big");
	assert_int_equal(mm_featset_find(&fs, "id", 2), -1);
	assert_int_equal(fs.f[0].kind, MM_KIND_OPEN);
	assert_int_equal(fs.f[1].nstr, 1);
	assert_int_equal(fs.f[1].nval, 2);
	mm_featset_decide(&fs);
	assert_true(fs.decided);
	assert_int_equal(fs.f[0].kind, MM_KIND_NUMERIC);
	assert_int_equal(fs.f[1].kind, MM_KIND_CATEGORICAL);
	/* No value at all: numeric, and found so. */
	assert_int_equal(fs.f[2].kind, MM_KIND_NUMERIC);
	assert_true(fs.f[2].found);
	assert_int_equal(fs.f[2].nval, 0);
	assert_int_equal(fs.f[4].kind, MM_KIND_NUMERIC);
	assert_int_equal(fs.f[5].kind, MM_KIND_NUMERIC);
	/* Once decided, a row adds no feature. */
	observe(&fs, &r, "{\"late\":\"x\"}");
	assert_int_equal(fs.nf, 6);
	mm_rowin_release(&r);
	mm_featset_release(&fs);
}

static void
test_csv(void **state)
{
	struct mm_featset fs;
	struct mm_rowin r;
	struct mm_err err = { 0 };
	const char *rows[] = { "1,,01", "2,b,+1", "3,,7" };
	size_t i;

	(void)state;
	mm_featset_init(&fs);
	mm_rowin_init(&r);
	assert_int_equal(mm_rowin_csv_header(&r, "a,b,c", 5, &err), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mm_rowin_csv(&r, rows[i], strlen(rows[i]),
		    &err), 0);
		mm_featset_observe(&fs, &r);
	}
	mm_featset_decide(&fs);
	assert_int_equal(fs.nf, 3);
	assert_int_equal(fs.f[0].kind, MM_KIND_NUMERIC);
	/* A cell of text is a string; an empty one is null. */
	assert_int_equal(fs.f[1].kind, MM_KIND_CATEGORICAL);
	assert_int_equal(fs.f[1].nval, 1);
	/* 01 and +1 are values, but decide nothing. */
	assert_int_equal(fs.f[2].kind, MM_KIND_NUMERIC);
	assert_int_equal(fs.f[2].nval, 3);
	assert_int_equal(fs.f[2].nstr, 0);
	mm_rowin_release(&r);
	mm_featset_release(&fs);
}

static void
test_listed(void **state)
{
	struct mm_featset fs;
	struct mm_rowin r;

	(void)state;
	mm_featset_init(&fs);
	mm_rowin_init(&r);
	assert_int_equal(mm_featset_add(&fs, "z", 1, MM_KIND_OPEN), 0);
	assert_int_equal(mm_featset_add(&fs, "k", 1, MM_KIND_NUMERIC), 1);
	assert_int_equal(mm_featset_add(&fs, "q\\\"", 3, MM_KIND_OPEN), 2);
	assert_int_equal(mm_featset_add(&fs, "z", 1, MM_KIND_NUMERIC), -1);
	fs.listed = 1;
	observe(&fs, &r, "{\"other\":\"s\",\"z\":\"t\",\"k\":\"u\"}");
	assert_int_equal(fs.nf, 3);	/* "other" is not listed */
	assert_true(mm_featset_find(&fs, "other", 5) < 0);
	mm_featset_decide(&fs);
	assert_int_equal(fs.f[0].kind, MM_KIND_CATEGORICAL);
	assert_false(fs.f[1].found);	/* given, so kept */
	assert_int_equal(fs.f[1].kind, MM_KIND_NUMERIC);
	assert_int_equal(fs.f[2].kind, MM_KIND_NUMERIC);
	assert_true(fs.f[2].found);
	assert_int_equal(fs.nm[mm_featset_find(&fs, "q\\\"", 3)].col, 2);
	mm_rowin_release(&r);
	mm_featset_release(&fs);
}

static void
test_names(void **state)
{
	struct mm_featset fs;
	char name[16];
	int k;

	(void)state;
	mm_featset_init(&fs);
	/* The table grows: every name keeps its index and its state. */
	for (k = 0; k < 500; k++) {
		snprintf(name, sizeof(name), "n%d", k);
		assert_int_equal(mm_featset_intern(&fs, name, strlen(name)),
		    k);
		assert_int_equal(fs.nm[k].col, -1);
		fs.nm[k].stamp = (unsigned long)k;
	}
	assert_int_equal(mm_featset_intern(&fs, "n7", 2), 7);
	assert_int_equal(fs.nm[499].stamp, 499);
	assert_int_equal(mm_featset_find(&fs, "n500", 4), -1);
	assert_string_equal(mm_featset_name(&fs, 42), "n42");
	assert_int_equal(mm_featset_add(&fs, "n3", 2, MM_KIND_OPEN), 0);
	assert_int_equal(fs.nm[3].col, 0);
	mm_featset_release(&fs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_listed),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("featset", tests, NULL, NULL);
}
