/*
 * mm-alert - raise an alert when the trust score is low, once per
 * stream and severity per cooldown, and run a command for each.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"

static const char *prog = "mm-alert";

enum {
	O_DB, O_CONFIG, O_NOW, O_EXEC, O_STREAM, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_DB] = { "db", 0, "FILE", "database for cooldowns (default: $MM_DB "
	    "or data/metrics/metrics.db)" },
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_NOW] = MM_OPT_NOW("time of records without ts (default: the "
	    "clock)"),
	[O_EXEC] = { "exec", 'e', "CMD", "run CMD per alert, the alert JSON "
	    "on its stdin" },
	[O_STREAM] = { "stream", 0, "NAME", "name of a stream of batch "
	    "records (default batches)" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct alert {
	struct mm_db db;
	struct mm_config cfg;
	const char *cmd, *stream;
	double at;
	const double *now;	/* --now, or NULL: the clock */
	long raised, suppressed, failed;
	struct mm_run run;
	struct mm_rec rec;
	struct mm_buf out;
};

/* Seconds since key last alerted, or INFINITY. */
static int
last_alert(struct alert *a, const char *key, double *last,
    struct mm_err *err)
{
	struct mm_stmt *st = mm_db_prepare(&a->db, "SELECT last_ts FROM "
	    "alert_state WHERE key = ?1", err);

	if (st == NULL)
		return -1;
	mm_bind_text(st, 1, key, -1);
	*last = mm_step(st) == MM_ROW ?
	    mm_col_double(st, 0) : -INFINITY;
	mm_finalize(st);
	return 0;
}

static int
remember(struct alert *a, const char *key, double ts, struct mm_err *err)
{
	struct mm_stmt *st = mm_db_prepare(&a->db, "INSERT INTO alert_state "
	    "(key, last_ts) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET "
	    "last_ts = excluded.last_ts", err);
	int rc = 0;

	if (st == NULL)
		return -1;
	mm_bind_text(st, 1, key, -1);
	mm_bind_double(st, 2, ts);
	if (mm_step(st) != MM_DONE)
		rc = mm_db_err(&a->db, err, "cannot store the alert state");
	mm_finalize(st);
	return rc;
}

