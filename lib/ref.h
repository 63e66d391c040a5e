/*
 * ref.h - the reference file, reference.json (mm-psi(1), mm-records(5)):
 * a fitted struct mm_ref (psi.h) as text, its id, and reading it back.
 *
 * The id is the first 16 hex digits of the SHA-256 (sha.h) of the
 * features as mm-reference/2 writes them; reading checks a file's id
 * against its contents, and an older file is known by its new form's
 * id.  psi.h fits and counts and does no I/O; the text, the digest and
 * the file are here.
 */
#ifndef MM_REF_H
#define MM_REF_H

#include <stddef.h>

#include "json.h"
#include "mm.h"
#include "psi.h"

/* Compute r->id once every feature is added. */
void mm_ref_finish(struct mm_ref *r);

/* Reference file text (format "mm-reference/2"), appended to b. */
void mm_ref_json(const struct mm_ref *r, struct mm_buf *b);

/*
 * Read a reference from text (mm-reference/2, or /1 as older mm wrote
 * it).  0, or -1 with err (MM_EINPUT) naming what is wrong.
 */
int mm_ref_parse(struct mm_ref *r, const char *text, size_t len,
    struct mm_err *err);

/* Read a reference file.  0, or -1 with err (MM_EINPUT or MM_ESYS). */
int mm_ref_load(struct mm_ref *r, const char *path, struct mm_err *err);

#endif
