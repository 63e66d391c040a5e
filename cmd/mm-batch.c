/*
 * mm-batch - turn rows, JSON objects or CSV, into batch records.
 *
 * The batches are batcher.h's; here are the options, the files and
 * their lines, the CSV headers, and the first rows held back while the
 * kinds of the features are found from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batcher.h"
#include "featset.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "rowin.h"
#include "run.h"
#include "schema.h"
#include "strtab.h"
#include "timeparse.h"

static const char *prog = "mm-batch";

enum {
	O_CSV, O_JSON, O_ID, O_TS, O_LABEL, O_SCHEMA, O_FEATURES, O_INFER,
	O_SIZE, O_EVERY, O_PREFIX, O_IDPREFIX, O_NOW, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CSV] = { "csv", 0, NULL, "read CSV with a header line" },
	[O_JSON] = { "json", 0, NULL, "read one JSON object per line" },
	[O_ID] = { "id", 0, "NAME", "batch id field (default: batch_id)" },
	[O_TS] = { "ts", 0, "NAME", "time field (default: ts)" },
	[O_LABEL] = { "label", 0, "NAME", "label field (default: label)" },
	[O_SCHEMA] = { "schema", 0, "PATH", "a model's features, kinds and "
	    "classes (model.json, version, store)" },
	[O_FEATURES] = { "features", 0, "LIST", "features, comma separated "
	    "(default: the first rows' fields)" },
	[O_INFER] = { "infer-rows", 0, "N", "rows the kinds are decided from "
	    "(default 1000)" },
	[O_SIZE] = { "size", 0, "N", "a batch every N rows" },
	[O_EVERY] = { "every", 0, "SECONDS", "a batch per time window of "
	    "SECONDS (or 30s, 5m, 1h, 1d)" },
	[O_PREFIX] = { "prefix", 0, "P", "batch id prefix with --size, "
	    "--every (default: b)" },
	[O_IDPREFIX] = { "id-prefix", 0, "STR", "with --size, ids STR000000 "
	    "up (default: P, the run's start, a hash)" },
	[O_NOW] = MM_OPT_NOW("ts of batches whose rows have none; the run's "
	    "start"),
	[O_SKIPBAD] = { "skip-bad", 0, NULL, "skip bad rows and count them" },
	[O_MAXREC] = { "max-record", 0, "BYTES", "longest line accepted "
	    "(default 256M)" },
	MM_OPT_END
};

#define INFER_ROWS 1000

enum format { UNKNOWN, JSON, CSV };

/* How the lines of a file read: its format and its CSV header. */
struct reading {
	int file;		/* the file it is of, or -1 */
	enum format fmt;	/* the forced one, or what its first line is */
	int header;		/* its header is read (-1: a bad one) */
	struct mm_rowin in;
};

/* A line held back while the kinds are found. */
struct held {
	int file;
	long lineno;
	size_t off, len;
};

struct mmbatch {
	struct mm_batcher b;
	struct mm_run run;	/* skip_bad, skipped, max_record */
	struct mm_schema schema;
	enum format format;	/* forced, or UNKNOWN */
	int group_known;	/* MM_BY_ID is confirmed by the first row */
	double at;		/* --now */
	const double *now;

	/* The first rows, held back until the kinds are fixed. */
	long infer;		/* how many (--infer-rows) */
	int holding;
	struct held *h;
	size_t nh, hcap;
	struct mm_buf hbuf;	/* their lines, each NUL-terminated */
	unsigned long hrows;	/* rows among them (not headers) */
	struct reading peek;	/* the lines as they are held */

	const char **files;	/* the name of each file, "" for stdin */
	struct reading proc;	/* the lines as they are taken */
	struct mm_strtab hdr;	/* the names of the CSV header */
	int file;		/* the line being taken: for warnings */
	long lineno;
};

/* A warning about the line being taken, or about none (lineno 0). */
static void
warn(void *ctx, const char *msg)
{
	struct mmbatch *p = ctx;
	struct mm_err w;

	memset(&w, 0, sizeof(w));
	if (p->lineno > 0)
		mm_err_where(&w, p->files[p->file]);
	mm_errf(&w, MM_OK, p->lineno, "%s", msg);
	mm_perr(prog, &w);
}

static int
is_name(const struct mm_span *key, const char *name, size_t len)
{
	return key->n == len && memcmp(key->p, name, len) == 0;
}

