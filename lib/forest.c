#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forest.h"
#include "rng.h"

/*
 * The threads asked for, 1 to 8.  How many cores there are is the
 * caller's to ask: the forest is the same on any number of threads.
 */
static int
threads(int asked)
{
	return asked < 1 ? 1 : asked > 8 ? 8 : asked;
}

void
mm_forest_init(struct mm_forest *f)
{
	memset(f, 0, sizeof(*f));
}

static void
tree_release(struct mm_tree *t)
{
	free(t->feature);
	free(t->threshold);
	free(t->left);
	free(t->right);
	free(t->mright);
	free(t->value);
	memset(t, 0, sizeof(*t));
}

struct flat;
static void free_flat(struct flat *flat, int ntrees);

void
mm_forest_release(struct mm_forest *f)
{
	int i;

	free_flat(f->flat, f->ntrees);
	for (i = 0; i < f->ntrees; i++)
		tree_release(&f->trees[i]);
	free(f->trees);
	memset(f, 0, sizeof(*f));
}

void
mm_tree_nodes(struct mm_tree *t, size_t n, int nclass)
{
	size_t cap = 1, i;

	/* Room as add_node's doubling would have left: a power of two. */
	while (cap < n)
		cap *= 2;
	t->n = (int)n;
	t->feature = mm_xmalloc(cap * sizeof(int));
	t->threshold = mm_xcalloc(cap, sizeof(double));
	t->left = mm_xmalloc(cap * sizeof(int));
	t->right = mm_xmalloc(cap * sizeof(int));
	t->mright = mm_xcalloc(cap, 1);
	t->value = mm_xcalloc(cap * (size_t)nclass, sizeof(double));
	for (i = 0; i < n; i++)
		t->feature[i] = t->left[i] = t->right[i] = -1;
}

int
mm_tree_add_node(struct mm_tree *t, int nclass)
{
	int i = t->n++;

	/* Grow in powers of two: a size that is a power of two is full. */
	if ((i & (i - 1)) == 0) {
		size_t cap = i ? 2 * (size_t)i : 1;

		t->feature = mm_xrealloc(t->feature, cap * sizeof(int));
		t->threshold = mm_xrealloc(t->threshold, cap * sizeof(double));
		t->left = mm_xrealloc(t->left, cap * sizeof(int));
		t->right = mm_xrealloc(t->right, cap * sizeof(int));
		t->mright = mm_xrealloc(t->mright, cap);
		t->value = mm_xrealloc(t->value,
		    cap * (size_t)nclass * sizeof(double));
	}
	t->feature[i] = -1;
	t->threshold[i] = 0;
	t->left[i] = t->right[i] = -1;
	t->mright[i] = 0;
	memset(t->value + (size_t)i * nclass, 0, (size_t)nclass *
	    sizeof(double));
	return i;
}

/* The most distinct values of a feature split on by a histogram. */
#define MM_BINS 64

/* What every tree shares: the data, sorted once per feature. */
struct fit {
	const double *const *cols;
	size_t n;
	int d, nclass, max_features;
	const int *y;
	const struct mm_forest_params *p;
	int **order;		/* order[j]: rows sorted by feature j */
	unsigned char *constant;	/* feature j has one value, none
					   missing */
	/*
	 * A feature of at most MM_BINS distinct values is split on by a
	 * histogram: code[j][i] is row i's value as an index into vals[j]
	 * (nvals[j], ascending), nvals[j] where it is missing.  Its rows
	 * need no sorted list.  code[j] is NULL for the others.
	 */
	unsigned short **code;
	double **vals;
	int *nvals;
	struct mm_forest *forest;
	pthread_mutex_t lock;
	int next;		/* next tree to build */
};

/* One builder's scratch space, reused from tree to tree. */
struct work {
	int *w;			/* bootstrap count of each row */
	int **idx;		/* idx[j][s..e): a node's rows, by feature j */
	int *tmp;
	unsigned char *goleft;
	double *tot, *lc, *mc;	/* class weights: node, left side,
				   missing */
	int *feats;
	double *hist;		/* (MM_BINS + 1) x classes weights */
	int *hcount;		/* MM_BINS + 1 row counts */
	struct mm_rng rng;
};

struct node_job {
	int node, start, end, depth;
};

/* Rows by value, missing values last, ties by row. */
static int
cmp_rows(const void *a, const void *b, void *ctx)
{
	const double *x = ctx;
	int i = *(const int *)a, j = *(const int *)b;

	if (isnan(x[i]) != isnan(x[j]))
		return isnan(x[i]) ? 1 : -1;
	if (x[i] != x[j] && !isnan(x[i]))
		return x[i] < x[j] ? -1 : 1;
	return (i > j) - (i < j);
}

/* The best split found so far. */
struct split {
	double score;		/* Gini proxy, larger is better */
	int feat;
	int mright;		/* missing values go right */
	double thr;		/* x <= thr goes left */
};

