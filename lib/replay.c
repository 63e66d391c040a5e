/*
 * replay.c - stored decisions recomputed (replay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "psi.h"
#include "replay.h"

int
mm_status_parse(const char *s)
{
	int i;

	for (i = MM_STABLE; i <= MM_SEVERE; i++)
		if (strcmp(s, mm_status_names[i]) == 0)
			return i;
	return -1;
}

int
mm_signal_drifted(json_t *x, struct mm_signal *sig)
{
	json_t *v;
	size_t i;

	if (x == NULL || json_is_null(x))
		return 0;
	if (!json_is_array(x))
		return -1;
	json_array_foreach(x, i, v)
		if (!json_is_string(v))
			return -1;
	sig->ndrifted = (int)json_array_size(x);
	sig->drifted = sig->ndrifted > 0 ?
	    json_string_value(json_array_get(x, 0)) : NULL;
	return 0;
}

static int
meta_number(json_t *m, const char *key, int *has, double *v)
{
	json_t *x = json_object_get(m, key);

	*has = json_is_number(x);
	*v = *has ? json_number_value(x) : 0;
	return x == NULL || json_is_null(x) || *has ? 0 : -1;
}

/* mm_replay_meta, with the counts it reads left in cm[] to be freed. */
static int
replay_meta(json_t *meta, struct mm_decision *dec, long **cm,
    struct mm_err *err)
{
	struct mm_retrain_cfg c;
	struct mm_policy_state st;
	struct mm_signal sig;
	json_t *pol = json_object_get(meta, "policy"), *rec, *v;
	size_t i;
	int has, a, k = 0, kp = 0;

	memset(&st, 0, sizeof(st));
	memset(&sig, 0, sizeof(sig));
	memset(&c, 0, sizeof(c));
	if (!json_is_object(pol) || !json_is_array(rec =
	    json_object_get(meta, "recent")) ||
	    meta_number(meta, "drift_score", &sig.has_drift,
	    &sig.drift_score) < 0 || meta_number(meta, "f1", &sig.has_f1,
	    &sig.f1) < 0 || meta_number(meta, "f1_sustained",
	    &sig.has_f1_sustained, &sig.f1_sustained) < 0 ||
	    meta_number(meta, "trust", &sig.has_trust, &sig.trust) < 0 ||
	    meta_number(meta, "baseline_f1", &st.has_baseline,
	    &st.baseline_f1) < 0)
		return mm_errf(err, MM_EINPUT, 0, "metadata is incomplete");
	/* Without drift_status, rule 1 as the older mm had it. */
	v = json_object_get(meta, "drift_status");
	if (v == NULL) {
		sig.drift_by_score = 1;
		if (meta_number(pol, "psi_threshold", &has,
		    &c.psi_threshold) < 0 || !has)
			return mm_errf(err, MM_EINPUT, 0, "metadata is "
			    "incomplete");
	} else if (json_is_string(v)) {
		if ((sig.drift_status = mm_status_parse(json_string_value(v))) <
		    0)
			return mm_errf(err, MM_EINPUT, 0, "metadata has an "
			    "unknown drift_status");
		sig.has_drift_status = 1;
	} else if (!json_is_null(v))
		return mm_errf(err, MM_EINPUT, 0, "metadata is incomplete");
	if (mm_signal_drifted(json_object_get(meta, "drifted"), &sig) < 0)
		return mm_errf(err, MM_EINPUT, 0, "metadata is incomplete");
	st.staged = json_is_true(json_object_get(meta, "staged"));
	st.no_previous = json_is_false(json_object_get(meta, "has_previous"));
	json_array_foreach(rec, i, v) {
		a = json_is_string(v) ? mm_action_parse(json_string_value(v)) :
		    -1;
		if (a < 0)
			return mm_errf(err, MM_EINPUT, 0, "metadata has an "
			    "unknown action");
		mm_policy_push(&st, a);
	}
	meta_number(pol, "max_f1_drop", &has, &c.max_f1_drop);
	meta_number(pol, "min_f1_gain", &has, &c.min_f1_gain);
	/* Decisions on confusion counts carry them and the bound's level. */
	if (json_object_get(meta, "confusion") != NULL) {
		if (mm_confusion_parse(json_object_get(meta, "confusion"), cm,
		    &k) != 0 || mm_confusion_parse(json_object_get(meta,
		    "pooled"), cm + 1, &kp) < 0 || (cm[1] != NULL &&
		    kp != k) || meta_number(pol, "alpha_f1", &has,
		    &c.alpha_f1) < 0 || !has)
			return mm_errf(err, MM_EINPUT, 0, "metadata is "
			    "incomplete");
		sig.nclass = k;
		sig.confusion = cm[0];
		sig.pooled = cm[1];
	}
	c.cooldown_batches = (long)json_integer_value(json_object_get(pol,
	    "cooldown_batches"));
	c.min_stable_batches = (long)json_integer_value(json_object_get(pol,
	    "min_stable_batches"));
	return mm_policy_decide(&c, &sig, &st, dec, err);
}

