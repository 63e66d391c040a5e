/*
 * report.h - the data and the drawing of mm-report: batches, decisions
 * and model versions in, one self-contained HTML page out (inline SVG
 * and a small style sheet; no scripts, fonts or images from anywhere).
 * Pure: no I/O and no clock; the caller reads the database and the
 * store, and writes the page.
 *
 * Every text that goes into the page is escaped.  Every time is Unix
 * seconds and is shown in UTC.
 */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include "json.h"
#include "store.h"

/*
 * A scale maps the domain [d0, d1] onto the pixel range [r0, r1],
 * linearly or, with log set, linearly in log10 (then d0, d1 > 0, and a
 * value at or below 0 maps to r0).  An empty domain maps everything to
 * the middle of the range.
 */
struct mm_scale {
	double d0, d1;
	double r0, r1;
	int log;
};

double mm_scale_map(const struct mm_scale *s, double v);

/*
 * A chart is w by h pixels with fixed margins around the plot area:
 * x maps [x0, x1] onto [MM_CHART_LEFT, w - MM_CHART_RIGHT] and y maps
 * [y0, y1] onto [h - MM_CHART_BOTTOM, MM_CHART_TOP] (SVG's y grows
 * downwards).
 */
#define MM_CHART_LEFT 64
#define MM_CHART_RIGHT 24
#define MM_CHART_TOP 30
#define MM_CHART_BOTTOM 30

struct mm_chart {
	double w, h;
	struct mm_scale x, y;
};

void mm_chart_init(struct mm_chart *c, double w, double h, double x0,
    double x1, double y0, double y1, int ylog);
double mm_chart_x(const struct mm_chart *c, double v);
double mm_chart_y(const struct mm_chart *c, double v);

/* A pixel coordinate as SVG text: rounded to 0.1, no trailing ".0". */
void mm_svg_num(struct mm_buf *b, double v);

/* "x,y x,y ..." for n points, in data units, mapped by the chart. */
void mm_svg_points(struct mm_buf *b, const struct mm_chart *c,
    const double *x, const double *y, int n);

/*
 * One <polyline class="cls"> per run of points whose y is not NaN: a
 * missing value breaks the line.  A run of one point is drawn as a
 * polyline of that point twice, which round caps show as a dot.
 */
void mm_svg_series(struct mm_buf *b, const struct mm_chart *c,
    const char *cls, const double *x, const double *y, int n);

/*
 * The y bands of the PSI chart, as <rect> elements over the plot area:
 * moderate from lo to hi, severe from hi to the top (clipped to the
 * chart's y domain), then a dashed line at each threshold.
 */
void mm_svg_bands(struct mm_buf *b, const struct mm_chart *c, double lo,
    double hi);

/*
 * Text escaped for HTML content and attribute values: & < > " ' become
 * entities, control characters other than tab and newline and bytes
 * that are not UTF-8 become U+FFFD.
 */
void mm_html_esc(struct mm_buf *b, const char *s);
void mm_html_escn(struct mm_buf *b, const char *s, size_t n);

/*
 * Axis ticks: at most max nice values (1, 2, 2.5 or 5 times a power of
 * ten) in [lo, hi]; decades for a log axis; round UTC times (a minute,
 * an hour, a day ...) for a time axis.  Each returns the number of ticks
 * written to t, and the step through *step (seconds for time).
 */
int mm_ticks(double lo, double hi, int max, double *t, double *step);
int mm_log_ticks(double lo, double hi, int max, double *t);
int mm_time_ticks(double t0, double t1, int max, double *t, double *step);

/*
 * The smallest of n p-values (NaN ignored) adjusted for their number
 * by Benjamini-Hochberg: min over i of p_(i) n' / i, at most 1, where
 * n' is the number of p-values.  At or below alpha exactly when BH at
 * level alpha finds at least one.  NaN when there is none.
 */
double mm_bh_min(const double *p, int n);

