/*
 * test_forest.c - CART trees and the random forest: the split a
 * separable set must give, min_samples_leaf and max_depth, determinism
 * across runs and thread counts, probabilities, NaN, and the data a
 * forest cannot be fitted on.
 *
 * Leaf counts are checked against the bootstrap replayed here: tree t
 * of a forest with seed s draws its n rows, with mm_rng_below(n), from
 * the stream mm_rng_seed(s, t).  That stream is what makes a forest the
 * same on every machine, so a change to it should fail these tests.
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
#include "rng.h"

/* A data set: d columns of n rows, labels in [0, nclass). */
struct data {
	size_t n;
	int d, nclass;
	double *cols[8];
	int *y;
};

static void
data_alloc(struct data *D, size_t n, int d, int nclass)
{
	int j;

	memset(D, 0, sizeof(*D));
	D->n = n;
	D->d = d;
	D->nclass = nclass;
	for (j = 0; j < d; j++)
		D->cols[j] = calloc(n, sizeof(double));
	D->y = calloc(n, sizeof(int));
}

static void
data_free(struct data *D)
{
	int j;

	for (j = 0; j < D->d; j++)
		free(D->cols[j]);
	free(D->y);
}

/*
 * n rows, class i % 2: x0 is 1.25 for class 0 and 2.5 for class 1, and
 * with d = 2 a second column x1 of uniform noise comes first.
 */
static void
separable(struct data *D, size_t n, int d)
{
	struct mm_rng r;
	size_t i;

	data_alloc(D, n, d, 2);
	mm_rng_seed(&r, 99, 0);
	for (i = 0; i < n; i++) {
		D->y[i] = (int)(i % 2);
		D->cols[d - 1][i] = D->y[i] ? 2.5 : 1.25;
		if (d == 2)
			D->cols[0][i] = mm_rng_uniform(&r);
	}
}

/*
 * n rows of d standard normal features; the class is the sign of
 * x0 + x1 plus noise (nclass 2), or a band of x0 + 0.5 x1 (nclass 3).
 */
static void
noisy(struct data *D, size_t n, int d, int nclass, uint64_t seed)
{
	struct mm_rng r;
	size_t i;
	int j;

	data_alloc(D, n, d, nclass);
	mm_rng_seed(&r, seed, 0);
	for (i = 0; i < n; i++) {
		double s;

		for (j = 0; j < d; j++)
			D->cols[j][i] = mm_rng_normal(&r);
		if (nclass == 2) {
			s = D->cols[0][i] + D->cols[1][i] +
			    0.7 * mm_rng_normal(&r);
			D->y[i] = s > 0;
		} else {
			s = D->cols[0][i] + 0.5 * D->cols[1][i] +
			    0.3 * mm_rng_normal(&r);
			D->y[i] = s < -0.5 ? 0 : s < 0.5 ? 1 : 2;
		}
	}
}

static struct mm_forest_params
params(int trees, int depth, int leaf, unsigned long seed, int threads)
{
	struct mm_forest_params p;

	memset(&p, 0, sizeof(p));
	p.n_estimators = trees;
	p.max_depth = depth;
	p.min_samples_leaf = leaf;
	p.seed = seed;
	p.threads = threads;
	return p;
}

static void
fit(struct mm_forest *f, const struct data *D,
    const struct mm_forest_params *p)
{
	struct mm_err err = { 0 };

	if (mm_forest_fit(f, (const double *const *)D->cols, D->n, D->d,
	    D->y, D->nclass, p, &err) != 0)
		fail_msg("mm_forest_fit: %s", err.msg);
}

/* The leaf row i of D reaches in t (NaN as the node says). */
static int
leaf_of(const struct mm_tree *t, const struct data *D, size_t i)
{
	int node = 0;
	double v;

	while (t->feature[node] >= 0) {
		v = D->cols[t->feature[node]][i];
		node = (isnan(v) ? t->mright[node] : v > t->threshold[node]) ?
		    t->right[node] : t->left[node];
	}
	return node;
}

