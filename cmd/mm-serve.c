/*
 * mm-serve - serve what mm computes over HTTP: a JSON API, Prometheus
 * metrics, and promote and rollback behind an API key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config.h"
#include "db.h"
#include "decider.h"
#include "ingest.h"
#include "json.h"
#include "json_write.h"
#include "mm.h"
#include "opt.h"
#include "query.h"
#include "replay.h"
#include "report.h"
#include "reportdb.h"
#include "sha.h"
#include "steer.h"
#include "store.h"
#include "timeparse.h"

static const char *prog = "mm-serve";

enum { O_DB, O_MODELS, O_CONFIG, O_LISTEN, O_KEYFILE, O_TIMEOUT };

static const struct mm_opt opts[] = {
	[O_DB] = MM_OPT_DB,
	[O_MODELS] = MM_OPT_MODELS,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_LISTEN] = { "listen", 0, "ADDR:PORT", "address to listen on "
	    "(default 127.0.0.1:8000)" },
	[O_KEYFILE] = { "key-file", 0, "FILE", "API key for writes (default: "
	    "$MM_API_KEY)" },
	[O_TIMEOUT] = { "timeout", 0, "S", "close a connection idle for S "
	    "seconds (default 10)" },
	MM_OPT_END
};

#define BODY_MAX	(1 << 20)	/* the largest request body */
#define DRAIN_S		10		/* SIGTERM: longest wait for requests */

static const char type_json[] = "application/json";
static const char type_html[] = "text/html; charset=utf-8";
static const char type_ndjson[] = "application/x-ndjson";

/* Request latency buckets, seconds, as Prometheus' histogram has them. */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5 };
#define NBUCKETS ((int)(sizeof(buckets) / sizeof(buckets[0])))

struct server {
	const char *db, *models, *config;
	char shown[1024];		/* db, a URL without its password */
	struct mm_config cfg;		/* the drift bands the page shows */
	char key[MM_SHA_HEX];		/* SHA-256 hex of the key */
	int has_key;
	pthread_key_t conn;		/* each thread's database */
	pthread_key_t front;		/* each thread's ingest front half */
	struct mm_ingest_back back;	/* the one writer */
	/* Counters, updated atomically. */
	unsigned long requests, errors, writes, ingest_bad;
	unsigned long inflight;	/* requests begun and not yet completed */
	unsigned long hist[NBUCKETS + 1];
	double hist_sum;
	pthread_mutex_t lock;		/* hist_sum */
};

/* One request: its body and when it began. */
struct request {
	struct mm_buf body;
	int too_big;
	double t0;
};

struct reply {
	unsigned status;
	struct mm_buf body;
	const char *type;
	const char *allow;		/* 405: the methods allowed */
};

/* This thread's database connection, opened on first use. */
static struct mm_db *
thread_db(struct server *sv, struct mm_err *err)
{
	struct mm_db *db = pthread_getspecific(sv->conn);

	if (db != NULL)
		return db;
	db = mm_xcalloc(1, sizeof(*db));
	if (mm_db_open(db, sv->db, err) < 0) {
		free(db);
		return NULL;
	}
	pthread_setspecific(sv->conn, db);
	return db;
}

static void
close_db(void *p)
{
	mm_db_close(p);
	free(p);
}

static const struct mm_say say = { mm_say_stderr, (void *)"mm-serve" };

/* This thread's predictor, drifter and trust scorer, made on first use. */
static struct mm_ingest_front *
thread_front(struct server *sv)
{
	struct mm_ingest_front *f = pthread_getspecific(sv->front);

	if (f != NULL)
		return f;
	f = mm_xmalloc(sizeof(*f));
	mm_ingest_front_init(f, &sv->cfg, sv->models, &say);
	pthread_setspecific(sv->front, f);
	return f;
}

static void
free_front(void *p)
{
	mm_ingest_front_release(p);
	free(p);
}

