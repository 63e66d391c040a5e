/*
 * mm-gen - synthetic batches from a fixed population, with drift.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "json.h"
#include "mm.h"
#include "opt.h"

static const char *prog = "mm-gen";

enum {
	O_BATCHES, O_BATCH_SIZE, O_START, O_INTERVAL, O_ROWS, O_SEED,
	O_POPULATION, O_FORMAT, O_NO_LABELS, O_DRIFT_AT, O_SHIFT, O_SCALE,
	O_DRIFT_FEATURES, O_CONCEPT_AT, O_CONCEPT_STRENGTH, O_CONCEPT_FEATURE,
	O_CLASSES, O_FEATURES, O_INFORMATIVE, O_REDUNDANT, O_CLASS_SEP,
	O_FLIP_Y, O_N
};

static const struct mm_opt opts[] = {
	[O_BATCHES] = { "batches", 0, "N", "number of batches (default 10)" },
	[O_BATCH_SIZE] = { "batch-size", 0, "N", "rows per batch (default "
	    "256)" },
	[O_START] = { "start", 0, "TS", "ts of the first batch (default "
	    "1764140000)" },
	[O_INTERVAL] = { "interval", 0, "SECONDS", "seconds between batches "
	    "(default 60)" },
	[O_ROWS] = { "rows", 0, "N", "one training set of N rows instead of "
	    "batches" },
	[O_SEED] = { "seed", 0, "N", "seed of the sample (default 42)" },
	[O_POPULATION] = { "population", 0, "N", "seed of the population "
	    "(default 42)" },
	[O_FORMAT] = { "format", 0, "FORMAT", "batch, rows or csv (default "
	    "batch)" },
	[O_NO_LABELS] = { "no-labels", 0, NULL, "leave the labels out" },
	[O_DRIFT_AT] = { "drift-at", 0, "K", "move features from batch K on" },
	[O_SHIFT] = { "shift", 0, "S", "mean shift in population sds (default "
	    "1)" },
	[O_SCALE] = { "scale", 0, "X", "factor on the spread (default 1)" },
	[O_DRIFT_FEATURES] = { "drift-features", 0, "LIST", "features that "
	    "move (default f0,f1,f2)" },
	[O_CONCEPT_AT] = { "concept-at", 0, "K", "change the label rule from "
	    "batch K on" },
	[O_CONCEPT_STRENGTH] = { "concept-strength", 0, "P", "share of rows "
	    "whose class moves (default 0.1)" },
	[O_CONCEPT_FEATURE] = { "concept-feature", 0, "NAME", "feature of the "
	    "new rule (default f0)" },
	[O_CLASSES] = { "classes", 0, "K", "number of classes, 2 to 10 "
	    "(default 2)" },
	[O_FEATURES] = { "features", 0, "N", "number of features (default "
	    "10)" },
	[O_INFORMATIVE] = { "informative", 0, "N", "informative features "
	    "(default 6)" },
	[O_REDUNDANT] = { "redundant", 0, "N", "redundant features (default "
	    "2)" },
	[O_CLASS_SEP] = { "class-sep", 0, "X", "half the side of the cluster "
	    "cube (default 1.2)" },
	[O_FLIP_Y] = { "flip-y", 0, "P", "share of rows with a random class "
	    "(default 0.01)" },
	MM_OPT_END
};

#define MAX_ROWS 1000000L
#define MAX_BATCHES 1000000L
#define FLUSH_AT (1 << 20)

enum format { F_BATCH, F_ROWS, F_CSV };

struct gen {
	struct mm_gen_shape shape;
	struct mm_gen_pop pop;
	struct mm_gen_scenario sc;
	long seed, population;
	long drift_at, concept_at;
	double shift, scale, strength;
	long batches, batch_size, rows;	/* rows 0: batches */
	double start, interval;
	enum format format;
	int labels;
	const char *drift_features, *concept_feature;
	int set[O_N];			/* which options were given */

	char name[MM_GEN_MAX_FEATURES][16];
	double *x;
	int *y;
	struct mm_buf out;
};

static void
gen_release(struct gen *g)
{
	mm_gen_pop_release(&g->pop);
	free(g->x);
	free(g->y);
	mm_buf_release(&g->out);
}

/* A feature name "fN" to its index, or -1. */
static int
feature_index(const char *s, size_t n, int nfeat)
{
	int j = 0;
	size_t i;

	if (n < 2 || n > 4 || s[0] != 'f' || (s[1] == '0' && n > 2))
		return -1;
	for (i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		j = 10 * j + (s[i] - '0');
	}
	return j < nfeat ? j : -1;
}

