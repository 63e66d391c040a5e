/*
 * batchid.c - the ids of the batches mm-batch writes (batchid.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batchid.h"
#include "json.h"
#include "mm.h"
#include "rowin.h"

uint64_t
mm_fnv(uint64_t h, const char *s, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

int
mm_batchid_of_row(struct mm_buf *id, const struct mm_rowfield *f, int csv,
    const char *idname, struct mm_err *err)
{
	mm_buf_reset(id);
	if (csv) {
		if (f->val.n == 0)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' is empty",
			    idname);
		mm_jw_strn(id, f->val.p, f->val.n);
		return 0;
	}
	switch (f->kind) {
	case MM_ROW_STR:
		if (f->val.n == 2)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' is empty",
			    idname);
		mm_buf_putc(id, '"');
		if (mm_json_canon(f->val.p + 1, f->val.n - 2, id) < 0)
			return mm_errf(err, MM_EINPUT, 0, "field '%s' has a "
			    "\\u escape of a NUL", idname);
		mm_buf_putc(id, '"');
		return 0;
	case MM_ROW_NUM:
	case MM_ROW_RANGE:
		mm_buf_putc(id, '"');
		mm_buf_put(id, f->val.p, f->val.n);
		mm_buf_putc(id, '"');
		return 0;
	case MM_ROW_NULL:
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is null",
		    idname);
	default:
		return mm_errf(err, MM_EINPUT, 0, "field '%s' is not a string",
		    idname);
	}
}

char *
mm_batchid_run_prefix(const char *prefix, uint64_t head, const double *now)
{
	char stamp[32], pid[32], *r;
	struct mm_buf id;
	struct tm tm;
	time_t t;
	uint64_t h = head;

	t = (time_t)floor(mm_clock_sec(now));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)t);
	if (now == NULL) {
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		h = mm_fnv(h, pid, strlen(pid));
	}
	mm_buf_init(&id);
	mm_buf_printf(&id, "%s%s-%08lx-", prefix, stamp,
	    (unsigned long)(uint32_t)(h ^ (h >> 32)));
	r = mm_xstrndup(id.p, id.n);
	mm_buf_release(&id);
	return r;
}

void
mm_batchid_count(struct mm_buf *id, const char *prefix, unsigned long n)
{
	mm_buf_reset(id);
	mm_buf_printf(id, "\"%s%06lu\"", prefix, n);
}

void
mm_batchid_window(struct mm_buf *id, const char *prefix, double start)
{
	mm_buf_reset(id);
	mm_buf_printf(id, "\"%s%.0f\"", prefix, start + 0.0);
}
