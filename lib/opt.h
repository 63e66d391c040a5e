/*
 * opt.h - one table of options drives both parsing and --help.
 *
 *	static const struct mm_opt opts[] = {
 *		{ "ref", 'r', "FILE", "reference file" },
 *		{ "skip-bad", 0, NULL, "skip bad records, count them" },
 *		{ NULL }
 *	};
 *
 * mm_getopt() returns the option's index in the table, -1 at the end of
 * options, or -2 on a usage error (message printed).  Every program gets
 * -h/--help and --version from mm_getopt() itself.
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

struct mm_optstate {
	const char *prog;
	const char *synopsis;	/* usage lines, "\n" separated, without the
				   program name; " ..." continues a line */
	const char *about;	/* one line on what the program does */
	char *arg;		/* the current option's argument */
	int ind;		/* index of the first non-option argument */
	int done;		/* -h or --version was handled: exit 0 */
};

/* Returns table index, -1 at end, -2 on error, -3 after -h/--version. */
int mm_getopt(struct mm_optstate *st, int argc, char **argv,
    const struct mm_opt *opts);

/* Print "usage: prog synopsis" lines, then the option table if full. */
void mm_usage(const struct mm_optstate *st, const struct mm_opt *opts,
    int full);

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
