#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sha.h"
#include "store.h"

void
mm_model_init(struct mm_model *m)
{
	memset(m, 0, sizeof(*m));
}

void
mm_model_release(struct mm_model *m)
{
	int i;

	mm_forest_release(&m->forest);
	for (i = 0; i < m->nfeat; i++)
		free(m->features[i]);
	free(m->features);
	memset(m, 0, sizeof(*m));
}

static void
int_array(struct mm_buf *b, const char *key, const int *v, int n)
{
	int i;

	mm_buf_printf(b, "\"%s\":[", key);
	for (i = 0; i < n; i++)
		mm_buf_printf(b, i ? ",%d" : "%d", v[i]);
	mm_buf_putc(b, ']');
}

void
mm_model_json(const struct mm_forest *f, const char *const *features,
    struct mm_buf *b)
{
	const struct mm_forest_params *p = &f->params;
	int i, t;

	mm_buf_printf(b, "{\"format\":\"%s\",\"features\":[", MM_MODEL_FORMAT);
	for (i = 0; i < f->d; i++) {
		if (i > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, features[i]);
	}
	mm_buf_printf(b, "],\"classes\":%d,\"params\":{\"n_estimators\":%d,"
	    "\"max_depth\":%d,\"min_samples_leaf\":%d,\"max_features\":%d,"
	    "\"seed\":%lu},\"trees\":[", f->nclass, p->n_estimators,
	    p->max_depth, p->min_samples_leaf, p->max_features, p->seed);
	for (t = 0; t < f->ntrees; t++) {
		const struct mm_tree *tr = &f->trees[t];

		mm_buf_puts(b, t ? ",\n{" : "\n{");
		int_array(b, "feature", tr->feature, tr->n);
		mm_buf_puts(b, ",\"threshold\":[");
		for (i = 0; i < tr->n; i++) {
			if (i > 0)
				mm_buf_putc(b, ',');
			mm_jw_num(b, tr->threshold[i]);
		}
		mm_buf_putc(b, ']');
		mm_buf_putc(b, ',');
		int_array(b, "left", tr->left, tr->n);
		mm_buf_putc(b, ',');
		int_array(b, "right", tr->right, tr->n);
		mm_buf_puts(b, ",\"counts\":[");
		for (i = 0; i < tr->n * f->nclass; i++)
			mm_buf_printf(b, i ? ",%.0f" : "%.0f", tr->value[i]);
		mm_buf_puts(b, "]}");
	}
	mm_buf_puts(b, "]}\n");
}

static int
bad(struct mm_err *err, const char *what, int tree)
{
	if (tree >= 0)
		return mm_errf(err, MM_EINPUT, 0, "not an mm model: tree %d: "
		    "%s", tree, what);
	return mm_errf(err, MM_EINPUT, 0, "not an mm model: %s", what);
}

/* An array of n numbers (ints when integer) from o[key]. */
static int
numbers(json_t *o, const char *key, size_t n, int integer, double *out)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	json_array_foreach(a, i, v) {
		if (integer ? !json_is_integer(v) : !json_is_number(v))
			return -1;
		out[i] = json_number_value(v);
	}
	return 0;
}