/* Gini proxy of a split with left class weights l (weight wl). */
static double
proxy(const double *tot, const double *l, double wl, double wsum, int K)
{
	double sl = 0, sr = 0, r;
	int k;

	for (k = 0; k < K; k++) {
		r = tot[k] - l[k];
		sl += l[k] * l[k];
		sr += r * r;
	}
	return sl / wl + sr / (wsum - wl);
}

/* The threshold between lo and the next value up, hi (last: none). */
static double
threshold(double lo, double hi, int last)
{
	double t;

	if (last)
		return lo;
	t = lo / 2.0 + hi / 2.0;
	return t == hi || isinf(t) ? lo : t;
}

/*
 * The candidates after a run of equal values of feature j: the left
 * side holds W->lc (weight wl, nl of the node's n rows), nm rows are
 * missing (class weights W->mc, weight wm), and hi is the next value up
 * (last: there is none).  Missing rows go right, then left; a split
 * after the last value is "missing or not".  1 if *b was improved.
 */
static int
candidates(const struct fit *F, struct work *W, struct split *b, int j,
    double wl, int nl, int n, int nm, double wm, double wsum, double lo,
    double hi, int last)
{
	int K = F->nclass, msl = F->p->min_samples_leaf, found = 0, k;
	double sc;

	if (last && nm == 0)
		return 0;
	if (nl >= msl && n - nl >= msl && (sc = proxy(W->tot, W->lc, wl,
	    wsum, K)) > b->score) {
		b->score = sc;
		b->feat = j;
		b->mright = nm > 0 || wsum - wl > wl;
		b->thr = threshold(lo, hi, last);
		found = 1;
	}
	if (nm == 0 || last || n - nm - nl < msl || nl + nm < msl)
		return found;
	for (k = 0; k < K; k++)
		W->lc[k] += W->mc[k];
	if ((sc = proxy(W->tot, W->lc, wl + wm, wsum, K)) > b->score) {
		b->score = sc;
		b->feat = j;
		b->mright = 0;
		b->thr = threshold(lo, hi, last);
		found = 1;
	}
	for (k = 0; k < K; k++)
		W->lc[k] -= W->mc[k];
	return found;
}

/*
 * Feature j's split by its sorted list idx[j][s..e), missing rows
 * last.  -1 when it is constant in the node, else whether *b improved.
 */
static int
sorted_split(const struct fit *F, struct work *W, int j, int s, int e,
    double wsum, struct split *b)
{
	const int *ix = W->idx[j];
	const double *x = F->cols[j];
	int K = F->nclass, msl = F->p->min_samples_leaf, found = 0, p, m;
	double wl, wm;

	for (m = e; m > s && isnan(x[ix[m - 1]]); m--)
		;
	if (m == s || (m == e && !(x[ix[s]] < x[ix[e - 1]])))
		return -1;
	memset(W->mc, 0, (size_t)K * sizeof(double));
	for (wm = 0, p = m; p < e; p++) {
		W->mc[F->y[ix[p]]] += W->w[ix[p]];
		wm += W->w[ix[p]];
	}
	memset(W->lc, 0, (size_t)K * sizeof(double));
	wl = 0;
	for (p = s; p < m; p++) {
		int row = ix[p], last = p == m - 1;

		W->lc[F->y[row]] += W->w[row];
		wl += W->w[row];
		if (e - p - 1 < msl)
			break;
		if (!last && !(x[row] < x[ix[p + 1]]))
			continue;
		found |= candidates(F, W, b, j, wl, p - s + 1, e - s, e - m,
		    wm, wsum, x[row], last ? 0 : x[ix[p + 1]], last);
	}
	return found;
}

/*
 * Feature j's split by a histogram of its few values (binned at fit
 * time): the same candidates as sorted_split() finds, in the same
 * order, without a sorted list of the node's rows.
 */
static int
binned_split(const struct fit *F, struct work *W, int j, int s, int e,
    double wsum, struct split *b)
{
	const unsigned short *code = F->code[j];
	const double *vals = F->vals[j];
	const int *ix = W->idx[0];
	int K = F->nclass, msl = F->p->min_samples_leaf, nv = F->nvals[j];
	int found = 0, nonempty = 0, nl = 0, c, next, k, p;
	double wl = 0, *h = W->hist;
	int *hc = W->hcount;

	memset(h, 0, (size_t)(nv + 1) * (size_t)K * sizeof(double));
	memset(hc, 0, (size_t)(nv + 1) * sizeof(int));
	for (p = s; p < e; p++) {
		int row = ix[p];

		c = code[row];
		h[c * K + F->y[row]] += W->w[row];
		hc[c]++;
	}
	for (c = 0; c < nv && nonempty < 2; c++)
		nonempty += hc[c] > 0;
	if (nonempty == 0 || (nonempty == 1 && hc[nv] == 0))
		return -1;
	memcpy(W->mc, h + (size_t)nv * K, (size_t)K * sizeof(double));
	{
		double wm = 0;

		for (k = 0; k < K; k++)
			wm += W->mc[k];
		memset(W->lc, 0, (size_t)K * sizeof(double));
		for (c = 0; c < nv && hc[c] == 0; c++)
			;
		for (; c < nv; c = next) {
			for (k = 0; k < K; k++) {
				W->lc[k] += h[c * K + k];
				wl += h[c * K + k];
			}
			nl += hc[c];
			for (next = c + 1; next < nv && hc[next] == 0; next++)
				;
			if (e - s - nl < msl)
				break;
			found |= candidates(F, W, b, j, wl, nl, e - s, hc[nv],
			    wm, wsum, vals[c], next < nv ? vals[next] : 0,
			    next == nv);
		}
	}
	return found;
}

