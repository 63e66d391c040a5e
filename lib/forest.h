/*
 * forest.h - a random forest of CART classification trees.  Pure: no I/O.
 *
 * Trees use Gini impurity, a bootstrap sample each, a random subset of
 * max_features features per split (sqrt(d) by default), max_depth and
 * min_samples_leaf.  A value may be missing (NaN): each split learns
 * where missing values go, trying them on either side as scikit-learn
 * 1.4 and LightGBM do, and a split may be "missing or not"; a split that
 * saw no missing value at fit time sends them to its heavier child.  A
 * leaf holds the class distribution of its training rows; predict_proba
 * is the mean of the trees' leaf distributions.  Each tree draws from
 * its own seeded stream, so the same data and seed give the same forest
 * on any machine and with any number of threads.
 *
 * Splits are found as exact CART finds them: a feature's rows in order
 * of value (sorted once per fit, the lists kept in order as nodes
 * split), or for a feature of at most 64 distinct values a histogram
 * of the node's rows over them; both give the same candidates.
 */
#ifndef MM_FOREST_H
#define MM_FOREST_H

#include <stddef.h>

#include "mm.h"

struct mm_forest_params {
	int n_estimators;
	int max_depth;
	int min_samples_leaf;
	int max_features;	/* 0: floor(sqrt(d)), at least 1 */
	unsigned long seed;
	int threads;		/* to fit, and to predict a large batch:
				   1 to 8 (less is 1, more 8); callers
				   ask one per core */
};

struct mm_tree {
	int n;			/* nodes; node 0 is the root */
	int *feature;		/* -1 for a leaf */
	double *threshold;	/* go left when x <= threshold */
	int *left, *right;
	unsigned char *mright;	/* missing values go right, not left */
	double *value;		/* n * nclass: a leaf's training rows per
				   class, counted with bootstrap weight */
};

struct mm_forest {
	int d;			/* features */
	int nclass;		/* classes are 0 .. nclass-1 */
	int ntrees;
	struct mm_tree *trees;
	struct mm_forest_params params;
	void *flat;		/* prediction layout, from mm_forest_prepare */
};

void mm_forest_init(struct mm_forest *f);
void mm_forest_release(struct mm_forest *f);

/*
 * Fit on n rows: cols[j][i] is feature j of row i (NaN: missing), y[i] in
 * [0, nclass).  Returns 0, or -1 with err (MM_EINPUT) for data a forest
 * cannot be fitted on (fewer rows than a leaf needs, one class only).
 */
int mm_forest_fit(struct mm_forest *f, const double *const *cols, size_t n,
    int d, const int *y, int nclass, const struct mm_forest_params *p,
    struct mm_err *err);

/*
 * Class probabilities of n rows (column-major as for fit; NaN: missing)
 * into proba[i * nclass + k].  A batch of 4096 rows or more is shared
 * among f->params.threads threads (a loaded forest has 0, one thread,
 * until its caller says otherwise).
 */
void mm_forest_predict(const struct mm_forest *f, const double *const *cols,
    size_t n, double *proba);

/*
 * Build the layout prediction walks, once, so each mm_forest_predict()
 * need not (mm_forest_fit() and model loading call it).  Call again
 * after changing the trees.
 */
void mm_forest_prepare(struct mm_forest *f);

/*
 * Prediction walks a tree of at most 64 leaves 32 rows at a time in
 * AVX-512 registers, eight to a register, where the CPU has them
 * (forest.c); otherwise, and for larger trees, node by node.  Both give
 * the same probabilities, bit for bit.  on = 0 turns the vector walk
 * off for this process (mm_predictor_init() does for MM_SIMD=none);
 * on = 1 turns it back on.  Returns 1 if the vector walk is used from
 * now on, 0 if not (off, or not on this CPU).
 */
int mm_forest_vector(int on);

/* Append a tree's node to t; returns its index (for model loading). */
int mm_tree_add_node(struct mm_tree *t, int nclass);
/*
 * An empty t given n nodes at once, each as mm_tree_add_node makes it
 * (a leaf with no counts), with the room its doubling would have: the
 * arrays of a tree read from a model are not grown node by node.
 */
void mm_tree_nodes(struct mm_tree *t, size_t n, int nclass);

#endif