static int
depth_of(const struct mm_tree *t, int node)
{
	int l, r;

	if (t->feature[node] < 0)
		return 0;
	l = depth_of(t, t->left[node]);
	r = depth_of(t, t->right[node]);
	return 1 + (l > r ? l : r);
}

/* Bootstrap counts of tree ti of a forest with seed (see the top). */
static void
bootstrap(unsigned long seed, int ti, size_t n, int *w)
{
	struct mm_rng r;
	size_t i;

	mm_rng_seed(&r, seed, (uint64_t)ti);
	memset(w, 0, n * sizeof(int));
	for (i = 0; i < n; i++)
		w[mm_rng_below(&r, n)]++;
}

/*
 * Every tree of f is well formed (children after their parent, a leaf
 * has feature -1), and each leaf holds exactly the bootstrap weight of
 * the in-bag rows that reach it, per class.  Returns the fewest distinct
 * in-bag rows in any leaf.
 */
static size_t
check_leaves(const struct mm_forest *f, const struct data *D)
{
	int *w = malloc(D->n * sizeof(int)), ti, i, k, K = f->nclass;
	size_t fewest = D->n, r;

	assert_int_equal(f->ntrees, f->params.n_estimators);
	for (ti = 0; ti < f->ntrees; ti++) {
		const struct mm_tree *t = &f->trees[ti];
		double *cnt = calloc((size_t)t->n * K, sizeof(double));
		size_t *rows = calloc((size_t)t->n, sizeof(size_t));

		for (i = 0; i < t->n; i++) {
			if (t->feature[i] < 0)
				continue;
			assert_in_range(t->feature[i], 0, f->d - 1);
			assert_true(t->left[i] > i && t->left[i] < t->n);
			assert_true(t->right[i] > i && t->right[i] < t->n);
		}
		bootstrap(f->params.seed, ti, D->n, w);
		for (r = 0; r < D->n; r++) {
			if (w[r] == 0)
				continue;
			i = leaf_of(t, D, r);
			cnt[(size_t)i * K + D->y[r]] += w[r];
			rows[i]++;
		}
		for (i = 0; i < t->n; i++) {
			if (t->feature[i] >= 0)
				continue;
			for (k = 0; k < K; k++)
				if (t->value[(size_t)i * K + k] !=
				    cnt[(size_t)i * K + k])
					fail_msg("tree %d leaf %d class %d: "
					    "%g rows, want %g", ti, i, k,
					    t->value[(size_t)i * K + k],
					    cnt[(size_t)i * K + k]);
			if (rows[i] < fewest)
				fewest = rows[i];
		}
		free(cnt);
		free(rows);
	}
	free(w);
	return fewest;
}

static int
trees_equal(const struct mm_tree *a, const struct mm_tree *b, int K)
{
	size_t n = (size_t)a->n;

	return a->n == b->n &&
	    memcmp(a->feature, b->feature, n * sizeof(int)) == 0 &&
	    memcmp(a->threshold, b->threshold, n * sizeof(double)) == 0 &&
	    memcmp(a->left, b->left, n * sizeof(int)) == 0 &&
	    memcmp(a->right, b->right, n * sizeof(int)) == 0 &&
	    memcmp(a->value, b->value, n * K * sizeof(double)) == 0;
}

static int
forests_equal(const struct mm_forest *a, const struct mm_forest *b)
{
	int ti;

	if (a->d != b->d || a->nclass != b->nclass || a->ntrees != b->ntrees)
		return 0;
	for (ti = 0; ti < a->ntrees; ti++)
		if (!trees_equal(&a->trees[ti], &b->trees[ti], a->nclass))
			return 0;
	return 1;
}

/*
 * Two values, one per class: every tree is one split at the midpoint
 * 1.875 = (1.25 + 2.5) / 2, a left leaf of class 0 and a right leaf of
 * class 1 holding the bootstrap draws of each class.
 */
