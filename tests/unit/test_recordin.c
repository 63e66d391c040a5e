/*
 * test_recordin.c - a record's metrics and drift objects read and
 * checked before mm-record stores them: counts, shares, confusion
 * counts that fit the batch, bin counts that add up, the drift text
 * stored without its ref and counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "recordin.h"

/* The line's top-level field key, as mm-record finds it. */
static const struct mm_field *
top(struct mm_rec *rec, const char *line, const char *key)
{
	struct mm_err err = { 0 };

	assert_int_equal(mm_rec_parse(rec, line, strlen(line), NULL, NULL,
	    &err), 0);
	return mm_rec_get(rec, key);
}

/* mm_recin_metrics() on the metrics object of line; its message in msg. */
static int
metrics(const char *line, long long known, struct mm_metrics_in *m,
    char *msg, size_t size)
{
	struct mm_rec rec, sub;
	struct mm_buf version;
	struct mm_err err = { 0 };
	int rc;

	mm_rec_init(&rec);
	mm_rec_init(&sub);
	mm_buf_init(&version);
	memset(m, 0, sizeof(*m));
	rc = mm_recin_metrics(&sub, top(&rec, line, "metrics"), known, m,
	    &version, &err);
	snprintf(msg, size, "%s", rc < 0 ? err.msg : version.p != NULL ?
	    version.p : "");
	mm_buf_release(&version);
	mm_rec_release(&sub);
	mm_rec_release(&rec);
	return rc;
}

static int
drift(const char *line, char *out, size_t size)
{
	struct mm_rec rec, sub;
	struct mm_drift_in d;
	struct mm_buf stored;
	struct mm_err err = { 0 };
	int rc;

	mm_rec_init(&rec);
	mm_rec_init(&sub);
	mm_buf_init(&stored);
	memset(&d, 0, sizeof(d));
	rc = mm_recin_drift(&sub, top(&rec, line, "drift"), &d, &stored,
	    &err);
	snprintf(out, size, "%s", rc < 0 ? err.msg : stored.p);
	mm_buf_release(&stored);
	mm_rec_release(&sub);
	mm_rec_release(&rec);
	return rc;
}

static void
test_count(void **state)
{
	long long v;
	const char *s;

	(void)state;
	s = "123,";
	assert_ptr_equal(mm_recin_count(s, &v), s + 3);
	assert_int_equal(v, 123);
	s = "9007199254740991]";
	assert_ptr_equal(mm_recin_count(s, &v), s + 16);
	assert_true(v == MM_COUNT_MAX);
	/* Above 2^53 - 1 a double would not hold it exactly. */
	assert_null(mm_recin_count("9007199254740992", &v));
	assert_null(mm_recin_count("-1", &v));
	assert_null(mm_recin_count("x", &v));
}

static void
test_string(void **state)
{
	struct mm_rec rec;
	struct mm_buf b;

	(void)state;
	mm_rec_init(&rec);
	mm_buf_init(&b);
	assert_string_equal(mm_recin_string(top(&rec, "{\"s\":\"ok\"}", "s"),
	    &b), "ok");
	assert_string_equal(mm_recin_string(top(&rec,
	    "{\"s\":\"v\\u0031\"}", "s"), &b), "v1");
	assert_null(mm_recin_string(top(&rec, "{\"s\":1}", "s"), &b));
	assert_null(mm_recin_string(NULL, &b));
	mm_buf_release(&b);
	mm_rec_release(&rec);
}

