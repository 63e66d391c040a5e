/*
 * test_svg.c - the geometry of mm-report's charts (scales, points,
 * series, bands, ticks) and the heat map's colours at the configured
 * bands.  Every expected coordinate is worked by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asserts.h"
#include "svg.h"

/* 2025-11-26T06:53:20Z */
#define T0 1764140000.0

static void
test_scale_linear(void **state)
{
	struct mm_scale s = { 0, 10, 100, 200, 0 };
	struct mm_scale down = { 0, 1, 250, 30, 0 };
	struct mm_scale flat = { 3, 3, 100, 200, 0 };

	(void)state;
	assert_exact(mm_scale_map(&s, 0), 100);
	assert_exact(mm_scale_map(&s, 10), 200);
	assert_exact(mm_scale_map(&s, 5), 150);
	assert_exact(mm_scale_map(&s, -10), 0);	/* outside: extrapolated */
	/* y grows downwards: 0 at the bottom, 1 at the top. */
	assert_exact(mm_scale_map(&down, 0), 250);
	assert_exact(mm_scale_map(&down, 1), 30);
	assert_exact(mm_scale_map(&down, 0.5), 140);
	/* An empty domain maps to the middle. */
	assert_exact(mm_scale_map(&flat, 3), 150);
	assert_exact(mm_scale_map(&flat, 7), 150);
}

static void
test_scale_log(void **state)
{
	struct mm_scale s = { 1e-4, 1, 200, 0, 1 };

	(void)state;
	assert_exact(mm_scale_map(&s, 1), 0);
	assert_exact(mm_scale_map(&s, 1e-4), 200);
	/* log10(0.01) = -2, half way from -4 to 0. */
	assert_near(mm_scale_map(&s, 1e-2), 100);
	assert_near(mm_scale_map(&s, 1e-3), 150);
	/* At or below 0: the bottom of the range. */
	assert_exact(mm_scale_map(&s, 0), 200);
	assert_exact(mm_scale_map(&s, -1), 200);
}

static void
test_chart(void **state)
{
	struct mm_chart c;

	(void)state;
	/* 1000 x 280: x from 64 to 1000 - 24 = 976, y from 250 to 30. */
	mm_chart_init(&c, 1000, 280, T0, T0 + 3600, 0, 1, 0);
	assert_exact(mm_chart_x(&c, T0), MM_CHART_LEFT);
	assert_exact(mm_chart_x(&c, T0 + 3600), 1000 - MM_CHART_RIGHT);
	assert_exact(mm_chart_x(&c, T0 + 1800), 520);
	assert_exact(mm_chart_y(&c, 0), 280 - MM_CHART_BOTTOM);
	assert_exact(mm_chart_y(&c, 1), MM_CHART_TOP);
	assert_exact(mm_chart_y(&c, 0.25), 195);

	/* p-values: 1 at the top, 1e-12 at the bottom, 1e-6 between. */
	mm_chart_init(&c, 1000, 260, T0, T0 + 60, 1e-12, 1, 1);
	assert_exact(mm_chart_y(&c, 1), 30);
	assert_near(mm_chart_y(&c, 1e-12), 230);
	assert_near(mm_chart_y(&c, 1e-6), 130);
	assert_exact(mm_chart_y(&c, 0), 230);
}

static void
test_svg_num(void **state)
{
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_svg_num(&b, 100);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, 155.2);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, 1.26);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, -0.04);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, -0.5);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, -12.34);
	mm_buf_putc(&b, ' ');
	mm_svg_num(&b, NAN);
	assert_string_equal(b.p, "100 155.2 1.3 0 -0.5 -12.3 0");
	mm_buf_release(&b);
}

static void
test_points(void **state)
{
	/* x 0..10 onto 64..976 (91.2 a unit), y 0..1 onto 250..30. */
	const double x[] = { 0, 1, 5, 10 };
	const double y[] = { 0, 0.25, 0.5, 1 };
	struct mm_chart c;
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_chart_init(&c, 1000, 280, 0, 10, 0, 1, 0);
	mm_svg_points(&b, &c, x, y, 4);
	assert_string_equal(b.p, "64,250 155.2,195 520,140 976,30");
	mm_buf_release(&b);
}

