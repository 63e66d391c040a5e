#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ref.h"
#include "sha.h"

#define REF_FORMAT "mm-reference/2"
#define REF_FORMAT_1 "mm-reference/1"

static void
put_nums(struct mm_buf *b, const double *v, int n)
{
	int k;

	mm_buf_putc(b, '[');
	for (k = 0; k < n; k++) {
		if (k > 0)
			mm_buf_putc(b, ',');
		mm_jw_num(b, v[k]);
	}
	mm_buf_putc(b, ']');
}

static void
put_counts(struct mm_buf *b, const long *c, int n)
{
	int k;

	mm_buf_putc(b, '[');
	for (k = 0; k < n; k++)
		mm_buf_printf(b, k ? ",%ld" : "%ld", c[k]);
	mm_buf_putc(b, ']');
}

/* The features array, which the id digests. */
static void
features_json(const struct mm_ref *r, struct mm_buf *b)
{
	int i, k;

	mm_buf_putc(b, '[');
	for (i = 0; i < r->nfeat; i++) {
		const struct mm_ref_feat *f = &r->f[i];

		if (i > 0)
			mm_buf_putc(b, ',');
		mm_buf_puts(b, "{\"name\":");
		mm_jw_str(b, f->name);
		mm_buf_printf(b, ",\"kind\":\"%s\",\"n\":%ld,",
		    mm_feat_kind_names[f->kind], f->n);
		switch (f->kind) {
		case MM_FEAT_NUMERIC:
			mm_buf_puts(b, "\"edges\":");
			put_nums(b, f->edges, f->nedges);
			break;
		case MM_FEAT_DISCRETE:
			mm_buf_puts(b, "\"values\":");
			put_nums(b, f->vals, f->nvals);
			break;
		default:
			mm_buf_puts(b, "\"categories\":[");
			for (k = 0; k < f->ncats; k++) {
				if (k > 0)
					mm_buf_putc(b, ',');
				mm_jw_str(b, f->cats[k]);
			}
			mm_buf_putc(b, ']');
			break;
		}
		mm_buf_puts(b, ",\"counts\":");
		put_counts(b, f->counts, f->nbins);
		mm_buf_putc(b, '}');
	}
	mm_buf_putc(b, ']');
}

static void
digest_text(const struct mm_buf *b, char out[17])
{
	char hex[MM_SHA_HEX];

	mm_sha256_hex(b->p, b->n, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

static void
digest(const struct mm_ref *r, char out[17])
{
	struct mm_buf b;

	mm_buf_init(&b);
	features_json(r, &b);
	digest_text(&b, out);
	mm_buf_release(&b);
}

void
mm_ref_finish(struct mm_ref *r)
{
	digest(r, r->id);
}

void
mm_ref_json(const struct mm_ref *r, struct mm_buf *b)
{
	mm_buf_printf(b, "{\"format\":\"%s\",\"id\":\"%s\",\"bins\":%ld,"
	    "\"max_categories\":%ld,\"rows\":%ld,\"features\":", REF_FORMAT,
	    r->id, r->bins, r->max_categories, r->rows);
	features_json(r, b);
	mm_buf_puts(b, "}\n");
}

/* The id an mm-reference/1 file carries: its features as mm 0.1 wrote. */
static void
digest_v1(json_t *feats, char out[17])
{
	struct mm_buf b;
	size_t i, k;

	mm_buf_init(&b);
	mm_buf_putc(&b, '[');
	for (i = 0; i < json_array_size(feats); i++) {
		json_t *o = json_array_get(feats, i);
		json_t *e = json_object_get(o, "edges");
		json_t *c = json_object_get(o, "counts");
		long n = (long)json_integer_value(json_object_get(o, "n"));

		if (i > 0)
			mm_buf_putc(&b, ',');
		mm_buf_puts(&b, "{\"name\":");
		mm_jw_str(&b, json_string_value(json_object_get(o, "name")));
		mm_buf_printf(&b, ",\"n\":%ld,\"missing\":%ld,\"edges\":[", n,
		    (long)json_integer_value(json_object_get(o, "missing")));
		for (k = 0; k < json_array_size(e); k++) {
			if (k > 0)
				mm_buf_putc(&b, ',');
			mm_jw_num(&b, json_number_value(json_array_get(e, k)));
		}
		mm_buf_puts(&b, "],\"counts\":[");
		for (k = 0; k < json_array_size(c); k++)
			mm_buf_printf(&b, k ? ",%ld" : "%ld", (long)
			    json_integer_value(json_array_get(c, k)));
		mm_buf_puts(&b, "],\"shares\":[");
		for (k = 0; k < json_array_size(c); k++) {
			if (k > 0)
				mm_buf_putc(&b, ',');
			mm_jw_num(&b, (double)json_integer_value(
			    json_array_get(c, k)) / (double)n);
		}
		mm_buf_puts(&b, "]}");
	}
	mm_buf_putc(&b, ']');
	digest_text(&b, out);
	mm_buf_release(&b);
}

static int
read_nums(json_t *a, double **out, int *n, int strictly_up)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > 1000000)
		return -1;
	*n = (int)json_array_size(a);
	*out = mm_xmalloc(json_array_size(a) * sizeof(double));
	for (i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);

		if (!json_is_number(e))
			return -1;
		/* -0 is 0, as mm writes it, so the id stays the same. */
		(*out)[i] = json_number_value(e) + 0.0;
		if (strictly_up && i > 0 && !((*out)[i] > (*out)[i - 1]))
			return -1;
	}
	return 0;
}

