/*
 * test_ndjson.c - the line reader: line ends, empty lines, lines too long,
 * lines longer than the initial buffer, and byte sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"

#define MIB (1UL << 20)

/* Write n bytes to a new temporary file; its name goes to path. */
static void
temp_file(char *path, size_t size, const char *data, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, size, "%s/mm-test-ndjson.XXXXXX",
	    dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

/* The next line is want (NUL-terminated), numbered ln. */
#define expect_line(r, want, ln) do {				\
	char *l_ = NULL;						\
	size_t n_ = 12345;						\
	struct mm_err e_;						\
	memset(&e_, 0, sizeof(e_));					\
	assert_int_equal(mm_reader_next((r), &l_, &n_, &e_), 1);	\
	assert_int_equal(n_, strlen(want));				\
	assert_memory_equal(l_, (want), n_ + 1);			\
	assert_int_equal((r)->lineno, (ln));			\
} while (0)

#define expect_end(r) do {						\
	char *l_ = NULL;						\
	size_t n_ = 0;							\
	struct mm_err e_;						\
	assert_int_equal(mm_reader_next((r), &l_, &n_, &e_), 0);	\
} while (0)

/* The next line is too long: MM_EINPUT, numbered ln. */
#define expect_too_long(r, max, ln) do {				\
	char *l_ = NULL;						\
	size_t n_ = 0;							\
	struct mm_err e_;						\
	char m_[64];							\
	memset(&e_, 0, sizeof(e_));					\
	assert_int_equal(mm_reader_next((r), &l_, &n_, &e_), -1);	\
	assert_int_equal(e_.code, MM_EINPUT);				\
	assert_int_equal(e_.line, (ln));				\
	snprintf(m_, sizeof(m_), "record longer than %zu bytes",	\
	    (size_t)(max));						\
	assert_string_equal(e_.msg, m_);				\
	assert_int_equal((r)->lineno, (ln));			\
} while (0)

/* Open a temporary file holding data[0..n) with the given max. */
static void
open_data(struct mm_reader *r, char *path, size_t size, const char *data,
    size_t n, size_t max)
{
	struct mm_err err;

	temp_file(path, size, data, n);
	assert_int_equal(mm_reader_open(r, path, max, &err), 0);
}

static void
close_data(struct mm_reader *r, const char *path)
{
	mm_reader_release(r);
	assert_null(r->buf);
	assert_int_equal(unlink(path), 0);
}

static void
test_lines(void **state)
{
	const char data[] = "{\"a\":1}\nbb\n\nccc\n";
	char path[512];
	struct mm_reader r;

	(void)state;
	open_data(&r, path, sizeof(path), data, sizeof(data) - 1, 0);
	assert_int_equal(r.max, MM_MAX_RECORD_DEFAULT);
	assert_int_equal(r.max, 256UL << 20);
	assert_string_equal(r.name, path);
	assert_int_equal(r.lineno, 0);
	expect_line(&r, "{\"a\":1}", 1);
	expect_line(&r, "bb", 2);
	expect_line(&r, "", 3);
	expect_line(&r, "ccc", 4);
	expect_end(&r);
	expect_end(&r);
	assert_int_equal(r.lineno, 4);
	close_data(&r, path);
}

static void
test_no_final_newline(void **state)
{
	const char data[] = "a\n\nlast";
	char path[512];
	struct mm_reader r;

	(void)state;
	open_data(&r, path, sizeof(path), data, sizeof(data) - 1, 0);
	expect_line(&r, "a", 1);
	expect_line(&r, "", 2);
	expect_line(&r, "last", 3);
	expect_end(&r);
	close_data(&r, path);
}

