/*
 * test_policy.c - the decision policy (mm(7), Decisions): every rule, its
 * boundary one ulp either side, the order between the rules, the retrain
 * cooldown, promotion after stable batches, out-of-range inputs, the
 * action names and the history.  Rule 1 acts on the drift status; the
 * rule of an older mm (drift_score >= psi_threshold) is kept for replay.
 * Rules 2 and 3 judge confusion counts by an upper bound on F1 when the
 * signal has them (test_counts_*), and the F1 as given when it has not
 * (the point rules, tested to the ulp below).
 *
 * Most boundaries are tested twice: with the default thresholds, whose
 * decimal values are not exact in binary, and with dyadic values (0.75 -
 * 0.5 = 0.25, 0.75 - 0.625 = 0.125), where by Sterbenz's lemma every
 * difference of two inputs within a factor two of each other is exact, so
 * the ulp either side of a threshold is known.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "policy.h"
#include "psi.h"

#define EXPECT(c, s, st, action, reason) \
	expect(__LINE__, (c), (s), (st), (action), (reason))
#define EXPECT_ERR(c, s, st, msg) expect_err(__LINE__, (c), (s), (st), (msg))

/* The defaults of retrain.yaml: 0.15, 0.02, 5, 5 (psi_threshold 0.2). */
static struct mm_retrain_cfg
defaults(void)
{
	struct mm_config c;

	mm_config_defaults(&c);
	return c.retrain;
}

/* Dyadic thresholds: psi 0.25, rollback at 0.25, retrain at 0.125. */
static struct mm_retrain_cfg
dyadic(void)
{
	struct mm_retrain_cfg c = defaults();

	c.psi_threshold = 0.25;
	c.max_f1_drop = 0.25;
	c.min_f1_gain = 0.125;
	return c;
}

/* Set the recent actions from a list of names, oldest first. */
static void
set_recent(struct mm_policy_state *st, const char *list)
{
	char buf[1024], *tok, *save = NULL;
	int a;

	st->nrecent = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		a = mm_action_parse(tok);
		if (a < 0)
			fail_msg("set_recent: '%s' is not an action", tok);
		st->recent[st->nrecent++] = a;
	}
}

/* A drift status, with the first drifted feature and their number. */
static struct mm_signal
status(int drift_status, const char *drifted, int ndrifted)
{
	struct mm_signal s = { .has_drift_status = 1,
	    .drift_status = drift_status, .drifted = drifted,
	    .ndrifted = ndrifted };

	return s;
}

/* A drift score judged as an older mm did, for replay. */
static struct mm_signal
by_score(double drift_score)
{
	struct mm_signal s = { .has_drift = 1, .drift_score = drift_score,
	    .drift_by_score = 1 };

	return s;
}

static struct mm_signal
f1_only(double f1)
{
	struct mm_signal s = { .has_f1 = 1, .f1 = f1 };

	return s;
}

static struct mm_policy_state
baseline(double b)
{
	struct mm_policy_state st = { .has_baseline = 1, .baseline_f1 = b };

	return st;
}

static void
expect(int line, const struct mm_retrain_cfg *c, const struct mm_signal *s,
    const struct mm_policy_state *st, int action, const char *reason)
{
	struct mm_decision d;
	struct mm_err err = { 0 };

	/* Garbage in the output: the decision must overwrite all of it. */
	memset(&d, 0xa5, sizeof(d));
	if (mm_policy_decide(c, s, st, &d, &err) != 0)
		fail_msg("line %d: error '%s'", line, err.msg);
	if (d.action < 0 || d.action >= MM_NACTIONS)
		fail_msg("line %d: action %d", line, d.action);
	if (d.action != action)
		fail_msg("line %d: %s (%s), want %s", line,
		    mm_action_names[d.action], d.reason,
		    mm_action_names[action]);
	if (memchr(d.reason, '\0', sizeof(d.reason)) == NULL)
		fail_msg("line %d: reason not terminated", line);
	if (reason != NULL && strcmp(d.reason, reason) != 0)
		fail_msg("line %d: reason '%s', want '%s'", line, d.reason,
		    reason);
}

static void
expect_err(int line, const struct mm_retrain_cfg *c,
    const struct mm_signal *s, const struct mm_policy_state *st,
    const char *msg)
{
	struct mm_decision d;
	struct mm_err err = { 0 };

	if (mm_policy_decide(c, s, st, &d, &err) != -1)
		fail_msg("line %d: no error, decided %s (%s)", line,
		    d.action >= 0 && d.action < MM_NACTIONS ?
		    mm_action_names[d.action] : "?", d.reason);
	if (err.code != MM_EINPUT)
		fail_msg("line %d: code %d, want %d", line, err.code,
		    MM_EINPUT);
	if (err.line != 0)
		fail_msg("line %d: err.line %ld", line, err.line);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("line %d: '%s', want '%s'", line, err.msg, msg);
	/* A caller may pass no error struct. */
	if (mm_policy_decide(c, s, st, &d, NULL) != -1)
		fail_msg("line %d: no error without err", line);
}

static void
test_action_names(void **state)
{
	static const char *const want[] = { "none", "reject", "rollback",
	    "retrain", "promote" };
	int i;

	(void)state;
	assert_int_equal(MM_NACTIONS, 5);
	assert_int_equal(MM_NONE, 0);
	for (i = 0; i < MM_NACTIONS; i++) {
		assert_string_equal(mm_action_names[i], want[i]);
		assert_int_equal(mm_action_parse(want[i]), i);
	}
	assert_int_equal(mm_action_parse(""), -1);
	assert_int_equal(mm_action_parse("None"), -1);
	assert_int_equal(mm_action_parse("retrain "), -1);
	assert_int_equal(mm_action_parse("retrai"), -1);
	assert_int_equal(mm_action_parse("promoted"), -1);
	assert_int_equal(mm_action_parse("cooldown"), -1);
}

