/*
 * fuzz_batch - the batch decoder, lib/batchin.h: each line of the input is
 * decoded into one struct mm_batch reused from line to line, as the
 * programs do, with the flags the programs use.
 *
 * Checked on each batch decoded: n values in every column, a column's
 * kind agreeing with its values (a string column's values are indices
 * of its strings, or NaN), labels -1 or non-negative and, with
 * features, n of them,
 * each column found by its name, and an error always with a message.
 */
#include "fuzz.h"

#include <math.h>

#include "batchin.h"
#include "json.h"
#include "mm.h"
#include "strtab.h"

static const unsigned flag_sets[] = {
	MM_BATCH_ID | MM_BATCH_FEATURES | MM_BATCH_LABELS,
	MM_BATCH_ANY_FEATURES | MM_BATCH_LABELS,
	MM_BATCH_ID,
	MM_BATCH_FEATURES,
};

static void
check_batch(const struct mm_batch *b, unsigned flags)
{
	const struct mm_col *c;
	struct mm_err err = { 0 };
	size_t i;
	int j, k, nstr, numeric = 1;
	double v;

	if (flags & MM_BATCH_ID)
		FUZZ_CHECK(b->id != NULL);
	if (flags & MM_BATCH_FEATURES)
		FUZZ_CHECK(b->nfeat > 0);
	for (j = 0; j < b->nfeat; j++) {
		c = &b->cols[j];
		FUZZ_CHECK(c->name != NULL);
		FUZZ_CHECK(c->kind == MM_COL_NONE || c->kind == MM_COL_NUM ||
		    c->kind == MM_COL_STR);
		FUZZ_CHECK(b->n == 0 || c->v != NULL);
		nstr = mm_strtab_count(&c->strs);
		if (c->kind == MM_COL_STR)
			numeric = 0;
		else
			FUZZ_CHECK(nstr == 0);
		for (i = 0; i < b->n; i++) {
			v = c->v[i];
			if (c->kind == MM_COL_NONE)
				FUZZ_CHECK(isnan(v));
			else if (c->kind == MM_COL_STR && !isnan(v))
				FUZZ_CHECK(v >= 0 && v < nstr &&
				    v == floor(v));
		}
		for (k = 0; k < nstr; k++)
			FUZZ_CHECK(strlen(mm_strtab_str(&c->strs, k)) ==
			    mm_strtab_len(&c->strs, k));
		/* The first column of a name is the one found. */
		for (k = 0; k < j; k++)
			if (strcmp(b->cols[k].name, c->name) == 0)
				break;
		FUZZ_CHECK(mm_batch_col(b, c->name) == &b->cols[k]);
	}
	if (b->has_labels) {
		if (b->nfeat > 0)
			FUZZ_CHECK(b->nlabels == b->n);
		for (i = 0; i < b->nlabels; i++)
			FUZZ_CHECK(b->labels[i] >= -1);
	}
	if (mm_batch_require_numeric(b, &err) == 0)
		FUZZ_CHECK(numeric);
	else
		FUZZ_CHECK(!numeric && err.code == MM_EINPUT && *err.msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_batch b;
	struct mm_rec rec;
	struct mm_err err;
	char *text = fuzz_cstr(data, size), *line, *nl;
	size_t len, k;

	mm_batch_init(&b);
	mm_rec_init(&rec);
	for (line = text; line <= text + size; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + size - line));
		if (nl == NULL)
			nl = text + size;
		*nl = '\0';
		len = (size_t)(nl - line);
		for (k = 0; k < sizeof(flag_sets) / sizeof(flag_sets[0]);
		    k++) {
			memset(&err, 0, sizeof(err));
			if (mm_batch_parse(&b, &rec, line, len, flag_sets[k],
			    &err) == 0)
				check_batch(&b, flag_sets[k]);
			else
				FUZZ_CHECK(err.code == MM_EINPUT &&
				    err.line == 0 && *err.msg != '\0');
		}
	}
	mm_rec_release(&rec);
	mm_batch_release(&b);
	free(text);
	return 0;
}
