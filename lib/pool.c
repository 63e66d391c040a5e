/*
 * pool.c - rule 3's pool of confusion counts (pool.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "policy.h"
#include "pool.h"

void
mm_pool_init(struct mm_pool *p, long cap)
{
	memset(p, 0, sizeof(*p));
	p->cap = cap;
}

void
mm_pool_release(struct mm_pool *p)
{
	mm_pool_reset(p, 0, "");
	free(p->ring);
	free(p->ring_rows);
	p->ring = NULL;
	p->ring_rows = NULL;
	p->ringcap = 0;
}

void
mm_pool_reset(struct mm_pool *p, int k, const char *version)
{
	int i;

	for (i = 0; i < p->nring; i++)
		free(p->ring[i]);
	p->nring = 0;
	free(p->sum);
	p->k = k;
	p->sum = k > 0 ? mm_xcalloc((size_t)(k * k), sizeof(long)) : NULL;
	snprintf(p->version, sizeof(p->version), "%s", version);
}

void
mm_pool_add(struct mm_pool *p, const long *cm)
{
	long rows = mm_confusion_total(cm, p->k), total = 0;
	int i, drop = 0;

	if (p->nring == p->ringcap) {
		p->ringcap = p->ringcap ? 2 * p->ringcap : 64;
		p->ring = mm_xrealloc(p->ring, (size_t)p->ringcap *
		    sizeof(*p->ring));
		p->ring_rows = mm_xrealloc(p->ring_rows, (size_t)p->ringcap *
		    sizeof(long));
	}
	p->ring[p->nring] = mm_xmalloc((size_t)(p->k * p->k) * sizeof(long));
	memcpy(p->ring[p->nring], cm, (size_t)(p->k * p->k) * sizeof(long));
	p->ring_rows[p->nring++] = rows;
	for (i = 0; i < p->k * p->k; i++)
		p->sum[i] += cm[i];
	for (i = 0; i < p->nring; i++)
		total += p->ring_rows[i];
	while (drop < p->nring - 1 && total > p->cap) {
		total -= p->ring_rows[drop];
		for (i = 0; i < p->k * p->k; i++)
			p->sum[i] -= p->ring[drop][i];
		free(p->ring[drop]);
		drop++;
	}
	if (drop > 0) {
		memmove(p->ring, p->ring + drop, (size_t)(p->nring - drop) *
		    sizeof(*p->ring));
		memmove(p->ring_rows, p->ring_rows + drop,
		    (size_t)(p->nring - drop) * sizeof(long));
		p->nring -= drop;
	}
}

int
mm_pool_seed(struct mm_pool *p, struct mm_db *db, const char *version,
    const char *batch_id, struct mm_err *err)
{
	struct mm_stmt *st;
	json_t *a;
	long **got = NULL, rows = 0, *cm;
	int n = 0, cap = 0, k, rc = -1, step;

	st = mm_db_prepare(db, "SELECT confusion FROM metrics WHERE "
	    "model_version = ?1 AND confusion IS NOT NULL AND id < "
	    "coalesce((SELECT id FROM metrics WHERE batch_id = ?2), "
	    "9223372036854775807) ORDER BY id DESC", err);
	if (st == NULL)
		goto out;
	mm_bind_text(st, 1, version, -1);
	mm_bind_text(st, 2, batch_id ? batch_id : "", -1);
	while (rows < p->cap && (step = mm_step(st)) == MM_ROW) {
		a = json_loads((const char *)mm_col_text(st, 0), 0,
		    NULL);
		if (mm_confusion_parse(a, &cm, &k) != 0 || (p->k != 0 &&
		    k != p->k)) {
			json_decref(a);
			free(cm);
			break;	/* another class count: older model */
		}
		json_decref(a);
		if (p->k == 0)
			mm_pool_reset(p, k, version);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			got = mm_xrealloc(got, (size_t)cap * sizeof(*got));
		}
		got[n++] = cm;
		rows += mm_confusion_total(cm, k);
	}
	while (n > 0) {
		mm_pool_add(p, got[--n]);
		free(got[n]);
	}
	rc = 0;
out:
	free(got);
	mm_finalize(st);
	return rc;
}

int
mm_confusion_parse(json_t *a, long **cm, int *k)
{
	size_t i, j, n;

	*cm = NULL;
	if (a == NULL || json_is_null(a))
		return 1;
	if (!json_is_array(a) || (n = json_array_size(a)) < 2 ||
	    n > MM_MAX_CLASSES)
		return -1;
	*cm = mm_xcalloc(n * n, sizeof(long));
	for (i = 0; i < n; i++) {
		json_t *row = json_array_get(a, i);

		if (!json_is_array(row) || json_array_size(row) != n)
			goto bad;
		for (j = 0; j < n; j++) {
			json_t *c = json_array_get(row, j);

			if (!json_is_integer(c) || json_integer_value(c) < 0 ||
			    json_integer_value(c) > (json_int_t)1 << 50)
				goto bad;
			(*cm)[i * n + j] = (long)json_integer_value(c);
		}
	}
	*k = (int)n;
	return 0;
bad:
	free(*cm);
	*cm = NULL;
	return -1;
}

void
mm_confusion_json(struct mm_buf *b, const long *cm, int k)
{
	int i, j;

	if (cm == NULL) {
		mm_buf_puts(b, "null");
		return;
	}
	mm_buf_putc(b, '[');
	for (i = 0; i < k; i++) {
		mm_buf_puts(b, i ? ",[" : "[");
		for (j = 0; j < k; j++)
			mm_buf_printf(b, j ? ",%ld" : "%ld", cm[i * k + j]);
		mm_buf_putc(b, ']');
	}
	mm_buf_putc(b, ']');
}