static void
test_series(void **state)
{
	const double x[] = { 0, 1, 5, 10, 10 };
	const double y[] = { 0.5, NAN, 0.25, 1, NAN };
	const double none[] = { NAN, NAN };
	struct mm_chart c;
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_chart_init(&c, 1000, 280, 0, 10, 0, 1, 0);
	/* A missing value breaks the line; a lone point is a dot. */
	mm_svg_series(&b, &c, "ln f1", x, y, 5);
	assert_string_equal(b.p,
	    "<polyline class=\"ln f1\" points=\"64,140 64,140\"/>\n"
	    "<polyline class=\"ln f1\" points=\"520,195 976,30\"/>\n");
	mm_buf_reset(&b);
	mm_svg_series(&b, &c, "ln", x, none, 2);
	assert_int_equal(b.n, 0);
	mm_buf_release(&b);
}

static void
test_bands(void **state)
{
	struct mm_chart c;
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	/* y 0..0.5 onto 250..30: 440 pixels a unit; 0.1 at 206, 0.2 at
	   162. */
	mm_chart_init(&c, 1000, 280, 0, 1, 0, 0.5, 0);
	mm_svg_bands(&b, &c, 0.1, 0.2);
	assert_string_equal(b.p,
	    "<rect class=\"band band-moderate\" x=\"64\" y=\"162\" "
	    "width=\"912\" height=\"44\"/>\n"
	    "<rect class=\"band band-severe\" x=\"64\" y=\"30\" "
	    "width=\"912\" height=\"132\"/>\n"
	    "<line class=\"thr thr-moderate\" x1=\"64\" y1=\"206\" "
	    "x2=\"976\" y2=\"206\"/>\n"
	    "<line class=\"thr thr-severe\" x1=\"64\" y1=\"162\" "
	    "x2=\"976\" y2=\"162\"/>\n");

	/* Log 0.01..1 onto 250..30: 0.1 half way, at 140; 0.2 at
	   250 - 110 * (2 + log10 0.2) = 106.887. */
	mm_buf_reset(&b);
	mm_chart_init(&c, 1000, 280, 0, 1, 0.01, 1, 1);
	mm_svg_bands(&b, &c, 0.1, 0.2);
	assert_string_equal(b.p,
	    "<rect class=\"band band-moderate\" x=\"64\" y=\"106.9\" "
	    "width=\"912\" height=\"33.1\"/>\n"
	    "<rect class=\"band band-severe\" x=\"64\" y=\"30\" "
	    "width=\"912\" height=\"76.9\"/>\n"
	    "<line class=\"thr thr-moderate\" x1=\"64\" y1=\"140\" "
	    "x2=\"976\" y2=\"140\"/>\n"
	    "<line class=\"thr thr-severe\" x1=\"64\" y1=\"106.9\" "
	    "x2=\"976\" y2=\"106.9\"/>\n");

	/* A domain that stops at 0.15: no severe band, no 0.2 line. */
	mm_buf_reset(&b);
	mm_chart_init(&c, 1000, 280, 0, 1, 0, 0.15, 0);
	mm_svg_bands(&b, &c, 0.1, 0.2);
	assert_string_equal(b.p,
	    "<rect class=\"band band-moderate\" x=\"64\" y=\"30\" "
	    "width=\"912\" height=\"73.3\"/>\n"
	    "<line class=\"thr thr-moderate\" x1=\"64\" y1=\"103.3\" "
	    "x2=\"976\" y2=\"103.3\"/>\n");
	mm_buf_release(&b);
}


