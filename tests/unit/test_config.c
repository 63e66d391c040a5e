/*
 * test_config.c - YAML configuration: defaults, overrides, and errors
 * that name the file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "timeparse.h"

static const char *const files[] = { "drift.yaml", "trust.yaml",
	"retrain.yaml", "model.yaml", "aggregate.yaml", NULL };

/* A fresh empty directory per test, removed after. */
static int
setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = malloc(PATH_MAX);

	if (dir == NULL)
		return -1;
	snprintf(dir, PATH_MAX, "%s/mm-test-config.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
teardown_dir(void **state)
{
	char *dir = *state, path[PATH_MAX + 64];
	int i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/config/drift.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/config", dir);
	rmdir(path);
	rmdir(dir);
	free(dir);
	return 0;
}

static void
put_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* The documented defaults (mm(7), Configuration), written out again. */
static void
check_defaults(const struct mm_config *c)
{
	assert_int_equal(c->drift.bins, 10);
	assert_true(c->drift.eps == 1e-6);
	assert_true(c->drift.moderate == 0.1);
	assert_true(c->drift.severe == 0.2);
	assert_int_equal(c->drift.threshold, MM_THRESHOLD_TEST);
	assert_true(c->drift.alpha == 0.01);
	assert_true(c->trust.weight[MM_T_ACCURACY] == 0.30);
	assert_true(c->trust.weight[MM_T_F1] == 0.25);
	assert_true(c->trust.weight[MM_T_CONFIDENCE] == 0.15);
	assert_true(c->trust.weight[MM_T_DRIFT] == 0.20);
	assert_true(c->trust.weight[MM_T_LATENCY] == 0.10);
	assert_true(c->trust.drift_ok == 0.1);
	assert_true(c->trust.drift_bad == 0.3);
	assert_true(c->trust.latency_ok_ms == 300);
	assert_true(c->trust.latency_bad_ms == 1500);
	assert_true(c->trust.warning == 0.70);
	assert_true(c->trust.critical == 0.60);
	assert_true(c->trust.alert_cooldown_s == 300);
	assert_true(c->retrain.psi_threshold == 0.2);
	assert_true(c->retrain.max_f1_drop == 0.15);
	assert_true(c->retrain.min_f1_gain == 0.02);
	assert_int_equal(c->retrain.cooldown_batches, 5);
	assert_int_equal(c->retrain.min_stable_batches, 5);
	assert_int_equal(c->retrain.min_samples, 1000);
	assert_int_equal(c->retrain.buffer_rows, 10000);
	assert_true(c->retrain.holdout == 0.2);
	assert_int_equal(c->retrain.f1_window, 1);
	assert_true(c->retrain.alpha_f1 == 0.01);
	assert_int_equal(c->retrain.f1_window_rows, 2000);
	assert_int_equal(c->model.n_estimators, 200);
	assert_int_equal(c->model.max_depth, 6);
	assert_int_equal(c->model.min_samples_leaf, 5);
	assert_int_equal(c->model.seed, 42);
	assert_true(c->model.validation == 0.25);
	assert_int_equal(c->model.min_validation_rows, 30);
	assert_int_equal(c->aggregate.nwindows, 3);
	assert_int_equal(c->aggregate.seconds[0], 300);
	assert_int_equal(c->aggregate.seconds[1], 3600);
	assert_int_equal(c->aggregate.seconds[2], 86400);
	assert_string_equal(c->aggregate.name[0], "5m");
	assert_string_equal(c->aggregate.name[1], "1h");
	assert_string_equal(c->aggregate.name[2], "24h");
}

/* Loading dir fails on file at line with exactly msg. */
static void
expect_error(const char *dir, const char *file, long line, const char *msg)
{
	struct mm_config c;
	struct mm_err err;
	char where[PATH_MAX + 64];

	memset(&err, 0, sizeof(err));
	snprintf(where, sizeof(where), "%s/%s", dir, file);
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.where, where);
	assert_string_equal(err.msg, msg);
	assert_int_equal(err.line, line);
}

/* file holding text fails at line with msg; the file is removed after. */
static void
expect_file_error(const char *dir, const char *file, const char *text,
    long line, const char *msg)
{
	put_file(dir, file, text);
	expect_error(dir, file, line, msg);
	remove_file(dir, file);
}

