#include <stdio.h>
#include <string.h>

#include "json_write.h"
#include "snapshot.h"
#include "steer.h"
#include "store.h"

static void
report(struct mm_buf *b, const char *action, const char *version,
    const char *from)
{
	mm_buf_printf(b, "{\"action\":\"%s\",\"version\":", action);
	mm_jw_str(b, version);
	mm_buf_puts(b, ",\"previous_version\":");
	if (from != NULL && *from != '\0')
		mm_jw_str(b, from);
	else
		mm_buf_puts(b, "null");
	mm_buf_putc(b, '}');
}

/*
 * Under the lock: the version a promote or rollback would make live
 * loads, as mm-predict loads it.  0, also when there is nothing to
 * check (the store's own calls then say what is wrong); -1 with err
 * naming the version when it does not load.
 */
static int
loads(const char *dir, const char *cmd, const char *arg,
    const struct mm_active *before, int arc, struct mm_err *err)
{
	char v[MM_VERSION_MAX];
	int rc;

	if (strcmp(cmd, "promote") == 0) {
		if ((rc = mm_store_read_candidate(dir, v, sizeof(v), err)) != 0)
			return rc < 0 ? -1 : 0;
	} else if (strcmp(cmd, "rollback") == 0 && arc == 0) {
		snprintf(v, sizeof(v), "%s", arg ? arg : before->previous);
		if (v[0] == '\0' || strcmp(v, before->version) == 0)
			return 0;
	} else
		return 0;
	if (mm_version_loads(dir, v, err) == 0)
		return 0;
	if (err->code != MM_ESYS) {
		/* Not a version: the store's call says so, as it did. */
		memset(err, 0, sizeof(*err));
		return 0;
	}
	{
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		mm_errf(err, MM_ESYS, 0, "%s does not load; not %s: %.400s", v,
		    strcmp(cmd, "promote") == 0 ? "promoted" : "rolled back to",
		    why);
	}
	return -1;
}

int
mm_steer(const char *dir, const char *cmd, const char *arg, double now,
    struct mm_buf *out, struct mm_err *err)
{
	struct mm_store s;
	struct mm_active before;
	char v[MM_VERSION_MAX];
	int rc, arc;

	if (mm_store_open(&s, dir, 0, 0, err) != 0)
		return -1;
	if ((arc = mm_store_read_active(dir, &before, err)) < 0 ||
	    loads(dir, cmd, arg, &before, arc, err) < 0) {
		mm_store_close(&s);
		return -1;
	}
	if (strcmp(cmd, "promote") == 0) {
		rc = mm_store_promote(&s, now, v, sizeof(v), err);
		if (rc == 1)
			mm_errf(err, MM_EINPUT, 0, "no staged candidate to "
			    "promote");
	} else if (strcmp(cmd, "rollback") == 0) {
		rc = mm_store_rollback(&s, arg, now, v, sizeof(v), err);
		if (rc == 1)
			mm_errf(err, MM_EINPUT, 0, "no previous version to "
			    "roll back to");
	} else {
		rc = mm_store_stage(&s, arg, now, err);
		snprintf(v, sizeof(v), "%s", arg);
	}
	mm_store_close(&s);
	if (rc != 0)
		return -1;
	/* A candidate found live: this finishes an interrupted promote. */
	report(out, cmd, v, strcmp(cmd, "stage") == 0 || arc != 0 ? NULL :
	    strcmp(before.version, v) == 0 ? before.previous : before.version);
	return 0;
}