static void
test_nothing_known(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = { 0 };
	struct mm_policy_state st = { 0 };

	(void)state;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* F1 at or above the baseline. */
	s = f1_only(0.9);
	st = baseline(0.9);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = f1_only(1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = f1_only(0);
	st = baseline(0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 1: a severe drift status rejects, naming the first drifted feature. */
static void
test_reject_status(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = status(MM_SEVERE, "f3", 1);
	struct mm_policy_state st = { 0 };
	char name[300], want[300];

	(void)state;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted");
	s = status(MM_SEVERE, "f3", 2);
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted (+1 more)");
	s = status(MM_SEVERE, "income band", 100);
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift severe: 'income band' drifted (+99 more)");
	/* No names (threshold: fixed grades the batch, not features). */
	s = status(MM_SEVERE, NULL, 0);
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe");
	/* A long name is cut at 200 bytes; the count is kept. */
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s = status(MM_SEVERE, name, 3);
	snprintf(want, sizeof(want), "drift severe: '%.200s' drifted "
	    "(+2 more)", name);
	EXPECT(&c, &s, &st, MM_REJECT, want);

	/* Moderate and stable do not reject. */
	s = status(MM_MODERATE, "f3", 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = status(MM_STABLE, NULL, 0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");

	/* The drift score plays no part, however large. */
	s = status(MM_STABLE, NULL, 0);
	s.has_drift = 1;
	s.drift_score = 1e300;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = status(MM_SEVERE, "f0", 1);
	s.has_drift = 1;
	s.drift_score = 0;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f0' drifted");

	/* No status: no drift signal, whatever the score says. */
	s = (struct mm_signal){ .has_drift = 1, .drift_score = 6.648 };
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* An absent status is not read. */
	s = status(MM_SEVERE, "f3", 1);
	s.has_drift_status = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_status = 7;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 1 of an older mm, for replay: drift_score >= psi_threshold 0.2. */
static void
test_reject_by_score_default(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = by_score(0.2);
	struct mm_policy_state st = { 0 };

	(void)state;
	assert_true(c.psi_threshold == 0.2);
	EXPECT(&c, &s, &st, MM_REJECT, "drift_score 0.2 >= psi_threshold 0.2");
	s.drift_score = nextafter(0.2, 0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_score = nextafter(0.2, 1);
	EXPECT(&c, &s, &st, MM_REJECT, "drift_score 0.2 >= psi_threshold 0.2");
	s.drift_score = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_score = 0.19;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_score = 6.648164912104774;
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 6.648 >= psi_threshold 0.2");
	s.drift_score = 1e300;
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 1e+300 >= psi_threshold 0.2");
	/* Without a drift score the old rule 1 is skipped. */
	s.has_drift = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");

	/* The old rule alone: a status (there was none then) is not read. */
	s = by_score(0.1);
	s.has_drift_status = 1;
	s.drift_status = MM_SEVERE;
	s.drifted = "f3";
	s.ndrifted = 1;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_score = 0.3;
	s.drift_status = MM_STABLE;
	EXPECT(&c, &s, &st, MM_REJECT, "drift_score 0.3 >= psi_threshold 0.2");
}

/* The old rule 1 with psi_threshold 0.25, and moved by an ulp. */
static void
test_reject_by_score_dyadic(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = by_score(0.25);
	struct mm_policy_state st = { 0 };

	(void)state;
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 0.25 >= psi_threshold 0.25");
	s.drift_score = nextafter(0.25, 0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.drift_score = nextafter(0.25, 1);
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 0.25 >= psi_threshold 0.25");

	s.drift_score = 0.25;
	c.psi_threshold = nextafter(0.25, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	c.psi_threshold = nextafter(0.25, 0);
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 0.25 >= psi_threshold 0.25");

	/* A threshold of 0 rejects every batch with a drift score. */
	c.psi_threshold = 0;
	s.drift_score = 0;
	EXPECT(&c, &s, &st, MM_REJECT, "drift_score 0 >= psi_threshold 0");

	/* The reason rounds to four significant digits. */
	c.psi_threshold = 0.123456;
	s.drift_score = 0.3;
	EXPECT(&c, &s, &st, MM_REJECT,
	    "drift_score 0.3 >= psi_threshold 0.1235");

	/* psi_threshold is read by the old rule only. */
	s.drift_by_score = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 2 with max_f1_drop 0.15. */
static void
test_rollback_default(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = f1_only(0);
	struct mm_policy_state st = baseline(0.15);

	(void)state;
	assert_true(c.max_f1_drop == 0.15);
	/* 0.15 - 0 is 0.15 exactly. */
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.15 below the baseline, >= max_f1_drop 0.15");
	st.baseline_f1 = nextafter(0.15, 0);
	EXPECT(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.15 below the baseline, >= min_f1_gain 0.02");
	st.baseline_f1 = nextafter(0.15, 1);
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.15 below the baseline, >= max_f1_drop 0.15");

	/*
	 * Decimal differences are not exact: 0.8 - 0.65 is
	 * 0.15000000000000002 and rolls back, 0.95 - 0.8 is
	 * 0.1499999999999999 and 0.35 - 0.2 is 0.14999999999999997, which
	 * only retrain.
	 */
	s = f1_only(0.65);
	st = baseline(0.8);
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.15 below the baseline, >= max_f1_drop 0.15");
	s = f1_only(0.8);
	st = baseline(0.95);
	EXPECT(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.15 below the baseline, >= min_f1_gain 0.02");
	s = f1_only(0.2);
	st = baseline(0.35);
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	s = f1_only(0.5);
	st = baseline(0.9459459459459459);
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.4459 below the baseline, >= max_f1_drop 0.15");
	s = f1_only(0);
	st = baseline(1);
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 1 below the baseline, >= max_f1_drop 0.15");
}

/* Rule 2 with max_f1_drop 0.25: 0.5 - 0.25 and 0.75 - 0.5 are exact. */
static void
test_rollback_dyadic(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = f1_only(0.25);
	struct mm_policy_state st = baseline(0.5);
	const char *roll =
	    "f1 dropped 0.25 below the baseline, >= max_f1_drop 0.25";

	(void)state;
	EXPECT(&c, &s, &st, MM_ROLLBACK, roll);
	s = f1_only(0.5);
	st = baseline(0.75);
	EXPECT(&c, &s, &st, MM_ROLLBACK, roll);

	/* f1 an ulp up: 0.75 - (0.5 + 2^-53) = 0.25 - 2^-53. */
	s.f1 = nextafter(0.5, 1);
	EXPECT(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.25 below the baseline, >= min_f1_gain 0.125");
	/* f1 an ulp down: 0.75 - (0.5 - 2^-54) = 0.25 + 2^-54. */
	s.f1 = nextafter(0.5, 0);
	EXPECT(&c, &s, &st, MM_ROLLBACK, roll);

	s.f1 = 0.5;
	st.baseline_f1 = nextafter(0.75, 0);
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	st.baseline_f1 = nextafter(0.75, 1);
	EXPECT(&c, &s, &st, MM_ROLLBACK, roll);

	st.baseline_f1 = 0.75;
	c.max_f1_drop = nextafter(0.25, 1);
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	c.max_f1_drop = nextafter(0.25, 0);
	EXPECT(&c, &s, &st, MM_ROLLBACK, roll);

	/* max_f1_drop 0: any F1 at or below the baseline rolls back. */
	c.max_f1_drop = 0;
	s.f1 = 0.75;
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0 below the baseline, >= max_f1_drop 0");
	s.f1 = nextafter(0.75, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 3 with min_f1_gain 0.02. */
static void
test_retrain_default(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = f1_only(0);
	struct mm_policy_state st = baseline(0.02);
	const char *retrain =
	    "f1 dropped 0.02 below the baseline, >= min_f1_gain 0.02";

	(void)state;
	assert_true(c.min_f1_gain == 0.02);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	st.baseline_f1 = nextafter(0.02, 0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	st.baseline_f1 = nextafter(0.02, 1);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);

	/*
	 * 0.9 - 0.88 is 0.020000000000000018: retrain; 0.82 - 0.8 and
	 * 0.7 - 0.68 are 0.019999999999999907: none.
	 */
	s = f1_only(0.88);
	st = baseline(0.9);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	s = f1_only(0.8);
	st = baseline(0.82);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = f1_only(0.68);
	st = baseline(0.7);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = f1_only(0.9);
	st = baseline(0.9459459459459459);
	EXPECT(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.04595 below the baseline, >= min_f1_gain 0.02");
}

/* Rule 3 with min_f1_gain 0.125: 0.75 - 0.625 is exact. */
static void
test_retrain_dyadic(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = f1_only(0.625);
	struct mm_policy_state st = baseline(0.75);
	const char *retrain =
	    "f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125";

	(void)state;
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	/* 0.75 - (0.625 + 2^-53) = 0.125 - 2^-53. */
	s.f1 = nextafter(0.625, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.f1 = nextafter(0.625, 0);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);

	s.f1 = 0.625;
	st.baseline_f1 = nextafter(0.75, 0);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	st.baseline_f1 = nextafter(0.75, 1);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);

	st.baseline_f1 = 0.75;
	c.min_f1_gain = nextafter(0.125, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	c.min_f1_gain = nextafter(0.125, 0);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);

	/* Just below max_f1_drop is still a retrain. */
	c = dyadic();
	s.f1 = nextafter(0.5, 1);
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);

	/* With the two thresholds equal, rule 2 wins. */
	c.min_f1_gain = 0.25;
	s.f1 = 0.5;
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.25 below the baseline, >= max_f1_drop 0.25");
	s.f1 = nextafter(0.5, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

static void
test_rule_order(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = { .has_drift = 1, .drift_score = 0.25,
	    .has_drift_status = 1, .drift_status = MM_SEVERE,
	    .drifted = "f3", .ndrifted = 1,
	    .has_f1 = 1, .f1 = 0, .has_trust = 1, .trust = 0 };
	struct mm_policy_state st = baseline(1);

	(void)state;
	/* Severe drift beats a catastrophic F1 drop and a staged candidate. */
	st.staged = 1;
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted");
	/* Moderate drift: the F1 drop decides. */
	s.drift_status = MM_MODERATE;
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 1 below the baseline, >= max_f1_drop 0.25");
	s.drift_status = MM_STABLE;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	s.has_drift_status = 0;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	s.has_drift_status = 1;
	s.drift_status = MM_MODERATE;
	/* Rollback beats retrain, and no cooldown holds it back. */
	set_recent(&st, "retrain retrain retrain retrain retrain");
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	/* Retrain beats promote. */
	s.f1 = 0.875;
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.125 below the baseline, >= min_f1_gain 0.125");
	/* No drop: promote. */
	s.f1 = 1;
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 5 decisions were none");
	/* Drift beats promote too, and retrain. */
	s.drift_status = MM_SEVERE;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted");
	s.f1 = 0.875;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted");
	/* Even in a retrain cooldown. */
	set_recent(&st, "retrain none none none none");
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe: 'f3' drifted");
	s.drift_status = MM_MODERATE;
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 5 decisions");
	s.f1 = 1;
	set_recent(&st, "none none none none none");

	/*
	 * A retrain held back by its cooldown is none, and rule 4 is not
	 * tried: cooldown 10, min_stable 3, the last three are none.
	 */
	c.cooldown_batches = 10;
	c.min_stable_batches = 3;
	s.drift_status = MM_STABLE;
	s.f1 = 0.875;
	set_recent(&st, "retrain none none none");
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 10 decisions");
	/* Without the drop it would have promoted. */
	s.f1 = 1;
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 3 decisions were none");
}

static void
test_cooldown(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = f1_only(0.625);
	struct mm_policy_state st = baseline(0.75);
	const char *cool =
	    "retrain cooldown: a retrain within the last 5 decisions";
	const char *retrain =
	    "f1 dropped 0.125 below the baseline, >= min_f1_gain 0.02";
	char list[1024];
	int i;

	(void)state;
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	set_recent(&st, "retrain");
	EXPECT(&c, &s, &st, MM_NONE, cool);
	set_recent(&st, "none none none none retrain");
	EXPECT(&c, &s, &st, MM_NONE, cool);
	/* Five decisions ago is within the last five. */
	set_recent(&st, "retrain none none none none");
	EXPECT(&c, &s, &st, MM_NONE, cool);
	/* Six decisions ago is not. */
	set_recent(&st, "retrain none none none none none");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	set_recent(&st, "retrain retrain reject none none none none");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	/* Only a retrain starts the cooldown. */
	set_recent(&st, "reject rollback promote none reject");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	/* A retrain at each of the last five places. */
	for (i = 0; i < 5; i++) {
		set_recent(&st, "none none none none none");
		st.recent[i] = MM_RETRAIN;
		EXPECT(&c, &s, &st, MM_NONE, cool);
	}

	/* cooldown_batches 0: no cooldown. */
	c.cooldown_batches = 0;
	set_recent(&st, "retrain");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
	c.cooldown_batches = 1;
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 1 decisions");
	set_recent(&st, "retrain none");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);

	/* A cooldown longer than the history looks at all of it. */
	c.cooldown_batches = 100;
	list[0] = '\0';
	for (i = 0; i < MM_POLICY_HISTORY; i++)
		strcat(list, i == 0 ? "retrain" : " none");
	set_recent(&st, list);
	assert_int_equal(st.nrecent, MM_POLICY_HISTORY);
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 100 decisions");
	st.recent[0] = MM_NONE;
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain);
}

static void
test_promote(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = { 0 };
	struct mm_policy_state st = { .staged = 1 };
	const char *promote =
	    "candidate staged and the last 5 decisions were none";
	char list[1024];
	int i, a;

	(void)state;
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_PROMOTE, promote);
	/* Not staged. */
	st.staged = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	st.staged = 1;
	/* Fewer decisions than min_stable_batches. */
	set_recent(&st, "");
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	set_recent(&st, "none none none none");
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* Any other action among the last five, at any place. */
	for (a = 1; a < MM_NACTIONS; a++)
		for (i = 0; i < 5; i++) {
			set_recent(&st, "none none none none none");
			st.recent[i] = a;
			EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
		}
	/* Only the last five count. */
	set_recent(&st, "reject rollback retrain promote none none none "
	    "none none");
	EXPECT(&c, &s, &st, MM_PROMOTE, promote);
	list[0] = '\0';
	for (i = 0; i < MM_POLICY_HISTORY; i++)
		strcat(list, i < MM_POLICY_HISTORY - 5 ? "retrain " : "none ");
	set_recent(&st, list);
	EXPECT(&c, &s, &st, MM_PROMOTE, promote);
	/* F1 and baseline need not be known; F1 at the baseline is fine. */
	s = f1_only(0.5);
	st.has_baseline = 1;
	st.baseline_f1 = 0.5;
	EXPECT(&c, &s, &st, MM_PROMOTE, promote);
	/* An F1 drop just short of min_f1_gain does not stop it. */
	st.baseline_f1 = 0.75;
	s.f1 = nextafter(0.75 - 0.015625, 1);
	c.min_f1_gain = 0.015625;
	EXPECT(&c, &s, &st, MM_PROMOTE, promote);

	/* min_stable_batches 1, and 0: promote as soon as staged. */
	c = defaults();
	s = (struct mm_signal){ 0 };
	st = (struct mm_policy_state){ .staged = 1 };
	c.min_stable_batches = 1;
	set_recent(&st, "reject none");
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 1 decisions were none");
	set_recent(&st, "none reject");
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	c.min_stable_batches = 0;
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 0 decisions were none");
	set_recent(&st, "");
	EXPECT(&c, &s, &st, MM_PROMOTE, NULL);

	/* More stable batches than the history holds: never. */
	c.min_stable_batches = MM_POLICY_HISTORY + 1;
	list[0] = '\0';
	for (i = 0; i < MM_POLICY_HISTORY; i++)
		strcat(list, "none ");
	set_recent(&st, list);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	c.min_stable_batches = MM_POLICY_HISTORY;
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 64 decisions were none");
}

/* Rules 2 and 3 need f1 and a baseline; absent values are not read. */
static void
test_missing_inputs(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = f1_only(0);
	struct mm_policy_state st = baseline(1);

	(void)state;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	s.has_f1 = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.has_f1 = 1;
	st.has_baseline = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.f1 = 0.875;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* So a staged candidate is promoted despite any F1. */
	s.f1 = 0;
	st.staged = 1;
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_PROMOTE, NULL);
	st.has_baseline = 1;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);

	/* Without a status rule 1 is skipped, whatever the rest holds. */
	s = (struct mm_signal){ .has_drift = 0, .drift_score = 5,
	    .drift_status = MM_SEVERE, .drifted = "f0", .ndrifted = 1 };
	st = (struct mm_policy_state){ 0 };
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");

	/* Values that are absent are not checked either. */
	s = (struct mm_signal){ .drift_score = NAN, .f1 = -1,
	    .trust = INFINITY, .f1_sustained = 2 };
	st = (struct mm_policy_state){ .baseline_f1 = NAN };
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");

	/* Trust is checked but no rule uses it. */
	s = (struct mm_signal){ .has_trust = 1, .trust = 0 };
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.trust = 1;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 2 on the batch's F1, rule 3 on the F1 of recent batches. */
static void
test_f1_sustained(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = { .has_f1 = 1, .f1 = 0.75,
	    .has_f1_sustained = 1, .f1_sustained = 0.625 };
	struct mm_policy_state st = baseline(0.75);
	const char *sustained = "f1 over recent batches is 0.125 below the "
	    "baseline, >= min_f1_gain 0.125";

	(void)state;
	EXPECT(&c, &s, &st, MM_RETRAIN, sustained);
	s.f1_sustained = nextafter(0.625, 1);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.f1_sustained = nextafter(0.625, 0);
	EXPECT(&c, &s, &st, MM_RETRAIN, sustained);
	/* A batch drop with no sustained drop: none. */
	s.f1 = 0.625;
	s.f1_sustained = 0.75;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* A catastrophic batch: rollback, whatever the mean. */
	s.f1 = 0.5;
	EXPECT(&c, &s, &st, MM_ROLLBACK,
	    "f1 dropped 0.25 below the baseline, >= max_f1_drop 0.25");
	/* A sustained drop beyond max_f1_drop only retrains. */
	s.f1 = 0.75;
	s.f1_sustained = 0.25;
	EXPECT(&c, &s, &st, MM_RETRAIN, "f1 over recent batches is 0.5 below "
	    "the baseline, >= min_f1_gain 0.125");
	/* The cooldown holds. */
	set_recent(&st, "retrain");
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 5 decisions");
	/* Without the batch's F1, rules 2 and 3 are skipped. */
	set_recent(&st, "");
	s.has_f1 = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.has_f1 = 1;
	st.has_baseline = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Known to have no previous version: a collapse is retrained on. */
static void
test_no_previous(void **state)
{
	struct mm_retrain_cfg c = dyadic();
	struct mm_signal s = f1_only(0.25);	/* drop 0.5 >= 0.25 */
	struct mm_policy_state st = baseline(0.75);

	(void)state;
	EXPECT(&c, &s, &st, MM_ROLLBACK, "f1 dropped 0.5 below the baseline, "
	    ">= max_f1_drop 0.25");
	st.no_previous = 1;
	EXPECT(&c, &s, &st, MM_RETRAIN, "f1 dropped 0.5 below the baseline, "
	    ">= min_f1_gain 0.125");
	/* The retrain cooldown still holds. */
	set_recent(&st, "retrain none");
	EXPECT(&c, &s, &st, MM_NONE, "retrain cooldown: a retrain within "
	    "the last 5 decisions");
	/* Severe drift still comes first. */
	s.has_drift_status = 1;
	s.drift_status = MM_SEVERE;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe");
}

static void
test_out_of_range(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = { 0 }, ok = { .has_drift = 1, .has_f1 = 1,
	    .has_trust = 1, .has_f1_sustained = 1, .drift_score = 0.1,
	    .f1 = 0.5, .trust = 0.5, .f1_sustained = 0.5 };
	struct mm_policy_state st = { 0 }, okst = baseline(0.5);

	(void)state;
	EXPECT(&c, &ok, &okst, MM_NONE, "no rule matched");

	s = ok;
	s.drift_score = NAN;
	EXPECT_ERR(&c, &s, &okst, "drift_score nan is not finite");
	s.drift_score = INFINITY;
	EXPECT_ERR(&c, &s, &okst, "drift_score inf is not finite");
	s.drift_score = -1;
	EXPECT_ERR(&c, &s, &okst, "drift_score -1 is out of range [0, inf]");
	s.drift_score = -1e-300;
	EXPECT_ERR(&c, &s, &okst,
	    "drift_score -1e-300 is out of range [0, inf]");
	s.drift_score = nextafter(0, -1);
	EXPECT_ERR(&c, &s, &okst, "drift_score -4.94065645841247e-324 is "
	    "out of range [0, inf]");
	s.drift_score = -0.0;
	EXPECT(&c, &s, &okst, MM_NONE, NULL);
	s.drift_score = 1e308;
	EXPECT(&c, &s, &okst, MM_NONE, NULL);
	s.drift_by_score = 1;
	EXPECT(&c, &s, &okst, MM_REJECT, NULL);
	s.drift_score = -1;
	EXPECT_ERR(&c, &s, &okst, "drift_score -1 is out of range [0, inf]");

	s = ok;
	s.has_drift_status = 1;
	s.drift_status = 3;
	EXPECT_ERR(&c, &s, &okst,
	    "drift_status 3 is not stable, moderate or severe");
	s.drift_status = -1;
	EXPECT_ERR(&c, &s, &okst,
	    "drift_status -1 is not stable, moderate or severe");
	s.drift_status = MM_SEVERE;
	EXPECT(&c, &s, &okst, MM_REJECT, "drift severe");
	s.drifted = "f1";
	EXPECT_ERR(&c, &s, &okst, "ndrifted 0 is out of range [1, inf]");
	s.ndrifted = -1;
	EXPECT_ERR(&c, &s, &okst, "ndrifted -1 is out of range [1, inf]");
	s.drifted = NULL;
	EXPECT_ERR(&c, &s, &okst, "ndrifted -1 is out of range [0, inf]");
	/* Drifted features without a name are counted but not named. */
	s.ndrifted = 2;
	EXPECT(&c, &s, &okst, MM_REJECT, "drift severe");

	s = ok;
	s.f1 = NAN;
	EXPECT_ERR(&c, &s, &okst, "f1 nan is not finite");
	s.f1 = -INFINITY;
	EXPECT_ERR(&c, &s, &okst, "f1 -inf is not finite");
	s.f1 = 1.5;
	EXPECT_ERR(&c, &s, &okst, "f1 1.5 is out of range [0, 1]");
	s.f1 = -0.1;
	EXPECT_ERR(&c, &s, &okst, "f1 -0.1 is out of range [0, 1]");
	s.f1 = nextafter(1, 2);
	EXPECT_ERR(&c, &s, &okst,
	    "f1 1.0000000000000002 is out of range [0, 1]");
	s.f1 = 1;
	EXPECT(&c, &s, &okst, MM_NONE, NULL);
	s.f1 = -0.0;
	EXPECT(&c, &s, &okst, MM_ROLLBACK, NULL);

	s = ok;
	s.f1_sustained = NAN;
	EXPECT_ERR(&c, &s, &okst, "f1_sustained nan is not finite");
	s.f1_sustained = 1.25;
	EXPECT_ERR(&c, &s, &okst, "f1_sustained 1.25 is out of range [0, 1]");

	s = ok;
	s.trust = NAN;
	EXPECT_ERR(&c, &s, &okst, "trust nan is not finite");
	s.trust = INFINITY;
	EXPECT_ERR(&c, &s, &okst, "trust inf is not finite");
	s.trust = 1.0000000000000002;
	EXPECT_ERR(&c, &s, &okst,
	    "trust 1.0000000000000002 is out of range [0, 1]");
	s.trust = -0.5;
	EXPECT_ERR(&c, &s, &okst, "trust -0.5 is out of range [0, 1]");
	s.trust = 1.0;
	EXPECT(&c, &s, &okst, MM_NONE, NULL);
	s.trust = 0;
	EXPECT(&c, &s, &okst, MM_NONE, NULL);

	s = ok;
	st = okst;
	st.baseline_f1 = NAN;
	EXPECT_ERR(&c, &s, &st, "baseline_f1 nan is not finite");
	st.baseline_f1 = INFINITY;
	EXPECT_ERR(&c, &s, &st, "baseline_f1 inf is not finite");
	st.baseline_f1 = 2;
	EXPECT_ERR(&c, &s, &st, "baseline_f1 2 is out of range [0, 1]");
	st.baseline_f1 = nextafter(0, -1);
	EXPECT_ERR(&c, &s, &st, "baseline_f1 -4.94065645841247e-324 is "
	    "out of range [0, 1]");
	st.baseline_f1 = 1;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);

	/* An error beats every rule; the first bad input is named. */
	s = ok;
	st = okst;
	st.staged = 1;
	s.drift_score = 5;
	s.has_drift_status = 1;
	s.drift_status = MM_SEVERE;
	s.trust = 7;
	EXPECT_ERR(&c, &s, &st, "trust 7 is out of range [0, 1]");
	s.trust = 0.5;
	s.drift_status = 9;
	EXPECT_ERR(&c, &s, &st,
	    "drift_status 9 is not stable, moderate or severe");
	s.trust = 7;
	s.f1 = 3;
	st.baseline_f1 = 4;
	EXPECT_ERR(&c, &s, &st, "f1 3 is out of range [0, 1]");
	s.drift_score = -5;
	EXPECT_ERR(&c, &s, &st, "drift_score -5 is out of range [0, inf]");
}

/* Same inputs, same decision; the inputs are left as they were. */
static void
check_pure(struct mm_retrain_cfg *c, struct mm_signal *s,
    struct mm_policy_state *st, int action, const char *reason)
{
	struct mm_retrain_cfg c0;
	struct mm_signal s0;
	struct mm_policy_state st0;
	struct mm_decision d1, d2;
	struct mm_err err = { 0 };

	memcpy(&c0, c, sizeof(c0));
	memcpy(&s0, s, sizeof(s0));
	memcpy(&st0, st, sizeof(st0));
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0xff, sizeof(d2));
	assert_int_equal(mm_policy_decide(c, s, st, &d1, &err), 0);
	assert_int_equal(mm_policy_decide(c, s, st, &d2, &err), 0);
	assert_int_equal(d1.action, action);
	assert_int_equal(d2.action, action);
	assert_string_equal(d1.reason, reason);
	assert_string_equal(d2.reason, reason);
	assert_memory_equal(c, &c0, sizeof(c0));
	assert_memory_equal(s, &s0, sizeof(s0));
	assert_memory_equal(st, &st0, sizeof(st0));
}

static void
test_pure(void **state)
{
	struct mm_retrain_cfg c = defaults();
	struct mm_signal s = { .has_drift = 1, .drift_score = 0.1,
	    .has_f1 = 1, .f1 = 0.625, .has_trust = 1, .trust = 0.8 };
	struct mm_policy_state st = baseline(0.75);

	(void)state;
	st.staged = 1;
	set_recent(&st, "none retrain none none none");
	check_pure(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 5 decisions");
	st.recent[1] = MM_NONE;
	check_pure(&c, &s, &st, MM_RETRAIN,
	    "f1 dropped 0.125 below the baseline, >= min_f1_gain 0.02");
	s.f1 = 0.75;
	check_pure(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 5 decisions were none");
	s.has_drift_status = 1;
	s.drift_status = MM_MODERATE;
	s.drifted = "f2";
	s.ndrifted = 3;
	check_pure(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 5 decisions were none");
	s.drift_status = MM_SEVERE;
	check_pure(&c, &s, &st, MM_REJECT,
	    "drift severe: 'f2' drifted (+2 more)");
	assert_string_equal(s.drifted, "f2");
	s = by_score(0.5);
	check_pure(&c, &s, &st, MM_REJECT,
	    "drift_score 0.5 >= psi_threshold 0.2");
}

static void
test_push(void **state)
{
	struct mm_policy_state st = { .has_baseline = 1, .baseline_f1 = 0.5,
	    .staged = 1 };
	int i;

	(void)state;
	mm_policy_push(&st, MM_RETRAIN);
	assert_int_equal(st.nrecent, 1);
	assert_int_equal(st.recent[0], MM_RETRAIN);
	mm_policy_push(&st, MM_NONE);
	assert_int_equal(st.nrecent, 2);
	assert_int_equal(st.recent[0], MM_RETRAIN);
	assert_int_equal(st.recent[1], MM_NONE);

	/* 100 pushes in all: the newest 64 stay, oldest first. */
	st.nrecent = 0;
	for (i = 0; i < 100; i++) {
		mm_policy_push(&st, i % MM_NACTIONS);
		assert_int_equal(st.nrecent, i + 1 < MM_POLICY_HISTORY ?
		    i + 1 : MM_POLICY_HISTORY);
		assert_int_equal(st.recent[st.nrecent - 1], i % MM_NACTIONS);
	}
	for (i = 0; i < MM_POLICY_HISTORY; i++)
		assert_int_equal(st.recent[i],
		    (100 - MM_POLICY_HISTORY + i) % MM_NACTIONS);
	/* The rest of the state is not touched. */
	assert_int_equal(st.has_baseline, 1);
	assert_true(st.baseline_f1 == 0.5);
	assert_int_equal(st.staged, 1);
}

/* Decisions fed back into the state, as mm-decide does. */
static void
test_sequence(void **state)
{
	static const struct {
		double f1;
		int action;
	} seq[] = {
		{ 0.75, MM_NONE }, { 0.625, MM_RETRAIN }, { 0.625, MM_NONE },
		{ 0.625, MM_NONE }, { 0.625, MM_NONE }, { 0.625, MM_NONE },
		{ 0.625, MM_NONE }, { 0.625, MM_RETRAIN }, { 0.75, MM_NONE },
		{ 0.75, MM_NONE }, { 0.75, MM_NONE }, { 0.75, MM_NONE },
		{ 0.75, MM_NONE }, { 0.75, MM_PROMOTE }, { 0.5, MM_ROLLBACK },
		{ 0.75, MM_NONE },
	};
	struct mm_retrain_cfg c = dyadic();
	struct mm_policy_state st = baseline(0.75);
	struct mm_signal s;
	struct mm_decision d;
	struct mm_err err = { 0 };
	size_t i;

	(void)state;
	st.staged = 1;
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		s = f1_only(seq[i].f1);
		assert_int_equal(mm_policy_decide(&c, &s, &st, &d, &err), 0);
		if (d.action != seq[i].action)
			fail_msg("step %zu: %s (%s), want %s", i,
			    mm_action_names[d.action], d.reason,
			    mm_action_names[seq[i].action]);
		mm_policy_push(&st, d.action);
	}
}

/*
 * Rules 2 and 3 on confusion counts.  The bound is a posterior quantile
 * (mm_f1_upper in metrics.h), so its lines cannot be met to an ulp: the
 * tables below sit clearly on one side, and the reasons and recorded
 * numbers are checked against mm_f1_upper itself.  Defaults: baseline
 * 0.95 puts rule 2's line at 0.8 and rule 3's at 0.93.
 */

/* Two-class counts tn, fp, fn, tp (row = true class). */
#define T2(tn, fp, fn, tp) ((const long[]){ (tn), (fp), (fn), (tp) })

/* A batch's counts and the pooled counts (NULL: not pooled). */
static struct mm_signal
counts(int k, const long *cm, const long *pooled)
{
	struct mm_signal s;

	/* Padding too: the purity checks compare whole structs. */
	memset(&s, 0, sizeof(s));
	s.nclass = k;
	s.confusion = cm;
	s.pooled = pooled;
	return s;
}

static double
upper(const struct mm_retrain_cfg *c, const long *cm, int k)
{
	return mm_f1_upper(cm, k, c->alpha_f1, MM_F1_DRAWS);
}

static const char *
rollback_reason(const struct mm_retrain_cfg *c, const long *cm, int k,
    double baseline_f1)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "f1 upper bound %.4g on %ld rows is below "
	    "baseline %.4g - max_f1_drop %.4g", upper(c, cm, k),
	    mm_confusion_total(cm, k), baseline_f1, c->max_f1_drop);
	return buf;
}

static const char *
retrain_reason(const struct mm_retrain_cfg *c, const long *pooled, int k,
    double baseline_f1)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "f1 upper bound %.4g on %ld recent rows is "
	    "below baseline %.4g - min_f1_gain %.4g", upper(c, pooled, k),
	    mm_confusion_total(pooled, k), baseline_f1, c->min_f1_gain);
	return buf;
}

/* The numbers the decision records for the metadata, to the bit. */
static void
expect_numbers(int line, const struct mm_retrain_cfg *c,
    const struct mm_signal *s, const struct mm_policy_state *st)
{
	struct mm_decision d;
	struct mm_err err = { 0 };
	double want;
	int k = s->nclass;

	memset(&d, 0xa5, sizeof(d));
	if (mm_policy_decide(c, s, st, &d, &err) != 0)
		fail_msg("line %d: error '%s'", line, err.msg);
	if (d.rows != mm_confusion_total(s->confusion, k))
		fail_msg("line %d: rows %ld", line, d.rows);
	want = upper(c, s->confusion, k);
	if (memcmp(&d.f1_upper, &want, sizeof(want)) != 0)
		fail_msg("line %d: f1_upper %.17g, want %.17g", line,
		    d.f1_upper, want);
	if (s->pooled == NULL || mm_confusion_total(s->pooled, k) == 0) {
		if (d.pooled_rows != 0 || !isnan(d.pooled_f1) ||
		    !isnan(d.pooled_upper))
			fail_msg("line %d: pooled %ld rows, f1 %g, upper %g, "
			    "want 0, nan, nan", line, d.pooled_rows,
			    d.pooled_f1, d.pooled_upper);
		return;
	}
	if (d.pooled_rows != mm_confusion_total(s->pooled, k))
		fail_msg("line %d: pooled_rows %ld", line, d.pooled_rows);
	want = mm_confusion_f1(s->pooled, k);
	if (memcmp(&d.pooled_f1, &want, sizeof(want)) != 0)
		fail_msg("line %d: pooled_f1 %.17g, want %.17g", line,
		    d.pooled_f1, want);
	want = upper(c, s->pooled, k);
	if (memcmp(&d.pooled_upper, &want, sizeof(want)) != 0)
		fail_msg("line %d: pooled_upper %.17g, want %.17g", line,
		    d.pooled_upper, want);
}

#define NUMBERS(c, s, st) expect_numbers(__LINE__, (c), (s), (st))

/* Rule 2: a collapse beyond doubt in one batch rolls back. */
static void
test_counts_rollback(void **state)
{
	struct mm_retrain_cfg c = defaults();
	const long *swapped = T2(0, 32, 32, 0), *poor = T2(22, 10, 8, 24);
	const long *k3 = (const long[]){ 0, 11, 11, 11, 0, 10, 11, 10, 0 };
	struct mm_signal s = counts(2, swapped, swapped);
	struct mm_policy_state st = baseline(0.95);

	(void)state;
	assert_true(c.alpha_f1 == 0.01);
	/* Labels swapped on 64 rows: F1 0, bound about 0.05. */
	EXPECT(&c, &s, &st, MM_ROLLBACK, rollback_reason(&c, swapped, 2,
	    0.95));
	NUMBERS(&c, &s, &st);
	/* The same with three classes (macro F1 0). */
	s = counts(3, k3, k3);
	EXPECT(&c, &s, &st, MM_ROLLBACK, rollback_reason(&c, k3, 3, 0.95));
	/* No pool: rule 2 needs only the batch. */
	s = counts(2, swapped, NULL);
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	NUMBERS(&c, &s, &st);

	/*
	 * F1 0.727 on 64 rows is 0.22 below the baseline, but its bound
	 * (0.85) is not below 0.8: no rollback, where the point rule (F1
	 * as given, no counts) rolls back.  The pool of the same rows is
	 * below 0.93 beyond doubt: retrain.
	 */
	assert_true(mm_confusion_f1(poor, 2) < 0.8);
	assert_true(upper(&c, poor, 2) > 0.8);
	s = counts(2, poor, poor);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, poor, 2, 0.95));
	s = counts(2, poor, NULL);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = f1_only(mm_confusion_f1(poor, 2));
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);

	/* A lower baseline moves the line below even the swapped bound. */
	s = counts(2, swapped, NULL);
	st = baseline(0.15);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* A wider max_f1_drop too. */
	st = baseline(0.95);
	c.max_f1_drop = 0.94;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Rule 3: the pooled rows, not one batch, show a degradation. */
static void
test_counts_retrain(void **state)
{
	struct mm_retrain_cfg c = defaults();
	const long *noisy = T2(30, 2, 4, 28);		/* F1 .903, 64 rows */
	const long *down = T2(900, 100, 100, 900);	/* F1 .90, bound .92 */
	const long *fine = T2(944, 56, 56, 944);	/* F1 .944, .956 */
	const long *some = T2(140, 10, 14, 136);	/* F1 .919, 300 rows */
	struct mm_signal s = counts(2, noisy, noisy);
	struct mm_policy_state st = baseline(0.95);

	(void)state;
	/* One batch 0.047 below the baseline: noise at 64 rows. */
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	NUMBERS(&c, &s, &st);
	s = f1_only(mm_confusion_f1(noisy, 2));
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	/* 2000 rows at 0.90: beyond doubt below 0.93. */
	s = counts(2, noisy, down);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, down, 2, 0.95));
	NUMBERS(&c, &s, &st);
	/* 2000 rows at 0.944: not below 0.93 beyond doubt. */
	s = counts(2, noisy, fine);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	NUMBERS(&c, &s, &st);
	/* Without a pool (rows of another version) rule 3 is skipped. */
	s = counts(2, down, NULL);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* An empty pool too. */
	s = counts(2, down, T2(0, 0, 0, 0));
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	NUMBERS(&c, &s, &st);

	/*
	 * alpha_f1 is the bound's level: F1 0.919 on 300 rows has a 99%
	 * bound of 0.95 and a median of 0.92, below 0.93.
	 */
	s = counts(2, some, some);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	c.alpha_f1 = 0.5;
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, some, 2, 0.95));
	NUMBERS(&c, &s, &st);
	/* min_f1_gain moves the line: 0.95 - 0.01 is above 0.9522. */
	c = defaults();
	c.min_f1_gain = 0.001;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	st = baseline(0.96);
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, some, 2, 0.96));
	/* Three classes: macro F1 of the pool. */
	c = defaults();
	st = baseline(0.95);
	{
		const long *k3 = (const long[]){ 900, 60, 40, 50, 500, 50,
		    30, 30, 340 };

		s = counts(3, k3, k3);
		assert_true(upper(&c, k3, 3) < 0.93);
		EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, k3, 3,
		    0.95));
		/* Macro F1 0.856, bound 0.876: above 0.85 - 0.02. */
		st = baseline(0.85);
		EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	}
}

