/*
 * test_json.c - the record scanner, byte-for-byte pass-through, the JSON
 * number grammar, string unescaping, number formatting and the text
 * buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rng.h"

/* The span's bytes are exactly want. */
#define assert_span(span, want) do {					\
	const struct mm_span *s_ = &(span);				\
	const char *w_ = (want);					\
	if (s_->n != strlen(w_) || memcmp(s_->p, w_, s_->n) != 0)	\
		fail_msg("span '%.*s', want '%s'", (int)s_->n, s_->p,	\
		    w_);						\
} while (0)

/* Same double, sign of zero included. */
#define assert_same_double(got, want) do {				\
	double g_ = (got), w_ = (want);					\
	if (!(g_ == w_) || signbit(g_) != signbit(w_))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

/* Parse line (which must be valid) and write it back with the changes. */
static char *
rewrite(const char *line, const char *const *drop, const char *key,
    const char *val)
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
	assert_int_equal(mm_rec_write(fp, &r, drop, key, val,
	    val ? strlen(val) : 0), 0);
	assert_int_equal(fclose(fp), 0);
	mm_rec_release(&r);
	return out;
}

#define assert_rewrite(line, drop, key, val, want) do {		\
	char *o_ = rewrite((line), (drop), (key), (val));		\
	assert_string_equal(o_, (want));				\
	free(o_);							\
} while (0)

/* Parsing line[0..len) fails with exactly msg. */
static void
expect_parse_error(const char *line, size_t len, const char *msg)
{
	struct mm_rec r;
	struct mm_err err;

	mm_rec_init(&r);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_rec_parse(&r, line, len, NULL, NULL, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, msg);
	mm_rec_release(&r);
}

#define expect_error(line, msg) expect_parse_error((line), strlen(line), (msg))

static void
test_parse_fields(void **state)
{
	const char *line = "{\"a\":1,\"b\":\"x y\",\"c\":{\"d\":[1,2,"
	    "{\"e\":null}]},\"t\":true,\"f\":false,\"e\":[]}";
	struct mm_rec r;
	struct mm_err err;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(r.n, 6);
	assert_ptr_equal(r.line, line);
	assert_int_equal(r.len, strlen(line));
	assert_span(r.f[0].key, "a");
	assert_span(r.f[0].val, "1");
	assert_span(r.f[1].key, "b");
	assert_span(r.f[1].val, "\"x y\"");
	assert_span(r.f[2].key, "c");
	assert_span(r.f[2].val, "{\"d\":[1,2,{\"e\":null}]}");
	assert_span(r.f[3].key, "t");
	assert_span(r.f[3].val, "true");
	assert_span(r.f[4].key, "f");
	assert_span(r.f[4].val, "false");
	assert_span(r.f[5].key, "e");
	assert_span(r.f[5].val, "[]");
	assert_ptr_equal(r.close, line + strlen(line) - 1);
	/* Keys point into the line, just after the opening quote. */
	assert_ptr_equal(r.f[0].key.p, line + 2);
	mm_rec_release(&r);
	assert_null(r.f);
	assert_int_equal(r.n, 0);
}

static void
test_parse_spaces(void **state)
{
	const char *line = " \t{ \"a\" :\t1 , \"b\" :[ 1 , 2 ] ,\"c\":{ } }  ";
	struct mm_rec r;
	struct mm_err err;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(r.n, 3);
	assert_span(r.f[0].key, "a");
	assert_span(r.f[0].val, "1");
	assert_span(r.f[1].key, "b");
	assert_span(r.f[1].val, "[ 1 , 2 ]");
	assert_span(r.f[2].key, "c");
	assert_span(r.f[2].val, "{ }");
	assert_ptr_equal(r.close, strrchr(line, '}'));
	mm_rec_release(&r);
}

static void
test_parse_escapes(void **state)
{
	const char *line = "{\"k\\\"q\":\"a\\\\b\\/c\\n\\u00e9\\uD83D\\uDE00"
	    "\\b\\f\\r\\t\",\"x\":\"\xc3\xa9\"}";
	struct mm_rec r;
	struct mm_err err;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(r.n, 2);
	/* Spans are raw bytes: escapes are kept as written. */
	assert_span(r.f[0].key, "k\\\"q");
	assert_span(r.f[0].val,
	    "\"a\\\\b\\/c\\n\\u00e9\\uD83D\\uDE00\\b\\f\\r\\t\"");
	assert_span(r.f[1].key, "x");
	assert_span(r.f[1].val, "\"\xc3\xa9\"");
	/* Keys are looked up decoded: k"q, not the bytes k\"q. */
	assert_ptr_equal(mm_rec_get(&r, "k\"q"), &r.f[0]);
	assert_ptr_equal(mm_rec_get(&r, "x"), &r.f[1]);
	assert_null(mm_rec_get(&r, "k\\\"q"));
	mm_rec_release(&r);
}

