#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
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

static int
corrupt(struct mm_err *err, const char *path, const char *what)
{
	mm_errf(err, MM_ESYS, 0, "corrupt: %s", what);
	mm_err_where(err, path);
	return -1;
}

/* A version name as the store writes them: no '/', no leading '.'. */
static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < MM_VERSION_MAX && s[0] != '.' &&
	    strchr(s, '/') == NULL;
}

/*
 * A field of a store file that is there but is not what it must be:
 * corrupt, naming the file, the field and the value found.
 */
static int
bad_field(struct mm_err *err, const char *path, const char *key,
    const json_t *v, const char *want)
{
	char what[sizeof(err->msg)], num[40];
	char *text = NULL;

	/* A number as it reads back: 1.0000000000000002, not 1. */
	if (json_is_number(v))
		mm_fmt_double(num, sizeof(num), json_number_value(v));
	else
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_REAL_PRECISION(15));
	snprintf(what, sizeof(what), "\"%s\" is %.40s%s, not %s", key,
	    text ? text : json_is_number(v) ? num : "?",
	    text && strlen(text) > 40 ? "..." : "", want);
	free(text);
	return corrupt(err, path, what);
}

/* Absent or null (NaN), or a number in [0, 1]: an F1.  0 or -1. */
static int
f1_field(json_t *v, double *out)
{
	*out = NAN;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v) || !(json_number_value(v) >= 0 &&
	    json_number_value(v) <= 1))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* 1 if versions/<version> of the store in dir is a directory. */
