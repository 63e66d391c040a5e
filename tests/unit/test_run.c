/*
 * test_run.c - the shared input loop: its hooks, --skip-bad, and a bad
 * line that no --skip-bad may skip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

/* What the hooks and the line handler saw. */
struct seen {
	int files, ends, lines;
	int end_rc[4];
	long lineno[8];
	int fail_end;		/* the end hook fails with MM_ESYS */
};

static struct mm_run *the_run;

static void
on_file(void *ctx)
{
	struct seen *s = ctx;

	s->files++;
}

static int
on_end(void *ctx, int rc, struct mm_err *err)
{
	struct seen *s = ctx;

	if (s->ends < 4)
		s->end_rc[s->ends] = rc;
	s->ends++;
	if (s->fail_end)
		return mm_errf(err, MM_ESYS, 0, "cannot commit");
	return 0;
}

/*
 * "ok" is good, "bad" a bad line, "fatal" a bad line --skip-bad cannot
 * skip, "sys" a storage error.
 */
static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct seen *s = ctx;

	(void)len;
	if (s->lines < 8)
		s->lineno[s->lines] = the_run->in->lineno;
	s->lines++;
	if (strcmp(line, "bad") == 0)
		return mm_errf(err, MM_EINPUT, 0, "bad");
	if (strcmp(line, "fatal") == 0) {
		mm_errf(err, MM_EINPUT, 0, "fatal");
		return MM_RUN_FATAL;
	}
	if (strcmp(line, "sys") == 0)
		return mm_errf(err, MM_ESYS, 0, "disk full");
	return 0;
}

static char *
temp_file(const char *text)
{
	const char *dir = getenv("TMPDIR");
	char *path = malloc(256);
	int fd;

	assert_non_null(path);
	snprintf(path, 256, "%s/mm-test-run.XXXXXX",
	    dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	return path;
}

static int
run_on(struct mm_run *run, struct seen *s, const char *a, const char *b)
{
	char *argv[2];
	int rc, n = 0;

	argv[n++] = temp_file(a);
	if (b != NULL)
		argv[n++] = temp_file(b);
	run->prog = "test";
	run->file = on_file;
	run->end = on_end;
	the_run = run;
	rc = mm_run(run, n, argv, on_line, s);
	assert_null(run->in);
	while (n-- > 0) {
		unlink(argv[n]);
		free(argv[n]);
	}
	return rc;
}

static void
test_hooks_per_file(void **state)
{
	struct mm_run run = { 0 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "ok\nok\n", "ok\n"), MM_OK);
	assert_int_equal(s.files, 2);
	assert_int_equal(s.ends, 2);
	assert_int_equal(s.end_rc[0], MM_OK);
	assert_int_equal(s.end_rc[1], MM_OK);
	assert_int_equal(s.lines, 3);
	/* run->in is the file being read: its line numbers start again. */
	assert_int_equal(s.lineno[1], 2);
	assert_int_equal(s.lineno[2], 1);
}

static void
test_bad_line_stops(void **state)
{
	struct mm_run run = { 0 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "ok\nbad\nok\n", "ok\n"),
	    MM_EINPUT);
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.end_rc[0], MM_EINPUT);
}

static void
test_skip_bad(void **state)
{
	struct mm_run run = { .skip_bad = 1 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "bad\nok\nbad\n", "bad\nok\n"),
	    MM_OK);
	assert_int_equal(run.skipped, 3);
	assert_int_equal(s.lines, 5);
	assert_int_equal(s.end_rc[0], MM_OK);
	assert_int_equal(s.end_rc[1], MM_OK);
}

static void
test_fatal_is_not_skipped(void **state)
{
	struct mm_run run = { .skip_bad = 1 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "bad\nfatal\nok\n", NULL),
	    MM_EINPUT);
	assert_int_equal(run.skipped, 1);
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.end_rc[0], MM_EINPUT);
}

static void
test_storage_error_is_not_skipped(void **state)
{
	struct mm_run run = { .skip_bad = 1 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "ok\nsys\nok\n", NULL), MM_ESYS);
	assert_int_equal(run.skipped, 0);
	assert_int_equal(s.end_rc[0], MM_ESYS);
}

/* A line over max_record is bad input, skipped like any other. */
static void
test_max_record(void **state)
{
	struct mm_run run = { .skip_bad = 1, .max_record = 4 };
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "ok\nlonger than four\nok\n",
	    NULL), MM_OK);
	assert_int_equal(run.skipped, 1);
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.lineno[1], 3);
}

/* An end hook that fails is the run's error, after a good file too. */
static void
test_end_hook_fails(void **state)
{
	struct mm_run run = { 0 };
	struct seen s = { .fail_end = 1 };

	(void)state;
	assert_int_equal(run_on(&run, &s, "ok\n", "ok\n"), MM_ESYS);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.end_rc[0], MM_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_per_file),
		cmocka_unit_test(test_bad_line_stops),
		cmocka_unit_test(test_skip_bad),
		cmocka_unit_test(test_fatal_is_not_skipped),
		cmocka_unit_test(test_storage_error_is_not_skipped),
		cmocka_unit_test(test_max_record),
		cmocka_unit_test(test_end_hook_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
