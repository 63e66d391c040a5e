#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bh.h"
#include "html.h"
#include "report.h"
#include "svg.h"

#define CHART_W 1000
#define MAX_TOP 10		/* drifted features listed and drawn */
#define MAX_POINTS 200		/* dots with a tooltip up to this many */
#define MAX_CELLS 4000		/* heat map cells with a tooltip */
#define MIN_CELL 2		/* the narrowest heat map cell, pixels */
#define MAX_ROWS 500		/* decisions listed */
#define P_FLOOR 1e-12		/* smaller p-values are drawn here */
#define PSI_FLOOR 0.01		/* smaller PSI is drawn here */

/* lib/report.css, built in by scripts/embed.sh. */
extern const char mm_report_css[];
extern const size_t mm_report_css_len;

static double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

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

/*
 * The page.
 */

/* The decision actions that get a marker, and their shapes. */
static const char *const actions[] = {
	"promote", "retrain", "reject", "rollback"
};
#define NACTIONS 4

static int
action_index(const char *a)
{
	int i;

	for (i = 0; i < NACTIONS; i++)
		if (strcmp(a, actions[i]) == 0)
			return i;
	return NACTIONS;	/* any other action but "none" */
}

static const char *
action_class(const char *a)
{
	int i = action_index(a);

	return i < NACTIONS ? actions[i] : "other";
}

static int
marked(const struct mm_report_decision *d)
{
	return strcmp(d->action, "none") != 0;
}

/* A decision's marker: the shape of its action. */
static void
marker(struct mm_buf *b, const char *action, double x, double y)
{
	static const enum mm_mark shapes[NACTIONS + 1] = {
		MM_MARK_UP, MM_MARK_CIRCLE, MM_MARK_SQUARE, MM_MARK_DOWN,
		MM_MARK_DIAMOND
	};

	mm_svg_marker(b, shapes[action_index(action)], x, y);
}

/* A number for people: "0.912", or an en dash when unknown. */
static void
put_val(struct mm_buf *b, double v, int prec)
{
	if (isnan(v))
		mm_buf_puts(b, "\xe2\x80\x93");
	else
		mm_buf_printf(b, "%.*f", prec, v);
}

static void
put_p(struct mm_buf *b, double p)
{
	if (p >= 0.001)
		mm_buf_printf(b, "%.3f", p);
	else
		mm_buf_printf(b, "%.2g", p);
}

/* The x domain all time charts share. */
struct span {
	double t0, t1;
	int empty;
};

static void
time_span(const struct mm_report *r, struct span *s)
{
	double lo = INFINITY, hi = -INFINITY;
	int i;

	for (i = 0; i < r->nb; i++) {
		lo = fmin(lo, r->b[i].ts);
		hi = fmax(hi, r->b[i].ts);
	}
	for (i = 0; i < r->nd; i++)
		if (marked(&r->d[i])) {
			lo = fmin(lo, r->d[i].ts);
			hi = fmax(hi, r->d[i].ts);
		}
	s->empty = lo > hi;
	if (isfinite(r->from))
		lo = r->from;
	if (isfinite(r->to))
		hi = r->to;
	if (!(lo <= hi)) {	/* no data, or no data inside the bounds */
		if (isfinite(lo))
			hi = lo;
		else if (isfinite(hi))
			lo = hi;
		else
			lo = hi = 0;
	}
	if (hi - lo < 60) {	/* one moment: a minute around it */
		lo -= 30;
		hi += 30;
	}
	s->t0 = lo;
	s->t1 = hi;
}

static void
empty(struct mm_buf *b, const char *what)
{
	mm_buf_puts(b, "<p class=\"empty\">No data: ");
	mm_html_esc(b, what);
	mm_buf_puts(b, ".</p>\n");
}

static void
section_open(struct mm_buf *b, const char *id, const char *title,
    const char *note)
{
	mm_buf_printf(b, "<section id=\"%s\">\n<h2>", id);
	mm_html_esc(b, title);
	mm_buf_puts(b, "</h2>\n");
	if (note != NULL) {
		mm_buf_puts(b, "<p class=\"note\">");
		mm_html_esc(b, note);
		mm_buf_puts(b, "</p>\n");
	}
}

static void
section_close(struct mm_buf *b)
{
	mm_buf_puts(b, "</section>\n");
}

static void
key_marker(struct mm_buf *b, const char *action, int count)
{
	mm_buf_printf(b, "<span><svg class=\"key\" viewBox=\"0 0 18 14\">"
	    "<path class=\"lg lg-%s\" d=\"", action_class(action));
	marker(b, action, 9, 7);
	mm_buf_puts(b, "\"/></svg>");
	mm_html_esc(b, action);
	mm_buf_printf(b, " (%d)</span>\n", count);
}

/* The low end of a [lo, 1] axis showing values down to min. */
static double
floor_tenth(double min)
{
	double lo = floor((min - 0.02) * 10) / 10;

	return clampd(lo, 0, 0.9);
}

/* A decision not (yet) known to have been carried out is drawn hollow. */
static int
executed(const struct mm_report_decision *d)
{
	return d->exec_status != NULL && strcmp(d->exec_status, "executed") ==
	    0;
}

/*
 * Decision markers along the top of a chart, with a guide line each.
 */
