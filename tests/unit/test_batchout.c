/*
 * test_batchout.c - the batch being built and the record it is written
 * as: values and labels in row order, null where none, "labels" only
 * when some row had one, the last ts kept, reuse from batch to batch.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchout.h"
#include "strtab.h"

static struct mm_span
span(const char *s)
{
	struct mm_span sp = { s, strlen(s) };

	return sp;
}

/* The record o is written as, with ts, into buf. */
static void
written(const struct mm_batchout *o, const struct mm_strtab *names,
    const char *ts, char *buf, size_t size)
{
	struct mm_err err = { 0 };
	FILE *fp;
	size_t n;

	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(mm_batchout_write(o, names, ts, strlen(ts), fp,
	    &err), 0);
	rewind(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void
test_batch(void **state)
{
	struct mm_batchout o;
	struct mm_strtab names;
	struct mm_outcol *col;
	struct mm_span v, lab, ts;
	char buf[512];

	(void)state;
	memset(&o, 0, sizeof(o));
	mm_strtab_init(&names);
	col = mm_batchout_add_col(&o);
	col->name = mm_strtab_intern(&names, "f0", 2);
	col = mm_batchout_add_col(&o);
	col->name = mm_strtab_intern(&names, "q\\\"", 3);
	mm_buf_puts(&o.id, "\"b1\"");

	v = span("0.5");
	ts = span("17");
	mm_batchout_value(&o, 0, &v);
	mm_batchout_value(&o, 1, NULL);
	mm_batchout_row(&o, NULL, &ts);
	v = span("2");
	lab = span("1");
	mm_batchout_value(&o, 0, NULL);
	mm_batchout_value(&o, 1, &v);
	mm_batchout_row(&o, &lab, NULL);
	assert_int_equal(o.rows, 2);
	assert_string_equal(o.ts.p, "17");	/* the last row that had one */
	written(&o, &names, "17", buf, sizeof(buf));
	assert_string_equal(buf, "{\"batch_id\":\"b1\",\"ts\":17,"
	    "\"features\":{\"f0\":[0.5,null],\"q\\\"\":[null,2]},"
	    "\"labels\":[null,1]}\n");

	/* The next batch: no labels, so none written. */
	mm_batchout_clear(&o);
	o.rows = 0;
	assert_int_equal(o.id.n, 0);
	assert_int_equal(o.ts.n, 0);
	mm_buf_puts(&o.id, "\"b2\"");
	v = span("3");
	mm_batchout_value(&o, 0, &v);
	mm_batchout_value(&o, 1, &v);
	mm_batchout_row(&o, NULL, NULL);
	written(&o, &names, "1.5", buf, sizeof(buf));
	assert_string_equal(buf, "{\"batch_id\":\"b2\",\"ts\":1.5,"
	    "\"features\":{\"f0\":[3],\"q\\\"\":[3]}}\n");
	mm_batchout_release(&o);
	mm_strtab_release(&names);
}

static void
test_many_columns(void **state)
{
	struct mm_batchout o;
	struct mm_strtab names;
	struct mm_outcol *col;
	char name[16];
	int c;

	(void)state;
	memset(&o, 0, sizeof(o));
	mm_strtab_init(&names);
	for (c = 0; c < 100; c++) {
		snprintf(name, sizeof(name), "f%d", c);
		col = mm_batchout_add_col(&o);
		col->name = mm_strtab_intern(&names, name, strlen(name));
		assert_int_equal(col->v.n, 0);	/* a new column is empty */
	}
	assert_int_equal(o.ncols, 100);
	assert_true(o.colcap >= 100);
	assert_int_equal(o.cols[99].name, 99);
	mm_batchout_release(&o);
	mm_strtab_release(&names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_many_columns),
	};

	return cmocka_run_group_tests_name("batchout", tests, NULL, NULL);
}