static void
test_ticks(void **state)
{
	double t[16], step;
	int n;

	(void)state;
	n = mm_ticks(0, 1, 6, t, &step);
	assert_int_equal(n, 6);
	assert_exact(step, 0.2);
	assert_exact(t[0], 0);
	assert_exact(t[3], 0.6000000000000001);	/* round(3) * 0.2 */
	assert_exact(t[5], 1);
	n = mm_ticks(0.5, 1, 6, t, &step);
	assert_int_equal(n, 6);
	assert_exact(step, 0.1);
	assert_exact(t[0], 0.5);
	assert_exact(t[5], 1);
	n = mm_ticks(0, 0.25, 6, t, &step);
	assert_int_equal(n, 6);
	assert_exact(step, 0.05);

	/* Twelve decades in at most seven ticks: every second one. */
	n = mm_log_ticks(1e-12, 1, 7, t);
	assert_int_equal(n, 7);
	assert_exact(t[0], 1);
	assert_near(t[1], 1e-2);
	assert_near(t[6], 1e-12);
	n = mm_log_ticks(0.01, 10, 7, t);
	assert_int_equal(n, 4);
	assert_exact(t[0], 10);
	assert_near(t[3], 0.01);

	/* 06:53:20 to 07:52:20: every ten minutes from 07:00. */
	n = mm_time_ticks(T0, T0 + 3540, 8, t, &step);
	assert_int_equal(n, 6);
	assert_exact(step, 600);
	assert_exact(t[0], T0 + 400);
	assert_exact(t[5], T0 + 3400);
	/* A week: a tick a day, at midnight UTC. */
	n = mm_time_ticks(T0, T0 + 7 * 86400, 8, t, &step);
	assert_int_equal(n, 7);
	assert_exact(step, 86400);
	assert_exact(t[0], 1764201600);		/* 2025-11-27T00:00:00Z */
}

static void
test_psi_colour(void **state)
{
	char c[8];

	(void)state;
	/* mm-psi's default bands, 0.1 and 0.2. */
	mm_psi_colour(NAN, 0.1, 0.2, c);
	assert_string_equal(c, "#e5e7eb");
	mm_psi_colour(0, 0.1, 0.2, c);
	assert_string_equal(c, "#f0f7f2");
	mm_psi_colour(0.1, 0.1, 0.2, c);
	assert_string_equal(c, "#fde68a");
	mm_psi_colour(0.2, 0.1, 0.2, c);
	assert_string_equal(c, "#f87171");
	mm_psi_colour(2, 0.1, 0.2, c);
	assert_string_equal(c, "#7f1d1d");
	mm_psi_colour(1e9, 0.1, 0.2, c);
	assert_string_equal(c, "#7f1d1d");

	/*
	 * Configured bands 0.25 and 0.5: each band starts at its own
	 * threshold, not at 0.1 and 0.2.  0.2 is four fifths of the way
	 * through the greens, f0f7f2 to bbe2c7: red 240 - 53 * 0.8 = 197.6
	 * is c6, green 247 - 21 * 0.8 = 230.2 is e6, blue 242 - 43 * 0.8 =
	 * 207.6 is d0.
	 */
	mm_psi_colour(0.2, 0.25, 0.5, c);
	assert_string_equal(c, "#c6e6d0");
	mm_psi_colour(nextafter(0.25, 0), 0.25, 0.5, c);
	assert_string_equal(c, "#bbe2c7");
	mm_psi_colour(0.25, 0.25, 0.5, c);
	assert_string_equal(c, "#fde68a");
	/* Half way through the ambers: fde68a and f59e0b average f9c24b. */
	mm_psi_colour(0.375, 0.25, 0.5, c);
	assert_string_equal(c, "#f9c24b");
	mm_psi_colour(nextafter(0.5, 0), 0.25, 0.5, c);
	assert_string_equal(c, "#f59e0b");
	mm_psi_colour(0.5, 0.25, 0.5, c);
	assert_string_equal(c, "#f87171");
	mm_psi_colour(5, 0.25, 0.5, c);
	assert_string_equal(c, "#7f1d1d");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_linear),
		cmocka_unit_test(test_scale_log),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_svg_num),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_psi_colour),
	};

	return cmocka_run_group_tests_name("svg", tests, NULL, NULL);
}