int
mm_replay_meta(json_t *meta, struct mm_decision *dec, struct mm_err *err)
{
	long *cm[2] = { NULL, NULL };
	int rc;

	rc = replay_meta(meta, dec, cm, err);
	free(cm[0]);
	free(cm[1]);
	return rc;
}

int
mm_replay(struct mm_db *db, double from, double to, FILE *out,
    long *n, long *differ, struct mm_err *err)
{
	struct mm_err e = { 0 };
	struct mm_decision dec;
	struct mm_buf b;
	struct mm_stmt *st;
	json_t *meta;
	const char *stored, *source;
	long id;

	*n = *differ = 0;
	st = mm_db_prepare(db, "SELECT id, ts, source, action, metadata FROM "
	    "decision_history WHERE ts >= ?1 AND ts <= ?2 ORDER BY id", err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, from);
	mm_bind_double(st, 2, to);
	mm_buf_init(&b);
	while (mm_step(st) == MM_ROW) {
		stored = (const char *)mm_col_text(st, 3);
		source = (const char *)mm_col_text(st, 2);
		id = (long)mm_col_int64(st, 0);
		(*n)++;
		meta = json_loads((const char *)mm_col_text(st, 4), 0,
		    NULL);
		mm_buf_reset(&b);
		if (!json_is_object(meta))
			mm_errf(&e, MM_EINPUT, 0, "metadata is not a JSON "
			    "object");
		if (json_is_object(meta) && mm_replay_meta(meta, &dec,
		    &e) == 0 && strcmp(mm_action_names[dec.action],
		    stored) == 0) {
			json_decref(meta);
			continue;
		}
		mm_buf_printf(&b, "{\"id\":%ld,\"ts\":", id);
		mm_jw_num(&b, mm_col_double(st, 1));
		mm_buf_puts(&b, ",\"source\":");
		mm_jw_str(&b, source ? source : "");
		mm_buf_puts(&b, ",\"stored\":");
		mm_jw_str(&b, stored);
		if (e.msg[0] != '\0') {
			mm_buf_puts(&b, ",\"error\":");
			mm_jw_str(&b, e.msg);
		} else {
			mm_buf_printf(&b, ",\"recomputed\":\"%s\","
			    "\"reason\":", mm_action_names[dec.action]);
			mm_jw_str(&b, dec.reason);
		}
		mm_buf_puts(&b, "}\n");
		fputs(b.p, out);
		(*differ)++;
		json_decref(meta);
		memset(&e, 0, sizeof(e));
	}
	mm_finalize(st);
	mm_buf_release(&b);
	return 0;
}

int
mm_history_seed(struct mm_db *db, struct mm_policy_state *pst,
    struct mm_err *err)
{
	struct mm_stmt *st;
	int acts[MM_POLICY_HISTORY], n = 0, a;

	st = mm_db_prepare(db, "SELECT action FROM decision_history "
	    "ORDER BY id DESC LIMIT ?1", err);
	if (st == NULL)
		return -1;
	mm_bind_int(st, 1, MM_POLICY_HISTORY);
	while (mm_step(st) == MM_ROW) {
		/* An action this mm does not know is not counted as none. */
		a = mm_action_parse((const char *)mm_col_text(st, 0));
		if (a >= 0)
			acts[n++] = a;
	}
	mm_finalize(st);
	while (n > 0)
		mm_policy_push(pst, acts[--n]);
	return 0;
}
