#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "svg.h"

/*
 * Scales and charts.
 */

double
mm_scale_map(const struct mm_scale *s, double v)
{
	double a = s->d0, z = s->d1;

	if (s->log) {
		if (!(v > 0))
			return s->r0;
		a = log10(a);
		z = log10(z);
		v = log10(v);
	}
	if (a == z)
		return (s->r0 + s->r1) / 2;
	return s->r0 + (v - a) / (z - a) * (s->r1 - s->r0);
}

void
mm_chart_init(struct mm_chart *c, double w, double h, double x0, double x1,
    double y0, double y1, int ylog)
{
	c->w = w;
	c->h = h;
	c->x = (struct mm_scale){ x0, x1, MM_CHART_LEFT, w - MM_CHART_RIGHT,
	    0 };
	c->y = (struct mm_scale){ y0, y1, h - MM_CHART_BOTTOM, MM_CHART_TOP,
	    ylog };
}

double
mm_chart_x(const struct mm_chart *c, double v)
{
	return mm_scale_map(&c->x, v);
}

double
mm_chart_y(const struct mm_chart *c, double v)
{
	return mm_scale_map(&c->y, v);
}

void
mm_svg_num(struct mm_buf *b, double v)
{
	char tmp[64];
	long t = lround(v * 10);

	if (!isfinite(v) || fabs(v) > 1e9) {
		mm_buf_putc(b, '0');
		return;
	}
	if (t % 10 == 0)
		snprintf(tmp, sizeof(tmp), "%ld", t / 10);
	else
		snprintf(tmp, sizeof(tmp), "%s%ld.%ld", t < 0 ? "-" : "",
		    labs(t) / 10, labs(t) % 10);
	mm_buf_puts(b, tmp);
}

void
mm_svg_xy(struct mm_buf *b, double x, double y)
{
	mm_svg_num(b, x);
	mm_buf_putc(b, ',');
	mm_svg_num(b, y);
}

void
mm_svg_points(struct mm_buf *b, const struct mm_chart *c, const double *x,
    const double *y, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			mm_buf_putc(b, ' ');
		mm_svg_xy(b, mm_chart_x(c, x[i]), mm_chart_y(c, y[i]));
	}
}