static void
decision_marks(struct mm_buf *b, const struct mm_report *r,
    const struct mm_chart *c)
{
	int i;

	for (i = 0; i < r->nd; i++) {
		const struct mm_report_decision *d = &r->d[i];
		const char *cls = action_class(d->action);
		double x = mm_chart_x(c, d->ts);

		if (!marked(d))
			continue;
		mm_buf_printf(b, "<line class=\"gl gl-%s\" x1=\"", cls);
		mm_svg_num(b, x);
		mm_buf_printf(b, "\" y1=\"%d\" x2=\"", MM_CHART_TOP);
		mm_svg_num(b, x);
		mm_buf_puts(b, "\" y2=\"");
		mm_svg_num(b, c->y.r0);
		mm_buf_puts(b, "\"/>\n");
		mm_buf_printf(b, "<path class=\"mk mk-%s%s\" d=\"", cls,
		    executed(d) ? "" : " hollow");
		marker(b, d->action, x, MM_CHART_TOP - 13);
		mm_buf_puts(b, "\"><title>");
		mm_html_time(b, d->ts);
		mm_buf_puts(b, " UTC \xc2\xb7 ");
		mm_html_esc(b, d->action);
		mm_buf_puts(b, ": ");
		mm_html_esc(b, d->reason);
		if (d->exec_status != NULL) {
			mm_buf_puts(b, " (");
			mm_html_esc(b, d->exec_status);
			mm_buf_puts(b, ")");
		}
		mm_buf_puts(b, "</title></path>\n");
	}
}

/* Dots with a tooltip for each point, when there are not too many. */
static void
dots(struct mm_buf *b, const struct mm_report *r, const struct mm_chart *c,
    const char *cls, const double *x, const double *y, const char *what)
{
	int i, n = 0;

	for (i = 0; i < r->nb; i++)
		n += !isnan(y[i]);
	if (n > MAX_POINTS)
		return;
	for (i = 0; i < r->nb; i++) {
		if (isnan(y[i]))
			continue;
		mm_buf_printf(b, "<circle class=\"%s\" cx=\"", cls);
		mm_svg_num(b, mm_chart_x(c, x[i]));
		mm_buf_puts(b, "\" cy=\"");
		mm_svg_num(b, mm_chart_y(c, y[i]));
		mm_buf_puts(b, "\" r=\"2.5\"><title>");
		mm_html_esc(b, r->b[i].id);
		mm_buf_puts(b, " \xc2\xb7 ");
		mm_html_time(b, r->b[i].ts);
		mm_buf_printf(b, " UTC \xc2\xb7 %s %.4f</title></circle>\n",
		    what, y[i]);
	}
}

static void
section_trust(struct mm_buf *b, const struct mm_report *r,
    const struct span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], step, min = 1;
	int count[NACTIONS + 1] = { 0 };
	int i, n = 0, nmarks = 0, nhollow = 0, nt;
	struct mm_chart c;

	section_open(b, "trust", "Trust score", "Each batch's trust score "
	    "(0 to 1), with every decision other than none marked at the "
	    "top.");
	for (i = 0; i < r->nb; i++) {
		x[i] = r->b[i].ts;
		y[i] = r->b[i].trust;
		if (!isnan(y[i])) {
			n++;
			min = fmin(min, y[i]);
		}
	}
	for (i = 0; i < r->nd; i++)
		if (marked(&r->d[i])) {
			count[action_index(r->d[i].action)]++;
			nmarks++;
			nhollow += !executed(&r->d[i]);
		}
	if (n == 0 && nmarks == 0) {
		empty(b, "no batch has a trust score and there are no "
		    "decisions");
		section_close(b);
		return;
	}
	mm_chart_init(&c, CHART_W, 280, sp->t0, sp->t1, floor_tenth(min), 1,
	    0);
	mm_svg_open(b, &c, "trust score over time");
	nt = mm_ticks(c.y.d0, c.y.d1, 6, t, &step);
	mm_svg_grid_y(b, &c, t, nt, step);
	mm_svg_axis_time(b, &c);
	decision_marks(b, r, &c);
	mm_svg_series(b, &c, "ln trust", x, y, r->nb);
	dots(b, r, &c, "pt trust", x, y, "trust");
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	if (n > 0)
		mm_svg_key_line(b, "ln trust", "trust score");
	for (i = 0; i < NACTIONS; i++)
		key_marker(b, actions[i], count[i]);
	if (count[NACTIONS] > 0)
		key_marker(b, "other", count[NACTIONS]);
	if (nhollow > 0)
		mm_buf_puts(b, "<span><svg class=\"key\" viewBox=\"0 0 18 14\">"
		    "<path class=\"lg lg-other hollow\" d=\"M4,2h10v10h-10Z\"/>"
		    "</svg>hollow: not executed</span>\n");
	mm_buf_puts(b, "</div>\n");
	if (n == 0)
		empty(b, "no batch has a trust score");
	section_close(b);
}

