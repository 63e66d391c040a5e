#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh.h"
#include "html.h"
#include "report_page.h"
#include "svg.h"

#define CHART_W 1000
#define MAX_POINTS 200		/* dots with a tooltip up to this many */
#define MAX_CELLS 4000		/* heat map cells with a tooltip */
#define MIN_CELL 2		/* the narrowest heat map cell, pixels */
#define P_FLOOR 1e-12		/* smaller p-values are drawn here */
#define PSI_FLOOR 0.01		/* smaller PSI is drawn here */

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

/* A decision's marker: a shape for each of mm_page_actions, then one. */
static void
marker(struct mm_buf *b, const char *action, double x, double y)
{
	static const enum mm_mark shapes[MM_NACTIONS + 1] = {
		MM_MARK_UP, MM_MARK_CIRCLE, MM_MARK_SQUARE, MM_MARK_DOWN,
		MM_MARK_DIAMOND
	};

	mm_svg_marker(b, shapes[mm_page_action(action)], x, y);
}

static void
key_marker(struct mm_buf *b, const char *action, int count)
{
	mm_buf_printf(b, "<span><svg class=\"key\" viewBox=\"0 0 18 14\">"
	    "<path class=\"lg lg-%s\" d=\"", mm_page_action_class(action));
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
		const char *cls = mm_page_action_class(d->action);
		double x = mm_chart_x(c, d->ts);

		if (!mm_page_marked(d))
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

void
mm_page_trust(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], step, min = 1;
	int count[MM_NACTIONS + 1] = { 0 };
	int i, n = 0, nmarks = 0, nhollow = 0, nt;
	struct mm_chart c;

	mm_page_open(b, "trust", "Trust score", "Each batch's trust score "
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
		if (mm_page_marked(&r->d[i])) {
			count[mm_page_action(r->d[i].action)]++;
			nmarks++;
			nhollow += !executed(&r->d[i]);
		}
	if (n == 0 && nmarks == 0) {
		mm_page_empty(b, "no batch has a trust score and there are no "
		    "decisions");
		mm_page_close(b);
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
	for (i = 0; i < MM_NACTIONS; i++)
		key_marker(b, mm_page_actions[i], count[i]);
	if (count[MM_NACTIONS] > 0)
		key_marker(b, "other", count[MM_NACTIONS]);
	if (nhollow > 0)
		mm_buf_puts(b, "<span><svg class=\"key\" viewBox=\"0 0 18 14\">"
		    "<path class=\"lg lg-other hollow\" d=\"M4,2h10v10h-10Z\"/>"
		    "</svg>hollow: not executed</span>\n");
	mm_buf_puts(b, "</div>\n");
	if (n == 0)
		mm_page_empty(b, "no batch has a trust score");
	mm_page_close(b);
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

void
mm_page_f1(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], step, min = 1, base, lastx = -1e9;
	const char *prev = NULL;
	int i, j, n = 0, nt, nchanges = 0, nbase = 0;
	struct mm_chart c;

	mm_page_open(b, "f1", "F1 against the baseline", "Each batch's F1 "
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
		mm_page_empty(b, "no batch has an F1 yet (F1 needs labels)");
		mm_page_close(b);
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
				mm_svg_text(b, "vlabel", xv + 4,
				    MM_CHART_TOP - 8, v);
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
		mm_svg_key_line(b, "base",
		    "baseline F1 of the serving version");
	mm_buf_printf(b, "<span><svg class=\"key\" viewBox=\"0 0 18 12\">"
	    "<line class=\"vc-key\" x1=\"9\" y1=\"0\" x2=\"9\" "
	    "y2=\"12\"/></svg>version change (%d)</span>\n", nchanges);
	mm_buf_puts(b, "</div>\n");
	mm_page_close(b);
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
	mm_page_val(b, v, 4);
	if (j == i && adj && !isnan(f->psi[i])) {
		mm_buf_puts(b, " (PSI ");
		mm_page_val(b, f->psi[i], 4);
		mm_buf_puts(b, ")");
	}
	if (j == i && !isnan(f->pval[i])) {
		mm_buf_puts(b, " \xc2\xb7 p-value ");
		mm_page_p(b, f->pval[i]);
	}
	if (ndrifted > 0 && j == i)
		mm_buf_puts(b, " \xc2\xb7 drifted");
	else if (ndrifted > 0)
		mm_buf_printf(b, " \xc2\xb7 drifted in %d", ndrifted);
	mm_buf_puts(b, "</title>");
}

static void
heatmap(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *tmp)
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
			mm_svg_text(b, "tick ty", c.x.r0 - 8,
			    y0 + rowh / 2.0 + 4, f->name);
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
	mm_page_val(b, f->adj[i], 4);
	mm_buf_puts(b, ", p-value ");
	mm_page_pval(b, f->pval[i]);
	mm_buf_puts(b, "</title></circle>\n");
}

/*
 * psi_adj of the features that drifted most, one line each, with a
 * ring where a feature drifted (when there are not too many); then
 * every feature in a heat map.
 */
void
mm_page_psi(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y,
    const struct mm_report_top *top, int ntop)
{
	double t[MM_MAXTICKS], max = 0, ytop, ymod, ysev, lo = psi_floor(r), v;
	int i, k, n = 0, nraw = 0, nt, adj, raw, nrings = 0;
	struct mm_chart c;
	char cls[32];

	mm_page_open(b, "psi", "Drift: psi_adj per feature", NULL);
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
		mm_page_empty(b, "no batch has PSI values");
		mm_page_close(b);
		return;
	}
	if (ntop == 0) {
		mm_buf_puts(b, "<p class=\"note\">No feature drifted, so no "
		    "lines are drawn.</p>\n");
		heatmap(b, r, sp, y);
		mm_page_close(b);
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
	mm_page_close(b);
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

void
mm_page_pvalues(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y)
{
	double t[MM_MAXTICKS], min = 1, lo, *p, q;
	int i, n = 0, nt, arg;
	struct mm_chart c;
	char alpha[32];

	snprintf(alpha, sizeof(alpha), "%g", r->alpha);
	mm_page_open(b, "pvalue", "Drift: p-values", NULL);
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
		mm_page_empty(b, "no batch has p-values");
		mm_page_close(b);
		free(p);
		return;
	}
	lo = pow(10, floor(log10(fmin(min, fmin(r->alpha, 0.01))) + 1e-9));
	mm_chart_init(&c, CHART_W, 260, sp->t0, sp->t1, lo, 1, 1);
	mm_svg_open(b, &c, "adjusted smallest drift p-value per batch");
	nt = mm_log_ticks(lo, 1, 7, t);
	mm_svg_grid_y(b, &c, t, nt, 1);
	mm_svg_axis_time(b, &c);
	mm_svg_line(b, "thr thr-alpha", c.x.r0, mm_chart_y(&c, r->alpha),
	    c.x.r1, mm_chart_y(&c, r->alpha));
	mm_svg_text(b, "tick thr-label", c.x.r1 - 4,
	    mm_chart_y(&c, r->alpha) - 5, alpha);
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
		mm_page_p(b, q);
		mm_buf_puts(b, " \xc2\xb7 smallest p-value ");
		mm_page_p(b, p[arg]);
		mm_buf_puts(b, " (");
		mm_html_esc(b, r->feat[arg].name);
		mm_buf_puts(b, ")</title></circle>\n");
	}
	free(p);
	mm_buf_puts(b, "</svg>\n<div class=\"legend\">\n");
	mm_svg_key_line(b, "ln pline", "adjusted smallest p-value");
	mm_svg_key_line(b, "thr thr-alpha", alpha);
	mm_buf_puts(b, "</div>\n");
	mm_page_close(b);
}