static int
read_counts(json_t *a, struct mm_ref_feat *f, long *sum)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != (size_t)f->nbins)
		return -1;
	f->counts = mm_xcalloc((size_t)f->nbins, sizeof(long));
	*sum = 0;
	for (i = 0; i < (size_t)f->nbins; i++) {
		json_t *c = json_array_get(a, i);

		if (!json_is_integer(c) || json_integer_value(c) < 0 ||
		    json_integer_value(c) > (json_int_t)1 << 50)
			return -1;
		f->counts[i] = (long)json_integer_value(c);
		/* n is at most 2^50 too: a sum past it is no reference. */
		if (__builtin_add_overflow(*sum, f->counts[i], sum) ||
		    *sum > (long)1 << 50)
			return -1;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b, void *cats)
{
	char **c = cats;

	return strcmp(c[*(const int *)a], c[*(const int *)b]);
}

static int
load_feature(struct mm_ref_feat *f, json_t *o)
{
	json_t *name = json_object_get(o, "name");
	json_t *kind = json_object_get(o, "kind");
	json_t *n = json_object_get(o, "n");
	json_t *cats;
	const char *ks;
	long sum;
	size_t i;
	int k;

	if (!json_is_string(name) || !json_is_string(kind) ||
	    !json_is_integer(n) || json_integer_value(n) <= 0)
		return -1;
	f->name = mm_xstrdup(json_string_value(name));
	f->n = (long)json_integer_value(n);
	ks = json_string_value(kind);
	if (strcmp(ks, "numeric") == 0) {
		f->kind = MM_FEAT_NUMERIC;
		if (read_nums(json_object_get(o, "edges"), &f->edges,
		    &f->nedges, 1) < 0 || f->nedges < 2)
			return -1;
		f->nbins = f->nedges;
	} else if (strcmp(ks, "discrete") == 0) {
		f->kind = MM_FEAT_DISCRETE;
		if (read_nums(json_object_get(o, "values"), &f->vals,
		    &f->nvals, 1) < 0)
			return -1;
		f->nbins = f->nvals + 2;
	} else if (strcmp(ks, "categorical") == 0) {
		f->kind = MM_FEAT_CATEGORICAL;
		cats = json_object_get(o, "categories");
		if (!json_is_array(cats) || json_array_size(cats) > 100000)
			return -1;
		f->cats = mm_xcalloc(json_array_size(cats) + 1,
		    sizeof(char *));
		for (i = 0; i < json_array_size(cats); i++) {
			json_t *c = json_array_get(cats, i);

			if (!json_is_string(c))
				return -1;
			f->cats[f->ncats++] = mm_xstrdup(json_string_value(c));
		}
		f->cat_order = mm_xmalloc((size_t)(f->ncats + 1) *
		    sizeof(int));
		for (k = 0; k < f->ncats; k++)
			f->cat_order[k] = k;
		qsort_r(f->cat_order, (size_t)f->ncats, sizeof(int), cmp_str,
		    f->cats);
		for (k = 1; k < f->ncats; k++)
			if (strcmp(f->cats[f->cat_order[k]],
			    f->cats[f->cat_order[k - 1]]) == 0)
				return -1;
		f->nbins = f->ncats + 2;
	} else {
		return -1;
	}
	if (read_counts(json_object_get(o, "counts"), f, &sum) < 0)
		return -1;
	return sum == f->n ? 0 : -1;
}