/*
 * The best split of the node's rows idx[.][s..e) into *b; returns 0
 * when there is none.  Features are drawn until max_features that are
 * not constant in the node have been tried (scikit-learn counts the
 * constant ones too, but draws on until one is not).
 */
static int
best_split(const struct fit *F, struct work *W, int s, int e, double wsum,
    struct split *b)
{
	int drawn = 0, used = 0, found = 0, j, rc;

	b->score = -1;
	for (j = 0; j < F->d; j++)
		W->feats[j] = j;
	while (drawn < F->d && used < F->max_features) {
		int r = drawn + (int)mm_rng_below(&W->rng,
		    (uint64_t)(F->d - drawn));

		j = W->feats[r];
		W->feats[r] = W->feats[drawn];
		W->feats[drawn++] = j;
		rc = F->code[j] != NULL ? binned_split(F, W, j, s, e, wsum, b) :
		    sorted_split(F, W, j, s, e, wsum, b);
		if (rc < 0)
			continue;	/* constant in this node */
		used++;
		found |= rc;
	}
	return found;
}

/* A node of n rows may be split (its depth aside). */
static int
splittable(const struct fit *F, int n)
{
	return n >= 2 * F->p->min_samples_leaf && n >= 2;
}

static void
set_leaf(const struct fit *F, struct mm_tree *t, int node, const double *tot)
{
	int k;

	for (k = 0; k < F->nclass; k++)
		t->value[(size_t)node * F->nclass + k] = tot[k];
}

static void
build_tree(const struct fit *F, struct work *W, int ti, struct mm_tree *t)
{
	struct node_job *stack;
	int nstack = 0, m = 0, j, K = F->nclass;
	size_t i;

	mm_rng_seed(&W->rng, F->p->seed, (uint64_t)ti);
	memset(W->w, 0, F->n * sizeof(int));
	for (i = 0; i < F->n; i++)
		W->w[mm_rng_below(&W->rng, F->n)]++;
	/*
	 * Each feature's rows in order, those in the sample only, without
	 * a branch on which.  A feature with one value in every row needs
	 * no order: its list keeps the rows it has (build_tree).
	 */
	for (j = 0; j < F->d; j++) {
		const int *o = F->order[j];
		int *ix = W->idx[j];

		if (j > 0 && (F->constant[j] || F->code[j] != NULL))
			continue;
		for (m = 0, i = 0; i < F->n; i++) {
			ix[m] = o[i];
			m += W->w[o[i]] > 0;
		}
	}
	memset(t, 0, sizeof(*t));
	stack = mm_xmalloc((size_t)(2 * F->p->max_depth + 4) *
	    sizeof(*stack));
	stack[nstack++] = (struct node_job){ mm_tree_add_node(t, K), 0, m, 0 };
	while (nstack > 0) {
		struct node_job jb = stack[--nstack];
		int s = jb.start, e = jb.end, nl, k, pure, bf, mr, deeper = 1;
		struct split sp;
		double wsum = 0, thr;

		memset(W->tot, 0, (size_t)K * sizeof(double));
		for (j = s; j < e; j++) {
			int row = W->idx[0][j];

			W->tot[F->y[row]] += W->w[row];
			wsum += W->w[row];
		}
		pure = 0;
		for (k = 0; k < K; k++)
			if (W->tot[k] == wsum)
				pure = 1;
		if (pure || jb.depth >= F->p->max_depth ||
		    !splittable(F, e - s) ||
		    !best_split(F, W, s, e, wsum, &sp)) {
			set_leaf(F, t, jb.node, W->tot);
			continue;
		}
		/* Partition every feature's list, keeping each one sorted. */
		bf = sp.feat;
		thr = sp.thr;
		mr = sp.mright;
		for (j = s; j < e; j++) {
			int row = W->idx[0][j];
			double v = F->cols[bf][row];

			W->goleft[row] = isnan(v) ? !mr : !(v > thr);
		}
		nl = 0;
		for (j = 0; j < F->d; j++) {
			int *restrict ix = W->idx[j], *restrict tmp = W->tmp;
			const unsigned char *restrict gl = W->goleft;
			const double *x = F->cols[j];
			int a = s, b = 0, q, r, g;

			/*
			 * A feature with one value here (none missing) has it
			 * in every node below: any order of its rows will do,
			 * so its list is left as it is.  The first list is
			 * always partitioned: the nodes' rows are read from
			 * it.
			 */
			if (j > 0 && (!deeper || F->code[j] != NULL ||
			    x[ix[s]] == x[ix[e - 1]]))
				continue;
			/* Without a branch on the side: it is unpredictable. */
			for (q = s; q < e; q++) {
				r = ix[q];
				g = gl[r];
				ix[a] = r;
				tmp[b] = r;
				a += g;
				b += !g;
			}
			memcpy(ix + a, tmp, (size_t)b * sizeof(int));
			if (j == 0) {
				/* Children that will be leaves need the rows
				   of the first list only. */
				nl = a - s;
				deeper = jb.depth + 1 < F->p->max_depth &&
				    (splittable(F, nl) ||
				    splittable(F, e - s - nl));
			}
		}
		t->feature[jb.node] = bf;
		t->threshold[jb.node] = thr;
		t->mright[jb.node] = (unsigned char)mr;
		{
			int l = mm_tree_add_node(t, K);
			int r = mm_tree_add_node(t, K);

			t->left[jb.node] = l;
			t->right[jb.node] = r;
			stack[nstack++] = (struct node_job){ r, s + nl, e,
			    jb.depth + 1 };
			stack[nstack++] = (struct node_job){ l, s, s + nl,
			    jb.depth + 1 };
		}
	}
	free(stack);
}

