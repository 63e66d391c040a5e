/*
 * test_report.c - mm-report's data (batches, drift, versions and their
 * cards), the ranking of drifted features, and pages built from small
 * reports.  The charts' geometry is test_svg.c's; escaping test_html.c's.
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
#include "report.h"

/* 2025-11-26T06:53:20Z */
#define T0 1764140000.0

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
batch(struct mm_report *r, double ts, const char *id, const char *version,
    double f1, double trust, const char *psi, const char *pval)
{
	struct mm_report_batch b = { ts, (char *)id, (char *)version, f1,
	    NAN, trust, NAN, (char *)"stable", 0 };

	mm_report_add_batch(r, &b, psi, pval, NULL);
}

/* A batch with its drift object, a minute after the one before. */
static void
graded(struct mm_report *r, const char *id, const char *drift)
{
	struct mm_report_batch b = { T0 + 60 * r->nb, (char *)id,
	    (char *)"v1", NAN, NAN, NAN, NAN, NULL, 0 };

	mm_report_add_batch(r, &b, NULL, NULL, drift);
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
test_data_drift(void **state)
{
	struct mm_report r;
	int i;

	(void)state;
	mm_report_init(&r);
	/* mm-psi's defaults until the caller sets the config's. */
	assert_exact(r.moderate, 0.1);
	assert_exact(r.severe, 0.2);
	assert_exact(r.alpha, 0.01);
	/* Recorded before metrics.drift: the columns, not graded. */
	batch(&r, T0, "b0", "v1", NAN, NAN, "{\"f0\":0.3,\"f1\":0.02}",
	    "{\"f0\":0.001,\"f1\":0.9}");
	/* The drift object wins over the columns. */
	{
		struct mm_report_batch b = { T0 + 60, (char *)"b1",
		    (char *)"v1", NAN, NAN, NAN, NAN, (char *)"stable", 1 };

		mm_report_add_batch(&r, &b, "{\"f0\":9}", "{\"f0\":9}",
		    "{\"psi\":{\"f0\":0.45,\"f1\":0.14},"
		    "\"psi_adj\":{\"f0\":0.31,\"f1\":0},"
		    "\"p_value\":{\"f0\":1e-20,\"f1\":0.9},"
		    "\"psi_crit\":{\"f0\":0.2,\"f1\":0.2},"
		    "\"drifted\":[\"f0\",\"new\",7,null],"
		    "\"drift_score\":0.155,\"status\":\"severe\",\"n\":64}");
	}
	/* Graded, nothing drifted; no status: the column's stands. */
	graded(&r, "b2", "{\"psi_adj\":{\"f0\":0},\"drifted\":[]}");
	/* A drift without "drifted" (mm-psi --threshold fixed), and junk. */
	graded(&r, "b3", "{\"psi_adj\":{\"f0\":0.05}}");
	graded(&r, "b4", "[1,2]");
	graded(&r, "b5", "not json");
	/* Enough batches to grow every column. */
	for (i = 6; i < 70; i++)
		graded(&r, "b", "{\"psi_adj\":{\"f1\":0.01},"
		    "\"drifted\":[\"f1\"]}");
	assert_int_equal(r.nb, 70);
	assert_int_equal(r.nfeat, 3);
	assert_string_equal(r.feat[2].name, "new");

	assert_false(r.b[0].graded);
	assert_exact(r.feat[0].psi[0], 0.3);
	assert_true(isnan(r.feat[0].adj[0]));
	assert_exact(r.feat[0].pval[0], 0.001);
	assert_false(r.feat[0].drifted[0]);

	assert_true(r.b[1].graded);
	assert_string_equal(r.b[1].status, "severe");
	assert_exact(r.feat[0].psi[1], 0.45);
	assert_exact(r.feat[0].adj[1], 0.31);
	assert_exact(r.feat[0].pval[1], 1e-20);
	assert_exact(r.feat[1].adj[1], 0);
	assert_true(r.feat[0].drifted[1]);
	assert_false(r.feat[1].drifted[1]);
	assert_true(r.feat[2].drifted[1]);
	assert_true(isnan(r.feat[2].adj[1]));

	assert_true(r.b[2].graded);
	assert_null(r.b[2].status);
	assert_exact(r.feat[0].adj[2], 0);
	assert_false(r.b[3].graded);
	assert_exact(r.feat[0].adj[3], 0.05);
	assert_false(r.b[4].graded);
	assert_false(r.b[5].graded);
	assert_true(r.b[69].graded);
	assert_true(r.feat[1].drifted[69]);
	assert_exact(r.feat[1].adj[69], 0.01);
	assert_false(r.feat[0].drifted[69]);
	assert_true(isnan(r.feat[2].adj[69]));
	mm_report_release(&r);
}

static void
test_rank(void **state)
{
	struct mm_report_top top[3];
	struct mm_report r;

	(void)state;
	mm_report_init(&r);
	/*
	 * "b" drifts twice, the most; "a", "c" and "d" once each, "c" and
	 * "a" with the same psi_adj (so by name), "d" without one; "e"
	 * never.  A batch before grading counts for nothing.
	 */
	batch(&r, T0, "old", "v1", NAN, NAN, "{\"e\":5}", "{\"e\":0}");
	graded(&r, "b1", "{\"psi_adj\":{\"b\":0.2,\"c\":0.4,\"e\":0.9},"
	    "\"p_value\":{\"b\":0.001,\"c\":1e-6,\"e\":0.5},"
	    "\"drifted\":[\"c\",\"b\"]}");
	graded(&r, "b2", "{\"psi_adj\":{\"b\":0.5,\"a\":0.4},"
	    "\"p_value\":{\"b\":1e-9,\"a\":2e-5},"
	    "\"drifted\":[\"b\",\"a\",\"d\"]}");
	graded(&r, "b3", "{\"psi_adj\":{\"b\":0.3},\"drifted\":[]}");
	assert_int_equal(mm_report_rank(&r, top, 3), 4);
	assert_string_equal(top[0].name, "b");
	assert_int_equal(top[0].ndrifted, 2);
	assert_exact(top[0].max_adj, 0.5);
	assert_int_equal(top[0].at_max, 2);	/* b2 */
	assert_int_equal(top[0].last, 2);
	assert_string_equal(r.feat[top[0].feat].name, "b");
	assert_exact(r.feat[top[0].feat].pval[top[0].at_max], 1e-9);
	assert_string_equal(top[1].name, "a");
	assert_int_equal(top[1].ndrifted, 1);
	assert_exact(top[1].max_adj, 0.4);
	assert_string_equal(top[2].name, "c");
	assert_int_equal(top[2].at_max, 1);
	assert_int_equal(top[2].last, 1);

	/* All four; "d" has no psi_adj and goes last of the ones. */
	{
		struct mm_report_top all[8];

		assert_int_equal(mm_report_rank(&r, all, 8), 4);
		assert_string_equal(all[3].name, "d");
		assert_true(isnan(all[3].max_adj));
		assert_int_equal(all[3].at_max, 2);
	}
	/* The earliest of equal largest values; max 0 fills nothing. */
	graded(&r, "b4", "{\"psi_adj\":{\"b\":0.5},\"drifted\":[\"b\"]}");
	assert_int_equal(mm_report_rank(&r, top, 1), 4);
	assert_int_equal(top[0].ndrifted, 3);
	assert_int_equal(top[0].at_max, 2);
	assert_int_equal(top[0].last, 4);
	assert_int_equal(mm_report_rank(&r, NULL, 0), 4);
	mm_report_release(&r);

	/* Nothing drifted, or nothing at all. */
	mm_report_init(&r);
	assert_int_equal(mm_report_rank(&r, top, 3), 0);
	graded(&r, "b1", "{\"psi_adj\":{\"b\":0.2},\"drifted\":[]}");
	assert_int_equal(mm_report_rank(&r, top, 3), 0);
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
	assert_int_equal(count(b.p, "<section id="), 7);
	/* No batch was graded: the drifted features section says so. */
	assert_int_equal(count(b.p, "No data"), 1);
	assert_non_null(strstr(b.p, "No data: no batch was graded feature "
	    "by feature (recorded before per-feature drift)."));
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
	/* b1's 0.04 is above alpha, mm-psi's default 0.01. */
	assert_int_equal(count(b.p, "<circle class=\"pv sig\""), 1);
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
	assert_int_equal(count(b.p, "No data"), 8);
	assert_non_null(strstr(b.p, "No data: no batches."));
	assert_int_equal(count(b.p, "<svg"), 0);
	assert_non_null(strstr(b.p, "<title>mm report</title>"));
	mm_buf_release(&b);

	/* Labels are late: trust but no F1. */
	batch(&r, T0, "b0", "v1", NAN, 0.9, NULL, NULL);
	mm_buf_init(&b);
	mm_report_html(&r, &b);
	assert_int_equal(count(b.p, "No data"), 6);
	assert_non_null(strstr(b.p, "no batch has an F1 yet"));
	assert_null(strstr(b.p, "class=\"ln f1\""));
	mm_buf_release(&b);
	mm_report_release(&r);
}

/* A feature name as JSON text, and as HTML text. */
#define NAME "a<b>&\\\"c'd"
#define NAME_ESC "a&lt;b&gt;&amp;&quot;c&#39;d"
#define DOT " \xc2\xb7 "

static void
test_page_drift(void **state)
{
	struct mm_report r;
	struct mm_buf b;

	(void)state;
	mm_report_init(&r);
	r.now = T0 + 7200;
	r.moderate = 0.25;
	r.severe = 0.5;
	r.alpha = 0.001;
	/* Before metrics.drift; then two graded batches, f0 noise in b1. */
	batch(&r, T0, "b0", "v1", NAN, NAN, "{\"f0\":0.3}", "{\"f0\":0.5}");
	graded(&r, "b1", "{\"psi\":{\"f0\":0.14,\"" NAME "\":0.5},"
	    "\"psi_adj\":{\"f0\":0,\"" NAME "\":0.375},"
	    "\"p_value\":{\"f0\":0.6,\"" NAME "\":1e-6},"
	    "\"drifted\":[\"" NAME "\"],\"status\":\"moderate\"}");
	graded(&r, "b2", "{\"psi_adj\":{\"f0\":0.6,\"" NAME "\":0.3},"
	    "\"p_value\":{\"f0\":1e-12,\"" NAME "\":0.002},"
	    "\"drifted\":[\"f0\"],\"status\":\"severe\"}");
	mm_buf_init(&b);
	mm_report_html(&r, &b);

	/* A name is text wherever it goes. */
	assert_null(strstr(b.p, "a<b>"));
	assert_int_equal(count(b.p, "<h2>Drifted features</h2>"), 1);
	assert_non_null(strstr(b.p, "significant at alpha 0.001 after "
	    "Benjamini-Hochberg"));
	assert_non_null(strstr(b.p, "reached moderate (0.25), as mm-psi "
	    "grades it."));
	assert_non_null(strstr(b.p, "<p class=\"note\">2 of 2 batches had a "
	    "drifted feature; 2 features drifted.  1 batch recorded before "
	    "per-feature drift is left out.</p>\n"));
	/*
	 * Once each: f0 first, its psi_adj 0.6 being larger.  The swatch
	 * is the heat map's colour: 0.6 is severe, log10(0.6 / 0.5) =
	 * 0.079 of the way from f87171 to 7f1d1d (red 248 - 121 * 0.079 =
	 * 238.4); 0.375 is half way through moderate.
	 */
	assert_non_null(strstr(b.p, "<tbody>\n"
	    "<tr class=\"drift\"><td class=\"mono\">f0</td>"
	    "<td class=\"num\">1</td><td class=\"num\"><i class=\"sw\" "
	    "style=\"background:#ee6a6a\"></i>0.6000</td>"
	    "<td class=\"num\">1e-12</td><td class=\"mono\">b2</td>"
	    "<td class=\"nowrap\"><span class=\"mono\">b2</span> "
	    "2025-11-26 06:55:20</td></tr>\n"
	    "<tr class=\"drift\"><td class=\"mono\">" NAME_ESC "</td>"
	    "<td class=\"num\">1</td><td class=\"num\"><i class=\"sw\" "
	    "style=\"background:#f9c24b\"></i>0.3750</td>"
	    "<td class=\"num\">1e-06</td><td class=\"mono\">b1</td>"
	    "<td class=\"nowrap\"><span class=\"mono\">b1</span> "
	    "2025-11-26 06:54:20</td></tr>\n</tbody>"));
	/* One line each, ringed where drifted; the legend names them. */
	assert_int_equal(count(b.p, "<polyline class=\"ln s0\""), 1);
	assert_int_equal(count(b.p, "<polyline class=\"ln s1\""), 1);
	assert_int_equal(count(b.p, "<circle class=\"dd "), 2);
	assert_non_null(strstr(b.p, "<title>" NAME_ESC DOT "b1" DOT
	    "drifted, psi_adj 0.3750, p-value 1e-06</title>"));
	assert_non_null(strstr(b.p, "</svg>" NAME_ESC "</span>"));
	assert_non_null(strstr(b.p, "1 batch recorded before psi_adj shows "
	    "PSI."));
	/*
	 * The heat map colours psi_adj: f0's PSI of 0.14 in b1 is noise,
	 * psi_adj 0, the palest green; b0 has only its PSI, 0.3, amber a
	 * fifth of the way from fde68a to f59e0b.
	 */
	assert_non_null(strstr(b.p, "fill=\"#f0f7f2\"><title>f0" DOT "b1" DOT
	    "psi_adj 0.0000 (PSI 0.1400)" DOT "p-value 0.600</title>"));
	assert_non_null(strstr(b.p, "fill=\"#fbd871\"><title>f0" DOT "b0" DOT
	    "PSI 0.3000" DOT "p-value 0.500</title>"));
	assert_non_null(strstr(b.p, "fill=\"#ee6a6a\"><title>f0" DOT "b2" DOT
	    "psi_adj 0.6000" DOT "p-value 1e-12" DOT "drifted</title>"));
	/* Not drifted though above moderate: p-value 0.002 > alpha. */
	assert_non_null(strstr(b.p, "<title>" NAME_ESC DOT "b2" DOT
	    "psi_adj 0.3000" DOT "p-value 0.002</title>"));
	/* The legend and the p-values use the configured bands and alpha. */
	assert_non_null(strstr(b.p, "</i>stable (below 0.25)</span>"));
	assert_non_null(strstr(b.p, "</i>moderate (0.25 to 0.5)</span>"));
	assert_non_null(strstr(b.p, "</i>severe (0.5 and above; darker is "
	    "more)</span>"));
	assert_non_null(strstr(b.p, "as mm-psi's threshold: test does"));
	assert_non_null(strstr(b.p, "at or below alpha (0.001)"));
	assert_non_null(strstr(b.p, "\">0.001</text>"));
	assert_null(strstr(b.p, "0.05"));
	/* BH over b1's 0.6 and 1e-6: 2e-6, above 0.001?  No: below. */
	assert_int_equal(count(b.p, "<circle class=\"pv sig\""), 2);
	/* The latest status is the drift object's. */
	assert_non_null(strstr(b.p, "<div class=\"v bad\">severe</div>"));
	mm_buf_release(&b);
	mm_report_release(&r);
}

static void
test_page_no_drift(void **state)
{
	struct mm_report r;
	struct mm_buf b;

	(void)state;
	mm_report_init(&r);
	r.now = T0;
	graded(&r, "b1", "{\"psi_adj\":{\"f0\":0.05},\"p_value\":"
	    "{\"f0\":0.2},\"drifted\":[]}");
	graded(&r, "b2", "{\"psi_adj\":{\"f0\":0.15},\"p_value\":"
	    "{\"f0\":0.03},\"drifted\":[]}");
	mm_buf_init(&b);
	mm_report_html(&r, &b);
	assert_non_null(strstr(b.p, "<p class=\"none\">No feature drifted in "
	    "the 2 batches.</p>\n</section>"));
	assert_null(strstr(b.p, "<tr class=\"drift\">"));
	assert_non_null(strstr(b.p, "No feature drifted, so no lines are "
	    "drawn."));
	assert_null(strstr(b.p, "class=\"ln s0\""));
	/* The heat map is still there, in the default bands. */
	assert_int_equal(count(b.p, "<rect x="), 2);
	assert_non_null(strstr(b.p, "</i>moderate (0.1 to 0.2)</span>"));
	assert_non_null(strstr(b.p, "at or below alpha (0.01)"));
	mm_buf_release(&b);
	mm_report_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_data_drift),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_page_empty),
		cmocka_unit_test(test_page_drift),
		cmocka_unit_test(test_page_no_drift),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}