static void
test_empty_inputs(void **state)
{
	char path[512];
	struct mm_reader r;

	(void)state;
	open_data(&r, path, sizeof(path), "", 0, 0);
	expect_end(&r);
	assert_int_equal(r.lineno, 0);
	close_data(&r, path);

	open_data(&r, path, sizeof(path), "\n", 1, 0);
	expect_line(&r, "", 1);
	expect_end(&r);
	close_data(&r, path);

	open_data(&r, path, sizeof(path), "\n\n\n", 3, 0);
	expect_line(&r, "", 1);
	expect_line(&r, "", 2);
	expect_line(&r, "", 3);
	expect_end(&r);
	close_data(&r, path);
}

static void
test_crlf(void **state)
{
	const char data[] = "x\r\ny\r\n\r\na\rb\r\n\r\r\nz\r";
	char path[512];
	struct mm_reader r;

	(void)state;
	open_data(&r, path, sizeof(path), data, sizeof(data) - 1, 0);
	expect_line(&r, "x", 1);
	expect_line(&r, "y", 2);
	expect_line(&r, "", 3);
	expect_line(&r, "a\rb", 4);	/* only a trailing CR goes */
	expect_line(&r, "\r", 5);	/* and only one */
	expect_line(&r, "z", 6);	/* last line, no newline */
	expect_end(&r);
	close_data(&r, path);
}

static void
test_too_long(void **state)
{
	const char data[] = "short\n0123456789AB\n0123456789\n"
	    "0123456789A\nnext";
	char path[512];
	struct mm_reader r;

	(void)state;
	open_data(&r, path, sizeof(path), data, sizeof(data) - 1, 10);
	assert_int_equal(r.max, 10);
	expect_line(&r, "short", 1);
	expect_too_long(&r, 10, 2);
	expect_line(&r, "0123456789", 3);	/* exactly max is fine */
	expect_too_long(&r, 10, 4);		/* max + 1 is not */
	expect_line(&r, "next", 5);
	expect_end(&r);
	close_data(&r, path);

	/* A last line too long, without a newline. */
	open_data(&r, path, sizeof(path), "ok\n0123456789ABCDEF", 19, 10);
	expect_line(&r, "ok", 1);
	expect_too_long(&r, 10, 2);
	expect_end(&r);
	close_data(&r, path);
}

/* A line too long that does not fit the buffer is skipped in pieces. */
static void
test_too_long_huge(void **state)
{
	size_t big = 3 * MIB + 17, n = 0;
	char *data = malloc(big + 64);
	char path[512];
	struct mm_reader r;

	(void)state;
	assert_non_null(data);
	n += (size_t)sprintf(data, "first\n");
	memset(data + n, 'x', big);
	n += big;
	n += (size_t)sprintf(data + n, "\nafter\n");
	open_data(&r, path, sizeof(path), data, n, 1000);
	expect_line(&r, "first", 1);
	expect_too_long(&r, 1000, 2);
	expect_line(&r, "after", 3);
	expect_end(&r);
	close_data(&r, path);

	/* The same at the end of input, without a newline. */
	n = (size_t)sprintf(data, "first\n");
	memset(data + n, 'y', big);
	n += big;
	open_data(&r, path, sizeof(path), data, n, 1000);
	expect_line(&r, "first", 1);
	expect_too_long(&r, 1000, 2);
	expect_end(&r);
	close_data(&r, path);
	free(data);
}

/* A line of n bytes: a pattern that shows a byte out of place. */
static void
fill_pattern(char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
}

static void
expect_pattern(struct mm_reader *r, size_t n, unsigned seed, long lineno)
{
	char *line = NULL, *want = malloc(n + 1);
	size_t len = 0;
	struct mm_err err;

	assert_non_null(want);
	fill_pattern(want, n, seed);
	assert_int_equal(mm_reader_next(r, &line, &len, &err), 1);
	assert_int_equal(len, n);
	assert_int_equal(line[n], '\0');
	assert_memory_equal(line, want, n);
	assert_int_equal(r->lineno, lineno);
	free(want);
}

