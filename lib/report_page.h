/*
 * report_page.h - what the two halves of mm-report's page share:
 * report_page.c (the page itself, its summary and its tables) and
 * report_chart.c (its charts).  Not for programs; report.h is theirs.
 */
#ifndef MM_REPORT_PAGE_H
#define MM_REPORT_PAGE_H

#include "report.h"

#define MM_PAGE_MAX_TOP 10	/* drifted features listed and drawn */

/* The x domain all time charts share. */
struct mm_page_span {
	double t0, t1;
	int empty;		/* no batches and no marked decisions */
};

/*
 * The decision actions that get a marker and a colour of their own;
 * mm_page_action() is an action's index among them, MM_NACTIONS for
 * any other, and its class "other".  Every action but "none" is marked.
 */
#define MM_NACTIONS 4
extern const char *const mm_page_actions[MM_NACTIONS];
int mm_page_action(const char *a);
const char *mm_page_action_class(const char *a);
int mm_page_marked(const struct mm_report_decision *d);

/* A number for people: "0.912", or an en dash when unknown. */
void mm_page_val(struct mm_buf *b, double v, int prec);
/* A p-value: three decimals, or two digits below 0.001. */
void mm_page_p(struct mm_buf *b, double p);
/* The same, or an en dash when unknown. */
void mm_page_pval(struct mm_buf *b, double p);

/* A section: its heading and note (may be NULL), and its end. */
void mm_page_open(struct mm_buf *b, const char *id, const char *title,
    const char *note);
void mm_page_close(struct mm_buf *b);
/* "No data: what." */
void mm_page_empty(struct mm_buf *b, const char *what);

/*
 * The chart sections.  x and y are scratch space for r->nb values; top
 * holds the ntop features that drifted most (mm_report_rank()).
 */
void mm_page_trust(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y);
void mm_page_f1(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y);
void mm_page_psi(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y,
    const struct mm_report_top *top, int ntop);
void mm_page_pvalues(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp, double *x, double *y);

#endif
