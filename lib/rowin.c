/*
 * rowin.c - rows in: a JSON object or a line of CSV as fields
 * (rowin.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mm.h"
#include "rowin.h"
#include "rows.h"

void
mm_rowin_init(struct mm_rowin *r)
{
	memset(r, 0, sizeof(*r));
	mm_rec_init(&r->rec);
	mm_csv_init(&r->cells);
}

void
mm_rowin_release(struct mm_rowin *r)
{
	free(r->f);
	mm_buf_release(&r->keys);
	mm_rec_release(&r->rec);
	mm_csv_release(&r->cells);
	mm_buf_release(&r->hdr);
	free(r->hcol);
	free(r->hoff);
	memset(r, 0, sizeof(*r));
}

void
mm_rowin_put_name(struct mm_buf *b, const char *s, size_t n)
{
	size_t start = b->n;

	mm_jw_strn(b, s, n);
	memmove(b->p + start, b->p + start + 1, b->n - start - 2);
	b->n -= 2;
	b->p[b->n] = '\0';
}

char *
mm_rowin_name(const char *s)
{
	struct mm_buf b;
	char *r;

	mm_buf_init(&b);
	mm_rowin_put_name(&b, s, strlen(s));
	r = mm_xstrndup(b.p, b.n);
	mm_buf_release(&b);
	return r;
}

static struct mm_rowfield *
add_field(struct mm_rowin *r)
{
	struct mm_rowfield *f;

	if (r->nf == r->fcap) {
		r->fcap = r->fcap ? 2 * r->fcap : 32;
		r->f = mm_xrealloc(r->f, (size_t)r->fcap * sizeof(*r->f));
	}
	f = &r->f[r->nf++];
	f->named = 0;
	f->num = 0;
	return f;
}

int
mm_rowin_shown(const struct mm_rowfield *f)
{
	return f->val.n > 40 ? 40 : (int)f->val.n;
}

int
mm_rowin_not_number(struct mm_err *err, const struct mm_rowfield *f,
    const char *what)
{
	switch (f->kind) {
	case MM_ROW_LOOSE:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s': cell '%.*s' is "
		    "not a JSON number", what, (int)f->key.n, f->key.p,
		    mm_rowin_shown(f), f->val.p);
	case MM_ROW_RANGE:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s' is out of range: "
		    "%.*s", what, (int)f->key.n, f->key.p, mm_rowin_shown(f),
		    f->val.p);
	default:
		return mm_errf(err, MM_EINPUT, 0, "%s '%.*s' is not a number",
		    what, (int)f->key.n, f->key.p);
	}
}

static enum mm_rowkind
json_kind(const char *p, double *num)
{
	switch (*p) {
	case '"':
		return MM_ROW_STR;
	case 'n':
		return MM_ROW_NULL;
	case 't': case 'f': case '{': case '[':
		return MM_ROW_OTHER;
	default:
		mm_json_number(p, num);
		return isfinite(*num) ? MM_ROW_NUM : MM_ROW_RANGE;
	}
}

int
mm_rowin_json(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err)
{
	struct mm_rowfield *f;
	int i;

	if (mm_rec_parse(&r->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	r->nf = 0;
	r->csv = 0;
	mm_buf_reset(&r->keys);
	for (i = 0; i < r->rec.n; i++) {
		f = add_field(r);
		f->key = r->rec.f[i].key;
		f->val = r->rec.f[i].val;
		f->kind = json_kind(f->val.p, &f->num);
		/*
		 * A key with an escape is rewritten into r->keys (NUL-ended:
		 * the canonical form holds none), and found there once all
		 * are in: r->keys may move until then.
		 */
		if (memchr(f->key.p, '\\', f->key.n) != NULL) {
			size_t at = r->keys.n;

			if (mm_json_canon(f->key.p, f->key.n, &r->keys) < 0)
				return mm_errf(err, MM_EINPUT, 0, "bad escape "
				    "in field name '%.*s'", (int)f->key.n,
				    f->key.p);
			mm_buf_putc(&r->keys, '\0');
			f->key.p = NULL;
			f->key.n = at;
		}
	}
	for (i = 0; i < r->nf; i++) {
		f = &r->f[i];
		if (f->key.p == NULL) {
			f->key.p = r->keys.p + f->key.n;
			f->key.n = strlen(f->key.p);
		}
	}
	return 0;
}

int
mm_rowin_csv(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err)
{
	struct mm_rowfield *f;
	int i;

	if (mm_csv_split(&r->cells, line, len, err) < 0)
		return -1;
	if (r->cells.n != r->nhcol)
		return mm_errf(err, MM_EINPUT, 0, "%d cell%s, the header has "
		    "%d", r->cells.n, r->cells.n == 1 ? "" : "s", r->nhcol);
	r->nf = 0;
	r->csv = 1;
	for (i = 0; i < r->cells.n; i++) {
		f = add_field(r);
		f->key = r->hcol[i];
		f->val = r->cells.cell[i];
		switch (mm_cell_kind(f->val.p, f->val.n, &f->num)) {
		case MM_CELL_EMPTY:
			f->kind = MM_ROW_NULL;
			break;
		case MM_CELL_NUMBER:
			f->kind = isfinite(f->num) ? MM_ROW_NUM : MM_ROW_RANGE;
			break;
		case MM_CELL_LOOSE:
			f->kind = MM_ROW_LOOSE;
			break;
		default:
			f->kind = MM_ROW_STR;
		}
	}
	return 0;
}

int
mm_rowin_csv_header(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err)
{
	const struct mm_span *cell;
	int i;

	if (mm_csv_split(&r->cells, line, len, err) < 0)
		return -1;
	if (r->cells.n > r->hcap) {
		r->hcap = r->cells.n;
		r->hcol = mm_xrealloc(r->hcol,
		    (size_t)r->hcap * sizeof(*r->hcol));
		r->hoff = mm_xrealloc(r->hoff,
		    (size_t)r->hcap * sizeof(*r->hoff));
	}
	mm_buf_reset(&r->hdr);
	for (i = 0; i < r->cells.n; i++) {
		cell = &r->cells.cell[i];
		if (cell->n == 0)
			return mm_errf(err, MM_EINPUT, 0, "header: column %d "
			    "has no name", i + 1);
		r->hoff[i] = r->hdr.n;
		mm_rowin_put_name(&r->hdr, cell->p, cell->n);
		r->hcol[i].n = r->hdr.n - r->hoff[i];
	}
	/* The names are placed once r->hdr has stopped moving. */
	r->nhcol = r->cells.n;
	for (i = 0; i < r->nhcol; i++)
		r->hcol[i].p = r->hdr.p + r->hoff[i];
	return 0;
}