static void
json_error(struct reply *r, unsigned status, const char *msg)
{
	r->status = status;
	mm_buf_reset(&r->body);
	mm_buf_puts(&r->body, "{\"error\":");
	mm_jw_str(&r->body, msg);
	mm_buf_puts(&r->body, "}");
}

static void
server_error(struct reply *r, const struct mm_err *err)
{
	char msg[sizeof(err->msg) + 512];

	if (err->where[0] != '\0')
		snprintf(msg, sizeof(msg), "%s: %s", err->where, err->msg);
	else
		snprintf(msg, sizeof(msg), "%s", err->msg);
	json_error(r, err->code == MM_EINPUT ? MHD_HTTP_BAD_REQUEST :
	    MHD_HTTP_SERVICE_UNAVAILABLE, msg);
}

/*
 * A whole number argument of the query string, from lo to hi, or def
 * when absent.  0, or -1 with a 400 reply.
 */
static int
arg_long(struct MHD_Connection *c, const char *name, long lo, long hi,
    long def, long *out, struct reply *r)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);
	char *end, msg[160];
	long x;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	x = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || x < lo || x > hi) {
		snprintf(msg, sizeof(msg), "%s: '%.40s' is not a whole number "
		    "from %ld to %ld", name, v, lo, hi);
		json_error(r, MHD_HTTP_BAD_REQUEST, msg);
		return -1;
	}
	*out = x;
	return 0;
}

static int
known_window(const char *w)
{
	long len;

	return mm_parse_window(w, &len) == 0;
}

static void
health(struct server *sv, struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_active a;
	struct mm_db *db;
	int rc;

	if ((db = thread_db(sv, &err)) == NULL ||
	    mm_db_exec(db, "SELECT 1 FROM metrics LIMIT 1", &err) < 0) {
		server_error(r, &err);
		return;
	}
	if ((rc = mm_store_read_active(sv->models, &a, &err)) < 0) {
		server_error(r, &err);
		return;
	}
	/* Where the files are is the operator's to know, not a client's. */
	mm_buf_puts(&r->body, "{\"status\":\"ok\",\"database\":\"ok\","
	    "\"models\":\"ok\",\"active_version\":");
	if (rc == 0)
		mm_jw_str(&r->body, a.version);
	else
		mm_buf_puts(&r->body, "null");
	mm_buf_putc(&r->body, '}');
}

/* GET /api/...: the read API. */
static void
read_api(struct server *sv, struct MHD_Connection *c, const char *url,
    struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_db *db;
	char window[32];
	const char *w;
	long limit, cursor, n;
	int rc = 0;

	if (strcmp(url, "/api/models") == 0) {
		if (mm_query_models(sv->models, &r->body, &err) < 0)
			server_error(r, &err);
		return;
	}
	if ((db = thread_db(sv, &err)) == NULL) {
		server_error(r, &err);
		return;
	}
	if (arg_long(c, "limit", 1, MM_QUERY_MAX_LIMIT, 100, &limit, r) < 0 ||
	    arg_long(c, "cursor", 1, 0x7fffffffffffffffL, 0, &cursor, r) < 0 ||
	    arg_long(c, "n", 1, MM_QUERY_MAX_LIMIT, 100, &n, r) < 0)
		return;
	if (strcmp(url, "/api/metrics") == 0)
		rc = mm_query_metrics(db, limit, cursor, &r->body, &err);
	else if (strcmp(url, "/api/metrics/tail") == 0)
		rc = mm_query_tail(db, n, &r->body, &err);
	else if (strcmp(url, "/api/metrics/latest") == 0)
		rc = mm_query_latest(db, &r->body, &err);
	else if (strcmp(url, "/api/decisions/history") == 0)
		rc = mm_query_decisions(db, limit, cursor, &r->body, &err);
	else {
		/* /api/metrics/summary/{window}[/history] */
		w = url + strlen("/api/metrics/summary/");
		snprintf(window, sizeof(window), "%.*s",
		    (int)strcspn(w, "/"), w);
		if (!known_window(window)) {
			json_error(r, MHD_HTTP_NOT_FOUND, "no such window: "
			    "give a length such as 5m, 1h or 24h");
			return;
		}
		if (strchr(w, '/') != NULL)
			rc = mm_query_summary_history(db, window, limit,
			    cursor, &r->body, &err);
		else
			rc = mm_query_summary(db, window, &r->body, &err);
	}
	if (rc < 0)
		server_error(r, &err);
	else if (rc == 1)
		json_error(r, MHD_HTTP_NOT_FOUND, "nothing recorded yet");
}