static int
parse_drift_features(struct gen *g)
{
	const char *s = g->drift_features, *e;
	int j;

	memset(g->sc.drift, 0, sizeof(g->sc.drift));
	for (;;) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		j = feature_index(s, (size_t)(e - s), g->shape.features);
		if (j < 0) {
			mm_warnx(prog, "--drift-features: '%.*s' is not a "
			    "feature (f0 to f%d)", (int)(e - s), s,
			    g->shape.features - 1);
			return -1;
		}
		g->sc.drift[j] = 1;
		if (*e == '\0')
			return 0;
		s = e + 1;
	}
}

static int
parse_args(struct gen *g, struct mm_optstate *st, int argc, char **argv)
{
	long v;
	int o;

	while ((o = mm_getopt(st, argc, argv, opts)) != MM_GETOPT_DONE) {
		if (o < 0)
			return o;
		g->set[o] = 1;
		switch (o) {
		case O_BATCHES:
			if (mm_opt_long(st, "batches", 1, MAX_BATCHES,
			    &g->batches) < 0)
				return -1;
			break;
		case O_BATCH_SIZE:
			if (mm_opt_long(st, "batch-size", 1, MAX_ROWS,
			    &g->batch_size) < 0)
				return -1;
			break;
		case O_START:
			if (mm_opt_double(st, "start", 0, 1e11,
			    &g->start) < 0)
				return -1;
			break;
		case O_INTERVAL:
			if (mm_opt_double(st, "interval", 0, 1e9,
			    &g->interval) < 0)
				return -1;
			break;
		case O_ROWS:
			if (mm_opt_long(st, "rows", 1, MAX_ROWS, &g->rows) < 0)
				return -1;
			break;
		case O_SEED:
			if (mm_opt_long(st, "seed", 0, 2147483647L,
			    &g->seed) < 0)
				return -1;
			break;
		case O_POPULATION:
			if (mm_opt_long(st, "population", 0, 2147483647L,
			    &g->population) < 0)
				return -1;
			break;
		case O_FORMAT:
			if (strcmp(st->arg, "batch") == 0)
				g->format = F_BATCH;
			else if (strcmp(st->arg, "rows") == 0)
				g->format = F_ROWS;
			else if (strcmp(st->arg, "csv") == 0)
				g->format = F_CSV;
			else {
				mm_warnx(prog, "--format: '%s' is not 'batch', "
				    "'rows' or 'csv'", st->arg);
				return -1;
			}
			break;
		case O_NO_LABELS:
			g->labels = 0;
			break;
		case O_DRIFT_AT:
			if (mm_opt_long(st, "drift-at", 0, MAX_BATCHES,
			    &g->drift_at) < 0)
				return -1;
			break;
		case O_SHIFT:
			if (mm_opt_double(st, "shift", -100, 100,
			    &g->shift) < 0)
				return -1;
			break;
		case O_SCALE:
			if (mm_opt_double(st, "scale", 0, 100,
			    &g->scale) < 0)
				return -1;
			break;
		case O_DRIFT_FEATURES:
			g->drift_features = st->arg;
			break;
		case O_CONCEPT_AT:
			if (mm_opt_long(st, "concept-at", 0, MAX_BATCHES,
			    &g->concept_at) < 0)
				return -1;
			break;
		case O_CONCEPT_STRENGTH:
			if (mm_opt_double(st, "concept-strength", 0, 1,
			    &g->strength) < 0)
				return -1;
			break;
		case O_CONCEPT_FEATURE:
			g->concept_feature = st->arg;
			break;
		case O_CLASSES:
			if (mm_opt_long(st, "classes", 2, MM_GEN_MAX_CLASSES,
			    &v) < 0)
				return -1;
			g->shape.classes = (int)v;
			break;
		case O_FEATURES:
			if (mm_opt_long(st, "features", 1,
			    MM_GEN_MAX_FEATURES, &v) < 0)
				return -1;
			g->shape.features = (int)v;
			break;
		case O_INFORMATIVE:
			if (mm_opt_long(st, "informative", 1,
			    MM_GEN_MAX_FEATURES, &v) < 0)
				return -1;
			g->shape.informative = (int)v;
			break;
		case O_REDUNDANT:
			if (mm_opt_long(st, "redundant", 0,
			    MM_GEN_MAX_FEATURES - 1, &v) < 0)
				return -1;
			g->shape.redundant = (int)v;
			break;
		case O_CLASS_SEP:
			if (mm_opt_double(st, "class-sep", 0, 100,
			    &g->shape.class_sep) < 0)
				return -1;
			break;
		case O_FLIP_Y:
			if (mm_opt_double(st, "flip-y", 0, 1,
			    &g->shape.flip_y) < 0)
				return -1;
			break;
		}
	}
	if (mm_opt_none_left(st, argc, argv, opts) < 0)
		return -2;
	return 0;
}