static void
test_defaults(void **state)
{
	struct mm_config c;
	struct mm_err err;

	memset(&c, 0xab, sizeof(c));
	mm_config_defaults(&c);
	check_defaults(&c);
	memset(&c, 0xab, sizeof(c));
	assert_int_equal(mm_config_load(&c, *state, MM_CFG_ALL, &err), 0);
	check_defaults(&c);
	assert_string_equal(mm_trust_names[MM_T_ACCURACY], "accuracy");
	assert_string_equal(mm_trust_names[MM_T_F1], "f1");
	assert_string_equal(mm_trust_names[MM_T_CONFIDENCE], "confidence");
	assert_string_equal(mm_trust_names[MM_T_DRIFT], "drift");
	assert_string_equal(mm_trust_names[MM_T_LATENCY], "latency");
}

/* Comments, blank files and a lone document marker change nothing. */
static void
test_empty_files(void **state)
{
	const char *dir = *state;
	struct mm_config c;
	struct mm_err err;

	put_file(dir, "drift.yaml", "");
	put_file(dir, "trust.yaml", "# nothing here\n\n");
	put_file(dir, "retrain.yaml", "---\n");
	put_file(dir, "model.yaml", "---\n...\n");
	put_file(dir, "aggregate.yaml", "\n");
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), 0);
	check_defaults(&c);
}

/* The files shipped in config/ say what the defaults say. */
static void
test_shipped_config(void **state)
{
	const char *top = getenv("MM_TOP");
	char dir[PATH_MAX];
	struct mm_config c;
	struct mm_err err;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/config", top && *top ? top : ".");
	memset(&err, 0, sizeof(err));
	if (mm_config_load(&c, dir, MM_CFG_ALL, &err) != 0)
		fail_msg("%s: %ld: %s", err.where, err.line, err.msg);
	check_defaults(&c);
}

static void
test_overrides(void **state)
{
	const char *dir = *state;
	struct mm_config c;
	struct mm_err err;

	put_file(dir, "drift.yaml", "# drift\nbins: 20\neps: 1.0e-4\n"
	    "threshold: fixed  # bands on the mean PSI\nalpha: 0.05\n"
	    "severe: 0.5\n");
	put_file(dir, "trust.yaml", "weights:\n  accuracy: 0.5\n  f1: 0.1\n"
	    "  confidence: 0.1\n  drift: 0.2\n  latency: 0.1\n"
	    "latency_bad_ms: 2000\ncritical: 0.5\n");
	put_file(dir, "retrain.yaml", "cooldown_batches: 0\n"
	    "min_samples: 250\nholdout: 0.3\nalpha_f1: 0.05\n"
	    "f1_window_rows: 640\n");
	put_file(dir, "model.yaml", "seed: 4294967295\nmax_depth: 64\n"
	    "n_estimators: 10.0\n");
	put_file(dir, "aggregate.yaml", "windows: [30s, 1m, 2h, 7d]\n");
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.drift.bins, 20);
	assert_true(c.drift.eps == 1e-4);
	assert_int_equal(c.drift.threshold, MM_THRESHOLD_FIXED);
	assert_true(c.drift.alpha == 0.05);
	assert_true(c.drift.severe == 0.5);
	assert_true(c.drift.moderate == 0.1);	/* kept */
	assert_true(c.trust.weight[MM_T_ACCURACY] == 0.5);
	assert_true(c.trust.weight[MM_T_F1] == 0.1);
	assert_true(c.trust.weight[MM_T_CONFIDENCE] == 0.1);
	assert_true(c.trust.weight[MM_T_DRIFT] == 0.2);
	assert_true(c.trust.weight[MM_T_LATENCY] == 0.1);
	assert_true(c.trust.latency_bad_ms == 2000);
	assert_true(c.trust.latency_ok_ms == 300);
	assert_true(c.trust.critical == 0.5);
	assert_true(c.trust.warning == 0.7);
	assert_int_equal(c.retrain.cooldown_batches, 0);
	assert_int_equal(c.retrain.min_samples, 250);
	assert_true(c.retrain.holdout == 0.3);
	assert_true(c.retrain.alpha_f1 == 0.05);
	assert_int_equal(c.retrain.f1_window_rows, 640);
	assert_int_equal(c.retrain.buffer_rows, 10000);
	assert_int_equal(c.model.seed, 4294967295L);
	assert_int_equal(c.model.max_depth, 64);
	assert_int_equal(c.model.n_estimators, 10);
	assert_int_equal(c.model.min_samples_leaf, 5);
	assert_int_equal(c.aggregate.nwindows, 4);
	assert_int_equal(c.aggregate.seconds[0], 30);
	assert_int_equal(c.aggregate.seconds[1], 60);
	assert_int_equal(c.aggregate.seconds[2], 7200);
	assert_int_equal(c.aggregate.seconds[3], 604800);
	assert_string_equal(c.aggregate.name[0], "30s");
	assert_string_equal(c.aggregate.name[3], "7d");

	/* Only the files asked for are read. */
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_MODEL, &err), 0);
	assert_int_equal(c.model.max_depth, 64);
	assert_int_equal(c.drift.bins, 10);
	assert_int_equal(c.aggregate.nwindows, 3);
	assert_true(c.trust.weight[MM_T_ACCURACY] == 0.30);
	put_file(dir, "drift.yaml", "bins: many\n");
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL & ~MM_CFG_DRIFT,
	    &err), 0);
	assert_int_equal(c.drift.bins, 10);
	assert_int_equal(c.aggregate.nwindows, 4);
}