/* What became of the batches taken in, and what was decided on them. */
static void
ingest_metrics(struct server *sv, struct mm_buf *b)
{
	unsigned long n[3], dec[MM_NACTIONS];
	int a;

	mm_ingest_back_counts(&sv->back, n, dec);
	mm_buf_printf(b, "# HELP mm_ingest_batches_total batches taken in "
	    "by POST /api/ingest: stored new, replays of a batch stored "
	    "before, and conflicts with one\n"
	    "# TYPE mm_ingest_batches_total counter\n"
	    "mm_ingest_batches_total{stored=\"new\"} %lu\n"
	    "mm_ingest_batches_total{stored=\"replay\"} %lu\n"
	    "mm_ingest_batches_total{stored=\"conflict\"} %lu\n"
	    "# HELP mm_ingest_rejected_total ingest requests refused as bad "
	    "input (400)\n# TYPE mm_ingest_rejected_total counter\n"
	    "mm_ingest_rejected_total %lu\n"
	    "# HELP mm_ingest_decisions_total decisions on the batches "
	    "ingested, by action\n"
	    "# TYPE mm_ingest_decisions_total counter\n", n[0], n[1], n[2],
	    __atomic_load_n(&sv->ingest_bad, __ATOMIC_RELAXED));
	for (a = 0; a < MM_NACTIONS; a++)
		mm_buf_printf(b, "mm_ingest_decisions_total{action=\"%s\"} "
		    "%lu\n", mm_action_names[a], dec[a]);
}

static void
prometheus(struct server *sv, struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_active a;
	struct mm_buf from_db;
	struct mm_db *db;
	unsigned long cum = 0;
	int i, up;

	r->type = "text/plain; version=0.0.4; charset=utf-8";
	mm_buf_init(&from_db);
	up = (db = thread_db(sv, &err)) != NULL &&
	    mm_query_prometheus(db, &from_db, &err) == 0;
	mm_buf_printf(&r->body, "# HELP mm_up 1 when the database answers\n"
	    "# TYPE mm_up gauge\nmm_up %d\n", up);
	if (up)
		mm_buf_put(&r->body, from_db.p, from_db.n);
	mm_buf_release(&from_db);
	if (mm_store_read_active(sv->models, &a, &err) == 0) {
		mm_buf_puts(&r->body, "# HELP mm_model_info the live model "
		    "version\n# TYPE mm_model_info gauge\n"
		    "mm_model_info{version=\"");
		mm_buf_puts(&r->body, a.version);
		mm_buf_puts(&r->body, "\"} 1\n");
	}
	mm_buf_printf(&r->body, "# HELP mm_http_requests_total requests "
	    "answered\n# TYPE mm_http_requests_total counter\n"
	    "mm_http_requests_total %lu\n"
	    "# HELP mm_http_errors_total requests answered with a status of "
	    "400 or more\n# TYPE mm_http_errors_total counter\n"
	    "mm_http_errors_total %lu\n"
	    "# HELP mm_http_writes_total store changes made\n"
	    "# TYPE mm_http_writes_total counter\n"
	    "mm_http_writes_total %lu\n"
	    "# HELP mm_http_request_duration_seconds time to answer a "
	    "request\n# TYPE mm_http_request_duration_seconds histogram\n",
	    __atomic_load_n(&sv->requests, __ATOMIC_RELAXED),
	    __atomic_load_n(&sv->errors, __ATOMIC_RELAXED),
	    __atomic_load_n(&sv->writes, __ATOMIC_RELAXED));
	ingest_metrics(sv, &r->body);
	pthread_mutex_lock(&sv->lock);
	for (i = 0; i <= NBUCKETS; i++) {
		cum += sv->hist[i];
		if (i < NBUCKETS) {
			mm_buf_puts(&r->body,
			    "mm_http_request_duration_seconds_bucket{le=\"");
			mm_jw_num(&r->body, buckets[i]);
			mm_buf_printf(&r->body, "\"} %lu\n", cum);
		} else
			mm_buf_printf(&r->body,
			    "mm_http_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %lu\n", cum);
	}
	mm_buf_puts(&r->body, "mm_http_request_duration_seconds_sum ");
	mm_jw_num(&r->body, sv->hist_sum);
	mm_buf_printf(&r->body, "\nmm_http_request_duration_seconds_count "
	    "%lu\n", cum);
	pthread_mutex_unlock(&sv->lock);
}

