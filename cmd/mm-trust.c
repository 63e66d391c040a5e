/*
 * mm-trust - add an explainable trust score to batch or summary records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"
#include "trustrec.h"

static const char *prog = "mm-trust";

enum {
	O_CONFIG, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct trust {
	struct mm_config cfg;
	struct mm_run run;
	struct mm_rec rec;
	struct mm_buf out;
};

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct trust *tr = ctx;

	mm_buf_reset(&tr->out);
	if (mm_trust_line(&tr->cfg.trust, &tr->rec, line, len, &tr->out,
	    err) < 0)
		return -1;
	if (fwrite(tr->out.p, 1, tr->out.n, stdout) != tr->out.n)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-trust",
	    .synopsis = "[--config DIR] [--skip-bad] [--max-record BYTES] "
	    "[FILE ...]",
	    .about = "Add a trust score in [0, 1] from accuracy, F1, "
	    "confidence, drift and latency." };
	struct trust tr;
	struct mm_err err = { 0 };
	const char *config = NULL;
	int o, rc;

	memset(&tr, 0, sizeof(tr));
	tr.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CONFIG: config = st.arg; break;
		case O_SKIPBAD: tr.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &tr.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_config_load(&tr.cfg, config, MM_CFG_TRUST, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_rec_init(&tr.rec);
	mm_buf_init(&tr.out);
	rc = mm_run(&tr.run, argc - st.ind, argv + st.ind, on_line, &tr);
	mm_rec_release(&tr.rec);
	mm_buf_release(&tr.out);
	return mm_run_finish(&tr.run, rc);
}
