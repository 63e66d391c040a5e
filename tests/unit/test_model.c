/*
 * test_model.c - model.json: a forest written and read back predicts the
 * same bits and writes the same text, and text that is not a model is
 * refused with a message saying why.
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

#include "forest.h"
#include "json.h"
#include "model.h"
#include "rng.h"

#define N 400
#define D 3

static const char *const names[D] = { "age", "tab\there", "q\"uote" };

/*
 * A 3-class forest on normal features with full-precision values (so
 * thresholds need 17 digits), scaled so that some are tiny and some
 * large.
 */
static void
make_forest(struct mm_forest *f, double *cols[D])
{
	static const double scale[D] = { 1e-7, 1, 3e12 };
	struct mm_forest_params p;
	struct mm_err err = { 0 };
	struct mm_rng r;
	int y[N], j;
	size_t i;

	mm_rng_seed(&r, 5, 0);
	for (j = 0; j < D; j++)
		cols[j] = malloc(N * sizeof(double));
	for (i = 0; i < N; i++) {
		double s = 0;

		for (j = 0; j < D; j++) {
			cols[j][i] = mm_rng_normal(&r) * scale[j];
			s += cols[j][i] / scale[j];
		}
		s += 0.5 * mm_rng_normal(&r);
		y[i] = s < -0.6 ? 0 : s < 0.6 ? 1 : 2;
	}
	memset(&p, 0, sizeof(p));
	p.n_estimators = 15;
	p.max_depth = 5;
	p.min_samples_leaf = 2;
	p.seed = 4000000000UL;
	p.threads = 2;
	if (mm_forest_fit(f, (const double *const *)cols, N, D, y, 3, &p,
	    &err) != 0)
		fail_msg("mm_forest_fit: %s", err.msg);
}

static void
test_roundtrip(void **state)
{
	struct mm_forest f;
	struct mm_model m;
	struct mm_buf a, b;
	struct mm_err err = { 0 };
	double *cols[D], *pa, *pb;
	int j, ti;

	(void)state;
	make_forest(&f, cols);
	mm_buf_init(&a);
	mm_buf_init(&b);
	mm_model_json(&f, names, NULL, &a);
	assert_true(a.n > 0 && a.p[a.n - 1] == '\n');
	if (mm_model_parse(&m, a.p, a.n, &err) != 0)
		fail_msg("mm_model_parse: %s", err.msg);

	assert_int_equal(m.nfeat, D);
	for (j = 0; j < D; j++)
		assert_string_equal(m.features[j], names[j]);
	assert_int_equal(m.forest.d, D);
	assert_int_equal(m.forest.nclass, 3);
	assert_int_equal(m.forest.ntrees, 15);
	assert_int_equal(m.forest.params.n_estimators, 15);
	assert_int_equal(m.forest.params.max_depth, 5);
	assert_int_equal(m.forest.params.min_samples_leaf, 2);
	assert_int_equal(m.forest.params.max_features, 1);
	assert_true(m.forest.params.seed == 4000000000UL);
	for (ti = 0; ti < f.ntrees; ti++) {
		const struct mm_tree *x = &f.trees[ti];
		const struct mm_tree *z = &m.forest.trees[ti];
		size_t n = (size_t)x->n;

		assert_int_equal(z->n, x->n);
		assert_memory_equal(z->feature, x->feature, n * sizeof(int));
		assert_memory_equal(z->threshold, x->threshold,
		    n * sizeof(double));
		assert_memory_equal(z->left, x->left, n * sizeof(int));
		assert_memory_equal(z->right, x->right, n * sizeof(int));
		assert_memory_equal(z->value, x->value, n * 3 * sizeof(double));
	}

	/* The same probabilities to the bit. */
	pa = malloc(N * 3 * sizeof(double));
	pb = malloc(N * 3 * sizeof(double));
	mm_forest_predict(&f, (const double *const *)cols, N, pa);
	mm_forest_predict(&m.forest, (const double *const *)cols, N, pb);
	assert_memory_equal(pa, pb, N * 3 * sizeof(double));

	/* And the same text when written again. */
	mm_model_json(&m.forest, (const char *const *)m.features, NULL, &b);
	assert_int_equal(b.n, a.n);
	assert_memory_equal(b.p, a.p, a.n);

	free(pa);
	free(pb);
	for (j = 0; j < D; j++)
		free(cols[j]);
	mm_buf_release(&a);
	mm_buf_release(&b);
	mm_model_release(&m);
	mm_forest_release(&f);
}