/* The rules' order, the cooldown and rule 4 with counts. */
static void
test_counts_order(void **state)
{
	struct mm_retrain_cfg c = defaults();
	const long *swapped = T2(0, 32, 32, 0), *down = T2(900, 100, 100,
	    900), *fine = T2(944, 56, 56, 944);
	struct mm_signal s = counts(2, swapped, down);
	struct mm_policy_state st = baseline(0.95);
	const char *cool =
	    "retrain cooldown: a retrain within the last 5 decisions";

	(void)state;
	st.staged = 1;
	set_recent(&st, "none none none none none");
	/* Severe drift first. */
	s.has_drift_status = 1;
	s.drift_status = MM_SEVERE;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe");
	/* Then rollback, in a retrain cooldown too. */
	s.drift_status = MM_MODERATE;
	EXPECT(&c, &s, &st, MM_ROLLBACK, rollback_reason(&c, swapped, 2,
	    0.95));
	set_recent(&st, "retrain retrain retrain retrain retrain");
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
	/* Then retrain, held back by its cooldown. */
	s.confusion = fine;
	EXPECT(&c, &s, &st, MM_NONE, cool);
	set_recent(&st, "retrain none none none none");
	EXPECT(&c, &s, &st, MM_NONE, cool);
	set_recent(&st, "retrain none none none none none");
	EXPECT(&c, &s, &st, MM_RETRAIN, retrain_reason(&c, down, 2, 0.95));
	/* Retrain beats promote; with the pool fine, promote. */
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	s.pooled = fine;
	EXPECT(&c, &s, &st, MM_PROMOTE,
	    "candidate staged and the last 5 decisions were none");
	/* A cooldown that held a retrain back is none: no promote. */
	c.cooldown_batches = 10;
	c.min_stable_batches = 3;
	s.pooled = down;
	set_recent(&st, "retrain none none none");
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 10 decisions");

	/* Counts win over the F1 given: the point rules are not read. */
	c = defaults();
	set_recent(&st, "");
	st.staged = 0;
	s = counts(2, fine, fine);
	s.has_f1 = 1;
	s.f1 = 0;
	s.has_f1_sustained = 1;
	s.f1_sustained = 0;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s = counts(2, swapped, swapped);
	s.has_f1 = 1;
	s.f1 = 1;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
}

