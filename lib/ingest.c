/*
 * ingest.c - batch records through predict, drift, trust, record and
 * decide, for a service (ingest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "snapshot.h"
#include "trustrec.h"

void
mm_ingest_front_init(struct mm_ingest_front *f, const struct mm_config *cfg,
    const char *models, const struct mm_say *say)
{
	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->models = models;
	/* The service's threads are the cores' share: one each. */
	mm_predictor_init(&f->pr, models, NULL, 1, say);
	mm_drifter_init(&f->dr, &cfg->drift, 1, say);
	mm_rec_init(&f->rec);
	mm_buf_init(&f->a);
	mm_buf_init(&f->b);
}

void
mm_ingest_front_release(struct mm_ingest_front *f)
{
	mm_predictor_release(&f->pr);
	mm_drifter_release(&f->dr);
	mm_rec_release(&f->rec);
	mm_buf_release(&f->a);
	mm_buf_release(&f->b);
}

/*
 * As the pipe, without writing out and reading back the whole record
 * between stages: the drift of the batch the predictor read, and the
 * trust score of the metrics and drift as mm-trust reads them.  The
 * record comes out as the three programs would have left it.
 */
int
mm_ingest_front_line(struct mm_ingest_front *f, const char *line, size_t len,
    struct mm_buf *out, struct mm_err *err)
{
	struct mm_predictor *pr = &f->pr;
	struct mm_kv kv[5];

	if (mm_predictor_batch(pr, line, len, err) < 0)
		return -1;
	if (!f->loaded) {
		if (mm_drifter_load(&f->dr, NULL, f->models, err) < 0)
			return -1;
		f->loaded = 1;
	}
	if (mm_drifter_batch(&f->dr, &pr->batch, err) < 0)
		return -1;
	mm_buf_reset(&f->a);
	mm_buf_puts(&f->a, "{\"metrics\":");
	mm_buf_put(&f->a, pr->metrics.p, pr->metrics.n);
	mm_buf_puts(&f->a, ",\"drift\":");
	mm_buf_put(&f->a, f->dr.out.p, f->dr.out.n);
	mm_buf_putc(&f->a, '}');
	mm_buf_reset(&f->b);
	if (mm_rec_parse(&f->rec, f->a.p, f->a.n, NULL, NULL, err) < 0 ||
	    mm_trust_json(&f->cfg->trust, &f->rec, &f->b, err) < 0)
		return -1;
	kv[0] = (struct mm_kv){ "pred", pr->pred.p, pr->pred.n };
	kv[1] = (struct mm_kv){ "proba", pr->proba.p, pr->proba.n };
	kv[2] = (struct mm_kv){ "metrics", pr->metrics.p, pr->metrics.n };
	kv[3] = (struct mm_kv){ "drift", f->dr.out.p, f->dr.out.n };
	kv[4] = (struct mm_kv){ "trust", f->b.p, f->b.n };
	mm_rec_put_kv(out, &pr->rec, NULL, kv, 5);
	return 0;
}

/*
 * The checkpointer: the write-ahead log copied into the database once a
 * second, on a connection of its own, so the writer seldom waits for it.
 * A passive checkpoint cannot start the log again while a writer never
 * stops; the writer does, in a commit, once the log holds WAL_PAGES
 * pages, by then with little left to copy.
 */
#define WAL_PAGES "16384"

