/*
 * fuzz_model - the model loader, mm_model_parse() of lib/model.h, the
 * part of mm_model_load() that reads model.json's text.
 *
 * Checked on a model it accepts: every node's feature, children and
 * counts within the forest, so that prediction stays in its arrays
 * (rows of zeros, NaN, huge and tiny values are predicted, probabilities
 * in [0, 1] summing to 1 or all 0 for leaves without rows); and the
 * model written by mm_model_json() reads back and predicts the same
 * bits.
 */
#include "fuzz.h"

#include <math.h>

#include "forest.h"
#include "json.h"
#include "mm.h"
#include "model.h"

#define ROWS 5

static void
predict(const struct mm_model *m, double *proba)
{
	static const double vals[ROWS] = { 0, NAN, 1e308, -1e308, 0.5 };
	const double **cols;
	double *v;
	int j, i;

	cols = mm_xcalloc((size_t)m->forest.d, sizeof(*cols));
	v = mm_xcalloc((size_t)m->forest.d * ROWS, sizeof(*v));
	for (j = 0; j < m->forest.d; j++) {
		for (i = 0; i < ROWS; i++)
			v[j * ROWS + i] = vals[(i + j) % ROWS];
		cols[j] = v + j * ROWS;
	}
	mm_forest_predict(&m->forest, (const double *const *)cols, ROWS,
	    proba);
	free(v);
	free(cols);
}

static void
check_model(const struct mm_model *m)
{
	const struct mm_forest *f = &m->forest;
	const struct mm_tree *t;
	int i, k;

	FUZZ_CHECK(m->nfeat == f->d && f->d > 0);
	FUZZ_CHECK(f->nclass >= 2 && f->nclass <= MM_MAX_CLASSES);
	FUZZ_CHECK(f->ntrees > 0);
	for (i = 0; i < m->nfeat; i++)
		FUZZ_CHECK(m->features[i] != NULL);
	for (k = 0; k < f->ntrees; k++) {
		t = &f->trees[k];
		FUZZ_CHECK(t->n > 0);
		for (i = 0; i < t->n; i++) {
			FUZZ_CHECK(t->feature[i] >= -1 &&
			    t->feature[i] < f->d);
			if (t->feature[i] < 0)
				continue;
			FUZZ_CHECK(t->left[i] > 0 && t->left[i] < t->n);
			FUZZ_CHECK(t->right[i] > 0 && t->right[i] < t->n);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_model m, again;
	struct mm_err err = { 0 };
	struct mm_buf b;
	char *text = fuzz_cstr(data, size);
	double *p1, *p2, sum;
	size_t np;
	int i, k;

	if (mm_model_parse(&m, text, size, &err) < 0) {
		FUZZ_CHECK(err.code == MM_EINPUT && *err.msg != '\0');
		free(text);
		return 0;
	}
	free(text);
	check_model(&m);
	np = (size_t)ROWS * (size_t)m.forest.nclass;
	p1 = mm_xcalloc(np, sizeof(double));
	p2 = mm_xcalloc(np, sizeof(double));
	predict(&m, p1);
	for (i = 0; i < ROWS; i++) {
		sum = 0;
		for (k = 0; k < m.forest.nclass; k++) {
			FUZZ_CHECK(p1[i * m.forest.nclass + k] >= 0 &&
			    p1[i * m.forest.nclass + k] <= 1 + 1e-9);
			sum += p1[i * m.forest.nclass + k];
		}
		FUZZ_CHECK(sum == 0 || fabs(sum - 1) < 1e-6);
	}
	mm_buf_init(&b);
	mm_model_json(&m.forest, NULL, &m.schema, &b);
	if (mm_model_parse(&again, b.p, b.n, &err) < 0) {
		fprintf(stderr, "written model does not read back: %s\n",
		    err.msg);
		FUZZ_CHECK(!"the written model reads back");
	}
	FUZZ_CHECK(again.nfeat == m.nfeat &&
	    again.forest.ntrees == m.forest.ntrees &&
	    again.forest.nclass == m.forest.nclass);
	for (i = 0; i < m.nfeat; i++)
		FUZZ_CHECK(strcmp(again.features[i], m.features[i]) == 0);
	predict(&again, p2);
	FUZZ_CHECK(memcmp(p1, p2, np * sizeof(double)) == 0);
	mm_model_release(&again);
	mm_buf_release(&b);
	free(p1);
	free(p2);
	mm_model_release(&m);
	return 0;
}
