/*
 * test_json_utf8.c - text in records: UTF-8 validation, \u escapes that
 * name no character, keys compared decoded (mm_span_eq, mm_rec_get, the
 * writer's replace and drop), and the canonical form of a string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8_ref.h"

/* mm_utf8_check(s) is want: the length of the valid prefix. */
static void
check_utf8(const char *s, size_t len, size_t want)
{
	size_t got = mm_utf8_check(s, len);

	if (got != want)
		fail_msg("mm_utf8_check(%zu bytes) = %zu, want %zu", len, got,
		    want);
}

#define valid(s) check_utf8((s), sizeof(s) - 1, sizeof(s) - 1)
#define invalid_at(s, at) check_utf8((s), sizeof(s) - 1, (at))

static void
test_utf8_valid(void **state)
{
	(void)state;
	valid("");
	valid("plain ASCII, more than eight bytes long: \x01\x7f");
	/* Two bytes: U+0080, U+00E9, U+07FF. */
	valid("\xc2\x80");
	valid("temp\xc3\xa9rature");
	valid("\xdf\xbf");
	/* Three: U+0800, U+20AC, U+D7FF (below the surrogates), U+E000, */
	/* U+FFFD, U+FFFF. */
	valid("\xe0\xa0\x80");
	valid("\xe2\x82\xac");
	valid("\xed\x9f\xbf");
	valid("\xee\x80\x80");
	valid("\xef\xbf\xbd\xef\xbf\xbf");
	/* Four: U+10000, U+1F600, U+10FFFF. */
	valid("\xf0\x90\x80\x80");
	valid("\xf0\x9f\x98\x80");
	valid("\xf4\x8f\xbf\xbf");
	/* Mixed, across the eight-byte steps of the ASCII fast path. */
	valid("abcdefg\xc3\xa9hijklmno\xf0\x9f\x98\x80pqrstuvwxyz\xe2\x82\xac");
}

/*
 * A bad byte (a lone continuation byte) or a good two-byte sequence at
 * every offset of 100 ASCII bytes: across the 32- and 8-byte steps of
 * the ASCII fast paths and the tail they leave.
 */
static void
test_utf8_every_offset(void **state)
{
	char s[101];
	size_t at, len;

	(void)state;
	for (len = 0; len <= 100; len++) {
		memset(s, 'a', len);
		check_utf8(s, len, len);
	}
	for (at = 0; at < 100; at++) {
		memset(s, 'a', 100);
		s[at] = (char)0x80;
		check_utf8(s, 100, at);
		if (at == 99)
			continue;
		s[at] = (char)0xc3;
		s[at + 1] = (char)0xa9;
		check_utf8(s, 100, 100);
	}
}

static void
test_utf8_invalid(void **state)
{
	(void)state;
	/* A continuation byte with no lead. */
	invalid_at("\x80", 0);
	invalid_at("ab\xbf", 2);
	/* Overlong: '/' as C0 AF, U+007F as C1 BF, U+07FF in three */
	/* bytes, U+FFFF in four. */
	invalid_at("\xc0\xaf", 0);
	invalid_at("x\xc1\xbf", 1);
	invalid_at("\xe0\x9f\xbf", 0);
	invalid_at("\xe0\x80\x80", 0);
	invalid_at("\xf0\x8f\xbf\xbf", 0);
	invalid_at("\xf0\x80\x80\x80", 0);
	/* Surrogates U+D800, U+DBFF, U+DC00, U+DFFF in UTF-8 (CESU). */
	invalid_at("\xed\xa0\x80", 0);
	invalid_at("\xed\xaf\xbf", 0);
	invalid_at("a\xed\xb0\x80", 1);
	invalid_at("\xed\xbf\xbf", 0);
	invalid_at("\xed\xa0\xbd\xed\xb8\x80", 0);
	/* Above U+10FFFF: F4 90, F5..F7, and bytes never in UTF-8. */
	invalid_at("\xf4\x90\x80\x80", 0);
	invalid_at("\xf5\x80\x80\x80", 0);
	invalid_at("\xf7\xbf\xbf\xbf", 0);
	invalid_at("\xf8\x88\x80\x80\x80", 0);
	invalid_at("\xfe", 0);
	invalid_at("ok\xff", 2);
	/* Cut short: at the end, or by a byte that does not continue. */
	invalid_at("\xc3", 0);
	invalid_at("caf\xc3", 3);
	invalid_at("\xe2\x82", 0);
	invalid_at("\xf0\x9f\x98", 0);
	invalid_at("\xc3" "A", 0);
	invalid_at("\xe2\x82" "A", 0);
	invalid_at("\xe2" "A\xac", 0);
	invalid_at("\xf0\x9f\x98" "A", 0);
	invalid_at("\xf0\x9f" "A\x80", 0);
	/* Latin-1 é where UTF-8 was wanted. */
	invalid_at("temp\xe9rature", 4);
	/* After valid text: the offset of the bad sequence's first byte. */
	invalid_at("abcdefghijklmnop\xc3\xa9qrstuvwx\xc3(", 26);
	/* Only s[0..n) is looked at. */
	check_utf8("ab\xc3\xa9", 3, 2);
	check_utf8("ab\xff", 2, 2);
}

