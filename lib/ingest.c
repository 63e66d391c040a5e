/*
 * ingest.c - batch records through predict, drift, trust, record and
 * decide, for a service (ingest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
mm_ingest_front_line(struct mm_ingest_front *f, char *line, size_t len,
    struct mm_buf *out, struct mm_err *err)
{
	mm_buf_reset(&f->a);
	if (mm_predictor_line(&f->pr, line, len, &f->a, err) < 0)
		return -1;
	if (!f->loaded) {
		if (mm_drifter_load(&f->dr, NULL, f->models, err) < 0)
			return -1;
		f->loaded = 1;
	}
	/* Each stage writes a line; the next reads it without its newline. */
	mm_buf_reset(&f->b);
	if (mm_drifter_line(&f->dr, f->a.p, f->a.n - 1, 0, &f->b, err) < 0)
		return -1;
	return mm_trust_line(&f->cfg->trust, &f->rec, f->b.p, f->b.n - 1,
	    out, err);
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
	mm_buf_init(&b->copy);
	mm_rec_init(&b->rec);
	if (mm_db_open(&b->db, dbpath, err) < 0)
		return -1;
	b->open = 1;
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
	mm_recorder_close(&b->rc);
	mm_decider_release(&b->dc);
	if (b->open)
		mm_db_close(&b->db);
	b->open = 0;
	mm_buf_release(&b->line);
	mm_buf_release(&b->copy);
	mm_rec_release(&b->rec);
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

/* The record in b->copy, with stored set, appended to out. */
static int
put_stored(struct mm_ingest_back *b, const char *how, struct mm_buf *out,
    struct mm_err *err)
{
	if (mm_rec_parse(&b->rec, b->copy.p, b->copy.n, NULL, NULL, err) < 0)
		return -1;
	mm_rec_put(out, &b->rec, NULL, "stored", how, strlen(how));
	return 0;
}

/* Decide on the record in b->copy, stored now, and record the decision. */
static int
decide(struct mm_ingest_back *b, const char *id, double ts,
    struct mm_buf *out, struct mm_err *err)
{
	const struct mm_decision *dec = &b->dc.dec;
	struct mm_history h;

	mm_buf_reset(&b->line);
	if (mm_decider_line(&b->dc, b->copy.p, b->copy.n, &b->line, err) < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.ts = ts;
	h.source = id;
	h.action = mm_action_names[dec->action];
	h.reason = dec->reason;
	h.meta = b->dc.out.p + b->dc.meta_off;
	h.meta_len = b->dc.meta_len;
	/* No exec_status: decided, not carried out. */
	h.detail = "decided on ingest by mm-serve; not carried out (mm-exec "
	    "carries out decisions)";
	if (mm_history_add(&b->db, &h, mm_clock(NULL), err) < 0)
		return -1;
	mm_buf_reset(&b->copy);
	mm_buf_put(&b->copy, b->line.p, b->line.n - 1);
	return put_stored(b, "\"new\"", out, err);
}

int
mm_ingest_back_run(struct mm_ingest_back *b, const char *lines, size_t len,
    struct mm_buf *out, long *bad, struct mm_err *err)
{
	const char *p = lines, *end = lines + len, *nl;
	unsigned long decided[MM_NACTIONS] = { 0 }, n[3] = { 0 };
	size_t start = out->n, l;
	char *id = NULL;
	long i;
	int rc, a;

	*bad = -1;
	for (i = 0; p < end; i++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl == NULL)
			nl = end - 1;
		/* Each stage parses in place: the recorder reads a copy. */
		mm_buf_reset(&b->line);
		mm_buf_put(&b->line, p, l);
		if ((rc = mm_recorder_line(&b->rc, b->line.p, l, err)) < 0)
			goto fail;
		mm_buf_reset(&b->copy);
		mm_buf_put(&b->copy, p, l);
		switch (rc) {
		case MM_RECORD_STORED:
			id = mm_xstrdup(b->rc.batch.id);
			n[0]++;
			if (decide(b, id, b->rc.ts, out, err) < 0)
				goto fail;
			decided[b->dc.dec.action]++;
			free(id);
			id = NULL;
			break;
		case MM_RECORD_REPLAY:
			if (put_stored(b, "\"replay\"", out, err) < 0)
				goto fail;
			n[1]++;
			break;
		case MM_RECORD_CONFLICT:
			if (put_stored(b, "\"conflict\"", out, err) < 0)
				goto fail;
			n[2]++;
			break;
		default:
			mm_errf(err, MM_EINPUT, 0, "a batch record needs a "
			    "batch_id to be stored");
			goto fail;
		}
	}
	if (mm_recorder_commit(&b->rc, err) < 0) {
		i = -1;
		goto fail;
	}
	b->stored += n[0];
	b->replays += n[1];
	b->conflicts += n[2];
	for (a = 0; a < MM_NACTIONS; a++)
		b->decided[a] += decided[a];
	return 0;
fail:
	free(id);
	if (err->code == MM_EINPUT && err->where[0] == '\0')
		*bad = i;
	mm_recorder_rollback(&b->rc);
	if (n[0] > 0)
		reset_decider(b);
	out->n = start;
	if (out->p != NULL)
		out->p[start] = '\0';
	return -1;
}
