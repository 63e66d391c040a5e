/*
 * ndjson.h - read newline-delimited records with line numbers.
 *
 * The reader owns its buffer; a line returned by mm_reader_next() is
 * NUL-terminated (the newline replaced) and valid until the next call.
 * Memory is bounded by the longest line, never by the input.
 */
#ifndef MM_NDJSON_H
#define MM_NDJSON_H

#include <stddef.h>

#include "mm.h"

#define MM_MAX_RECORD_DEFAULT (256UL << 20)	/* 256 MiB */

struct mm_reader {
	int fd;
	int own_fd;
	const char *name;	/* file name, or "" for standard input */
	char *buf;
	size_t cap, start, end;
	size_t max;		/* longest accepted line, in bytes */
	long lineno;		/* number of the line last returned */
	int eof;
	/*
	 * Called, when set, each time the next line would have to be
	 * waited for: nothing buffered but part of a line, and nothing to
	 * read now.  A program that holds records back (a group not yet
	 * committed) lets them go here, so that a record is never kept
	 * waiting on one that arrives in pieces.  Its error ends the read
	 * with MM_READER_IDLE.
	 */
	int (*idle)(void *ctx, struct mm_err *err);
	void *idle_ctx;
};

#define MM_READER_IDLE (-2)	/* mm_reader_next(): the idle hook failed */

/* Open path ("-" or NULL: standard input).  Returns 0 or -1 (MM_ESYS). */
int mm_reader_open(struct mm_reader *r, const char *path, size_t max,
    struct mm_err *err);
void mm_reader_release(struct mm_reader *r);

/*
 * Next line.  Returns 1 with *line, *len set; 0 at end of input; -1 on a
 * line longer than r->max (MM_EINPUT) or a read error (MM_ESYS);
 * MM_READER_IDLE with the idle hook's error.  A line
 * that is too long is consumed, so the caller may go on (--skip-bad).
 * A trailing '\r' is removed.
 */
int mm_reader_next(struct mm_reader *r, char **line, size_t *len,
    struct mm_err *err);

/* Parse a byte size such as "64M", "1G", "4096".  Returns 0 or -1. */
int mm_parse_size(const char *s, size_t *out);

#endif