static void
test_separable_stump(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(5, 6, 1, 7, 1);
	int w[100], ti;
	size_t i;

	(void)state;
	separable(&D, 100, 1);
	fit(&f, &D, &p);
	assert_int_equal(f.d, 1);
	assert_int_equal(f.nclass, 2);
	assert_int_equal(f.ntrees, 5);
	assert_int_equal(f.params.max_features, 1);
	for (ti = 0; ti < f.ntrees; ti++) {
		const struct mm_tree *t = &f.trees[ti];
		double even = 0, odd = 0;

		bootstrap(7, ti, 100, w);
		for (i = 0; i < 100; i++)
			*(i % 2 ? &odd : &even) += w[i];
		assert_int_equal(t->n, 3);
		assert_int_equal(t->feature[0], 0);
		if (t->threshold[0] != 1.875)
			fail_msg("tree %d threshold %.17g, want 1.875", ti,
			    t->threshold[0]);
		assert_int_equal(t->left[0], 1);
		assert_int_equal(t->right[0], 2);
		assert_int_equal(t->feature[1], -1);
		assert_int_equal(t->feature[2], -1);
		assert_true(t->value[0] == 0 && t->value[1] == 0);
		assert_true(t->value[2] == even && t->value[3] == 0);
		assert_true(t->value[4] == 0 && t->value[5] == odd);
		assert_true(even + odd == 100 && even > 0 && odd > 0);
	}
	check_leaves(&f, &D);
	mm_forest_release(&f);
	data_free(&D);
}

/* With a noise column first and both columns tried, x1 still wins. */
static void
test_separable_picks_feature(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(8, 6, 1, 3, 1);
	int ti;

	(void)state;
	separable(&D, 100, 2);
	p.max_features = 2;
	fit(&f, &D, &p);
	assert_int_equal(f.params.max_features, 2);
	for (ti = 0; ti < f.ntrees; ti++) {
		assert_int_equal(f.trees[ti].n, 3);
		assert_int_equal(f.trees[ti].feature[0], 1);
		assert_true(f.trees[ti].threshold[0] == 1.875);
	}
	check_leaves(&f, &D);
	mm_forest_release(&f);
	data_free(&D);
}

/*
 * The midpoint of the two values either side of the gap that the
 * bootstrap sample holds: 2.5 when it has 2.0 and 3.0, else 2.25, 2.75,
 * ...; one leaf when it holds one class only.
 */
static void
test_threshold_midpoint(void **state)
{
	static const double xs[] = { 3.5, 0.5, 2.0, 4.5, 1.0, 3.0, 1.5, 4.0 };
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(40, 6, 1, 11, 1);
	int w[8], ti, other = 0;
	size_t i;

	(void)state;
	data_alloc(&D, 8, 1, 2);
	for (i = 0; i < 8; i++) {
		D.cols[0][i] = xs[i];
		D.y[i] = xs[i] > 2.5;
	}
	fit(&f, &D, &p);
	for (ti = 0; ti < f.ntrees; ti++) {
		double hi0 = -INFINITY, lo1 = INFINITY;

		bootstrap(11, ti, 8, w);
		for (i = 0; i < 8; i++) {
			if (w[i] == 0)
				continue;
			if (D.y[i] == 0 && D.cols[0][i] > hi0)
				hi0 = D.cols[0][i];
			if (D.y[i] == 1 && D.cols[0][i] < lo1)
				lo1 = D.cols[0][i];
		}
		if (isinf(hi0) || isinf(lo1)) {
			assert_int_equal(f.trees[ti].n, 1);
			continue;
		}
		assert_int_equal(f.trees[ti].n, 3);
		if (f.trees[ti].threshold[0] != (hi0 + lo1) / 2)
			fail_msg("tree %d threshold %.17g, want %.17g", ti,
			    f.trees[ti].threshold[0], (hi0 + lo1) / 2);
		other += f.trees[ti].threshold[0] != 2.5;
	}
	/* The samples differ enough for the test to mean something. */
	assert_true(other > 0 && other < f.ntrees);
	check_leaves(&f, &D);
	mm_forest_release(&f);
	data_free(&D);
}