static const struct mm_report_version *
find_version(const struct mm_report *r, const char *name)
{
	int i;

	for (i = 0; i < r->nv; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

/* The F1 a version is held to: the active baseline, else its card's. */
static double
baseline(const struct mm_report *r, const char *version)
{
	const struct mm_report_version *v;

	if (version == NULL)
		return NAN;
	if (r->has_active && strcmp(version, r->active.version) == 0 &&
	    !isnan(r->active.baseline_f1))
		return r->active.baseline_f1;
	v = find_version(r, version);
	return v != NULL ? v->f1 : NAN;
}

static void
section_f1(struct mm_buf *b, const struct mm_report *r,
    const struct span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], step, min = 1, base, lastx = -1e9;
	const char *prev = NULL;
	int i, j, n = 0, nt, nchanges = 0, nbase = 0;
	struct mm_chart c;

	section_open(b, "f1", "F1 against the baseline", "Each batch's F1 "
	    "(from its labelled rows), the baseline F1 of the version that "
	    "served it (dashed), and every change of version.");
	for (i = 0; i < r->nb; i++) {
		x[i] = r->b[i].ts;
		y[i] = r->b[i].f1;
		if (!isnan(y[i])) {
			n++;
			min = fmin(min, y[i]);
		}
		base = baseline(r, r->b[i].version);
		if (!isnan(base))
			min = fmin(min, base);
	}
	if (n == 0) {
		empty(b, "no batch has an F1 yet (F1 needs labels)");
		section_close(b);
		return;
	}
	mm_chart_init(&c, CHART_W, 280, sp->t0, sp->t1, floor_tenth(min), 1,
	    0);
	mm_svg_open(b, &c, "F1 over time");
	nt = mm_ticks(c.y.d0, c.y.d1, 6, t, &step);
	mm_svg_grid_y(b, &c, t, nt, step);
	mm_svg_axis_time(b, &c);
	/* The baseline of each run of batches served by one version. */
	for (i = 0; i < r->nb; i = j) {
		const char *v = r->b[i].version;
		double x0, x1, yb;

		for (j = i + 1; j < r->nb && (r->b[j].version == NULL ||
		    (v != NULL && strcmp(r->b[j].version, v) == 0)); j++)
			;
		if (isnan(base = baseline(r, v)))
			continue;
		x0 = mm_chart_x(&c, r->b[i].ts);
		/* The last version serves to the end of the axis. */
		x1 = j < r->nb ? mm_chart_x(&c, r->b[j].ts) : c.x.r1;
		yb = mm_chart_y(&c, base);
		mm_buf_puts(b, "<line class=\"base\" x1=\"");
		mm_svg_num(b, x0);
		mm_buf_puts(b, "\" y1=\"");
		mm_svg_num(b, yb);
		mm_buf_puts(b, "\" x2=\"");
		mm_svg_num(b, x1);
		mm_buf_puts(b, "\" y2=\"");
		mm_svg_num(b, yb);
		mm_buf_puts(b, "\"><title>baseline F1 of ");
		mm_html_esc(b, v);
		mm_buf_printf(b, ": %.4f</title></line>\n", base);
		nbase++;
	}
	/* Version changes between consecutive batches. */
	for (i = 0; i < r->nb; i++) {
		const char *v = r->b[i].version;
		double xv;

		if (v == NULL)
			continue;
		if (prev != NULL && strcmp(prev, v) != 0) {
			xv = mm_chart_x(&c, r->b[i].ts);
			mm_buf_puts(b, "<line class=\"vc\" x1=\"");
			mm_svg_num(b, xv);
			mm_buf_printf(b, "\" y1=\"%d\" x2=\"", MM_CHART_TOP);
			mm_svg_num(b, xv);
			mm_buf_puts(b, "\" y2=\"");
			mm_svg_num(b, c.y.r0);
			mm_buf_puts(b, "\"><title>");
			mm_html_time(b, r->b[i].ts);
			mm_buf_puts(b, " UTC \xc2\xb7 ");
			mm_html_esc(b, prev);
			mm_buf_puts(b, " \xe2\x86\x92 ");
			mm_html_esc(b, v);
			mm_buf_puts(b, "</title></line>\n");
			/* Labels that would overlap are left out. */
			if (xv - lastx > 130 && xv < c.x.r1 - 20) {
				mm_svg_text(b, "vlabel", xv + 4, MM_CHART_TOP - 8, v);
				lastx = xv;
			}
			nchanges++;
		}
		prev = v;
	}
	mm_svg_series(b, &c, "ln f1", x, y, r->nb);
	dots(b, r, &c, "pt f1", x, y, "F1");
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	mm_svg_key_line(b, "ln f1", "F1");
	if (nbase > 0)
		mm_svg_key_line(b, "base", "baseline F1 of the serving version");
	mm_buf_printf(b, "<span><svg class=\"key\" viewBox=\"0 0 18 12\">"
	    "<line class=\"vc-key\" x1=\"9\" y1=\"0\" x2=\"9\" "
	    "y2=\"12\"/></svg>version change (%d)</span>\n", nchanges);
	mm_buf_puts(b, "</div>\n");
	section_close(b);
}

/* The x extent of batch i's heat map cell: halfway to its neighbours. */
static void
cell_x(const struct mm_report *r, const struct mm_chart *c, int i,
    double gap, double *x0, double *x1)
{
	double x = mm_chart_x(c, r->b[i].ts);
	double lo = i > 0 ? (mm_chart_x(c, r->b[i - 1].ts) + x) / 2 : x;
	double hi = i + 1 < r->nb ? (mm_chart_x(c, r->b[i + 1].ts) + x) / 2 :
	    x;

	/* A gap in the data stays a gap. */
	if (i == 0 || x - lo > gap)
		lo = x - gap;
	if (i + 1 == r->nb || hi - x > gap)
		hi = x + gap;
	*x0 = fmax(lo, c->x.r0);
	*x1 = fmin(hi, c->x.r1);
}

/*
 * What the heat map and the lines show of feature f in batch i: psi_adj,
 * or the PSI of a batch recorded before psi_adj was.  *adj says which.
 */
static double
drift_value(const struct mm_report_feat *f, int i, int *adj)
{
	*adj = !isnan(f->adj[i]);
	return *adj ? f->adj[i] : f->psi[i];
}

static void
put_pval(struct mm_buf *b, double p)
{
	if (isnan(p))
		mm_buf_puts(b, "\xe2\x80\x93");
	else
		put_p(b, p);
}

/* A heat map cell's tooltip: batches i to j, the largest value at m. */
static void
cell_title(struct mm_buf *b, const struct mm_report *r,
    const struct mm_report_feat *f, int i, int j, int m, int ndrifted)
{
	double v;
	int adj;

	mm_buf_puts(b, "<title>");
	mm_html_esc(b, f->name);
	mm_buf_puts(b, " \xc2\xb7 ");
	mm_html_esc(b, r->b[i].id);
	if (j > i) {
		mm_buf_puts(b, " to ");
		mm_html_esc(b, r->b[j].id);
	}
	if (m < 0) {
		mm_buf_puts(b, " \xc2\xb7 no value</title>");
		return;
	}
	v = drift_value(f, m, &adj);
	mm_buf_printf(b, " \xc2\xb7 %s%s ", j > i ? "largest " : "",
	    adj ? "psi_adj" : "PSI");
	put_val(b, v, 4);
	if (j == i && adj && !isnan(f->psi[i])) {
		mm_buf_puts(b, " (PSI ");
		put_val(b, f->psi[i], 4);
		mm_buf_puts(b, ")");
	}
	if (j == i && !isnan(f->pval[i])) {
		mm_buf_puts(b, " \xc2\xb7 p-value ");
		put_p(b, f->pval[i]);
	}
	if (ndrifted > 0 && j == i)
		mm_buf_puts(b, " \xc2\xb7 drifted");
	else if (ndrifted > 0)
		mm_buf_printf(b, " \xc2\xb7 drifted in %d", ndrifted);
	mm_buf_puts(b, "</title>");
}

static void
heatmap(struct mm_buf *b, const struct mm_report *r, const struct span *sp,
    double *tmp)
{
	int i, j, k, m, nd, adj, rowh = r->nfeat > 30 ? 8 : 16, titles;
	double gap, y0, v, w, *x0s, *x1s;
	struct mm_chart c;
	char col[8], label[96];

	mm_chart_init(&c, CHART_W, MM_CHART_TOP / 2 + rowh * r->nfeat +
	    MM_CHART_BOTTOM, sp->t0, sp->t1, 0, 1, 0);
	/* Half a cell is half the typical distance between batches. */
	for (i = 1; i < r->nb; i++)
		tmp[i - 1] = mm_chart_x(&c, r->b[i].ts) -
		    mm_chart_x(&c, r->b[i - 1].ts);
	if (r->nb > 1) {
		qsort(tmp, (size_t)r->nb - 1, sizeof(double), cmp_double);
		gap = fmax(tmp[(r->nb - 1) / 2] / 2, 0.5);
	} else
		gap = (c.x.r1 - c.x.r0) / 2;
	/* Neighbours share an edge, to the tenth of a pixel. */
	x0s = mm_xmalloc((size_t)r->nb * sizeof(double));
	x1s = mm_xmalloc((size_t)r->nb * sizeof(double));
	for (i = 0; i < r->nb; i++) {
		cell_x(r, &c, i, gap, &x0s[i], &x1s[i]);
		x0s[i] = round(x0s[i] * 10) / 10;
		x1s[i] = round(x1s[i] * 10) / 10;
	}
	titles = (long)r->nb * r->nfeat <= MAX_CELLS;
	mm_svg_open(b, &c, "psi_adj by feature and batch");
	mm_svg_axis_time(b, &c);		/* under the cells */
	mm_buf_puts(b, "<g shape-rendering=\"crispEdges\">\n");
	for (k = 0; k < r->nfeat; k++) {
		const struct mm_report_feat *f = &r->feat[k];

		y0 = MM_CHART_TOP / 2 + k * rowh;
		/* Thin rows are labelled every other one. */
		if (rowh >= 12 || k % 2 == 0)
			mm_svg_text(b, "tick ty", c.x.r0 - 8, y0 + rowh / 2.0 + 4,
			    f->name);
		for (i = 0; i < r->nb; i = j + 1) {
			/*
			 * A cell is at least MIN_CELL pixels wide: batches
			 * closer together share one, which shows their
			 * largest value.  A gap in the data ends a cell.
			 */
			v = NAN;
			m = -1;
			nd = 0;
			for (j = i; j < r->nb; j++) {
				w = drift_value(f, j, &adj);
				if (!isnan(w) && !(w <= v)) {
					v = w;
					m = j;
				}
				nd += f->drifted[j];
				if (j + 1 == r->nb || x0s[j + 1] > x1s[j] ||
				    x1s[j] - x0s[i] >= MIN_CELL)
					break;
			}
			mm_psi_colour(v, r->moderate, r->severe, col);
			mm_buf_puts(b, "<rect x=\"");
			mm_svg_num(b, x0s[i]);
			mm_buf_puts(b, "\" y=\"");
			mm_svg_num(b, y0);
			mm_buf_puts(b, "\" width=\"");
			mm_svg_num(b, x1s[j] - x0s[i]);
			mm_buf_printf(b, "\" height=\"%d\" fill=\"%s\"",
			    rowh - 1, col);
			if (!titles) {
				mm_buf_puts(b, "/>\n");
				continue;
			}
			mm_buf_puts(b, ">");
			cell_title(b, r, f, i, j, m, nd);
			mm_buf_puts(b, "</rect>\n");
		}
	}
	free(x0s);
	free(x1s);
	mm_buf_puts(b, "</g>\n");
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	mm_psi_colour(r->moderate / 2, r->moderate, r->severe, col);
	snprintf(label, sizeof(label), "stable (below %g)", r->moderate);
	mm_svg_key_swatch(b, col, label);
	mm_psi_colour((r->moderate + r->severe) / 2, r->moderate, r->severe,
	    col);
	snprintf(label, sizeof(label), "moderate (%g to %g)", r->moderate,
	    r->severe);
	mm_svg_key_swatch(b, col, label);
	mm_psi_colour(3 * r->severe, r->moderate, r->severe, col);
	snprintf(label, sizeof(label), "severe (%g and above; darker is more)",
	    r->severe);
	mm_svg_key_swatch(b, col, label);
	mm_psi_colour(NAN, r->moderate, r->severe, col);
	mm_svg_key_swatch(b, col, "no value");
	mm_buf_puts(b, "</div>\n");
}

/* The bottom of the psi_adj axis: 0.01, or lower for a lower band. */
static double
psi_floor(const struct mm_report *r)
{
	if (r->moderate > 0 && r->moderate < 2 * PSI_FLOOR)
		return pow(10, floor(log10(r->moderate / 2)));
	return PSI_FLOOR;
}

/* A ring where feature f drifted in batch i, with a tooltip. */
static void
ring(struct mm_buf *b, const struct mm_report *r, const struct mm_chart *c,
    const struct mm_report_feat *f, int i, int series, double y)
{
	mm_buf_printf(b, "<circle class=\"dd s%d\" cx=\"", series);
	mm_svg_num(b, mm_chart_x(c, r->b[i].ts));
	mm_buf_puts(b, "\" cy=\"");
	mm_svg_num(b, mm_chart_y(c, y));
	mm_buf_puts(b, "\" r=\"3.5\"><title>");
	mm_html_esc(b, f->name);
	mm_buf_puts(b, " \xc2\xb7 ");
	mm_html_esc(b, r->b[i].id);
	mm_buf_puts(b, " \xc2\xb7 drifted, psi_adj ");
	put_val(b, f->adj[i], 4);
	mm_buf_puts(b, ", p-value ");
	put_pval(b, f->pval[i]);
	mm_buf_puts(b, "</title></circle>\n");
}

/*
 * psi_adj of the features that drifted most, one line each, with a
 * ring where a feature drifted (when there are not too many); then
 * every feature in a heat map.
 */
static void
section_psi(struct mm_buf *b, const struct mm_report *r,
    const struct span *sp, double *x, double *y,
    const struct mm_report_top *top, int ntop)
{
	double t[MM_MAXTICKS], max = 0, ytop, ymod, ysev, lo = psi_floor(r), v;
	int i, k, n = 0, nraw = 0, nt, adj, raw, nrings = 0;
	struct mm_chart c;
	char cls[32];

	section_open(b, "psi", "Drift: psi_adj per feature", NULL);
	mm_buf_printf(b, "<p class=\"note\">psi_adj is a feature's PSI "
	    "beyond what sampling noise alone gives.  The lines: the "
	    "features that drifted most, as listed above, on a log scale "
	    "(%g and below at the bottom); the bands mark moderate (%g) and "
	    "severe (%g).  The heat map: every feature.", lo, r->moderate,
	    r->severe);
	for (i = 0; i < r->nb; i++) {
		raw = 0;
		for (k = 0; k < r->nfeat; k++) {
			v = drift_value(&r->feat[k], i, &adj);
			if (isnan(v))
				continue;
			n++;
			raw |= !adj;
		}
		nraw += raw;
	}
	if (nraw > 0)
		mm_buf_printf(b, "  %d batch%s recorded before psi_adj show%s "
		    "PSI.", nraw, nraw == 1 ? "" : "es", nraw == 1 ? "s" : "");
	mm_buf_puts(b, "</p>\n");
	if (n == 0) {
		empty(b, "no batch has PSI values");
		section_close(b);
		return;
	}
	if (ntop == 0) {
		mm_buf_puts(b, "<p class=\"note\">No feature drifted, so no "
		    "lines are drawn.</p>\n");
		heatmap(b, r, sp, y);
		section_close(b);
		return;
	}
	for (i = 0; i < r->nb; i++) {
		x[i] = r->b[i].ts;
		for (k = 0; k < ntop; k++) {
			v = drift_value(&r->feat[top[k].feat], i, &adj);
			if (!isnan(v))
				max = fmax(max, v);
			nrings += r->feat[top[k].feat].drifted[i];
		}
	}
	ytop = pow(10, ceil(log10(fmax(max, 1.5 * r->severe)) - 1e-9));
	mm_chart_init(&c, CHART_W, 300, sp->t0, sp->t1, lo, ytop, 1);
	mm_svg_open(b, &c, "psi_adj of the most drifted features over time");
	mm_svg_bands(b, &c, r->moderate, r->severe);
	nt = mm_log_ticks(lo, ytop, 7, t);
	mm_svg_grid_y(b, &c, t, nt, 1);
	mm_svg_axis_time(b, &c);
	ymod = mm_chart_y(&c, fmax(r->moderate, lo));
	ysev = mm_chart_y(&c, r->severe);
	mm_svg_text(b, "tick band-label", c.x.r1 - 4, (ymod + ysev) / 2 + 4,
	    "moderate");
	mm_svg_text(b, "tick band-label", c.x.r1 - 4, ysev - 5, "severe");
	for (k = 0; k < ntop; k++) {
		const struct mm_report_feat *f = &r->feat[top[k].feat];

		for (i = 0; i < r->nb; i++) {
			v = drift_value(f, i, &adj);
			y[i] = isnan(v) ? NAN : clampd(v, lo, ytop);
		}
		snprintf(cls, sizeof(cls), "ln s%d", k % 10);
		mm_svg_series(b, &c, cls, x, y, r->nb);
		for (i = 0; i < r->nb; i++)
			if (nrings <= MAX_POINTS && f->drifted[i] &&
			    !isnan(y[i]))
				ring(b, r, &c, f, i, k % 10, y[i]);
	}
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	for (k = 0; k < ntop; k++) {
		snprintf(cls, sizeof(cls), "ln s%d", k % 10);
		mm_svg_key_line(b, cls, top[k].name);
	}
	if (nrings <= MAX_POINTS)
		mm_buf_puts(b, "<span><svg class=\"key\" viewBox=\"0 0 18 12\">"
		    "<circle class=\"dd\" cx=\"9\" cy=\"6\" r=\"3.5\" "
		    "stroke=\"#64748b\"/></svg>drifted</span>\n");
	mm_buf_puts(b, "</div>\n<h3>Every feature by batch</h3>\n");
	heatmap(b, r, sp, y);
	section_close(b);
}

/*
 * The features that drifted most over the report's batches, as
 * mm_report_rank() orders them.
 */
static void
section_drifted(struct mm_buf *b, const struct mm_report *r,
    const struct mm_report_top *top, int ntop, int nall)
{
	int i, k, ngraded = 0, nwith = 0, nold;
	char col[8];

	section_open(b, "drifted", "Drifted features", NULL);
	mm_buf_printf(b, "<p class=\"note\">A feature drifted in a batch when "
	    "its p-value was significant at alpha %g after Benjamini-Hochberg "
	    "across the batch's features and its psi_adj, its PSI beyond what "
	    "sampling noise gives, reached moderate (%g), as mm-psi grades "
	    "it.  The features that drifted in the most batches come first, "
	    "then those with the largest psi_adj.</p>\n", r->alpha,
	    r->moderate);
	for (i = 0; i < r->nb; i++) {
		if (!r->b[i].graded)
			continue;
		ngraded++;
		for (k = 0; k < r->nfeat; k++)
			if (r->feat[k].drifted[i]) {
				nwith++;
				break;
			}
	}
	nold = r->nb - ngraded;
	if (ngraded == 0) {
		empty(b, r->nb == 0 ? "no batches" : "no batch was graded "
		    "feature by feature (recorded before per-feature drift)");
		section_close(b);
		return;
	}
	if (nall == 0)
		mm_buf_printf(b, "<p class=\"none\">No feature drifted in the "
		    "%d batch%s.", ngraded, ngraded == 1 ? "" : "es");
	else
		mm_buf_printf(b, "<p class=\"note\">%d of %d batch%s had a "
		    "drifted feature; %d feature%s drifted.", nwith, ngraded,
		    ngraded == 1 ? "" : "es", nall, nall == 1 ? "" : "s");
	if (nold > 0)
		mm_buf_printf(b, "  %d batch%s recorded before per-feature "
		    "drift %s left out.", nold, nold == 1 ? "" : "es",
		    nold == 1 ? "is" : "are");
	if (nall > ntop)
		mm_buf_printf(b, "  The %d that drifted most:", ntop);
	mm_buf_puts(b, "</p>\n");
	if (nall == 0) {
		section_close(b);
		return;
	}
	mm_buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr>"
	    "<th>Feature</th><th class=\"num\">Batches drifted</th>"
	    "<th class=\"num\">Largest psi_adj</th><th class=\"num\">"
	    "p-value</th><th>In batch</th><th>Last drifted (UTC)</th>"
	    "</tr></thead>\n<tbody>\n");
	for (k = 0; k < ntop; k++) {
		const struct mm_report_top *t = &top[k];
		const struct mm_report_feat *f = &r->feat[t->feat];

		mm_buf_puts(b, "<tr class=\"drift\"><td class=\"mono\">");
		mm_html_esc(b, t->name);
		mm_buf_printf(b, "</td><td class=\"num\">%d</td>"
		    "<td class=\"num\">", t->ndrifted);
		mm_psi_colour(t->max_adj, r->moderate, r->severe, col);
		mm_buf_printf(b, "<i class=\"sw\" style=\"background:%s\"></i>",
		    col);
		put_val(b, t->max_adj, 4);
		mm_buf_puts(b, "</td><td class=\"num\">");
		put_pval(b, f->pval[t->at_max]);
		mm_buf_puts(b, "</td><td class=\"mono\">");
		mm_html_esc(b, r->b[t->at_max].id);
		mm_buf_puts(b, "</td><td class=\"nowrap\">"
		    "<span class=\"mono\">");
		mm_html_esc(b, r->b[t->last].id);
		mm_buf_puts(b, "</span> ");
		mm_html_time(b, r->b[t->last].ts);
		mm_buf_puts(b, "</td></tr>\n");
	}
	mm_buf_puts(b, "</tbody>\n</table></div>\n");
	section_close(b);
}