static void
test_repeated_key(void **state)
{
	struct mm_buf wide;
	struct mm_rec r;
	struct mm_err err;
	int i;

	(void)state;
	/* A record is passed on as it came: the next reader might take
	 * either value, so a repeated key is bad input, not "last wins". */
	expect_parse_error("{\"k\":1,\"kk\":2,\"k\":3}", 20,
	    "field 'k' appears twice");
	expect_parse_error("{\"k\":1,\"k\":1}", 13,
	    "field 'k' appears twice");
	/* As decoded: "\u006b" is "k". */
	expect_parse_error("{\"k\":1,\"\\u006b\":2}", 18,
	    "field 'k' appears twice");
	/* Nested objects may repeat a top-level key. */
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, "{\"k\":{\"k\":1}}", 13, NULL,
	    NULL, &err), 0);
	assert_int_equal(r.n, 1);
	/* A wide row, past the pairwise handful: sorted, last key repeated. */
	mm_buf_init(&wide);
	for (i = 0; i < 1000; i++)
		mm_buf_printf(&wide, "%s\"f%d\":%d", i ? "," : "{", i, i);
	mm_buf_puts(&wide, "}");
	assert_int_equal(mm_rec_parse(&r, wide.p, wide.n, NULL, NULL, &err),
	    0);
	assert_int_equal(r.n, 1000);
	assert_span(mm_rec_get(&r, "f999")->val, "999");
	wide.n--;
	mm_buf_puts(&wide, ",\"f\\u0035\":1}");
	assert_int_equal(mm_rec_parse(&r, wide.p, wide.n, NULL, NULL, &err),
	    -1);
	assert_string_equal(err.msg, "field 'f5' appears twice");
	mm_rec_release(&r);
	mm_buf_release(&wide);
}

static void
test_parse_reuse(void **state)
{
	struct mm_rec r;
	struct mm_err err;
	char big[2048];
	size_t n = 0;
	int i;

	(void)state;
	/* 40 fields grow the field array; a later small record reuses it. */
	n += (size_t)sprintf(big + n, "{");
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "%s\"k%d\":%d", i ? "," : "", i,
		    i);
	n += (size_t)sprintf(big + n, "}");
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, big, n, NULL, NULL, &err), 0);
	assert_int_equal(r.n, 40);
	assert_span(r.f[39].key, "k39");
	assert_span(r.f[39].val, "39");
	assert_int_equal(mm_rec_parse(&r, "{\"z\":0}", 7, NULL, NULL, &err),
	    0);
	assert_int_equal(r.n, 1);
	assert_span(r.f[0].key, "z");
	assert_null(mm_rec_get(&r, "k1"));
	mm_rec_release(&r);
}

struct hook_ctx {
	int calls;
	char keys[64];
	double num;
};

/* Consumes "n" as a number, fails on "bad", lets the scanner skip others. */
static int
hook(void *ctx, const struct mm_span *key, const char **pp,
    struct mm_err *err)
{
	struct hook_ctx *h = ctx;
	const char *q;

	h->calls++;
	strncat(h->keys, key->p, key->n);
	strcat(h->keys, ";");
	if (mm_span_eq(key, "n")) {
		if ((q = mm_json_number(*pp, &h->num)) == NULL)
			return mm_errf(err, MM_EINPUT, 0,
			    "'n' is not a number");
		*pp = q;
		return 1;
	}
	if (mm_span_eq(key, "bad"))
		return mm_errf(err, MM_EINPUT, 0, "hook said no");
	return 0;
}

static void
test_parse_hook(void **state)
{
	const char *line = "{\"a\":[1,{}],\"n\":2.5e1,\"b\":\"s\"}";
	struct hook_ctx h;
	struct mm_rec r;
	struct mm_err err;

	(void)state;
	memset(&h, 0, sizeof(h));
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), hook, &h, &err),
	    0);
	assert_int_equal(h.calls, 3);
	assert_string_equal(h.keys, "a;n;b;");
	assert_same_double(h.num, 25.0);
	/* A consumed value still gets its span. */
	assert_span(mm_rec_get(&r, "n")->val, "2.5e1");
	assert_span(mm_rec_get(&r, "b")->val, "\"s\"");

	memset(&h, 0, sizeof(h));
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_rec_parse(&r, "{\"a\":1,\"bad\":2,\"c\":3}", 21,
	    hook, &h, &err), -1);
	assert_string_equal(err.msg, "hook said no");
	assert_string_equal(h.keys, "a;bad;");

	memset(&h, 0, sizeof(h));
	assert_int_equal(mm_rec_parse(&r, "{\"n\":\"x\"}", 9, hook, &h, &err),
	    -1);
	assert_string_equal(err.msg, "'n' is not a number");
	mm_rec_release(&r);
}

static void
test_write_passthrough(void **state)
{
	(void)state;
	assert_rewrite("{\"a\":1}", NULL, NULL, NULL, "{\"a\":1}\n");
	assert_rewrite(" { \"x\" : 1.50 , \"y\":1e-7,\"z\":-0.0 ,"
	    "\"w\": [ 1.0 ,2E+3 ],\"u\":\"\\u00e9\" }\t",
	    NULL, NULL, NULL,
	    " { \"x\" : 1.50 , \"y\":1e-7,\"z\":-0.0 ,"
	    "\"w\": [ 1.0 ,2E+3 ],\"u\":\"\\u00e9\" }\t\n");
	assert_rewrite("{}", NULL, NULL, NULL, "{}\n");
	assert_rewrite("{ }", NULL, NULL, NULL, "{ }\n");
}

