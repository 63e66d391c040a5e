/*
 * test_sha.c - SHA-256 (sha.h) against the FIPS 180-2 examples, the
 * incremental form against the one-shot one, and the constant-time
 * comparison.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sha.h"

static void
test_fips(void **state)
{
	static const struct { const char *msg, *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
	};
	char out[MM_SHA_HEX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		mm_sha256_hex(v[i].msg, strlen(v[i].msg), out);
		assert_string_equal(out, v[i].hex);
	}
}

/* A million 'a's, fed in pieces of every size from 1 to 999 bytes. */
static void
test_incremental(void **state)
{
	const size_t n = 1000000;
	char *a = malloc(n), one[MM_SHA_HEX], inc[MM_SHA_HEX];
	struct mm_sha s;
	size_t off, step = 1;

	(void)state;
	memset(a, 'a', n);
	mm_sha256_hex(a, n, one);
	assert_string_equal(one, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	mm_sha_init(&s);
	for (off = 0; off < n; off += step, step = step % 999 + 1)
		mm_sha_update(&s, a + off, off + step <= n ? step : n - off);
	mm_sha_final(&s, inc);
	assert_string_equal(inc, one);
	assert_null(s.ctx);
	free(a);
}

static void
test_equal_ct(void **state)
{
	(void)state;
	assert_int_equal(mm_equal_ct("secret", "secret", 6), 1);
	assert_int_equal(mm_equal_ct("secret", "secreT", 6), 0);
	assert_int_equal(mm_equal_ct("Secret", "secret", 6), 0);
	assert_int_equal(mm_equal_ct("x", "y", 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_equal_ct),
	};

	return cmocka_run_group_tests_name("sha", tests, NULL, NULL);
}