static int
load_tree(struct mm_tree *t, json_t *o, int d, int K)
{
	json_t *feat = json_object_get(o, "feature");
	double *tmp;
	size_t n, i;
	int rc = -1, k;

	if (!json_is_array(feat) || (n = json_array_size(feat)) == 0 ||
	    n > 1000000)
		return -1;
	tmp = mm_xmalloc(n * (size_t)(K > 1 ? K : 1) * sizeof(double));
	for (i = 0; i < n; i++)
		mm_tree_add_node(t, K);
	if (numbers(o, "feature", n, 1, tmp) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (tmp[i] < -1 || tmp[i] >= d)
			goto out;
		t->feature[i] = (int)tmp[i];
	}
	if (numbers(o, "threshold", n, 0, t->threshold) < 0)
		goto out;
	if (numbers(o, "left", n, 1, tmp) < 0)
		goto out;
	for (i = 0; i < n; i++)
		t->left[i] = (int)tmp[i];
	if (numbers(o, "right", n, 1, tmp) < 0)
		goto out;
	for (i = 0; i < n; i++)
		t->right[i] = (int)tmp[i];
	if (numbers(o, "counts", n * (size_t)K, 1, t->value) < 0)
		goto out;
	/* Children come after their parent, so every walk ends. */
	for (i = 0; i < n; i++) {
		double sum = 0;

		if (t->feature[i] < 0) {
			for (k = 0; k < K; k++) {
				if (t->value[i * K + k] < 0)
					goto out;
				sum += t->value[i * K + k];
			}
			if (sum <= 0)
				goto out;
			continue;
		}
		if (t->left[i] <= (int)i || t->right[i] <= (int)i ||
		    t->left[i] >= (int)n || t->right[i] >= (int)n)
			goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
mm_model_parse(struct mm_model *m, const char *text, size_t len,
    struct mm_err *err)
{
	json_error_t jerr;
	json_t *root, *fmt, *feats, *classes, *trees, *params, *v;
	struct mm_forest *f = &m->forest;
	size_t i;
	int rc = -1;

	mm_model_init(m);
	root = json_loadb(text, len, 0, &jerr);
	if (root == NULL)
		return mm_errf(err, MM_EINPUT, jerr.line, "invalid model "
		    "JSON: %s", jerr.text);
	fmt = json_object_get(root, "format");
	feats = json_object_get(root, "features");
	classes = json_object_get(root, "classes");
	trees = json_object_get(root, "trees");
	params = json_object_get(root, "params");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt),
	    MM_MODEL_FORMAT) != 0) {
		bad(err, "no \"format\":\"" MM_MODEL_FORMAT "\"", -1);
		goto out;
	}
	if (!json_is_array(feats) || json_array_size(feats) == 0 ||
	    !json_is_integer(classes) || json_integer_value(classes) < 2 ||
	    json_integer_value(classes) > MM_MAX_CLASSES || !json_is_array(trees) ||
	    json_array_size(trees) == 0) {
		bad(err, "features, classes or trees missing", -1);
		goto out;
	}
	m->nfeat = (int)json_array_size(feats);
	m->features = mm_xcalloc((size_t)m->nfeat, sizeof(char *));
	json_array_foreach(feats, i, v) {
		if (!json_is_string(v)) {
			bad(err, "a feature name is not a string", -1);
			goto out;
		}
		m->features[i] = mm_xstrdup(json_string_value(v));
	}
	f->d = m->nfeat;
	f->nclass = (int)json_integer_value(classes);
	f->trees = mm_xcalloc(json_array_size(trees), sizeof(*f->trees));
	json_array_foreach(trees, i, v) {
		f->ntrees++;
		if (!json_is_object(v) || load_tree(&f->trees[i], v, f->d,
		    f->nclass) < 0) {
			bad(err, "malformed", (int)i);
			goto out;
		}
	}
	if (json_is_object(params)) {
		f->params.n_estimators = (int)json_integer_value(
		    json_object_get(params, "n_estimators"));
		f->params.max_depth = (int)json_integer_value(
		    json_object_get(params, "max_depth"));
		f->params.min_samples_leaf = (int)json_integer_value(
		    json_object_get(params, "min_samples_leaf"));
		f->params.max_features = (int)json_integer_value(
		    json_object_get(params, "max_features"));
		f->params.seed = (unsigned long)json_integer_value(
		    json_object_get(params, "seed"));
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		mm_model_release(m);
	return rc;
}

int
mm_model_load(struct mm_model *m, const char *dir, const char *version,
    struct mm_err *err)
{
	char path[4096], sum[MM_SHA_HEX];
	char *card = NULL, *text = NULL;
	size_t clen, tlen;
	json_t *root = NULL, *want;
	int rc = -1;

	mm_model_init(m);
	snprintf(path, sizeof(path), "%s/versions/%s/model.json", dir,
	    version);
	/* A version that is not there is the caller's mistake (input);
	   a version missing one of its files is a broken store. */
	if (mm_store_read_file(dir, version, "card.json", &card, &clen,
	    err) < 0)
		goto out;
	if (mm_store_read_file(dir, version, "model.json", &text, &tlen,
	    err) < 0) {
		err->code = MM_ESYS;
		goto out;
	}
	root = json_loadb(card, clen, 0, NULL);
	want = root ? json_object_get(root, "model_sha256") : NULL;
	mm_sha256_hex(text, tlen, sum);
	if (!json_is_string(want) || strcmp(json_string_value(want),
	    sum) != 0) {
		mm_errf(err, MM_ESYS, 0, "corrupt: does not match the "
		    "checksum in card.json (edited or truncated?)");
		mm_err_where(err, path);
		goto out;
	}
	if (mm_model_parse(m, text, tlen, err) < 0) {
		err->code = MM_ESYS;
		mm_err_where(err, path);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	free(card);
	free(text);
	return rc;
}
