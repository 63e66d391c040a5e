/*
 * reportdb.h - what mm-report(1) and mm-serve(1)'s dashboard show, read
 * from the database and the model store into a struct mm_report.
 */
#ifndef MM_REPORTDB_H
#define MM_REPORTDB_H

#include "db.h"
#include "mm.h"
#include "report.h"

/*
 * The batches and decisions in r->from..r->to (NaN: open), in one read
 * transaction; with window > 0 seconds, the window that ends at r->to
 * or else at the newest batch or decision.  0, or -1 with err.
 */
int mm_report_read_db(struct mm_report *r, struct mm_db *db, long window,
    struct mm_err *err);

/* The live and staged versions and every version's card.  0 or -1. */
int mm_report_read_store(struct mm_report *r, const char *dir,
    struct mm_err *err);

#endif
