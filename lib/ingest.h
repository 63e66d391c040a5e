/*
 * ingest.h - batch records taken in by a service (mm-serve's POST
 * /api/ingest) and run through the same code as
 *
 *	mm-predict | mm-psi | mm-trust | mm-record | mm-decide
 *
 * in two halves.  The front (predictor.h, drifter.h, trustrec.h) is one
 * thread's and touches no database: every record of a request is
 * scored before anything is stored.  The back (recorder.h, decider.h)
 * is shared by every thread: it stores a request's batches, decides on
 * each batch stored now and records that decision in decision_history
 * (not carried out: that stays mm-exec's), in one transaction.  A
 * request is stored whole or not at all.
 */
#ifndef MM_INGEST_H
#define MM_INGEST_H

#include <pthread.h>

#include "config.h"
#include "db.h"
#include "decider.h"
#include "drifter.h"
#include "json.h"
#include "predictor.h"
#include "recorder.h"

struct mm_ingest_front {
	const struct mm_config *cfg;	/* borrowed */
	struct mm_predictor pr;
	struct mm_drifter dr;
	struct mm_rec rec;
	struct mm_buf a, b;
	int loaded;		/* the drifter has its reference */
	const char *models;
};

/* cfg and models (the store) are borrowed. */
void mm_ingest_front_init(struct mm_ingest_front *f,
    const struct mm_config *cfg, const char *models,
    const struct mm_say *say);
void mm_ingest_front_release(struct mm_ingest_front *f);

/*
 * One batch record: the record with pred, proba,
 * metrics, drift and trust, and a newline, appended to out.  0, or -1
 * with err: MM_EINPUT with err->where empty is about the record; any
 * other error is the store's.
 */
int mm_ingest_front_line(struct mm_ingest_front *f, const char *line,
    size_t len, struct mm_buf *out, struct mm_err *err);

/* What a request did: batches stored new, replayed, in conflict. */
struct mm_ingest_tally {
	unsigned long n[3];
	unsigned long decided[MM_NACTIONS];
};

/* A request waiting for the writer (ingest.c's). */
struct mm_ingest_job {
	const char *lines;
	size_t len;
	struct mm_buf *out;
	size_t start;		/* out's length before */
	int rc, done;
	long bad;
	struct mm_err err;
	struct mm_ingest_tally tally;
	struct mm_ingest_job *next;
};

struct mm_ingest_back {
	const struct mm_config *cfg;	/* borrowed */
	const char *dbpath, *models;
	struct mm_db db;
	struct mm_recorder rc;
	struct mm_decider dc;
	struct mm_say say;
	int open;
	struct mm_buf line, answer;	/* a record, and it with its decision */
	struct mm_rec rec;
	/* The requests waiting, and whether one thread is writing. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct mm_ingest_job *head, **tail;
	int busy;
	/* The checkpointer, which copies the log into the database. */
	pthread_t ckpt;
	pthread_cond_t tick;
	int ckpt_on, stop;
	/* Batches stored, replayed (stored before), in conflict. */
	unsigned long stored, replays, conflicts;
	unsigned long decided[MM_NACTIONS];
};

/* Open the database and seed the decider.  0, or -1 with err. */
int mm_ingest_back_open(struct mm_ingest_back *b, const struct mm_config *cfg,
    const char *dbpath, const char *models, const struct mm_say *say,
    struct mm_err *err);
void mm_ingest_back_close(struct mm_ingest_back *b);

/*
 * Store the records in lines (each ending in a newline, as the front
 * wrote them) and decide on each stored now; each record is appended to
 * out with its decision, and "stored": "new", "replay" (the batch was
 * stored before: no decision again) or "conflict" (stored before with
 * other content: not stored, no decision).  0, or -1 with err and
 * nothing stored; *bad is then the record at fault (0-based), or -1.
 *
 * Any number of threads may call this at once.  One of them writes for
 * all that are waiting, in one transaction (a group commit); should one
 * request fail, the others are stored each on its own.
 */
int mm_ingest_back_run(struct mm_ingest_back *b, const char *lines,
    size_t len, struct mm_buf *out, long *bad, struct mm_err *err);

/* The counters: batches stored new, replays, conflicts; decisions. */
void mm_ingest_back_counts(struct mm_ingest_back *b, unsigned long n[3],
    unsigned long decided[MM_NACTIONS]);

#endif
