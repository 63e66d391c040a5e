/*
 * test_ingest.c - the back half of ingest (ingest.h) against a real
 * SQLite file in a fresh directory under $TMPDIR, with a model store
 * that has no live version: a request stored and decided on, the same
 * request again as replays, many threads at once (each batch stored and
 * decided on once), and a request with a bad record among good ones,
 * alone, in a group it is forced into, and in groups as they come:
 * only it fails, and nothing of it is stored.
 *
 * The tests share one back and one database and run in order: each
 * counts on what those before it stored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "ingest.h"
#include "scratch.h"

/*
 * One batch of 4 rows and 2 features as mm-predict | mm-psi | mm-trust
 * leave it (psi_adj, psi_crit, missing and the trust weights left out):
 * its batch_id and labels are filled in.  With labels [0,1,1,1] its
 * confusion counts add up; a label of 1000 is above the largest class
 * and the recorder refuses the record.
 */
#define REC_FMT								\
	"{\"batch_id\":\"%s\",\"ts\":1764140000,\"features\":{\"f0\":"	\
	"[-0.606382,0.130877,1.634604,1.569907],\"f1\":[-1.728193,"	\
	"-0.886398,1.149128,-1.28776]},\"labels\":%s,\"pred\":[0,1,1,1]," \
	"\"proba\":[0.755,0.708571,0.975,0.845],\"metrics\":{"		\
	"\"n_samples\":4,\"n_labelled\":4,\"accuracy\":1,\"f1\":1,"	\
	"\"confusion\":[[1,0],[0,3]],\"avg_confidence\":"		\
	"0.8208928571428571,\"latency_ms\":0.004,\"model_version\":"	\
	"\"20251126T065320Z\"},\"drift\":{\"psi\":{\"f0\":"		\
	"0.44140705546806036,\"f1\":0.2838276869658395},\"p_value\":{"	\
	"\"f0\":0.5263157894736842,\"f1\":1},\"drifted\":[],"		\
	"\"drift_score\":0,\"status\":\"stable\",\"n\":4,\"ref\":"	\
	"\"f0c77b61b5c64e29\",\"counts\":{\"f0\":[0,0,0,0,1,1,0,0,2,0,0]," \
	"\"f1\":[1,0,1,1,0,0,0,1,0,0,0]}},\"trust\":{\"score\":" \
	"0.9731339285714286,\"components\":{\"accuracy\":1,\"f1\":1,"	\
	"\"confidence\":0.8208928571428571,\"drift\":1,\"latency\":1}}}\n"

#define GOOD_LABELS "[0,1,1,1]"
#define BAD_LABELS "[0,1000,1,1]"

/* What the earlier tests leave stored, for the later ones to add to. */
#define N_FIRST 3		/* test_first */
#define N_THREADS 8		/* test_threads */
#define N_PER_THREAD 40
#define N_FORCED 4		/* test_forced_group: new batches */
#define N_ROUNDS 20		/* test_bad_among_good */
#define N_GOOD_THREADS 3
#define N_GOOD_REQS 4		/* each thread's requests a round */
#define N_GOOD_RECS 2		/* records a good request */

/* The decision on every batch here: no live version, nothing to do. */
#define ACTION "none"
#define REASON "no rule matched"

struct fix {
	char top[256];		/* the scratch directory */
	char dbpath[300];	/* top/d.db */
	char models[300];	/* top/models: no active.json */
	struct mm_config cfg;
	struct mm_ingest_back b;
	int open;
};

static struct fix *F;

/* Append the record of batch id, with labels, to b. */
static void
put_rec(struct mm_buf *b, const char *id, const char *labels)
{
	mm_buf_printf(b, REC_FMT, id, labels);
}

