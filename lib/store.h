/*
 * store.h - the model store (mm(7), State; mm-records(5)).
 *
 *   models/active.json          the live version, written by rename(2)
 *   models/candidate.json       the staged version, if any
 *   models/versions/<v>/        model.json, reference.json, card.json;
 *                               complete and immutable once there
 *   models/.lock                flock(2) held while the store changes
 *
 * A version is written to versions/.tmp-<v>-<pid>/, every file and the
 * directory fsync'd, then renamed into place and the parent fsync'd.
 * active.json and candidate.json are replaced as mm_replace_file does:
 * a new .active.json.XXXXXX, fsync, rename, fsync of the directory.  A
 * crash at any point leaves the old state or the new one; leftover
 * temporary files and directories are ignored and swept by the next
 * writer.  Readers take no lock.
 *
 * Files are created with mm_file_mode's permissions, 0600 by default:
 * a store and a database hold the evidence rows.
 *
 * The file primitives (mm_replace_file, mm_file_mode, mm_same_file) are
 * fsutil.h's, which this header includes.
 */
#ifndef MM_STORE_H
#define MM_STORE_H

#include <stddef.h>
#include <sys/types.h>

#include "fsutil.h"
#include "mm.h"

#define MM_VERSION_MAX 64

/* The model directory: dir if given, else $MM_MODELS, else "models". */
const char *mm_models_dir(const char *dir);

struct mm_active {
	char version[MM_VERSION_MAX];
	char previous[MM_VERSION_MAX];	/* "" when there is none */
	double baseline_f1;		/* NaN when unknown */
	char promoted_at[32];		/* ISO 8601 UTC */
};

/*
 * Read active.json.  Returns 0; 1 when there is no active version; -1
 * with err (MM_ESYS) when it cannot be read or is corrupt.
 */
int mm_store_read_active(const char *dir, struct mm_active *a,
    struct mm_err *err);

/* The active version's name, or -1 (MM_EINPUT if none, MM_ESYS). */
int mm_store_active(const char *dir, char *buf, size_t size,
    struct mm_err *err);

/* Path of a file of the active version, e.g. "reference.json". */
int mm_store_active_file(const char *dir, const char *file, char *buf,
    size_t size, struct mm_err *err);

/* The staged version: 0, 1 when none, -1 with err. */
int mm_store_read_candidate(const char *dir, char *buf, size_t size,
    struct mm_err *err);

/* Read versions/<v>/<file> whole into *data (NUL-terminated, owned). */
int mm_store_read_file(const char *dir, const char *version,
    const char *file, char **data, size_t *len, struct mm_err *err);

/* The validation F1 in a version's card.json. */
int mm_store_card_f1(const char *dir, const char *version, double *f1,
    struct mm_err *err);

/* Every complete version, sorted (oldest first); *names owned. */
int mm_store_list(const char *dir, char ***names, int *n,
    struct mm_err *err);
void mm_store_list_free(char **names, int n);

/* A writer's handle: the directory and the lock. */
struct mm_store {
	char *dir;
	int lockfd;
};

/*
 * Open dir for changes, creating it (and versions/) if create is set.
 * Takes models/.lock: waits for it, or with nonblock returns 1 at once
 * if another process holds it.  0 when locked, -1 with err.
 */
int mm_store_open(struct mm_store *s, const char *dir, int create,
    int nonblock, struct mm_err *err);
void mm_store_close(struct mm_store *s);

struct mm_store_file {
	const char *name;
	const char *data;
	size_t len;
};

/*
 * Write a new version named after now (UTC, "20261126T063000Z", with
 * "-2", "-3", ... if taken) holding files.  Its name goes to version.
 */
int mm_store_write_version(struct mm_store *s, double now,
    const struct mm_store_file *files, int nfiles, char *version,
    size_t size, struct mm_err *err);

/*
 * Make version live with baseline_f1; the version live before becomes
 * previous_version.  A version that is already live is left alone.
 */
int mm_store_activate(struct mm_store *s, const char *version,
    double baseline_f1, double now, struct mm_err *err);

/* Stage version as the candidate. */
int mm_store_stage(struct mm_store *s, const char *version, double now,
    struct mm_err *err);

/*
 * Make the candidate live and unstage it.  Its baseline is its card's
 * F1, or the live version's baseline if that is higher: a promotion
 * never lowers the bar.  Returns 0 (its name in version), 1 when
 * nothing is staged.
 */
int mm_store_promote(struct mm_store *s, double now, char *version,
    size_t size, struct mm_err *err);

/*
 * Make target live (NULL: the previous version), with its card's F1 as
 * baseline.  Afterwards there is no previous version, so rollbacks do
 * not flap.  Returns 0 (its name in version), 1 when there is no
 * previous version.
 */
int mm_store_rollback(struct mm_store *s, const char *target, double now,
    char *version, size_t size, struct mm_err *err);

/* Format now as "2026-11-26T06:30:00Z". */
void mm_iso_time(double now, char *buf, size_t size);

#endif