/* One feature "x", two trees; TREE1 is the second tree's text. */
#define HEAD "{\"format\":\"mm-forest/1\",\"features\":[\"x\"],\"classes\":2,"
#define TREE0 "{\"feature\":[0,-1,-1],\"threshold\":[0.5,0,0]," \
	"\"left\":[1,-1,-1],\"right\":[2,-1,-1],\"counts\":[0,0,3,1,0,4]}"
#define MODEL(tree1) HEAD "\"trees\":[" TREE0 "," tree1 "]}"
#define GOOD1 "{\"feature\":[-1],\"threshold\":[0],\"left\":[-1]," \
	"\"right\":[-1],\"counts\":[1,1]}"

static void
test_small_model(void **state)
{
	static const double x[] = { 0.5, 0.6 };
	const double *cols[1] = { x };
	const char *text = MODEL(GOOD1);
	struct mm_model m;
	struct mm_err err = { 0 };
	double proba[4];

	(void)state;
	if (mm_model_parse(&m, text, strlen(text), &err) != 0)
		fail_msg("mm_model_parse: %s", err.msg);
	assert_int_equal(m.forest.ntrees, 2);
	assert_int_equal(m.forest.trees[1].n, 1);
	/* Tree 0: 0.5 goes left (0.75, 0.25), 0.6 right (0, 1). */
	mm_forest_predict(&m.forest, cols, 2, proba);
	assert_true(proba[0] == (0.75 + 0.5) / 2);
	assert_true(proba[1] == (0.25 + 0.5) / 2);
	assert_true(proba[2] == 0.25 && proba[3] == 0.75);
	mm_model_release(&m);
}

static void
expect_error(const char *text, const char *msg)
{
	struct mm_model m;
	struct mm_err err;

	memset(&err, 0, sizeof(err));
	if (mm_model_parse(&m, text, strlen(text), &err) != -1)
		fail_msg("accepted: %s", text);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, msg);
	/* A failed parse leaves nothing to free, and releasing is safe. */
	assert_int_equal(m.nfeat, 0);
	assert_null(m.features);
	assert_null(m.forest.trees);
	mm_model_release(&m);
}

static void
test_format_errors(void **state)
{
	(void)state;
	expect_error("{\"format\":\"mm-forest/3\",\"features\":[\"x\"],"
	    "\"classes\":2,\"trees\":[" TREE0 "]}",
	    "not an mm model: no \"format\":\"mm-forest/2\"");
	expect_error("{\"features\":[\"x\"],\"classes\":2,\"trees\":[" TREE0
	    "]}", "not an mm model: no \"format\":\"mm-forest/2\"");
	expect_error("[1,2]", "not an mm model: no \"format\":\"mm-forest/2\"");
	expect_error(HEAD "\"trees\":[]}",
	    "not an mm model: features, classes or trees missing");
	expect_error("{\"format\":\"mm-forest/1\",\"features\":[\"x\"],"
	    "\"classes\":1,\"trees\":[" TREE0 "]}",
	    "not an mm model: features, classes or trees missing");
	expect_error("{\"format\":\"mm-forest/1\",\"features\":[7],"
	    "\"classes\":2,\"trees\":[" TREE0 "]}",
	    "not an mm model: a feature name is not a string");
}

/* What the scanner says of the JSON text, as model loading says it. */
static void
expect_json_error(const char *text, const char *value)
{
	struct mm_err err;
	char msg[sizeof(err.msg) + 32];

	memset(&err, 0, sizeof(err));
	assert_null(mm_json_skip(value, &err));
	snprintf(msg, sizeof(msg), "invalid model JSON: %s", err.msg);
	expect_error(text, msg);
}

/*
 * The trees are found while the file is validated: spaces, a key
 * written with an escape, and every way the array can be wrong, each
 * refused as the scanner refuses it.
 */
