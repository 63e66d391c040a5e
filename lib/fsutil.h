/*
 * fsutil.h - file primitives: read whole, replace atomically, write new
 * and sync, make and sync directories, sweep a crashed writer's
 * leftovers, and the mode mm creates files with.  The model store
 * (store.h, which includes this header) is built on them, and so are
 * the programs' other files.  Errors name the path (mm_err_where).
 */
#ifndef MM_FSUTIL_H
#define MM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "mm.h"

struct stat;

#define MM_PATHMAX 4096

/*
 * Format a path into buf (MM_PATHMAX bytes).  A longer one is cut, and
 * then names a file that does not exist, which the caller reports.
 */
void mm_fs_pathf(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* err is "WHAT: strerror(errno)" at path (MM_ESYS); returns -1. */
int mm_fs_syserr(struct mm_err *err, const char *path, const char *what);

/*
 * 1 if two stat(2)s are of the same file unchanged (device, inode and
 * modification time): how programs that follow the store tell that
 * active.json was replaced.
 */
int mm_same_file(const struct stat *a, const struct stat *b);

/* stat(2) of path into st, all zero when there is none to stat. */
void mm_stat_or_zero(const char *path, struct stat *st);

/*
 * The permissions mm creates files and directories with: 0600 and 0700,
 * or $MM_FILE_MODE (octal, such as 0640, letting the owner read and
 * write) with x added to directories where it has r.  The umask still
 * applies, as to any open(2).  Files that exist keep their mode.  0, or
 * -1 with err (MM_EINPUT) when $MM_FILE_MODE is not such a mode.
 */
int mm_file_mode(mode_t *file, mode_t *dir, struct mm_err *err);

/*
 * Replace path with data, so a reader sees the old file or the new one:
 * write a new file of a unique name beside it (".NAME.XXXXXX", made with
 * O_EXCL, so nothing planted under a name is followed), fsync it, rename
 * it over path, fsync the directory.  On failure the new file is removed
 * and path left as it was.  fault, unless NULL, names the MM_FAULT
 * points "<fault>-tmp-written" and "<fault>-renamed".  Errors name path.
 */
int mm_replace_file(const char *path, const char *data, size_t len,
    const char *fault, struct mm_err *err);

/*
 * Read path whole (NUL-terminated, *data owned).  0; 1 if it does not
 * exist; -1 with err.
 */
int mm_fs_slurp(const char *path, char **data, size_t *len,
    struct mm_err *err);

/* Create path, which must not exist, with data and mode; fsync it. */
int mm_fs_write_new(const char *path, const char *data, size_t len,
    mode_t mode, struct mm_err *err);

/* fsync(2) the directory path, so a rename or a create in it lasts. */
int mm_fs_sync_dir(const char *path, struct mm_err *err);

/* mkdir(2) with mm_file_mode's mode; a directory already there is fine. */
int mm_fs_mkdir(const char *path, struct mm_err *err);

/* The directories above path, as mkdir -p makes them (as --db does). */
int mm_fs_mkdir_parents(const char *path, struct mm_err *err);

/*
 * Remove the entries of dir named .tmp-*: what a crashed writer left.
 * A directory is emptied and removed; a link is removed, not followed,
 * since emptying one planted there would empty what it points to.  The
 * caller holds the lock that writers take.
 */
void mm_fs_sweep_tmp(const char *dir);

#endif