static void
test_long_lines(void **state)
{
	/* Around the 1 MiB initial buffer, and well past it. */
	size_t sizes[] = { MIB - 1, MIB, MIB + 1, 5, 3 * MIB + 5, 2 * MIB };
	size_t i, n = 0, total = 0;
	char *data, path[512];
	struct mm_reader r;

	(void)state;
	for (i = 0; i < 6; i++)
		total += sizes[i] + 1;
	data = malloc(total + 16);
	assert_non_null(data);
	for (i = 0; i < 6; i++) {
		fill_pattern(data + n, sizes[i], (unsigned)i);
		n += sizes[i];
		data[n++] = '\n';
	}
	n += (size_t)sprintf(data + n, "tail");
	open_data(&r, path, sizeof(path), data, n, 0);
	for (i = 0; i < 6; i++)
		expect_pattern(&r, sizes[i], (unsigned)i, (long)i + 1);
	expect_line(&r, "tail", 7);
	expect_end(&r);
	close_data(&r, path);

	/* A long last line without a newline, and a limit just above it. */
	fill_pattern(data, 2 * MIB + 3, 9);
	open_data(&r, path, sizeof(path), data, 2 * MIB + 3, 2 * MIB + 3);
	expect_pattern(&r, 2 * MIB + 3, 9, 1);
	expect_end(&r);
	close_data(&r, path);
	free(data);
}

/* Many short lines: every buffer refill falls inside some line. */
static void
test_many_lines(void **state)
{
	long i, nlines = 300000;
	size_t n = 0;
	char *data = malloc((size_t)nlines * 24), path[512], want[32];
	struct mm_reader r;

	(void)state;
	assert_non_null(data);
	for (i = 1; i <= nlines; i++)
		n += (size_t)sprintf(data + n, "{\"line\":%ld}\n", i);
	assert_true(n > 3 * MIB);
	open_data(&r, path, sizeof(path), data, n, 0);
	for (i = 1; i <= nlines; i++) {
		char *line;
		size_t len;
		struct mm_err err;

		snprintf(want, sizeof(want), "{\"line\":%ld}", i);
		if (mm_reader_next(&r, &line, &len, &err) != 1 ||
		    strcmp(line, want) != 0 || len != strlen(want) ||
		    r.lineno != i)
			fail_msg("line %ld wrong", i);
	}
	expect_end(&r);
	/* Memory is bounded by the longest line, not the input. */
	assert_int_equal(r.cap, MIB);
	close_data(&r, path);
	free(data);
}