/*
 * The start of every line: a new file's state, a UTF-8 byte order mark
 * skipped, an empty line refused, the file's format seen.
 */
static int
line_start(struct mmbatch *p, struct reading *rd, int file, long lineno,
    char **line, size_t *len, struct mm_err *err)
{
	const char *q;

	if (rd->file != file) {
		rd->file = file;
		rd->fmt = p->format;
		rd->header = 0;
	}
	if (lineno == 1 && *len >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
		*line += 3;
		*len -= 3;
	}
	q = mm_json_ws(*line);
	if (q == *line + *len)
		return mm_errf(err, MM_EINPUT, 0, "empty line");
	if (rd->fmt == UNKNOWN)
		rd->fmt = *q == '{' ? JSON : CSV;
	return 0;
}

/* A CSV header.  Its errors are fatal: -2. */
static int
csv_header(struct mmbatch *p, const char *line, size_t len,
    struct mm_err *err)
{
	const struct mm_batcher *b = &p->b;
	const struct mm_span *col;
	struct mm_rowin *in = &p->proc.in;
	const char *name;
	int i, has_id = 0, has_ts = 0;

	if (mm_rowin_csv_header(in, line, len, err) < 0)
		return -2;
	mm_strtab_reset(&p->hdr);
	for (i = 0; i < in->nhcol; i++) {
		col = &in->hcol[i];
		if (mm_strtab_find(&p->hdr, col->p, col->n) >= 0) {
			mm_errf(err, MM_EINPUT, 0, "header: column '%.*s' "
			    "appears twice", (int)col->n, col->p);
			return -2;
		}
		mm_strtab_intern(&p->hdr, col->p, col->n);
		has_id |= is_name(col, b->idname, b->idlen);
		has_ts |= is_name(col, b->tsname, b->tslen);
	}
	if (b->c.group == MM_BY_ID && !has_id) {
		mm_errf(err, MM_EINPUT, 0, "header: no '%s' column%s",
		    b->idname, p->group_known ? "" : ": use --size N or "
		    "--every SECONDS");
		return -2;
	}
	p->group_known = 1;
	if (b->c.group == MM_BY_TIME && !has_ts) {
		mm_errf(err, MM_EINPUT, 0, "header: no '%s' column",
		    b->tsname);
		return -2;
	}
	for (i = 0; b->fs.listed && i < b->fs.nf; i++) {
		name = mm_featset_name(&b->fs, b->fs.f[i].name);
		if (mm_strtab_find(&p->hdr, name, strlen(name)) < 0) {
			mm_errf(err, MM_EINPUT, 0, "header: no column for "
			    "feature '%s'", name);
			return -2;
		}
	}
	return 0;
}

/*
 * A JSON row.  Returns 0, -1 for a bad row, or -2 for an error no row
 * can skip: the first row says how rows are grouped.
 */
static int
json_row(struct mmbatch *p, const char *line, size_t len,
    struct mm_err *err)
{
	struct mm_rowin *in = &p->proc.in;
	int i, has_id = 0;

	if (mm_rowin_json(in, line, len, err) < 0)
		return -1;
	for (i = 0; i < in->nf; i++)
		has_id |= is_name(&in->f[i].key, p->b.idname, p->b.idlen);
	if (!p->group_known) {
		if (!has_id) {
			mm_errf(err, MM_EINPUT, 0, "no '%s' field in the first "
			    "row: use --size N or --every SECONDS",
			    p->b.idname);
			return -2;
		}
		p->group_known = 1;
	}
	return 0;
}

/* A line to take: a row, or the CSV header; MM_RUN_FATAL as run.h's. */
static int
process(struct mmbatch *p, int file, long lineno, char *line, size_t len,
    struct mm_err *err)
{
	struct reading *rd = &p->proc;
	int rc;

	mm_batcher_head(&p->b, line, len);
	if (line_start(p, rd, file, lineno, &line, &len, err) < 0)
		return -1;
	if (rd->fmt == CSV && !rd->header) {
		if (csv_header(p, line, len, err) < 0)
			return MM_RUN_FATAL;
		rd->header = 1;
		return 0;
	}
	rc = rd->fmt == JSON ? json_row(p, line, len, err) :
	    mm_rowin_csv(&rd->in, line, len, err);
	if (rc == 0)
		rc = mm_batcher_row(&p->b, &rd->in, err);
	return rc == -2 ? MM_RUN_FATAL : rc;
}

