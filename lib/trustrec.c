/*
 * trustrec.c - one record's trust score (trustrec.h).
 */
#include <jansson.h>
#include <math.h>

#include "trust.h"
#include "trustrec.h"

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

int
mm_trust_line(const struct mm_trust_cfg *cfg, struct mm_rec *rec,
    char *line, size_t len, struct mm_buf *out, struct mm_err *err)
{
	struct mm_trust_in in;
	struct mm_trust_out t;
	struct mm_buf tb;
	int k, bad = 0;

	if (mm_rec_parse(rec, line, len, NULL, NULL, err) < 0)
		return -1;
	for (k = 0; k < MM_T_N; k++)
		in.in[k] = number(rec, k == MM_T_DRIFT ? "drift" : "metrics",
		    inputs[k], err, &bad);
	if (bad)
		return -1;
	mm_trust(cfg, &in, &t);
	mm_buf_init(&tb);
	trust_json(&t, &tb);
	mm_rec_put(out, rec, NULL, "trust", tb.p, tb.n);
	mm_buf_release(&tb);
	return 0;
}
