/*
 * fuzz_ref - the reference loader, mm_ref_parse() of lib/ref.h, and the
 * drift computed against a reference it accepts.
 *
 * A reference carries an id, a digest of its features, that a mutated
 * input never matches, and the loader stops there.  So that fuzzing
 * goes past it, an input whose features load and whose id is wrong is
 * parsed a second time with the right id put in.  That needs ref.c's
 * own digest, so this file includes lib/ref.c: its functions here stand
 * in for the library's.
 *
 * Checked on a reference accepted: bins that values and strings fall
 * into lie in the feature's bins; counts of some rows give a drift with
 * p-values in [0, 1] and non-negative psi_adj; and the reference written
 * by mm_ref_json() reads back with the same id and bins.
 */
#include "fuzz.h"

#include "../../lib/ref.c"

#include <math.h>

#include "config.h"

#define ROWS 8

/* The input with its "id" made right, as JSON text; NULL if it can't. */
static char *
fix_id(const char *text, size_t len)
{
	struct mm_ref r;
	json_t *root, *feats, *fmt;
	char want[17], *out = NULL;
	size_t i;
	int v1, ok = 1;

	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return NULL;
	fmt = json_object_get(root, "format");
	feats = json_object_get(root, "features");
	if (!json_is_string(fmt) || !json_is_array(feats) ||
	    json_array_size(feats) == 0)
		goto out;
	v1 = strcmp(json_string_value(fmt), REF_FORMAT_1) == 0;
	mm_ref_init(&r);
	r.f = mm_xcalloc(json_array_size(feats), sizeof(*r.f));
	for (i = 0; i < json_array_size(feats) && ok; i++) {
		r.nfeat++;
		ok = (v1 ? load_feature_v1(&r.f[i],
		    json_array_get(feats, i)) : load_feature(&r.f[i],
		    json_array_get(feats, i))) == 0;
	}
	if (ok) {
		if (v1)
			digest_v1(feats, want);
		else
			digest(&r, want);
		json_object_set_new(root, "id", json_string(want));
		out = json_dumps(root, JSON_COMPACT);
	}
	mm_ref_release(&r);
out:
	json_decref(root);
	return out;
}

static void
check_ref(const struct mm_ref *r)
{
	static const double vals[ROWS] = { -1e308, -1, 0, 0.5, 1, 2, 1e308,
	    NAN };
	struct mm_drift_cfg cfg;
	struct mm_config all;
	struct mm_drift d;
	struct mm_ref again;
	struct mm_err err = { 0 };
	struct mm_buf b;
	const struct mm_ref_feat *f;
	long **counts, sum;
	double codes[ROWS];
	int i, j, k, bins[ROWS];

	FUZZ_CHECK(r->nfeat > 0);
	counts = mm_xcalloc((size_t)r->nfeat, sizeof(*counts));
	for (i = 0; i < r->nfeat; i++) {
		f = &r->f[i];
		FUZZ_CHECK(f->nbins >= 2);
		FUZZ_CHECK(mm_ref_find(r, f->name) == i);
		counts[i] = mm_xcalloc((size_t)f->nbins, sizeof(long));
		if (f->kind == MM_FEAT_CATEGORICAL) {
			for (j = 0; j < ROWS; j++) {
				k = mm_ref_cat_bin(f, j < f->ncats ?
				    f->cats[j] : "\x01never");
				FUZZ_CHECK(k >= 0 && k < f->nbins - 1);
				if (j < f->ncats)
					FUZZ_CHECK(k == j);
				bins[j] = k;
				codes[j] = j == ROWS - 1 ? NAN : j;
			}
			mm_ref_count_codes(f, codes, ROWS, bins, counts[i]);
		} else {
			for (j = 0; j < ROWS; j++) {
				k = mm_ref_bin(f, vals[j]);
				FUZZ_CHECK(k >= 0 && k < f->nbins);
				FUZZ_CHECK((k == MM_BIN_MISSING(f)) ==
				    isnan(vals[j]));
			}
			mm_ref_count(f, vals, ROWS, counts[i]);
		}
		for (sum = 0, k = 0; k < f->nbins; k++)
			sum += counts[i][k];
		FUZZ_CHECK(sum == ROWS);
		FUZZ_CHECK(counts[i][MM_BIN_MISSING(f)] == 1);
	}
	mm_config_defaults(&all);
	cfg = all.drift;
	mm_drift_init(&d, r->nfeat);
	FUZZ_CHECK(mm_drift_compute(&d, r, counts, ROWS, &cfg) == 0);
	for (i = 0; i < r->nfeat; i++) {
		FUZZ_CHECK(!(d.f[i].psi_adj < 0));
		FUZZ_CHECK(isnan(d.f[i].p_value) ||
		    (d.f[i].p_value >= 0 && d.f[i].p_value <= 1));
	}
	FUZZ_CHECK(d.status >= MM_STABLE && d.status <= MM_SEVERE);
	mm_buf_init(&b);
	mm_drift_json(&d, r, counts, &b);
	FUZZ_CHECK(b.n > 0);
	mm_drift_release(&d);
	for (i = 0; i < r->nfeat; i++)
		free(counts[i]);
	free(counts);

	mm_buf_reset(&b);
	mm_ref_json(r, &b);
	if (mm_ref_parse(&again, b.p, b.n, &err) < 0) {
		fprintf(stderr, "written reference does not read back: %s\n%s",
		    err.msg, b.p);
		FUZZ_CHECK(!"the written reference reads back");
	}
	FUZZ_CHECK(strcmp(again.id, r->id) == 0);
	FUZZ_CHECK(again.nfeat == r->nfeat);
	for (i = 0; i < r->nfeat; i++) {
		FUZZ_CHECK(again.f[i].kind == r->f[i].kind);
		FUZZ_CHECK(again.f[i].nbins == r->f[i].nbins);
		FUZZ_CHECK(memcmp(again.f[i].counts, r->f[i].counts,
		    (size_t)r->f[i].nbins * sizeof(long)) == 0);
	}
	mm_ref_release(&again);
	mm_buf_release(&b);
}

static void
parse(const char *text, size_t len, int retry)
{
	struct mm_ref r;
	struct mm_err err = { 0 };
	char *fixed;

	if (mm_ref_parse(&r, text, len, &err) == 0) {
		check_ref(&r);
		mm_ref_release(&r);
		return;
	}
	FUZZ_CHECK(err.code == MM_EINPUT && *err.msg != '\0');
	if (retry && strstr(err.msg, "its id does not match") != NULL &&
	    (fixed = fix_id(text, len)) != NULL) {
		parse(fixed, strlen(fixed), 0);
		free(fixed);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);

	parse(text, size, 1);
	free(text);
	return 0;
}
