/*
 * report.h - the data and the drawing of mm-report: batches, decisions
 * and model versions in, one self-contained HTML page out (inline SVG
 * and a small style sheet; no scripts, fonts or images from anywhere).
 * Pure: no I/O and no clock; the caller reads the database and the
 * store, and writes the page.
 *
 * Every text that goes into the page is escaped.  Every time is Unix
 * seconds and is shown in UTC.
 *
 * report.c holds the data; report_page.c writes the page and its tables
 * and report_chart.c its charts, drawn with svg.h and escaped by html.h.
 */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include "json.h"
#include "store.h"

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
	int refresh;			/* > 0: the page reloads itself
					   every refresh seconds */

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
