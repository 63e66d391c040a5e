#include <stdlib.h>
#include <string.h>

#include "rows.h"

void
mm_csv_init(struct mm_csv *c)
{
	memset(c, 0, sizeof(*c));
}

void
mm_csv_release(struct mm_csv *c)
{
	free(c->buf);
	free(c->cell);
	memset(c, 0, sizeof(*c));
}

static void
add_cell(struct mm_csv *c, const char *p, size_t n)
{
	if (c->n == c->ncap) {
		c->ncap = c->ncap ? 2 * c->ncap : 16;
		c->cell = mm_xrealloc(c->cell,
		    (size_t)c->ncap * sizeof(*c->cell));
	}
	c->cell[c->n].p = p;
	c->cell[c->n].n = n;
	c->n++;
}

int
mm_csv_split(struct mm_csv *c, const char *line, size_t len,
    struct mm_err *err)
{
	const char *p = line, *end = line + len;
	char *out, *start;
	size_t bad;

	c->n = 0;
	if (memchr(line, '\0', len) != NULL)
		return mm_errf(err, MM_EINPUT, 0, "NUL byte in line");
	/* Cells become JSON strings, and JSON text is UTF-8. */
	if ((bad = mm_utf8_check(line, len)) < len)
		return mm_errf(err, MM_EINPUT, 0, "invalid UTF-8 at byte %zu",
		    bad + 1);
	/* Unquoting only shrinks; each cell adds one NUL. */
	if (c->cap < 2 * len + 2) {
		c->cap = 2 * len + 2;
		free(c->buf);
		c->buf = mm_xmalloc(c->cap);
	}
	out = c->buf;
	for (;;) {
		start = out;
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p == end)
					return mm_errf(err, MM_EINPUT, 0,
					    "cell %d: unterminated quoted cell",
					    c->n + 1);
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"')
						p++;
					else
						break;
				}
				*out++ = *p;
			}
			p++;
			if (p < end && *p != ',')
				return mm_errf(err, MM_EINPUT, 0, "cell %d: "
				    "text after the closing quote", c->n + 1);
		} else {
			for (; p < end && *p != ','; p++) {
				if (*p == '"')
					return mm_errf(err, MM_EINPUT, 0,
					    "cell %d: quote in an unquoted "
					    "cell", c->n + 1);
				*out++ = *p;
			}
		}
		*out = '\0';
		add_cell(c, start, (size_t)(out - start));
		out++;
		if (p == end)
			return 0;
		p++;		/* the comma */
	}
}

enum mm_cell
mm_cell_kind(const char *s, size_t n, double *v)
{
	const char *e;
	char *end;
	double d;

	if (n == 0)
		return MM_CELL_EMPTY;
	e = mm_json_number(s, &d);
	if (e == s + n) {
		if (v != NULL)
			*v = d;
		return MM_CELL_NUMBER;
	}
	if (strpbrk(s, "0123456789") == NULL)
		return MM_CELL_TEXT;
	(void)strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	return end != s && end == s + n ? MM_CELL_LOOSE : MM_CELL_TEXT;
}

int
mm_label_parse(const char *p, size_t n, int *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 3 || (p[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = 10 * v + (p[i] - '0');
	}
	if (v > MM_LABEL_MAX)
		return -1;
	*out = (int)v;
	return 0;
}