/* The one number the query sql gives, on a connection of its own. */
static long long
q_num(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(F->dbpath, &h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		fail_msg("cannot open %s", F->dbpath);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* The rows the query sql gives, "|" between columns, "\n" after rows. */
static void
q_text(const char *sql, char *out, size_t size)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t n = 0;
	int i;

	out[0] = '\0';
	if (sqlite3_open_v2(F->dbpath, &h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		fail_msg("cannot open %s", F->dbpath);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			n += (size_t)snprintf(out + n, size - n, "%s%s",
			    i > 0 ? "|" : "", t != NULL ? (const char *)t :
			    "NULL");
			if (n >= size)
				fail_msg("%s: more than %zu bytes", sql, size);
		}
		n += (size_t)snprintf(out + n, size - n, "\n");
		if (n >= size)
			fail_msg("%s: more than %zu bytes", sql, size);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void
assert_counts(unsigned long stored, unsigned long replays,
    unsigned long conflicts)
{
	unsigned long n[3], decided[MM_NACTIONS], sum = 0;
	int a;

	mm_ingest_back_counts(&F->b, n, decided);
	assert_int_equal(n[0], stored);
	assert_int_equal(n[1], replays);
	assert_int_equal(n[2], conflicts);
	for (a = 0; a < MM_NACTIONS; a++)
		sum += decided[a];
	assert_int_equal(sum, stored);
}

/*
 * Check out from byte from: one line per id in ids, each the record of
 * that batch with "stored" how; a decision (action want) when "new",
 * none otherwise.  Returns where the lines checked end.
 */
static size_t
check_lines(const struct mm_buf *out, size_t from, const char *const *ids,
    int n, const char *how, const char *want)
{
	const char *p = out->p + from, *end = out->p + out->n, *nl;
	char tail[64];
	json_error_t jerr;
	json_t *o, *d;
	size_t k;
	int i;

	/* The field added last, as written. */
	k = (size_t)snprintf(tail, sizeof(tail), ",\"stored\":\"%s\"}", how);
	for (i = 0; i < n; i++, p = nl + 1) {
		assert_true(p < end);
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		assert_true((size_t)(nl - p) > k);
		assert_memory_equal(nl - k, tail, k);
		o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
		if (o == NULL)
			fail_msg("answer line %d: %s", i, jerr.text);
		assert_string_equal(json_string_value(json_object_get(o,
		    "batch_id")), ids[i]);
		assert_string_equal(json_string_value(json_object_get(o,
		    "stored")), how);
		d = json_object_get(o, "decision");
		if (strcmp(how, "new") == 0) {
			assert_true(json_is_object(d));
			assert_string_equal(json_string_value(
			    json_object_get(d, "action")), want);
			assert_string_equal(json_string_value(
			    json_object_get(d, "reason")), REASON);
		} else {
			assert_null(d);
		}
		/* What the front wrote is passed on. */
		assert_int_equal(json_integer_value(json_object_get(
		    json_object_get(o, "metrics"), "n_labelled")), 4);
		assert_string_equal(json_string_value(json_object_get(
		    json_object_get(o, "drift"), "status")), "stable");
		json_decref(o);
	}
	return (size_t)(p - out->p);
}

/* As check_lines, and those lines are all there is. */
static void
check_answer(const struct mm_buf *out, size_t from, const char *const *ids,
    int n, const char *how, const char *want)
{
	assert_int_equal(check_lines(out, from, ids, n, how, want), out->n);
}

static int
teardown(void **state)
{
	(void)state;
	if (F == NULL)
		return 0;
	if (F->open)
		mm_ingest_back_close(&F->b);
	if (F->top[0] != '\0')
		scratch_remove(F->top);
	free(F);
	F = NULL;
	return 0;
}

static int
setup(void **state)
{
	struct mm_err err = { 0 };

	(void)state;
	if ((F = calloc(1, sizeof(*F))) == NULL)
		return -1;
	if (scratch_make(F->top, sizeof(F->top), "mm-ingest") < 0) {
		F->top[0] = '\0';
		goto fail;
	}
	snprintf(F->dbpath, sizeof(F->dbpath), "%s/d.db", F->top);
	snprintf(F->models, sizeof(F->models), "%s/models", F->top);
	if (mkdir(F->models, 0777) < 0)
		goto fail;
	mm_config_defaults(&F->cfg);
	/* Closed even when it fails: the close takes what was opened. */
	F->open = 1;
	if (mm_ingest_back_open(&F->b, &F->cfg, F->dbpath, F->models, NULL,
	    &err) < 0) {
		fprintf(stderr, "mm_ingest_back_open: %s\n", err.msg);
		goto fail;
	}
	return 0;
fail:
	teardown(NULL);
	return -1;
}

/* A request of 3 records into a fresh database. */
static void
test_first(void **state)
{
	static const char *const ids[N_FIRST] = { "a0", "a1", "a2" };
	struct mm_buf in, out;
	struct mm_err err = { 0 };
	char text[4096];
	long bad = 7;
	int i;

	(void)state;
	mm_buf_init(&in);
	mm_buf_init(&out);
	for (i = 0; i < N_FIRST; i++)
		put_rec(&in, ids[i], GOOD_LABELS);
	assert_int_equal(mm_ingest_back_run(&F->b, in.p, in.n, &out, &bad,
	    &err), 0);
	assert_int_equal(bad, -1);
	check_answer(&out, 0, ids, N_FIRST, "new", ACTION);
	assert_counts(N_FIRST, 0, 0);
	q_text("SELECT batch_id, ts, model_version, n_samples, n_labelled, "
	    "accuracy, f1, drift_score, drift_status, trust_score, confusion "
	    "FROM metrics ORDER BY batch_id", text, sizeof(text));
	assert_string_equal(text,
	    "a0|1764140000.0|20251126T065320Z|4|4|1.0|1.0|0.0|stable|"
	    "0.973133928571429|[[1,0],[0,3]]\n"
	    "a1|1764140000.0|20251126T065320Z|4|4|1.0|1.0|0.0|stable|"
	    "0.973133928571429|[[1,0],[0,3]]\n"
	    "a2|1764140000.0|20251126T065320Z|4|4|1.0|1.0|0.0|stable|"
	    "0.973133928571429|[[1,0],[0,3]]\n");
	q_text("SELECT source, action, ts, exec_status IS NULL, exec_detail "
	    "FROM decision_history ORDER BY id", text, sizeof(text));
	assert_string_equal(text,
	    "a0|" ACTION "|1764140000.0|1|decided on ingest by mm-serve; "
	    "not carried out (mm-exec carries out decisions)\n"
	    "a1|" ACTION "|1764140000.0|1|decided on ingest by mm-serve; "
	    "not carried out (mm-exec carries out decisions)\n"
	    "a2|" ACTION "|1764140000.0|1|decided on ingest by mm-serve; "
	    "not carried out (mm-exec carries out decisions)\n");
	assert_int_equal(q_num("SELECT count(*) FROM drift_counts"), N_FIRST);
	assert_int_equal(q_num("SELECT count(*) FROM evidence"), 4 * N_FIRST);
	mm_buf_release(&in);
	mm_buf_release(&out);
}

/* The same request again: replays, no decision, nothing added. */
static void
test_again(void **state)
{
	static const char *const ids[N_FIRST] = { "a0", "a1", "a2" };
	struct mm_buf in, out;
	struct mm_err err = { 0 };
	long bad = 7;
	int i;

	(void)state;
	mm_buf_init(&in);
	mm_buf_init(&out);
	for (i = 0; i < N_FIRST; i++)
		put_rec(&in, ids[i], GOOD_LABELS);
	/* What out held before is kept. */
	mm_buf_puts(&out, "before\n");
	assert_int_equal(mm_ingest_back_run(&F->b, in.p, in.n, &out, &bad,
	    &err), 0);
	assert_int_equal(bad, -1);
	assert_memory_equal(out.p, "before\n", 7);
	check_answer(&out, 7, ids, N_FIRST, "replay", NULL);
	assert_counts(N_FIRST, N_FIRST, 0);
	assert_int_equal(q_num("SELECT count(*) FROM metrics"), N_FIRST);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history"),
	    N_FIRST);
	assert_int_equal(q_num("SELECT count(*) FROM evidence"), 4 * N_FIRST);
	mm_buf_release(&in);
	mm_buf_release(&out);
}

/* A thread that sends requests, told when to start by a barrier. */
struct sender {
	pthread_t t;
	pthread_barrier_t *go;
	int who, round, nreq, nrec, bad_at;	/* bad_at: record, or -1 */
	const char *prefix;
	/* Each request's outcome. */
	int rc[N_PER_THREAD];
	long bad[N_PER_THREAD];
	int code[N_PER_THREAD];
	size_t before[N_PER_THREAD], after[N_PER_THREAD];
	struct mm_buf out;
	int finished;		/* set (atomically) when done */
};

static void
sender_id(const struct sender *s, int req, int rec, char *id, size_t size)
{
	snprintf(id, size, "%s-r%d-t%d-q%d-%d", s->prefix, s->round, s->who,
	    req, rec);
}

static void *
send_all(void *arg)
{
	struct sender *s = arg;
	struct mm_buf in;
	struct mm_err err;
	char id[64];
	int q, r;

	mm_buf_init(&in);
	pthread_barrier_wait(s->go);
	for (q = 0; q < s->nreq; q++) {
		mm_buf_reset(&in);
		for (r = 0; r < s->nrec; r++) {
			sender_id(s, q, r, id, sizeof(id));
			put_rec(&in, id, r == s->bad_at ? BAD_LABELS :
			    GOOD_LABELS);
		}
		memset(&err, 0, sizeof(err));
		s->before[q] = s->out.n;
		s->rc[q] = mm_ingest_back_run(&F->b, in.p, in.n, &s->out,
		    &s->bad[q], &err);
		s->code[q] = err.code;
		s->after[q] = s->out.n;
	}
	mm_buf_release(&in);
	__atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The requests waiting for the writer: the next group, as the writer
 * takes them all at once (ingest.c's list, read under its lock).
 */
static int
waiting(void)
{
	struct mm_ingest_job *j;
	int n = 0;

	pthread_mutex_lock(&F->b.lock);
	for (j = F->b.head; j != NULL; j = j->next)
		n++;
	pthread_mutex_unlock(&F->b.lock);
	return n;
}

/*
 * Until the n senders in s are done, look at the requests waiting: the
 * most seen at once.
 */
static int
watch(struct sender *s, int n)
{
	int i, k, done, most = 0;

	do {
		for (i = 0, done = 1; i < n; i++)
			done &= __atomic_load_n(&s[i].finished,
			    __ATOMIC_ACQUIRE);
		if ((k = waiting()) > most)
			most = k;
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	} while (!done);
	return most;
}

/* Check a good sender's requests: each stored new, its answer in order. */
static void
check_good(struct sender *s)
{
	char ids[N_PER_THREAD * 4][64];
	const char *p[N_PER_THREAD * 4];
	int q, r, n = 0;

	for (q = 0; q < s->nreq; q++) {
		assert_int_equal(s->rc[q], 0);
		assert_int_equal(s->bad[q], -1);
		for (r = 0; r < s->nrec; r++, n++) {
			sender_id(s, q, r, ids[n], sizeof(ids[n]));
			p[n] = ids[n];
		}
	}
	check_answer(&s->out, 0, p, n, "new", ACTION);
}

/* 8 threads, each 40 requests of 1 record, all at once. */
static void
test_threads(void **state)
{
	struct sender *s = calloc(N_THREADS, sizeof(*s));
	pthread_barrier_t go;
	const long long want = N_FIRST + N_THREADS * N_PER_THREAD;
	int i, most;

	(void)state;
	assert_non_null(s);
	pthread_barrier_init(&go, NULL, N_THREADS);
	for (i = 0; i < N_THREADS; i++) {
		s[i].go = &go;
		s[i].who = i;
		s[i].nreq = N_PER_THREAD;
		s[i].nrec = 1;
		s[i].bad_at = -1;
		s[i].prefix = "c";
		mm_buf_init(&s[i].out);
		assert_int_equal(pthread_create(&s[i].t, NULL, send_all,
		    &s[i]), 0);
	}
	most = watch(s, N_THREADS);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(s[i].t, NULL);
	pthread_barrier_destroy(&go);
	/* Requests did wait for the writer together: groups were written. */
	assert_true(most > 1);
	for (i = 0; i < N_THREADS; i++) {
		check_good(&s[i]);
		mm_buf_release(&s[i].out);
	}
	free(s);
	assert_int_equal(q_num("SELECT count(*) FROM metrics"), want);
	assert_int_equal(q_num("SELECT count(DISTINCT batch_id) FROM metrics"),
	    want);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history"), want);
	assert_int_equal(q_num("SELECT count(DISTINCT source) FROM "
	    "decision_history"), want);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history WHERE "
	    "exec_status IS NOT NULL OR action != '" ACTION "'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM drift_counts"), want);
	assert_counts((unsigned long)want, N_FIRST, 0);
}

struct one {
	pthread_t t;
	const char *ids[3];
	const char *labels[3];
	int n;
	int rc, code;
	long bad;
	char msg[512];
	struct mm_buf out;
};

static void *
send_one(void *arg)
{
	struct one *o = arg;
	struct mm_buf in;
	struct mm_err err = { 0 };
	int i;

	mm_buf_init(&in);
	for (i = 0; i < o->n; i++)
		put_rec(&in, o->ids[i], o->labels[i]);
	o->rc = mm_ingest_back_run(&F->b, in.p, in.n, &o->out, &o->bad,
	    &err);
	o->code = err.code;
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	mm_buf_release(&in);
	return NULL;
}

/*
 * Five requests made to wait while the writer is held busy, so that one
 * group takes them all: a good one, the bad one (its 2nd record), a good
 * one, one with a batch stored before, and one with the first's batch
 * again.  The group is rolled back and each run alone: only the bad one
 * fails, and the first's batch is new once and then a replay.
 */
static void
test_forced_group(void **state)
{
	static const char *const pre = "kept\n";
	struct one o[5] = {
		{ .ids = { "g0", "g1" }, .n = 2 },
		{ .ids = { "gbad0", "gbad1", "gbad2" }, .n = 3 },
		{ .ids = { "g2" }, .n = 1 },
		{ .ids = { "a1", "g3" }, .n = 2 },
		{ .ids = { "g0" }, .n = 1 },
	};
	const long long before = N_FIRST + N_THREADS * N_PER_THREAD;
	int i, k;

	(void)state;
	for (i = 0; i < 5; i++) {
		for (k = 0; k < o[i].n; k++)
			o[i].labels[k] = GOOD_LABELS;
		mm_buf_init(&o[i].out);
		mm_buf_puts(&o[i].out, pre);
	}
	o[1].labels[1] = BAD_LABELS;
	/* Hold the writer: every request waits, in the order sent. */
	pthread_mutex_lock(&F->b.lock);
	assert_int_equal(F->b.busy, 0);
	F->b.busy = 1;
	pthread_mutex_unlock(&F->b.lock);
	for (i = 0; i < 5; i++) {
		assert_int_equal(pthread_create(&o[i].t, NULL, send_one,
		    &o[i]), 0);
		while (waiting() != i + 1)
			nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
	pthread_mutex_lock(&F->b.lock);
	F->b.busy = 0;
	pthread_cond_broadcast(&F->b.cond);
	pthread_mutex_unlock(&F->b.lock);
	for (i = 0; i < 5; i++)
		pthread_join(o[i].t, NULL);
	assert_int_equal(waiting(), 0);

	assert_int_equal(o[1].rc, -1);
	assert_int_equal(o[1].bad, 1);
	assert_int_equal(o[1].code, MM_EINPUT);
	assert_string_equal(o[1].msg, "label 1 is 1000, above the largest "
	    "class mm supports (999)");
	assert_int_equal(o[1].out.n, strlen(pre));
	assert_string_equal(o[1].out.p, pre);
	for (i = 0; i < 5; i++) {
		if (i == 1)
			continue;
		assert_int_equal(o[i].rc, 0);
		assert_int_equal(o[i].bad, -1);
		assert_memory_equal(o[i].out.p, pre, strlen(pre));
	}
	check_answer(&o[0].out, strlen(pre), o[0].ids, 2, "new", ACTION);
	check_answer(&o[2].out, strlen(pre), o[2].ids, 1, "new", ACTION);
	check_answer(&o[3].out, check_lines(&o[3].out, strlen(pre), o[3].ids,
	    1, "replay", NULL), o[3].ids + 1, 1, "new", ACTION);
	check_answer(&o[4].out, strlen(pre), o[4].ids, 1, "replay", NULL);
	for (i = 0; i < 5; i++)
		mm_buf_release(&o[i].out);

	assert_int_equal(q_num("SELECT count(*) FROM metrics WHERE batch_id "
	    "LIKE 'gbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM evidence WHERE batch_id "
	    "LIKE 'gbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history WHERE "
	    "source LIKE 'gbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM metrics"),
	    before + N_FORCED);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history"),
	    before + N_FORCED);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history WHERE "
	    "source IN ('g0', 'g1', 'g2', 'g3')"), N_FORCED);
	assert_int_equal(q_num("SELECT count(*) FROM evidence WHERE batch_id "
	    "IN ('g0', 'g1', 'g2', 'g3')"), 4 * N_FORCED);
	assert_counts((unsigned long)before + N_FORCED, N_FIRST + 2, 0);
}