static void
test_write_append(void **state)
{
	(void)state;
	assert_rewrite("{\"a\":1.50}", NULL, "drift", "{\"psi\":0.1}",
	    "{\"a\":1.50,\"drift\":{\"psi\":0.1}}\n");
	assert_rewrite("{ \"a\" : 1e-7 , \"b\":-0.0 }", NULL, "k", "[1,2]",
	    "{ \"a\" : 1e-7 , \"b\":-0.0,\"k\":[1,2] }\n");
	assert_rewrite("{}", NULL, "k", "true", "{\"k\":true}\n");
	assert_rewrite("{ }", NULL, "k", "true", "{ \"k\":true}\n");
	assert_rewrite("  {\"a\":1}  ", NULL, "k", "0",
	    "  {\"a\":1,\"k\":0}  \n");
}

static void
test_write_replace(void **state)
{
	(void)state;
	assert_rewrite("{\"a\":1,\"drift\":{\"old\":true},\"c\":3}", NULL,
	    "drift", "0.5", "{\"a\":1,\"drift\":0.5,\"c\":3}\n");
	assert_rewrite("{\"a\":1, \"drift\" : [1] ,\"c\":3}", NULL, "drift",
	    "{}", "{\"a\":1, \"drift\" : {} ,\"c\":3}\n");
	assert_rewrite("{\"drift\":1,\"b\":2}", NULL, "drift", "null",
	    "{\"drift\":null,\"b\":2}\n");
	assert_rewrite("{\"a\":1,\"drift\":1}", NULL, "drift", "\"x\"",
	    "{\"a\":1,\"drift\":\"x\"}\n");
	/* The value's length is vlen, not strlen: only 3 bytes go out. */
	{
		struct mm_rec r;
		struct mm_err err;
		char *out = NULL;
		size_t n = 0;
		FILE *fp;

		mm_rec_init(&r);
		assert_int_equal(mm_rec_parse(&r, "{\"k\":0}", 7, NULL, NULL,
		    &err), 0);
		fp = open_memstream(&out, &n);
		assert_int_equal(mm_rec_write(fp, &r, NULL, "k", "123456", 3),
		    0);
		fclose(fp);
		assert_string_equal(out, "{\"k\":123}\n");
		free(out);
		mm_rec_release(&r);
	}
}

static void
test_write_drop(void **state)
{
	const char *const da[] = { "a", NULL };
	const char *const db[] = { "b", NULL };
	const char *const dc[] = { "c", NULL };
	const char *const dac[] = { "a", "c", NULL };
	const char *const dall[] = { "c", "b", "a", NULL };
	const char *const dnone[] = { "zz", NULL };
	const char *const dnull[] = { NULL };
	const char *line = "{\"a\":1,\"b\":2.50,\"c\":-0.0}";

	(void)state;
	assert_rewrite(line, da, NULL, NULL, "{\"b\":2.50,\"c\":-0.0}\n");
	assert_rewrite(line, db, NULL, NULL, "{\"a\":1,\"c\":-0.0}\n");
	assert_rewrite(line, dc, NULL, NULL, "{\"a\":1,\"b\":2.50}\n");
	assert_rewrite(line, dac, NULL, NULL, "{\"b\":2.50}\n");
	assert_rewrite(line, dall, NULL, NULL, "{}\n");
	assert_rewrite(line, dnone, NULL, NULL, "{\"a\":1,\"b\":2.50,"
	    "\"c\":-0.0}\n");
	assert_rewrite(line, dnull, NULL, NULL, "{\"a\":1,\"b\":2.50,"
	    "\"c\":-0.0}\n");
	/* Dropping and adding together. */
	assert_rewrite(line, dall, "k", "1", "{\"k\":1}\n");
	assert_rewrite(line, da, "k", "1",
	    "{\"b\":2.50,\"c\":-0.0,\"k\":1}\n");
	assert_rewrite(line, dc, "a", "7", "{\"a\":7,\"b\":2.50}\n");
	/* Spacing around what is kept stays as it came. */
	assert_rewrite("{ \"a\" : 1 , \"b\" : 2 }", da, NULL, NULL,
	    "{ \"b\" : 2 }\n");
	assert_rewrite("{ \"a\" : 1 , \"b\" : 2 }", db, NULL, NULL,
	    "{ \"a\" : 1 }\n");
	assert_rewrite("{ \"a\" : 1 , \"b\" : 2 , \"c\" : 3 }", db, NULL,
	    NULL, "{ \"a\" : 1 , \"c\" : 3 }\n");
	assert_rewrite("{\"a\":1,\"b\":2,\"c\":3}", da, NULL, NULL,
	    "{\"b\":2,\"c\":3}\n");
}

