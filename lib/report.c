#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/*
 * The data.
 */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? mm_xstrdup(s) : NULL;
}

void
mm_report_init(struct mm_report *r)
{
	memset(r, 0, sizeof(*r));
	r->title = "mm report";
	r->from = NAN;
	r->to = NAN;
	r->moderate = 0.1;
	r->severe = 0.2;
	r->alpha = 0.01;
}

void
mm_report_release(struct mm_report *r)
{
	int i;

	for (i = 0; i < r->nb; i++) {
		free(r->b[i].id);
		free(r->b[i].version);
		free(r->b[i].status);
	}
	free(r->b);
	for (i = 0; i < r->nfeat; i++) {
		free(r->feat[i].name);
		free(r->feat[i].psi);
		free(r->feat[i].adj);
		free(r->feat[i].pval);
		free(r->feat[i].drifted);
	}
	free(r->feat);
	for (i = 0; i < r->nd; i++) {
		free(r->d[i].source);
		free(r->d[i].action);
		free(r->d[i].reason);
		free(r->d[i].exec_status);
		free(r->d[i].exec_detail);
		free(r->d[i].version);
	}
	free(r->d);
	for (i = 0; i < r->nv; i++) {
		free(r->v[i].name);
		free(r->v[i].card);
		free(r->v[i].created_at);
	}
	free(r->v);
	mm_report_init(r);
}

static double *
nan_array(int n)
{
	double *a = mm_xmalloc((size_t)n * sizeof(double));
	int i;

	for (i = 0; i < n; i++)
		a[i] = NAN;
	return a;
}

static struct mm_report_feat *
feature(struct mm_report *r, const char *name)
{
	struct mm_report_feat *f;
	int i;

	for (i = 0; i < r->nfeat; i++)
		if (strcmp(r->feat[i].name, name) == 0)
			return &r->feat[i];
	r->feat = mm_xrealloc(r->feat, (size_t)(r->nfeat + 1) *
	    sizeof(*r->feat));
	f = &r->feat[r->nfeat++];
	f->name = mm_xstrdup(name);
	f->psi = nan_array(r->capb);
	f->adj = nan_array(r->capb);
	f->pval = nan_array(r->capb);
	f->drifted = mm_xcalloc((size_t)r->capb, 1);
	return f;
}

/* The columns of a feature that by_feature() fills. */
enum { COL_PSI, COL_ADJ, COL_PVAL };

/* Put the numbers of a JSON object into each feature's column. */
static void
by_feature(struct mm_report *r, json_t *obj, int col)
{
	struct mm_report_feat *f;
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return;
	json_object_foreach(obj, key, v) {
		f = feature(r, key);
		if (!json_is_number(v))
			continue;
		(col == COL_PSI ? f->psi : col == COL_ADJ ? f->adj :
		    f->pval)[r->nb - 1] = json_number_value(v);
	}
}

static void
by_feature_text(struct mm_report *r, const char *text, int col)
{
	json_t *root;

	if (text == NULL)
		return;
	root = json_loads(text, JSON_DECODE_ANY, NULL);
	by_feature(r, root, col);
	json_decref(root);
}

/* The last batch's share of its drift object: values, drifted, status. */
static void
drift_object(struct mm_report *r, const char *text)
{
	struct mm_report_batch *b = &r->b[r->nb - 1];
	json_t *root, *v, *a;
	size_t i;

	if (text == NULL)
		return;
	root = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	by_feature(r, json_object_get(root, "psi"), COL_PSI);
	by_feature(r, json_object_get(root, "psi_adj"), COL_ADJ);
	by_feature(r, json_object_get(root, "p_value"), COL_PVAL);
	if (json_is_array(a = json_object_get(root, "drifted"))) {
		b->graded = 1;
		json_array_foreach(a, i, v)
			if (json_is_string(v))
				feature(r, json_string_value(v))->
				    drifted[r->nb - 1] = 1;
	}
	if (json_is_string(v = json_object_get(root, "status"))) {
		free(b->status);
		b->status = mm_xstrdup(json_string_value(v));
	}
	json_decref(root);
}