static void
test_min_samples_leaf(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(20, 12, 20, 5, 2);
	size_t fewest;

	(void)state;
	noisy(&D, 500, 4, 2, 1);
	fit(&f, &D, &p);
	fewest = check_leaves(&f, &D);
	if (fewest < 20)
		fail_msg("a leaf has %zu distinct rows, fewer than 20",
		    fewest);
	mm_forest_release(&f);

	/* Fewer rows than two leaves need: every tree is one leaf. */
	p = params(3, 12, 60, 5, 1);
	D.n = 100;
	fit(&f, &D, &p);
	assert_int_equal(f.trees[0].n, 1);
	assert_int_equal(f.trees[1].n, 1);
	assert_int_equal(f.trees[2].n, 1);
	check_leaves(&f, &D);
	mm_forest_release(&f);
	data_free(&D);
}

static void
test_max_depth(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(20, 3, 1, 5, 2);
	int ti, deepest = 0, dd;

	(void)state;
	noisy(&D, 500, 4, 2, 2);
	fit(&f, &D, &p);
	for (ti = 0; ti < f.ntrees; ti++) {
		dd = depth_of(&f.trees[ti], 0);
		if (dd > 3)
			fail_msg("tree %d has depth %d, more than 3", ti, dd);
		if (dd > deepest)
			deepest = dd;
	}
	assert_int_equal(deepest, 3);
	check_leaves(&f, &D);
	mm_forest_release(&f);

	p = params(10, 1, 1, 5, 1);
	fit(&f, &D, &p);
	for (ti = 0; ti < f.ntrees; ti++)
		assert_int_equal(f.trees[ti].n, 3);
	check_leaves(&f, &D);
	mm_forest_release(&f);
	data_free(&D);
}

static void
test_deterministic(void **state)
{
	struct data D;
	struct mm_forest a, b, c;
	struct mm_forest_params p1 = params(30, 6, 2, 42, 1);
	struct mm_forest_params p2 = params(30, 6, 2, 42, 2);
	struct mm_forest_params p3 = params(30, 6, 2, 43, 2);
	double *pa, *pb;

	(void)state;
	noisy(&D, 600, 5, 2, 3);
	fit(&a, &D, &p1);
	fit(&b, &D, &p1);
	assert_true(forests_equal(&a, &b));
	mm_forest_release(&b);

	/* One thread or two: the same trees, in the same order. */
	fit(&b, &D, &p2);
	assert_true(forests_equal(&a, &b));
	pa = malloc(D.n * 2 * sizeof(double));
	pb = malloc(D.n * 2 * sizeof(double));
	mm_forest_predict(&a, (const double *const *)D.cols, D.n, pa);
	mm_forest_predict(&b, (const double *const *)D.cols, D.n, pb);
	assert_memory_equal(pa, pb, D.n * 2 * sizeof(double));

	/* Another seed: other bootstrap samples, other trees. */
	fit(&c, &D, &p3);
	assert_false(forests_equal(&a, &c));
	assert_false(trees_equal(&a.trees[0], &c.trees[0], 2));
	check_leaves(&c, &D);
	free(pa);
	free(pb);
	mm_forest_release(&a);
	mm_forest_release(&b);
	mm_forest_release(&c);
	data_free(&D);
}

/* Prediction of 5000 rows runs on two threads; the same as in blocks. */
static void
test_predict_large(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(10, 6, 5, 1, 2);
	double *all, *part;
	size_t off;

	(void)state;
	noisy(&D, 5000, 3, 2, 4);
	fit(&f, &D, &p);
	all = malloc(D.n * 2 * sizeof(double));
	part = malloc(D.n * 2 * sizeof(double));
	mm_forest_predict(&f, (const double *const *)D.cols, D.n, all);
	for (off = 0; off < D.n; off += 1000) {
		const double *cols[3] = { D.cols[0] + off, D.cols[1] + off,
			D.cols[2] + off };

		mm_forest_predict(&f, cols, 1000, part + off * 2);
	}
	assert_memory_equal(all, part, D.n * 2 * sizeof(double));
	free(all);
	free(part);
	mm_forest_release(&f);
	data_free(&D);
}

