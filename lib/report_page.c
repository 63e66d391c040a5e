#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "report_page.h"
#include "svg.h"

#define MAX_ROWS 500		/* decisions listed */

/* lib/report.css, built in by scripts/embed.sh. */
extern const char mm_report_css[];
extern const size_t mm_report_css_len;

const char *const mm_page_actions[MM_NACTIONS] = {
	"promote", "retrain", "reject", "rollback"
};

int
mm_page_action(const char *a)
{
	int i;

	for (i = 0; i < MM_NACTIONS; i++)
		if (strcmp(a, mm_page_actions[i]) == 0)
			return i;
	return MM_NACTIONS;	/* any other action but "none" */
}

const char *
mm_page_action_class(const char *a)
{
	int i = mm_page_action(a);

	return i < MM_NACTIONS ? mm_page_actions[i] : "other";
}

int
mm_page_marked(const struct mm_report_decision *d)
{
	return strcmp(d->action, "none") != 0;
}

/* A number for people: "0.912", or an en dash when unknown. */
void
mm_page_val(struct mm_buf *b, double v, int prec)
{
	if (isnan(v))
		mm_buf_puts(b, "\xe2\x80\x93");
	else
		mm_buf_printf(b, "%.*f", prec, v);
}

void
mm_page_p(struct mm_buf *b, double p)
{
	if (p >= 0.001)
		mm_buf_printf(b, "%.3f", p);
	else
		mm_buf_printf(b, "%.2g", p);
}

void
mm_page_pval(struct mm_buf *b, double p)
{
	if (isnan(p))
		mm_buf_puts(b, "\xe2\x80\x93");
	else
		mm_page_p(b, p);
}

void
mm_page_empty(struct mm_buf *b, const char *what)
{
	mm_buf_puts(b, "<p class=\"empty\">No data: ");
	mm_html_esc(b, what);
	mm_buf_puts(b, ".</p>\n");
}

void
mm_page_open(struct mm_buf *b, const char *id, const char *title,
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

void
mm_page_close(struct mm_buf *b)
{
	mm_buf_puts(b, "</section>\n");
}

static void
time_span(const struct mm_report *r, struct mm_page_span *s)
{
	double lo = INFINITY, hi = -INFINITY;
	int i;

	for (i = 0; i < r->nb; i++) {
		lo = fmin(lo, r->b[i].ts);
		hi = fmax(hi, r->b[i].ts);
	}
	for (i = 0; i < r->nd; i++)
		if (mm_page_marked(&r->d[i])) {
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

	mm_page_open(b, "drifted", "Drifted features", NULL);
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
		mm_page_empty(b, r->nb == 0 ? "no batches" : "no batch was "
		    "graded feature by feature (recorded before per-feature "
		    "drift)");
		mm_page_close(b);
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
		mm_page_close(b);
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
		mm_page_val(b, t->max_adj, 4);
		mm_buf_puts(b, "</td><td class=\"num\">");
		mm_page_pval(b, f->pval[t->at_max]);
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
	mm_page_close(b);
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
	int count[MM_NACTIONS + 1] = { 0 };
	int i, nmarked = 0, nnone = 0, shown = 0, first = 1;

	mm_page_open(b, "decisions", "Decisions", NULL);
	for (i = 0; i < r->nd; i++) {
		if (mm_page_marked(&r->d[i])) {
			count[mm_page_action(r->d[i].action)]++;
			nmarked++;
		} else
			nnone++;
	}
	if (r->nd == 0) {
		mm_page_empty(b, "no decisions recorded");
		mm_page_close(b);
		return;
	}
	mm_buf_printf(b, "<p class=\"note\">%d decision%s", r->nd,
	    r->nd == 1 ? "" : "s");
	for (i = 0; i <= MM_NACTIONS; i++) {
		if (count[i] == 0)
			continue;
		mm_buf_printf(b, "%s %d %s", first ? ":" : ",", count[i],
		    i < MM_NACTIONS ? mm_page_actions[i] : "other");
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
		mm_page_close(b);
		return;
	}
	mm_buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr>"
	    "<th>Time (UTC)</th><th>Action</th><th>Source</th>"
	    "<th>Reason</th><th>Execution</th><th>Version</th>"
	    "</tr></thead>\n<tbody>\n");
	/* Newest first: what happened last is what is looked for. */
	for (i = r->nd - 1; i >= 0 && shown < MAX_ROWS; i--) {
		const struct mm_report_decision *d = &r->d[i];

		if (!mm_page_marked(d))
			continue;
		shown++;
		mm_buf_printf(b, "<tr class=\"dec\"><td class=\"nowrap\">");
		mm_html_time(b, d->ts);
		mm_buf_printf(b, "</td><td><span class=\"badge a-%s\">",
		    mm_page_action_class(d->action));
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
	mm_page_close(b);
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

	mm_page_open(b, "versions", "Model versions", "Newest first; the "
	    "store as it is now, whatever the time range.");
	if (r->nv == 0) {
		mm_page_empty(b, "the model store has no versions");
		mm_page_close(b);
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
		mm_page_val(b, v->f1, 4);
		mm_buf_puts(b, "</dd>\n<dt>Accuracy</dt><dd>");
		mm_page_val(b, v->accuracy, 4);
		mm_buf_puts(b, "</dd>\n<dt>Rows</dt><dd>");
		put_rows(b, v->rows_train);
		mm_buf_puts(b, " train, ");
		put_rows(b, v->rows_valid);
		mm_buf_puts(b, " validation</dd>\n");
		if (active) {
			mm_buf_puts(b, "<dt>Baseline F1</dt><dd>");
			mm_page_val(b, r->active.baseline_f1, 4);
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
	mm_page_close(b);
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
		nmarked += mm_page_marked(&r->d[i]);
	mm_buf_puts(b, "<div class=\"tiles\">\n");
	tile(b, "Batches", NULL);
	mm_buf_printf(b, "%d</div></div>\n", r->nb);
	tile(b, "Latest trust", NULL);
	mm_page_val(b, trust, 3);
	mm_buf_puts(b, "</div></div>\n");
	tile(b, "Latest F1", NULL);
	mm_page_val(b, f1, 3);
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
header(struct mm_buf *b, const struct mm_report *r,
    const struct mm_page_span *sp)
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
	struct mm_report_top top[MM_PAGE_MAX_TOP];
	struct mm_page_span sp;
	double *x, *y;
	int n = r->nb > 0 ? r->nb : 1, nall, ntop;

	x = mm_xmalloc((size_t)n * sizeof(double));
	y = mm_xmalloc((size_t)n * sizeof(double));
	time_span(r, &sp);
	nall = mm_report_rank(r, top, MM_PAGE_MAX_TOP);
	ntop = nall < MM_PAGE_MAX_TOP ? nall : MM_PAGE_MAX_TOP;
	mm_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"mm-report " MM_VERSION
	    "\">\n");
	if (r->refresh > 0)
		mm_buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">"
		    "\n", r->refresh);
	mm_buf_puts(b, "<title>");
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
	mm_page_trust(b, r, &sp, x, y);
	mm_page_f1(b, r, &sp, x, y);
	section_drifted(b, r, top, ntop, nall);
	mm_page_psi(b, r, &sp, x, y, top, ntop);
	mm_page_pvalues(b, r, &sp, x, y);
	section_decisions(b, r);
	section_versions(b, r);
	mm_buf_puts(b, "<footer>mm-report " MM_VERSION "</footer>\n"
	    "</main>\n</body>\n</html>\n");
	free(x);
	free(y);
}