/* Every string of one to three bytes, and four-byte ones around the edges. */
static void
test_utf8_exhaustive(void **state)
{
	static const unsigned char edge[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90,
	    0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	unsigned char s[4];
	unsigned long x;
	size_t a, b, c;

	(void)state;
	for (x = 0; x < 1UL << 24; x++) {
		s[0] = (unsigned char)(x >> 16);
		s[1] = (unsigned char)(x >> 8);
		s[2] = (unsigned char)x;
		if (mm_utf8_check((char *)s, 3) != utf8_ref((const char *)s, 3))
			fail_msg("%02x %02x %02x", s[0], s[1], s[2]);
		if (x < 1UL << 16 && mm_utf8_check((char *)s + 1, 2) !=
		    utf8_ref((const char *)s + 1, 2))
			fail_msg("%02x %02x", s[1], s[2]);
	}
	for (x = 0xe0; x <= 0xff; x++)
		for (a = 0; a < sizeof(edge); a++)
			for (b = 0; b < sizeof(edge); b++)
				for (c = 0; c < sizeof(edge); c++) {
					s[0] = (unsigned char)x;
					s[1] = edge[a];
					s[2] = edge[b];
					s[3] = edge[c];
					if (mm_utf8_check((char *)s, 4) !=
					    utf8_ref((const char *)s, 4))
						fail_msg("%02x %02x %02x %02x",
						    s[0], s[1], s[2], s[3]);
				}
}

/* Parsing line fails with exactly msg. */
static void
expect_error(const char *line, const char *msg)
{
	struct mm_rec r;
	struct mm_err err;

	mm_rec_init(&r);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, msg);
	mm_rec_release(&r);
}

static void
expect_ok(const char *line)
{
	struct mm_rec r;
	struct mm_err err;

	mm_rec_init(&r);
	memset(&err, 0, sizeof(err));
	if (mm_rec_parse(&r, line, strlen(line), NULL, NULL, &err) != 0)
		fail_msg("'%s': %s", line, err.msg);
	mm_rec_release(&r);
}