/* Weights given in part keep the other defaults, and must still sum. */
static void
test_weights_partial(void **state)
{
	const char *dir = *state;
	struct mm_config c;
	struct mm_err err;

	put_file(dir, "trust.yaml", "weights: {accuracy: 0.25, latency: 0.15}"
	    "\n");
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_TRUST, &err), 0);
	assert_true(c.trust.weight[MM_T_ACCURACY] == 0.25);
	assert_true(c.trust.weight[MM_T_F1] == 0.25);
	assert_true(c.trust.weight[MM_T_CONFIDENCE] == 0.15);
	assert_true(c.trust.weight[MM_T_DRIFT] == 0.20);
	assert_true(c.trust.weight[MM_T_LATENCY] == 0.15);
}

/*
 * Load dir with standard error going to a file; the file's text is left
 * in out.
 */
static int
load_stderr(const char *dir, struct mm_config *c, struct mm_err *err,
    char *out, size_t size)
{
	char path[PATH_MAX + 64];
	FILE *fp;
	size_t n;
	int fd, saved, rc;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	rc = mm_config_load(c, dir, MM_CFG_ALL, err);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(out, 1, size - 1, fp);
	out[n] = '\0';
	fclose(fp);
	assert_int_equal(unlink(path), 0);
	return rc;
}

/*
 * Old spellings still load, each saying on standard error that it is
 * deprecated: threshold chi2 is now test, and psi_threshold (rule 1 of
 * the policy acts on drift.status now) is read but not used.
 */
