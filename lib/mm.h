/*
 * mm.h - things every mm program shares: version, exit codes, errors.
 *
 * Errors are values.  A library function that can fail returns -1 (or
 * NULL) and fills the caller's struct mm_err; only cmd/ prints and exits.
 */
#ifndef MM_H
#define MM_H

#include <stddef.h>

#define MM_VERSION "0.1.0"

/* Exit codes; documented in every man page and never changed. */
enum mm_exit {
	MM_OK = 0,		/* success */
	MM_ECHECK = 1,		/* a --fail-on or --check condition met */
	MM_EINPUT = 2,		/* usage or input error */
	MM_ESYS = 3		/* storage or system error */
};

struct mm_err {
	int code;		/* one of enum mm_exit */
	long line;		/* input line, 0 when not about a line */
	char where[256];	/* file name, or "" for standard input */
	char msg[512];
};

/* Fill err (may be NULL) and return -1. */
int mm_errf(struct mm_err *err, int code, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Set err->where to a file name (truncated if need be). */
void mm_err_where(struct mm_err *err, const char *where);

/* Print "prog: [where:line: | line N: ]msg" to stderr. */
void mm_perr(const char *prog, const struct mm_err *err);

/* Print "prog: msg" to stderr. */
void mm_warnx(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * What a library module has to say that is not an error (another model
 * version loaded, a column ignored) goes to fn; a NULL fn says nothing.
 * mm_say_stderr, with the program's name as arg, says it as mm_warnx.
 */
struct mm_say {
	void (*fn)(void *arg, const char *msg);
	void *arg;
};
void mm_say(const struct mm_say *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mm_say_stderr(void *prog, const char *msg);

/*
 * Crash tests: when $MM_FAULT names this point, the process kills itself
 * with SIGKILL here, as a power cut or an OOM kill would.
 */
void mm_fault(const char *point);

/*
 * The time in Unix seconds: *now when a --now was given (now != NULL),
 * else the clock.  Programs take --now wherever the clock matters.
 */
double mm_clock(const double *now);

/*
 * The same, the clock cut to the whole second: model versions, windows
 * and pages are stamped in seconds unless --now says more.
 */
double mm_clock_sec(const double *now);

/*
 * Seconds on a clock that only goes forward, from an arbitrary start:
 * for measuring how long something took, never for a time of day.
 */
double mm_monotonic(void);

/* Allocation that never returns NULL: abort()s on exhaustion. */
void *mm_xmalloc(size_t n);
void *mm_xcalloc(size_t n, size_t size);
void *mm_xrealloc(void *p, size_t n);
char *mm_xstrdup(const char *s);
char *mm_xstrndup(const char *s, size_t n);

#endif
