#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ndjson.h"
#include "run.h"

/* The reader's idle hook, struct idle its ctx. */
struct idle {
	struct mm_run *run;
	void *ctx;
};

/*
 * The next line would have to be waited for: the program's own hook
 * (mm-record commits its group), then what is written goes out, so
 * that a record never waits in a buffer for one that has not come.
 * While input keeps coming, records go out a buffer at a time.
 */
static int
idle(void *ctx, struct mm_err *err)
{
	struct idle *i = ctx;

	if (i->run->idle != NULL && i->run->idle(i->ctx, err) < 0)
		return -1;
	if (fflush(stdout) != 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

static int
one(struct mm_run *run, const char *path, mm_line_fn fn, void *ctx)
{
	struct idle id = { run, ctx };
	struct mm_reader r;
	struct mm_err err, end;
	char *line;
	size_t len;
	int rc, stop = 0;

	memset(&err, 0, sizeof(err));
	if (mm_reader_open(&r, path, run->max_record, &err) < 0) {
		mm_perr(run->prog, &err);
		return MM_ESYS;
	}
	run->in = &r;
	/*
	 * The reader calls idle itself, before any read that would wait:
	 * a check here, between lines, would miss the time it waits for
	 * the rest of a record that came in part.
	 */
	r.idle = idle;
	r.idle_ctx = &id;
	if (run->file != NULL)
		run->file(ctx);
	for (;;) {
		memset(&err, 0, sizeof(err));
		if ((rc = mm_reader_next(&r, &line, &len, &err)) == 0)
			break;
		if (rc == MM_READER_IDLE) {
			stop = 1;
			break;
		}
		/* A read error names the file, as a bad line does. */
		if (rc < 0 && err.code != MM_EINPUT)
			mm_err_where(&err, r.name);
		if (rc > 0 && (rc = fn(ctx, line, len, &err)) == 0)
			continue;
		if (err.code == MM_EINPUT && err.where[0] == '\0') {
			err.line = r.lineno;
			mm_err_where(&err, r.name);
			if (run->skip_bad && rc != MM_RUN_FATAL) {
				run->skipped++;
				continue;
			}
		}
		stop = 1;
		break;
	}
	if (run->end != NULL) {
		memset(&end, 0, sizeof(end));
		if (run->end(ctx, stop ? (err.code ? err.code : MM_ESYS) :
		    MM_OK, &end) < 0) {
			err = end;
			stop = 1;
		}
	}
	run->in = NULL;
	mm_reader_release(&r);
	if (!stop)
		return MM_OK;
	/* What came before the bad line goes out before the word. */
	fflush(stdout);
	mm_perr(run->prog, &err);
	return err.code ? err.code : MM_ESYS;
}

/*
 * stdio sizes a buffer it allocates itself by st_blksize, 4 KB for a
 * pipe, whatever size setvbuf is asked for: a 64-row batch's record took
 * two or three writes.  Given the buffer, it keeps to its size.
 */
void
mm_stdout_buffer(void)
{
	static char buf[1 << 16];
	static int done;

	if (!done)
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	done = 1;
}

int
mm_run(struct mm_run *run, int argc, char *const *argv, mm_line_fn fn,
    void *ctx)
{
	int i, rc = MM_OK;

	mm_stdout_buffer();

	if (argc == 0)
		return one(run, NULL, fn, ctx);
	for (i = 0; i < argc && rc == MM_OK; i++)
		rc = one(run, argv[i], fn, ctx);
	return rc;
}

void
mm_run_skipped(struct mm_run *run)
{
	const char *what = run->what != NULL ? run->what : "record";

	if (run->skipped > 0)
		mm_warnx(run->prog, "skipped %ld bad %s%s", run->skipped, what,
		    run->skipped == 1 ? "" : "s");
	run->skipped = 0;
}

int
mm_run_write(struct mm_buf *b, struct mm_err *err)
{
	if (b->n > 0) {
		if (fwrite(b->p, 1, b->n, stdout) != b->n)
			return mm_errf(err, MM_ESYS, 0, "write error: %s",
			    strerror(errno));
		mm_buf_reset(b);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

int
mm_run_finish(struct mm_run *run, int rc)
{
	mm_run_skipped(run);
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