/*
 * Writes need the key: "Authorization: Bearer KEY", compared as SHA-256
 * digests in constant time, so neither its bytes nor its length leak.
 * 1 when allowed, else 0 with a 401 or 403 reply.
 */
static int
authorized(struct server *sv, struct MHD_Connection *c, struct reply *r)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	char got[MM_SHA_HEX];

	if (!sv->has_key) {
		json_error(r, MHD_HTTP_FORBIDDEN, "writes are off: no API key "
		    "is configured (MM_API_KEY or --key-file)");
		return 0;
	}
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
		json_error(r, MHD_HTTP_UNAUTHORIZED, "this needs "
		    "'Authorization: Bearer KEY'");
		return 0;
	}
	mm_sha256_hex(h + 7, strlen(h + 7), got);
	if (!mm_equal_ct(got, sv->key, MM_SHA_HEX)) {
		json_error(r, MHD_HTTP_UNAUTHORIZED, "wrong API key");
		return 0;
	}
	return 1;
}

/* POST /api/models/promote and /api/models/rollback. */
static void
steer(struct server *sv, struct MHD_Connection *c, const char *cmd,
    const struct request *q, struct reply *r)
{
	struct mm_err err = { 0 };
	json_error_t jerr;
	json_t *root = NULL, *v = NULL;
	const char *version = NULL;

	if (!authorized(sv, c, r))
		return;
	if (q->body.n > 0) {
		root = json_loadb(q->body.p, q->body.n, 0, &jerr);
		v = json_object_get(root, "version");
		if (!json_is_object(root) || (v != NULL && !json_is_null(v) &&
		    (!json_is_string(v) || strcmp(cmd, "rollback") != 0))) {
			json_decref(root);
			json_error(r, MHD_HTTP_BAD_REQUEST, strcmp(cmd,
			    "rollback") == 0 ? "the body is a JSON object, "
			    "{\"version\":\"V\"} or {}" : "promote takes no "
			    "body, or {}");
			return;
		}
		if (json_is_string(v))
			version = json_string_value(v);
	}
	if (mm_steer(sv->models, cmd, version, mm_clock(NULL), &r->body,
	    &err) < 0) {
		mm_buf_reset(&r->body);
		if (err.code == MM_EINPUT)
			json_error(r, MHD_HTTP_CONFLICT, err.msg);
		else
			server_error(r, &err);
	} else
		__atomic_add_fetch(&sv->writes, 1, __ATOMIC_RELAXED);
	json_decref(root);
}

/* A record of the body at fault: 400, naming its line. */
static void
bad_line(struct server *sv, struct reply *r, long line,
    const struct mm_err *err)
{
	char msg[sizeof(err->msg) + 32];

	snprintf(msg, sizeof(msg), "line %ld: %s", line, err->msg);
	json_error(r, MHD_HTTP_BAD_REQUEST, msg);
	r->body.n--;	/* the closing brace: the line number goes in */
	mm_buf_printf(&r->body, ",\"line\":%ld}", line);
	__atomic_add_fetch(&sv->ingest_bad, 1, __ATOMIC_RELAXED);
}

