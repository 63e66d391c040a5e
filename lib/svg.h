/*
 * svg.h - the drawing of mm-report's charts as inline SVG: scales,
 * ticks, series, bands, axes, markers, legend keys and the heat map's
 * colours.  Pure: text into a struct mm_buf, no I/O.
 */
#ifndef MM_SVG_H
#define MM_SVG_H

#include "json.h"

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

/* "x,y": a pixel coordinate pair as mm_svg_num() writes them. */
void mm_svg_xy(struct mm_buf *b, double x, double y);

/* One <rect class="cls"> from (x0, y0) to (x1, y1), in pixels. */
void mm_svg_rect(struct mm_buf *b, const char *cls, double x0, double y0,
    double x1, double y1);

/* One <line class="cls"> from (x0, y0) to (x1, y1), in pixels. */
void mm_svg_line(struct mm_buf *b, const char *cls, double x0, double y0,
    double x1, double y1);

/* One <text class="cls"> at (x, y), in pixels; s is escaped. */
void mm_svg_text(struct mm_buf *b, const char *cls, double x, double y,
    const char *s);

/* The <svg> element of chart c, labelled for screen readers. */
void mm_svg_open(struct mm_buf *b, const struct mm_chart *c,
    const char *label);

/*
 * Horizontal grid lines at the n y ticks t, labelled on the left with
 * the decimals that step needs (a log axis: 0.001 to 1, 10 to 1e6, or
 * 1eN).
 */
void mm_svg_grid_y(struct mm_buf *b, const struct mm_chart *c,
    const double *t, int n, double step);

/* The time axis: vertical grid lines and ticks in UTC along the bottom. */
void mm_svg_axis_time(struct mm_buf *b, const struct mm_chart *c);

/* The shapes of markers, about 12 pixels across. */
enum mm_mark {
	MM_MARK_UP,		/* a triangle pointing up */
	MM_MARK_CIRCLE,
	MM_MARK_SQUARE,
	MM_MARK_DOWN,		/* a triangle pointing down */
	MM_MARK_DIAMOND
};

/* The path data ("M...Z") of a marker centred on (x, y). */
void mm_svg_marker(struct mm_buf *b, enum mm_mark shape, double x,
    double y);

/*
 * Legend keys, as <span> elements: a short line of class cls, or a
 * swatch of colour ("#rrggbb"), then the label (escaped).
 */
void mm_svg_key_line(struct mm_buf *b, const char *cls, const char *label);
void mm_svg_key_swatch(struct mm_buf *b, const char *colour,
    const char *label);

/*
 * Axis ticks: at most max nice values (1, 2, 2.5 or 5 times a power of
 * ten) in [lo, hi]; decades for a log axis; round UTC times (a minute,
 * an hour, a day ...) for a time axis.  Each returns the number of ticks
 * written to t, and the step through *step (seconds for time).
 */
#define MM_MAXTICKS 16	/* no axis has more ticks than this */

int mm_ticks(double lo, double hi, int max, double *t, double *step);
int mm_log_ticks(double lo, double hi, int max, double *t);
int mm_time_ticks(double t0, double t1, int max, double *t, double *step);

/*
 * The heat map colour of a drift value (psi_adj, or PSI where that is
 * all there is) under the bands moderate < severe, "#rrggbb", into buf
 * (8 bytes): greens below moderate, ambers up to severe, reds from
 * severe, darkest at ten times severe; grey for NaN.
 */
void mm_psi_colour(double v, double moderate, double severe, char *buf);

#endif