static void
test_three_classes(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(25, 6, 3, 9, 2);
	double *proba, sum;
	size_t i, right = 0;
	int k, best, seen[3] = { 0, 0, 0 };

	(void)state;
	noisy(&D, 900, 4, 3, 5);
	fit(&f, &D, &p);
	assert_int_equal(f.nclass, 3);
	check_leaves(&f, &D);
	proba = malloc(D.n * 3 * sizeof(double));
	mm_forest_predict(&f, (const double *const *)D.cols, D.n, proba);
	for (i = 0; i < D.n; i++) {
		const double *q = proba + i * 3;

		sum = 0;
		best = 0;
		for (k = 0; k < 3; k++) {
			if (!(q[k] >= 0 && q[k] <= 1))
				fail_msg("row %zu class %d: proba %.17g", i,
				    k, q[k]);
			sum += q[k];
			if (q[k] > q[best])
				best = k;
		}
		if (fabs(sum - 1) > 1e-12)
			fail_msg("row %zu: probabilities sum to %.17g", i, sum);
		seen[best] = 1;
		right += best == D.y[i];
	}
	/* Every class is predicted, and the training rows mostly right. */
	assert_true(seen[0] && seen[1] && seen[2]);
	if (right < D.n * 8 / 10)
		fail_msg("%zu of %zu training rows right", right, D.n);
	free(proba);
	mm_forest_release(&f);
	data_free(&D);
}

/* A forest of one hand-made stump: x0 <= 0.5 is class 0. */
static void
stump(struct mm_forest *f)
{
	struct mm_tree *t;
	int root, l, r;

	mm_forest_init(f);
	f->d = 2;
	f->nclass = 2;
	f->ntrees = 1;
	f->trees = calloc(1, sizeof(*f->trees));
	t = &f->trees[0];
	root = mm_tree_add_node(t, 2);
	l = mm_tree_add_node(t, 2);
	r = mm_tree_add_node(t, 2);
	t->feature[root] = 0;
	t->threshold[root] = 0.5;
	t->left[root] = l;
	t->right[root] = r;
	t->value[l * 2 + 0] = 3;
	t->value[l * 2 + 1] = 1;
	t->value[r * 2 + 1] = 5;
}

static void
test_missing_values(void **state)
{
	static const double x0[] = { NAN, 0.5, 0.75, -INFINITY, INFINITY };
	static const double x1[] = { 9, 9, 9, 9, 9 };
	static const double want[] = { 0.75, 0.25, 0.75, 0.25, 0, 1,
		0.75, 0.25, 0, 1 };
	const double *cols[2] = { x0, x1 };
	struct mm_forest f;
	struct data D;
	struct mm_forest_params p = params(10, 6, 1, 7, 1);
	double proba[10], q[2];
	const double nan = NAN;
	const double *nancol[1] = { &nan };
	int i;

	(void)state;
	stump(&f);
	mm_forest_predict(&f, cols, 5, proba);
	for (i = 0; i < 10; i++)
		if (proba[i] != want[i])
			fail_msg("proba[%d] = %.17g, want %.17g", i, proba[i],
			    want[i]);
	mm_forest_release(&f);

	/*
	 * Missing at fit time: half the class 1 rows have no value, and
	 * each split learns to send a missing value to their side.
	 */
	separable(&D, 200, 1);
	for (i = 1; i < 200; i += 4)
		D.cols[0][i] = NAN;
	fit(&f, &D, &p);
	mm_forest_predict(&f, nancol, 1, q);
	assert_true(q[0] == 0 && q[1] == 1);
	/* Row 0 has its value, 1.25: class 0. */
	mm_forest_predict(&f, (const double *const *)D.cols, 1, q);
	assert_true(q[0] == 1 && D.y[0] == 0);
	mm_forest_release(&f);
	/*
	 * No value missing at fit time: a missing one goes to the heavier
	 * child, here the class 0 side of x <= 1.875 (70 rows of 100).
	 */
	for (i = 0; i < 100; i++) {
		D.y[i] = i >= 70;
		D.cols[0][i] = D.y[i] ? 2.5 : 1.25;
	}
	D.n = 100;
	fit(&f, &D, &p);
	mm_forest_predict(&f, nancol, 1, q);
	assert_true(q[0] == 1 && q[1] == 0);
	mm_forest_release(&f);
	data_free(&D);
}