/* Options that only mean something with another one. */
static int
check_combinations(const struct gen *g)
{
	static const struct { int opt, needs; } deps[] = {
		{ O_SHIFT, O_DRIFT_AT },
		{ O_SCALE, O_DRIFT_AT },
		{ O_DRIFT_FEATURES, O_DRIFT_AT },
		{ O_CONCEPT_STRENGTH, O_CONCEPT_AT },
		{ O_CONCEPT_FEATURE, O_CONCEPT_AT },
	};
	size_t i;

	if (g->rows > 0 && (g->set[O_BATCHES] || g->set[O_BATCH_SIZE] ||
	    g->set[O_INTERVAL])) {
		mm_warnx(prog, "--rows excludes --batches, --batch-size and "
		    "--interval");
		return -1;
	}
	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (g->set[deps[i].opt] && !g->set[deps[i].needs]) {
			mm_warnx(prog, "--%s goes with --%s",
			    opts[deps[i].opt].name, opts[deps[i].needs].name);
			return -1;
		}
	return 0;
}

/* Build the population and the scenario; 0, or -1 (message printed). */
static int
setup(struct gen *g)
{
	struct mm_err err = { 0 };
	size_t n = (size_t)(g->rows > 0 ? g->rows : g->batch_size);
	int j, nf = g->shape.features;

	if (mm_gen_pop_init(&g->pop, &g->shape, (uint64_t)g->population,
	    &err) < 0) {
		mm_perr(prog, &err);
		return -1;
	}
	mm_gen_scenario_init(&g->sc, &g->pop);
	g->sc.drift_at = g->drift_at;
	g->sc.shift = g->shift;
	g->sc.scale = g->scale;
	g->sc.concept_at = g->concept_at;
	g->sc.concept_strength = g->strength;
	if (g->drift_features != NULL && parse_drift_features(g) < 0)
		return -1;
	if (g->concept_feature != NULL) {
		j = feature_index(g->concept_feature,
		    strlen(g->concept_feature), nf);
		if (j < 0) {
			mm_warnx(prog, "--concept-feature: '%s' is not a "
			    "feature (f0 to f%d)", g->concept_feature, nf - 1);
			return -1;
		}
		g->sc.concept_feature = j;
	}
	if (mm_gen_scenario_ready(&g->sc, &g->pop, &err) < 0) {
		mm_perr(prog, &err);
		return -1;
	}
	for (j = 0; j < nf; j++)
		snprintf(g->name[j], sizeof(g->name[j]), "f%d", j);
	g->x = mm_xcalloc(n * (size_t)nf, sizeof(double));
	g->y = mm_xcalloc(n, sizeof(int));
	return 0;
}

static int
flush_out(struct gen *g)
{
	size_t n = g->out.n;

	if (n > 0 && fwrite(g->out.p, 1, n, stdout) != n)
		return -1;
	mm_buf_reset(&g->out);
	return 0;
}

static void
put_num(struct mm_buf *b, double v)
{
	char tmp[32];

	mm_buf_put(b, tmp, (size_t)mm_gen_fmt(tmp, v));
}

static void
put_label(struct mm_buf *b, int y)
{
	mm_buf_putc(b, (char)('0' + y));
}

static void
put_batch(struct gen *g, const char *id, const char *ts, size_t n)
{
	struct mm_buf *b = &g->out;
	const double *col;
	size_t i;
	int j;

	mm_buf_puts(b, "{\"batch_id\":\"");
	mm_buf_puts(b, id);
	mm_buf_puts(b, "\",\"ts\":");
	mm_buf_puts(b, ts);
	mm_buf_puts(b, ",\"features\":{");
	for (j = 0; j < g->shape.features; j++) {
		col = g->x + (size_t)j * n;
		mm_buf_puts(b, j ? ",\"" : "\"");
		mm_buf_puts(b, g->name[j]);
		mm_buf_puts(b, "\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				mm_buf_putc(b, ',');
			put_num(b, col[i]);
		}
		mm_buf_putc(b, ']');
	}
	mm_buf_putc(b, '}');
	if (g->labels) {
		mm_buf_puts(b, ",\"labels\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				mm_buf_putc(b, ',');
			put_label(b, g->y[i]);
		}
		mm_buf_putc(b, ']');
	}
	mm_buf_puts(b, "}\n");
}