/* Batch i's p-values, one per feature, into p; returns how many. */
static int
batch_pvalues(const struct mm_report *r, int i, double *p, int *arg)
{
	int k, n = 0;

	*arg = -1;
	for (k = 0; k < r->nfeat; k++) {
		p[k] = r->feat[k].pval[i];
		if (isnan(p[k]))
			continue;
		n++;
		if (*arg < 0 || p[k] < p[*arg])
			*arg = k;
	}
	return n;
}

static void
section_pval(struct mm_buf *b, const struct mm_report *r,
    const struct span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], min = 1, lo, *p, q;
	int i, n = 0, nt, arg;
	struct mm_chart c;
	char alpha[32];

	snprintf(alpha, sizeof(alpha), "%g", r->alpha);
	section_open(b, "pvalue", "Drift: p-values", NULL);
	mm_buf_printf(b, "<p class=\"note\">The chance of drift this large "
	    "from sampling noise alone: each batch's smallest p-value, "
	    "adjusted for the number of features (Benjamini-Hochberg, as "
	    "mm-psi's threshold: test does), on a log scale, %g and below at "
	    "the bottom.  Red points, at or below alpha (%s), are batches "
	    "where some feature has moved more than chance explains; it "
	    "drifted if its psi_adj also reached moderate.</p>\n", P_FLOOR,
	    alpha);
	p = mm_xmalloc((size_t)(r->nfeat > 0 ? r->nfeat : 1) *
	    sizeof(double));
	for (i = 0; i < r->nb; i++) {
		x[i] = r->b[i].ts;
		batch_pvalues(r, i, p, &arg);
		y[i] = mm_bh_min(p, r->nfeat);
		if (!isnan(y[i])) {
			min = fmin(min, fmax(y[i], P_FLOOR));
			n++;
		}
	}
	if (n == 0) {
		empty(b, "no batch has p-values");
		section_close(b);
		free(p);
		return;
	}
	lo = pow(10, floor(log10(fmin(min, fmin(r->alpha, 0.01))) + 1e-9));
	mm_chart_init(&c, CHART_W, 260, sp->t0, sp->t1, lo, 1, 1);
	mm_svg_open(b, &c, "adjusted smallest drift p-value per batch");
	nt = mm_log_ticks(lo, 1, 7, t);
	mm_svg_grid_y(b, &c, t, nt, 1);
	mm_svg_axis_time(b, &c);
	mm_svg_line(b, "thr thr-alpha", c.x.r0, mm_chart_y(&c, r->alpha), c.x.r1,
	    mm_chart_y(&c, r->alpha));
	mm_svg_text(b, "tick thr-label", c.x.r1 - 4, mm_chart_y(&c, r->alpha) - 5,
	    alpha);
	/* Smaller values are drawn at the floor. */
	for (i = 0; i < r->nb; i++)
		if (!isnan(y[i]))
			y[i] = fmax(y[i], lo);
	mm_svg_series(b, &c, "ln pline", x, y, r->nb);
	for (i = 0; i < r->nb; i++) {
		if (isnan(y[i]))
			continue;
		batch_pvalues(r, i, p, &arg);
		q = mm_bh_min(p, r->nfeat);
		mm_buf_printf(b, "<circle class=\"pv%s\" cx=\"",
		    q <= r->alpha ? " sig" : "");
		mm_svg_num(b, mm_chart_x(&c, x[i]));
		mm_buf_puts(b, "\" cy=\"");
		mm_svg_num(b, mm_chart_y(&c, y[i]));
		mm_buf_puts(b, "\" r=\"2.5\"><title>");
		mm_html_esc(b, r->b[i].id);
		mm_buf_puts(b, " \xc2\xb7 adjusted p-value ");
		put_p(b, q);
		mm_buf_puts(b, " \xc2\xb7 smallest p-value ");
		put_p(b, p[arg]);
		mm_buf_puts(b, " (");
		mm_html_esc(b, r->feat[arg].name);
		mm_buf_puts(b, ")</title></circle>\n");
	}
	free(p);
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	mm_svg_key_line(b, "ln pline", "adjusted smallest p-value");
	mm_svg_key_line(b, "thr thr-alpha", alpha);
	mm_buf_puts(b, "</div>\n");
	section_close(b);
}

