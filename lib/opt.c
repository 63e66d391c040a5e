#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "timeparse.h"

#define MAXOPTS 64
#define HELP_VAL 1000
#define VERSION_VAL 1001

void
mm_usage(const struct mm_optstate *st, const struct mm_opt *opts, int full)
{
	FILE *fp = full ? stdout : stderr;
	const char *s = st->synopsis, *nl;
	char left[64];
	int first = 1;

	do {
		nl = strchr(s, '\n');
		/* A line starting with a space continues the one before. */
		if (*s == ' ')
			fprintf(fp, "       %*s%.*s\n", (int)strlen(st->prog),
			    "", nl ? (int)(nl - s) : (int)strlen(s), s);
		else
			fprintf(fp, "%s %s %.*s\n", first ? "usage:" :
			    "      ", st->prog, nl ? (int)(nl - s) :
			    (int)strlen(s), s);
		first = 0;
		s = nl ? nl + 1 : NULL;
	} while (s != NULL && *s != '\0');
	if (!full) {
		fprintf(fp, "Try '%s --help' for more information.\n",
		    st->prog);
		return;
	}
	if (st->about != NULL)
		fprintf(fp, "\n%s\n", st->about);
	fputs("\nOptions:\n", fp);
	for (; opts->name != NULL; opts++) {
		if (opts->shrt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    opts->shrt, opts->name, opts->arg ? " " : "",
			    opts->arg ? opts->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s",
			    opts->name, opts->arg ? " " : "",
			    opts->arg ? opts->arg : "");
		fprintf(fp, "  %-26s %s\n", left, opts->help);
	}
	fprintf(fp, "  %-26s %s\n", "-h, --help", "show this help and exit");
	fprintf(fp, "  %-26s %s\n", "    --version",
	    "show the version and exit");
	fprintf(fp, "\nExit status: 0 ok, 1 check failed, 2 usage or input "
	    "error, 3 storage or system error.\nSee %s(1).\n", st->prog);
}

int
mm_getopt(struct mm_optstate *st, int argc, char **argv,
    const struct mm_opt *opts)
{
	struct option lo[MAXOPTS + 3];
	char so[3 * MAXOPTS + 4], *s = so;
	int i, n, c, idx = -1;

	*s++ = ':';
	for (n = 0; opts[n].name != NULL && n < MAXOPTS; n++) {
		lo[n].name = opts[n].name;
		lo[n].has_arg = opts[n].arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 2000 + n;
		if (opts[n].shrt) {
			*s++ = (char)opts[n].shrt;
			if (opts[n].arg)
				*s++ = ':';
		}
	}
	*s++ = 'h';
	*s = '\0';
	lo[n] = (struct option){ "help", no_argument, NULL, HELP_VAL };
	lo[n + 1] = (struct option){ "version", no_argument, NULL,
	    VERSION_VAL };
	lo[n + 2] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0;
	c = getopt_long(argc, argv, so, lo, &idx);
	st->ind = optind;
	st->arg = optarg;
	if (c == -1)
		return MM_GETOPT_DONE;
	if (c == 'h' || c == HELP_VAL) {
		mm_usage(st, opts, 1);
		st->done = 1;
		return MM_GETOPT_EXIT;
	}
	if (c == VERSION_VAL) {
		printf("%s %s\n", st->prog, MM_VERSION);
		st->done = 1;
		return MM_GETOPT_EXIT;
	}
	if (c >= 2000)
		return c - 2000;
	if (c == '?' || c == ':') {
		const char *what = argv[optind - 1];

		if (optopt != 0 && optopt < 2000)
			fprintf(stderr, c == ':' ? "%s: option '-%c' needs "
			    "an argument\n" : "%s: unknown option '-%c'\n",
			    st->prog, optopt);
		else
			fprintf(stderr, c == ':' ? "%s: option '%s' needs "
			    "an argument\n" : "%s: unknown option '%s'\n",
			    st->prog, what);
		mm_usage(st, opts, 0);
		return MM_GETOPT_ERROR;
	}
	for (i = 0; i < n; i++)
		if (opts[i].shrt == c)
			return i;
	return MM_GETOPT_ERROR;
}

int
mm_opt_none_left(const struct mm_optstate *st, int argc, char **argv,
    const struct mm_opt *opts)
{
	if (st->ind >= argc)
		return 0;
	mm_warnx(st->prog, "unexpected argument '%s'", argv[st->ind]);
	mm_usage(st, opts, 0);
	return -1;
}

int
mm_opt_long(const struct mm_optstate *st, const char *opt, long lo, long hi,
    long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(st->arg, &end, 10);
	if (errno != 0 || end == st->arg || *end != '\0' || v < lo ||
	    v > hi) {
		fprintf(stderr, "%s: --%s: '%s' is not a whole number from "
		    "%ld to %ld\n", st->prog, opt, st->arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
mm_opt_double(const struct mm_optstate *st, const char *opt, double lo,
    double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(st->arg, &end);
	if (errno != 0 || end == st->arg || *end != '\0' || !isfinite(v) ||
	    v < lo || v > hi) {
		fprintf(stderr, "%s: --%s: '%s' is not a number from %g to "
		    "%g\n", st->prog, opt, st->arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
mm_opt_now(const struct mm_optstate *st, double *at, const double **now)
{
	char *end;
	double v;

	/* Any number strtod(3) reads (1.7e9 too), or an ISO 8601 time. */
	errno = 0;
	v = strtod(st->arg, &end);
	if (errno == 0 && end != st->arg && *end == '\0' && isfinite(v) &&
	    v >= 0 && v <= 1e11)
		*at = v;
	else if (mm_parse_time(st->arg, at) < 0) {
		fprintf(stderr, "%s: --now: '%s' is not a time: Unix seconds "
		    "or an ISO 8601 time such as 2025-11-26T06:53:20Z\n",
		    st->prog, st->arg);
		return -1;
	}
	*now = at;
	return 0;
}

int
mm_opt_size(const struct mm_optstate *st, const char *opt, size_t *out)
{
	if (mm_parse_size(st->arg, out) < 0) {
		fprintf(stderr, "%s: --%s: '%s' is not a size such as 4096, "
		    "64M or 1G\n", st->prog, opt, st->arg);
		return -1;
	}
	return 0;
}