/*
 * The vector walk (AVX-512, where the CPU has it) gives the walk by
 * nodes' probabilities bit for bit: two and three classes, trees small
 * enough for it and too large (more than 64 leaves: the forest falls
 * back), values missing at fit and at predict time (splits that send
 * them right), infinities, and batches around its 16- and 32-row
 * steps.
 */
static void
test_predict_vector(void **state)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 31, 32, 33, 255, 256,
		257, 300, 4100 };
	static const struct { int nclass, depth, leaf; } cases[] = {
		{ 2, 6, 1 }, { 3, 6, 1 }, { 2, 3, 5 }, { 2, 10, 1 },
		{ 3, 1, 1 },
	};
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p;
	double *pv, *pw;
	size_t c, z, i;
	int j, big;

	(void)state;
	if (!mm_forest_vector(1))
		skip();
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		noisy(&D, 4100, 4, cases[c].nclass, 11 + c);
		/* A value in 7 missing, more often in class 1's rows. */
		for (j = 0; j < 4; j++)
			for (i = (size_t)j; i < D.n; i += 7)
				if (D.y[i] == 1 || i % 3 == 0)
					D.cols[j][i] = NAN;
		D.cols[2][5] = INFINITY;
		D.cols[3][6] = -INFINITY;
		p = params(20, cases[c].depth, cases[c].leaf, 5 + c, 2);
		fit(&f, &D, &p);
		for (big = 0, j = 0; j < f.ntrees; j++)
			big |= (f.trees[j].n + 1) / 2 > 64;
		assert_int_equal(big, cases[c].depth == 10);
		pv = malloc(D.n * 3 * sizeof(double));
		pw = malloc(D.n * 3 * sizeof(double));
		for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			const double *cols[4] = { D.cols[0] + 3, D.cols[1] + 3,
				D.cols[2] + 3, D.cols[3] + 3 };
			size_t n = sizes[z] < D.n - 3 ? sizes[z] : D.n - 3;

			assert_int_equal(mm_forest_vector(1), 1);
			mm_forest_predict(&f, cols, n, pv);
			assert_int_equal(mm_forest_vector(0), 0);
			mm_forest_predict(&f, cols, n, pw);
			if (memcmp(pv, pw, n * (size_t)D.nclass *
			    sizeof(double)) != 0)
				fail_msg("case %zu, %zu rows: the vector walk "
				    "differs", c, n);
		}
		mm_forest_vector(1);
		free(pv);
		free(pw);
		mm_forest_release(&f);
		data_free(&D);
	}
}

static void
test_errors(void **state)
{
	struct data D;
	struct mm_forest f;
	struct mm_forest_params p = params(10, 6, 5, 1, 1);
	struct mm_err err;
	size_t i;

	(void)state;
	noisy(&D, 100, 2, 2, 6);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_forest_fit(&f, (const double *const *)D.cols, 3,
	    D.d, D.y, 2, &p, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "3 rows are fewer than one leaf needs "
	    "(min_samples_leaf 5)");
	assert_int_equal(f.ntrees, 0);
	mm_forest_release(&f);

	for (i = 0; i < D.n; i++)
		D.y[i] = 1;
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_forest_fit(&f, (const double *const *)D.cols,
	    D.n, D.d, D.y, 2, &p, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	assert_string_equal(err.msg, "the labels hold a single class; a "
	    "classifier needs at least two");
	assert_int_equal(f.ntrees, 0);
	mm_forest_release(&f);

	/* Exactly one leaf's worth of rows is enough. */
	D.y[0] = 0;
	fit(&f, &(struct data){ 5, 2, 2, { D.cols[0], D.cols[1] }, D.y }, &p);
	assert_int_equal(f.trees[0].n, 1);
	mm_forest_release(&f);
	data_free(&D);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separable_stump),
		cmocka_unit_test(test_separable_picks_feature),
		cmocka_unit_test(test_threshold_midpoint),
		cmocka_unit_test(test_min_samples_leaf),
		cmocka_unit_test(test_max_depth),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_predict_large),
		cmocka_unit_test(test_three_classes),
		cmocka_unit_test(test_missing_values),
		cmocka_unit_test(test_predict_vector),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("forest", tests, NULL, NULL);
}
