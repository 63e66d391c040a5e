#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

const char *
mm_models_dir(const char *dir)
{
	const char *env;

	if (dir != NULL && *dir != '\0')
		return dir;
	env = getenv("MM_MODELS");
	return env != NULL && *env != '\0' ? env : "models";
}

int
mm_store_active(const char *dir, char *buf, size_t size, struct mm_err *err)
{
	char path[4096];
	json_error_t jerr;
	json_t *root, *v;
	const char *s;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/active.json", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		mm_errf(err, errno == ENOENT ? MM_EINPUT : MM_ESYS, 0,
		    errno == ENOENT ? "no active model version (%s)" :
		    "cannot read: %s", errno == ENOENT ? "no active.json" :
		    strerror(errno));
		mm_err_where(err, errno == ENOENT ? dir : path);
		return -1;
	}
	root = json_loadf(fp, 0, &jerr);
	fclose(fp);
	v = root ? json_object_get(root, "version") : NULL;
	s = json_is_string(v) ? json_string_value(v) : NULL;
	if (s == NULL || *s == '\0' || strchr(s, '/') != NULL ||
	    strlen(s) >= size) {
		mm_errf(err, MM_ESYS, 0, "corrupt active.json: %s", root ?
		    "no valid \"version\"" : jerr.text);
		mm_err_where(err, path);
		json_decref(root);
		return -1;
	}
	strcpy(buf, s);
	json_decref(root);
	return 0;
}

int
mm_store_active_file(const char *dir, const char *file, char *buf,
    size_t size, struct mm_err *err)
{
	char v[256];
	int n;

	if (mm_store_active(dir, v, sizeof(v), err) < 0)
		return -1;
	n = snprintf(buf, size, "%s/versions/%s/%s", dir, v, file);
	if (n < 0 || (size_t)n >= size)
		return mm_errf(err, MM_ESYS, 0, "path too long");
	return 0;
}