/*
 * POST /api/ingest: batch records, one per line, through predict,
 * drift and trust on this thread, then stored and decided on by the one
 * writer, all of the request or none of it.  The answer is the records
 * as the pipeline would pass them on, one per line.
 */
static void
ingest(struct server *sv, struct MHD_Connection *c, struct request *q,
    struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_ingest_front *f;
	struct mm_buf scored;
	char *p, *end, *nl;
	long line = 0, bad, *lines = NULL;
	size_t n = 0, len;
	int rc;

	if (!authorized(sv, c, r))
		return;
	f = thread_front(sv);
	mm_buf_init(&scored);
	p = q->body.p;
	end = p + q->body.n;
	for (; p != NULL && p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		p[len] = '\0';
		if (strspn(p, " \t") == len)
			continue;	/* a blank line is no record */
		if (mm_ingest_front_line(f, p, len, &scored, &err) < 0) {
			/* Not the record's fault (no live model): 503. */
			if (err.code == MM_EINPUT && err.where[0] == '\0')
				bad_line(sv, r, line, &err);
			else {
				err.code = MM_ESYS;
				server_error(r, &err);
			}
			goto out;
		}
		lines = mm_xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = line;
	}
	if (n == 0) {
		json_error(r, MHD_HTTP_BAD_REQUEST, "the body holds no "
		    "record: send batch records, one per line");
		__atomic_add_fetch(&sv->ingest_bad, 1, __ATOMIC_RELAXED);
		goto out;
	}
	rc = mm_ingest_back_run(&sv->back, scored.p, scored.n, &r->body,
	    &bad, &err);
	if (rc < 0 && bad >= 0)
		bad_line(sv, r, lines[bad], &err);
	else if (rc < 0)
		server_error(r, &err);
	else {
		r->type = type_ndjson;
		__atomic_add_fetch(&sv->writes, 1, __ATOMIC_RELAXED);
	}
out:
	free(lines);
	mm_buf_release(&scored);
}

/*
 * POST /api/decisions/simulate: what the policy decides now on the
 * newest batch stored (or on the record in the body), against the
 * decisions and pool the database holds.  Nothing is stored.
 */
static void
simulate(struct server *sv, struct request *q, struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_decider d;
	struct mm_buf rec;
	struct mm_db *db;
	size_t len;
	int rc;

	if ((db = thread_db(sv, &err)) == NULL) {
		server_error(r, &err);
		return;
	}
	mm_buf_init(&rec);
	len = q->body.n;
	while (len > 0 && (q->body.p[len - 1] == '\n' ||
	    q->body.p[len - 1] == '\r' || q->body.p[len - 1] == ' '))
		len--;
	if (len > 0 && memchr(q->body.p, '\n', len) != NULL) {
		json_error(r, MHD_HTTP_BAD_REQUEST, "the body is one record, "
		    "or nothing for the newest batch stored");
		goto out;
	}
	if (len > 0)
		mm_buf_put(&rec, q->body.p, len);
	else if ((rc = mm_query_latest_record(db, &rec, &err)) != 0) {
		if (rc < 0)
			server_error(r, &err);
		else
			json_error(r, MHD_HTTP_NOT_FOUND, "nothing recorded "
			    "yet");
		goto out;
	}
	/* A decider of its own, seeded from what the database holds. */
	mm_decider_open(&d, &sv->cfg.retrain, sv->models, NULL, &err);
	mm_decider_use_db(&d, db);
	if (mm_history_seed(db, &d.st, &err) < 0 ||
	    mm_decider_line(&d, rec.p, rec.n, &r->body, &err) < 0) {
		mm_buf_reset(&r->body);
		if (err.code == MM_EINPUT && err.where[0] == '\0' && len > 0)
			json_error(r, MHD_HTTP_BAD_REQUEST, err.msg);
		else
			server_error(r, &err);
	} else if (r->body.n > 0)
		r->body.p[--r->body.n] = '\0';	/* its newline */
	mm_decider_release(&d);
out:
	mm_buf_release(&rec);
}