static void
put_text_or_dash(struct mm_buf *b, const char *s)
{
	if (s == NULL || *s == '\0')
		mm_buf_puts(b, "<span class=\"muted\">\xe2\x80\x93</span>");
	else
		mm_html_esc(b, s);
}

static void
section_decisions(struct mm_buf *b, const struct mm_report *r)
{
	int count[NACTIONS + 1] = { 0 };
	int i, nmarked = 0, nnone = 0, shown = 0, first = 1;

	section_open(b, "decisions", "Decisions", NULL);
	for (i = 0; i < r->nd; i++) {
		if (marked(&r->d[i])) {
			count[action_index(r->d[i].action)]++;
			nmarked++;
		} else
			nnone++;
	}
	if (r->nd == 0) {
		empty(b, "no decisions recorded");
		section_close(b);
		return;
	}
	mm_buf_printf(b, "<p class=\"note\">%d decision%s", r->nd,
	    r->nd == 1 ? "" : "s");
	for (i = 0; i <= NACTIONS; i++) {
		if (count[i] == 0)
			continue;
		mm_buf_printf(b, "%s %d %s", first ? ":" : ",", count[i],
		    i < NACTIONS ? actions[i] : "other");
		first = 0;
	}
	if (nnone > 0)
		mm_buf_printf(b, "%s %d none (not listed)", first ? ":" : ",",
		    nnone);
	mm_buf_putc(b, '.');
	if (nmarked > MAX_ROWS)
		mm_buf_printf(b, " The latest %d, newest first:", MAX_ROWS);
	else if (nmarked > 0)
		mm_buf_puts(b, " Newest first:");
	mm_buf_puts(b, "</p>\n");
	if (nmarked == 0) {
		section_close(b);
		return;
	}
	mm_buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr>"
	    "<th>Time (UTC)</th><th>Action</th><th>Source</th>"
	    "<th>Reason</th><th>Execution</th><th>Version</th>"
	    "</tr></thead>\n<tbody>\n");
	/* Newest first: what happened last is what is looked for. */
	for (i = r->nd - 1; i >= 0 && shown < MAX_ROWS; i--) {
		const struct mm_report_decision *d = &r->d[i];

		if (!marked(d))
			continue;
		shown++;
		mm_buf_printf(b, "<tr class=\"dec\"><td class=\"nowrap\">");
		mm_html_time(b, d->ts);
		mm_buf_printf(b, "</td><td><span class=\"badge a-%s\">",
		    action_class(d->action));
		mm_html_esc(b, d->action);
		mm_buf_puts(b, "</span></td><td>");
		put_text_or_dash(b, d->source);
		mm_buf_puts(b, "</td><td class=\"reason\">");
		put_text_or_dash(b, d->reason);
		mm_buf_puts(b, "</td><td>");
		put_text_or_dash(b, d->exec_status);
		if (d->exec_detail != NULL && *d->exec_detail != '\0') {
			mm_buf_puts(b, "<div class=\"detail\">");
			mm_html_esc(b, d->exec_detail);
			mm_buf_puts(b, "</div>");
		}
		mm_buf_puts(b, "</td><td class=\"mono\">");
		put_text_or_dash(b, d->version);
		mm_buf_puts(b, "</td></tr>\n");
	}
	mm_buf_puts(b, "</tbody>\n</table></div>\n");
	section_close(b);
}

