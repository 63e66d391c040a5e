/*
 * featset.c - the features of a stream and their kinds (featset.h).
 */
#include <stdlib.h>
#include <string.h>

#include "featset.h"
#include "mm.h"
#include "rowin.h"
#include "schema.h"
#include "strtab.h"

void
mm_featset_init(struct mm_featset *fs)
{
	memset(fs, 0, sizeof(*fs));
	mm_strtab_init(&fs->names);
}

void
mm_featset_release(struct mm_featset *fs)
{
	mm_strtab_release(&fs->names);
	free(fs->nm);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

int
mm_featset_intern(struct mm_featset *fs, const char *s, size_t n)
{
	int had = mm_strtab_count(&fs->names), k;

	k = mm_strtab_intern(&fs->names, s, n);
	if (k < had)
		return k;
	if (k == fs->nmcap) {
		fs->nmcap = fs->nmcap ? 2 * fs->nmcap : 64;
		fs->nm = mm_xrealloc(fs->nm,
		    (size_t)fs->nmcap * sizeof(*fs->nm));
	}
	fs->nm[k].col = -1;
	fs->nm[k].warned = 0;
	fs->nm[k].stamp = 0;
	fs->nm[k].field = -1;
	return k;
}

int
mm_featset_find(const struct mm_featset *fs, const char *s, size_t n)
{
	return mm_strtab_find(&fs->names, s, n);
}

const char *
mm_featset_name(const struct mm_featset *fs, int k)
{
	return mm_strtab_str(&fs->names, k);
}

int
mm_featset_add(struct mm_featset *fs, const char *s, size_t n, int kind)
{
	struct mm_feat *f;
	int k;

	k = mm_featset_intern(fs, s, n);
	if (fs->nm[k].col >= 0)
		return -1;
	if (fs->nf == fs->fcap) {
		fs->fcap = fs->fcap ? 2 * fs->fcap : 16;
		fs->f = mm_xrealloc(fs->f, (size_t)fs->fcap * sizeof(*fs->f));
	}
	f = &fs->f[fs->nf];
	memset(f, 0, sizeof(*f));
	f->name = k;
	f->kind = kind;
	fs->nm[k].col = fs->nf;
	return fs->nf++;
}

void
mm_featset_observe(struct mm_featset *fs, const struct mm_rowin *r)
{
	const struct mm_rowfield *rf;
	struct mm_feat *f;
	int i, k, c;

	fs->observed++;
	for (i = 0; i < r->nf; i++) {
		rf = &r->f[i];
		if (rf->named)
			continue;
		if (fs->listed || fs->decided) {
			k = mm_featset_find(fs, rf->key.p, rf->key.n);
			if (k < 0 || (c = fs->nm[k].col) < 0)
				continue;
		} else {
			k = mm_featset_intern(fs, rf->key.p, rf->key.n);
			if ((c = fs->nm[k].col) < 0)
				c = mm_featset_add(fs, rf->key.p, rf->key.n,
				    MM_KIND_OPEN);
		}
		f = &fs->f[c];
		if (f->kind != MM_KIND_OPEN || rf->kind == MM_ROW_NULL)
			continue;
		/*
		 * A cell such as 01 or +1 reads as a number but is not a
		 * JSON one: it is a value, and decides nothing.
		 */
		if (rf->kind == MM_ROW_STR)
			f->nstr++;
		f->nval++;
	}
}

void
mm_featset_decide(struct mm_featset *fs)
{
	struct mm_feat *f;
	int c;

	for (c = 0; c < fs->nf; c++) {
		f = &fs->f[c];
		if (f->kind != MM_KIND_OPEN)
			continue;
		f->kind = f->nstr > 0 ? MM_KIND_CATEGORICAL : MM_KIND_NUMERIC;
		f->found = 1;
	}
	fs->decided = 1;
}