/* No previous version: a collapse is retrained on at once. */
static void
test_counts_no_previous(void **state)
{
	struct mm_retrain_cfg c = defaults();
	const long *swapped = T2(0, 32, 32, 0);
	struct mm_signal s = counts(2, swapped, swapped);
	struct mm_policy_state st = baseline(0.95);

	(void)state;
	st.no_previous = 1;
	EXPECT(&c, &s, &st, MM_RETRAIN, NULL);
	{
		struct mm_decision d;
		struct mm_err e;

		assert_int_equal(mm_policy_decide(&c, &s, &st, &d, &e), 0);
		assert_non_null(strstr(d.reason, "on 64 rows is below "
		    "baseline 0.95 - max_f1_drop 0.15, and no version to roll "
		    "back to"));
	}
	NUMBERS(&c, &s, &st);
	set_recent(&st, "none retrain");
	EXPECT(&c, &s, &st, MM_NONE,
	    "retrain cooldown: a retrain within the last 5 decisions");
	/* Rows of another version (no pool): nothing to act on. */
	set_recent(&st, "");
	s.pooled = NULL;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	/* With a previous version, the same batch rolls back. */
	st.no_previous = 0;
	EXPECT(&c, &s, &st, MM_ROLLBACK, NULL);
}

/* Without a baseline or without rows, the bounds are recorded only. */
static void
test_counts_nothing_to_judge(void **state)
{
	struct mm_retrain_cfg c = defaults();
	const long *swapped = T2(0, 32, 32, 0), *zero = T2(0, 0, 0, 0);
	struct mm_signal s = counts(2, swapped, swapped);
	struct mm_policy_state st = { .staged = 1 };
	struct mm_decision d;
	struct mm_err err = { 0 };

	(void)state;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	NUMBERS(&c, &s, &st);
	set_recent(&st, "none none none none none");
	EXPECT(&c, &s, &st, MM_PROMOTE, NULL);
	/* No labelled row: no bound, no rule 2 or 3. */
	st = baseline(0.95);
	s = counts(2, zero, zero);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	assert_int_equal(mm_policy_decide(&c, &s, &st, &d, &err), 0);
	assert_int_equal(d.rows, 0);
	assert_int_equal(d.pooled_rows, 0);
	assert_true(isnan(d.f1_upper) && isnan(d.pooled_f1) &&
	    isnan(d.pooled_upper));
	/* Without counts nothing is bounded. */
	s = f1_only(0.5);
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(mm_policy_decide(&c, &s, &st, &d, &err), 0);
	assert_int_equal(d.action, MM_ROLLBACK);
	assert_int_equal(d.rows, 0);
	assert_int_equal(d.pooled_rows, 0);
	assert_true(isnan(d.f1_upper) && isnan(d.pooled_f1) &&
	    isnan(d.pooled_upper));
}