void
mm_svg_series(struct mm_buf *b, const struct mm_chart *c, const char *cls,
    const double *x, const double *y, int n)
{
	int i = 0, j;

	while (i < n) {
		if (isnan(y[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && !isnan(y[j]); j++)
			;
		mm_buf_printf(b, "<polyline class=\"%s\" points=\"", cls);
		mm_svg_points(b, c, x + i, y + i, j - i);
		if (j - i == 1) {
			mm_buf_putc(b, ' ');
			mm_svg_points(b, c, x + i, y + i, 1);
		}
		mm_buf_puts(b, "\"/>\n");
		i = j;
	}
}

void
mm_svg_rect(struct mm_buf *b, const char *cls, double x0, double y0,
    double x1, double y1)
{
	mm_buf_printf(b, "<rect class=\"%s\" x=\"", cls);
	mm_svg_num(b, x0);
	mm_buf_puts(b, "\" y=\"");
	mm_svg_num(b, y0);
	mm_buf_puts(b, "\" width=\"");
	mm_svg_num(b, x1 - x0);
	mm_buf_puts(b, "\" height=\"");
	mm_svg_num(b, y1 - y0);
	mm_buf_puts(b, "\"/>\n");
}

void
mm_svg_line(struct mm_buf *b, const char *cls, double x0, double y0,
    double x1, double y1)
{
	mm_buf_printf(b, "<line class=\"%s\" x1=\"", cls);
	mm_svg_num(b, x0);
	mm_buf_puts(b, "\" y1=\"");
	mm_svg_num(b, y0);
	mm_buf_puts(b, "\" x2=\"");
	mm_svg_num(b, x1);
	mm_buf_puts(b, "\" y2=\"");
	mm_svg_num(b, y1);
	mm_buf_puts(b, "\"/>\n");
}

static double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
mm_svg_bands(struct mm_buf *b, const struct mm_chart *c, double lo,
    double hi)
{
	double left = c->x.r0, right = c->x.r1;
	double top = c->y.d1 > c->y.d0 ? c->y.d1 : c->y.d0;
	double bot = c->y.d1 > c->y.d0 ? c->y.d0 : c->y.d1;
	double ylo = mm_chart_y(c, clampd(lo, bot, top));
	double yhi = mm_chart_y(c, clampd(hi, bot, top));
	double ytop = mm_chart_y(c, top);

	if (yhi < ylo)
		mm_svg_rect(b, "band band-moderate", left, yhi, right, ylo);
	if (ytop < yhi)
		mm_svg_rect(b, "band band-severe", left, ytop, right, yhi);
	if (lo >= bot && lo <= top)
		mm_svg_line(b, "thr thr-moderate", left, ylo, right, ylo);
	if (hi >= bot && hi <= top)
		mm_svg_line(b, "thr thr-severe", left, yhi, right, yhi);
}

/*
 * Ticks.
 */

int
mm_ticks(double lo, double hi, int max, double *t, double *step)
{
	static const double nice[] = { 1, 2, 2.5, 5, 10 };
	double raw, mag, s = 0, v;
	int i, n = 0;

	if (!(hi > lo) || max < 2) {
		*step = 0;
		if (max < 1 || !isfinite(lo))
			return 0;
		t[0] = lo;
		return 1;
	}
	if (max > MM_MAXTICKS)
		max = MM_MAXTICKS;
	raw = (hi - lo) / (max - 1);
	mag = pow(10, floor(log10(raw)));
	for (i = 0; i < 5; i++) {
		s = nice[i] * mag;
		if (s >= raw * (1 - 1e-9))
			break;
	}
	for (v = ceil(lo / s - 1e-9) * s; v <= hi + s * 1e-9 && n < max;
	    v += s) {
		/* Snap to the step so 0.30000000000000004 prints as 0.3. */
		t[n] = round(v / s) * s;
		if (fabs(t[n]) < s * 1e-9)
			t[n] = 0;
		n++;
	}
	*step = s;
	return n;
}

int
mm_log_ticks(double lo, double hi, int max, double *t)
{
	static const int ksteps[] = { 1, 2, 5, 10, 20, 50, 100 };
	int e0, e1, i, k, e, n = 0;

	if (!(lo > 0) || !(hi >= lo) || max < 1)
		return 0;
	if (max > MM_MAXTICKS)
		max = MM_MAXTICKS;
	e0 = (int)ceil(log10(lo) - 1e-9);
	e1 = (int)floor(log10(hi) + 1e-9);
	if (e1 < e0)
		return 0;
	for (i = 0; (e1 - e0) / ksteps[i] + 1 > max && i < 6; i++)
		;
	k = ksteps[i];
	/* Count down from the top so 1 is always a tick. */
	for (e = e1; e >= e0 && n < max; e -= k)
		t[n++] = pow(10, e);
	return n;
}

int
mm_time_ticks(double t0, double t1, int max, double *t, double *step)
{
	static const double steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
		7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400,
		14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400, 364 * 86400
	};
	size_t i;
	double s = 0, v;
	int n = 0;

	if (!(t1 >= t0) || max < 1)
		return 0;
	if (max > MM_MAXTICKS)
		max = MM_MAXTICKS;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		s = steps[i];
		if ((t1 - t0) / s < max)
			break;
	}
	while ((t1 - t0) / s >= max)
		s *= 2;
	for (v = ceil(t0 / s) * s; v <= t1 && n < max; v += s)
		t[n++] = v;
	*step = s;
	return n;
}

/*
 * Colours.
 */

struct rgb {
	double r, g, b;
};

static struct rgb
mix(struct rgb a, struct rgb z, double f)
{
	f = clampd(f, 0, 1);
	return (struct rgb){ a.r + (z.r - a.r) * f, a.g + (z.g - a.g) * f,
	    a.b + (z.b - a.b) * f };
}

void
mm_psi_colour(double v, double moderate, double severe, char *buf)
{
	static const struct rgb s0 = { 0xf0, 0xf7, 0xf2 };
	static const struct rgb s1 = { 0xbb, 0xe2, 0xc7 };
	static const struct rgb m0 = { 0xfd, 0xe6, 0x8a };
	static const struct rgb m1 = { 0xf5, 0x9e, 0x0b };
	static const struct rgb v0 = { 0xf8, 0x71, 0x71 };
	static const struct rgb v1 = { 0x7f, 0x1d, 0x1d };
	struct rgb c;

	if (isnan(v)) {
		strcpy(buf, "#e5e7eb");
		return;
	}
	if (v < moderate)
		c = mix(s0, s1, v / moderate);
	else if (v < severe)
		c = mix(m0, m1, (v - moderate) / (severe - moderate));
	else	/* The darkest red at ten times the severe band. */
		c = mix(v0, v1, severe > 0 ? log10(v / severe) : 1);
	snprintf(buf, 8, "#%02x%02x%02x", (unsigned)lround(c.r),
	    (unsigned)lround(c.g), (unsigned)lround(c.b));
}

/*
 * Axes, markers and legend keys.
 */

void
mm_svg_open(struct mm_buf *b, const struct mm_chart *c, const char *label)
{
	mm_buf_printf(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"", c->w, c->h);
	mm_html_esc(b, label);
	mm_buf_puts(b, "\">\n");
}

