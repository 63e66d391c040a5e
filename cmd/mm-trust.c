/*
 * mm-trust - add an explainable trust score to batch or summary records.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"
#include "trust.h"

static const char *prog = "mm-trust";

enum {
	O_CONFIG, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

/* Input names, in the order of enum MM_T_*. */
static const char *const inputs[MM_T_N] = {
	"accuracy", "f1", "avg_confidence", "drift_score", "latency_ms"
};

static double
number(const struct mm_rec *rec, const char *obj, const char *key,
    struct mm_err *err, int *bad)
{
	const struct mm_field *f = mm_rec_get(rec, obj);
	json_error_t jerr;
	json_t *o, *v;
	double x = NAN;

	if (f == NULL)
		return NAN;
	o = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, &jerr);
	if (!json_is_object(o)) {
		/* Absent or null is unknown; anything else is bad input. */
		if (o == NULL) {
			mm_errf(err, MM_EINPUT, 0, "'%s': %s", obj, jerr.text);
			*bad = 1;
		} else if (!json_is_null(o)) {
			mm_errf(err, MM_EINPUT, 0, "'%s' is not an object",
			    obj);
			*bad = 1;
		}
		json_decref(o);
		return NAN;
	}
	v = json_object_get(o, key);
	if (json_is_number(v))
		x = json_number_value(v);
	else if (v != NULL && !json_is_null(v)) {
		mm_errf(err, MM_EINPUT, 0, "'%s.%s' is not a number", obj,
		    key);
		*bad = 1;
	}
	json_decref(o);
	return x;
}

static void
trust_json(const struct mm_trust_out *t, struct mm_buf *b)
{
	int k, first = 1;

	mm_buf_puts(b, "{\"score\":");
	mm_jw_num(b, t->score);
	mm_buf_puts(b, ",\"components\":{");
	for (k = 0; k < MM_T_N; k++)
		if (t->used[k]) {
			mm_jw_key(b, &first, mm_trust_names[k]);
			mm_jw_num(b, t->value[k]);
		}
	mm_buf_puts(b, "},\"weights\":{");
	first = 1;
	for (k = 0; k < MM_T_N; k++)
		if (t->used[k]) {
			mm_jw_key(b, &first, mm_trust_names[k]);
			mm_jw_num(b, t->weight[k]);
		}
	mm_buf_puts(b, "}}");
}

struct trust {
	struct mm_config cfg;
	struct mm_run run;
	struct mm_rec rec;
	struct mm_buf out;
};

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct trust *tr = ctx;
	struct mm_trust_in in;
	struct mm_trust_out t;
	int k, bad = 0;

	if (mm_rec_parse(&tr->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	for (k = 0; k < MM_T_N; k++)
		in.in[k] = number(&tr->rec, k == MM_T_DRIFT ? "drift" :
		    "metrics", inputs[k], err, &bad);
	if (bad)
		return -1;
	mm_trust(&tr->cfg.trust, &in, &t);
	mm_buf_reset(&tr->out);
	trust_json(&t, &tr->out);
	if (mm_rec_write(stdout, &tr->rec, NULL, "trust", tr->out.p,
	    tr->out.n) < 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-trust",
	    .synopsis = "[--config DIR] [--skip-bad] [--max-record BYTES] "
	    "[FILE ...]",
	    .about = "Add a trust score in [0, 1] from accuracy, F1, "
	    "confidence, drift and latency." };
	struct trust tr;
	struct mm_err err = { 0 };
	const char *config = NULL;
	int o, rc;

	memset(&tr, 0, sizeof(tr));
	tr.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CONFIG: config = st.arg; break;
		case O_SKIPBAD: tr.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &tr.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_config_load(&tr.cfg, config, MM_CFG_TRUST, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_rec_init(&tr.rec);
	mm_buf_init(&tr.out);
	rc = mm_run(&tr.run, argc - st.ind, argv + st.ind, on_line, &tr);
	mm_rec_release(&tr.rec);
	mm_buf_release(&tr.out);
	return mm_run_finish(&tr.run, rc);
}
