/*
 * steer.h - a person's (or CI's) change to the model store: stage a
 * version, promote the candidate, roll back.  mm-models(1) and
 * mm-serve(1) make the same change through the same calls, under the
 * store's lock: a version that would be made live must load as
 * mm-predict loads it.
 */
#ifndef MM_STEER_H
#define MM_STEER_H

#include "json.h"
#include "mm.h"

/*
 * cmd is "stage" (arg: the version), "promote" or "rollback" (arg: a
 * version, or NULL for the previous one).  On success, the result
 *
 *   {"action":"promote","version":"V","previous_version":"U"|null}
 *
 * is appended to out.  0, or -1 with err: MM_EINPUT for a change that
 * cannot be made (nothing staged, no previous version, no such
 * version), MM_ESYS for a store that cannot be changed or a version that
 * does not load.
 */
int mm_steer(const char *dir, const char *cmd, const char *arg, double now,
    struct mm_buf *out, struct mm_err *err);

#endif
