/*
 * mm-models - list, show, stage, promote and roll back model versions.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mm.h"
#include "opt.h"
#include "retrain.h"
#include "steer.h"
#include "store.h"

static const char *prog = "mm-models";

enum {
	O_MODELS, O_NOW, O_TABLE
};

static const struct mm_opt opts[] = {
	[O_MODELS] = MM_OPT_MODELS,
	[O_NOW] = MM_OPT_NOW("time recorded for a change (default: the "
	    "clock)"),
	[O_TABLE] = { "table", 0, NULL, "list as aligned text, not JSON "
	    "lines" },
	MM_OPT_END
};

static int
fail(const struct mm_err *err)
{
	mm_perr(prog, err);
	return err->code;
}

/* The card of version as a JSON object (new reference), or NULL. */
static json_t *
card(const char *dir, const char *version, struct mm_err *err)
{
	json_error_t jerr;
	json_t *root;
	char *data, path[4096];
	size_t len;

	if (mm_store_read_file(dir, version, "card.json", &data, &len,
	    err) < 0)
		return NULL;
	root = json_loadb(data, len, 0, &jerr);
	free(data);
	if (!json_is_object(root)) {
		/* Named as the store names a bad file: path, then why. */
		if (root == NULL)
			mm_errf(err, MM_ESYS, 0, "corrupt: %s",
			    jerr.text);
		else
			mm_errf(err, MM_ESYS, 0, "corrupt: not a JSON object");
		json_decref(root);
		snprintf(path, sizeof(path), "%s/versions/%s/card.json", dir,
		    version);
		mm_err_where(err, path);
		return NULL;
	}
	return root;
}

static int
list(const char *dir, int table)
{
	struct mm_err err = { 0 };
	struct mm_active a;
	char cand[MM_VERSION_MAX] = "", **names;
	int i, n, arc, crc;

	if ((arc = mm_store_read_active(dir, &a, &err)) < 0 ||
	    (crc = mm_store_read_candidate(dir, cand, sizeof(cand),
	    &err)) < 0 || mm_store_list(dir, &names, &n, &err) < 0)
		return fail(&err);
	if (table)
		printf("%-22s %-8s %8s %8s  %s\n", "VERSION", "STATE", "F1",
		    "BASELINE", "CREATED");
	for (i = 0; i < n; i++) {
		int active = arc == 0 && strcmp(a.version, names[i]) == 0;
		int staged = crc == 0 && strcmp(cand, names[i]) == 0;
		int previous = arc == 0 && strcmp(a.previous, names[i]) == 0;
		json_t *c = card(dir, names[i], &err);
		json_t *m = c ? json_object_get(c, "metrics") : NULL;
		json_t *f1 = m ? json_object_get(m, "f1") : NULL;
		json_t *at = c ? json_object_get(c, "created_at") : NULL;
		const char *state = active ? "active" : staged ? "staged" :
		    previous ? "previous" : "";
		struct mm_buf b;

		mm_buf_init(&b);
		if (table) {
			printf("%-22s %-8s ", names[i], *state ? state : "-");
			if (json_is_number(f1))
				printf("%8.4f ", json_number_value(f1));
			else
				printf("%8s ", "?");
			if (active && !isnan(a.baseline_f1))
				printf("%8.4f  ", a.baseline_f1);
			else
				printf("%8s  ", "-");
			printf("%s\n", json_is_string(at) ?
			    json_string_value(at) : "?");
		} else {
			mm_buf_puts(&b, "{\"version\":");
			mm_jw_str(&b, names[i]);
			mm_buf_printf(&b, ",\"active\":%s,\"staged\":%s,"
			    "\"previous\":%s,\"f1\":", active ? "true" :
			    "false", staged ? "true" : "false", previous ?
			    "true" : "false");
			mm_jw_num(&b, json_is_number(f1) ?
			    json_number_value(f1) : NAN);
			mm_buf_puts(&b, ",\"baseline_f1\":");
			mm_jw_num(&b, active ? a.baseline_f1 : NAN);
			mm_buf_puts(&b, ",\"created_at\":");
			if (json_is_string(at))
				mm_jw_str(&b, json_string_value(at));
			else
				mm_buf_puts(&b, "null");
			mm_buf_puts(&b, c ? "}" : ",\"error\":\"unreadable "
			    "card\"}");
			puts(b.p);
		}
		mm_buf_release(&b);
		json_decref(c);
	}
	mm_store_list_free(names, n);
	return MM_OK;
}