static void
test_trees_array(void **state)
{
	static const char *const good[] = {
		HEAD "\"trees\": [ " TREE0 " , " GOOD1 " ] }",
		HEAD "\"tr\\u0065es\":[" TREE0 "," GOOD1 "]}",
		"{\"trees\":[" TREE0 "," GOOD1 "],\"format\":\"mm-forest/1\","
		    "\"features\":[\"x\"],\"classes\":2}",
	};
	struct mm_model m;
	struct mm_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (mm_model_parse(&m, good[i], strlen(good[i]), &err) != 0)
			fail_msg("%s: %s", good[i], err.msg);
		assert_int_equal(m.forest.ntrees, 2);
		assert_int_equal(m.forest.trees[0].n, 3);
		assert_int_equal(m.forest.trees[1].n, 1);
		assert_int_equal(m.forest.trees[0].left[0], 1);
		assert_true(m.forest.trees[0].value[5] == 4);
		mm_model_release(&m);
	}
	expect_json_error(HEAD "\"trees\":[" TREE0 ",]}", "[" TREE0 ",]");
	expect_json_error(HEAD "\"trees\":[" TREE0 " " GOOD1 "]}",
	    "[" TREE0 " " GOOD1 "]");
	expect_json_error(HEAD "\"trees\":[" TREE0 ",{\"feature\":[1,]}]}",
	    "[" TREE0 ",{\"feature\":[1,]}]");
	expect_json_error(HEAD "\"trees\":[" TREE0, "[" TREE0);
	expect_error(HEAD "\"trees\":[" TREE0 ",7]}",
	    "not an mm model: tree 1: malformed");
	expect_error(HEAD "\"trees\":{}}",
	    "not an mm model: features, classes or trees missing");
}

static void
test_json_error(void **state)
{
	struct mm_model m;
	struct mm_err err;
	const char *text = "{\"format\":\"mm-forest/1\",";

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_model_parse(&m, text, strlen(text), &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_int_equal(strncmp(err.msg, "invalid model JSON: ", 20), 0);
	mm_model_release(&m);
}

static void
test_tree_errors(void **state)
{
	const char *bad = "not an mm model: tree 1: malformed";

	(void)state;
	/* A child index before (or at) its parent: a walk could loop. */
	expect_error(MODEL("{\"feature\":[0,0,-1],\"threshold\":[0.5,0.1,0],"
	    "\"left\":[1,0,-1],\"right\":[2,2,-1],\"counts\":[0,0,0,0,1,1]}"),
	    bad);
	expect_error(MODEL("{\"feature\":[0,-1,-1],\"threshold\":[0.5,0,0],"
	    "\"left\":[0,-1,-1],\"right\":[2,-1,-1],\"counts\":[0,0,1,1,1,1]}"),
	    bad);
	/* A child past the last node. */
	expect_error(MODEL("{\"feature\":[0,-1,-1],\"threshold\":[0.5,0,0],"
	    "\"left\":[1,-1,-1],\"right\":[3,-1,-1],\"counts\":[0,0,1,1,1,1]}"),
	    bad);
	/* A feature the model does not have, or below -1. */
	expect_error(MODEL("{\"feature\":[1,-1,-1],\"threshold\":[0.5,0,0],"
	    "\"left\":[1,-1,-1],\"right\":[2,-1,-1],\"counts\":[0,0,1,1,1,1]}"),
	    bad);
	expect_error(MODEL("{\"feature\":[-2,-1,-1],\"threshold\":[0.5,0,0],"
	    "\"left\":[1,-1,-1],\"right\":[2,-1,-1],\"counts\":[0,0,1,1,1,1]}"),
	    bad);
	/* Arrays of the wrong length or type, a leaf with no rows. */
	expect_error(MODEL("{\"feature\":[-1],\"threshold\":[0,0],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[1,1]}"), bad);
	expect_error(MODEL("{\"feature\":[-1],\"threshold\":[0],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[1]}"), bad);
	expect_error(MODEL("{\"feature\":[-1],\"threshold\":[\"0\"],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[1,1]}"), bad);
	expect_error(MODEL("{\"feature\":[0.5],\"threshold\":[0],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[1,1]}"), bad);
	expect_error(MODEL("{\"feature\":[-1],\"threshold\":[0],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[0,0]}"), bad);
	expect_error(MODEL("{\"feature\":[-1],\"threshold\":[0],"
	    "\"left\":[-1],\"right\":[-1],\"counts\":[-1,2]}"), bad);
	expect_error(MODEL("{\"feature\":[],\"threshold\":[],"
	    "\"left\":[],\"right\":[],\"counts\":[]}"), bad);
	expect_error(MODEL("[]"), bad);
	/* The first tree is counted from 0. */
	expect_error(HEAD "\"trees\":[{\"feature\":[0]}]}",
	    "not an mm model: tree 0: malformed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_small_model),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_json_error),
		cmocka_unit_test(test_trees_array),
		cmocka_unit_test(test_tree_errors),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