static void
test_deprecated(void **state)
{
	const char *dir = *state;
	struct mm_config c;
	struct mm_err err;
	char out[1024], want[2 * PATH_MAX];

	put_file(dir, "drift.yaml", "bins: 10\nthreshold: chi2\n");
	put_file(dir, "retrain.yaml", "# old\npsi_threshold: 0.25\n"
	    "max_f1_drop: 0.15\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(load_stderr(dir, &c, &err, out, sizeof(out)), 0);
	assert_int_equal(c.drift.threshold, MM_THRESHOLD_TEST);
	assert_true(c.retrain.psi_threshold == 0.25);
	assert_true(c.retrain.max_f1_drop == 0.15);
	snprintf(want, sizeof(want),
	    "%s: %s/drift.yaml:2: 'threshold: chi2' is now 'threshold: "
	    "test' (deprecated)\n"
	    "%s: %s/retrain.yaml:2: 'psi_threshold' is ignored: the policy "
	    "rejects on drift.status severe (deprecated)\n",
	    program_invocation_short_name, dir,
	    program_invocation_short_name, dir);
	assert_string_equal(out, want);

	/* The new spellings say nothing. */
	put_file(dir, "drift.yaml", "threshold: test\n");
	put_file(dir, "retrain.yaml", "max_f1_drop: 0.15\n");
	assert_int_equal(load_stderr(dir, &c, &err, out, sizeof(out)), 0);
	assert_int_equal(c.drift.threshold, MM_THRESHOLD_TEST);
	assert_string_equal(out, "");
	remove_file(dir, "drift.yaml");
	remove_file(dir, "retrain.yaml");
}

static void
test_errors_keys(void **state)
{
	const char *dir = *state;

	expect_file_error(dir, "drift.yaml", "bins: 10\nbinz: 3\n", 2,
	    "unknown key 'binz'");
	expect_file_error(dir, "model.yaml", "# model\n\nseed: 1\nSeed: 2\n", 4,
	    "unknown key 'Seed'");
	expect_file_error(dir, "trust.yaml", "weights:\n  accuracy: 0.3\n"
	    "  speed: 0.1\n", 3, "unknown key 'weights.speed'");
	expect_file_error(dir, "aggregate.yaml", "window: [5m]\n", 1,
	    "unknown key 'window'");
	expect_file_error(dir, "drift.yaml", "hello\n", 1,
	    "expected 'key: value' lines, found 'hello'");
	expect_file_error(dir, "drift.yaml", "- bins\n- 10\n", 1,
	    "expected 'key: value' lines");
}

static void
test_errors_types(void **state)
{
	const char *dir = *state;

	expect_file_error(dir, "drift.yaml", "bins: ten\n", 1,
	    "'bins' must be a whole number, not 'ten'");
	expect_file_error(dir, "drift.yaml", "eps: 1e-6\nbins: 2.5\n", 2,
	    "'bins' must be a whole number, not '2.5'");
	expect_file_error(dir, "drift.yaml", "eps: abc\n", 1,
	    "'eps' must be a number, not 'abc'");
	expect_file_error(dir, "drift.yaml", "eps: .nan\n", 1,
	    "'eps' must be a number, not '.nan'");
	expect_file_error(dir, "drift.yaml", "eps: \"0.01\"\n", 1,
	    "'eps' must be a number");
	expect_file_error(dir, "drift.yaml", "eps:\n", 1,
	    "'eps' must be a number");
	expect_file_error(dir, "drift.yaml", "bins: [10]\n", 1,
	    "'bins' must be a number");
	expect_file_error(dir, "drift.yaml", "threshold: sometimes\n", 1,
	    "'threshold' must be 'test' or 'fixed'");
	expect_file_error(dir, "drift.yaml", "threshold: Test\n", 1,
	    "'threshold' must be 'test' or 'fixed'");
	expect_file_error(dir, "trust.yaml", "weights: 1\n", 1,
	    "'weights' must be a mapping of the five component weights");
	expect_file_error(dir, "trust.yaml", "weights: {accuracy: high}\n", 1,
	    "'weights.accuracy' must be a number, not 'high'");
	expect_file_error(dir, "retrain.yaml", "min_samples: 1e3x\n", 1,
	    "'min_samples' must be a whole number, not '1e3x'");
}

static void
test_errors_range(void **state)
{
	const char *dir = *state;

	expect_file_error(dir, "drift.yaml", "bins: 1\n", 1,
	    "'bins': 1 is out of range [2, 1000]");
	expect_file_error(dir, "drift.yaml", "bins: 1001\n", 1,
	    "'bins': 1001 is out of range [2, 1000]");
	expect_file_error(dir, "drift.yaml", "alpha: 0.7\n", 1,
	    "'alpha': 0.7 is out of range [1e-12, 0.5]");
	expect_file_error(dir, "drift.yaml", "eps: 0\n", 1,
	    "'eps': 0 is out of range [1e-300, 0.1]");
	expect_file_error(dir, "drift.yaml", "moderate: -0.1\n", 1,
	    "'moderate': -0.1 is out of range [0, 100]");
	expect_file_error(dir, "model.yaml", "max_depth: 65\n", 1,
	    "'max_depth': 65 is out of range [1, 64]");
	expect_file_error(dir, "model.yaml", "seed: 4294967296\n", 1,
	    "'seed': 4294967296 is out of range [0, 4.29497e+09]");
	expect_file_error(dir, "retrain.yaml", "holdout: 1\n", 1,
	    "'holdout': 1 is out of range [0.01, 0.99]");
	expect_file_error(dir, "retrain.yaml", "alpha_f1: 0\n", 1,
	    "'alpha_f1': 0 is out of range [1e-06, 0.5]");
	expect_file_error(dir, "retrain.yaml", "alpha_f1: 0.6\n", 1,
	    "'alpha_f1': 0.6 is out of range [1e-06, 0.5]");
	expect_file_error(dir, "retrain.yaml", "f1_window_rows: 0\n", 1,
	    "'f1_window_rows': 0 is out of range [1, 1e+09]");
	expect_file_error(dir, "retrain.yaml", "f1_window_rows: 0.5\n", 1,
	    "'f1_window_rows' must be a whole number, not '0.5'");
	expect_file_error(dir, "trust.yaml", "weights:\n  accuracy: 1.5\n", 2,
	    "'weights.accuracy': 1.5 is out of range [0, 1]");
}

static void
test_errors_cross_checks(void **state)
{
	const char *dir = *state;

	/* Sums as computed in order: 0.5+0.25+0.15+0.2+0.1, %.17g. */
	expect_file_error(dir, "trust.yaml", "weights: {accuracy: 0.5, "
	    "f1: 0.25, confidence: 0.15, drift: 0.20, latency: 0.10}\n", 1,
	    "'weights' must sum to 1, not 1.2000000000000002");
	/* The error names the line of the weights key itself. */
	expect_file_error(dir, "trust.yaml", "drift_ok: 0.2\n\nweights:\n"
	    "  accuracy: 0.4\n", 3,
	    "'weights' must sum to 1, not 1.1000000000000001");
	expect_file_error(dir, "drift.yaml", "moderate: 0.3\n", 0,
	    "'moderate' must be below 'severe'");
	expect_file_error(dir, "drift.yaml", "moderate: 0.25\nsevere: 0.25\n",
	    0, "'moderate' must be below 'severe'");
	expect_file_error(dir, "trust.yaml", "drift_ok: 0.3\n", 0,
	    "'drift_ok' must be below 'drift_bad'");
	expect_file_error(dir, "trust.yaml", "latency_bad_ms: 300\n", 0,
	    "'latency_ok_ms' must be below 'latency_bad_ms'");
	expect_file_error(dir, "trust.yaml", "critical: 0.71\n", 0,
	    "'critical' must not be above 'warning'");
}

static void
test_errors_yaml(void **state)
{
	const char *dir = *state;

	expect_file_error(dir, "drift.yaml", "{bins: 10,\neps: 0.01\n", 3,
	    "invalid YAML: did not find expected ',' or '}'");
	expect_file_error(dir, "drift.yaml", "bins: 10\n- 3\n", 2,
	    "invalid YAML: did not find expected key");
	/* An unclosed quote is named on the line where it opens. */
	expect_file_error(dir, "drift.yaml", "bins: \"10\n", 1,
	    "invalid YAML: found unexpected end of stream while scanning a "
	    "quoted scalar");
	expect_file_error(dir, "drift.yaml", "bins: 10\n\tbins: 3\n", 2,
	    "invalid YAML: found a tab character that violates indentation");
}

static void
test_errors_windows(void **state)
{
	const char *dir = *state;

	expect_file_error(dir, "aggregate.yaml", "windows: 5m\n", 1,
	    "'windows' must be a list such as [5m, 1h, 24h]");
	expect_file_error(dir, "aggregate.yaml", "windows: [5m, 5x]\n", 1,
	    "'windows': '5x' is not a window length such as 5m, 1h or 24h");
	expect_file_error(dir, "aggregate.yaml", "windows:\n  - 5m\n  - 0m\n",
	    3, "'windows': '0m' is not a window length such as 5m, 1h or 24h");
	expect_file_error(dir, "aggregate.yaml", "windows: []\n", 1,
	    "'windows' is empty");
	expect_file_error(dir, "aggregate.yaml", "windows: [1m, 2m, 3m, 4m, "
	    "5m, 6m, 7m, 8m, 9m]\n", 1, "'windows': more than 8 windows");
	expect_file_error(dir, "aggregate.yaml", "windows: [5m, [1h]]\n", 1,
	    "'windows': '' is not a window length such as 5m, 1h or 24h");
	expect_file_error(dir, "aggregate.yaml",
	    "windows: [100000000000000000m]\n", 1, "'windows': "
	    "'100000000000000000m' is not a window length such as 5m, 1h or "
	    "24h");
}

/* Eight windows are allowed. */
static void
test_windows_max(void **state)
{
	const char *dir = *state;
	struct mm_config c;
	struct mm_err err;

	put_file(dir, "aggregate.yaml", "windows: [1m, 2m, 3m, 4m, 5m, 6m, "
	    "7m, 366d]\n");
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.aggregate.nwindows, 8);
	assert_int_equal(c.aggregate.seconds[7], 366L * 86400);
	assert_string_equal(c.aggregate.name[7], "366d");
}