/*
 * The heat map colour of a drift value (psi_adj, or PSI where that is
 * all there is) under the bands moderate < severe, "#rrggbb", into buf
 * (8 bytes): greens below moderate, ambers up to severe, reds from
 * severe, darkest at ten times severe; grey for NaN.
 */
void mm_psi_colour(double v, double moderate, double severe, char *buf);

/* One batch, one row of the metrics table.  NaN where NULL. */
struct mm_report_batch {
	double ts;
	char *id;
	char *version;			/* NULL when unknown */
	double f1, accuracy, trust, drift_score;
	char *status;			/* drift status, NULL when unknown */
	int graded;			/* set by mm_report_add_batch(): the
					   batch's drift lists its drifted
					   features */
};

/* A feature seen in the drift of any batch, by batch. */
struct mm_report_feat {
	char *name;
	double *psi, *adj, *pval;	/* one per batch, NaN when absent */
	char *drifted;			/* one per batch, 0 or 1 */
};

/*
 * A feature that drifted in the report's batches: in how many, its
 * largest psi_adj among them and the batch of that (whose p-value the
 * report shows), and the last batch it drifted in.  Indices are into
 * r->feat and r->b; name is borrowed from r.
 */
struct mm_report_top {
	int feat;
	const char *name;
	int ndrifted;
	double max_adj;			/* NaN when no psi_adj was given */
	int at_max, last;
};

struct mm_report_decision {
	double ts;
	char *source, *action, *reason;
	char *exec_status, *exec_detail, *version;	/* NULL when NULL */
};

struct mm_report_version {
	char *name;
	char *card;			/* card.json pretty-printed; NULL
					   when it could not be read */
	char *created_at;		/* NULL when unknown */
	double f1, accuracy;		/* NaN when unknown */
	long rows_train, rows_valid;	/* -1 when unknown */
};

struct mm_report {
	/*
	 * What the caller sets before mm_report_html(); mm_report_init()
	 * sets the title and mm-psi's default bands and alpha.
	 */
	const char *title;
	const char *db;			/* the database shown in the header */
	double now;			/* when the report is made */
	double from, to;		/* the time range asked, NaN: open */
	int has_active;
	struct mm_active active;
	char staged[MM_VERSION_MAX];	/* "" when nothing is staged */
	double moderate, severe;	/* psi_adj bands (mm-psi's config) */
	double alpha;			/* significance level, after BH */

	/* Owned; filled by mm_report_add_*(). */
	struct mm_report_batch *b;
	int nb, capb;
	struct mm_report_feat *feat;
	int nfeat;
	struct mm_report_decision *d;
	int nd, capd;
	struct mm_report_version *v;
	int nv, capv;
};

void mm_report_init(struct mm_report *r);
void mm_report_release(struct mm_report *r);

/*
 * Add a batch, in time order.  Strings are copied; version and status
 * may be NULL; b->graded is ignored.  psi and pval are the JSON text of
 * the metrics table's columns ({"f0":0.01,...}) or NULL; drift is the
 * text of its drift column (the drift object of mm-psi without counts)
 * or NULL for batches recorded before it.  What drift holds wins: its
 * psi, psi_adj, p_value and status, and, when it has a "drifted" array,
 * the batch is graded and those features are drifted in it.  What is
 * not a number (or not a string in "drifted") is left out.
 */
void mm_report_add_batch(struct mm_report *r,
    const struct mm_report_batch *b, const char *psi, const char *pval,
    const char *drift);

/*
 * The features that drifted in at least one batch, into top (at most
 * max of them): most batches drifted first, then the largest psi_adj,
 * then the name in byte order.  Returns how many features drifted in
 * all, which may be more than max.
 */
int mm_report_rank(const struct mm_report *r, struct mm_report_top *top,
    int max);

/* Add a decision, in time order.  Strings are copied. */
void mm_report_add_decision(struct mm_report *r,
    const struct mm_report_decision *d);

/* Add a model version with the text of its card.json (NULL: unread). */
void mm_report_add_version(struct mm_report *r, const char *name,
    const char *card);

/* Append the whole page to out. */
void mm_report_html(const struct mm_report *r, struct mm_buf *out);

#endif