static int
version_dir(const char *dir, const char *version)
{
	char path[MM_PATHMAX];
	struct stat st;

	mm_fs_pathf(path, "%s/versions/%s", dir, version);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
json_file(const char *path, json_t **out, struct mm_err *err)
{
	json_error_t jerr;
	char *data;
	size_t len;
	int rc;

	if ((rc = mm_fs_slurp(path, &data, &len, err)) != 0)
		return rc;
	*out = json_loadb(data, len, 0, &jerr);
	free(data);
	if (*out == NULL)
		return corrupt(err, path, jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return corrupt(err, path, "not a JSON object");
	}
	return 0;
}

int
mm_store_read_active(const char *dir, struct mm_active *a, struct mm_err *err)
{
	char path[MM_PATHMAX];
	json_t *root, *v, *p, *m, *f, *at;
	int rc;

	memset(a, 0, sizeof(*a));
	a->baseline_f1 = NAN;
	mm_fs_pathf(path, "%s/active.json", dir);
	if ((rc = json_file(path, &root, err)) != 0)
		return rc;
	v = json_object_get(root, "version");
	p = json_object_get(root, "previous_version");
	m = json_object_get(root, "metrics");
	f = m ? json_object_get(m, "baseline_f1") : NULL;
	at = json_object_get(root, "promoted_at");
	if (!json_is_string(v) || !valid_name(json_string_value(v)) ||
	    (p != NULL && !json_is_null(p) && (!json_is_string(p) ||
	    !valid_name(json_string_value(p))))) {
		json_decref(root);
		return corrupt(err, path, "no valid \"version\"");
	}
	/*
	 * A bad value here is the store's fault, not the input's: said
	 * here, naming the file, rather than by a reader that gets it.
	 */
	if (m != NULL && !json_is_null(m) && !json_is_object(m)) {
		bad_field(err, path, "metrics", m, "an object");
		json_decref(root);
		return -1;
	}
	if (f1_field(f, &a->baseline_f1) < 0) {
		bad_field(err, path, "metrics.baseline_f1", f,
		    "an F1 in [0, 1] or null");
		json_decref(root);
		return -1;
	}
	if (at != NULL && !json_is_null(at) && !json_is_string(at)) {
		bad_field(err, path, "promoted_at", at, "a time");
		json_decref(root);
		return -1;
	}
	strcpy(a->version, json_string_value(v));
	if (json_is_string(p))
		strcpy(a->previous, json_string_value(p));
	if (json_is_string(at))
		snprintf(a->promoted_at, sizeof(a->promoted_at), "%s",
		    json_string_value(at));
	json_decref(root);
	/* Versions are renamed into place before they go live. */
	if (!version_dir(dir, a->version)) {
		mm_errf(err, MM_ESYS, 0, "corrupt: \"version\" names '%s', "
		    "which is not in versions/", a->version);
		mm_err_where(err, path);
		return -1;
	}
	return 0;
}

int
mm_store_active(const char *dir, char *buf, size_t size, struct mm_err *err)
{
	struct mm_active a;
	int rc = mm_store_read_active(dir, &a, err);

	if (rc < 0)
		return -1;
	if (rc == 1) {
		mm_errf(err, MM_EINPUT, 0, "no active model version");
		mm_err_where(err, dir);
		return -1;
	}
	if (strlen(a.version) >= size)
		return mm_errf(err, MM_ESYS, 0, "version name too long");
	strcpy(buf, a.version);
	return 0;
}

int
mm_store_active_file(const char *dir, const char *file, char *buf,
    size_t size, struct mm_err *err)
{
	char v[MM_VERSION_MAX];
	int n;

	if (mm_store_active(dir, v, sizeof(v), err) < 0)
		return -1;
	n = snprintf(buf, size, "%s/versions/%s/%s", dir, v, file);
	if (n < 0 || (size_t)n >= size)
		return mm_errf(err, MM_ESYS, 0, "path too long");
	return 0;
}

int
mm_store_read_candidate(const char *dir, char *buf, size_t size,
    struct mm_err *err)
{
	char path[MM_PATHMAX];
	json_t *root, *v;
	int rc;

	mm_fs_pathf(path, "%s/candidate.json", dir);
	if ((rc = json_file(path, &root, err)) != 0)
		return rc;
	v = json_object_get(root, "version");
	if (!json_is_string(v) || !valid_name(json_string_value(v)) ||
	    strlen(json_string_value(v)) >= size) {
		json_decref(root);
		return corrupt(err, path, "no valid \"version\"");
	}
	strcpy(buf, json_string_value(v));
	json_decref(root);
	return 0;
}

int
mm_store_read_file(const char *dir, const char *version, const char *file,
    char **data, size_t *len, struct mm_err *err)
{
	char path[MM_PATHMAX];
	int rc;

	if (!valid_name(version))
		return mm_errf(err, MM_EINPUT, 0, "'%s' is not a version "
		    "name", version);
	mm_fs_pathf(path, "%s/versions/%s/%s", dir, version, file);
	rc = mm_fs_slurp(path, data, len, err);
	if (rc == 1) {
		mm_errf(err, MM_EINPUT, 0, "no such file (is '%s' a "
		    "version?)", version);
		mm_err_where(err, path);
		return -1;
	}
	return rc;
}

int
mm_store_card_f1(const char *dir, const char *version, double *f1,
    struct mm_err *err)
{
	char path[MM_PATHMAX];
	json_t *root, *m, *f;
	int rc;

	mm_fs_pathf(path, "%s/versions/%s/card.json", dir, version);
	if ((rc = json_file(path, &root, err)) != 0) {
		/* A version without its card is a broken store. */
		if (rc == 1 && valid_name(version) &&
		    version_dir(dir, version)) {
			errno = ENOENT;
			return mm_fs_syserr(err, path, "cannot open");
		}
		if (rc == 1) {
			mm_errf(err, MM_EINPUT, 0, "no version '%s'", version);
			mm_err_where(err, dir);
		}
		return -1;
	}
	m = json_object_get(root, "metrics");
	f = json_is_object(m) ? json_object_get(m, "f1") : NULL;
	rc = 0;
	/* It becomes a baseline in active.json, which must hold an F1. */
	if (m != NULL && !json_is_null(m) && !json_is_object(m))
		rc = bad_field(err, path, "metrics", m, "an object");
	else if (f1_field(f, f1) < 0)
		rc = bad_field(err, path, "metrics.f1", f,
		    "an F1 in [0, 1] or null");
	json_decref(root);
	return rc;
}

/* Names sort by time, then by their "-N" suffix as a number. */
static int
cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t nx = strcspn(x, "-"), ny = strcspn(y, "-");

	if (nx == ny && strncmp(x, y, nx) == 0) {
		long sx = x[nx] ? strtol(x + nx + 1, NULL, 10) : 1;
		long sy = y[ny] ? strtol(y + ny + 1, NULL, 10) : 1;

		if (sx != sy)
			return sx < sy ? -1 : 1;
	}
	return strcmp(x, y);
}

