#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "config.h"
#include "timeparse.h"

const char *const mm_trust_names[MM_T_N] = {
	"accuracy", "f1", "confidence", "drift", "latency"
};

enum ktype { K_DOUBLE, K_LONG, K_THRESHOLD, K_WEIGHTS, K_WINDOWS };

struct key {
	const char *name;
	enum ktype type;
	size_t off;		/* offset in struct mm_config */
	double lo, hi;
};

#define D(s, f) offsetof(struct mm_config, s.f)

static const struct key drift_keys[] = {
	{ "bins", K_LONG, D(drift, bins), 2, 1000 },
	{ "eps", K_DOUBLE, D(drift, eps), 1e-300, 0.1 },
	{ "moderate", K_DOUBLE, D(drift, moderate), 0, 100 },
	{ "severe", K_DOUBLE, D(drift, severe), 0, 100 },
	{ "threshold", K_THRESHOLD, D(drift, threshold), 0, 0 },
	{ "alpha", K_DOUBLE, D(drift, alpha), 1e-12, 0.5 },
	{ "max_categories", K_LONG, D(drift, max_categories), 1, 10000 },
	{ "smoothing", K_DOUBLE, D(drift, smoothing), 0, 100 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key trust_keys[] = {
	{ "weights", K_WEIGHTS, D(trust, weight), 0, 1 },
	{ "drift_ok", K_DOUBLE, D(trust, drift_ok), 0, 100 },
	{ "drift_bad", K_DOUBLE, D(trust, drift_bad), 0, 100 },
	{ "latency_ok_ms", K_DOUBLE, D(trust, latency_ok_ms), 0, 1e9 },
	{ "latency_bad_ms", K_DOUBLE, D(trust, latency_bad_ms), 0, 1e9 },
	{ "warning", K_DOUBLE, D(trust, warning), 0, 1 },
	{ "critical", K_DOUBLE, D(trust, critical), 0, 1 },
	{ "alert_cooldown_s", K_DOUBLE, D(trust, alert_cooldown_s), 0, 1e9 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key retrain_keys[] = {
	{ "psi_threshold", K_DOUBLE, D(retrain, psi_threshold), 0, 100 },
	{ "max_f1_drop", K_DOUBLE, D(retrain, max_f1_drop), 0, 1 },
	{ "min_f1_gain", K_DOUBLE, D(retrain, min_f1_gain), 0, 1 },
	/* The decider remembers 64 actions (MM_POLICY_HISTORY). */
	{ "cooldown_batches", K_LONG, D(retrain, cooldown_batches), 0, 64 },
	{ "min_stable_batches", K_LONG, D(retrain, min_stable_batches), 0,
	    64 },
	{ "min_samples", K_LONG, D(retrain, min_samples), 1, 1e9 },
	{ "buffer_rows", K_LONG, D(retrain, buffer_rows), 1, 1e9 },
	{ "holdout", K_DOUBLE, D(retrain, holdout), 0.01, 0.99 },
	{ "f1_window", K_LONG, D(retrain, f1_window), 1, 1000 },
	{ "alpha_f1", K_DOUBLE, D(retrain, alpha_f1), 1e-6, 0.5 },
	{ "f1_window_rows", K_LONG, D(retrain, f1_window_rows), 1, 1e9 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key model_keys[] = {
	{ "n_estimators", K_LONG, D(model, n_estimators), 1, 100000 },
	{ "max_depth", K_LONG, D(model, max_depth), 1, 64 },
	{ "min_samples_leaf", K_LONG, D(model, min_samples_leaf), 1, 1e9 },
	{ "seed", K_LONG, D(model, seed), 0, 4294967295.0 },
	{ "validation", K_DOUBLE, D(model, validation), 0.01, 0.99 },
	{ "min_validation_rows", K_LONG, D(model, min_validation_rows), 1,
	    1e9 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key aggregate_keys[] = {
	{ "windows", K_WINDOWS, D(aggregate, nwindows), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct {
	unsigned bit;
	const char *file;
	const struct key *keys;
} files[] = {
	{ MM_CFG_DRIFT, "drift.yaml", drift_keys },
	{ MM_CFG_TRUST, "trust.yaml", trust_keys },
	{ MM_CFG_RETRAIN, "retrain.yaml", retrain_keys },
	{ MM_CFG_MODEL, "model.yaml", model_keys },
	{ MM_CFG_AGGREGATE, "aggregate.yaml", aggregate_keys },
};

void
mm_config_defaults(struct mm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->drift = (struct mm_drift_cfg){ 10, 1e-6, 0.1, 0.2,
	    MM_THRESHOLD_TEST, 0.01, 20, 0.5 };
	c->trust = (struct mm_trust_cfg){ { 0.30, 0.25, 0.15, 0.20, 0.10 },
	    0.1, 0.3, 300, 1500, 0.70, 0.60, 300 };
	c->retrain = (struct mm_retrain_cfg){ 0.2, 0.15, 0.02, 5, 5, 1000,
	    10000, 0.2, 1, 0.01, 2000 };
	c->model = (struct mm_model_cfg){ 200, 6, 5, 42, 0.25, 30 };
	c->aggregate.nwindows = 3;
	c->aggregate.seconds[0] = 300;
	c->aggregate.seconds[1] = 3600;
	c->aggregate.seconds[2] = 86400;
	strcpy(c->aggregate.name[0], "5m");
	strcpy(c->aggregate.name[1], "1h");
	strcpy(c->aggregate.name[2], "24h");
}

struct loader {
	yaml_parser_t parser;
	const yaml_event_t *key;	/* the key being loaded */
	const char *path;
	FILE *fp;
	struct mm_err *err;
};

static int
yerr(struct loader *ld, const yaml_event_t *ev, const char *fmt,
    const char *key, const char *val)
{
	mm_errf(ld->err, MM_EINPUT, ev ? (long)ev->start_mark.line + 1 : 0,
	    fmt, key, val);
	mm_err_where(ld->err, ld->path);
	return -1;
}

/* An old spelling that still works: say so once, on standard error. */
static void
deprecated(struct loader *ld, const yaml_event_t *ev, const char *what)
{
	fprintf(stderr, "%s: %s:%ld: %s (deprecated)\n",
	    program_invocation_short_name, ld->path,
	    (long)ev->start_mark.line + 1, what);
}

/*
 * libyaml marks an unfinished construct (an unclosed quote, say) at the
 * end of the input; its context mark says where the construct began.
 */
static void
yaml_error(struct loader *ld)
{
	const yaml_parser_t *y = &ld->parser;
	const char *problem = y->problem ? y->problem : "parse error";

	if (y->context != NULL && strstr(problem, "end of stream") != NULL)
		mm_errf(ld->err, MM_EINPUT, (long)y->context_mark.line + 1,
		    "invalid YAML: %s %s", problem, y->context);
	else
		mm_errf(ld->err, MM_EINPUT, (long)y->problem_mark.line + 1,
		    "invalid YAML: %s", problem);
}

static int
next(struct loader *ld, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ld->parser, ev)) {
		if (ld->fp != NULL && ferror(ld->fp))
			mm_errf(ld->err, MM_ESYS, 0, "cannot read: %s",
			    strerror(errno));
		else
			yaml_error(ld);
		mm_err_where(ld->err, ld->path);
		return -1;
	}
	return 0;
}

/* A plain scalar as a number in [lo, hi]. */
static int
scalar_num(struct loader *ld, const yaml_event_t *ev, const char *key,
    int integer, double lo, double hi, double *out)
{
	const char *s = (const char *)ev->data.scalar.value;
	char *end;
	double v;

	if (ev->type != YAML_SCALAR_EVENT ||
	    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || *s == '\0')
		return yerr(ld, ev, "'%s' must be a number%s", key, "");
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) ||
	    (integer && v != floor(v)))
		return yerr(ld, ev, integer ? "'%s' must be a whole number, "
		    "not '%s'" : "'%s' must be a number, not '%s'", key, s);
	if (v < lo || v > hi) {
		char range[128];

		snprintf(range, sizeof(range), "%s is out of range [%g, %g]",
		    s, lo, hi);
		return yerr(ld, ev, "'%s': %s", key, range);
	}
	*out = v;
	return 0;
}

static int
load_weights(struct loader *ld, struct mm_config *c, const yaml_event_t *start)
{
	yaml_event_t k, v;
	double w[MM_T_N], sum = 0;
	int i, rc = -1, seen[MM_T_N] = { 0 };

	if (start->type != YAML_MAPPING_START_EVENT)
		return yerr(ld, start, "'%s' must be a mapping of the five "
		    "component weights%s", "weights", "");
	memcpy(w, c->trust.weight, sizeof(w));
	for (;;) {
		if (next(ld, &k) < 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			break;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			yerr(ld, &k, "'%s' keys must be names%s", "weights",
			    "");
			yaml_event_delete(&k);
			return -1;
		}
		for (i = 0; i < MM_T_N; i++)
			if (strcmp((char *)k.data.scalar.value,
			    mm_trust_names[i]) == 0)
				break;
		if (i == MM_T_N) {
			yerr(ld, &k, "unknown key 'weights.%s'%s",
			    (char *)k.data.scalar.value, "");
			yaml_event_delete(&k);
			return -1;
		}
		if (seen[i]) {
			yerr(ld, &k, "key 'weights.%s' given twice%s",
			    mm_trust_names[i], "");
			yaml_event_delete(&k);
			return -1;
		}
		if (next(ld, &v) < 0) {
			yaml_event_delete(&k);
			return -1;
		}
		char name[64];
		snprintf(name, sizeof(name), "weights.%s", mm_trust_names[i]);
		rc = scalar_num(ld, &v, name, 0, 0, 1, &w[i]);
		seen[i] = 1;
		yaml_event_delete(&k);
		yaml_event_delete(&v);
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < MM_T_N; i++)
		sum += w[i];
	if (fabs(sum - 1) > 1e-9) {
		char s[64];

		snprintf(s, sizeof(s), "%.17g", sum);
		return yerr(ld, ld->key, "'%s' must sum to 1, not %s",
		    "weights", s);
	}
	memcpy(c->trust.weight, w, sizeof(w));
	return 0;
}

static int
load_windows(struct loader *ld, struct mm_config *c, const yaml_event_t *start)
{
	struct mm_aggregate_cfg a = { 0 };
	yaml_event_t v;
	const char *s;

	if (start->type != YAML_SEQUENCE_START_EVENT)
		return yerr(ld, start, "'%s' must be a list such as [5m, 1h, "
		    "24h]%s", "windows", "");
	for (;;) {
		if (next(ld, &v) < 0)
			return -1;
		if (v.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&v);
			break;
		}
		s = v.type == YAML_SCALAR_EVENT ?
		    (const char *)v.data.scalar.value : "";
		if (a.nwindows == MM_MAX_WINDOWS ||
		    strlen(s) >= sizeof(a.name[0]) ||
		    mm_parse_window(s, &a.seconds[a.nwindows]) < 0) {
			if (a.nwindows == MM_MAX_WINDOWS)
				yerr(ld, &v, "'%s': more than 8 windows%s",
				    "windows", "");
			else
				yerr(ld, &v, "'%s': '%s' is not a window "
				    "length such as 5m, 1h or 24h", "windows",
				    s);
			yaml_event_delete(&v);
			return -1;
		}
		strcpy(a.name[a.nwindows++], s);
		yaml_event_delete(&v);
	}
	if (a.nwindows == 0)
		return yerr(ld, start, "'%s' is empty%s", "windows", "");
	c->aggregate = a;
	return 0;
}

static int
load_value(struct loader *ld, struct mm_config *c, const struct key *k,
    const yaml_event_t *v)
{
	char *base = (char *)c;
	double d;

	switch (k->type) {
	case K_DOUBLE:
		if (scalar_num(ld, v, k->name, 0, k->lo, k->hi, &d) < 0)
			return -1;
		*(double *)(base + k->off) = d;
		if (k->off == D(retrain, psi_threshold))
			deprecated(ld, v, "'psi_threshold' is ignored: the "
			    "policy rejects on drift.status severe");
		return 0;
	case K_LONG:
		if (scalar_num(ld, v, k->name, 1, k->lo, k->hi, &d) < 0)
			return -1;
		*(long *)(base + k->off) = (long)d;
		return 0;
	case K_THRESHOLD:
		if (v->type == YAML_SCALAR_EVENT &&
		    strcmp((char *)v->data.scalar.value, "fixed") == 0)
			c->drift.threshold = MM_THRESHOLD_FIXED;
		else if (v->type == YAML_SCALAR_EVENT &&
		    strcmp((char *)v->data.scalar.value, "test") == 0)
			c->drift.threshold = MM_THRESHOLD_TEST;
		else if (v->type == YAML_SCALAR_EVENT &&
		    strcmp((char *)v->data.scalar.value, "chi2") == 0) {
			c->drift.threshold = MM_THRESHOLD_TEST;
			deprecated(ld, v, "'threshold: chi2' is now "
			    "'threshold: test'");
		} else
			return yerr(ld, v, "'%s' must be 'test' or 'fixed'%s",
			    k->name, "");
		return 0;
	case K_WEIGHTS:
		return load_weights(ld, c, v);
	case K_WINDOWS:
		return load_windows(ld, c, v);
	}
	return -1;
}

static int
check(struct loader *ld, const struct mm_config *c, unsigned bit)
{
	if (bit == MM_CFG_DRIFT && !(c->drift.moderate < c->drift.severe))
		return yerr(ld, NULL, "'%s' must be below '%s'", "moderate",
		    "severe");
	if (bit == MM_CFG_TRUST) {
		if (!(c->trust.drift_ok < c->trust.drift_bad))
			return yerr(ld, NULL, "'%s' must be below '%s'",
			    "drift_ok", "drift_bad");
		if (!(c->trust.latency_ok_ms < c->trust.latency_bad_ms))
			return yerr(ld, NULL, "'%s' must be below '%s'",
			    "latency_ok_ms", "latency_bad_ms");
		if (!(c->trust.critical <= c->trust.warning))
			return yerr(ld, NULL, "'%s' must not be above '%s'",
			    "critical", "warning");
	}
	return 0;
}

static int
load_file(struct mm_config *c, const char *path, const struct key *keys,
    unsigned bit, struct mm_err *err)
{
	struct loader ld = { .path = path, .err = err };
	yaml_event_t ev, v;
	const struct key *k;
	FILE *fp;
	int rc = -1, depth = 0, done = 0;
	unsigned long seen = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		mm_errf(err, MM_ESYS, 0, "cannot open: %s", strerror(errno));
		mm_err_where(err, path);
		return -1;
	}
	ld.fp = fp;
	yaml_parser_initialize(&ld.parser);
	yaml_parser_set_input_file(&ld.parser, fp);
	while (!done) {
		if (next(&ld, &ev) < 0)
			goto out;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ > 0) {
				yerr(&ld, &ev, "unexpected nested mapping%s%s",
				    "", "");
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 0) {
				/* An empty document is a null scalar. */
				if (ev.data.scalar.length == 0)
					break;
				yerr(&ld, &ev, "expected 'key: value' lines, "
				    "found '%s'%s",
				    (char *)ev.data.scalar.value,
				    "");
				yaml_event_delete(&ev);
				goto out;
			}
			for (k = keys; k->name != NULL; k++)
				if (strcmp(k->name,
				    (char *)ev.data.scalar.value) == 0)
					break;
			if (k->name == NULL) {
				yerr(&ld, &ev, "unknown key '%s'%s",
				    (char *)ev.data.scalar.value, "");
				yaml_event_delete(&ev);
				goto out;
			}
			if (seen & (1UL << (k - keys))) {
				yerr(&ld, &ev, "key '%s' given twice%s",
				    k->name, "");
				yaml_event_delete(&ev);
				goto out;
			}
			seen |= 1UL << (k - keys);
			if (next(&ld, &v) < 0) {
				yaml_event_delete(&ev);
				goto out;
			}
			ld.key = &ev;
			rc = load_value(&ld, c, k, &v);
			yaml_event_delete(&v);
			if (rc < 0) {
				yaml_event_delete(&ev);
				goto out;
			}
			rc = -1;
			break;
		default:
			yerr(&ld, &ev, "expected 'key: value' lines%s%s", "",
			    "");
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	rc = check(&ld, c, bit);
out:
	yaml_parser_delete(&ld.parser);
	fclose(fp);
	return rc;
}

int
mm_config_load(struct mm_config *c, const char *dir, unsigned which,
    struct mm_err *err)
{
	char path[4096];
	struct stat st;
	size_t i;

	mm_config_defaults(c);
	if (dir == NULL)
		dir = getenv("MM_CONFIG");
	if (dir == NULL || *dir == '\0') {
		if (stat("config", &st) != 0 || !S_ISDIR(st.st_mode))
			return 0;
		dir = "config";
	} else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_EINPUT, 0, "config directory '%s': %s", dir,
		    stat(dir, &st) != 0 ? strerror(errno) :
		    "not a directory");
		return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!(which & files[i].bit))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		if (load_file(c, path, files[i].keys, files[i].bit, err) < 0)
			return -1;
	}
	return 0;
}