static void
test_parse_utf8(void **state)
{
	(void)state;
	expect_ok("{\"temp\xc3\xa9rature\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	/* Bytes count from 1 at the line's first. */
	expect_error("\xff{\"a\":1}", "invalid UTF-8 at byte 1");
	expect_error("{\"a\":\"caf\xe9\"}", "invalid UTF-8 at byte 10");
	expect_error("{\"caf\xe9\":1}", "invalid UTF-8 at byte 6");
	expect_error("{\"a\":[\"x\",{\"b\":\"\xed\xa0\x80\"}]}",
	    "invalid UTF-8 at byte 17");
	expect_error("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 7");
	expect_error("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 7");
	expect_error("{\"a\":\"x\"} \xc3", "invalid UTF-8 at byte 11");
	/* Valid UTF-8 where JSON allows none is still a JSON error. */
	expect_error("{\"a\":\xc3\xa9}",
	    "invalid JSON: expected a value, found byte 0xc3");
}

static void
test_parse_surrogates(void **state)
{
	(void)state;
	/* A pair is a character; either half alone is not. */
	expect_ok("{\"a\":\"\\ud83d\\ude00\",\"\\uD83D\\uDE00\":1}");
	expect_ok("{\"a\":{\"b\":[\"\\udbff\\udfff\"]}}");
	expect_error("{\"a\":\"\\ud800\"}", "invalid JSON: \\u escape of a "
	    "lone surrogate in string");
	expect_error("{\"a\":\"\\ud800x\"}", "invalid JSON: \\u escape of a "
	    "lone surrogate in string");
	expect_error("{\"a\":\"\\ud800\\n\"}", "invalid JSON: \\u escape of "
	    "a lone surrogate in string");
	expect_error("{\"a\":\"\\ud800\\u0041\"}", "invalid JSON: \\u escape "
	    "of a lone surrogate in string");
	expect_error("{\"a\":\"\\ud800\\ud800\\udc00\"}", "invalid JSON: \\u "
	    "escape of a lone surrogate in string");
	expect_error("{\"a\":\"\\udc00\"}", "invalid JSON: \\u escape of a "
	    "lone surrogate in string");
	expect_error("{\"a\":\"\\ude00\\ud83d\"}", "invalid JSON: \\u escape "
	    "of a lone surrogate in string");
	expect_error("{\"\\udfff\":1}", "invalid JSON: \\u escape of a lone "
	    "surrogate in string");
	expect_error("{\"a\":{\"b\":\"\\ud800\"}}", "invalid JSON: \\u escape "
	    "of a lone surrogate in string");
	/* \u0000: not in a key, at any depth; a value passes through. */
	expect_ok("{\"a\":\"x\\u0000y\"}");
	expect_error("{\"a\\u0000\":1}", "invalid JSON: \\u0000 in a key");
	expect_error("{\"a\":{\"\\u0000\":1}}", "invalid JSON: \\u0000 in a "
	    "key");
	/* An escaped backslash before u0000 is no NUL. */
	expect_ok("{\"a\\\\u0000\":1}");
}

static int
span_eq(const char *raw, const char *str)
{
	struct mm_span s = { raw, strlen(raw) };

	return mm_span_eq(&s, str);
}

static void
test_span_eq_decoded(void **state)
{
	(void)state;
	assert_true(span_eq("", ""));
	assert_true(span_eq("pred", "pred"));
	assert_false(span_eq("pred", "pre"));
	assert_false(span_eq("pre", "pred"));
	assert_true(span_eq("temp\\u00e9rature", "temp\xc3\xa9rature"));
	assert_true(span_eq("temp\\u00E9rature", "temp\xc3\xa9rature"));
	assert_false(span_eq("temp\\u00e9rature", "temperature"));
	assert_false(span_eq("temp\\u00e9rature", "temp\xc3\xa9"));
	assert_false(span_eq("temp\\u00e9", "temp\xc3\xa9rature"));
	assert_false(span_eq("temp\\u00e9", "temp\xc3"));
	assert_true(span_eq("b\\u0031", "b1"));
	assert_true(span_eq("\\u0062\\u0031", "b1"));
	assert_true(span_eq("a\\\"b\\\\c\\/d\\n", "a\"b\\c/d\n"));
	assert_true(span_eq("\\ud83d\\ude00", "\xf0\x9f\x98\x80"));
	assert_false(span_eq("\\ud83d\\ude00", "\xf0\x9f\x98"));
	/* The raw bytes of an escape are not its text. */
	assert_false(span_eq("b\\u0031", "b\\u0031"));
	assert_false(span_eq("a\\nb", "a\\nb"));
	/* Bad escapes (the scanner refuses them) compare unequal. */
	assert_false(span_eq("\\u0000", ""));
	assert_false(span_eq("\\ud800", "\xed\xa0\x80"));
	assert_false(span_eq("a\\", "a\\"));
	assert_false(span_eq("\\x", "x"));
}

static void
test_get_decoded(void **state)
{
	const char *line = "{\"temp\\u00e9rature\":21.5,\"b\\u0061tch_id\":"
	    "\"b\\u0031\",\"x\":1,\"\\u0079\":2}";
	const struct mm_field *f;
	struct mm_rec r;
	struct mm_err err;
	char *s;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(r.n, 4);
	f = mm_rec_get(&r, "temp\xc3\xa9rature");
	assert_ptr_equal(f, &r.f[0]);
	assert_null(mm_rec_get(&r, "temp\\u00e9rature"));
	/* "\u0079" is the key "y". */
	assert_ptr_equal(mm_rec_get(&r, "x"), &r.f[2]);
	assert_ptr_equal(mm_rec_get(&r, "y"), &r.f[3]);
	s = mm_rec_get_string(&r, "batch_id");
	assert_non_null(s);
	assert_string_equal(s, "b1");
	free(s);
	mm_rec_release(&r);
}

static char *
rewrite(const char *line, const char *const *drop, const struct mm_kv *kv,
    int nkv)
{
	struct mm_rec r;
	struct mm_err err;
	char *out = NULL;
	size_t n = 0;
	FILE *fp;

	mm_rec_init(&r);
	memset(&err, 0, sizeof(err));
	if (mm_rec_parse(&r, line, strlen(line), NULL, NULL, &err) != 0)
		fail_msg("parse of '%s' failed: %s", line, err.msg);
	fp = open_memstream(&out, &n);
	assert_non_null(fp);
	assert_int_equal(mm_rec_write_kv(fp, &r, drop, kv, nkv), 0);
	assert_int_equal(fclose(fp), 0);
	mm_rec_release(&r);
	return out;
}

static void
test_write_decoded(void **state)
{
	static const char *const drop[] = { "caf\xc3\xa9", NULL };
	struct mm_kv kv[] = { { "pred", "[1]", 3 }, { "n", "2", 1 } };
	const char *line;
	char *o;

	(void)state;
	/* Pass-through keeps every byte: escapes, UTF-8, spacing. */
	line = "{ \"temp\\u00e9rature\" : \"\\u00e9t\\u00e9\",\"\xe2\x82\xac\":1 }";
	o = rewrite(line, NULL, NULL, 0);
	assert_string_equal(o, "{ \"temp\\u00e9rature\" : \"\\u00e9t\\u00e9\","
	    "\"\xe2\x82\xac\":1 }\n");
	free(o);
	/* A key set is found by its text, whatever its spelling, and */
	/* replaced where it is. */
	o = rewrite("{\"a\":1,\"\\u0070red\":[9],\"\\u006e\":5}", NULL, kv,
	    2);
	assert_string_equal(o, "{\"a\":1,\"\\u0070red\":[1],\"\\u006e\":2}\n");
	free(o);
	/* Dropped by text too. */
	o = rewrite("{\"caf\\u00e9\":1,\"a\":2}", drop, NULL, 0);
	assert_string_equal(o, "{\"a\":2}\n");
	free(o);
}

static void
canon_ok(const char *raw, const char *want)
{
	struct mm_buf b;

	mm_buf_init(&b);
	mm_buf_puts(&b, "<");
	assert_int_equal(mm_json_canon(raw, strlen(raw), &b), 0);
	assert_int_equal(b.n, strlen(want) + 1);
	assert_string_equal(b.p + 1, want);
	mm_buf_release(&b);
}

static void
test_canon(void **state)
{
	struct mm_buf b;

	(void)state;
	canon_ok("", "");
	canon_ok("temp\xc3\xa9rature", "temp\xc3\xa9rature");
	canon_ok("temp\\u00e9rature", "temp\xc3\xa9rature");
	canon_ok("b\\u0031", "b1");
	canon_ok("a\\/b", "a/b");
	/* What must stay escaped comes out as mm_jw_strn() writes it. */
	canon_ok("q\\u0022\\\\\\u005c", "q\\\"\\\\\\\\");
	canon_ok("\\u000a\\u0009\\r\\b", "\\n\\t\\u000d\\u0008");
	canon_ok("\\ud83d\\ude00", "\xf0\x9f\x98\x80");
	/* Raw text without a backslash is already canonical. */
	canon_ok("q\\\"", "q\\\"");
	mm_buf_init(&b);
	assert_int_equal(mm_json_canon("a\\u0000", 7, &b), -1);
	assert_int_equal(mm_json_canon("\\udc00", 6, &b), -1);
	mm_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_every_offset),
		cmocka_unit_test(test_utf8_exhaustive),
		cmocka_unit_test(test_parse_utf8),
		cmocka_unit_test(test_parse_surrogates),
		cmocka_unit_test(test_span_eq_decoded),
		cmocka_unit_test(test_get_decoded),
		cmocka_unit_test(test_write_decoded),
		cmocka_unit_test(test_canon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
