#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "psi.h"

#define REF_FORMAT "mm-reference/1"

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
		mm_buf_printf(b, ",\"n\":%ld,\"missing\":%ld,\"edges\":[",
		    f->n, f->missing);
		for (k = 0; k < f->nedges; k++) {
			if (k > 0)
				mm_buf_putc(b, ',');
			mm_jw_num(b, f->edges[k]);
		}
		mm_buf_puts(b, "],\"counts\":[");
		for (k = 0; k < f->nbins; k++)
			mm_buf_printf(b, k ? ",%ld" : "%ld", f->counts[k]);
		mm_buf_puts(b, "],\"shares\":[");
		for (k = 0; k < f->nbins; k++) {
			if (k > 0)
				mm_buf_putc(b, ',');
			mm_jw_num(b, (double)f->counts[k] / (double)f->n);
		}
		mm_buf_puts(b, "]}");
	}
	mm_buf_putc(b, ']');
}

static void
digest(const struct mm_ref *r, char out[17])
{
	struct mm_buf b;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int i;

	mm_buf_init(&b);
	features_json(r, &b);
	EVP_Digest(b.p, b.n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
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
	    "\"rows\":%ld,\"features\":", REF_FORMAT, r->id, r->bins,
	    r->rows);
	features_json(r, b);
	mm_buf_puts(b, "}\n");
}

static int
bad(struct mm_err *err, const char *path, const char *what)
{
	mm_errf(err, MM_EINPUT, 0, "not an mm reference: %s", what);
	mm_err_where(err, path);
	return -1;
}

static int
load_feature(struct mm_ref_feat *f, json_t *o)
{
	json_t *name = json_object_get(o, "name");
	json_t *edges = json_object_get(o, "edges");
	json_t *counts = json_object_get(o, "counts");
	json_t *n = json_object_get(o, "n");
	json_t *miss = json_object_get(o, "missing");
	size_t i, ne, nb;
	long sum = 0;

	if (!json_is_string(name) || !json_is_array(edges) ||
	    !json_is_array(counts) || !json_is_integer(n))
		return -1;
	ne = json_array_size(edges);
	nb = json_array_size(counts);
	if (ne < 1 || nb != (ne > 1 ? ne - 1 : 1))
		return -1;
	f->name = mm_xstrdup(json_string_value(name));
	f->nedges = (int)ne;
	f->nbins = (int)nb;
	f->edges = mm_xmalloc(ne * sizeof(double));
	f->counts = mm_xmalloc(nb * sizeof(long));
	f->n = (long)json_integer_value(n);
	f->missing = json_is_integer(miss) ? (long)json_integer_value(miss) :
	    0;
	for (i = 0; i < ne; i++) {
		json_t *e = json_array_get(edges, i);

		if (!json_is_number(e))
			return -1;
		f->edges[i] = json_number_value(e);
		if (i > 0 && !(f->edges[i] > f->edges[i - 1]))
			return -1;
	}
	for (i = 0; i < nb; i++) {
		json_t *c = json_array_get(counts, i);

		if (!json_is_integer(c) || json_integer_value(c) < 0)
			return -1;
		f->counts[i] = (long)json_integer_value(c);
		sum += f->counts[i];
	}
	return sum == f->n && f->n > 0 ? 0 : -1;
}

int
mm_ref_load(struct mm_ref *r, const char *path, struct mm_err *err)
{
	json_error_t jerr;
	json_t *root, *feats, *id, *bins, *rows;
	size_t i;
	char want[17];
	struct stat st;
	FILE *fp;
	int rc = -1;

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
	root = json_loadf(fp, 0, &jerr);
	fclose(fp);
	if (root == NULL) {
		mm_errf(err, MM_EINPUT, jerr.line, "invalid reference JSON: %s",
		    jerr.text);
		mm_err_where(err, path);
		return -1;
	}
	if (!json_is_object(root) || !json_is_string(json_object_get(root,
	    "format")) || strcmp(json_string_value(json_object_get(root,
	    "format")), REF_FORMAT) != 0) {
		bad(err, path, "no \"format\":\"" REF_FORMAT "\"");
		goto out;
	}
	feats = json_object_get(root, "features");
	if (!json_is_array(feats) || json_array_size(feats) == 0) {
		bad(err, path, "no features");
		goto out;
	}
	bins = json_object_get(root, "bins");
	rows = json_object_get(root, "rows");
	r->bins = json_is_integer(bins) ? (long)json_integer_value(bins) : 0;
	r->rows = json_is_integer(rows) ? (long)json_integer_value(rows) : 0;
	r->f = mm_xcalloc(json_array_size(feats), sizeof(*r->f));
	for (i = 0; i < json_array_size(feats); i++) {
		r->nfeat++;
		if (load_feature(&r->f[i], json_array_get(feats, i)) < 0) {
			char what[64];

			snprintf(what, sizeof(what), "feature %zu is malformed",
			    i);
			bad(err, path, what);
			goto out;
		}
		if (mm_ref_find(r, r->f[i].name) != (int)i) {
			bad(err, path, "a feature appears twice");
			goto out;
		}
	}
	digest(r, want);
	id = json_object_get(root, "id");
	if (!json_is_string(id) || strcmp(json_string_value(id), want) != 0) {
		bad(err, path, "its id does not match its contents (edited?)");
		goto out;
	}
	memcpy(r->id, want, sizeof(want));
	rc = 0;
out:
	if (rc < 0)
		mm_ref_release(r);
	json_decref(root);
	return rc;
}