int
mm_store_list(const char *dir, char ***names, int *n, struct mm_err *err)
{
	char path[MM_PATHMAX];
	struct dirent *e;
	DIR *d;
	int cap = 0;

	*names = NULL;
	*n = 0;
	mm_fs_pathf(path, "%s/versions", dir);
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return mm_fs_syserr(err, path, "cannot list");
	}
	while ((e = readdir(d)) != NULL) {
		if (!valid_name(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*names = mm_xrealloc(*names, (size_t)cap *
			    sizeof(char *));
		}
		(*names)[(*n)++] = mm_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, (size_t)*n, sizeof(char *), cmp_names);
	return 0;
}

void
mm_store_list_free(char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
mm_iso_time(double now, char *buf, size_t size)
{
	time_t t = (time_t)floor(now);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Replace dir/name (active.json, candidate.json) as mm_replace_file. */
static int
replace_file(const char *dir, const char *name, const char *data, size_t len,
    const char *fault, struct mm_err *err)
{
	char path[MM_PATHMAX];

	mm_fs_pathf(path, "%s/%s", dir, name);
	return mm_replace_file(path, data, len, fault, err);
}

/*
 * Remove the temporary files a crashed writer of active.json or
 * candidate.json left: .active.json.XXXXXX, and active.json.tmp from
 * before those (under the lock, so no writer is using them).
 */
static void
sweep_top(const char *dir)
{
	static const char *const names[] = { "active.json", "candidate.json" };
	struct dirent *e;
	size_t i, n;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			n = strlen(names[i]);
			if ((e->d_name[0] == '.' &&
			    strncmp(e->d_name + 1, names[i], n) == 0 &&
			    e->d_name[n + 1] == '.' &&
			    strlen(e->d_name + n + 2) == 6) ||
			    (strncmp(e->d_name, names[i], n) == 0 &&
			    strcmp(e->d_name + n, ".tmp") == 0))
				unlinkat(dirfd(d), e->d_name, 0);
		}
	closedir(d);
}

int
mm_store_open(struct mm_store *s, const char *dir, int create, int nonblock,
    struct mm_err *err)
{
	char path[MM_PATHMAX];
	struct stat st;
	mode_t mode;

	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	if (mm_file_mode(&mode, NULL, err) < 0)
		return -1;
	if (create) {
		char parent[MM_PATHMAX], *slash;

		mm_fs_pathf(path, "%s/versions", dir);
		if (mm_fs_mkdir_parents(dir, err) < 0 ||
		    mm_fs_mkdir(dir, err) < 0 || mm_fs_mkdir(path, err) < 0 ||
		    mm_fs_sync_dir(dir, err) < 0)
			return -1;
		mm_fs_pathf(parent, "%s", dir);
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent)
			*slash = '\0';
		else
			strcpy(parent, slash == parent ? "/" : ".");
		if (mm_fs_sync_dir(parent, err) < 0)
			return -1;
	} else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_EINPUT, 0, "no model store here");
		mm_err_where(err, dir);
		return -1;
	}
	mm_fs_pathf(path, "%s/.lock", dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (s->lockfd < 0)
		return mm_fs_syserr(err, path, "cannot open lock");
	if (flock(s->lockfd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		int busy = errno == EWOULDBLOCK;

		if (!busy)
			mm_fs_syserr(err, path, "cannot lock");
		close(s->lockfd);
		s->lockfd = -1;
		return busy ? 1 : -1;
	}
	s->dir = mm_xstrdup(dir);
	sweep_top(dir);
	return 0;
}

void
mm_store_close(struct mm_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);	/* releases the lock */
	free(s->dir);
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
}

