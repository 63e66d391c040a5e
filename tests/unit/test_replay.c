/*
 * test_replay.c - mm-decide --replay (replay.h): a decision recomputed
 * from its metadata, by drift status or, for an older mm's metadata, by
 * drift_score; incomplete metadata refused; and a decision_history read
 * back, the decisions that now differ or cannot be recomputed written
 * out, those that agree not; and the recent actions a run starts from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "policy.h"
#include "psi.h"
#include "replay.h"
#include "scratch.h"

#define POLICY "\"policy\":{\"max_f1_drop\":0.15,\"min_f1_gain\":0.02," \
	"\"alpha_f1\":0.05,\"f1_window_rows\":2000,\"cooldown_batches\":5," \
	"\"min_stable_batches\":5}"

/* Replay metadata text; the action, or -1 with err. */
static int
replay(const char *text, struct mm_decision *dec, struct mm_err *err)
{
	json_t *meta = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(meta);
	memset(err, 0, sizeof(*err));
	rc = mm_replay_meta(meta, dec, err);
	json_decref(meta);
	return rc < 0 ? -1 : dec->action;
}

static void
test_meta(void **state)
{
	struct mm_decision dec;
	struct mm_err err;

	(void)state;
	assert_int_equal(replay("{\"drift_score\":0.5,\"drift_status\":"
	    "\"severe\",\"drifted\":[\"x\",\"y\"],\"f1\":null,\"trust\":null,"
	    "\"baseline_f1\":0.9,\"staged\":false,\"recent\":[]," POLICY "}",
	    &dec, &err), MM_REJECT);
	assert_string_equal(dec.reason, "drift severe: 'x' drifted (+1 more)");
	assert_int_equal(replay("{\"drift_status\":\"stable\",\"f1\":0.5,"
	    "\"baseline_f1\":0.9,\"has_previous\":true,\"recent\":[\"none\"],"
	    POLICY "}", &dec, &err), MM_ROLLBACK);
	/* With nothing to roll back to, a collapse is retrained on. */
	assert_int_equal(replay("{\"drift_status\":\"stable\",\"f1\":0.5,"
	    "\"baseline_f1\":0.9,\"has_previous\":false,\"recent\":[],"
	    POLICY "}", &dec, &err), MM_RETRAIN);
	/* An older mm's rule 1: drift_score >= psi_threshold. */
	assert_int_equal(replay("{\"drift_score\":0.3,\"recent\":[],"
	    "\"policy\":{\"psi_threshold\":0.2}}", &dec, &err), MM_REJECT);
	assert_string_equal(dec.reason, "drift_score 0.3 >= psi_threshold "
	    "0.2");
	assert_int_equal(replay("{\"drift_score\":0.3,\"recent\":[],"
	    "\"policy\":{}}", &dec, &err), -1);
	assert_string_equal(err.msg, "metadata is incomplete");
	/* Counts carry the bound's level. */
	assert_int_equal(replay("{\"drift_status\":\"stable\",\"confusion\":"
	    "[[5,0],[0,5]],\"pooled\":null,\"recent\":[],\"policy\":{}}",
	    &dec, &err), -1);
	assert_string_equal(err.msg, "metadata is incomplete");
	assert_int_equal(replay("{\"drift_status\":\"stable\",\"confusion\":"
	    "[[5,0],[0,5]],\"pooled\":[[1,0,0],[0,1,0],[0,0,1]],"
	    "\"recent\":[]," POLICY "}", &dec, &err), -1);
	assert_int_equal(replay("{\"drift_status\":\"calm\",\"recent\":[],"
	    POLICY "}", &dec, &err), -1);
	assert_string_equal(err.msg, "metadata has an unknown drift_status");
	assert_int_equal(replay("{\"drift_status\":null,\"recent\":"
	    "[\"panic\"]," POLICY "}", &dec, &err), -1);
	assert_string_equal(err.msg, "metadata has an unknown action");
	assert_int_equal(replay("{\"drift_status\":null,\"drifted\":[1],"
	    "\"recent\":[]," POLICY "}", &dec, &err), -1);
	assert_string_equal(err.msg, "metadata is incomplete");
	assert_int_equal(replay("{\"drift_status\":null,\"f1\":\"high\","
	    "\"recent\":[]," POLICY "}", &dec, &err), -1);
	assert_int_equal(replay("{\"drift_status\":null}", &dec, &err), -1);
}

static void
test_status_drifted(void **state)
{
	struct mm_signal sig;
	json_t *a;

	(void)state;
	assert_int_equal(mm_status_parse("stable"), MM_STABLE);
	assert_int_equal(mm_status_parse("severe"), MM_SEVERE);
	assert_int_equal(mm_status_parse("Severe"), -1);
	memset(&sig, 0, sizeof(sig));
	assert_int_equal(mm_signal_drifted(NULL, &sig), 0);
	assert_null(sig.drifted);
	a = json_loads("[\"a\",\"b\"]", 0, NULL);
	assert_int_equal(mm_signal_drifted(a, &sig), 0);
	assert_string_equal(sig.drifted, "a");
	assert_int_equal(sig.ndrifted, 2);
	json_decref(a);
	a = json_loads("{}", 0, NULL);
	assert_int_equal(mm_signal_drifted(a, &sig), -1);
	json_decref(a);
}

static void
test_history(void **state)
{
	struct mm_err err = { 0 };
	struct mm_db db;
	struct mm_policy_state st;
	char top[256], path[300], *out = NULL;
	size_t outlen = 0;
	long n, differ;
	FILE *f;

	(void)state;
	assert_int_equal(scratch_make(top, sizeof(top), "mm-replay"), 0);
	snprintf(path, sizeof(path), "%s/m.db", top);
	assert_int_equal(mm_db_open(&db, path, &err), 0);
	assert_int_equal(mm_db_exec(&db, "INSERT INTO decision_history (ts, "
	    "source, action, reason, metadata, created_at) VALUES "
	    "(1, 'b1', 'reject', '', '{\"drift_status\":\"severe\","
	    "\"recent\":[]," POLICY "}', 0),"
	    "(2, 'b2', 'none', '', '{\"drift_status\":\"severe\","
	    "\"recent\":[]," POLICY "}', 0),"
	    "(3, 'b3', 'none', '', '[]', 0),"
	    "(9, 'b9', 'panic', '', '[]', 0)", &err), 0);
	f = open_memstream(&out, &outlen);
	assert_int_equal(mm_replay(&db, 0, 5, f, &n, &differ, &err), 0);
	fclose(f);
	assert_int_equal(n, 3);
	assert_int_equal(differ, 2);
	assert_string_equal(out, "{\"id\":2,\"ts\":2,\"source\":\"b2\","
	    "\"stored\":\"none\",\"recomputed\":\"reject\",\"reason\":"
	    "\"drift severe\"}\n"
	    "{\"id\":3,\"ts\":3,\"source\":\"b3\",\"stored\":\"none\","
	    "\"error\":\"metadata is not a JSON object\"}\n");
	free(out);
	/* The recent actions, oldest first, without one unknown. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(mm_history_seed(&db, &st, &err), 0);
	assert_int_equal(st.nrecent, 3);
	assert_int_equal(st.recent[0], MM_REJECT);
	assert_int_equal(st.recent[1], MM_NONE);
	assert_int_equal(st.recent[2], MM_NONE);
	mm_db_close(&db);
	scratch_remove(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_status_drifted),
		cmocka_unit_test(test_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