/*
 * Rounds of good requests from three threads and, at the same time, a
 * request whose 2nd record is bad from a fourth: the bad one fails
 * alone, whatever group it lands in.
 */
static void
test_bad_among_good(void **state)
{
	struct sender s[N_GOOD_THREADS + 1];
	pthread_barrier_t go;
	const long long before = N_FIRST + N_THREADS * N_PER_THREAD +
	    N_FORCED;
	const long long per_round = N_GOOD_THREADS * N_GOOD_REQS *
	    N_GOOD_RECS;
	struct sender *bad = &s[N_GOOD_THREADS];
	long long want;
	int round, i;

	(void)state;
	for (round = 0; round < N_ROUNDS; round++) {
		memset(s, 0, sizeof(s));
		pthread_barrier_init(&go, NULL, N_GOOD_THREADS + 1);
		for (i = 0; i <= N_GOOD_THREADS; i++) {
			s[i].go = &go;
			s[i].who = i;
			s[i].round = round;
			s[i].nreq = i < N_GOOD_THREADS ? N_GOOD_REQS : 1;
			s[i].nrec = i < N_GOOD_THREADS ? N_GOOD_RECS : 3;
			s[i].bad_at = i < N_GOOD_THREADS ? -1 : 1;
			s[i].prefix = i < N_GOOD_THREADS ? "m" : "mbad";
			mm_buf_init(&s[i].out);
		}
		/* The bad one's out holds something already. */
		mm_buf_puts(&bad->out, "kept\n");
		for (i = 0; i <= N_GOOD_THREADS; i++)
			assert_int_equal(pthread_create(&s[i].t, NULL,
			    send_all, &s[i]), 0);
		for (i = 0; i <= N_GOOD_THREADS; i++)
			pthread_join(s[i].t, NULL);
		pthread_barrier_destroy(&go);
		assert_int_equal(bad->rc[0], -1);
		assert_int_equal(bad->bad[0], 1);
		assert_int_equal(bad->code[0], MM_EINPUT);
		assert_int_equal(bad->before[0], 5);
		assert_int_equal(bad->after[0], 5);
		assert_string_equal(bad->out.p, "kept\n");
		for (i = 0; i < N_GOOD_THREADS; i++)
			check_good(&s[i]);
		for (i = 0; i <= N_GOOD_THREADS; i++)
			mm_buf_release(&s[i].out);
		want = before + per_round * (round + 1);
		assert_int_equal(q_num("SELECT count(*) FROM metrics"), want);
		assert_int_equal(q_num("SELECT count(DISTINCT batch_id) FROM "
		    "metrics"), want);
		assert_int_equal(q_num("SELECT count(*) FROM decision_history"),
		    want);
	}
	assert_int_equal(q_num("SELECT count(*) FROM metrics WHERE batch_id "
	    "LIKE 'mbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM evidence WHERE batch_id "
	    "LIKE 'mbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history WHERE "
	    "source LIKE 'mbad%'"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM metrics WHERE batch_id "
	    "LIKE 'm-%'"), per_round * N_ROUNDS);
	assert_int_equal(q_num("SELECT count(DISTINCT source) FROM "
	    "decision_history WHERE source LIKE 'm-%'"), per_round * N_ROUNDS);
	assert_counts((unsigned long)(before + per_round * N_ROUNDS),
	    N_FIRST + 2, 0);
}