/* Decimals that show every multiple of step exactly. */
static int
decimals(double step)
{
	int d;

	for (d = 0; d < 6; d++) {
		double m = step * pow(10, d);

		if (fabs(m - round(m)) < 1e-6 * m)
			break;
	}
	return d;
}

void
mm_svg_text(struct mm_buf *b, const char *cls, double x, double y,
    const char *s)
{
	mm_buf_printf(b, "<text class=\"%s\" x=\"", cls);
	mm_svg_num(b, x);
	mm_buf_puts(b, "\" y=\"");
	mm_svg_num(b, y);
	mm_buf_puts(b, "\">");
	mm_html_esc(b, s);
	mm_buf_puts(b, "</text>\n");
}

/* Horizontal grid lines and their labels. */
void
mm_svg_grid_y(struct mm_buf *b, const struct mm_chart *c, const double *t,
    int n, double step)
{
	char tmp[32];
	int i, e, dec = decimals(step);

	for (i = 0; i < n; i++) {
		double y = mm_chart_y(c, t[i]);

		mm_svg_line(b, "grid", c->x.r0, y, c->x.r1, y);
		if (c->y.log) {
			e = (int)lround(log10(t[i]));
			if (e >= -3 && e <= 0)
				snprintf(tmp, sizeof(tmp), "%.*f", -e, t[i]);
			else if (e > 0 && e <= 6)
				snprintf(tmp, sizeof(tmp), "%.0f", t[i]);
			else
				snprintf(tmp, sizeof(tmp), "1e%d", e);
		} else
			snprintf(tmp, sizeof(tmp), "%.*f", dec, t[i]);
		mm_svg_text(b, "tick ty", c->x.r0 - 8, y + 4, tmp);
	}
}

/* The time axis: ticks in UTC along the bottom. */
void
mm_svg_axis_time(struct mm_buf *b, const struct mm_chart *c)
{
	double t[MM_MAXTICKS], step, y = c->y.r0;
	const char *fmt;
	char tmp[64];
	int i, n;

	n = mm_time_ticks(c->x.d0, c->x.d1, 8, t, &step);
	if (step >= 86400)
		fmt = "%b %d";
	else if (c->x.d1 - c->x.d0 >= 86400)
		fmt = "%b %d %H:%M";
	else if (step >= 60)
		fmt = "%H:%M";
	else
		fmt = "%H:%M:%S";
	for (i = 0; i < n; i++) {
		double x = mm_chart_x(c, t[i]);

		mm_svg_line(b, "grid", x, c->y.r1, x, y);
		mm_svg_line(b, "axis", x, y, x, y + 4);
		mm_html_utc(tmp, sizeof(tmp), t[i], fmt);
		mm_svg_text(b, "tick tx", x, y + 17, tmp);
	}
	mm_svg_line(b, "axis", c->x.r0, y, c->x.r1, y);
}

void
mm_svg_marker(struct mm_buf *b, enum mm_mark shape, double x, double y)
{
	mm_buf_puts(b, "M");
	switch (shape) {
	case MM_MARK_UP:
		mm_svg_xy(b, x, y - 6);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x + 6, y + 5);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x - 6, y + 5);
		break;
	case MM_MARK_CIRCLE:
		mm_svg_xy(b, x - 5, y);
		mm_buf_puts(b, "a5,5 0 1,0 10,0a5,5 0 1,0 -10,0");
		break;
	case MM_MARK_SQUARE:
		mm_svg_xy(b, x - 5, y - 5);
		mm_buf_puts(b, "h10v10h-10");
		break;
	case MM_MARK_DOWN:
		mm_svg_xy(b, x, y + 6);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x + 6, y - 5);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x - 6, y - 5);
		break;
	default:	/* MM_MARK_DIAMOND */
		mm_svg_xy(b, x, y - 6);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x + 6, y);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x, y + 6);
		mm_buf_puts(b, "L");
		mm_svg_xy(b, x - 6, y);
	}
	mm_buf_puts(b, "Z");
}

/* A small inline SVG of a legend entry's line. */
void
mm_svg_key_line(struct mm_buf *b, const char *cls, const char *label)
{
	mm_buf_printf(b, "<span><svg class=\"key\" viewBox=\"0 0 18 12\">"
	    "<line class=\"%s\" x1=\"1\" y1=\"6\" x2=\"17\" y2=\"6\"/></svg>",
	    cls);
	mm_html_esc(b, label);
	mm_buf_puts(b, "</span>\n");
}

void
mm_svg_key_swatch(struct mm_buf *b, const char *colour, const char *label)
{
	mm_buf_printf(b, "<span><i class=\"sw\" style=\"background:%s\">"
	    "</i>", colour);
	mm_html_esc(b, label);
	mm_buf_puts(b, "</span>\n");
}