static void
test_counts_errors(void **state)
{
	struct mm_retrain_cfg c = defaults();
	long cm[4] = { 30, 2, 4, 28 }, pool[4] = { 30, 2, 4, 28 };
	struct mm_signal s = counts(2, cm, pool);
	struct mm_policy_state st = baseline(0.95);

	(void)state;
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	s.nclass = -1;
	EXPECT_ERR(&c, &s, &st, "nclass -1 is out of range [0, 1000]");
	s.nclass = MM_MAX_CLASSES + 1;
	EXPECT_ERR(&c, &s, &st, "nclass 1001 is out of range [0, 1000]");
	/* Counts said to be there and not given. */
	s = counts(2, NULL, pool);
	EXPECT_ERR(&c, &s, &st, "nclass 2 without confusion counts");
	s = counts(2, cm, pool);
	cm[2] = -1;
	EXPECT_ERR(&c, &s, &st, "a confusion count is negative");
	cm[2] = 4;
	pool[3] = -28;
	EXPECT_ERR(&c, &s, &st, "a confusion count is negative");
	/* Before any rule, severe drift included. */
	s.has_drift_status = 1;
	s.drift_status = MM_SEVERE;
	EXPECT_ERR(&c, &s, &st, "a confusion count is negative");
	pool[3] = 28;
	EXPECT(&c, &s, &st, MM_REJECT, "drift severe");
	/* nclass 0: the counts are not read. */
	s = counts(0, NULL, NULL);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
	cm[0] = -5;
	s = counts(0, cm, cm);
	EXPECT(&c, &s, &st, MM_NONE, "no rule matched");
}