/*
 * A record that is no batch to store (no metrics, no drift) fails its
 * request: nothing of it is stored, the record before it included.
 */
static void
test_not_a_batch(void **state)
{
	static const char *const plain = "{\"batch_id\":\"p1\",\"ts\":"
	    "1764140000,\"features\":{\"f0\":[1,2]},\"labels\":[0,1]}\n";
	struct mm_buf in, out;
	struct mm_err err = { 0 };
	unsigned long n[3], d[MM_NACTIONS], n2[3], d2[MM_NACTIONS];
	long bad = 7;

	(void)state;
	mm_buf_init(&in);
	mm_buf_init(&out);
	mm_ingest_back_counts(&F->b, n, d);
	put_rec(&in, "p0", GOOD_LABELS);
	mm_buf_puts(&in, plain);
	assert_int_equal(mm_ingest_back_run(&F->b, in.p, in.n, &out, &bad,
	    &err), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "a batch record needs a batch_id to be "
	    "stored");
	assert_int_equal(out.n, 0);
	assert_int_equal(q_num("SELECT count(*) FROM metrics WHERE batch_id "
	    "IN ('p0', 'p1')"), 0);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history WHERE "
	    "source IN ('p0', 'p1')"), 0);
	mm_ingest_back_counts(&F->b, n2, d2);
	assert_memory_equal(n, n2, sizeof(n));
	assert_memory_equal(d, d2, sizeof(d));
	mm_buf_release(&in);
	mm_buf_release(&out);
}