static void
test_dir_errors(void **state)
{
	char path[PATH_MAX + 64];
	struct mm_config c;
	struct mm_err err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_config_load(&c, "/nonexistent/mm-config",
	    MM_CFG_ALL, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "config directory '/nonexistent/mm-config'"
	    ": No such file or directory");
	put_file(*state, "model.yaml", "seed: 1\n");
	snprintf(path, sizeof(path), "%s/model.yaml", (char *)*state);
	assert_int_equal(mm_config_load(&c, path, MM_CFG_ALL, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	snprintf(path + strlen(path), 64, "': not a directory");
	assert_string_equal(err.msg + strlen("config directory '"), path);
	assert_memory_equal(err.msg, "config directory '", 18);
}

/* A file that cannot be read is a system error; bad bytes are input. */
static void
test_read_errors(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX + 64];
	struct mm_config c;
	struct mm_err err;

	snprintf(path, sizeof(path), "%s/drift.yaml", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.where, path);
	assert_string_equal(err.msg, "cannot read: Is a directory");
	assert_int_equal(rmdir(path), 0);
	put_file(dir, "drift.yaml", "bins: 10\neps: \xff\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_config_load(&c, dir, MM_CFG_ALL, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.where, path);
	/* libyaml gives a byte offset, not a line, for encoding errors. */
	assert_string_equal(err.msg, "invalid YAML: invalid leading UTF-8 "
	    "octet");
}

/* dir NULL: $MM_CONFIG, else ./config if it exists, else defaults. */
static void
test_dir_lookup(void **state)
{
	const char *dir = *state;
	char cwd[PATH_MAX], sub[PATH_MAX + 16];
	const char *old = getenv("MM_CONFIG");
	char *saved = old ? strdup(old) : NULL;
	struct mm_config c;
	struct mm_err err;
	int rc;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	unsetenv("MM_CONFIG");
	rc = mm_config_load(&c, NULL, MM_CFG_ALL, &err);
	assert_int_equal(rc, 0);
	check_defaults(&c);
	snprintf(sub, sizeof(sub), "%s/config", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put_file(sub, "drift.yaml", "bins: 7\n");
	assert_int_equal(mm_config_load(&c, NULL, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.drift.bins, 7);
	put_file(dir, "drift.yaml", "bins: 9\n");
	setenv("MM_CONFIG", dir, 1);
	assert_int_equal(mm_config_load(&c, NULL, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.drift.bins, 9);
	/* An empty $MM_CONFIG is as good as none. */
	setenv("MM_CONFIG", "", 1);
	assert_int_equal(mm_config_load(&c, NULL, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.drift.bins, 7);
	/* An explicit dir wins over $MM_CONFIG. */
	setenv("MM_CONFIG", dir, 1);
	assert_int_equal(mm_config_load(&c, sub, MM_CFG_ALL, &err), 0);
	assert_int_equal(c.drift.bins, 7);
	assert_int_equal(chdir(cwd), 0);
	if (saved != NULL)
		setenv("MM_CONFIG", saved, 1);
	else
		unsetenv("MM_CONFIG");
	free(saved);
}

static void
test_parse_window(void **state)
{
	const char *bad[] = { "0m", "5x", "m", "", "5", "-5m", "+5m", "05m",
	    "5mm", "5 m", " 5m", "5M", "1.5h", "367d", "8785h", "527041m",
	    "31622401s", "99999999999999999999s", NULL };
	long s;
	int i;

	(void)state;
	assert_int_equal(mm_parse_window("5m", &s), 0);
	assert_int_equal(s, 300);
	assert_int_equal(mm_parse_window("1h", &s), 0);
	assert_int_equal(s, 3600);
	assert_int_equal(mm_parse_window("24h", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(mm_parse_window("7d", &s), 0);
	assert_int_equal(s, 604800);
	assert_int_equal(mm_parse_window("30s", &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(mm_parse_window("1s", &s), 0);
	assert_int_equal(s, 1);
	/* Up to 366 days in any unit. */
	assert_int_equal(mm_parse_window("366d", &s), 0);
	assert_int_equal(s, 31622400);
	assert_int_equal(mm_parse_window("8784h", &s), 0);
	assert_int_equal(s, 31622400);
	assert_int_equal(mm_parse_window("31622400s", &s), 0);
	assert_int_equal(s, 31622400);
	for (i = 0; bad[i] != NULL; i++) {
		s = -7;
		if (mm_parse_window(bad[i], &s) != -1)
			fail_msg("'%s' accepted as a window", bad[i]);
		assert_int_equal(s, -7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_empty_files, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test_setup_teardown(test_overrides, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_weights_partial, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_deprecated, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_keys, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_types, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_range, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_cross_checks,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_yaml, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors_windows, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_windows_max, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_dir_errors, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_errors, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_dir_lookup, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_parse_window),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
