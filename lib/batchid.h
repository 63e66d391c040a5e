/*
 * batchid.h - the ids mm-batch(1) gives the batches it writes, as
 * quoted JSON strings: a row's own id (grouping by id), a count under
 * a prefix that carries the run (--size), or a window's start (--every).
 */
#ifndef MM_BATCHID_H
#define MM_BATCHID_H

#include <stddef.h>
#include <stdint.h>

#include "mm.h"
#include "rowin.h"

#define MM_FNV_BASIS 14695981039346656037ULL

/* FNV-1a: h with the n bytes at s folded in. */
uint64_t mm_fnv(uint64_t h, const char *s, size_t n);

/*
 * The batch id of a row, from its id field f, into id (reset first).
 * One spelling per id: a JSON string is canonical ("b\u0031" is the
 * batch "b1"), a number is its text quoted, a cell is taken as it is.
 * idname names the field in messages.  0, or -1 with err (MM_EINPUT):
 * empty, null, neither string nor number, a \u escape of a NUL.
 */
int mm_batchid_of_row(struct mm_buf *id, const struct mm_rowfield *f,
    int csv, const char *idname, struct mm_err *err);

/*
 * The counts of --size begin at 000000 in every run, so a run's ids
 * carry the run: prefix (escaped), then the time it began, in UTC
 * ("20261126T063000Z"), and 8 hex digits of head, a hash of what it read
 * up to its first batch (the CSV header and the first row), with the
 * process id folded in when there is no --now (now NULL: the clock).
 * Two runs that began in the same second on other input, or at once,
 * differ; with --now, a run gives the same ids every time.  Returns the
 * new prefix (allocated): "b20261126T063000Z-1a2b3c4d-".
 */
char *mm_batchid_run_prefix(const char *prefix, uint64_t head,
    const double *now);

/* Batch n of a run under prefix: "P000042". */
void mm_batchid_count(struct mm_buf *id, const char *prefix,
    unsigned long n);

/* The batch of the window that starts at start seconds: "P1764140000". */
void mm_batchid_window(struct mm_buf *id, const char *prefix, double start);

#endif
