/*
 * run.h - the input loop every record-at-a-time program shares: read
 * each named file (or standard input) line by line, hand each line to
 * the program, and report a bad line as mm(7) says: stop at
 * the first (exit 2) after every record before it was written, or with
 * --skip-bad skip and count it.
 */
#ifndef MM_RUN_H
#define MM_RUN_H

#include <stddef.h>

#include "json.h"
#include "mm.h"
#include "ndjson.h"

/*
 * Handle one line; 0, or -1 with err.  An error with code MM_EINPUT and
 * no err->where is about the line itself; anything else stops the run.
 * MM_RUN_FATAL, with such an error, is a bad line that --skip-bad cannot
 * skip (a CSV header: the lines after it mean nothing without it).
 */
typedef int (*mm_line_fn)(void *ctx, char *line, size_t len,
    struct mm_err *err);

#define MM_RUN_FATAL (-2)

struct mm_run {
	const char *prog;
	size_t max_record;	/* 0: MM_MAX_RECORD_DEFAULT */
	int skip_bad;
	long skipped;
	const char *what;	/* what a line is: NULL for "record" */

	/*
	 * Hooks, each NULL or called with the ctx given to mm_run().
	 * file: a file is open, before its first line.
	 * idle: the next line would have to be waited for (a group of
	 *	records is worth committing now); 0, or -1 with err.
	 * end: the file has ended with rc (MM_OK), or stops the run with
	 *	rc, before the error is said; 0, or -1 with an err that is
	 *	said instead.
	 */
	void (*file)(void *ctx);
	int (*idle)(void *ctx, struct mm_err *err);
	int (*end)(void *ctx, int rc, struct mm_err *err);

	const struct mm_reader *in;	/* the file being read, or NULL */
};

/*
 * Give standard output a 64 KB buffer, before anything is written to it.
 * mm_run does it itself.
 */
void mm_stdout_buffer(void);

/*
 * Run fn over the files argv[0..argc) in turn, or standard input when
 * argc is 0.  Messages go to stderr.  Returns an exit code (MM_OK).
 */
int mm_run(struct mm_run *run, int argc, char *const *argv, mm_line_fn fn,
    void *ctx);

/*
 * Say how many lines were skipped, once: a program with more to say
 * after its input says this first.
 */
void mm_run_skipped(struct mm_run *run);

/*
 * Write the records held in b (a group just committed) to standard
 * output, empty b, and flush: 0, or -1 with err (MM_ESYS).  A record
 * larger than stdio's buffer is written at once, and a failed write then
 * leaves nothing for fflush to report: both are checked.
 */
int mm_run_write(struct mm_buf *b, struct mm_err *err);

/*
 * The end of a program: say how many lines were skipped, and flush and
 * close standard output (a full disk or a closed pipe is an error).
 * Returns rc, or MM_ESYS if rc was MM_OK and output failed.
 */
int mm_run_finish(struct mm_run *run, int rc);

#endif
