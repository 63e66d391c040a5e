/*
 * merge.h - mm-psi --merge: count records summed per group, against one
 * reference.
 *
 * A count record is "counts" from mm-psi --counts, or a "drift" object
 * that carries its counts (from mm-psi or mm-aggregate): the reference's
 * id, n and one array of bin counts per feature.  Each record is checked
 * whole against the reference before any of it is added, so a bad
 * record adds nothing.  With a --by field, records are grouped by its
 * value (a string by its text: "b\u0031" with "b1"); groups are kept in
 * first-seen order.
 */
#ifndef MM_MERGE_H
#define MM_MERGE_H

#include "json.h"
#include "mm.h"
#include "psi.h"

struct mm_merge_group {
	char *key;		/* raw JSON of the --by value, or NULL */
	long records;
	long **counts, rows;	/* per reference feature, its bins */
};

struct mm_merge {
	const struct mm_ref *ref;	/* borrowed; outlives the merge */
	const char *by;			/* group by this field, or NULL */
	struct mm_merge_group *groups;
	int ngroups;
};

/* Per-feature bin counts shaped as ref's, zeroed; and their freeing. */
long **mm_counts_alloc(const struct mm_ref *ref);
void mm_counts_free(long **c, int nfeat);

void mm_merge_init(struct mm_merge *m, const struct mm_ref *ref,
    const char *by);
void mm_merge_release(struct mm_merge *m);

/*
 * Add the count record rec (parsed) to its group.  0, or -1 with err
 * (MM_EINPUT) saying what is wrong with it.
 */
int mm_merge_record(struct mm_merge *m, const struct mm_rec *rec,
    struct mm_err *err);

#endif