static int
show(const char *dir, const char *version)
{
	struct mm_err err = { 0 };
	char v[MM_VERSION_MAX];
	struct mm_buf b;
	json_t *c;
	char *text;
	size_t len;

	if (version == NULL) {
		if (mm_store_active(dir, v, sizeof(v), &err) < 0)
			return fail(&err);
		version = v;
	}
	if ((c = card(dir, version, &err)) == NULL)
		return fail(&err);
	json_decref(c);
	/* The card as stored, numbers as written, with its version added. */
	if (mm_store_read_file(dir, version, "card.json", &text, &len,
	    &err) < 0)
		return fail(&err);
	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	if (len > 0 && text[len - 1] == '}')
		len--;
	mm_buf_init(&b);
	mm_buf_put(&b, text, len);
	mm_buf_puts(&b, ",\"version\":");
	mm_jw_str(&b, version);
	mm_buf_putc(&b, '}');
	puts(b.p);
	mm_buf_release(&b);
	free(text);
	return MM_OK;
}

static int
change(const char *dir, const char *cmd, const char *arg, double now)
{
	struct mm_err err = { 0 };
	struct mm_buf b;

	mm_buf_init(&b);
	if (mm_steer(dir, cmd, arg, now, &b, &err) < 0) {
		mm_buf_release(&b);
		return fail(&err);
	}
	puts(b.p);
	mm_buf_release(&b);
	return MM_OK;
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-models",
	    .synopsis = "[--models DIR] list [--table]\n"
	    "[--models DIR] show [VERSION]\n"
	    "[--models DIR] [--now TS] stage VERSION\n"
	    "[--models DIR] [--now TS] promote\n"
	    "[--models DIR] [--now TS] rollback [VERSION]",
	    .about = "See and steer model versions: list them, show a card, "
	    "stage, promote, roll back." };
	const char *dir = NULL, *cmd;
	const double *now = NULL;	/* --now, or NULL: the clock */
	double at, t;
	int o, table = 0, nargs, rc;

	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_MODELS: dir = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &at, &now) < 0)
				return MM_EINPUT;
			break;
		case O_TABLE: table = 1; break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	dir = mm_models_dir(dir);
	t = mm_clock_sec(now);
	if (st.ind >= argc) {
		mm_warnx(prog, "a command is needed: list, show, stage, "
		    "promote or rollback");
		mm_usage(&st, opts, 0);
		return MM_EINPUT;
	}
	cmd = argv[st.ind];
	nargs = argc - st.ind - 1;
	if (strcmp(cmd, "list") == 0 && nargs == 0)
		rc = list(dir, table);
	else if (strcmp(cmd, "show") == 0 && nargs <= 1)
		rc = show(dir, nargs ? argv[st.ind + 1] : NULL);
	else if (strcmp(cmd, "stage") == 0 && nargs == 1)
		rc = change(dir, cmd, argv[st.ind + 1], t);
	else if (strcmp(cmd, "promote") == 0 && nargs == 0)
		rc = change(dir, cmd, NULL, t);
	else if (strcmp(cmd, "rollback") == 0 && nargs <= 1)
		rc = change(dir, cmd, nargs ? argv[st.ind + 1] : NULL, t);
	else {
		mm_warnx(prog, "'%s' with %d argument%s is not a command", cmd,
		    nargs, nargs == 1 ? "" : "s");
		mm_usage(&st, opts, 0);
		return MM_EINPUT;
	}
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
