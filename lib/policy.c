#include <math.h>
#include <string.h>

#include "json.h"
#include "metrics.h"
#include "policy.h"

const char *const mm_action_names[MM_NACTIONS] = {
	"none", "reject", "rollback", "retrain", "promote"
};

int
mm_action_parse(const char *s)
{
	int i;

	for (i = 0; i < MM_NACTIONS; i++)
		if (strcmp(s, mm_action_names[i]) == 0)
			return i;
	return -1;
}

static int
check(int has, double v, double lo, double hi, const char *name,
    struct mm_err *err)
{
	char num[40];

	if (!has)
		return 0;
	if (!isfinite(v))
		return mm_errf(err, MM_EINPUT, 0, "%s %g is not finite", name,
		    v);
	/* The value as it reads back: 1.0000000000000002, not 1. */
	if (v < lo || v > hi) {
		mm_fmt_double(num, sizeof(num), v);
		return mm_errf(err, MM_EINPUT, 0, "%s %s is out of range "
		    "[%g, %g]", name, num, lo, hi);
	}
	return 0;
}

void
mm_policy_push(struct mm_policy_state *st, int action)
{
	if (st->nrecent == MM_POLICY_HISTORY) {
		memmove(st->recent, st->recent + 1,
		    (MM_POLICY_HISTORY - 1) * sizeof(st->recent[0]));
		st->nrecent--;
	}
	st->recent[st->nrecent++] = action;
}

/*
 * The action and why.  SAY formats the reason with mm_buf_printf
 * (json.c), so the policy itself needs no <stdio.h> (make lint); the
 * reason is cut to fit as vsnprintf would cut it.
 */
#define SAY(out, action, ...) do {					\
	struct mm_buf say_b;						\
									\
	mm_buf_init(&say_b);						\
	mm_buf_printf(&say_b, __VA_ARGS__);				\
	set_reason((out), (action), &say_b);				\
} while (0)

static void
set_reason(struct mm_decision *out, int action, struct mm_buf *b)
{
	size_t n = b->n < sizeof(out->reason) ? b->n :
	    sizeof(out->reason) - 1;

	out->action = action;
	if (n > 0)
		memcpy(out->reason, b->p, n);
	out->reason[n] = '\0';
	mm_buf_release(b);
}

/* Rule 3's cooldown: 1 (out set to none) if a retrain was recent. */
static int
cooldown(const struct mm_retrain_cfg *cfg, const struct mm_policy_state *st,
    struct mm_decision *out)
{
	int i, n;

	n = st->nrecent < cfg->cooldown_batches ? st->nrecent :
	    (int)cfg->cooldown_batches;
	for (i = st->nrecent - n; i < st->nrecent; i++)
		if (st->recent[i] == MM_RETRAIN) {
			SAY(out, MM_NONE, "retrain cooldown: a retrain within "
			    "the last %ld decisions", cfg->cooldown_batches);
			return 1;
		}
	return 0;
}

/* Rules 4 and 5. */
static int
promote_or_none(const struct mm_retrain_cfg *cfg,
    const struct mm_policy_state *st, struct mm_decision *out)
{
	int i;

	if (st->staged && st->nrecent >= cfg->min_stable_batches) {
		for (i = st->nrecent - (int)cfg->min_stable_batches;
		    i < st->nrecent; i++)
			if (st->recent[i] != MM_NONE)
				break;
		if (i == st->nrecent) {
			SAY(out, MM_PROMOTE, "candidate staged and the last "
			    "%ld decisions were none",
			    cfg->min_stable_batches);
			return 0;
		}
	}
	SAY(out, MM_NONE, "no rule matched");
	return 0;
}

/* What the counts say, for rules 2 and 3 and for the record. */
static void
count_stats(const struct mm_retrain_cfg *cfg, const struct mm_signal *sig,
    struct mm_decision *out)
{
	int k = sig->nclass;

	out->rows = mm_confusion_total(sig->confusion, k);
	out->f1_upper = mm_f1_upper(sig->confusion, k, cfg->alpha_f1,
	    MM_F1_DRAWS);
	out->pooled_rows = sig->pooled ? mm_confusion_total(sig->pooled, k) :
	    0;
	if (out->pooled_rows > 0) {
		out->pooled_f1 = mm_confusion_f1(sig->pooled, k);
		out->pooled_upper = mm_f1_upper(sig->pooled, k, cfg->alpha_f1,
		    MM_F1_DRAWS);
	}
}