static void
test_write_error(void **state)
{
	struct mm_rec r;
	struct mm_err err;
	FILE *fp;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, "{\"a\":1}", 7, NULL, NULL, &err),
	    0);
	/* A stream opened for reading only: every write fails. */
	fp = fopen("/dev/null", "r");
	assert_non_null(fp);
	assert_int_equal(mm_rec_write(fp, &r, NULL, "k", "1", 1), -1);
	fclose(fp);
	mm_rec_release(&r);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_error("", "empty line");
	expect_error(" \t ", "empty line");
	expect_error("[1,2]",
	    "invalid JSON: expected a JSON object, found '['");
	expect_error("\"s\"",
	    "invalid JSON: expected a JSON object, found '\"'");
	expect_error("null",
	    "invalid JSON: expected a JSON object, found 'n'");
	expect_error("{\"a\":1",
	    "invalid JSON: expected ',' or '}', found end of line");
	expect_error("{\"a\":",
	    "invalid JSON: expected a value, found end of line");
	expect_error("{\"a\":[1,2",
	    "invalid JSON: expected ',' or ']', found end of line");
	expect_error("{\"a\":\"xy", "invalid JSON: unterminated string");
	expect_error("{", "invalid JSON: expected a string, found end of line");
	expect_error("{\"a\":1} x",
	    "invalid JSON: expected end of line after the object, found 'x'");
	expect_error("{\"a\":1}{}",
	    "invalid JSON: expected end of line after the object, found '{'");
	expect_error("{\"a\" 1}", "invalid JSON: expected ':', found '1'");
	expect_error("{\"a\"}", "invalid JSON: expected ':', found '}'");
	expect_error("{\"a\":\"\\x\"}", "invalid JSON: bad escape in string");
	expect_error("{\"a\":\"\\u12g4\"}",
	    "invalid JSON: bad \\u escape in string");
	expect_error("{\"a\":\"\\u12",
	    "invalid JSON: bad \\u escape in string");
	expect_error("{\"a\":\"\x01\"}",
	    "invalid JSON: control character 0x01 in string");
	expect_error("{\"a\":\"x\ty\"}",
	    "invalid JSON: control character 0x09 in string");
	expect_error("{\"a\":1,}",
	    "invalid JSON: expected a string, found '}'");
	expect_error("{a:1}", "invalid JSON: expected a string, found 'a'");
	expect_error("{\"a\":tru}",
	    "invalid JSON: expected a value, found 't'");
	expect_error("{\"a\":nul}",
	    "invalid JSON: expected a value, found 'n'");
	expect_error("{\"a\":01}",
	    "invalid JSON: expected ',' or '}', found '1'");
	expect_error("{\"a\":[1 2]}",
	    "invalid JSON: expected ',' or ']', found '2'");
	/* Numbers in an array, as in a batch's columns. */
	expect_error("{\"a\":[1,-]}",
	    "invalid JSON: expected a value, found '-'");
	expect_error("{\"a\":[0.5,1.]}",
	    "invalid JSON: expected a value, found '1'");
	expect_error("{\"a\":[[1.5e]]}",
	    "invalid JSON: expected a value, found '1'");
	expect_error("{\"a\":[01]}",
	    "invalid JSON: expected ',' or ']', found '1'");
	expect_error("{\"a\":[-01.5]}",
	    "invalid JSON: expected ',' or ']', found '1'");
	expect_error("{\"a\":[1,+2]}",
	    "invalid JSON: expected a value, found '+'");
	expect_error("{\"a\":[.5]}",
	    "invalid JSON: expected a value, found '.'");
	expect_error("{\"a\":{\"b\":1,}}",
	    "invalid JSON: expected a string, found '}'");
	expect_error("{\"a\":\xc3\xa9}",
	    "invalid JSON: expected a value, found byte 0xc3");
}

static void
test_parse_nul(void **state)
{
	(void)state;
	/* The NUL is the end sentinel: a NUL inside the line is an error. */
	expect_parse_error("{\"a\":1}\0junk", 12,
	    "invalid JSON: NUL byte after the object");
	expect_parse_error("{\"a\":1}  \0", 10,
	    "invalid JSON: NUL byte after the object");
	expect_parse_error("{\"a\":\"x\0y\"}", 11,
	    "invalid JSON: unterminated string");
	expect_parse_error("{\"a\":1\0}", 8,
	    "invalid JSON: expected ',' or '}', found end of line");
}

static void
test_parse_depth(void **state)
{
	char line[1024];
	struct mm_rec r;
	struct mm_err err;
	int i, n;

	(void)state;
	mm_rec_init(&r);
	/* Field values start at depth 1: 256 nested arrays are fine. */
	n = sprintf(line, "{\"a\":");
	for (i = 0; i < 256; i++)
		line[n++] = '[';
	for (i = 0; i < 256; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n] = '\0';
	assert_int_equal(mm_rec_parse(&r, line, (size_t)n, NULL, NULL, &err),
	    0);
	/* One more is too deep. */
	n = sprintf(line, "{\"a\":");
	for (i = 0; i < 257; i++)
		line[n++] = '[';
	for (i = 0; i < 257; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n] = '\0';
	expect_parse_error(line, (size_t)n,
	    "invalid JSON: nested deeper than 256");
	mm_rec_release(&r);
}