/*
 * GET /: the dashboard, mm-report's page over the last 24 hours, which
 * reloads itself every 30 seconds.  It holds everything it shows: no
 * script, no file from elsewhere.
 */
static void
dashboard(struct server *sv, struct reply *r)
{
	struct mm_err err = { 0 };
	struct mm_report rep;
	struct mm_db *db;

	mm_report_init(&rep);
	rep.title = "mm";
	rep.db = sv->shown;
	rep.now = mm_clock(NULL);
	rep.moderate = sv->cfg.drift.moderate;
	rep.severe = sv->cfg.drift.severe;
	rep.alpha = sv->cfg.drift.alpha;
	rep.refresh = 30;
	if ((db = thread_db(sv, &err)) == NULL ||
	    mm_report_read_db(&rep, db, 86400, &err) < 0 ||
	    mm_report_read_store(&rep, sv->models, &err) < 0) {
		server_error(r, &err);
		mm_report_release(&rep);
		return;
	}
	r->type = type_html;
	mm_report_html(&rep, &r->body);
	mm_report_release(&rep);
}

/* What a path answers to: its methods, or NULL for no such path. */
static const char *
allowed(const char *url)
{
	static const char *const get[] = { "/", "/health", "/metrics",
	    "/api/metrics", "/api/metrics/tail", "/api/metrics/latest",
	    "/api/decisions/history", "/api/models", NULL };
	static const char *const post[] = { "/api/models/promote",
	    "/api/models/rollback", "/api/ingest", "/api/decisions/simulate",
	    NULL };
	const char *w;
	int i;

	for (i = 0; get[i] != NULL; i++)
		if (strcmp(url, get[i]) == 0)
			return "GET";
	for (i = 0; post[i] != NULL; i++)
		if (strcmp(url, post[i]) == 0)
			return "POST";
	if (strncmp(url, "/api/metrics/summary/", 21) == 0) {
		w = url + 21;
		w += strcspn(w, "/");
		if (*w == '\0' || strcmp(w, "/history") == 0)
			return "GET";
	}
	return NULL;
}