/* Counts and the state are read, not written. */
static void
test_counts_pure(void **state)
{
	struct mm_retrain_cfg c = defaults();
	long cm[4] = { 0, 32, 32, 0 }, pool[4] = { 900, 100, 100, 900 };
	long cm0[4], pool0[4];
	struct mm_signal s = counts(2, cm, pool);
	struct mm_policy_state st = baseline(0.95);
	char why[512];

	(void)state;
	memcpy(cm0, cm, sizeof(cm));
	memcpy(pool0, pool, sizeof(pool));
	check_pure(&c, &s, &st, MM_ROLLBACK, rollback_reason(&c, cm, 2,
	    0.95));
	st.no_previous = 1;
	/* Nothing to roll back to: the collapse is retrained on. */
	snprintf(why, sizeof(why), "%s, and no version to roll back to",
	    rollback_reason(&c, cm, 2, 0.95));
	check_pure(&c, &s, &st, MM_RETRAIN, why);
	assert_memory_equal(cm, cm0, sizeof(cm));
	assert_memory_equal(pool, pool0, sizeof(pool));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_nothing_known),
		cmocka_unit_test(test_reject_status),
		cmocka_unit_test(test_reject_by_score_default),
		cmocka_unit_test(test_reject_by_score_dyadic),
		cmocka_unit_test(test_rollback_default),
		cmocka_unit_test(test_rollback_dyadic),
		cmocka_unit_test(test_no_previous),
		cmocka_unit_test(test_retrain_default),
		cmocka_unit_test(test_retrain_dyadic),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_promote),
		cmocka_unit_test(test_missing_inputs),
		cmocka_unit_test(test_f1_sustained),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_pure),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_counts_rollback),
		cmocka_unit_test(test_counts_retrain),
		cmocka_unit_test(test_counts_order),
		cmocka_unit_test(test_counts_no_previous),
		cmocka_unit_test(test_counts_nothing_to_judge),
		cmocka_unit_test(test_counts_errors),
		cmocka_unit_test(test_counts_pure),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