/*
 * Take a line: 0 when it is taken, or skipped with --skip-bad; else -1
 * with err, placed at the line when it is about the line.
 */
static int
take(struct mmbatch *p, int file, long lineno, char *line, size_t len,
    struct mm_err *err)
{
	int rc;

	memset(err, 0, sizeof(*err));
	p->file = file;
	p->lineno = lineno;
	if ((rc = process(p, file, lineno, line, len, err)) == 0)
		return 0;
	if (err->code == MM_EINPUT && err->where[0] == '\0') {
		err->line = lineno;
		mm_err_where(err, p->files[file]);
		if (p->run.skip_bad && rc != MM_RUN_FATAL) {
			p->run.skipped++;
			return 0;
		}
	}
	return -1;
}

/* Hold a line back, and look at it for the kinds. */
static void
hold(struct mmbatch *p, int file, long lineno, char *line, size_t len)
{
	struct reading *rd = &p->peek;
	struct mm_err err;
	struct held *h;
	int rc = -1;

	if (p->nh == p->hcap) {
		p->hcap = p->hcap ? 2 * p->hcap : 64;
		p->h = mm_xrealloc(p->h, p->hcap * sizeof(*p->h));
	}
	h = &p->h[p->nh++];
	h->file = file;
	h->lineno = lineno;
	h->off = p->hbuf.n;
	h->len = len;
	mm_buf_put(&p->hbuf, line, len);
	mm_buf_putc(&p->hbuf, '\0');

	/* What is bad about it is said when it is taken. */
	if (line_start(p, rd, file, lineno, &line, &len, &err) < 0) {
		p->hrows++;
		return;
	}
	if (rd->fmt == CSV && rd->header == 0) {
		rd->header = mm_rowin_csv_header(&rd->in, line, len,
		    &err) < 0 ? -1 : 1;
		return;
	}
	p->hrows++;
	if (rd->fmt == JSON)
		rc = mm_rowin_json(&rd->in, line, len, &err);
	else if (rd->header > 0)
		rc = mm_rowin_csv(&rd->in, line, len, &err);
	if (rc == 0)
		mm_batcher_observe(&p->b, &rd->in);
}

/*
 * Fix the kinds from the rows held, then take those rows, each from
 * where it came.  0, or -1 with err from the first one that stops.
 */
static int
release(struct mmbatch *p, struct mm_err *err)
{
	struct held *h;
	size_t i;
	int rc = 0;

	if (!p->holding)
		return 0;
	p->holding = 0;
	p->lineno = 0;
	mm_batcher_decide(&p->b, p->hrows);
	for (i = 0; i < p->nh && rc == 0; i++) {
		h = &p->h[i];
		rc = take(p, h->file, h->lineno, p->hbuf.p + h->off, h->len,
		    err);
	}
	free(p->h);
	p->h = NULL;
	p->nh = p->hcap = 0;
	mm_buf_release(&p->hbuf);
	return rc;
}

/*
 * The run stops at err: the rows held before it are taken first, and
 * what stops among them is said instead.  Returns the exit code.
 */
static int
stop(struct mmbatch *p, struct mm_err *err)
{
	struct mm_err first;

	memset(&first, 0, sizeof(first));
	if (release(p, &first) < 0)
		err = &first;
	/* What came before the bad line goes out before the word. */
	fflush(stdout);
	mm_perr(prog, err);
	return err->code ? err->code : MM_ESYS;
}

static int
on_line(struct mmbatch *p, int file, long lineno, char *line, size_t len,
    struct mm_err *err)
{
	if (!p->holding)
		return take(p, file, lineno, line, len, err);
	hold(p, file, lineno, line, len);
	if (p->hrows < (unsigned long)p->infer)
		return 0;
	return release(p, err);
}