void
mm_report_add_batch(struct mm_report *r, const struct mm_report_batch *b,
    const char *psi, const char *pval, const char *drift)
{
	struct mm_report_batch *nb;
	int i, j, cap;

	if (r->nb == r->capb) {
		cap = r->capb ? 2 * r->capb : 64;
		r->b = mm_xrealloc(r->b, (size_t)cap * sizeof(*r->b));
		for (i = 0; i < r->nfeat; i++) {
			struct mm_report_feat *f = &r->feat[i];

			f->psi = mm_xrealloc(f->psi, (size_t)cap *
			    sizeof(double));
			f->adj = mm_xrealloc(f->adj, (size_t)cap *
			    sizeof(double));
			f->pval = mm_xrealloc(f->pval, (size_t)cap *
			    sizeof(double));
			f->drifted = mm_xrealloc(f->drifted, (size_t)cap);
			for (j = r->capb; j < cap; j++) {
				f->psi[j] = f->adj[j] = f->pval[j] = NAN;
				f->drifted[j] = 0;
			}
		}
		r->capb = cap;
	}
	nb = &r->b[r->nb++];
	*nb = *b;
	nb->id = mm_xstrdup(b->id != NULL ? b->id : "");
	nb->version = dup_or_null(b->version);
	nb->status = dup_or_null(b->status);
	nb->graded = 0;
	by_feature_text(r, psi, COL_PSI);
	by_feature_text(r, pval, COL_PVAL);
	drift_object(r, drift);
}