static void
test_metrics_good(void **state)
{
	struct mm_metrics_in m;
	char msg[512];

	(void)state;
	assert_int_equal(metrics("{\"metrics\":{\"n_samples\":4,"
	    "\"n_labelled\":3,\"accuracy\":0.6666666666666666,\"f1\":null,"
	    "\"model_version\":\"v\\u0032\",\"confusion\":[[1,1],[0,1]]}}",
	    3, &m, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "v2");
	assert_non_null(m.n_samples);
	assert_null(m.f1);		/* null is absent */
	assert_null(m.latency);
	assert_non_null(m.confusion);
	/* No labels in the batch: nothing to count them against. */
	assert_int_equal(metrics("{\"metrics\":{\"confusion\":[[0,0],[0,2]]"
	    "}}", -1, &m, msg, sizeof(msg)), 0);
}

static void
test_metrics_bad(void **state)
{
	static const struct {
		const char *metrics;
		long long known;
		const char *msg;
	} bad[] = {
		{ "{\"n_samples\":1.5}", -1,
		    "'metrics.n_samples': 1.5 is not a count" },
		{ "{\"accuracy\":1.5}", -1,
		    "'metrics.accuracy': 1.5 is out of range [0, 1]" },
		{ "{\"latency_ms\":-1}", -1,
		    "'metrics.latency_ms': -1 is out of range [0, inf)" },
		{ "{\"f1\":\"x\"}", -1, "'metrics.f1': \"x\" is not a number" },
		{ "{\"model_version\":3}", -1,
		    "'metrics.model_version' is not a string" },
		{ "{\"confusion\":[[1,0],[0]]}", -1, "'metrics.confusion' is "
		    "not square: row 1 has 1 count, row 0 2" },
		{ "{\"confusion\":[[1]]}", -1,
		    "'metrics.confusion' has 1 class, not 2 to 1000" },
		{ "{\"confusion\":[]}", -1, "'metrics.confusion' is empty" },
		{ "{\"n_labelled\":2,\"confusion\":[[1,0],[0,0]]}", -1,
		    "'metrics.confusion' counts 1 rows but "
		    "'metrics.n_labelled' is 2" },
		{ "{\"confusion\":[[1,0],[0,1]]}", 3, "'metrics.confusion' "
		    "counts 2 rows but 'labels' has 3 known" },
		{ "{\"accuracy\":0.5,\"confusion\":[[2,0],[0,0]]}", -1,
		    "'metrics.accuracy' is 0.5 but 'metrics.confusion' "
		    "gives 1" },
		{ "{\"f1\":0,\"confusion\":[[0,0],[0,0]]}", -1,
		    "'metrics.f1' is not null but 'metrics.confusion' counts "
		    "no rows" },
	};
	struct mm_metrics_in m;
	char line[256], msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"metrics\":%s}",
		    bad[i].metrics);
		assert_int_equal(metrics(line, bad[i].known, &m, msg,
		    sizeof(msg)), -1);
		assert_string_equal(msg, bad[i].msg);
	}
}

static void
test_drift_stored(void **state)
{
	char out[512];

	(void)state;
	/* ref and counts go; the rest stays byte for byte, spaces too. */
	assert_int_equal(drift("{\"drift\":{ \"ref\":\"r1\", \"status\":"
	    "\"ok\",\"n\":3,\"counts\":{\"f0\":[1,2],\"f1\":[3,0]} }}", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "{ \"status\":\"ok\",\"n\":3 }");
	assert_int_equal(drift("{\"drift\":{\"ref\":\"r1\"}}", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "{}");
}

static void
test_drift_bad(void **state)
{
	static const struct {
		const char *drift, *msg;
	} bad[] = {
		{ "{\"ref\":1}", "'drift.ref' is not a string" },
		{ "{\"counts\":{\"f0\":[1]}}", "'drift.n' missing" },
		{ "{\"n\":1,\"counts\":[]}",
		    "'drift.counts' is not an object" },
		{ "{\"n\":1,\"counts\":{}}", "'drift.counts' is empty" },
		{ "{\"n\":1,\"counts\":{\"f0\":1}}",
		    "'drift.counts.f0' is not an array" },
		{ "{\"n\":2,\"counts\":{\"f0\":[1,0.5]}}",
		    "'drift.counts.f0': 0.5 is not a count" },
		{ "{\"n\":2,\"counts\":{\"f0\":[1,1],\"f1\":[3]}}",
		    "'drift.counts.f1' sums to 3 but 'drift.n' is 2" },
	};
	char line[256], out[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"drift\":%s}", bad[i].drift);
		assert_int_equal(drift(line, out, sizeof(out)), -1);
		assert_string_equal(out, bad[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_metrics_good),
		cmocka_unit_test(test_metrics_bad),
		cmocka_unit_test(test_drift_stored),
		cmocka_unit_test(test_drift_bad),
	};

	return cmocka_run_group_tests_name("recordin", tests, NULL, NULL);
}