static void *
worker(void *arg)
{
	struct fit *F = arg;
	struct work W;
	int j, ti;

	memset(&W, 0, sizeof(W));
	W.w = mm_xmalloc(F->n * sizeof(int));
	W.idx = mm_xmalloc((size_t)F->d * sizeof(int *));
	for (j = 0; j < F->d; j++) {
		W.idx[j] = mm_xmalloc(F->n * sizeof(int));
		memcpy(W.idx[j], F->order[j], F->n * sizeof(int));
	}
	W.tmp = mm_xmalloc(F->n * sizeof(int));
	W.goleft = mm_xmalloc(F->n);
	W.tot = mm_xmalloc((size_t)F->nclass * sizeof(double));
	W.lc = mm_xmalloc((size_t)F->nclass * sizeof(double));
	W.mc = mm_xmalloc((size_t)F->nclass * sizeof(double));
	W.feats = mm_xmalloc((size_t)F->d * sizeof(int));
	W.hist = mm_xmalloc((MM_BINS + 1) * (size_t)F->nclass *
	    sizeof(double));
	W.hcount = mm_xmalloc((MM_BINS + 1) * sizeof(int));
	for (;;) {
		pthread_mutex_lock(&F->lock);
		ti = F->next++;
		pthread_mutex_unlock(&F->lock);
		if (ti >= F->p->n_estimators)
			break;
		build_tree(F, &W, ti, &F->forest->trees[ti]);
	}
	for (j = 0; j < F->d; j++)
		free(W.idx[j]);
	free(W.idx);
	free(W.w);
	free(W.tmp);
	free(W.goleft);
	free(W.tot);
	free(W.lc);
	free(W.mc);
	free(W.feats);
	free(W.hist);
	free(W.hcount);
	return NULL;
}

/*
 * Bin feature j if it has at most MM_BINS distinct values: its sorted
 * order gives them, ascending, missing ones last.
 */
static void
bin_feature(struct fit *F, int j)
{
	const double *x = F->cols[j];
	const int *o = F->order[j];
	int nv = 0;
	size_t i;

	for (i = 0; i < F->n && !isnan(x[o[i]]); i++)
		if (i == 0 || x[o[i]] != x[o[i - 1]])
			if (++nv > MM_BINS)
				return;
	F->vals[j] = mm_xmalloc((size_t)(nv ? nv : 1) * sizeof(double));
	F->code[j] = mm_xmalloc(F->n * sizeof(unsigned short));
	nv = 0;
	for (i = 0; i < F->n; i++) {
		double v = x[o[i]];

		if (isnan(v)) {
			F->code[j][o[i]] = (unsigned short)F->nvals[j];
			continue;
		}
		if (nv == 0 || v != F->vals[j][nv - 1])
			F->vals[j][nv++] = v;
		F->code[j][o[i]] = (unsigned short)(nv - 1);
		F->nvals[j] = nv;
	}
}

int
mm_forest_fit(struct mm_forest *f, const double *const *cols, size_t n,
    int d, const int *y, int nclass, const struct mm_forest_params *p,
    struct mm_err *err)
{
	struct fit F;
	pthread_t th[8];
	int nth, i, j, *seen;
	size_t r;