/* Write all of text to fd: 0, or -1 when the reader has gone. */
static int
write_all(int fd, const char *text, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, text, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Run the command with text on its standard input: its exit status.
 * Its standard output is our standard error, as ours carries records
 * only; a command that does not read its input is not an error.
 */
static int
run_command(const char *cmd, const char *text, size_t len)
{
	struct sigaction ign, old;
	FILE *p;
	int st, saved;

	fflush(stdout);
	if ((saved = dup(STDOUT_FILENO)) < 0)
		return -1;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		close(saved);
		return -1;
	}
	p = popen(cmd, "w");
	st = errno;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (p == NULL) {
		errno = st;
		return -1;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	if (write_all(fileno(p), text, len) == 0)
		write_all(fileno(p), "\n", 1);
	sigaction(SIGPIPE, &old, NULL);
	st = pclose(p);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
do_record(struct alert *a, char *line, size_t len, struct mm_err *err)
{
	const struct mm_field *f;
	const struct mm_trust_cfg *t = &a->cfg.trust;
	json_error_t jerr;
	json_t *trust, *score;
	char key[300], *window, *batch;
	const char *sev;
	double s, ts, last, thr;
	int rc;

	if (mm_rec_parse(&a->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	f = mm_rec_get(&a->rec, "trust");
	trust = f ? json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, &jerr) :
	    NULL;
	/* Text jansson cannot take, as 1e400: say why, not "not an object". */
	if (f != NULL && trust == NULL)
		return mm_errf(err, MM_EINPUT, 0, "'trust': %s", jerr.text);
	if (f != NULL && !json_is_object(trust) && !json_is_null(trust)) {
		json_decref(trust);
		return mm_errf(err, MM_EINPUT, 0, "'trust' is not an object");
	}
	score = json_is_object(trust) ? json_object_get(trust, "score") : NULL;
	if (score != NULL && !json_is_number(score) && !json_is_null(score)) {
		json_decref(trust);
		return mm_errf(err, MM_EINPUT, 0, "'trust.score' is not a "
		    "number");
	}
	if (!json_is_number(score)) {
		json_decref(trust);
		goto pass;
	}
	s = json_number_value(score);
	json_decref(trust);
	if (s < t->critical) {
		sev = "critical";
		thr = t->critical;
	} else if (s < t->warning) {
		sev = "warning";
		thr = t->warning;
	} else {
		goto pass;
	}
	f = mm_rec_get(&a->rec, "ts");
	if (f == NULL)
		ts = mm_clock(a->now);
	else if (mm_json_number(f->val.p, &ts) == NULL || !isfinite(ts))
		return mm_errf(err, MM_EINPUT, 0, "'ts' is not a number");
	window = mm_rec_get_string(&a->rec, "window");
	batch = mm_rec_get_string(&a->rec, "batch_id");
	snprintf(key, sizeof(key), "%s:%s", window ? window : a->stream, sev);
	if (last_alert(a, key, &last, err) < 0) {
		free(window);
		free(batch);
		return -1;
	}
	if (ts - last < t->alert_cooldown_s) {
		a->suppressed++;
		free(window);
		free(batch);
		goto pass;
	}
	mm_buf_reset(&a->out);
	mm_buf_printf(&a->out, "{\"severity\":\"%s\",\"score\":", sev);
	mm_jw_num(&a->out, s);
	mm_buf_puts(&a->out, ",\"threshold\":");
	mm_jw_num(&a->out, thr);
	mm_buf_puts(&a->out, ",\"key\":");
	mm_jw_str(&a->out, key);
	mm_buf_puts(&a->out, ",\"ts\":");
	mm_jw_num(&a->out, ts);
	mm_buf_puts(&a->out, ",\"message\":");
	{
		char msg[512];

		snprintf(msg, sizeof(msg), "trust %.3f is below the %s level "
		    "%.2f for %s %s", s, sev, thr, window ? "window" :
		    batch ? "batch" : "stream", window ? window : batch ?
		    batch : a->stream);
		mm_jw_str(&a->out, msg);
	}
	mm_buf_putc(&a->out, '}');
	free(window);
	free(batch);
	if (a->cmd != NULL) {
		rc = run_command(a->cmd, a->out.p, a->out.n);
		if (rc != 0) {
			if (rc < 0)
				mm_warnx(prog, "--exec command could not run: "
				    "%s", strerror(errno));
			else
				mm_warnx(prog, "--exec command exited %d; the "
				    "alert will be raised again", rc);
			a->failed++;
			goto write;	/* no cooldown: try again next time */
		}
	}
	if (mm_db_begin(&a->db, err) < 0 || remember(a, key, ts, err) < 0 ||
	    mm_db_commit(&a->db, err) < 0) {
		mm_db_rollback(&a->db);
		return -1;
	}
write:
	a->raised++;
	if (mm_rec_write(stdout, &a->rec, NULL, "alert", a->out.p,
	    a->out.n) < 0 || fflush(stdout) != 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
pass:
	/* A failed fwrite need not leave the flush anything to fail on. */
	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF ||
	    fflush(stdout) != 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	return do_record(ctx, line, len, err);
}

int
main(int argc, char **argv)
{
	struct alert a;
	struct mm_optstate st = { .prog = "mm-alert",
	    .synopsis = "[--db FILE] [--config DIR] [--now TS] [--exec CMD] "
	    "[--stream NAME]\n"
	    " [--skip-bad] [--max-record BYTES] [FILE ...]",
	    .about = "Add an alert to records whose trust score is below the "
	    "warning or critical level." };
	struct mm_err err = { 0 };
	const char *dbpath = NULL, *config = NULL;
	int o, rc = MM_OK;

	memset(&a, 0, sizeof(a));
	a.run.prog = prog;
	a.stream = "batches";
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &a.at, &a.now) < 0)
				return MM_EINPUT;
			break;
		case O_EXEC: a.cmd = st.arg; break;
		case O_STREAM: a.stream = st.arg; break;
		case O_SKIPBAD: a.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &a.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_config_load(&a.cfg, config, MM_CFG_TRUST, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (mm_db_open(&a.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_rec_init(&a.rec);
	mm_buf_init(&a.out);
	rc = mm_run(&a.run, argc - st.ind, argv + st.ind, on_line, &a);
	if (rc == MM_OK && a.failed > 0) {
		mm_warnx(prog, "%ld alert command%s failed", a.failed,
		    a.failed == 1 ? "" : "s");
		rc = MM_ESYS;
	}
	mm_rec_release(&a.rec);
	mm_buf_release(&a.out);
	mm_db_close(&a.db);
	return mm_run_finish(&a.run, rc);
}