/* Each file in turn, or standard input.  Returns the exit code. */
static int
run_files(struct mmbatch *p, int argc, char **argv)
{
	struct mm_reader r;
	struct mm_err err;
	char *line;
	size_t len;
	int i, n = argc > 0 ? argc : 1, rc = 0;

	p->files = mm_xcalloc((size_t)n, sizeof(*p->files));
	for (i = 0; i < n && rc == 0; i++) {
		memset(&err, 0, sizeof(err));
		if (mm_reader_open(&r, argc > 0 ? argv[i] : NULL,
		    p->run.max_record, &err) < 0)
			return stop(p, &err);
		p->files[i] = r.name;
		for (;;) {
			memset(&err, 0, sizeof(err));
			if ((rc = mm_reader_next(&r, &line, &len, &err)) == 0)
				break;
			if (rc > 0) {
				if ((rc = on_line(p, i, r.lineno, line, len,
				    &err)) < 0)
					break;
				continue;
			}
			/* Too long (MM_EINPUT), or a read error. */
			if (err.code == MM_EINPUT)
				err.line = r.lineno;
			mm_err_where(&err, r.name);
			if (err.code == MM_EINPUT && p->run.skip_bad) {
				p->run.skipped++;
				rc = 0;
				continue;
			}
			break;
		}
		mm_reader_release(&r);
	}
	if (rc != 0)
		return stop(p, &err);
	memset(&err, 0, sizeof(err));
	if (release(p, &err) < 0 || mm_batcher_end(&p->b, &err) < 0)
		return stop(p, &err);
	return MM_OK;
}

static int
set_features(struct mmbatch *p, const char *list)
{
	const char *q = list, *e;
	struct mm_err err;
	char *name;
	int rc;

	for (;;) {
		e = strchr(q, ',');
		if (e == NULL)
			e = q + strlen(q);
		if (e == q) {
			mm_warnx(prog, "--features: empty name in '%s'", list);
			return -1;
		}
		name = mm_xstrndup(q, (size_t)(e - q));
		rc = mm_batcher_feature(&p->b, name, MM_KIND_OPEN, &err);
		free(name);
		if (rc < 0) {
			mm_warnx(prog, "--features: %s", err.msg);
			return -1;
		}
		if (*e == '\0')
			return 0;
		q = e + 1;
	}
}

/* The features of the schema at path.  Returns an exit code. */
static int
set_schema(struct mmbatch *p, const char *path)
{
	struct mm_err err;

	memset(&err, 0, sizeof(err));
	if (mm_schema_load(&p->schema, path, &err) < 0) {
		mm_perr(prog, &err);
		return err.code ? err.code : MM_ESYS;
	}
	if (mm_batcher_schema(&p->b, &p->schema, &err) < 0) {
		mm_err_where(&err, path);
		mm_perr(prog, &err);
		return MM_EINPUT;
	}
	return MM_OK;
}

/*
 * The options.  Returns 0, -1 for a usage error (message printed),
 * MM_GETOPT_EXIT after --help, or an exit code (the schema could not be
 * read).
 */