static void *
checkpointer(void *arg)
{
	struct mm_ingest_back *b = arg;
	struct mm_err err = { 0 };
	struct timespec until;
	struct mm_db db;
	int open;

	open = mm_db_open(&db, b->dbpath, &err) == 0;
	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec++;
		pthread_cond_timedwait(&b->tick, &b->lock, &until);
		if (b->stop || !open)
			continue;
		pthread_mutex_unlock(&b->lock);
		if (mm_db_exec(&db, "PRAGMA wal_checkpoint(PASSIVE)", &err) < 0)
			mm_say(&b->say, "checkpoint: %s", err.msg);
		pthread_mutex_lock(&b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	if (open)
		mm_db_close(&db);
	return NULL;
}

int
mm_ingest_back_open(struct mm_ingest_back *b, const struct mm_config *cfg,
    const char *dbpath, const char *models, const struct mm_say *say,
    struct mm_err *err)
{
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->dbpath = dbpath;
	b->models = models;
	if (say != NULL)
		b->say = *say;
	mm_buf_init(&b->line);
	mm_buf_init(&b->answer);
	mm_rec_init(&b->rec);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->tail = &b->head;
	if (mm_db_open(&b->db, dbpath, err) < 0)
		return -1;
	b->open = 1;
	if (mm_db_exec(&b->db, "PRAGMA wal_autocheckpoint = " WAL_PAGES,
	    err) < 0)
		return -1;
	pthread_cond_init(&b->tick, NULL);
	if (pthread_create(&b->ckpt, NULL, checkpointer, b) != 0)
		return mm_errf(err, MM_ESYS, 0, "cannot start a thread");
	b->ckpt_on = 1;
	if (mm_recorder_open(&b->rc, &b->db, cfg->retrain.buffer_rows, NULL,
	    say, err) < 0)
		return -1;
	if (mm_decider_open(&b->dc, &cfg->retrain, models, dbpath, err) < 0)
		return -1;
	mm_decider_use_db(&b->dc, &b->db);
	return 0;
}

void
mm_ingest_back_close(struct mm_ingest_back *b)
{
	if (b->ckpt_on) {
		pthread_mutex_lock(&b->lock);
		b->stop = 1;
		pthread_cond_signal(&b->tick);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->ckpt, NULL);
		pthread_cond_destroy(&b->tick);
		b->ckpt_on = 0;
	}
	mm_recorder_close(&b->rc);
	mm_decider_release(&b->dc);
	if (b->open)
		mm_db_close(&b->db);
	b->open = 0;
	mm_buf_release(&b->line);
	mm_buf_release(&b->answer);
	mm_rec_release(&b->rec);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

/*
 * The decider remembers what it decided; after a rollback it starts
 * again from what the database holds.
 */
static void
reset_decider(struct mm_ingest_back *b)
{
	struct mm_err err = { 0 };

	mm_decider_release(&b->dc);
	if (mm_decider_open(&b->dc, &b->cfg->retrain, b->models, b->dbpath,
	    &err) < 0)
		mm_say(&b->say, "cannot read the decisions back: %s",
		    err.msg);
	mm_decider_use_db(&b->dc, &b->db);
}

/* The record in text, with stored set, appended to out. */
static int
put_stored(struct mm_ingest_back *b, const char *text, size_t len,
    const char *how, struct mm_buf *out, struct mm_err *err)
{
	if (mm_rec_parse(&b->rec, text, len, NULL, NULL, err) < 0)
		return -1;
	mm_rec_put(out, &b->rec, NULL, "stored", how, strlen(how));
	return 0;
}

/*
 * Decide on the record in b->line, stored now as b->rc's batch, and
 * record the decision.
 */
static int
decide(struct mm_ingest_back *b, struct mm_buf *out, struct mm_err *err)
{
	const struct mm_decision *dec = &b->dc.dec;
	struct mm_history h;

	mm_buf_reset(&b->answer);
	if (mm_decider_line(&b->dc, b->line.p, b->line.n, &b->answer, err) < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.ts = b->rc.ts;
	h.source = b->rc.batch.id;
	h.action = mm_action_names[dec->action];
	h.reason = dec->reason;
	h.meta = b->dc.out.p + b->dc.meta_off;
	h.meta_len = b->dc.meta_len;
	/* No exec_status: decided, not carried out. */
	h.detail = "decided on ingest by mm-serve; not carried out (mm-exec "
	    "carries out decisions)";
	if (mm_history_add(&b->db, &h, mm_clock(NULL), err) < 0)
		return -1;
	return put_stored(b, b->answer.p, b->answer.n - 1, "\"new\"", out, err);
}

/*
 * Store and decide on one request's records in the open transaction
 * (begun by the first record stored), its answer appended to out.  0,
 * or -1 with err and *bad; nothing is undone here.
 */
static int
run_lines(struct mm_ingest_back *b, const char *lines, size_t len,
    struct mm_buf *out, struct mm_ingest_tally *t, long *bad, int *decided,
    struct mm_err *err)
{
	const char *p = lines, *end = lines + len, *nl;
	size_t l;
	long i;
	int rc;

	*bad = -1;
	for (i = 0; p < end; i++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl == NULL)
			nl = end - 1;
		/* The parsers need the line to end in a NUL. */
		mm_buf_reset(&b->line);
		mm_buf_put(&b->line, p, l);
		if ((rc = mm_recorder_line(&b->rc, b->line.p, l, err)) < 0)
			goto fail;
		switch (rc) {
		case MM_RECORD_STORED:
			*decided = 1;
			if (decide(b, out, err) < 0)
				goto fail;
			t->decided[b->dc.dec.action]++;
			t->n[0]++;
			break;
		case MM_RECORD_REPLAY:
			if (put_stored(b, b->line.p, l, "\"replay\"", out,
			    err) < 0)
				goto fail;
			t->n[1]++;
			break;
		case MM_RECORD_CONFLICT:
			if (put_stored(b, b->line.p, l, "\"conflict\"", out,
			    err) < 0)
				goto fail;
			t->n[2]++;
			break;
		default:
			mm_errf(err, MM_EINPUT, 0, "a batch record needs a "
			    "batch_id to be stored");
			goto fail;
		}
	}
	return 0;
fail:
	if (err->code == MM_EINPUT && err->where[0] == '\0')
		*bad = i;
	return -1;
}

/* The requests in the list, each alone: its own transaction. */
static void
run_each(struct mm_ingest_back *b, struct mm_ingest_job *list)
{
	struct mm_ingest_job *j;
	int decided;

	for (j = list; j != NULL; j = j->next) {
		memset(&j->tally, 0, sizeof(j->tally));
		decided = 0;
		j->rc = run_lines(b, j->lines, j->len, j->out, &j->tally,
		    &j->bad, &decided, &j->err);
		if (j->rc == 0 && (j->rc = mm_recorder_commit(&b->rc,
		    &j->err)) < 0)
			j->bad = -1;
		if (j->rc < 0) {
			mm_recorder_rollback(&b->rc);
			if (decided)
				reset_decider(b);
			j->out->n = j->start;
		}
	}
}

/*
 * The requests waiting, in one transaction: one commit for them all.
 * Should any fail, the transaction is rolled back and each is run
 * again alone, so that only the one at fault fails.
 */
static void
run_group(struct mm_ingest_back *b, struct mm_ingest_job *list)
{
	struct mm_ingest_job *j;
	struct mm_err err = { 0 };
	int decided = 0, ok = 1;

	for (j = list; j != NULL; j = j->next)
		j->start = j->out->n;
	if (list->next == NULL) {
		run_each(b, list);
		return;
	}
	for (j = list; j != NULL && ok; j = j->next) {
		memset(&j->tally, 0, sizeof(j->tally));
		ok = run_lines(b, j->lines, j->len, j->out, &j->tally, &j->bad,
		    &decided, &j->err) == 0;
	}
	if (ok && mm_recorder_commit(&b->rc, &err) == 0)
		return;
	mm_recorder_rollback(&b->rc);
	if (decided)
		reset_decider(b);
	for (j = list; j != NULL; j = j->next) {
		j->out->n = j->start;
		memset(&j->tally, 0, sizeof(j->tally));
	}
	run_each(b, list);
}

int
mm_ingest_back_run(struct mm_ingest_back *b, const char *lines, size_t len,
    struct mm_buf *out, long *bad, struct mm_err *err)
{
	struct mm_ingest_job j, *list;
	int a;

	memset(&j, 0, sizeof(j));
	j.lines = lines;
	j.len = len;
	j.out = out;
	pthread_mutex_lock(&b->lock);
	*b->tail = &j;
	b->tail = &j.next;
	while (!j.done) {
		if (b->busy) {
			pthread_cond_wait(&b->cond, &b->lock);
			continue;
		}
		/* Nobody is writing: this thread writes for all waiting. */
		b->busy = 1;
		list = b->head;
		b->head = NULL;
		b->tail = &b->head;
		pthread_mutex_unlock(&b->lock);
		run_group(b, list);
		pthread_mutex_lock(&b->lock);
		for (; list != NULL; list = list->next) {
			if (list->rc == 0) {
				b->stored += list->tally.n[0];
				b->replays += list->tally.n[1];
				b->conflicts += list->tally.n[2];
				for (a = 0; a < MM_NACTIONS; a++)
					b->decided[a] +=
					    list->tally.decided[a];
			}
			list->done = 1;
		}
		b->busy = 0;
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	if (j.rc < 0) {
		*err = j.err;
		if (out->p != NULL)
			out->p[out->n] = '\0';
	}
	*bad = j.bad;
	return j.rc;
}

void
mm_ingest_back_counts(struct mm_ingest_back *b, unsigned long n[3],
    unsigned long decided[MM_NACTIONS])
{
	pthread_mutex_lock(&b->lock);
	n[0] = b->stored;
	n[1] = b->replays;
	n[2] = b->conflicts;
	memcpy(decided, b->decided, sizeof(b->decided));
	pthread_mutex_unlock(&b->lock);
}
