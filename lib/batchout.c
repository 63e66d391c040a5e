/*
 * batchout.c - the batch being built, and its record (batchout.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchout.h"
#include "json.h"
#include "mm.h"
#include "strtab.h"

void
mm_batchout_release(struct mm_batchout *o)
{
	int c;

	mm_buf_release(&o->id);
	mm_buf_release(&o->ts);
	for (c = 0; c < o->colcap; c++)
		mm_buf_release(&o->cols[c].v);
	free(o->cols);
	mm_buf_release(&o->labels);
	memset(o, 0, sizeof(*o));
}

struct mm_outcol *
mm_batchout_add_col(struct mm_batchout *o)
{
	if (o->ncols == o->colcap) {
		o->colcap = o->colcap ? 2 * o->colcap : 16;
		o->cols = mm_xrealloc(o->cols,
		    (size_t)o->colcap * sizeof(*o->cols));
		memset(o->cols + o->ncols, 0,
		    (size_t)(o->colcap - o->ncols) * sizeof(*o->cols));
	}
	return &o->cols[o->ncols++];
}

void
mm_batchout_clear(struct mm_batchout *o)
{
	int c;

	for (c = 0; c < o->ncols; c++)
		mm_buf_reset(&o->cols[c].v);
	mm_buf_reset(&o->labels);
	o->has_label = 0;
	mm_buf_reset(&o->ts);
	mm_buf_reset(&o->id);
}

void
mm_batchout_value(struct mm_batchout *o, int c, const struct mm_span *v)
{
	struct mm_outcol *col = &o->cols[c];

	if (o->rows > 0)
		mm_buf_putc(&col->v, ',');
	if (v != NULL)
		mm_buf_put(&col->v, v->p, v->n);
	else
		mm_buf_put(&col->v, "null", 4);
}

void
mm_batchout_row(struct mm_batchout *o, const struct mm_span *label,
    const struct mm_span *ts)
{
	if (o->rows > 0)
		mm_buf_putc(&o->labels, ',');
	if (label != NULL) {
		mm_buf_put(&o->labels, label->p, label->n);
		o->has_label = 1;
	} else {
		mm_buf_put(&o->labels, "null", 4);
	}
	if (ts != NULL) {
		mm_buf_reset(&o->ts);
		mm_buf_put(&o->ts, ts->p, ts->n);
	}
	o->rows++;
}

int
mm_batchout_write(const struct mm_batchout *o,
    const struct mm_strtab *names, const char *ts, size_t tslen,
    FILE *out, struct mm_err *err)
{
	int c, k;

	fputs("{\"batch_id\":", out);
	fwrite(o->id.p, 1, o->id.n, out);
	fputs(",\"ts\":", out);
	fwrite(ts, 1, tslen, out);
	fputs(",\"features\":{", out);
	for (c = 0; c < o->ncols; c++) {
		k = o->cols[c].name;
		fputs(c > 0 ? ",\"" : "\"", out);
		fwrite(mm_strtab_str(names, k), 1, mm_strtab_len(names, k),
		    out);
		fputs("\":[", out);
		fwrite(o->cols[c].v.p, 1, o->cols[c].v.n, out);
		fputc(']', out);
	}
	fputc('}', out);
	if (o->has_label) {
		fputs(",\"labels\":[", out);
		fwrite(o->labels.p, 1, o->labels.n, out);
		fputc(']', out);
	}
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}
