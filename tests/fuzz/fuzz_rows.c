/*
 * fuzz_rows - the row reader's pure part, lib/rows.h: each line of the
 * input split as CSV, each cell classified and read as a label.  The
 * line is given in a buffer of exactly its length, so that a read past
 * it is caught.
 *
 * Checked: the cells of a line, written again as CSV (quoted, or plain
 * when nothing needs quotes), split into the same cells; a NUMBER cell
 * is a whole JSON number and a LOOSE one a whole strtod(3) number that
 * JSON does not take; a label is digits only, without leading zeros,
 * at most MM_LABEL_MAX.  mm_utf8_check() agrees with a plain decoder;
 * a line is split only if it is UTF-8, and then so is every cell.
 */
#include "fuzz.h"

#include <math.h>

#include "json.h"
#include "mm.h"
#include "rows.h"

static void
check_cell(const char *s, size_t n)
{
	const char *e;
	char *end;
	double v = 0, d;
	size_t i;
	int label;

	FUZZ_CHECK(s[n] == '\0' && strlen(s) == n);
	switch (mm_cell_kind(s, n, &v)) {
	case MM_CELL_EMPTY:
		FUZZ_CHECK(n == 0);
		break;
	case MM_CELL_NUMBER:
		e = mm_json_number(s, &d);
		FUZZ_CHECK(e == s + n);
		FUZZ_CHECK(v == d || (isnan(v) && isnan(d)));
		FUZZ_CHECK(v == strtod(s, NULL));
		break;
	case MM_CELL_LOOSE:
		FUZZ_CHECK(mm_json_number(s, &d) != s + n);
		(void)strtod(s, &end);
		FUZZ_CHECK(end != s);
		while (*end == ' ' || *end == '\t')
			end++;
		FUZZ_CHECK(end == s + n);
		break;
	case MM_CELL_TEXT:
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(mm_json_number(s, &d) != s + n);
		break;
	default:
		FUZZ_CHECK(!"a known cell kind");
	}
	if (mm_label_parse(s, n, &label) == 0) {
		FUZZ_CHECK(label >= 0 && label <= MM_LABEL_MAX);
		FUZZ_CHECK(n == 1 || s[0] != '0');
		for (i = 0; i < n; i++)
			FUZZ_CHECK(s[i] >= '0' && s[i] <= '9');
		FUZZ_CHECK(strtol(s, NULL, 10) == label);
	}
}

/* Split the cells of c written again as CSV; the same cells come back. */
static void
check_again(const struct mm_csv *c, int quote)
{
	struct mm_csv again;
	struct mm_buf b;
	size_t j;
	int i;

	mm_buf_init(&b);
	for (i = 0; i < c->n; i++) {
		if (i > 0)
			mm_buf_putc(&b, ',');
		if (!quote) {
			mm_buf_put(&b, c->cell[i].p, c->cell[i].n);
			continue;
		}
		mm_buf_putc(&b, '"');
		for (j = 0; j < c->cell[i].n; j++) {
			if (c->cell[i].p[j] == '"')
				mm_buf_putc(&b, '"');
			mm_buf_putc(&b, c->cell[i].p[j]);
		}
		mm_buf_putc(&b, '"');
	}
	mm_csv_init(&again);
	FUZZ_CHECK(mm_csv_split(&again, b.n > 0 ? b.p : "", b.n, NULL) == 0);
	FUZZ_CHECK(again.n == c->n);
	for (i = 0; i < c->n; i++)
		FUZZ_CHECK(again.cell[i].n == c->cell[i].n &&
		    memcmp(again.cell[i].p, c->cell[i].p, c->cell[i].n) == 0);
	mm_csv_release(&again);
	mm_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_csv c;
	struct mm_err err;
	const uint8_t *p = data, *nl;
	char *line;
	size_t len;
	int i, plain;

	mm_csv_init(&c);
	for (;;) {
		nl = memchr(p, '\n', (size_t)(data + size - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(data + size - p);
		line = mm_xmalloc(len > 0 ? len : 1);
		memcpy(line, p, len);
		memset(&err, 0, sizeof(err));
		FUZZ_CHECK(mm_utf8_check(line, len) == utf8_ref(line,
		    len));
		if (mm_csv_split(&c, line, len, &err) == 0) {
			FUZZ_CHECK(c.n >= 1);
			FUZZ_CHECK(mm_utf8_check(line, len) == len);
			plain = 1;
			for (i = 0; i < c.n; i++) {
				check_cell(c.cell[i].p, c.cell[i].n);
				FUZZ_CHECK(mm_utf8_check(c.cell[i].p,
				    c.cell[i].n) == c.cell[i].n);
				if (memchr(c.cell[i].p, ',', c.cell[i].n) ||
				    memchr(c.cell[i].p, '"', c.cell[i].n))
					plain = 0;
			}
			check_again(&c, 1);
			if (plain)
				check_again(&c, 0);
		} else {
			FUZZ_CHECK(err.code == MM_EINPUT && *err.msg != '\0');
		}
		free(line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	mm_csv_release(&c);
	return 0;
}
