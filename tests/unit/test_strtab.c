/*
 * test_strtab.c - the interning string table: indices in first-seen
 * order, lookups, lengths, growth, and reset keeping the memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strtab.h"

static int
intern(struct mm_strtab *t, const char *s)
{
	return mm_strtab_intern(t, s, strlen(s));
}

static int
find(const struct mm_strtab *t, const char *s)
{
	return mm_strtab_find(t, s, strlen(s));
}

static void
test_empty(void **state)
{
	struct mm_strtab t, z;

	(void)state;
	mm_strtab_init(&t);
	assert_int_equal(mm_strtab_count(&t), 0);
	assert_int_equal(find(&t, "a"), -1);
	assert_int_equal(find(&t, ""), -1);
	mm_strtab_reset(&t);
	assert_int_equal(mm_strtab_count(&t), 0);
	mm_strtab_release(&t);
	mm_strtab_release(&t);		/* twice is harmless */
	/* A zeroed struct is an empty table. */
	memset(&z, 0, sizeof(z));
	assert_int_equal(find(&z, "x"), -1);
	assert_int_equal(intern(&z, "x"), 0);
	mm_strtab_release(&z);
}

static void
test_intern(void **state)
{
	struct mm_strtab t;

	(void)state;
	mm_strtab_init(&t);
	assert_int_equal(intern(&t, "north"), 0);
	assert_int_equal(intern(&t, "south"), 1);
	assert_int_equal(intern(&t, "north"), 0);
	assert_int_equal(intern(&t, ""), 2);
	assert_int_equal(intern(&t, "nort"), 3);
	assert_int_equal(intern(&t, "northh"), 4);
	assert_int_equal(intern(&t, ""), 2);
	assert_int_equal(mm_strtab_count(&t), 5);
	assert_int_equal(find(&t, "south"), 1);
	assert_int_equal(find(&t, "nort"), 3);
	assert_int_equal(find(&t, "east"), -1);
	assert_int_equal(find(&t, "Nort"), -1);
	assert_string_equal(mm_strtab_str(&t, 0), "north");
	assert_string_equal(mm_strtab_str(&t, 1), "south");
	assert_string_equal(mm_strtab_str(&t, 2), "");
	assert_int_equal(mm_strtab_len(&t, 0), 5);
	assert_int_equal(mm_strtab_len(&t, 2), 0);
	assert_int_equal(mm_strtab_len(&t, 4), 6);
	/* Only s[0..n) counts. */
	assert_int_equal(mm_strtab_intern(&t, "southern", 5), 1);
	assert_int_equal(mm_strtab_find(&t, "northwest", 4), 3);
	assert_int_equal(mm_strtab_count(&t), 5);
	mm_strtab_release(&t);
	assert_null(t.buf);
	assert_int_equal(mm_strtab_count(&t), 0);
}

/* Any byte but NUL, UTF-8 or not; the length is what is compared. */
static void
test_bytes(void **state)
{
	static const char *const s[] = {
		"temp\xc3\xa9rature", "\xff\xfe", "a\"b\\c", "\n\t\x01",
		"\xf0\x9f\x98\x80", " ", "  ",
	};
	struct mm_strtab t;
	size_t i;

	(void)state;
	mm_strtab_init(&t);
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		assert_int_equal(intern(&t, s[i]), (int)i);
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		assert_int_equal(find(&t, s[i]), (int)i);
		assert_string_equal(mm_strtab_str(&t, (int)i), s[i]);
		assert_int_equal(mm_strtab_len(&t, (int)i), strlen(s[i]));
	}
	assert_int_equal(find(&t, "temperature"), -1);
	mm_strtab_release(&t);
}

/* Thousands of strings: indices stay, lookups find every one. */
static void
test_growth(void **state)
{
	struct mm_strtab t;
	char s[32];
	int i;

	(void)state;
	mm_strtab_init(&t);
	for (i = 0; i < 5000; i++) {
		snprintf(s, sizeof(s), "category-%d", i * 7919 % 5003);
		assert_int_equal(intern(&t, s), i);
	}
	assert_int_equal(mm_strtab_count(&t), 5000);
	for (i = 4999; i >= 0; i--) {
		snprintf(s, sizeof(s), "category-%d", i * 7919 % 5003);
		assert_int_equal(find(&t, s), i);
		assert_int_equal(intern(&t, s), i);
		assert_string_equal(mm_strtab_str(&t, i), s);
		assert_int_equal(mm_strtab_len(&t, i), strlen(s));
	}
	assert_int_equal(mm_strtab_count(&t), 5000);
	assert_true(t.nslot >= 2 * 5000);
	mm_strtab_release(&t);
}

static void
test_reset(void **state)
{
	struct mm_strtab t;
	const int *slot;
	const char *buf;
	size_t nslot, bcap;
	char s[16];
	int i, round;

	(void)state;
	mm_strtab_init(&t);
	for (i = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "v%d", i);
		intern(&t, s);
	}
	slot = t.slot;
	buf = t.buf;
	nslot = t.nslot;
	bcap = t.bcap;
	for (round = 0; round < 3; round++) {
		mm_strtab_reset(&t);
		assert_int_equal(mm_strtab_count(&t), 0);
		assert_int_equal(find(&t, "v0"), -1);
		assert_int_equal(find(&t, "v99"), -1);
		/* New strings start again at 0, in the same memory. */
		assert_int_equal(intern(&t, "v99"), 0);
		assert_int_equal(intern(&t, "w"), 1);
		assert_int_equal(intern(&t, "v99"), 0);
		assert_int_equal(find(&t, "v0"), -1);
		assert_string_equal(mm_strtab_str(&t, 1), "w");
		assert_ptr_equal(t.slot, slot);
		assert_ptr_equal(t.buf, buf);
		assert_int_equal(t.nslot, nslot);
		assert_int_equal(t.bcap, bcap);
	}
	mm_strtab_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests_name("strtab", tests, NULL, NULL);
}