/* An mm-reference/1 feature: numeric bins, missing counted apart. */
static int
load_feature_v1(struct mm_ref_feat *f, json_t *o)
{
	json_t *name = json_object_get(o, "name");
	json_t *counts = json_object_get(o, "counts");
	json_t *n = json_object_get(o, "n");
	json_t *miss = json_object_get(o, "missing");
	double *e = NULL;
	size_t i, nb;
	long sum = 0, missing;
	int ne;

	if (!json_is_string(name) || !json_is_integer(n) ||
	    json_integer_value(n) <= 0 || !json_is_array(counts))
		return -1;
	missing = json_is_integer(miss) ? (long)json_integer_value(miss) : 0;
	if (missing < 0 || read_nums(json_object_get(o, "edges"), &e, &ne,
	    1) < 0) {
		free(e);
		return -1;
	}
	f->name = mm_xstrdup(json_string_value(name));
	nb = json_array_size(counts);
	if (nb != (size_t)(ne > 1 ? ne - 1 : 1)) {
		free(e);
		return -1;
	}
	if (ne == 1) {		/* one distinct value */
		f->kind = MM_FEAT_DISCRETE;
		f->vals = e;
		f->nvals = 1;
		f->nbins = 3;
	} else {
		f->kind = MM_FEAT_NUMERIC;
		f->edges = e;
		f->nedges = ne;
		f->nbins = ne;
	}
	f->counts = mm_xcalloc((size_t)f->nbins, sizeof(long));
	for (i = 0; i < nb; i++) {
		json_t *c = json_array_get(counts, i);

		if (!json_is_integer(c) || json_integer_value(c) < 0)
			return -1;
		f->counts[i] = (long)json_integer_value(c);
		if (__builtin_add_overflow(sum, f->counts[i], &sum) ||
		    sum > (long)1 << 50)
			return -1;
	}
	if (sum != (long)json_integer_value(n) || missing > (long)1 << 50 ||
	    sum + missing > (long)1 << 50)
		return -1;
	f->counts[MM_BIN_MISSING(f)] = missing;
	f->n = sum + missing;
	return 0;
}

static int
bad(struct mm_err *err, const char *what)
{
	return mm_errf(err, MM_EINPUT, 0, "not an mm reference: %s", what);
}

int
mm_ref_parse(struct mm_ref *r, const char *text, size_t len,
    struct mm_err *err)
{
	json_error_t jerr;
	json_t *root, *feats, *id, *fmt;
	size_t i;
	char want[17];
	int rc = -1, v1;

	mm_ref_init(r);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		return mm_errf(err, MM_EINPUT, jerr.line,
		    "invalid reference JSON: %s", jerr.text);
	fmt = json_object_get(root, "format");
	if (!json_is_object(root) || !json_is_string(fmt) ||
	    (strcmp(json_string_value(fmt), REF_FORMAT) != 0 &&
	    strcmp(json_string_value(fmt), REF_FORMAT_1) != 0)) {
		bad(err, "no \"format\":\"" REF_FORMAT "\"");
		goto out;
	}
	v1 = strcmp(json_string_value(fmt), REF_FORMAT_1) == 0;
	feats = json_object_get(root, "features");
	if (!json_is_array(feats) || json_array_size(feats) == 0) {
		bad(err, "no features");
		goto out;
	}
	r->bins = (long)json_integer_value(json_object_get(root, "bins"));
	r->max_categories = (long)json_integer_value(json_object_get(root,
	    "max_categories"));
	r->rows = (long)json_integer_value(json_object_get(root, "rows"));
	r->f = mm_xcalloc(json_array_size(feats), sizeof(*r->f));
	for (i = 0; i < json_array_size(feats); i++) {
		json_t *o = json_array_get(feats, i);

		r->nfeat++;
		if ((v1 ? load_feature_v1(&r->f[i], o) :
		    load_feature(&r->f[i], o)) < 0) {
			char what[64];

			snprintf(what, sizeof(what), "feature %zu is malformed",
			    i);
			bad(err, what);
			goto out;
		}
		if (mm_ref_find(r, r->f[i].name) != (int)i) {
			bad(err, "a feature appears twice");
			goto out;
		}
	}
	if (v1)
		digest_v1(feats, want);
	else
		digest(r, want);
	id = json_object_get(root, "id");
	if (!json_is_string(id) || strcmp(json_string_value(id), want) != 0) {
		bad(err, "its id does not match its contents (edited?)");
		goto out;
	}
	/* A reference from older mm is known by its new form's id. */
	if (v1)
		digest(r, want);
	memcpy(r->id, want, sizeof(want));
	rc = 0;
out:
	if (rc < 0)
		mm_ref_release(r);
	json_decref(root);
	return rc;
}

int
mm_ref_load(struct mm_ref *r, const char *path, struct mm_err *err)
{
	struct mm_buf b;
	struct stat st;
	char chunk[65536];
	size_t n;
	FILE *fp;
	int rc;

	mm_ref_init(r);
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) != 0 ||
	    S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_ESYS, 0, "cannot read reference: %s",
		    fp == NULL ? strerror(errno) : "is a directory");
		mm_err_where(err, path);
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	mm_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		mm_buf_put(&b, chunk, n);
	if (ferror(fp)) {
		mm_errf(err, MM_ESYS, 0, "cannot read reference: %s",
		    strerror(errno));
		mm_err_where(err, path);
		fclose(fp);
		mm_buf_release(&b);
		return -1;
	}
	fclose(fp);
	rc = mm_ref_parse(r, b.p ? b.p : "", b.n, err);
	if (rc < 0)
		mm_err_where(err, path);
	mm_buf_release(&b);
	return rc;
}