static void
put_rows(struct mm_buf *b, long n)
{
	if (n < 0)
		mm_buf_puts(b, "\xe2\x80\x93");
	else
		mm_buf_printf(b, "%ld", n);
}

static void
section_versions(struct mm_buf *b, const struct mm_report *r)
{
	int i;

	section_open(b, "versions", "Model versions", "Newest first; the "
	    "store as it is now, whatever the time range.");
	if (r->nv == 0) {
		empty(b, "the model store has no versions");
		section_close(b);
		return;
	}
	mm_buf_puts(b, "<div class=\"vers\">\n");
	for (i = r->nv - 1; i >= 0; i--) {
		const struct mm_report_version *v = &r->v[i];
		int active = r->has_active &&
		    strcmp(v->name, r->active.version) == 0;
		int staged = strcmp(v->name, r->staged) == 0;
		int previous = r->has_active &&
		    strcmp(v->name, r->active.previous) == 0;

		mm_buf_printf(b, "<article class=\"ver%s\">\n<h3>",
		    active ? " active" : "");
		mm_html_esc(b, v->name);
		if (active)
			mm_buf_puts(b, " <span class=\"badge a-active\">"
			    "active</span>");
		if (staged)
			mm_buf_puts(b, " <span class=\"badge a-staged\">"
			    "staged</span>");
		if (previous)
			mm_buf_puts(b, " <span class=\"badge a-previous\">"
			    "previous</span>");
		mm_buf_puts(b, "</h3>\n<dl>\n<dt>Created</dt><dd>");
		put_text_or_dash(b, v->created_at);
		mm_buf_puts(b, "</dd>\n<dt>F1</dt><dd>");
		put_val(b, v->f1, 4);
		mm_buf_puts(b, "</dd>\n<dt>Accuracy</dt><dd>");
		put_val(b, v->accuracy, 4);
		mm_buf_puts(b, "</dd>\n<dt>Rows</dt><dd>");
		put_rows(b, v->rows_train);
		mm_buf_puts(b, " train, ");
		put_rows(b, v->rows_valid);
		mm_buf_puts(b, " validation</dd>\n");
		if (active) {
			mm_buf_puts(b, "<dt>Baseline F1</dt><dd>");
			put_val(b, r->active.baseline_f1, 4);
			mm_buf_puts(b, "</dd>\n<dt>Live since</dt><dd>");
			put_text_or_dash(b, r->active.promoted_at);
			mm_buf_puts(b, "</dd>\n");
		}
		mm_buf_puts(b, "</dl>\n");
		if (v->card != NULL) {
			mm_buf_puts(b, "<details><summary>card.json</summary>"
			    "<pre>");
			mm_html_esc(b, v->card);
			mm_buf_puts(b, "</pre></details>\n");
		} else
			mm_buf_puts(b, "<p class=\"warn\">card.json could not "
			    "be read</p>\n");
		mm_buf_puts(b, "</article>\n");
	}
	mm_buf_puts(b, "</div>\n");
	section_close(b);
}