/*
 * Closed after all that and opened again on the same database: what was
 * stored is there, the counters start again from 0, and a batch stored
 * before is a replay.  (Under valgrind and ASan, the close frees all.)
 */
static void
test_close_reopen(void **state)
{
	static const char *const ids[1] = { "a0" };
	const long long total = N_FIRST + N_THREADS * N_PER_THREAD +
	    N_FORCED + N_ROUNDS * N_GOOD_THREADS * N_GOOD_REQS * N_GOOD_RECS;
	struct mm_buf in, out;
	struct mm_err err = { 0 };
	long bad = 7;

	(void)state;
	mm_ingest_back_close(&F->b);
	F->open = 0;
	assert_int_equal(q_num("SELECT count(*) FROM metrics"), total);
	F->open = 1;
	assert_int_equal(mm_ingest_back_open(&F->b, &F->cfg, F->dbpath,
	    F->models, NULL, &err), 0);
	assert_counts(0, 0, 0);
	mm_buf_init(&in);
	mm_buf_init(&out);
	put_rec(&in, "a0", GOOD_LABELS);
	assert_int_equal(mm_ingest_back_run(&F->b, in.p, in.n, &out, &bad,
	    &err), 0);
	check_answer(&out, 0, ids, 1, "replay", NULL);
	assert_counts(0, 1, 0);
	assert_int_equal(q_num("SELECT count(*) FROM decision_history"),
	    total);
	mm_buf_release(&in);
	mm_buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_again),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_forced_group),
		cmocka_unit_test(test_bad_among_good),
		cmocka_unit_test(test_not_a_batch),
		cmocka_unit_test(test_close_reopen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