static int
cmp_top(const void *a, const void *b)
{
	const struct mm_report_top *x = a, *y = b;

	if (x->ndrifted != y->ndrifted)
		return x->ndrifted > y->ndrifted ? -1 : 1;
	/* A psi_adj that is not known goes after one that is. */
	if (isnan(x->max_adj) != isnan(y->max_adj))
		return isnan(x->max_adj) ? 1 : -1;
	if (x->max_adj != y->max_adj && !isnan(x->max_adj))
		return x->max_adj > y->max_adj ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
mm_report_rank(const struct mm_report *r, struct mm_report_top *top,
    int max)
{
	struct mm_report_top *all, t;
	int i, k, n = 0;

	all = mm_xmalloc((size_t)(r->nfeat > 0 ? r->nfeat : 1) *
	    sizeof(*all));
	for (k = 0; k < r->nfeat; k++) {
		const struct mm_report_feat *f = &r->feat[k];

		t = (struct mm_report_top){ k, f->name, 0, NAN, -1, -1 };
		for (i = 0; i < r->nb; i++) {
			if (!f->drifted[i])
				continue;
			t.ndrifted++;
			if (t.at_max < 0 || f->adj[i] > t.max_adj ||
			    (isnan(t.max_adj) && !isnan(f->adj[i]))) {
				t.max_adj = f->adj[i];
				t.at_max = i;
			}
			t.last = i;
		}
		if (t.ndrifted > 0)
			all[n++] = t;
	}
	qsort(all, (size_t)n, sizeof(*all), cmp_top);
	for (i = 0; i < n && i < max; i++)
		top[i] = all[i];
	free(all);
	return n;
}

void
mm_report_add_decision(struct mm_report *r,
    const struct mm_report_decision *d)
{
	struct mm_report_decision *nd;

	if (r->nd == r->capd) {
		r->capd = r->capd ? 2 * r->capd : 64;
		r->d = mm_xrealloc(r->d, (size_t)r->capd * sizeof(*r->d));
	}
	nd = &r->d[r->nd++];
	nd->ts = d->ts;
	nd->source = mm_xstrdup(d->source != NULL ? d->source : "");
	nd->action = mm_xstrdup(d->action != NULL ? d->action : "");
	nd->reason = mm_xstrdup(d->reason != NULL ? d->reason : "");
	nd->exec_status = dup_or_null(d->exec_status);
	nd->exec_detail = dup_or_null(d->exec_detail);
	nd->version = dup_or_null(d->version);
}

static void
indent(struct mm_buf *b, int depth)
{
	mm_buf_putc(b, '\n');
	while (depth-- > 0)
		mm_buf_puts(b, "  ");
}

/* Whether the array whose first element is at p holds only scalars. */
static int
scalars(const char *p)
{
	struct mm_err err;

	for (;;) {
		if (*p == '[' || *p == '{' ||
		    (p = mm_json_skip(p, &err)) == NULL)
			return 0;
		p = mm_json_ws(p);
		if (*p != ',')
			return 1;
		p = mm_json_ws(p + 1);
	}
}

/*
 * The JSON value at p re-indented, two spaces a level, for reading: one
 * member or element a line, except that an array of scalars stays on
 * one line.  json.c's scanner finds where each string, number and
 * literal ends, and its bytes are copied as they are, so numbers are
 * shown exactly as stored.  Returns the position after the value, or
 * NULL if it is not valid JSON.
 */
static const char *
pretty(struct mm_buf *b, const char *p, int depth)
{
	char open = *p, close = open == '{' ? '}' : ']';
	const char *q, *s;
	struct mm_err err;
	size_t n;
	int flat;

	if (open != '{' && open != '[') {
		if ((q = mm_json_skip(p, &err)) != NULL)
			mm_buf_put(b, p, (size_t)(q - p));
		return q;
	}
	mm_buf_putc(b, open);
	p = mm_json_ws(p + 1);
	if (*p == close) {
		mm_buf_putc(b, close);
		return p + 1;
	}
	flat = open == '[' && scalars(p);
	for (;;) {
		if (!flat)
			indent(b, depth + 1);
		if (open == '{') {
			if ((q = mm_json_string(p, &s, &n, &err)) == NULL)
				return NULL;
			mm_buf_put(b, p, (size_t)(q - p));
			if (*(p = mm_json_ws(q)) != ':')
				return NULL;
			mm_buf_puts(b, ": ");
			p = mm_json_ws(p + 1);
		}
		if ((p = pretty(b, p, depth + 1)) == NULL)
			return NULL;
		p = mm_json_ws(p);
		if (*p == close)
			break;
		if (*p != ',')
			return NULL;
		mm_buf_puts(b, flat ? ", " : ",");
		p = mm_json_ws(p + 1);
	}
	if (!flat)
		indent(b, depth);
	mm_buf_putc(b, close);
	return p + 1;
}

static double
num_at(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(o, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

void
mm_report_add_version(struct mm_report *r, const char *name,
    const char *card)
{
	struct mm_report_version *v;
	json_t *root = card ? json_loads(card, 0, NULL) : NULL, *at;
	const char *end;
	struct mm_buf b;
	double n;

	if (r->nv == r->capv) {
		r->capv = r->capv ? 2 * r->capv : 16;
		r->v = mm_xrealloc(r->v, (size_t)r->capv * sizeof(*r->v));
	}
	v = &r->v[r->nv++];
	memset(v, 0, sizeof(*v));
	v->name = mm_xstrdup(name);
	v->f1 = v->accuracy = NAN;
	v->rows_train = v->rows_valid = -1;
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	/* jansson took it, so the scanner does too; if not, as it came. */
	mm_buf_init(&b);
	end = pretty(&b, mm_json_ws(card), 0);
	if (end == NULL || *mm_json_ws(end) != '\0') {
		mm_buf_reset(&b);
		mm_buf_puts(&b, card);
	}
	v->card = b.p != NULL ? b.p : mm_xstrdup("");
	at = json_object_get(root, "created_at");
	if (json_is_string(at))
		v->created_at = mm_xstrdup(json_string_value(at));
	v->f1 = num_at(root, "metrics", "f1");
	v->accuracy = num_at(root, "metrics", "accuracy");
	if ((n = num_at(root, "rows", "train")) >= 0)
		v->rows_train = (long)n;
	if ((n = num_at(root, "rows", "validation")) >= 0)
		v->rows_valid = (long)n;
	json_decref(root);
}