/* One line per row, as JSON objects or CSV; 0, or -1 on a write error. */
static int
put_rows(struct gen *g, const char *id, const char *ts, size_t n)
{
	struct mm_buf *b = &g->out;
	int j, csv = g->format == F_CSV;
	size_t i;

	for (i = 0; i < n; i++) {
		if (csv) {
			mm_buf_puts(b, id);
			mm_buf_putc(b, ',');
			mm_buf_puts(b, ts);
		} else {
			mm_buf_puts(b, "{\"batch_id\":\"");
			mm_buf_puts(b, id);
			mm_buf_puts(b, "\",\"ts\":");
			mm_buf_puts(b, ts);
		}
		for (j = 0; j < g->shape.features; j++) {
			if (csv) {
				mm_buf_putc(b, ',');
			} else {
				mm_buf_puts(b, ",\"");
				mm_buf_puts(b, g->name[j]);
				mm_buf_puts(b, "\":");
			}
			put_num(b, g->x[(size_t)j * n + i]);
		}
		if (g->labels) {
			mm_buf_puts(b, csv ? "," : ",\"label\":");
			put_label(b, g->y[i]);
		}
		mm_buf_puts(b, csv ? "\n" : "}\n");
		if (b->n >= FLUSH_AT && flush_out(g) < 0)
			return -1;
	}
	return 0;
}

/* Write every batch; 0, or -1 on a write error. */
static int
run(struct gen *g)
{
	struct mm_rng r;
	long b, nb = g->rows > 0 ? 1 : g->batches;
	size_t n = (size_t)(g->rows > 0 ? g->rows : g->batch_size);
	char id[32], ts[40];
	int j;

	if (g->format == F_CSV) {
		mm_buf_puts(&g->out, "batch_id,ts");
		for (j = 0; j < g->shape.features; j++) {
			mm_buf_putc(&g->out, ',');
			mm_buf_puts(&g->out, g->name[j]);
		}
		mm_buf_puts(&g->out, g->labels ? ",label\n" : "\n");
	}
	for (b = 0; b < nb; b++) {
		if (g->rows > 0) {
			mm_gen_stream(&r, (uint64_t)g->seed, MM_GEN_TRAIN);
			mm_gen_draw(&g->pop, &g->sc, &r, 0, n, g->x, g->y);
			snprintf(id, sizeof(id), "train");
		} else {
			mm_gen_stream(&r, (uint64_t)g->seed, b);
			mm_gen_draw(&g->pop, &g->sc, &r, b, n, g->x, g->y);
			snprintf(id, sizeof(id), "b%06ld", b);
		}
		mm_fmt_double(ts, sizeof(ts), g->start + (double)b *
		    g->interval);
		if (g->format == F_BATCH)
			put_batch(g, id, ts, n);
		else if (put_rows(g, id, ts, n) < 0)
			return -1;
		if (g->out.n >= FLUSH_AT && flush_out(g) < 0)
			return -1;
	}
	return flush_out(g);
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-gen",
	    .synopsis = "[--batches N] [--batch-size N] [--start TS] "
	    "[--interval SECONDS]\n"
	    " [--rows N] [--seed N] [--population N] "
	    "[--format batch|rows|csv]\n"
	    " [--no-labels] [--drift-at K] [--shift S] [--scale X]\n"
	    " [--drift-features LIST] [--concept-at K] "
	    "[--concept-strength P]\n"
	    " [--concept-feature NAME] [--classes K] [--features N]\n"
	    " [--informative N] [--redundant N] [--class-sep X] [--flip-y P]",
	    .about = "Write synthetic classification batches drawn from a "
	    "fixed population,\nwith covariate drift or a concept change "
	    "from a given batch on if asked." };
	struct gen g;
	int rc = MM_OK;

	memset(&g, 0, sizeof(g));
	mm_gen_shape_defaults(&g.shape);
	mm_buf_init(&g.out);
	g.seed = 42;
	g.population = 42;
	g.batches = 10;
	g.batch_size = 256;
	g.start = 1764140000;
	g.interval = 60;
	g.format = F_BATCH;
	g.labels = 1;
	g.drift_at = -1;
	g.shift = 1;
	g.scale = 1;
	g.concept_at = -1;
	g.strength = 0.1;

	switch (parse_args(&g, &st, argc, argv)) {
	case 0:
		break;
	case MM_GETOPT_EXIT:
		rc = MM_OK;
		goto done;
	default:
		rc = MM_EINPUT;
		goto done;
	}
	if (check_combinations(&g) < 0 || setup(&g) < 0) {
		rc = MM_EINPUT;
		goto done;
	}
	if (run(&g) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
done:
	gen_release(&g);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