static void
tile(struct mm_buf *b, const char *key, const char *cls)
{
	mm_buf_printf(b, "<div class=\"tile\"><div class=\"k\">%s</div>"
	    "<div class=\"v%s%s\">", key, cls ? " " : "", cls ? cls : "");
}

static void
tiles(struct mm_buf *b, const struct mm_report *r)
{
	double trust = NAN, f1 = NAN;
	const char *status = NULL;
	int i, nmarked = 0;

	for (i = 0; i < r->nb; i++) {
		if (!isnan(r->b[i].trust))
			trust = r->b[i].trust;
		if (!isnan(r->b[i].f1))
			f1 = r->b[i].f1;
		if (r->b[i].status != NULL)
			status = r->b[i].status;
	}
	for (i = 0; i < r->nd; i++)
		nmarked += marked(&r->d[i]);
	mm_buf_puts(b, "<div class=\"tiles\">\n");
	tile(b, "Batches", NULL);
	mm_buf_printf(b, "%d</div></div>\n", r->nb);
	tile(b, "Latest trust", NULL);
	put_val(b, trust, 3);
	mm_buf_puts(b, "</div></div>\n");
	tile(b, "Latest F1", NULL);
	put_val(b, f1, 3);
	mm_buf_puts(b, "</div></div>\n");
	tile(b, "Latest drift", status != NULL ? (strcmp(status, "severe") ==
	    0 ? "bad" : strcmp(status, "moderate") == 0 ? "warn" : "ok") :
	    NULL);
	put_text_or_dash(b, status);
	mm_buf_puts(b, "</div></div>\n");
	tile(b, "Decisions", NULL);
	mm_buf_printf(b, "%d</div></div>\n", nmarked);
	tile(b, "Active version", "mono small");
	put_text_or_dash(b, r->has_active ? r->active.version : NULL);
	mm_buf_puts(b, "</div></div>\n</div>\n");
}