static int
parse_args(struct mmbatch *p, struct mm_optstate *st, int argc, char **argv)
{
	struct mm_batcher_conf c;
	const char *features = NULL, *prefix = NULL, *idprefix = NULL;
	const char *schema = NULL;
	long every = 0, size = 0;
	int o, csv = 0, json = 0;

	memset(&c, 0, sizeof(c));
	c.id = "batch_id";
	c.ts = "ts";
	c.label = "label";
	p->infer = -1;
	while ((o = mm_getopt(st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CSV: csv = 1; break;
		case O_JSON: json = 1; break;
		case O_ID: c.id = st->arg; break;
		case O_TS: c.ts = st->arg; break;
		case O_LABEL: c.label = st->arg; break;
		case O_SCHEMA: schema = st->arg; break;
		case O_FEATURES: features = st->arg; break;
		case O_INFER:
			if (mm_opt_long(st, "infer-rows", 1, 1000000000L,
			    &p->infer) < 0)
				return -1;
			break;
		case O_SIZE:
			if (mm_opt_long(st, "size", 1, 1000000000L, &size) < 0)
				return -1;
			break;
		case O_EVERY:
			/* 3600, or 1h as mm-aggregate's windows are named. */
			if (mm_parse_length(st->arg, &every) < 0) {
				mm_warnx(prog, "--every: '%s' is not a length "
				    "such as 3600, 30s, 5m, 1h or 1d (366d at "
				    "most)", st->arg);
				return -1;
			}
			break;
		case O_PREFIX: prefix = st->arg; break;
		case O_IDPREFIX: idprefix = st->arg; break;
		case O_NOW:
			if (mm_opt_now(st, &p->at, &p->now) < 0)
				return -1;
			break;
		case O_SKIPBAD: p->run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(st, "max-record",
			    &p->run.max_record) < 0)
				return -1;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_GETOPT_EXIT : -1;
		}
	}
	if (csv && json) {
		mm_warnx(prog, "--csv and --json exclude each other");
		return -1;
	}
	p->format = csv ? CSV : json ? JSON : UNKNOWN;
	if (schema != NULL && features != NULL) {
		mm_warnx(prog, "--schema and --features exclude each other");
		return -1;
	}
	if (schema != NULL && p->infer > 0) {
		mm_warnx(prog, "--schema and --infer-rows exclude each other");
		return -1;
	}
	if (size > 0 && every > 0) {
		mm_warnx(prog, "--size and --every exclude each other");
		return -1;
	}
	c.group = size > 0 ? MM_BY_SIZE : every > 0 ? MM_BY_TIME : MM_BY_ID;
	c.size = size;
	c.every = (double)every;
	p->group_known = c.group != MM_BY_ID;
	if (prefix != NULL && c.group == MM_BY_ID) {
		mm_warnx(prog, "--prefix goes with --size or --every");
		return -1;
	}
	if (idprefix != NULL && c.group != MM_BY_SIZE) {
		mm_warnx(prog, "--id-prefix goes with --size");
		return -1;
	}
	if (idprefix != NULL && prefix != NULL) {
		mm_warnx(prog, "--prefix and --id-prefix exclude each other");
		return -1;
	}
	if (idprefix != NULL && *idprefix == '\0') {
		mm_warnx(prog, "--id-prefix needs a string: ids that are "
		    "only counts repeat from run to run");
		return -1;
	}
	if (*c.id == '\0' || *c.ts == '\0' || *c.label == '\0') {
		mm_warnx(prog, "--id, --ts and --label need a name");
		return -1;
	}
	if (strcmp(c.id, c.ts) == 0 || strcmp(c.id, c.label) == 0 ||
	    strcmp(c.ts, c.label) == 0) {
		mm_warnx(prog, "--id, --ts and --label must name different "
		    "fields");
		return -1;
	}
	c.prefix = idprefix != NULL ? idprefix : prefix;
	c.run_tag = idprefix == NULL;
	c.now = p->now;
	c.schema = schema != NULL ? &p->schema : NULL;
	c.skip_bad = p->run.skip_bad;
	c.out = stdout;
	c.warn = warn;
	c.ctx = p;
	mm_batcher_init(&p->b, &c);
	if (features != NULL && set_features(p, features) < 0)
		return -1;
	if (schema != NULL)
		return set_schema(p, schema);
	return 0;
}

static void
mmbatch_release(struct mmbatch *p)
{
	mm_batcher_release(&p->b);
	mm_schema_release(&p->schema);
	free(p->h);
	mm_buf_release(&p->hbuf);
	mm_rowin_release(&p->peek.in);
	mm_rowin_release(&p->proc.in);
	mm_strtab_release(&p->hdr);
	free(p->files);
}

int
main(int argc, char **argv)
{
	struct mmbatch p;
	struct mm_optstate st = { .prog = "mm-batch",
	    .synopsis = "[--csv | --json] [--id NAME] [--ts NAME] "
	    "[--label NAME]\n"
	    " [--schema PATH | [--features LIST] [--infer-rows N]]\n"
	    " [--size N | --every SECONDS] [--prefix P | --id-prefix STR]\n"
	    " [--now TS] [--skip-bad] [--max-record BYTES] [FILE ...]",
	    .about = "Group rows, JSON objects or CSV, into batch records." };
	int rc;

	memset(&p, 0, sizeof(p));
	p.run.prog = prog;
	p.run.what = "row";
	p.peek.file = p.proc.file = -1;
	mm_rowin_init(&p.peek.in);
	mm_rowin_init(&p.proc.in);
	mm_schema_init(&p.schema);
	if ((rc = parse_args(&p, &st, argc, argv)) != 0) {
		mmbatch_release(&p);
		return rc == MM_GETOPT_EXIT ? MM_OK : rc < 0 ? MM_EINPUT : rc;
	}
	/* With a schema the kinds are known: no row is held back. */
	p.holding = p.b.c.schema == NULL;
	if (p.infer < 0)
		p.infer = INFER_ROWS;
	if (!p.holding)
		mm_batcher_decide(&p.b, 0);
	mm_stdout_buffer();
	rc = run_files(&p, argc - st.ind, argv + st.ind);
	mmbatch_release(&p);
	return mm_run_finish(&p.run, rc);
}
