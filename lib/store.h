/*
 * store.h - finding things in the model store (DESIGN section 6).
 *
 *   models/active.json             {"version": ..., ...}
 *   models/versions/<v>/reference.json
 */
#ifndef MM_STORE_H
#define MM_STORE_H

#include <stddef.h>

#include "mm.h"

/* The model directory: dir if given, else $MM_MODELS, else "models". */
const char *mm_models_dir(const char *dir);

/*
 * The active version's name into buf.  Returns 0, or -1 with err:
 * MM_EINPUT when there is no active version (no active.json), MM_ESYS
 * when it cannot be read or is corrupt.
 */
int mm_store_active(const char *dir, char *buf, size_t size,
    struct mm_err *err);

/* Path of a file of the active version, e.g. "reference.json". */
int mm_store_active_file(const char *dir, const char *file, char *buf,
    size_t size, struct mm_err *err);

#endif