static void
header(struct mm_buf *b, const struct mm_report *r, const struct span *sp)
{
	mm_buf_puts(b, "<header>\n<h1>");
	mm_html_esc(b, r->title);
	mm_buf_puts(b, "</h1>\n<p class=\"sub\">");
	if (!sp->empty || isfinite(r->from) || isfinite(r->to)) {
		mm_buf_puts(b, "From ");
		mm_html_time(b, sp->t0);
		mm_buf_puts(b, " to ");
		mm_html_time(b, sp->t1);
		mm_buf_puts(b, " UTC \xc2\xb7 ");
	}
	mm_buf_puts(b, "database <span class=\"mono\">");
	mm_html_esc(b, r->db != NULL ? r->db : "?");
	mm_buf_puts(b, "</span> \xc2\xb7 generated ");
	mm_html_time(b, r->now);
	mm_buf_puts(b, " UTC</p>\n</header>\n");
}

void
mm_report_html(const struct mm_report *r, struct mm_buf *b)
{
	struct mm_report_top top[MAX_TOP];
	struct span sp;
	double *x, *y;
	int n = r->nb > 0 ? r->nb : 1, nall, ntop;

	x = mm_xmalloc((size_t)n * sizeof(double));
	y = mm_xmalloc((size_t)n * sizeof(double));
	time_span(r, &sp);
	nall = mm_report_rank(r, top, MAX_TOP);
	ntop = nall < MAX_TOP ? nall : MAX_TOP;
	mm_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"mm-report " MM_VERSION
	    "\">\n<title>");
	mm_html_esc(b, r->title);
	mm_buf_puts(b, "</title>\n<style>\n");
	mm_buf_put(b, mm_report_css, mm_report_css_len);
	mm_buf_puts(b, "</style>\n</head>\n<body>\n<main>\n");
	header(b, r, &sp);
	tiles(b, r);
	if (sp.empty)
		mm_buf_printf(b, "<p class=\"empty\">No data: no batches and "
		    "no decisions %s.</p>\n", isfinite(r->from) ||
		    isfinite(r->to) ? "in this time range" : "in the database");
	section_trust(b, r, &sp, x, y);
	section_f1(b, r, &sp, x, y);
	section_drifted(b, r, top, ntop, nall);
	section_psi(b, r, &sp, x, y, top, ntop);
	section_pval(b, r, &sp, x, y);
	section_decisions(b, r);
	section_versions(b, r);
	mm_buf_puts(b, "<footer>mm-report " MM_VERSION "</footer>\n"
	    "</main>\n</body>\n</html>\n");
	free(x);
	free(y);
}
