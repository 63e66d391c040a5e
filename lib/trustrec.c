/*
 * trustrec.c - one record's trust score (trustrec.h).
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "trust.h"
#include "trustrec.h"

/* Input names, in the order of enum MM_T_*. */
static const char *const inputs[MM_T_N] = {
	"accuracy", "f1", "avg_confidence", "drift_score", "latency_ms"
};

/*
 * The number at obj.key: NaN when obj or key is absent or null.  The
 * scanner finds the key (a drift object holds a number by feature and
 * bin), and only its value is built.
 */
static double
number(const struct mm_rec *rec, const char *obj, const char *key,
    struct mm_rec *sub, struct mm_buf *text, struct mm_err *err, int *bad)
{
	const struct mm_field *f = mm_rec_get(rec, obj), *k;
	json_error_t jerr;
	json_t *v;
	double x = NAN;

	/* Absent or null is unknown; anything else is bad input. */
	if (mm_field_null(f))
		return NAN;
	if (f->val.p[0] != '{') {
		mm_errf(err, MM_EINPUT, 0, "'%s' is not an object", obj);
		*bad = 1;
		return NAN;
	}
	if (mm_rec_sub(sub, text, f, err) < 0) {
		*bad = 1;
		return NAN;
	}
	if ((k = mm_rec_get(sub, key)) == NULL)
		return NAN;
	if ((v = json_loadb(k->val.p, k->val.n, JSON_DECODE_ANY,
	    &jerr)) == NULL) {
		mm_errf(err, MM_EINPUT, 0, "'%s': %s", obj, jerr.text);
		*bad = 1;
	} else if (json_is_number(v))
		x = json_number_value(v);
	else if (!json_is_null(v)) {
		mm_errf(err, MM_EINPUT, 0, "'%s.%s' is not a number", obj,
		    key);
		*bad = 1;
	}
	json_decref(v);
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
mm_trust_json(const struct mm_trust_cfg *cfg, const struct mm_rec *rec,
    struct mm_buf *out, struct mm_err *err)
{
	struct mm_trust_in in;
	struct mm_trust_out t;
	struct mm_buf text;
	struct mm_rec sub;
	int k, bad = 0;

	mm_rec_init(&sub);
	mm_buf_init(&text);
	for (k = 0; k < MM_T_N && !bad; k++)
		in.in[k] = number(rec, k == MM_T_DRIFT ? "drift" : "metrics",
		    inputs[k], &sub, &text, err, &bad);
	mm_rec_release(&sub);
	mm_buf_release(&text);
	if (bad)
		return -1;
	mm_trust(cfg, &in, &t);
	trust_json(&t, out);
	return 0;
}

int
mm_trust_line(const struct mm_trust_cfg *cfg, struct mm_rec *rec,
    const char *line, size_t len, struct mm_buf *out, struct mm_err *err)
{
	struct mm_buf tb;
	int rc;

	if (mm_rec_parse(rec, line, len, NULL, NULL, err) < 0)
		return -1;
	mm_buf_init(&tb);
	if ((rc = mm_trust_json(cfg, rec, &tb, err)) == 0)
		mm_rec_put(out, rec, NULL, "trust", tb.p, tb.n);
	mm_buf_release(&tb);
	return rc;
}
