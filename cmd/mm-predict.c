/*
 * mm-predict - add predictions and batch metrics to batch records.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mm.h"
#include "opt.h"
#include "predictor.h"
#include "run.h"

static const char *prog = "mm-predict";

enum {
	O_MODELS, O_VERSION, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_MODELS] = MM_OPT_MODELS,
	[O_VERSION] = { "model-version", 'V', "V", "use version V, not the "
	    "active one" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct predict {
	struct mm_predictor pr;
	struct mm_run run;
	struct mm_buf out;
};

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct predict *p = ctx;

	mm_buf_reset(&p->out);
	if (mm_predictor_line(&p->pr, line, len, &p->out, err) < 0)
		return -1;
	/* Out when input would wait (run.h): the pipeline stays live. */
	if (fwrite(p->out.p, 1, p->out.n, stdout) != p->out.n)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	struct predict p;
	struct mm_optstate st = { .prog = "mm-predict",
	    .synopsis = "[--models DIR] [--model-version V] [--skip-bad] "
	    "[--max-record BYTES] [FILE ...]",
	    .about = "Add pred, proba and metrics to each batch record, "
	    "with the active model version." };
	struct mm_say say = { mm_say_stderr, (void *)prog };
	const char *dir = NULL, *pinned = NULL;
	int o, rc;

	memset(&p, 0, sizeof(p));
	p.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_MODELS: dir = st.arg; break;
		case O_VERSION: pinned = st.arg; break;
		case O_SKIPBAD: p.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &p.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	/* A large batch is shared among the cores (forest.h). */
	mm_predictor_init(&p.pr, mm_models_dir(dir), pinned,
	    (int)sysconf(_SC_NPROCESSORS_ONLN), &say);
	p.pr.hint = ", or give --model-version";
	mm_buf_init(&p.out);
	rc = mm_run(&p.run, argc - st.ind, argv + st.ind, on_line, &p);
	mm_predictor_release(&p.pr);
	mm_buf_release(&p.out);
	return mm_run_finish(&p.run, rc);
}