static void
test_stdin(void **state)
{
	const char data[] = "in1\nin2\n";
	char path[512];
	struct mm_reader r;
	struct mm_err err;
	int saved, fd;

	(void)state;
	temp_file(path, sizeof(path), data, sizeof(data) - 1);
	saved = dup(0);
	assert_true(saved >= 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	assert_int_equal(mm_reader_open(&r, "-", 0, &err), 0);
	assert_int_equal(r.fd, 0);
	assert_string_equal(r.name, "");
	expect_line(&r, "in1", 1);
	expect_line(&r, "in2", 2);
	expect_end(&r);
	mm_reader_release(&r);
	/* Standard input is not the reader's to close. */
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	assert_int_equal(mm_reader_open(&r, NULL, 0, &err), 0);
	assert_int_equal(r.fd, 0);
	assert_string_equal(r.name, "");
	mm_reader_release(&r);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(unlink(path), 0);
}

static void
test_open_missing(void **state)
{
	struct mm_reader r;
	struct mm_err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_reader_open(&r, "/nonexistent/mm/x.ndjson", 0,
	    &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, "cannot open '/nonexistent/mm/x.ndjson': "
	    "No such file or directory");
}

static void
test_parse_size(void **state)
{
	const char *bad[] = { "0", "0K", "-1", "12x", "", "K", "1KB", " 1",
	    "1 ", "+5", "1.5M", "0x10", "99999999999999999999",
	    "18446744073709551616",
	    /* 2^34 + 1 GiB and 2^44 + 1 MiB: once wrapped to 1 GiB, 1 MiB. */
	    "17179869185G", "17592186044417M", NULL };
	size_t v;
	int i;

	(void)state;
	v = 0;
	assert_int_equal(mm_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mm_parse_size("64M", &v), 0);
	assert_int_equal(v, 64UL * 1024 * 1024);
	assert_int_equal(mm_parse_size("64m", &v), 0);
	assert_int_equal(v, 67108864);
	assert_int_equal(mm_parse_size("1G", &v), 0);
	assert_int_equal(v, 1073741824);
	assert_int_equal(mm_parse_size("2g", &v), 0);
	assert_int_equal(v, 2147483648UL);
	assert_int_equal(mm_parse_size("1K", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(mm_parse_size("3k", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(mm_parse_size("1", &v), 0);
	assert_int_equal(v, 1);
	/* The largest sizes that fit: SIZE_MAX, (2^34 - 1) GiB. */
	assert_int_equal(mm_parse_size("18446744073709551615", &v), 0);
	assert_true(v == SIZE_MAX);
	assert_int_equal(mm_parse_size("17179869183G", &v), 0);
	assert_true(v == 18446744072635809792ULL);
	for (i = 0; bad[i] != NULL; i++) {
		v = 77;
		if (mm_parse_size(bad[i], &v) != -1)
			fail_msg("'%s' accepted as a size", bad[i]);
		assert_int_equal(v, 77);
	}
}

/* The idle hook: counts its calls, then sends what it is given. */
struct idle_ctx {
	int wfd;		/* the pipe's write end */
	const char *send;	/* written at the next call, then NULL */
	int calls, fail;
};

static int
on_idle(void *ctx, struct mm_err *err)
{
	struct idle_ctx *c = ctx;

	c->calls++;
	if (c->fail)
		return mm_errf(err, MM_ESYS, 0, "idle failed");
	if (c->send != NULL) {
		assert_int_equal(write(c->wfd, c->send, strlen(c->send)),
		    (ssize_t)strlen(c->send));
		c->send = NULL;
	}
	return 0;
}

/*
 * Found under the sanitizers: part of the next record readable when the
 * program asked "would reading wait?" made the answer no, and the reader
 * then waited in read() for the rest, holding back the group before it.
 * The reader itself calls the hook before any read that would wait; the
 * hook here sends the end of the line, so a reader that did not call it
 * would hang this test.
 */
static void
test_idle_on_a_partial_line(void **state)
{
	struct idle_ctx c = { 0 };
	struct mm_reader r;
	struct mm_err err;
	char *line;
	size_t len;
	int p[2], saved;

	(void)state;
	alarm(20);	/* a reader that waits without a word: killed */
	assert_int_equal(pipe(p), 0);
	saved = dup(0);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	assert_int_equal(mm_reader_open(&r, "-", 0, &err), 0);
	r.idle = on_idle;
	r.idle_ctx = &c;
	c.wfd = p[1];
	assert_int_equal(write(p[1], "a\n", 2), 2);
	expect_line(&r, "a", 1);
	/* Nothing was waited for: a whole line was there. */
	assert_int_equal(c.calls, 0);
	/* Half a line is readable now: it is read, then the reader would
	 * wait, and says so first. */
	assert_int_equal(write(p[1], "b", 1), 1);
	c.send = "c\n";
	expect_line(&r, "bc", 2);
	assert_int_equal(c.calls, 1);
	/* Its error ends the read, told apart from a read error. */
	c.fail = 1;
	assert_int_equal(mm_reader_next(&r, &line, &len, &err),
	    MM_READER_IDLE);
	assert_string_equal(err.msg, "idle failed");
	/* At the end of input there is nothing to wait for. */
	c.fail = 0;
	close(p[1]);
	c.calls = 0;
	expect_end(&r);
	assert_int_equal(c.calls, 0);
	mm_reader_release(&r);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	alarm(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_too_long_huge),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_idle_on_a_partial_line),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests_name("ndjson", tests, NULL, NULL);
}