static void
route(struct server *sv, struct MHD_Connection *c, const char *url,
    const char *method, struct request *q, struct reply *r)
{
	const char *allow = allowed(url);

	if (allow == NULL) {
		json_error(r, MHD_HTTP_NOT_FOUND, "no such path");
		return;
	}
	/* HEAD is GET without the body, which the library leaves out. */
	if (strcmp(method, allow) != 0 && !(strcmp(allow, "GET") == 0 &&
	    strcmp(method, "HEAD") == 0)) {
		r->allow = strcmp(allow, "GET") == 0 ? "GET, HEAD" : allow;
		json_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not "
		    "allowed");
		return;
	}
	if (q->too_big) {
		json_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger "
		    "than 1 MiB");
		return;
	}
	if (strcmp(url, "/") == 0)
		dashboard(sv, r);
	else if (strcmp(url, "/health") == 0)
		health(sv, r);
	else if (strcmp(url, "/metrics") == 0)
		prometheus(sv, r);
	else if (strcmp(url, "/api/models/promote") == 0)
		steer(sv, c, "promote", q, r);
	else if (strcmp(url, "/api/models/rollback") == 0)
		steer(sv, c, "rollback", q, r);
	else if (strcmp(url, "/api/ingest") == 0)
		ingest(sv, c, q, r);
	else if (strcmp(url, "/api/decisions/simulate") == 0)
		simulate(sv, q, r);
	else
		read_api(sv, c, url, r);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct server *sv = cls;
	struct request *q = *state;
	struct reply r = { MHD_HTTP_OK, { 0 }, type_json, NULL };
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (q == NULL) {
		q = mm_xcalloc(1, sizeof(*q));
		q->t0 = mm_monotonic();
		*state = q;
		__atomic_add_fetch(&sv->inflight, 1, __ATOMIC_RELAXED);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (q->body.n + *upload_size > BODY_MAX)
			q->too_big = 1;
		else
			mm_buf_put(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	mm_buf_init(&r.body);
	route(sv, c, url, method, q, &r);
	if (r.type == type_json)
		mm_buf_putc(&r.body, '\n');
	resp = MHD_create_response_from_buffer(r.body.n, r.body.p,
	    MHD_RESPMEM_MUST_COPY);
	mm_buf_release(&r.body);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (r.type == type_html)
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "img-src data:");
	if (r.allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r.allow);
	if (r.status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	ret = MHD_queue_response(c, r.status, resp);
	MHD_destroy_response(resp);
	__atomic_add_fetch(&sv->requests, 1, __ATOMIC_RELAXED);
	if (r.status >= 400)
		__atomic_add_fetch(&sv->errors, 1, __ATOMIC_RELAXED);
	return ret;
}

/* A request is over: its time goes into the histogram. */
static void
completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode why)
{
	struct server *sv = cls;
	struct request *q = *state;
	double t;
	int i;

	(void)c;
	(void)why;
	if (q == NULL)
		return;
	t = mm_monotonic() - q->t0;
	for (i = 0; i < NBUCKETS && t > buckets[i]; i++)
		;
	pthread_mutex_lock(&sv->lock);
	sv->hist[i]++;
	sv->hist_sum += t;
	pthread_mutex_unlock(&sv->lock);
	mm_buf_release(&q->body);
	free(q);
	*state = NULL;
	__atomic_sub_fetch(&sv->inflight, 1, __ATOMIC_RELAXED);
}

/*
 * The key from --key-file (which only its owner may read) or
 * $MM_API_KEY, kept as its SHA-256.  0, or -1 having said why.
 */