	mm_forest_init(f);
	if (n < (size_t)p->min_samples_leaf || n < 2)
		return mm_errf(err, MM_EINPUT, 0, "%zu rows are fewer than "
		    "one leaf needs (min_samples_leaf %d)", n,
		    p->min_samples_leaf);
	seen = mm_xcalloc((size_t)nclass, sizeof(int));
	for (r = 0; r < n; r++)
		seen[y[r]] = 1;
	for (i = j = 0; i < nclass; i++)
		j += seen[i];
	free(seen);
	if (j < 2)
		return mm_errf(err, MM_EINPUT, 0, "the labels hold a single "
		    "class; a classifier needs at least two");
	memset(&F, 0, sizeof(F));
	F.cols = cols;
	F.n = n;
	F.d = d;
	F.y = y;
	F.nclass = nclass;
	F.p = p;
	F.max_features = p->max_features > 0 ? p->max_features :
	    (int)floor(sqrt((double)d));
	if (F.max_features < 1)
		F.max_features = 1;
	if (F.max_features > d)
		F.max_features = d;
	F.forest = f;
	F.order = mm_xmalloc((size_t)d * sizeof(int *));
	F.constant = mm_xmalloc((size_t)d);
	F.code = mm_xcalloc((size_t)d, sizeof(*F.code));
	F.vals = mm_xcalloc((size_t)d, sizeof(*F.vals));
	F.nvals = mm_xcalloc((size_t)d, sizeof(int));
	for (j = 0; j < d; j++) {
		F.order[j] = mm_xmalloc(n * sizeof(int));
		for (r = 0; r < n; r++)
			F.order[j][r] = (int)r;
		qsort_r(F.order[j], n, sizeof(int), cmp_rows,
		    (void *)cols[j]);
		F.constant[j] = cols[j][F.order[j][0]] ==
		    cols[j][F.order[j][n - 1]];
		bin_feature(&F, j);
	}
	f->d = d;
	f->nclass = nclass;
	f->ntrees = p->n_estimators;
	f->params = *p;
	f->params.max_features = F.max_features;
	f->trees = mm_xcalloc((size_t)p->n_estimators, sizeof(*f->trees));
	pthread_mutex_init(&F.lock, NULL);
	nth = threads(p->threads);
	if (nth > p->n_estimators)
		nth = p->n_estimators;
	for (i = 1; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &F) != 0)
			break;
	worker(&F);
	for (j = 1; j < i; j++)
		pthread_join(th[j], NULL);
	pthread_mutex_destroy(&F.lock);
	for (j = 0; j < d; j++)
		free(F.order[j]);
	free(F.order);
	free(F.constant);
	for (j = 0; j < d; j++) {
		free(F.code[j]);
		free(F.vals[j]);
	}
	free(F.code);
	free(F.vals);
	free(F.nvals);
	mm_forest_prepare(f);
	return 0;
}

/*
 * Prediction walks a flat copy of each tree in which a leaf is a node
 * whose children are itself: every row then takes exactly depth steps,
 * with no branch on the data, several rows at a time.  Rows are copied
 * row-major in blocks, so a row's features share a cache line.
 */
struct fnode {
	double thr;
	int feat;
	int kids[2];		/* left, right */
	int mright;		/* 1: a missing value goes right */
};

/*
 * A tree of at most 64 leaves is also kept for a walk with no branch and
 * no dependent load (QuickScorer, Lucchese et al., SIGIR 2015): number
 * the leaves left to right, and give each inner node the set of leaves
 * under its left child.  A row that a node sends right cannot end in
 * that set, so starting from all leaves and removing the set of every
 * node that sends the row right leaves the row's own leaf as the lowest
 * one left: the leaves left of it were removed where its path went
 * right, and no node removes it.  Every node's test is independent of
 * the others, so eight rows take each test in one vector compare.
 */
#define QS_LEAVES 64

static int qs_cpu(void);

struct qs {
	int nint;		/* inner nodes */
	int nplain;		/* the first nplain send missing values left */
	int *feat;
	double *thr;
	uint64_t *left;		/* the leaves under the left child */
	double *value;		/* leaf class shares, leaves left to right */
};

struct flat {
	struct fnode *node;
	double *value;		/* leaf class shares */
	int depth;
	struct qs qs;		/* qs.value is NULL: too many leaves */
};

struct predict_job {
	const struct mm_forest *f;
	const struct flat *flat;
	const double *const *cols;
	size_t n;
	double *proba;
	size_t next;		/* the next block to take, shared */
	int qs;			/* qs_on(), and every tree has its leaf
				   sets */
};

static int
tree_depth(const struct mm_tree *t, int node)
{
	int l, r;

	if (t->feature[node] < 0)
		return 0;
	l = tree_depth(t, t->left[node]);
	r = tree_depth(t, t->right[node]);
	return 1 + (l > r ? l : r);
}

/*
 * Number node's leaves from *leaf on, left to right, and put its inner
 * nodes in q: those that send missing values left from the front, the
 * others from the back (*back counts down).
 */
