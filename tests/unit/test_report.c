/*
 * test_report.c - the geometry of mm-report's charts (scales, points,
 * bands, ticks), HTML escaping, and pages built from small reports.
 * Every expected coordinate is worked by hand in the comments.
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

#include "report.h"

/* 2025-11-26T06:53:20Z */
#define T0 1764140000.0

#define assert_exact(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(g_ == w_))						\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_near(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= 1e-9 * fmax(1, fabs(w_))))		\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

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
test_html_esc(void **state)
{
	struct mm_buf b;

	(void)state;
	mm_buf_init(&b);
	mm_html_esc(&b, "<a href=\"x\">Tom & 'Jerry'</a>");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;Tom &amp; "
	    "&#39;Jerry&#39;&lt;/a&gt;");

	/* UTF-8 passes; tab and newline pass; the rest becomes U+FFFD. */
	mm_buf_reset(&b);
	mm_html_esc(&b, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\x88\t\n");
	assert_string_equal(b.p, "caf\xc3\xa9 \xe2\x86\x92 "
	    "\xf0\x9f\x93\x88\t\n");
	mm_buf_reset(&b);
	mm_html_esc(&b, "a\x01" "b\x7f" "c\xff" "d");
	assert_string_equal(b.p, "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "c\xef\xbf\xbd" "d");
	/* Overlong, surrogate, too big, cut short: one U+FFFD a byte. */
	mm_buf_reset(&b);
	mm_html_esc(&b, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82");
	assert_string_equal(b.p,
	    "\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* A NUL inside a counted string. */
	mm_buf_reset(&b);
	mm_html_escn(&b, "x\0y", 3);
	assert_string_equal(b.p, "x\xef\xbf\xbdy");
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
	mm_psi_colour(NAN, c);
	assert_string_equal(c, "#e5e7eb");
	mm_psi_colour(0, c);
	assert_string_equal(c, "#f0f7f2");
	mm_psi_colour(0.1, c);
	assert_string_equal(c, "#fde68a");
	mm_psi_colour(0.2, c);
	assert_string_equal(c, "#f87171");
	mm_psi_colour(2, c);
	assert_string_equal(c, "#7f1d1d");
	mm_psi_colour(1e9, c);
	assert_string_equal(c, "#7f1d1d");
}

static void
test_bh_min(void **state)
{
	/* Sorted 0.01 0.03 0.04 0.5: 0.04, 0.06, 0.0533.., 0.5. */
	const double p[] = { 0.03, 0.5, NAN, 0.01, 0.04 };
	const double big[] = { 0.9, 0.8 };
	const double none[] = { NAN };

	(void)state;
	assert_near(mm_bh_min(p, 5), 0.04);
	assert_exact(mm_bh_min(p + 1, 1), 0.5);
	/* 0.8 * 2 / 1 and 0.9 * 2 / 2: 0.9. */
	assert_near(mm_bh_min(big, 2), 0.9);
	assert_true(isnan(mm_bh_min(none, 1)));
	assert_true(isnan(mm_bh_min(none, 0)));
	/* Three of 0.02: BH finds all three at 0.05, and 0.02 <= 0.05. */
	{
		const double three[] = { 0.02, 0.02, 0.02 };

		assert_near(mm_bh_min(three, 3), 0.02);
	}
	/* Never above 1. */
	{
		const double one[] = { 1, 1, 0.7 };

		assert_exact(mm_bh_min(one, 3), 1);
	}
}

static void
batch(struct mm_report *r, double ts, const char *id, const char *version,
    double f1, double trust, const char *psi, const char *pval)
{
	struct mm_report_batch b = { ts, (char *)id, (char *)version, f1,
	    NAN, trust, NAN, (char *)"stable" };

	mm_report_add_batch(r, &b, psi, pval);
}

static void
decision(struct mm_report *r, double ts, const char *action,
    const char *reason, const char *status)
{
	struct mm_report_decision d = { ts, (char *)"batch",
	    (char *)action, (char *)reason, (char *)status, NULL, NULL };

	mm_report_add_decision(r, &d);
}

static void
test_data(void **state)
{
	struct mm_report r;
	int i;

	(void)state;
	mm_report_init(&r);
	batch(&r, T0, "b0", "v1", 0.9, 0.95, "{\"f0\":0.01,\"f1\":0.3}",
	    "{\"f0\":0.9,\"f1\":0.001}");
	/* A feature first seen later, a null, and text that is not JSON. */
	batch(&r, T0 + 60, "b1", NULL, NAN, NAN, "{\"f2\":0.5,\"f0\":null}",
	    "not json");
	/* Enough batches to grow the columns. */
	for (i = 2; i < 70; i++)
		batch(&r, T0 + 60 * i, "b", "v2", 0.8, 0.9, "{\"f1\":0.02}",
		    NULL);
	assert_int_equal(r.nb, 70);
	assert_int_equal(r.nfeat, 3);
	assert_string_equal(r.feat[0].name, "f0");
	assert_string_equal(r.feat[1].name, "f1");
	assert_string_equal(r.feat[2].name, "f2");
	assert_exact(r.feat[0].psi[0], 0.01);
	assert_exact(r.feat[1].pval[0], 0.001);
	assert_true(isnan(r.feat[2].psi[0]));
	assert_exact(r.feat[2].psi[1], 0.5);
	assert_true(isnan(r.feat[0].psi[1]));
	assert_true(isnan(r.feat[0].pval[1]));
	assert_exact(r.feat[1].psi[69], 0.02);
	assert_true(isnan(r.feat[2].psi[69]));
	assert_null(r.b[1].version);
	assert_true(isnan(r.b[1].f1));

	mm_report_add_version(&r, "v1", "{\"created_at\":\"2025-11-26T06:53:"
	    "20Z\",\"params\":{\"n\":[1,2]},\"rows\":{\"train\":225,"
	    "\"validation\":75},\"metrics\":{\"accuracy\":0.9466,"
	    "\"f1\":0.9459},\"empty\":{},\"list\":[]}");
	mm_report_add_version(&r, "v2", "{broken");
	mm_report_add_version(&r, "v3", NULL);
	assert_int_equal(r.nv, 3);
	assert_string_equal(r.v[0].created_at, "2025-11-26T06:53:20Z");
	assert_exact(r.v[0].f1, 0.9459);
	assert_exact(r.v[0].accuracy, 0.9466);
	assert_int_equal(r.v[0].rows_train, 225);
	assert_int_equal(r.v[0].rows_valid, 75);
	assert_string_equal(r.v[0].card,
	    "{\n"
	    "  \"created_at\": \"2025-11-26T06:53:20Z\",\n"
	    "  \"params\": {\n"
	    "    \"n\": [1, 2]\n"
	    "  },\n"
	    "  \"rows\": {\n"
	    "    \"train\": 225,\n"
	    "    \"validation\": 75\n"
	    "  },\n"
	    "  \"metrics\": {\n"
	    "    \"accuracy\": 0.9466,\n"
	    "    \"f1\": 0.9459\n"
	    "  },\n"
	    "  \"empty\": {},\n"
	    "  \"list\": []\n"
	    "}");
	assert_null(r.v[1].card);
	assert_true(isnan(r.v[1].f1));
	assert_int_equal(r.v[1].rows_train, -1);
	assert_null(r.v[2].card);
	mm_report_release(&r);
}

static void
test_page(void **state)
{
	struct mm_report r;
	struct mm_buf b;

	(void)state;
	mm_report_init(&r);
	r.title = "Fraud <prod>";
	r.db = "m.db";
	r.now = T0 + 7200;
	r.has_active = 1;
	strcpy(r.active.version, "v2");
	r.active.baseline_f1 = 0.91;
	strcpy(r.staged, "v3");
	batch(&r, T0, "b0", "v1", 0.9, 0.95, "{\"f0\":0.01}",
	    "{\"f0\":0.5}");
	batch(&r, T0 + 60, "b1", "v1", NAN, 0.9, "{\"f0\":0.15}",
	    "{\"f0\":0.04}");
	batch(&r, T0 + 120, "b2", NULL, 0.8, 0.7, NULL, NULL);
	batch(&r, T0 + 180, "b3", "v2", 0.85, 0.8, "{\"f0\":0.4}",
	    "{\"f0\":0}");
	decision(&r, T0 + 30, "none", "all is well", "executed");
	decision(&r, T0 + 90, "retrain", "f1 <dropped> & more", "executed");
	decision(&r, T0 + 150, "reject", "drift", "executed");
	decision(&r, T0 + 170, "rollback", "f1 drop", "skipped");
	decision(&r, T0 + 175, "promote", "stable", NULL);
	mm_report_add_version(&r, "v1", "{\"metrics\":{\"f1\":0.93}}");
	mm_report_add_version(&r, "v2", "{\"metrics\":{\"f1\":0.91}}");
	mm_report_add_version(&r, "v3", NULL);
	mm_buf_init(&b);
	mm_report_html(&r, &b);

	assert_non_null(strstr(b.p, "<title>Fraud &lt;prod&gt;</title>"));
	assert_null(strstr(b.p, "<script"));
	assert_null(strstr(b.p, "http://"));
	assert_null(strstr(b.p, "https://"));
	assert_null(strstr(b.p, "Fraud <prod>"));
	assert_int_equal(count(b.p, "<section id="), 6);
	assert_int_equal(count(b.p, "No data"), 0);
	/* One marker per decision but none; the ones not executed hollow. */
	assert_int_equal(count(b.p, "class=\"mk "), 4);
	assert_int_equal(count(b.p, "class=\"mk mk-retrain\""), 1);
	assert_int_equal(count(b.p, "class=\"mk mk-reject\""), 1);
	assert_int_equal(count(b.p, "class=\"mk mk-rollback hollow\""), 1);
	assert_int_equal(count(b.p, "class=\"mk mk-promote hollow\""), 1);
	assert_int_equal(count(b.p, "<tr class=\"dec\">"), 4);
	assert_non_null(strstr(b.p, "f1 &lt;dropped&gt; &amp; more"));
	assert_non_null(strstr(b.p, "1 none (not listed)"));
	/*
	 * The x axis runs from the first batch to the last: b0 at the left
	 * edge (64), b3 at the right (976), 304 pixels a minute.  The trust
	 * axis runs from 0.6 (the lowest, 0.7, less a little, rounded down
	 * to a tenth) to 1, 550 pixels a unit: 0.95 is 250 - 192.5.
	 */
	assert_non_null(strstr(b.p, "<polyline class=\"ln trust\" "
	    "points=\"64,57.5 368,85 672,195 976,140\"/>"));
	/*
	 * F1 from 0.7 to 1, 733.3 pixels a unit; b1 has no F1, so the line
	 * breaks there and b0 is a dot.
	 */
	assert_non_null(strstr(b.p, "<polyline class=\"ln f1\" "
	    "points=\"64,103.3 64,103.3\"/>"));
	assert_non_null(strstr(b.p, "<polyline class=\"ln f1\" "
	    "points=\"672,176.7 976,140\"/>"));
	/* v1 -> v2 is one change; the batch without a version is not. */
	assert_int_equal(count(b.p, "<line class=\"vc\""), 1);
	/* Baselines: v1's card F1, v2's active baseline. */
	assert_non_null(strstr(b.p, "baseline F1 of v1: 0.9300"));
	assert_non_null(strstr(b.p, "baseline F1 of v2: 0.9100"));
	/* A p-value of 0 is drawn at the floor and shown as 0. */
	assert_non_null(strstr(b.p, "b3 \xc2\xb7 adjusted p-value 0 \xc2\xb7 "
	    "smallest p-value 0 (f0)"));
	assert_int_equal(count(b.p, "<circle class=\"pv sig\""), 2);
	/* Versions newest first, with their state. */
	assert_true(strstr(b.p, "<h3>v3") < strstr(b.p, "<h3>v2"));
	assert_non_null(strstr(b.p, "<article class=\"ver active\">\n<h3>v2 "
	    "<span class=\"badge a-active\">active</span>"));
	assert_non_null(strstr(b.p, "v3 <span class=\"badge a-staged\">"
	    "staged</span>"));
	assert_non_null(strstr(b.p, "card.json could not be read"));
	mm_buf_release(&b);
	mm_report_release(&r);
}

static void
test_page_empty(void **state)
{
	struct mm_report r;
	struct mm_buf b;

	(void)state;
	mm_report_init(&r);
	r.now = T0;
	mm_buf_init(&b);
	mm_report_html(&r, &b);
	/* The page says so, and every section too; no axes are drawn. */
	assert_int_equal(count(b.p, "No data"), 7);
	assert_int_equal(count(b.p, "<svg"), 0);
	assert_non_null(strstr(b.p, "<title>mm report</title>"));
	mm_buf_release(&b);

	/* Labels are late: trust but no F1. */
	batch(&r, T0, "b0", "v1", NAN, 0.9, NULL, NULL);
	mm_buf_init(&b);
	mm_report_html(&r, &b);
	assert_int_equal(count(b.p, "No data"), 5);
	assert_non_null(strstr(b.p, "no batch has an F1 yet"));
	assert_null(strstr(b.p, "class=\"ln f1\""));
	mm_buf_release(&b);
	mm_report_release(&r);
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
		cmocka_unit_test(test_html_esc),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_psi_colour),
		cmocka_unit_test(test_bh_min),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_page_empty),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
