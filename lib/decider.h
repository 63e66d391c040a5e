/*
 * decider.h - what mm-decide does to one record, for any program that
 * decides (mm-decide, mm-serve's ingest): the policy's inputs read from
 * the record (metrics, drift, trust), the pool of the live version's
 * recent counts, the store's baseline and staged candidate, and the
 * record written out with its decision (policy.h) added.
 *
 * The decider keeps what the policy remembers between records: recent
 * actions (seeded from decision_history), the pool (seeded from the
 * database the first time the live version's batch comes) and a ring of
 * recent F1 for records without counts.
 */
#ifndef MM_DECIDER_H
#define MM_DECIDER_H

#include <sys/stat.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "policy.h"
#include "pool.h"
#include "store.h"

struct mm_decider {
	struct mm_retrain_cfg cfg;
	struct mm_policy_state st;
	const char *models;	/* follow this store, or NULL */
	int have_baseline, have_staged;
	char active[MM_VERSION_MAX];	/* live version when deciding */
	int know_previous;
	int followed;			/* the store read at least once */
	struct stat active_st, cand_st;	/* its files when last read */
	double f1s[1000];		/* recent batch F1, a ring */
	long nf1;
	struct mm_pool pool;		/* rule 3's, of the live version */
	const char *dbpath;		/* the database, or NULL */
	struct mm_db *db;		/* where horizons are read, once open */
	struct mm_db own;
	int seeded;
	long horizon;			/* of the record at hand, -1 unknown */
	struct mm_decision dec;		/* the last decision */
	size_t meta_off, meta_len;	/* its metadata in out */
	struct mm_rec rec, sub;
	struct mm_buf sub_text, out;
};

/*
 * cfg is copied; models and dbpath (each NULL for none) are borrowed.
 * With dbpath, recent actions are seeded from its decision_history.
 * 0, or -1 with err.
 */
int mm_decider_open(struct mm_decider *d, const struct mm_retrain_cfg *cfg,
    const char *models, const char *dbpath, struct mm_err *err);
void mm_decider_release(struct mm_decider *d);

/* A fixed baseline F1, or a staged candidate, in place of the store's. */
void mm_decider_baseline(struct mm_decider *d, double f1);
void mm_decider_staged(struct mm_decider *d);

/*
 * Read horizons and seed the pool through db (borrowed), an open
 * connection whose uncommitted writes the decisions must see.
 */
void mm_decider_use_db(struct mm_decider *d, struct mm_db *db);

/*
 * One record: the decision in d->dec, and
 * the record with decision added appended to out.  0, or -1 with err.
 */
int mm_decider_line(struct mm_decider *d, const char *line, size_t len,
    struct mm_buf *out, struct mm_err *err);

#endif