static void
qs_walk(const struct mm_tree *t, int K, struct flat *fl, int node,
    int *leaf, int *front, int *back)
{
	struct qs *q = &fl->qs;
	int lo, k;

	if (t->feature[node] < 0) {
		memcpy(q->value + (size_t)*leaf * K, fl->value +
		    (size_t)node * K, (size_t)K * sizeof(double));
		(*leaf)++;
		return;
	}
	k = t->mright[node] ? --*back : (*front)++;
	lo = *leaf;
	qs_walk(t, K, fl, t->left[node], leaf, front, back);
	q->feat[k] = t->feature[node];
	q->thr[k] = t->threshold[node];
	/* At most 63 leaves: the right child has one at least. */
	q->left[k] = (((uint64_t)1 << (*leaf - lo)) - 1) << lo;
	qs_walk(t, K, fl, t->right[node], leaf, front, back);
}

static void
qs_build(const struct mm_tree *t, int K, struct flat *fl)
{
	struct qs *q = &fl->qs;
	int nleaf = (t->n + 1) / 2, leaf = 0, front = 0, back;

	q->nint = t->n - nleaf;
	back = q->nint;
	q->feat = mm_xmalloc((size_t)(q->nint + 1) * sizeof(int));
	q->thr = mm_xmalloc((size_t)(q->nint + 1) * sizeof(double));
	q->left = mm_xmalloc((size_t)(q->nint + 1) * sizeof(uint64_t));
	q->value = mm_xmalloc((size_t)nleaf * K * sizeof(double));
	qs_walk(t, K, fl, 0, &leaf, &front, &back);
	q->nplain = front;
}

static void
flatten(const struct mm_tree *t, int K, struct flat *fl)
{
	int i, k;

	fl->node = mm_xmalloc((size_t)t->n * sizeof(*fl->node));
	fl->value = mm_xcalloc((size_t)t->n * K, sizeof(double));
	for (i = 0; i < t->n; i++) {
		struct fnode *nd = &fl->node[i];

		if (t->feature[i] < 0) {
			const double *c = t->value + (size_t)i * K;
			double sum = 0;

			for (k = 0; k < K; k++)
				sum += c[k];
			for (k = 0; k < K && sum > 0; k++)
				fl->value[(size_t)i * K + k] = c[k] / sum;
			nd->feat = 0;
			nd->thr = 0;
			nd->kids[0] = nd->kids[1] = i;
			nd->mright = 0;
		} else {
			nd->feat = t->feature[i];
			nd->thr = t->threshold[i];
			nd->kids[0] = t->left[i];
			nd->kids[1] = t->right[i];
			nd->mright = t->mright[i];
		}
	}
	fl->depth = tree_depth(t, 0);
	if ((t->n + 1) / 2 <= QS_LEAVES && qs_cpu())
		qs_build(t, K, fl);
}

#define LANES 16
#define BLOCK 256

/*
 * Walk lanes rows (x, d features each) down a flat tree to their
 * leaves.  A block without a missing value takes the walk without the
 * check for one.
 */
static void
descend(const struct fnode *nodes, int depth, const double *x, int d,
    int lanes, int *node)
{
	const struct fnode *nd;
	int dd, l;

	for (dd = 0; dd < depth; dd++)
		for (l = 0; l < lanes; l++) {
			nd = &nodes[node[l]];
			node[l] = nd->kids[x[l * d + nd->feat] > nd->thr];
		}
}

static void
descend_missing(const struct fnode *nodes, int depth, const double *x,
    int d, int lanes, int *node)
{
	const struct fnode *nd;
	double v;
	int dd, l;

	for (dd = 0; dd < depth; dd++)
		for (l = 0; l < lanes; l++) {
			nd = &nodes[node[l]];
			v = x[l * d + nd->feat];
			node[l] = nd->kids[(v > nd->thr) |
			    ((v != v) & nd->mright)];
		}
}

/* Each of lanes rows, from row `row` on, gets its leaf's shares added. */
static inline __attribute__((always_inline)) void
add_leaves(const struct predict_job *jb, const double *value, size_t row,
    const int *leaf, int lanes)
{
	int K = jb->f->nclass, k, l;

	if (K == 2) {
		/* Two classes: the shares sum to 1, so class 1's is enough;
		 * class 0's is filled in at the end. */
		double *out = jb->proba + row * 2 + 1;

		for (l = 0; l < lanes; l++)
			out[2 * l] += value[(size_t)leaf[l] * 2 + 1];
		return;
	}
	for (l = 0; l < lanes; l++) {
		const double *v = value + (size_t)leaf[l] * K;
		double *out = jb->proba + (row + l) * K;

		for (k = 0; k < K; k++)
			out[k] += v[k];
	}
}