/* mm_field_null: absent or null, and nothing else. */
static void
test_field_null(void **state)
{
	const char *line = "{\"a\":null,\"b\":0,\"c\":\"null\",\"d\":[null],"
	    "\"e\":{}}";
	struct mm_rec r;
	struct mm_err err = { 0 };

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "a")), 1);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "z")), 1);
	assert_int_equal(mm_field_null(NULL), 1);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "b")), 0);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "c")), 0);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "d")), 0);
	assert_int_equal(mm_field_null(mm_rec_get(&r, "e")), 0);
	mm_rec_release(&r);
}

/* mm_field_number: a number, absent or null, not a number, too large. */
static void
test_field_number(void **state)
{
	const char *line = "{\"a\":-2.5,\"b\":null,\"c\":\"1\",\"d\":[1],"
	    "\"e\":1e400,\"f\":-1e400,\"g\":true,\"h\":1e-400}";
	struct mm_rec r;
	struct mm_err err = { 0 };
	double v = 7;

	(void)state;
	mm_rec_init(&r);
	assert_int_equal(mm_rec_parse(&r, line, strlen(line), NULL, NULL,
	    &err), 0);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "a"), &v), 1);
	assert_true(v == -2.5);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "b"), &v), 0);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "z"), &v), 0);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "c"), &v), -1);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "d"), &v), -1);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "g"), &v), -1);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "e"), &v), -2);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "f"), &v), -2);
	assert_int_equal(mm_field_number(mm_rec_get(&r, "h"), &v), 1);
	assert_true(v == 0);
	mm_rec_release(&r);
}

/* mm_json_number accepts all of s and gives want. */
#define assert_number(s, want) do {					\
	const char *s_ = (s);						\
	double v_ = 12345;						\
	const char *e_ = mm_json_number(s_, &v_);			\
	if (e_ != s_ + strlen(s_))					\
		fail_msg("'%s' not read whole", s_);			\
	assert_same_double(v_, (want));					\
} while (0)

static void
test_number_grammar(void **state)
{
	const char *bad[] = { "1.", ".5", "+1", "NaN", "nan", "Infinity",
	    "-Infinity", "inf", "-", "--1", "-.5", "1e", "1e+", "1E-", "1.e5",
	    "", " 1", "e5", "x", NULL };
	double v = 7;
	int i;

	(void)state;
	assert_number("0", 0.0);
	assert_number("-0", -0.0);
	assert_number("-0.0", -0.0);
	assert_number("1.50", 1.5);
	assert_number("1e-7", 1e-7);
	assert_number("1E+2", 100.0);
	assert_number("2.5e1", 25.0);
	assert_number("-12.25", -12.25);
	assert_number("0.1", 0.1);
	assert_number("123456789012345680", 123456789012345680.0);
	assert_number("1e-400", 0.0);
	for (i = 0; bad[i] != NULL; i++) {
		v = 7;
		if (mm_json_number(bad[i], &v) != NULL)
			fail_msg("'%s' accepted as a number", bad[i]);
	}
	/*
	 * A number ends where the grammar ends: a leading zero takes no
	 * more digits, so "01" and "0x10" read as 0 followed by a stray
	 * byte, which any caller then rejects (see test_parse_errors).
	 */
	{
		const char *s = "01";

		assert_ptr_equal(mm_json_number(s, &v), s + 1);
		assert_same_double(v, 0.0);
		s = "0x10";
		assert_ptr_equal(mm_json_number(s, &v), s + 1);
		s = "1.5,";
		assert_ptr_equal(mm_json_number(s, &v), s + 3);
		assert_same_double(v, 1.5);
		s = "-3]";
		assert_ptr_equal(mm_json_number(s, &v), s + 2);
		assert_same_double(v, -3.0);
	}
	expect_error("{\"a\":0x10}",
	    "invalid JSON: expected ',' or '}', found 'x'");
	expect_error("{\"a\":.5}", "invalid JSON: expected a value, found '.'");
	expect_error("{\"a\":+1}", "invalid JSON: expected a value, found '+'");
	expect_error("{\"a\":1.}", "invalid JSON: expected a value, found '1'");
	expect_error("{\"a\":NaN}",
	    "invalid JSON: expected a value, found 'N'");
	expect_error("{\"a\":Infinity}",
	    "invalid JSON: expected a value, found 'I'");
}

/*
 * mm_json_number against strtod on numbers written every way a batch or
 * a person writes them: 1 to 20 digits, a point anywhere or none, a
 * sign, leading zeros after the point, an exponent; each read to the
 * same double, bit for bit, and to its end.
 */
static void
test_number_strtod(void **state)
{
	char s[64], *o;
	double v, want;
	unsigned long x = 88172645463325252UL;
	int i, k, nd, point;

	(void)state;
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		o = s;
		if (x & 1)
			*o++ = '-';
		nd = 1 + (int)(x >> 1 & 31) % 20;
		point = (int)(x >> 6 & 31) % (nd + 2);
		for (k = 0; k < nd; k++) {
			if (k == point && k > 0)
				*o++ = '.';
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* No leading zero but a lone one, as JSON has it. */
			*o++ = (char)('0' + (k == 0 && point != 1 && nd > 1 ?
			    1 + x % 9 : x % 10));
		}
		if (x >> 20 & 1)
			o += sprintf(o, "e%d", (int)(x >> 21 & 63) - 32);
		*o = '\0';
		want = strtod(s, NULL);
		if (mm_json_number(s, &v) != o)
			fail_msg("'%s' not read whole", s);
		if (memcmp(&v, &want, sizeof(v)) != 0)
			fail_msg("'%s' read as %.17g, strtod %.17g", s, v, want);
	}
}

