/*
 * config.h - YAML configuration in config/, one file per concern.
 *
 * Each struct starts with the built-in defaults (mm_config_defaults());
 * mm_config_load() reads the files asked for from the config directory
 * and overrides what they set.  A missing file or key keeps the default;
 * a present file is checked: unknown keys, wrong types and values out of
 * range are errors that name the file, line and key.
 */
#ifndef MM_CONFIG_H
#define MM_CONFIG_H

#include "mm.h"

/*
 * How a batch's drift status is graded: MM_THRESHOLD_TEST (the default)
 * grades features that are both significant and large enough;
 * MM_THRESHOLD_FIXED grades the mean raw PSI, for comparisons.
 */
enum mm_threshold { MM_THRESHOLD_FIXED, MM_THRESHOLD_TEST };

struct mm_drift_cfg {
	long bins;
	double eps, moderate, severe;
	int threshold;		/* enum mm_threshold */
	double alpha;
	long max_categories;
	double smoothing;	/* pseudo-count per bin; 0: shares + eps */
};

/* The five trust components, in this order everywhere. */
enum { MM_T_ACCURACY, MM_T_F1, MM_T_CONFIDENCE, MM_T_DRIFT, MM_T_LATENCY,
	MM_T_N };
extern const char *const mm_trust_names[MM_T_N];

struct mm_trust_cfg {
	double weight[MM_T_N];
	double drift_ok, drift_bad, latency_ok_ms, latency_bad_ms;
	double warning, critical, alert_cooldown_s;
};

struct mm_retrain_cfg {
	double psi_threshold;	/* deprecated: rule 1 acts on drift.status */
	double max_f1_drop, min_f1_gain;
	long cooldown_batches, min_stable_batches, min_samples, buffer_rows;
	double holdout;
	long f1_window;		/* batches whose F1 rule 3 averages */
	double alpha_f1;	/* 1 - level of the F1 upper bounds */
	long f1_window_rows;	/* labelled rows rule 3 pools, at most */
};

struct mm_model_cfg {
	long n_estimators, max_depth, min_samples_leaf, seed;
	double validation;
	long min_validation_rows;	/* fewer cannot judge a model */
};

#define MM_MAX_WINDOWS 8
struct mm_aggregate_cfg {
	int nwindows;
	long seconds[MM_MAX_WINDOWS];
	char name[MM_MAX_WINDOWS][16];	/* as written: "5m", "1h" */
};

struct mm_config {
	struct mm_drift_cfg drift;
	struct mm_trust_cfg trust;
	struct mm_retrain_cfg retrain;
	struct mm_model_cfg model;
	struct mm_aggregate_cfg aggregate;
};

/* Which files mm_config_load() reads. */
#define MM_CFG_DRIFT		0x01
#define MM_CFG_TRUST		0x02
#define MM_CFG_RETRAIN		0x04
#define MM_CFG_MODEL		0x08
#define MM_CFG_AGGREGATE	0x10
#define MM_CFG_ALL		0x1f

void mm_config_defaults(struct mm_config *c);

/*
 * Load the files in `which` from dir; dir NULL means $MM_CONFIG, else
 * "config" if that directory exists, else defaults only.  Returns 0, or
 * -1 with err (MM_EINPUT for a bad file, MM_ESYS if unreadable).
 */
int mm_config_load(struct mm_config *c, const char *dir, unsigned which,
    struct mm_err *err);


#endif