/* The nb rows from blk on, down every tree by its nodes. */
static void
walk_block(const struct predict_job *jb, size_t blk, size_t nb, double *x)
{
	const struct mm_forest *f = jb->f;
	int d = f->d, ti, j, missing = 0;
	size_t i, base;

	for (j = 0; j < d; j++)
		for (i = 0; i < nb; i++) {
			double v = jb->cols[j][blk + i];

			x[i * d + j] = v;
			missing |= v != v;
		}
	for (ti = 0; ti < f->ntrees; ti++) {
		const struct flat *fl = &jb->flat[ti];

		for (base = 0; base < nb; base += LANES) {
			int node[LANES] = { 0 }, lanes = LANES;

			if (nb - base < LANES)
				lanes = (int)(nb - base);
			if (missing)
				descend_missing(fl->node, fl->depth,
				    x + base * d, d, lanes, node);
			else
				descend(fl->node, fl->depth, x + base * d, d,
				    lanes, node);
			add_leaves(jb, fl->value, blk + base, node, lanes);
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/*
 * The leaves left to 32 rows by one tree's tests, in AVX-512: four
 * groups of eight rows (xg: feature j of row r of a group at j * 8 + r,
 * the groups d * 8 apart), a test one compare and one masked and-not a
 * group, the four chains overlapping.  The leaf sets go to v, or with
 * two classes (acc not NULL) each row's class 1 share is added to its
 * sum in acc.
 */
__attribute__((target("avx512f,avx512cd"))) static void
qs_group512(const struct qs *q, const double *xg, int d, uint64_t *v,
    double *acc)
{
	const __m512i all = _mm512_set1_epi64(-1);
	__m512i a0 = all, a1 = all, a2 = all, a3 = all, m;
	__m512d t;
	const double *x;
	int k, s = d * 8;

#define QS_TEST(pred) do { \
		x = xg + q->feat[k] * 8; \
		t = _mm512_set1_pd(q->thr[k]); \
		m = _mm512_set1_epi64((long long)q->left[k]); \
		a0 = _mm512_mask_andnot_epi64(a0, _mm512_cmp_pd_mask( \
		    _mm512_loadu_pd(x), t, pred), m, a0); \
		a1 = _mm512_mask_andnot_epi64(a1, _mm512_cmp_pd_mask( \
		    _mm512_loadu_pd(x + s), t, pred), m, a1); \
		a2 = _mm512_mask_andnot_epi64(a2, _mm512_cmp_pd_mask( \
		    _mm512_loadu_pd(x + 2 * s), t, pred), m, a2); \
		a3 = _mm512_mask_andnot_epi64(a3, _mm512_cmp_pd_mask( \
		    _mm512_loadu_pd(x + 3 * s), t, pred), m, a3); \
	} while (0)
	for (k = 0; k < q->nplain; k++)
		QS_TEST(_CMP_GT_OQ);
	for (; k < q->nint; k++)
		QS_TEST(_CMP_NLE_UQ);
#undef QS_TEST
	if (acc == NULL) {
		_mm512_storeu_si512(v, a0);
		_mm512_storeu_si512(v + 8, a1);
		_mm512_storeu_si512(v + 16, a2);
		_mm512_storeu_si512(v + 24, a3);
		return;
	}
	/* Two classes: each row's leaf is its lowest bit left, and its
	 * class 1 share is added to the row's sum. */
#define QS_ADD(a, i) do { \
		m = _mm512_and_si512(a, _mm512_sub_epi64( \
		    _mm512_setzero_si512(), a)); \
		m = _mm512_sub_epi64(_mm512_set1_epi64(63), \
		    _mm512_lzcnt_epi64(m)); \
		m = _mm512_add_epi64(_mm512_add_epi64(m, m), \
		    _mm512_set1_epi64(1)); \
		_mm512_storeu_pd(acc + (i), _mm512_add_pd(_mm512_loadu_pd( \
		    acc + (i)), _mm512_i64gather_pd(m, q->value, 8))); \
	} while (0)
	QS_ADD(a0, 0);
	QS_ADD(a1, 8);
	QS_ADD(a2, 16);
	QS_ADD(a3, 24);
#undef QS_ADD
}

/* The nb rows from blk on through every tree's leaf sets. */
static void
qs_block(const struct predict_job *jb, size_t blk, size_t nb, double *xg,
    double *acc)
{
	const struct mm_forest *f = jb->f;
	int d = f->d, ti, j, r, lanes, leaf[32];
	size_t g, i, ng = (nb + 31) / 32 * 4;
	uint64_t v[32];

	/* Groups past the rows are padded with zeros, whose leaves are not
	 * added. */
	for (g = 0; g < ng; g++)
		for (j = 0; j < d; j++)
			for (r = 0; r < 8; r++)
				xg[(g * d + j) * 8 + r] = g * 8 + r < nb ?
				    jb->cols[j][blk + g * 8 + r] : 0;
	if (f->nclass == 2) {
		memset(acc, 0, ng * 8 * sizeof(double));
		for (ti = 0; ti < f->ntrees; ti++)
			for (g = 0; g < ng; g += 4)
				qs_group512(&jb->flat[ti].qs, xg + g * d * 8,
				    d, NULL, acc + g * 8);
		for (i = 0; i < nb; i++)
			jb->proba[(blk + i) * 2 + 1] += acc[i];
		return;
	}
	for (ti = 0; ti < f->ntrees; ti++) {
		const struct qs *q = &jb->flat[ti].qs;

		for (g = 0; g < ng; g += 4) {
			qs_group512(q, xg + g * d * 8, d, v, NULL);
			lanes = nb - g * 8 < 32 ? (int)(nb - g * 8) : 32;
			for (r = 0; r < lanes; r++)
				leaf[r] = __builtin_ctzll(v[r]);
			add_leaves(jb, q->value, blk + g * 8, leaf, lanes);
		}
	}
}

/*
 * 1 if this CPU has AVX-512 (F and CD) for qs_group512, 0 if not (the
 * walk by nodes; AVX2, with three instructions a test for half the
 * rows, is no faster than that).
 */
static int
qs_cpu(void)
{
	static int have = -1;
	int h;

	if ((h = __atomic_load_n(&have, __ATOMIC_RELAXED)) >= 0)
		return h;
	__builtin_cpu_init();
	h = __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512cd");
	__atomic_store_n(&have, h, __ATOMIC_RELAXED);
	return h;
}
#else
static int
qs_cpu(void)
{
	return 0;
}

static void
qs_block(const struct predict_job *jb, size_t blk, size_t nb, double *xg,
    double *acc)
{
	(void)jb, (void)blk, (void)nb, (void)xg, (void)acc;
}
#endif

static void *
predict_rows(void *arg)
{
	struct predict_job *jb = arg;
	size_t blk, nb;
	double *x = mm_xmalloc((size_t)(BLOCK + 32) * jb->f->d *
	    sizeof(double));
	double *acc = mm_xmalloc((BLOCK + 32) * sizeof(double));

	/*
	 * Threads take blocks as they go, so one slowed by other work on its
	 * core does not hold the others up.
	 */
	while ((blk = __atomic_fetch_add(&jb->next, BLOCK,
	    __ATOMIC_RELAXED)) < jb->n) {
		nb = jb->n - blk < BLOCK ? jb->n - blk : BLOCK;
		/* A few rows go faster by their nodes than padded to 32. */
		if (jb->qs && nb >= 16)
			qs_block(jb, blk, nb, x, acc);
		else
			walk_block(jb, blk, nb, x);
	}
	free(x);
	free(acc);
	return NULL;
}

static struct flat *
build_flat(const struct mm_forest *f)
{
	struct flat *flat = mm_xcalloc((size_t)(f->ntrees ? f->ntrees : 1),
	    sizeof(*flat));
	int ti;

	for (ti = 0; ti < f->ntrees; ti++)
		flatten(&f->trees[ti], f->nclass, &flat[ti]);
	return flat;
}

static void
free_flat(struct flat *flat, int ntrees)
{
	int ti;

	if (flat == NULL)
		return;
	for (ti = 0; ti < ntrees; ti++) {
		free(flat[ti].node);
		free(flat[ti].value);
		free(flat[ti].qs.feat);
		free(flat[ti].qs.thr);
		free(flat[ti].qs.left);
		free(flat[ti].qs.value);
	}
	free(flat);
}

void
mm_forest_prepare(struct mm_forest *f)
{
	free_flat(f->flat, f->ntrees);
	f->flat = build_flat(f);
}

/* -1 until first asked: then whether the vector walk is used. */
static int qs_use = -1;

static int
qs_on(void)
{
	int u;

	if ((u = __atomic_load_n(&qs_use, __ATOMIC_RELAXED)) >= 0)
		return u;
	u = qs_cpu();
	__atomic_store_n(&qs_use, u, __ATOMIC_RELAXED);
	return u;
}

int
mm_forest_vector(int on)
{
	int u = on && qs_cpu();

	__atomic_store_n(&qs_use, u, __ATOMIC_RELAXED);
	return u;
}

void
mm_forest_predict(const struct mm_forest *f, const double *const *cols,
    size_t n, double *proba)
{
	struct flat *flat = f->flat ? f->flat : build_flat(f);
	struct predict_job job;
	pthread_t th[8];
	int K = f->nclass, nth = 1, t;
	size_t i;

	memset(proba, 0, n * (size_t)K * sizeof(double));
	job = (struct predict_job){ f, flat, cols, n, proba, 0, qs_on() };
	for (t = 0; t < f->ntrees; t++)
		if (flat[t].qs.value == NULL)
			job.qs = 0;
	/* More threads pay off only on larger batches. */
	if (n >= 4096)
		nth = threads(f->params.threads);
	for (t = 1; t < nth; t++)
		if (pthread_create(&th[t], NULL, predict_rows, &job) != 0)
			break;
	nth = t;
	predict_rows(&job);
	for (t = 1; t < nth; t++)
		pthread_join(th[t], NULL);
	for (i = 0; i < n * (size_t)K; i++)
		proba[i] /= f->ntrees;
	if (K == 2)
		for (i = 0; i < n; i++)
			proba[2 * i] = 1.0 - proba[2 * i + 1];
	if (flat != f->flat)
		free_flat(flat, f->ntrees);
}
