/*
 * featset.h - the features of a stream of rows and the kind of each,
 * fixed once for the whole stream (mm-batch(1)), never by one batch.
 *
 * Every field name met is interned once, escaped as rowin.h keeps
 * names, with what the batcher needs of it: its feature, if it is one,
 * and the last row it was in.  The features are listed by the caller
 * (a schema's, or --features), or taken from the rows observed.  A
 * feature's kind is given, or left MM_KIND_OPEN and found from the rows
 * observed: categorical if one of its values was a string (a JSON
 * string, a CSV cell of text), else numeric.  mm_featset_decide() then
 * fixes every kind, and no feature joins after it.  Pure: no I/O.
 */
#ifndef MM_FEATSET_H
#define MM_FEATSET_H

#include <stddef.h>

#include "rowin.h"
#include "schema.h"
#include "strtab.h"

#define MM_KIND_OPEN (-1)	/* a kind still to find from the rows */

struct mm_featname {
	int col;		/* its feature, or -1: not a feature */
	int warned;		/* said to be ignored already */
	unsigned long stamp;	/* the caller's: the last row it was in */
	int field;		/* the caller's: its field in that row */
};

struct mm_feat {
	int name;		/* its name's index */
	int kind;		/* enum mm_kind, or MM_KIND_OPEN */
	int found;		/* its kind was found from the rows */
	unsigned long nstr;	/* rows observed with a string in it */
	unsigned long nval;	/* rows observed with a value (not null) */
};

struct mm_featset {
	struct mm_strtab names;	/* each name met, escaped, once */
	struct mm_featname *nm;	/* per name */
	int nmcap;
	struct mm_feat *f;	/* the features, in the order written */
	int nf, fcap;
	int listed;		/* the caller's list: observing adds none */
	int decided;		/* every kind is fixed */
	unsigned long observed;	/* rows observed */
};

void mm_featset_init(struct mm_featset *fs);
void mm_featset_release(struct mm_featset *fs);

/* The index of the name s[0..n) (escaped), added if new. */
int mm_featset_intern(struct mm_featset *fs, const char *s, size_t n);

/* The index of the name s[0..n), or -1. */
int mm_featset_find(const struct mm_featset *fs, const char *s, size_t n);

/* Name k (borrowed, NUL-terminated, escaped). */
const char *mm_featset_name(const struct mm_featset *fs, int k);

/*
 * Add the feature named s[0..n) (escaped), of kind (enum mm_kind, or
 * MM_KIND_OPEN).  Returns its column, or -1 if it is a feature already.
 */
int mm_featset_add(struct mm_featset *fs, const char *s, size_t n,
    int kind);

/*
 * Look at a row while kinds are open: the values of its fields not
 * marked named (rowin.h), each of a feature of open kind.  Unless the
 * list is the caller's, a field not yet a feature becomes one, in the
 * order names first appear.
 */
void mm_featset_observe(struct mm_featset *fs, const struct mm_rowin *r);

/*
 * Fix every open kind from the rows observed (a feature without a value
 * in them is numeric, its found set and nval 0), and close the list.
 */
void mm_featset_decide(struct mm_featset *fs);

#endif