/* mm_fmt_double gives exactly want, and says how long it is. */
#define assert_fmt(v, want) do {					\
	char b_[64];							\
	int n_ = mm_fmt_double(b_, sizeof(b_), (v));			\
	assert_string_equal(b_, (want));				\
	assert_int_equal(n_, strlen(want));				\
	assert_same_double(strtod(b_, NULL), (v));			\
} while (0)

static void
test_fmt_double(void **state)
{
	(void)state;
	/*
	 * Expected texts are Python's repr(), the shortest text that reads
	 * back (e.g. repr(1/3) == '0.3333333333333333': 16 digits are
	 * enough, so %.16g is used, not %.17g's 0.33333333333333331).
	 */
	assert_fmt(0.1, "0.1");
	assert_fmt(1.0 / 3, "0.3333333333333333");
	assert_fmt(2.0 / 3, "0.6666666666666666");
	assert_fmt(0.1 + 0.2, "0.30000000000000004");
	assert_fmt(1e-7, "1e-07");
	assert_fmt(-0.0, "-0");
	assert_fmt(0.0, "0");
	assert_fmt(123456789012345680.0, "1.2345678901234568e+17");
	assert_fmt(100.0, "100");
	assert_fmt(1.5, "1.5");
	assert_fmt(-2.75, "-2.75");
	assert_fmt(1e300, "1e+300");
	assert_fmt(0.0001, "0.0001");
	assert_fmt(0.00001, "1e-05");
}

/* The text mm_fmt_double stands for: printf's, as it was written first. */
static int
fmt_printf(char *buf, size_t size, double v)
{
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return n;
}

static void
same_as_printf(double v)
{
	char a[64], b[64];
	int na = fmt_printf(a, sizeof(a), v), nb = mm_fmt_double(b, sizeof(b),
	    v);

	if (strcmp(a, b) != 0 || na != nb)
		fail_msg("%a: printf '%s' (%d), mm_fmt_double '%s' (%d)", v, a,
		    na, b, nb);
}

/*
 * mm_fmt_double writes what "%.15g" to "%.17g" would, byte for byte:
 * over every power of two and its neighbours (subnormals, the edges of
 * each binade), and 300,000 seeded values of every kind (any bits,
 * decimals, wide exponents, round numbers times powers of ten).
 */
static void
test_fmt_double_printf(void **state)
{
	static const double edge[] = { 0.0, -0.0, 5e-324, -5e-324,
	    2.2250738585072014e-308, 2.2250738585072009e-308,
	    1.7976931348623157e308, -1.7976931348623157e308, 0.1, 0.3,
	    1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 1e-4, 1e-5, 9.5, 99999.5,
	    999999999999999.9, 9007199254740993.0, 0.30000000000000004,
	    INFINITY, -INFINITY, NAN };
	struct mm_rng r;
	char b[8];
	double v;
	uint64_t u;
	int e, k;
	long i;

	(void)state;
	for (i = 0; i < (long)(sizeof(edge) / sizeof(edge[0])); i++)
		same_as_printf(edge[i]);
	for (e = -1074; e <= 1023; e++)
		for (k = -1; k <= 1; k++) {
			v = ldexp(1.0, e);
			v = k < 0 ? nextafter(v, 0) : k > 0 ?
			    nextafter(v, INFINITY) : v;
			same_as_printf(v);
			same_as_printf(-v);
		}
	mm_rng_seed(&r, 42, 0);
	for (i = 0; i < 300000; i++) {
		u = mm_rng_u64(&r);
		switch (i % 4) {
		case 0:
			memcpy(&v, &u, sizeof(v));
			break;
		case 1:
			v = (double)(u % 2000001) / 1000.0 - 1000;
			break;
		case 2:
			v = ldexp((double)(u >> 11) / 9007199254740992.0,
			    (int)(mm_rng_u64(&r) % 200) - 100);
			break;
		default:
			v = (double)(u % 100000) *
			    pow(10.0, (int)(mm_rng_u64(&r) % 40) - 20);
		}
		if (isfinite(v))
			same_as_printf(v);
	}
	/* As snprintf: what fits, NUL-terminated, and the whole length. */
	assert_int_equal(mm_fmt_double(b, sizeof(b), 1.0 / 3), 18);
	assert_string_equal(b, "0.33333");
	assert_int_equal(mm_fmt_double(b, 1, -2.5), 4);
	assert_string_equal(b, "");
}

static void
test_jw_num(void **state)
{
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_jw_num(&b, 0.1);
	mm_buf_putc(&b, ',');
	mm_jw_num(&b, NAN);
	mm_buf_putc(&b, ',');
	mm_jw_num(&b, INFINITY);
	mm_buf_putc(&b, ',');
	mm_jw_num(&b, -INFINITY);
	mm_buf_putc(&b, ',');
	mm_jw_num(&b, -0.0);
	mm_buf_putc(&b, ',');
	mm_jw_num(&b, 1.0 / 3);
	assert_string_equal(b.p, "0.1,null,null,null,-0,0.3333333333333333");
	assert_int_equal(b.n, strlen(b.p));
	mm_buf_release(&b);
}

