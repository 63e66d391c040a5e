#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ndjson.h"
#include "run.h"

static int
one(struct mm_run *run, const char *path, mm_line_fn fn, void *ctx)
{
	struct mm_reader r;
	struct mm_err err;
	char *line;
	size_t len;
	int rc;

	memset(&err, 0, sizeof(err));
	if (mm_reader_open(&r, path, run->max_record, &err) < 0) {
		mm_perr(run->prog, &err);
		return MM_ESYS;
	}
	for (;;) {
		memset(&err, 0, sizeof(err));
		if ((rc = mm_reader_next(&r, &line, &len, &err)) == 0)
			break;
		if (rc > 0 && fn(ctx, line, len, &err) == 0)
			continue;
		if (err.code == MM_EINPUT && err.where[0] == '\0') {
			err.line = r.lineno;
			mm_err_where(&err, r.name);
			if (run->skip_bad) {
				run->skipped++;
				continue;
			}
		}
		/* What came before the bad line goes out before the word. */
		fflush(stdout);
		mm_perr(run->prog, &err);
		mm_reader_release(&r);
		return err.code ? err.code : MM_ESYS;
	}
	mm_reader_release(&r);
	return MM_OK;
}

int
mm_run(struct mm_run *run, int argc, char **argv, mm_line_fn fn, void *ctx)
{
	int i, rc = MM_OK;

	if (argc == 0)
		return one(run, NULL, fn, ctx);
	for (i = 0; i < argc && rc == MM_OK; i++)
		rc = one(run, argv[i], fn, ctx);
	return rc;
}

int
mm_run_finish(struct mm_run *run, int rc)
{
	if (run->skipped > 0)
		mm_warnx(run->prog, "skipped %ld bad record%s", run->skipped,
		    run->skipped == 1 ? "" : "s");
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == MM_OK) {
		mm_warnx(run->prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(run->prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
