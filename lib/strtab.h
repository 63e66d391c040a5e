/*
 * strtab.h - an interning string table: each distinct string once, with
 * an index 0..n-1 given in first-seen order and never changed until the
 * table is reset.
 *
 * Strings are byte strings with a length (they may hold any byte but
 * NUL in practice, as they come from decoded JSON); each is stored
 * NUL-terminated too.  The table owns its copies: mm_strtab_str()
 * returns a borrowed pointer, valid until the next intern, reset or
 * release.  A zeroed struct is an empty table, as after mm_strtab_init().
 */
#ifndef MM_STRTAB_H
#define MM_STRTAB_H

#include <stddef.h>

struct mm_strtab {
	char *buf;		/* owned: the strings, each NUL-terminated */
	size_t len, bcap;
	size_t *off;		/* owned: n + 1 offsets into buf */
	unsigned *hash;		/* owned: n hashes */
	int n, cap;
	int *slot;		/* owned: nslot indices, -1 where empty */
	size_t nslot;
};

void mm_strtab_init(struct mm_strtab *t);
void mm_strtab_release(struct mm_strtab *t);
/* Empty the table, keeping its memory for reuse. */
void mm_strtab_reset(struct mm_strtab *t);

/* The index of s[0..n), added (copied) if new. */
int mm_strtab_intern(struct mm_strtab *t, const char *s, size_t n);
/* The index of s[0..n), or -1. */
int mm_strtab_find(const struct mm_strtab *t, const char *s, size_t n);

/* How many strings; string i (borrowed, NUL-terminated) and its length. */
int mm_strtab_count(const struct mm_strtab *t);
const char *mm_strtab_str(const struct mm_strtab *t, int i);
size_t mm_strtab_len(const struct mm_strtab *t, int i);

#endif