int
mm_store_write_version(struct mm_store *s, double now,
    const struct mm_store_file *files, int nfiles, char *version,
    size_t size, struct mm_err *err)
{
	char versions[MM_PATHMAX], tmp[MM_PATHMAX], final[MM_PATHMAX];
	char file[MM_PATHMAX];
	char base[32], name[MM_VERSION_MAX];
	struct stat st;
	time_t t = (time_t)floor(now);
	struct tm tm;
	mode_t fmode, dmode;
	int i, k;

	if (mm_file_mode(&fmode, &dmode, err) < 0)
		return -1;
	mm_fs_pathf(versions, "%s/versions", s->dir);
	if (mm_fs_mkdir(versions, err) < 0)
		return -1;
	if (stat(versions, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return mm_fs_syserr(err, versions, "cannot use");
	}
	mm_fs_sweep_tmp(versions);
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
	for (k = 1;; k++) {
		if (k == 1)
			snprintf(name, sizeof(name), "%s", base);
		else
			snprintf(name, sizeof(name), "%s-%d", base, k);
		mm_fs_pathf(final, "%s/%s", versions, name);
		if (stat(final, &st) < 0) {
			if (errno == ENOENT)
				break;
			return mm_fs_syserr(err, final, "cannot check");
		}
	}
	if (strlen(name) >= size)
		return mm_errf(err, MM_ESYS, 0, "version name too long");
	mm_fs_pathf(tmp, "%s/.tmp-%s-%ld", versions, name,
	    (long)getpid());
	/* mkdir(2) follows no link; a name planted here was swept. */
	if (mkdir(tmp, dmode) < 0)
		return mm_fs_syserr(err, tmp, "cannot create directory");
	for (i = 0; i < nfiles; i++) {
		mm_fs_pathf(file, "%s/%s", tmp, files[i].name);
		if (mm_fs_write_new(file, files[i].data, files[i].len, fmode,
		    err) < 0)
			return -1;
		mm_fault("version-file-written");
	}
	if (mm_fs_sync_dir(tmp, err) < 0)
		return -1;
	mm_fault("version-tmp-complete");
	if (rename(tmp, final) < 0)
		return mm_fs_syserr(err, final, "cannot rename into place");
	mm_fault("version-renamed");
	if (mm_fs_sync_dir(versions, err) < 0)
		return -1;
	strcpy(version, name);
	return 0;
}

static int
write_active(struct mm_store *s, const char *version, const char *previous,
    const char *rolled_back_from, double baseline_f1, double now,
    struct mm_err *err)
{
	struct mm_buf b;
	char at[32];
	int rc;

	mm_iso_time(now, at, sizeof(at));
	mm_buf_init(&b);
	mm_buf_puts(&b, "{\"version\":");
	mm_jw_str(&b, version);
	mm_buf_puts(&b, ",\"previous_version\":");
	if (previous != NULL && *previous != '\0')
		mm_jw_str(&b, previous);
	else
		mm_buf_puts(&b, "null");
	mm_buf_puts(&b, ",\"metrics\":{\"baseline_f1\":");
	mm_jw_num(&b, baseline_f1);
	mm_buf_printf(&b, "},\"promoted_at\":\"%s\"", at);
	if (rolled_back_from != NULL) {
		mm_buf_puts(&b, ",\"rolled_back_from\":");
		mm_jw_str(&b, rolled_back_from);
	}
	mm_buf_puts(&b, "}\n");
	rc = replace_file(s->dir, "active.json", b.p, b.n, "active", err);
	mm_buf_release(&b);
	return rc;
}

static int
version_exists(const char *dir, const char *version, struct mm_err *err)
{
	char path[MM_PATHMAX];
	struct stat st;

	if (!valid_name(version) || !version_dir(dir, version)) {
		mm_errf(err, MM_EINPUT, 0, "no version '%s'", version);
		mm_err_where(err, dir);
		return -1;
	}
	/* There, but without its model: a broken store, not a typo. */
	mm_fs_pathf(path, "%s/versions/%s/model.json", dir, version);
	if (stat(path, &st) < 0)
		return mm_fs_syserr(err, path, "cannot open");
	return 0;
}

int
mm_store_activate(struct mm_store *s, const char *version,
    double baseline_f1, double now, struct mm_err *err)
{
	struct mm_active a;
	int rc;

	if (version_exists(s->dir, version, err) < 0)
		return -1;
	if ((rc = mm_store_read_active(s->dir, &a, err)) < 0)
		return -1;
	if (rc == 0 && strcmp(a.version, version) == 0)
		return 0;
	return write_active(s, version, rc == 0 ? a.version : NULL, NULL,
	    baseline_f1, now, err);
}

int
mm_store_stage(struct mm_store *s, const char *version, double now,
    struct mm_err *err)
{
	struct mm_buf b;
	char at[32];
	int rc;

	if (version_exists(s->dir, version, err) < 0)
		return -1;
	mm_iso_time(now, at, sizeof(at));
	mm_buf_init(&b);
	mm_buf_puts(&b, "{\"version\":");
	mm_jw_str(&b, version);
	mm_buf_printf(&b, ",\"staged_at\":\"%s\"}\n", at);
	rc = replace_file(s->dir, "candidate.json", b.p, b.n, "candidate",
	    err);
	mm_buf_release(&b);
	return rc;
}

static int
unstage(struct mm_store *s, struct mm_err *err)
{
	char path[MM_PATHMAX];

	mm_fs_pathf(path, "%s/candidate.json", s->dir);
	if (unlink(path) < 0 && errno != ENOENT)
		return mm_fs_syserr(err, path, "cannot remove");
	mm_fault("candidate-removed");
	return mm_fs_sync_dir(s->dir, err);
}

int
mm_store_promote(struct mm_store *s, double now, char *version, size_t size,
    struct mm_err *err)
{
	char cand[MM_VERSION_MAX];
	struct mm_active a;
	double f1;
	int rc;

	if ((rc = mm_store_read_candidate(s->dir, cand, sizeof(cand),
	    err)) != 0)
		return rc;
	/* Staging checks the version is there: candidate.json is wrong. */
	if (!version_dir(s->dir, cand)) {
		char path[MM_PATHMAX];

		mm_fs_pathf(path, "%s/candidate.json", s->dir);
		mm_errf(err, MM_ESYS, 0, "corrupt: \"version\" names '%s', "
		    "which is not in versions/", cand);
		mm_err_where(err, path);
		return -1;
	}
	if (mm_store_card_f1(s->dir, cand, &f1, err) < 0 ||
	    (rc = mm_store_read_active(s->dir, &a, err)) < 0)
		return -1;
	/*
	 * A promotion never lowers the bar: the candidate must do at least
	 * as well as the baseline of the version it replaces.
	 */
	if (rc == 0 && strcmp(a.version, cand) != 0 &&
	    a.baseline_f1 > f1)
		f1 = a.baseline_f1;
	if (mm_store_activate(s, cand, f1, now, err) < 0)
		return -1;
	mm_fault("promote-activated");
	if (unstage(s, err) < 0)
		return -1;
	if (strlen(cand) >= size)
		return mm_errf(err, MM_ESYS, 0, "version name too long");
	strcpy(version, cand);
	return 0;
}

int
mm_store_rollback(struct mm_store *s, const char *target, double now,
    char *version, size_t size, struct mm_err *err)
{
	struct mm_active a;
	char cand[MM_VERSION_MAX];
	double f1;
	int rc;

	if ((rc = mm_store_read_active(s->dir, &a, err)) < 0)
		return -1;
	if (rc == 1) {
		mm_errf(err, MM_EINPUT, 0, "no active version to roll back");
		mm_err_where(err, s->dir);
		return -1;
	}
	if (target == NULL) {
		if (a.previous[0] == '\0')
			return 1;
		target = a.previous;
		/* Not the caller's mistake: active.json named it. */
		if (!version_dir(s->dir, target)) {
			char path[MM_PATHMAX];

			mm_fs_pathf(path, "%s/active.json", s->dir);
			mm_errf(err, MM_ESYS, 0, "corrupt: "
			    "\"previous_version\" names '%s', which is not "
			    "in versions/", target);
			mm_err_where(err, path);
			return -1;
		}
	}
	if (strcmp(target, a.version) == 0) {
		mm_errf(err, MM_EINPUT, 0, "'%s' is the active version",
		    target);
		return -1;
	}
	if (version_exists(s->dir, target, err) < 0 ||
	    mm_store_card_f1(s->dir, target, &f1, err) < 0)
		return -1;
	if (strlen(target) >= size)
		return mm_errf(err, MM_ESYS, 0, "version name too long");
	strcpy(version, target);
	if (write_active(s, version, NULL, a.version, f1, now, err) < 0)
		return -1;
	/*
	 * A crash between a promote's switch and its unstage leaves the
	 * promoted version staged; never promote it again after rolling
	 * back from it.
	 */
	if (mm_store_read_candidate(s->dir, cand, sizeof(cand), err) == 0 &&
	    strcmp(cand, a.version) == 0)
		return unstage(s, err);
	return 0;
}