static void
test_jw_str(void **state)
{
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_jw_str(&b, "a\"b\\c\nd\te\x01\x1f\r\x7f \xc3\xa9/");
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f"
	    "\\u000d\x7f \xc3\xa9/\"");
	mm_buf_reset(&b);
	mm_jw_str(&b, "");
	assert_string_equal(b.p, "\"\"");
	mm_buf_reset(&b);
	/* mm_jw_strn writes n bytes, a NUL among them escaped. */
	mm_jw_strn(&b, "ab\0cd", 5);
	assert_int_equal(b.n, 12);
	assert_string_equal(b.p, "\"ab\\u0000cd\"");
	mm_buf_release(&b);
}

static void
test_jw_key(void **state)
{
	struct mm_buf b;
	int first = 1;

	(void)state;
	mm_buf_init(&b);
	mm_buf_putc(&b, '{');
	mm_jw_key(&b, &first, "a");
	assert_int_equal(first, 0);
	mm_jw_num(&b, 1);
	mm_jw_key(&b, &first, "q\"k");
	mm_jw_str(&b, "x");
	mm_buf_putc(&b, '}');
	assert_string_equal(b.p, "{\"a\":1,\"q\\\"k\":\"x\"}");
	mm_buf_release(&b);
}

static void
test_buf(void **state)
{
	struct mm_buf b;
	size_t cap;
	int i;

	(void)state;
	mm_buf_init(&b);
	assert_null(b.p);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.cap, 0);
	mm_buf_reset(&b);		/* harmless on an empty buffer */
	mm_buf_put(&b, "abcdef", 3);
	mm_buf_puts(&b, "xyz");
	mm_buf_putc(&b, '!');
	mm_buf_printf(&b, "%d-%s", 42, "ok");
	assert_string_equal(b.p, "abcxyz!42-ok");
	assert_int_equal(b.n, 12);
	assert_int_equal(b.cap, 256);
	/* Growth past the first 256 bytes keeps the text. */
	for (i = 0; i < 100; i++)
		mm_buf_printf(&b, "%03d", i);
	assert_int_equal(b.n, 312);
	assert_int_equal(strlen(b.p), 312);
	assert_memory_equal(b.p + 12, "000001002", 9);
	assert_string_equal(b.p + 309, "099");
	assert_int_equal(b.cap, 512);
	cap = b.cap;
	mm_buf_reset(&b);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	assert_int_equal(b.cap, cap);
	mm_buf_printf(&b, "%s", "");
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	mm_buf_put(&b, "", 0);
	assert_string_equal(b.p, "");
	mm_buf_release(&b);
	assert_null(b.p);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.cap, 0);
	/* A long printf on a fresh buffer. */
	mm_buf_init(&b);
	mm_buf_printf(&b, "%0600d", 7);
	assert_int_equal(b.n, 600);
	assert_int_equal(b.p[599], '7');
	assert_int_equal(b.p[0], '0');
	assert_int_equal(b.p[600], '\0');
	mm_buf_release(&b);
	/* mm_buf_long writes what "%ld" does, to the ends of long. */
	mm_buf_init(&b);
	mm_buf_long(&b, 0);
	mm_buf_putc(&b, ',');
	mm_buf_long(&b, -1);
	mm_buf_putc(&b, ',');
	mm_buf_long(&b, 10);
	mm_buf_putc(&b, ',');
	mm_buf_long(&b, LONG_MAX);
	mm_buf_putc(&b, ',');
	mm_buf_long(&b, LONG_MIN);
	{
		char want[96];

		snprintf(want, sizeof(want), "0,-1,10,%ld,%ld", LONG_MAX,
		    LONG_MIN);
		assert_string_equal(b.p, want);
		assert_int_equal(b.n, strlen(want));
	}
	mm_buf_release(&b);
}

static void
test_scanner_primitives(void **state)
{
	struct mm_err err;
	const char *s, *p;
	size_t n;
	char what[32];
	struct mm_span sp;

	(void)state;
	p = "\"ab\\\"c\" rest";
	assert_ptr_equal(mm_json_string(p, &s, &n, &err), p + 7);
	assert_int_equal(n, 5);
	assert_memory_equal(s, "ab\\\"c", 5);
	assert_null(mm_json_string("abc", &s, &n, &err));
	assert_string_equal(err.msg,
	    "invalid JSON: expected a string, found 'a'");
	p = "  [1, {\"a\": null}] ,";
	assert_ptr_equal(mm_json_skip(mm_json_ws(p), &err), p + 18);
	p = " \t\r\nx";
	assert_ptr_equal(mm_json_ws(p), p + 4);
	assert_null(mm_json_skip("[1,", &err));
	assert_string_equal(err.msg,
	    "invalid JSON: expected a value, found end of line");
	assert_string_equal(mm_json_what("", what, sizeof(what)),
	    "end of line");
	assert_string_equal(mm_json_what("x", what, sizeof(what)), "'x'");
	assert_string_equal(mm_json_what("\x7f", what, sizeof(what)),
	    "byte 0x7f");
	assert_string_equal(mm_json_what("\n", what, sizeof(what)),
	    "byte 0x0a");
	sp.p = "abc";
	sp.n = 2;
	assert_true(mm_span_eq(&sp, "ab"));
	assert_false(mm_span_eq(&sp, "a"));
	assert_false(mm_span_eq(&sp, "abc"));
	assert_false(mm_span_eq(&sp, "ax"));
	sp.n = 0;
	assert_true(mm_span_eq(&sp, ""));
	assert_false(mm_span_eq(&sp, "a"));
}

