#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mm.h"

int
mm_errf(struct mm_err *err, int code, long line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
mm_err_where(struct mm_err *err, const char *where)
{
	size_t n;

	if (err == NULL)
		return;
	n = strlen(where);
	if (n >= sizeof(err->where))
		n = sizeof(err->where) - 1;
	memcpy(err->where, where, n);
	err->where[n] = '\0';
}

void
mm_perr(const char *prog, const struct mm_err *err)
{
	if (err->line > 0 && err->where[0] != '\0')
		fprintf(stderr, "%s: %s:%ld: %s\n", prog, err->where,
		    err->line, err->msg);
	else if (err->line > 0)
		fprintf(stderr, "%s: line %ld: %s\n", prog, err->line,
		    err->msg);
	else if (err->where[0] != '\0')
		fprintf(stderr, "%s: %s: %s\n", prog, err->where, err->msg);
	else
		fprintf(stderr, "%s: %s\n", prog, err->msg);
}

void
mm_warnx(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
mm_say(const struct mm_say *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s == NULL || s->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->fn(s->arg, msg);
}

void
mm_say_stderr(void *prog, const char *msg)
{
	mm_warnx(prog, "%s", msg);
}

static void *
oom(void)
{
	fputs("mm: out of memory\n", stderr);
	abort();
}

void *
mm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom();
}

void *
mm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : oom();
}

void *
mm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : oom();
}

char *
mm_xstrdup(const char *s)
{
	return mm_xstrndup(s, strlen(s));
}

char *
mm_xstrndup(const char *s, size_t n)
{
	char *p = mm_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
mm_fault(const char *point)
{
	const char *f = getenv("MM_FAULT");

	if (f != NULL && strcmp(f, point) == 0) {
		raise(SIGKILL);
		abort();
	}
}

double
mm_clock(const double *now)
{
	struct timespec ts;

	if (now != NULL)
		return *now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
mm_clock_sec(const double *now)
{
	struct timespec ts;

	if (now != NULL)
		return *now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec;
}

double
mm_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
