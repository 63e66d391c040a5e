/*
 * scratch.h - a fresh directory under $TMPDIR for a unit test, and its
 * removal with everything in it.  Header only: the tests that write
 * files (test_db, test_store, test_retrain) include it.
 */
#ifndef MM_TEST_SCRATCH_H
#define MM_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Make $TMPDIR/NAME.XXXXXX (or under /tmp) into top.  0 or -1. */
static inline int
scratch_make(char *top, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(top, size, "%s/%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", name);
	return mkdtemp(top) == NULL ? -1 : 0;
}

static inline int
scratch_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove top and everything below it. */
static inline void
scratch_remove(const char *top)
{
	nftw(top, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