/* Unescaping raw (a C string) appends exactly want[0..wn) to a buffer. */
static void
unescape_ok(const char *raw, const char *want, size_t wn)
{
	struct mm_buf b;

	mm_buf_init(&b);
	mm_buf_puts(&b, "<");
	if (mm_json_unescape(raw, strlen(raw), &b) != 0)
		fail_msg("refused: %s", raw);
	if (b.n != wn + 1 || memcmp(b.p + 1, want, wn) != 0)
		fail_msg("'%s' gave '%s' (%zu bytes)", raw, b.p + 1, b.n - 1);
	assert_int_equal(b.p[b.n], '\0');
	mm_buf_release(&b);
}

#define assert_unescape(raw, want) unescape_ok((raw), (want), strlen(want))

static void
unescape_bad(const char *raw)
{
	struct mm_buf b;

	mm_buf_init(&b);
	if (mm_json_unescape(raw, strlen(raw), &b) != -1)
		fail_msg("accepted: %s", raw);
	mm_buf_release(&b);
}

static void
test_unescape(void **state)
{
	struct mm_buf b;

	(void)state;
	/* No backslash: the bytes as they are, UTF-8 included. */
	assert_unescape("", "");
	assert_unescape("north", "north");
	assert_unescape("temp\xc3\xa9rature", "temp\xc3\xa9rature");
	/* Every short escape. */
	assert_unescape("\\\"\\\\\\/\\b\\f\\n\\r\\t",
	    "\"\\/\b\f\n\r\t");
	assert_unescape("a\\nb\\\\", "a\nb\\");
	/* \u to UTF-8: one, two, three and (a surrogate pair) four bytes. */
	assert_unescape("\\u0041\\u007f", "A\x7f");
	assert_unescape("temp\\u00e9rature", "temp\xc3\xa9rature");
	assert_unescape("\\u00E9\\u07ff", "\xc3\xa9\xdf\xbf");
	assert_unescape("\\u0800\\u20ac\\uffff", "\xe0\xa0\x80"
	    "\xe2\x82\xac\xef\xbf\xbf");
	assert_unescape("\\ud83d\\ude00!", "\xf0\x9f\x98\x80!");
	assert_unescape("\\uD800\\uDC00", "\xf0\x90\x80\x80");
	assert_unescape("\\udbff\\udfff", "\xf4\x8f\xbf\xbf");
	assert_unescape("\\u0001", "\x01");
	/* What a C string cannot hold, or is not a character. */
	unescape_bad("\\u0000");
	unescape_bad("a\\u0000b");
	unescape_bad("\\ud800");
	unescape_bad("\\ud800x");
	unescape_bad("\\ud800\\n");
	unescape_bad("\\ud800\\u0041");
	unescape_bad("\\ud800\\ud800");
	unescape_bad("\\udc00");
	unescape_bad("\\udfff\\ud800");
	/* Escapes the scanner would refuse. */
	unescape_bad("\\");
	unescape_bad("ab\\");
	unescape_bad("\\x41");
	unescape_bad("\\u12");
	unescape_bad("\\u12g4");
	unescape_bad("\\U0041");
	/* Only raw[0..n) is read: an escape cut by n is bad. */
	mm_buf_init(&b);
	assert_int_equal(mm_json_unescape("\\u00e9", 4, &b), -1);
	mm_buf_reset(&b);
	assert_int_equal(mm_json_unescape("ab\\ncd", 4, &b), 0);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.p, "ab\n");
	/* It appends. */
	assert_int_equal(mm_json_unescape("\\t", 2, &b), 0);
	assert_string_equal(b.p, "ab\n\t");
	mm_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_spaces),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_repeated_key),
		cmocka_unit_test(test_parse_reuse),
		cmocka_unit_test(test_parse_hook),
		cmocka_unit_test(test_write_passthrough),
		cmocka_unit_test(test_write_append),
		cmocka_unit_test(test_write_replace),
		cmocka_unit_test(test_write_drop),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_field_null),
		cmocka_unit_test(test_field_number),
		cmocka_unit_test(test_number_grammar),
		cmocka_unit_test(test_number_strtod),
		cmocka_unit_test(test_fmt_double),
		cmocka_unit_test(test_jw_num),
		cmocka_unit_test(test_fmt_double_printf),
		cmocka_unit_test(test_jw_str),
		cmocka_unit_test(test_jw_key),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_scanner_primitives),
		cmocka_unit_test(test_unescape),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