static int
load_key(struct server *sv, const char *file)
{
	struct mm_err err = { 0 };
	struct stat st;
	const char *env = getenv("MM_API_KEY");
	char *text = NULL;
	size_t len;
	int rc;

	if (file == NULL) {
		if (env == NULL || *env == '\0')
			return 0;
		mm_sha256_hex(env, strlen(env), sv->key);
		sv->has_key = 1;
		return 0;
	}
	if (stat(file, &st) < 0) {
		mm_warnx(prog, "--key-file: %s: %s", file, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		mm_warnx(prog, "--key-file: %s can be read by others (mode "
		    "%04o): chmod 600 it", file,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if ((rc = mm_fs_slurp(file, &text, &len, &err)) != 0) {
		if (rc > 0)
			mm_warnx(prog, "--key-file: %s: no such file", file);
		else
			mm_perr(prog, &err);
		return -1;
	}
	len = strcspn(text, "\r\n");
	if (len == 0) {
		mm_warnx(prog, "--key-file: %s: the first line is empty", file);
		free(text);
		return -1;
	}
	mm_sha256_hex(text, len, sv->key);
	sv->has_key = 1;
	free(text);
	return 0;
}

/* ADDR:PORT, or [ADDR6]:PORT, into sa.  0, or -1 having said why. */
static int
parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	const char *colon = strrchr(s, ':');
	char host[64], *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		goto bad;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*a6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((unsigned short)port);
	*len = sizeof(*a4);
	return 0;
bad:
	mm_warnx(prog, "--listen: '%s' is not ADDR:PORT (127.0.0.1:8000, "
	    "[::1]:8000)", s);
	return -1;
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-serve",
	    .synopsis = "[--db FILE] [--models DIR] [--config DIR] "
	    "[--listen ADDR:PORT]\n [--key-file FILE] [--timeout S]",
	    .about = "Serve the metrics, decisions and models over HTTP: a "
	    "JSON API and Prometheus metrics." };
	const char *listen = "127.0.0.1:8000", *keyfile = NULL;
	long timeout = 10;
	struct sockaddr_storage sa;
	struct server sv;
	struct mm_err err = { 0 };
	struct MHD_Daemon *d;
	sigset_t sigs;
	socklen_t salen;
	unsigned nthreads;
	int o, sig, i;

	memset(&sv, 0, sizeof(sv));
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: sv.db = st.arg; break;
		case O_MODELS: sv.models = st.arg; break;
		case O_CONFIG: sv.config = st.arg; break;
		case O_LISTEN: listen = st.arg; break;
		case O_KEYFILE: keyfile = st.arg; break;
		case O_TIMEOUT:
			if (mm_opt_long(&st, "timeout", 1, 3600, &timeout) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_opt_none_left(&st, argc, argv, opts) < 0)
		return MM_EINPUT;
	sv.db = mm_db_path(sv.db);
	{
		char *shown = mm_db_shown(sv.db);

		snprintf(sv.shown, sizeof(sv.shown), "%s", shown);
		free(shown);
	}
	if (mm_config_load(&sv.cfg, sv.config, MM_CFG_DRIFT | MM_CFG_TRUST |
	    MM_CFG_RETRAIN, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	sv.models = mm_models_dir(sv.models);
	if (parse_listen(listen, &sa, &salen) < 0 || load_key(&sv, keyfile) < 0)
		return MM_EINPUT;
	/* The database opens (and migrates) now, not at the first request. */
	if (mm_ingest_back_open(&sv.back, &sv.cfg, sv.db, sv.models, &say,
	    &err) < 0) {
		mm_perr(prog, &err);
		mm_ingest_back_close(&sv.back);
		return err.code;
	}
	pthread_key_create(&sv.conn, close_db);
	pthread_key_create(&sv.front, free_front);
	pthread_mutex_init(&sv.lock, NULL);
	/* Threads started from here on leave SIGTERM and SIGINT to main. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Four threads a core: a thread waiting for the writer (ingest)
	 * holds its connections, and the others keep the cores busy.
	 */
	nthreads = 4 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads < 4)
		nthreads = 4;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
	    NULL, NULL, answer, &sv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, nthreads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_CONNECTION_LIMIT, 1000u,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, &sv,
	    MHD_OPTION_END);
	if (d == NULL) {
		mm_warnx(prog, "cannot listen on %s: %s", listen,
		    errno ? strerror(errno) : "the address is not free");
		mm_ingest_back_close(&sv.back);
		return MM_ESYS;
	}
	/* Port 0 takes a free one: say which. */
	{
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(d,
		    MHD_DAEMON_INFO_BIND_PORT);

		fprintf(stderr, "%s: listening on http://%.*s:%u (database %s, "
		    "models %s, writes %s)\n", prog,
		    (int)(strrchr(listen, ':') - listen), listen,
		    info != NULL ? (unsigned)info->port : 0u, sv.shown,
		    sv.models, sv.has_key ? "with the API key" : "off");
	}
	while (sigwait(&sigs, &sig) != 0)
		;
	/*
	 * Stop taking connections, let the requests begun finish, then
	 * stop: a connection kept open between requests (a Prometheus
	 * scraping) is closed then, not waited for.
	 */
	MHD_quiesce_daemon(d);
	for (i = 0; i < DRAIN_S * 20 &&
	    __atomic_load_n(&sv.inflight, __ATOMIC_RELAXED) > 0; i++)
		usleep(50000);
	MHD_stop_daemon(d);
	fprintf(stderr, "%s: stopped on %s after %lu requests\n", prog,
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", sv.requests);
	pthread_mutex_destroy(&sv.lock);
	mm_ingest_back_close(&sv.back);
	if (fclose(stdout) != 0) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		return MM_ESYS;
	}
	return MM_OK;
}