/* Rules 2 to 5 on confusion counts (count_stats has run). */
static int
decide_counts(const struct mm_retrain_cfg *cfg, const struct mm_signal *sig,
    const struct mm_policy_state *st, struct mm_decision *out)
{
	double line;

	if (!st->has_baseline)
		return promote_or_none(cfg, st, out);
	line = st->baseline_f1 - cfg->max_f1_drop;
	if (out->rows > 0 && out->f1_upper < line && !st->no_previous) {
		SAY(out, MM_ROLLBACK, "f1 upper bound %.4g on %ld rows is "
		    "below baseline %.4g - max_f1_drop %.4g", out->f1_upper,
		    out->rows, st->baseline_f1, cfg->max_f1_drop);
		return 0;
	}
	/*
	 * With nothing to roll back to, a collapse of the live version's
	 * rows is retrained on at once: the pool would wait for the rows
	 * from before the collapse to age out.
	 */
	if (out->rows > 0 && out->f1_upper < line && sig->pooled != NULL) {
		if (cooldown(cfg, st, out))
			return 0;
		SAY(out, MM_RETRAIN, "f1 upper bound %.4g on %ld rows is below "
		    "baseline %.4g - max_f1_drop %.4g, and no version to roll "
		    "back to", out->f1_upper, out->rows, st->baseline_f1,
		    cfg->max_f1_drop);
		return 0;
	}
	line = st->baseline_f1 - cfg->min_f1_gain;
	if (out->pooled_rows > 0 && out->pooled_upper < line) {
		if (cooldown(cfg, st, out))
			return 0;
		SAY(out, MM_RETRAIN, "f1 upper bound %.4g on %ld recent rows "
		    "is below baseline %.4g - min_f1_gain %.4g",
		    out->pooled_upper, out->pooled_rows, st->baseline_f1,
		    cfg->min_f1_gain);
		return 0;
	}
	return promote_or_none(cfg, st, out);
}

int
mm_policy_decide(const struct mm_retrain_cfg *cfg,
    const struct mm_signal *sig, const struct mm_policy_state *st,
    struct mm_decision *out, struct mm_err *err)
{
	double drop;
	int i;

	memset(out, 0, sizeof(*out));
	out->f1_upper = out->pooled_f1 = out->pooled_upper = NAN;
	if (check(sig->has_drift, sig->drift_score, 0, INFINITY,
	    "drift_score", err) < 0 || check(sig->has_f1, sig->f1, 0, 1,
	    "f1", err) < 0 || check(sig->has_f1_sustained, sig->f1_sustained,
	    0, 1, "f1_sustained", err) < 0 ||
	    check(sig->has_trust, sig->trust, 0, 1,
	    "trust", err) < 0 || check(st->has_baseline, st->baseline_f1, 0,
	    1, "baseline_f1", err) < 0)
		return -1;
	if (sig->has_drift_status && (sig->drift_status < MM_STABLE ||
	    sig->drift_status > MM_SEVERE))
		return mm_errf(err, MM_EINPUT, 0, "drift_status %d is not "
		    "stable, moderate or severe", sig->drift_status);
	if (sig->nclass < 0 || sig->nclass > MM_MAX_CLASSES)
		return mm_errf(err, MM_EINPUT, 0, "nclass %d is out of range "
		    "[0, %d]", sig->nclass, MM_MAX_CLASSES);
	if (sig->nclass > 0 && sig->confusion == NULL)
		return mm_errf(err, MM_EINPUT, 0, "nclass %d without confusion "
		    "counts", sig->nclass);
	for (i = 0; i < sig->nclass * sig->nclass; i++)
		if (sig->confusion[i] < 0 || (sig->pooled != NULL &&
		    sig->pooled[i] < 0))
			return mm_errf(err, MM_EINPUT, 0, "a confusion count "
			    "is negative");
	if (sig->ndrifted < (sig->drifted != NULL))
		return mm_errf(err, MM_EINPUT, 0, "ndrifted %d is out of "
		    "range [%d, inf]", sig->ndrifted, sig->drifted != NULL);
	if (sig->nclass > 0)
		count_stats(cfg, sig, out);
	if (sig->drift_by_score) {
		if (sig->has_drift && sig->drift_score >= cfg->psi_threshold) {
			SAY(out, MM_REJECT, "drift_score %.4g >= "
			    "psi_threshold %.4g", sig->drift_score,
			    cfg->psi_threshold);
			return 0;
		}
	} else if (sig->has_drift_status && sig->drift_status == MM_SEVERE) {
		/* A long name is cut so that the count still fits. */
		if (sig->drifted == NULL)
			SAY(out, MM_REJECT, "drift severe");
		else if (sig->ndrifted == 1)
			SAY(out, MM_REJECT, "drift severe: '%.200s' drifted",
			    sig->drifted);
		else
			SAY(out, MM_REJECT, "drift severe: '%.200s' drifted "
			    "(+%d more)", sig->drifted, sig->ndrifted - 1);
		return 0;
	}
	if (sig->nclass > 0)
		return decide_counts(cfg, sig, st, out);
	if (sig->has_f1 && st->has_baseline) {
		drop = st->baseline_f1 - sig->f1;
		/* With nothing to roll back to, a collapse is retrained on. */
		if (drop >= cfg->max_f1_drop && !st->no_previous) {
			SAY(out, MM_ROLLBACK, "f1 dropped %.4g below the "
			    "baseline, >= max_f1_drop %.4g", drop,
			    cfg->max_f1_drop);
			return 0;
		}
		if (sig->has_f1_sustained)
			drop = st->baseline_f1 - sig->f1_sustained;
		if (drop >= cfg->min_f1_gain) {
			if (cooldown(cfg, st, out))
				return 0;
			if (sig->has_f1_sustained)
				SAY(out, MM_RETRAIN, "f1 over recent batches "
				    "is %.4g below the baseline, >= "
				    "min_f1_gain %.4g", drop, cfg->min_f1_gain);
			else
				SAY(out, MM_RETRAIN, "f1 dropped %.4g below "
				    "the baseline, >= min_f1_gain %.4g", drop,
				    cfg->min_f1_gain);
			return 0;
		}
	}
	return promote_or_none(cfg, st, out);
}
