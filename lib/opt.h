/*
 * opt.h - one table of options drives both parsing and --help.
 *
 *	enum { O_REF, O_SKIPBAD };
 *
 *	static const struct mm_opt opts[] = {
 *		[O_REF] = { "ref", 'r', "FILE", "reference file" },
 *		[O_SKIPBAD] = MM_OPT_SKIP_BAD,
 *		MM_OPT_END
 *	};
 *
 * mm_getopt() returns the option's index in the table (its O_ name), or
 * one of enum mm_getopt_rc.  Every program gets -h/--help and --version
 * from mm_getopt() itself.
 */
#ifndef MM_OPT_H
#define MM_OPT_H

#include <stddef.h>

struct mm_opt {
	const char *name;	/* long name */
	int shrt;		/* short letter, or 0 */
	const char *arg;	/* argument name, or NULL for a flag */
	const char *help;
};

/*
 * The rows that mean the same in every program, spelled once, as git's
 * OPT__QUIET is.  A program whose option means more says so in a row of
 * its own.
 */
#define MM_OPT_DB	{ "db", 0, "FILE", "database (default: $MM_DB or " \
			    "data/metrics/metrics.db)" }
#define MM_OPT_CONFIG	{ "config", 0, "DIR", "config directory (default: " \
			    "$MM_CONFIG or config)" }
#define MM_OPT_MODELS	{ "models", 0, "DIR", "model store (default: " \
			    "$MM_MODELS or models)" }
#define MM_OPT_SKIP_BAD	{ "skip-bad", 0, NULL, "skip bad records and " \
			    "count them" }
#define MM_OPT_MAX_RECORD { "max-record", 0, "BYTES", "longest record " \
			    "accepted (default 256M)" }
/* --now TS, parsed by mm_opt_now(); what the time is for differs. */
#define MM_OPT_NOW(help) { "now", 0, "TS", help }
#define MM_OPT_END	{ NULL, 0, NULL, NULL }

/* What mm_getopt() returns besides an option's index. */
enum mm_getopt_rc {
	MM_GETOPT_DONE = -1,	/* no more options */
	MM_GETOPT_ERROR = -2,	/* a usage error, message printed: exit 2 */
	MM_GETOPT_EXIT = -3	/* -h or --version was handled: exit 0 */
};

struct mm_optstate {
	const char *prog;
	const char *synopsis;	/* usage lines, "\n" separated, without the
				   program name; " ..." continues a line */
	const char *about;	/* one line on what the program does */
	char *arg;		/* the current option's argument */
	int ind;		/* index of the first non-option argument */
	int done;		/* -h or --version was handled: exit 0 */
};

/* Returns a table index, or one of enum mm_getopt_rc. */
int mm_getopt(struct mm_optstate *st, int argc, char **argv,
    const struct mm_opt *opts);

/* Print "usage: prog synopsis" lines, then the option table if full. */
void mm_usage(const struct mm_optstate *st, const struct mm_opt *opts,
    int full);

/*
 * For a program that takes no operands: 0 if there are none after the
 * options, else -1 (the first named, and the usage, printed).
 */
int mm_opt_none_left(const struct mm_optstate *st, int argc, char **argv,
    const struct mm_opt *opts);

/* Numbers from option arguments: 0 or -1 (message printed). */
int mm_opt_long(const struct mm_optstate *st, const char *opt, long lo,
    long hi, long *out);
int mm_opt_double(const struct mm_optstate *st, const char *opt, double lo,
    double hi, double *out);

/*
 * --now TS, a time from 0 to 1e11: *at is set and *now points at it,
 * the marker mm_clock() takes (left NULL, the clock).  0 or -1 (message
 * printed).
 */
int mm_opt_now(const struct mm_optstate *st, double *at,
    const double **now);

/* A byte size such as 4096, 64M or 1G: 0 or -1 (message printed). */
int mm_opt_size(const struct mm_optstate *st, const char *opt, size_t *out);

#endif
