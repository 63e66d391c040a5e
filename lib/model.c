#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "sha.h"
#include "store.h"

void
mm_model_init(struct mm_model *m)
{
	memset(m, 0, sizeof(*m));
	mm_schema_init(&m->schema);
}

void
mm_model_release(struct mm_model *m)
{
	int i;

	mm_forest_release(&m->forest);
	for (i = 0; i < m->nfeat; i++)
		free(m->features[i]);
	free(m->features);
	mm_schema_release(&m->schema);
	memset(m, 0, sizeof(*m));
	mm_schema_init(&m->schema);
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
    const struct mm_schema *s, struct mm_buf *b)
{
	const struct mm_forest_params *p = &f->params;
	struct mm_schema def;
	int i, t;

	mm_schema_init(&def);
	if (s == NULL) {
		mm_schema_default(&def, features, f->d, f->nclass);
		s = &def;
	}
	mm_buf_printf(b, "{\"format\":\"%s\",\"features\":[", MM_MODEL_FORMAT);
	for (i = 0; i < f->d; i++) {
		if (i > 0)
			mm_buf_putc(b, ',');
		mm_jw_str(b, s->f[i].name);
	}
	mm_buf_printf(b, "],\"classes\":%d,\"schema\":", f->nclass);
	mm_schema_json(s, b);
	mm_schema_release(&def);
	mm_buf_printf(b, ",\"params\":{\"n_estimators\":%d,"
	    "\"max_depth\":%d,\"min_samples_leaf\":%d,\"max_features\":%d,"
	    "\"seed\":%lu},\"trees\":[", p->n_estimators,
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
		mm_buf_puts(b, ",\"missing_right\":[");
		for (i = 0; i < tr->n; i++)
			mm_buf_puts(b, tr->mright[i] ? i ? ",1" : "1" :
			    i ? ",0" : "0");
		mm_buf_putc(b, ']');
		mm_buf_puts(b, ",\"counts\":[");
		for (i = 0; i < tr->n * f->nclass; i++) {
			if (i > 0)
				mm_buf_putc(b, ',');
			mm_jw_num(b, tr->value[i]);
		}
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

/*
 * The numbers of the JSON array at v into out (room for max); integer:
 * each must be a whole number.  The count goes to *cnt.  0 or -1.
 */
static int
span_numbers(const struct mm_span *v, int integer, double *out, size_t max,
    size_t *cnt)
{
	const char *p = v->p, *q;
	size_t n = 0;
	double x;

	if (*p != '[')
		return -1;
	p = mm_json_ws(p + 1);
	if (*p != ']') {
		for (;;) {
			if ((q = mm_json_number(p, &x)) == NULL || n == max ||
			    (integer && x != floor(x)))
				return -1;
			out[n++] = x;
			p = mm_json_ws(q);
			if (*p == ']')
				break;
			if (*p != ',')
				return -1;
			p = mm_json_ws(p + 1);
		}
	}
	*cnt = n;
	return 0;
}

static const struct mm_span *
field(const struct mm_rec *r, const char *key)
{
	const struct mm_field *f = mm_rec_get(r, key);

	return f ? &f->val : NULL;
}

/* One tree from the text of its object (a span of model.json). */
static int
load_tree(struct mm_tree *t, const struct mm_span *obj, int d, int K,
    struct mm_rec *rec)
{
	const struct mm_span *feat, *thr, *left, *right, *counts, *mr;
	double *tmp;
	size_t n, c, i, cap;
	int rc = -1, k;

	if (mm_rec_parse(rec, obj->p, obj->n, NULL, NULL, NULL) < 0 ||
	    (feat = field(rec, "feature")) == NULL ||
	    (thr = field(rec, "threshold")) == NULL ||
	    (left = field(rec, "left")) == NULL ||
	    (right = field(rec, "right")) == NULL ||
	    (counts = field(rec, "counts")) == NULL)
		return -1;
	cap = feat->n / 2 + 1;
	tmp = mm_xmalloc(cap * (size_t)K * sizeof(double));
	if (span_numbers(feat, 1, tmp, cap, &n) < 0 || n == 0 || n > 1000000)
		goto out;
	mm_tree_nodes(t, n, K);
	for (i = 0; i < n; i++) {
		if (tmp[i] < -1 || tmp[i] >= d)
			goto out;
		t->feature[i] = (int)tmp[i];
	}
	if (span_numbers(thr, 0, t->threshold, n, &c) < 0 || c != n)
		goto out;
	/* A threshold past the doubles could not be written back. */
	for (i = 0; i < n; i++)
		if (!isfinite(t->threshold[i]))
			goto out;
	if (span_numbers(left, 1, tmp, n, &c) < 0 || c != n)
		goto out;
	for (i = 0; i < n; i++) {
		/* Checked before the cast: a double past an int is no index. */
		if (!(tmp[i] >= -1 && tmp[i] < (double)n))
			goto out;
		t->left[i] = (int)tmp[i];
	}
	if (span_numbers(right, 1, tmp, n, &c) < 0 || c != n)
		goto out;
	for (i = 0; i < n; i++) {
		if (!(tmp[i] >= -1 && tmp[i] < (double)n))
			goto out;
		t->right[i] = (int)tmp[i];
	}
	if (span_numbers(counts, 1, t->value, n * (size_t)K, &c) < 0 ||
	    c != n * (size_t)K)
		goto out;
	if ((mr = field(rec, "missing_right")) != NULL) {
		if (span_numbers(mr, 1, tmp, n, &c) < 0 || c != n)
			goto out;
		for (i = 0; i < n; i++) {
			if (tmp[i] != 0 && tmp[i] != 1)
				goto out;
			t->mright[i] = tmp[i] != 0;
		}
	}
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

/* Where each tree's object is in the text of model.json. */
struct trees {
	struct mm_span *spans;
	size_t n, cap;
	int found;
};

/*
 * The objects of the array at p into t, each validated as the scanner
 * would: the position after the array, or NULL with err.
 */
static const char *
tree_spans(struct trees *t, const char *p, struct mm_err *err)
{
	const char *a = p, *q;

	t->n = 0;
	t->found = 1;
	if (*p != '[')
		return mm_json_skip(p, err);
	p = mm_json_ws(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		/* A bad array: what the scanner says of it, word for word. */
		if ((q = mm_json_skip(p, NULL)) == NULL)
			return mm_json_skip(a, err);
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 256;
			t->spans = mm_xrealloc(t->spans, t->cap *
			    sizeof(*t->spans));
		}
		t->spans[t->n].p = p;
		t->spans[t->n++].n = (size_t)(q - p);
		p = mm_json_ws(q);
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return mm_json_skip(a, err);
		p = mm_json_ws(p + 1);
	}
}

/*
 * mm_rec_parse's hook: the trees are found as the text is validated,
 * not in a second pass over the largest part of the file.
 */
static int
trees_hook(void *ctx, const struct mm_span *key, const char **pp,
    struct mm_err *err)
{
	if (key->n != 5 || memcmp(key->p, "trees", 5) != 0)
		return 0;
	if ((*pp = tree_spans(ctx, *pp, err)) == NULL)
		return -1;
	return 1;
}

/* A small field as a JSON value (new reference), or NULL. */
static json_t *
small(const struct mm_rec *r, const char *key)
{
	const struct mm_span *v = field(r, key);

	return v ? json_loadb(v->p, v->n, JSON_DECODE_ANY, NULL) : NULL;
}

/*
 * The schema, which must name the model's features in order and have
 * its number of classes; a model without one has the default.
 */
static int
model_schema(struct mm_model *m, const struct mm_span *v, struct mm_err *err)
{
	struct mm_schema *s = &m->schema;
	char why[sizeof(err->msg)];
	int j;

	if (v == NULL) {
		mm_schema_default(s, (const char *const *)m->features,
		    m->nfeat, m->forest.nclass);
		return 0;
	}
	if (*v->p != '{' || mm_schema_parse(s, v->p, v->n, err) < 0) {
		snprintf(why, sizeof(why), "%s", *v->p != '{' ? "not an "
		    "object" : err->msg);
		return mm_errf(err, MM_EINPUT, 0, "not an mm model: schema: %s",
		    why);
	}
	for (j = 0; s->nfeat == m->nfeat && j < m->nfeat; j++)
		if (strcmp(s->f[j].name, m->features[j]) != 0)
			break;
	if (s->nfeat != m->nfeat || j < m->nfeat ||
	    s->nclass != m->forest.nclass)
		return bad(err, "the schema does not match the features and "
		    "classes", -1);
	return 0;
}

/*
 * Parsed with mm's own scanner rather than a JSON tree: a model holds
 * some hundred thousand numbers, and loading it is on every program's
 * start-up path.
 */
int
mm_model_parse(struct mm_model *m, const char *text, size_t len,
    struct mm_err *err)
{
	struct mm_rec top, sub;
	const struct mm_span *trees;
	struct mm_forest *f = &m->forest;
	struct mm_span one;
	json_t *fmt = NULL, *feats = NULL, *classes = NULL, *params = NULL;
	json_t *v;
	struct trees ts = { 0 };
	size_t i;
	int rc = -1, ntrees = 0;

	mm_model_init(m);
	mm_rec_init(&top);
	mm_rec_init(&sub);
	if (*mm_json_ws(text) != '{' && *mm_json_ws(text) != '\0') {
		bad(err, "no \"format\":\"" MM_MODEL_FORMAT "\"", -1);
		goto out;
	}
	if (mm_rec_parse(&top, text, len, trees_hook, &ts, err) < 0) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		mm_errf(err, MM_EINPUT, 0, "invalid model JSON: %s", why);
		goto out;
	}
	fmt = small(&top, "format");
	feats = small(&top, "features");
	classes = small(&top, "classes");
	params = small(&top, "params");
	trees = field(&top, "trees");
	if (!json_is_string(fmt) || (strcmp(json_string_value(fmt),
	    MM_MODEL_FORMAT) != 0 && strcmp(json_string_value(fmt),
	    "mm-forest/1") != 0)) {
		bad(err, "no \"format\":\"" MM_MODEL_FORMAT "\"", -1);
		goto out;
	}
	if (!json_is_array(feats) || json_array_size(feats) == 0 ||
	    !json_is_integer(classes) || json_integer_value(classes) < 2 ||
	    json_integer_value(classes) > MM_MAX_CLASSES || trees == NULL ||
	    *trees->p != '[') {
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
	if (model_schema(m, field(&top, "schema"), err) < 0)
		goto out;
	/* A "trees" key written with escapes was not seen by the hook. */
	if (!ts.found)
		tree_spans(&ts, trees->p, err);
	ntrees = (int)ts.n;
	if (ntrees == 0) {
		bad(err, "features, classes or trees missing", -1);
		goto out;
	}
	f->trees = mm_xcalloc((size_t)ntrees, sizeof(*f->trees));
	while (f->ntrees < ntrees) {
		one = ts.spans[f->ntrees++];
		if (*one.p != '{' || load_tree(&f->trees[f->ntrees - 1], &one,
		    f->d, f->nclass, &sub) < 0) {
			bad(err, "malformed", f->ntrees - 1);
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
	mm_forest_prepare(f);
	rc = 0;
out:
	json_decref(fmt);
	json_decref(feats);
	json_decref(classes);
	json_decref(params);
	free(ts.spans);
	mm_rec_release(&top);
	mm_rec_release(&sub);
	if (rc < 0)
		mm_model_release(m);
	return rc;
}

/* 1 if the store in dir has a directory for version. */
static int
version_is_dir(const char *dir, const char *version)
{
	char path[4096];
	struct stat st;

	if (version[0] == '.' || strchr(version, '/') != NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/versions/%s", dir, version);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
mm_model_load(struct mm_model *m, const char *dir, const char *version,
    struct mm_err *err)
{
	char path[4096], cpath[4096], sum[MM_SHA_HEX];
	char *card = NULL, *text = NULL;
	size_t clen, tlen;
	json_t *root = NULL, *want;
	json_error_t jerr;
	int rc = -1;

	mm_model_init(m);
	snprintf(path, sizeof(path), "%s/versions/%s/model.json", dir,
	    version);
	snprintf(cpath, sizeof(cpath), "%s/versions/%s/card.json", dir,
	    version);
	/* A version that is not there is the caller's mistake (input);
	   a version missing one of its files is a broken store. */
	if (mm_store_read_file(dir, version, "card.json", &card, &clen,
	    err) < 0) {
		if (err != NULL && err->code == MM_EINPUT &&
		    version_is_dir(dir, version))
			err->code = MM_ESYS;
		goto out;
	}
	if (mm_store_read_file(dir, version, "model.json", &text, &tlen,
	    err) < 0) {
		err->code = MM_ESYS;
		goto out;
	}
	/* The card is what is wrong when it is not one: say so, not that
	   model.json does not match it. */
	if ((root = json_loadb(card, clen, 0, &jerr)) == NULL) {
		mm_errf(err, MM_ESYS, 0, "corrupt: %s", jerr.text);
		mm_err_where(err, cpath);
		goto out;
	}
	want = json_object_get(root, "model_sha256");
	if (!json_is_object(root) || !json_is_string(want) ||
	    strlen(json_string_value(want)) != MM_SHA_HEX - 1 ||
	    strspn(json_string_value(want), "0123456789abcdef") !=
	    MM_SHA_HEX - 1) {
		mm_errf(err, MM_ESYS, 0, "corrupt: %s", !json_is_object(root) ?
		    "not a JSON object" : "no valid \"model_sha256\" (64 hex "
		    "digits)");
		mm_err_where(err, cpath);
		goto out;
	}
	mm_sha256_hex(text, tlen, sum);
	if (strcmp(json_string_value(want), sum) != 0) {
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
