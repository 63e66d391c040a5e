/*
 * mm-report - one self-contained HTML page from the database and the
 * model store: trust, F1, drift and decisions over time, and the model
 * versions.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "opt.h"
#include "report.h"
#include "reportdb.h"
#include "store.h"
#include "timeparse.h"

static const char *prog = "mm-report";

enum {
	O_CONFIG, O_DB, O_MODELS, O_FROM, O_TO, O_WINDOW, O_OUTPUT, O_TITLE,
	O_NOW
};

static const struct mm_opt opts[] = {
	[O_CONFIG] = { "config", 0, "DIR", "config directory: the drift bands "
	    "and alpha (default: $MM_CONFIG or config)" },
	[O_DB] = MM_OPT_DB,
	[O_MODELS] = MM_OPT_MODELS,
	[O_FROM] = { "from", 0, "TS", "leave out what is older than TS" },
	[O_TO] = { "to", 0, "TS", "leave out what is newer than TS" },
	[O_WINDOW] = { "window", 'w', "LEN", "only the last LEN (such as 24h) "
	    "before --to or the newest" },
	[O_OUTPUT] = { "output", 'o', "FILE", "write to FILE, - for standard "
	    "output (default report.html)" },
	[O_TITLE] = { "title", 0, "TEXT", "the page's title (default \"mm "
	    "report\")" },
	[O_NOW] = MM_OPT_NOW("the time the page says it was made (default: "
	    "the clock)"),
	MM_OPT_END
};

static int
opt_time(const struct mm_optstate *st, const char *opt, double *out)
{
	if (mm_parse_time(st->arg, out) == 0)
		return 0;
	mm_warnx(prog, "--%s: '%s' is not a time: Unix seconds or a UTC date "
	    "such as 2025-11-26T06:53:20Z", opt, st->arg);
	return -1;
}

/* Everything from the database, in one read transaction. */
static int
read_db(const char *path, struct mm_report *r, long window,
    struct mm_err *err)
{
	struct mm_db db;
	struct stat sb;
	int rc;

	/* Opening creates a missing file; a report must not. */
	if (!mm_db_is_url(path) && stat(path, &sb) < 0) {
		mm_errf(err, MM_ESYS, 0, "cannot open database: %s",
		    strerror(errno));
		mm_err_where(err, path);
		return -1;
	}
	if (mm_db_open(&db, path, err) < 0)
		return -1;
	rc = mm_report_read_db(r, &db, window, err);
	mm_db_close(&db);
	return rc;
}

/* Write the page to what path already is: a device, a pipe, a link. */
static int
write_in_place(const char *path, const struct mm_buf *page,
    struct mm_err *err)
{
	mode_t mode;
	FILE *fp;
	int fd, e;

	/* A link to nothing yet makes a file: with mm's mode. */
	if (mm_file_mode(&mode, NULL, err) < 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		if (fd >= 0)
			close(fd);
		mm_errf(err, MM_ESYS, 0, "cannot open: %s", strerror(e));
		mm_err_where(err, path);
		return -1;
	}
	if (fwrite(page->p, 1, page->n, fp) != page->n || fflush(fp) != 0) {
		mm_errf(err, MM_ESYS, 0, "cannot write: %s", strerror(errno));
		mm_err_where(err, path);
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0) {
		mm_errf(err, MM_ESYS, 0, "cannot write: %s", strerror(errno));
		mm_err_where(err, path);
		return -1;
	}
	return 0;
}

/*
 * Write the page to standard output, or to a file by way of a temporary
 * file beside it so a reader never sees half a page.
 */
static int
write_page(const char *path, const struct mm_buf *page, struct mm_err *err)
{
	struct stat sb;

	if (strcmp(path, "-") == 0) {
		if (fwrite(page->p, 1, page->n, stdout) != page->n ||
		    fflush(stdout) != 0)
			return mm_errf(err, MM_ESYS, 0, "write error: %s",
			    strerror(errno));
		return 0;
	}
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return write_in_place(path, page, err);
	return mm_replace_file(path, page->p, page->n, NULL, err);
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-report",
	    .synopsis = "[--config DIR] [--db FILE] [--models DIR] [--from TS] "
	    "[--to TS]\n"
	    " [--window LEN] [-o FILE] [--title TEXT] [--now TS]",
	    .about = "Write one self-contained HTML page with trust, F1, "
	    "drift and decisions over time, and the model versions." };
	struct mm_config cfg;
	struct mm_report r;
	struct mm_err err = { 0 };
	struct mm_buf page;
	const double *now = NULL;	/* --now, or NULL: the clock */
	double at;
	const char *config = NULL, *dbpath = NULL, *models = NULL;
	const char *output = "report.html";
	const char *wlen = NULL;
	char *shown = NULL;
	long window = 0;
	int o, rc = MM_OK;

	mm_report_init(&r);
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CONFIG: config = st.arg; break;
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: models = st.arg; break;
		case O_FROM:
			if (opt_time(&st, "from", &r.from) < 0)
				return MM_EINPUT;
			break;
		case O_TO:
			if (opt_time(&st, "to", &r.to) < 0)
				return MM_EINPUT;
			break;
		case O_WINDOW:
			wlen = st.arg;
			if (mm_parse_window(wlen, &window) < 0) {
				mm_warnx(prog, "--window: '%s' is not a length "
				    "such as 30m, 24h or 7d", wlen);
				return MM_EINPUT;
			}
			break;
		case O_OUTPUT:
			if (*st.arg == '\0') {
				mm_warnx(prog, "-o: empty file name");
				return MM_EINPUT;
			}
			output = st.arg;
			break;
		case O_TITLE: r.title = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &at, &now) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_opt_none_left(&st, argc, argv, opts) < 0)
		return MM_EINPUT;
	if (wlen != NULL && !isnan(r.from)) {
		mm_warnx(prog, "--window and --from cannot be used together");
		return MM_EINPUT;
	}
	if (!isnan(r.from) && !isnan(r.to) && r.from > r.to) {
		mm_warnx(prog, "--from is after --to");
		return MM_EINPUT;
	}
	/* The bands and alpha mm-psi grades with, so the page agrees. */
	if (mm_config_load(&cfg, config, MM_CFG_DRIFT, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	r.moderate = cfg.drift.moderate;
	r.severe = cfg.drift.severe;
	r.alpha = cfg.drift.alpha;
	r.now = mm_clock_sec(now);
	/* The page names the database; a URL without its password. */
	shown = mm_db_shown(mm_db_path(dbpath));
	r.db = shown;
	mm_buf_init(&page);
	if (read_db(mm_db_path(dbpath), &r, window, &err) < 0 ||
	    mm_report_read_store(&r, mm_models_dir(models), &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto out;
	}
	mm_report_html(&r, &page);
	if (write_page(output, &page, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
out:
	mm_buf_release(&page);
	mm_report_release(&r);
	free(shown);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
