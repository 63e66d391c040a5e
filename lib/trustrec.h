/*
 * trustrec.h - what mm-trust does to one record, for any program that
 * scores trust (mm-trust, mm-serve's ingest): the score of the record's
 * metrics and drift (trust.h), added as its trust.
 */
#ifndef MM_TRUSTREC_H
#define MM_TRUSTREC_H

#include "config.h"
#include "json.h"

/*
 * The record in line (rec is scratch) with trust
 * added, appended to out.  0, or -1 with err (MM_EINPUT): metrics or
 * drift that are not objects, or an input there that is not a number.
 */
int mm_trust_line(const struct mm_trust_cfg *cfg, struct mm_rec *rec,
    const char *line, size_t len, struct mm_buf *out, struct mm_err *err);

/* The trust object of a record parsed already, appended to out. */
int mm_trust_json(const struct mm_trust_cfg *cfg, const struct mm_rec *rec,
    struct mm_buf *out, struct mm_err *err);

#endif
