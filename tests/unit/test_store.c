/*
 * test_store.c - the model store: opening and locking, writing versions,
 * listing them, activation, staging, promotion and rollback, each on a
 * fresh directory under $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "scratch.h"

/* 2025-11-26T06:53:20Z and one and two hours later. */
#define T1 1764140000.0
#define T2 (T1 + 3600)
#define T3 (T1 + 7200)
#define V1 "20251126T065320Z"
#define V2 "20251126T075320Z"
#define V3 "20251126T085320Z"
#define AT1 "2025-11-26T06:53:20Z"
#define AT2 "2025-11-26T07:53:20Z"
#define AT3 "2025-11-26T08:53:20Z"

struct fix {
	char top[256];		/* the scratch directory */
	char dir[300];		/* top/models, the store */
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (scratch_make(f->top, sizeof(f->top), "mm-store") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/models", f->top);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	scratch_remove(f->top);
	free(f);
	return 0;
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

/* The contents of path (owned), or NULL when it does not exist. */
static char *
get(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fstat(fileno(fp), &st);
	buf = calloc(1, (size_t)st.st_size + 1);
	n = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	if (len != NULL)
		*len = n;
	return buf;
}

/* dir/rel holds exactly want. */
#define assert_file(dir, rel, want) do {				\
	char p_[512];							\
	char *got_;							\
	snprintf(p_, sizeof(p_), "%s/%s", (dir), (rel));		\
	got_ = get(p_, NULL);						\
	if (got_ == NULL)						\
		fail_msg("%s does not exist", p_);			\
	assert_string_equal(got_, (want));				\
	free(got_);							\
} while (0)

static int
exists(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

/* The names in dir/rel, sorted and joined by spaces, dots included. */
static void
ls(const char *dir, const char *rel, char *out, size_t size)
{
	char p[512], *names[64];
	struct dirent *e;
	DIR *d;
	int n = 0, i, j;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	out[0] = '\0';
	if ((d = opendir(p)) == NULL)
		fail_msg("cannot list %s", p);
	while ((e = readdir(d)) != NULL && n < 64)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, names[i], size - strlen(out) - 1);
		free(names[i]);
	}
}

/* mm_store_list joined by spaces. */
static void
listed(const char *dir, char *out, size_t size)
{
	struct mm_err err = { 0 };
	char **names;
	int n, i;

	assert_int_equal(mm_store_list(dir, &names, &n, &err), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, names[i], size - strlen(out) - 1);
	}
	mm_store_list_free(names, n);
}

static void
open_store(struct mm_store *s, const char *dir)
{
	struct mm_err err = { 0 };

	if (mm_store_open(s, dir, 1, 0, &err) != 0)
		fail_msg("mm_store_open: %s: %s", err.where, err.msg);
}

/* A version at now whose card says f1; its name goes to version. */
static void
version_f1(struct mm_store *s, double now, const char *f1, char *version)
{
	char card[128];
	struct mm_store_file files[3] = {
		{ "model.json", "{\"m\":1}\n", 8 },
		{ "reference.json", "{\"r\":1}\n", 8 },
		{ "card.json", card, 0 },
	};
	struct mm_err err = { 0 };

	snprintf(card, sizeof(card), "{\"metrics\":{\"f1\":%s}}\n", f1);
	files[2].len = strlen(card);
	if (mm_store_write_version(s, now, files, 3, version, MM_VERSION_MAX,
	    &err) != 0)
		fail_msg("mm_store_write_version: %s: %s", err.where, err.msg);
}

#define assert_err(err, want_code, want_where, want_msg) do {		\
	assert_int_equal((err).code, (want_code));			\
	assert_string_equal((err).where, (want_where));			\
	assert_string_equal((err).msg, (want_msg));			\
} while (0)

static void
test_models_dir(void **state)
{
	(void)state;
	unsetenv("MM_MODELS");
	assert_string_equal(mm_models_dir("x/m"), "x/m");
	assert_string_equal(mm_models_dir(NULL), "models");
	assert_string_equal(mm_models_dir(""), "models");
	setenv("MM_MODELS", "/srv/m", 1);
	assert_string_equal(mm_models_dir(NULL), "/srv/m");
	assert_string_equal(mm_models_dir(""), "/srv/m");
	assert_string_equal(mm_models_dir("x/m"), "x/m");
	setenv("MM_MODELS", "", 1);
	assert_string_equal(mm_models_dir(NULL), "models");
	unsetenv("MM_MODELS");
}

static void
test_open_create(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char names[256];

	assert_int_equal(mm_store_open(&s, f->dir, 1, 0, &err), 0);
	assert_string_equal(s.dir, f->dir);
	assert_true(s.lockfd >= 0);
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".lock versions");
	ls(f->dir, "versions", names, sizeof(names));
	assert_string_equal(names, "");
	mm_store_close(&s);
	assert_null(s.dir);
	assert_int_equal(s.lockfd, -1);

	/* An existing store opens with or without create. */
	assert_int_equal(mm_store_open(&s, f->dir, 1, 1, &err), 0);
	mm_store_close(&s);
	assert_int_equal(mm_store_open(&s, f->dir, 0, 1, &err), 0);
	assert_string_equal(s.dir, f->dir);
	mm_store_close(&s);
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".lock versions");
}

static void
test_open_missing(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char file[512];

	assert_int_equal(mm_store_open(&s, f->dir, 0, 0, &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no model store here");
	assert_null(s.dir);
	assert_int_equal(s.lockfd, -1);
	assert_false(exists(f->top, "models"));

	/* A file where the store should be is no store either. */
	snprintf(file, sizeof(file), "%s/file", f->top);
	put(file, "x\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_open(&s, file, 0, 1, &err), -1);
	assert_err(err, MM_EINPUT, file, "no model store here");

	/* create cannot make a directory inside a file. */
	snprintf(file, sizeof(file), "%s/file/models", f->top);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_open(&s, file, 1, 0, &err), -1);
	assert_err(err, MM_ESYS, file,
	    "cannot create directory: Not a directory");
	assert_int_equal(s.lockfd, -1);
}

/* flock(2) locks belong to an open file description: two opens conflict. */
static void
test_open_lock_busy(void **state)
{
	struct fix *f = *state;
	struct mm_store s1, s2;
	struct mm_err err = { 0 };

	open_store(&s1, f->dir);
	assert_int_equal(mm_store_open(&s2, f->dir, 0, 1, &err), 1);
	assert_int_equal(s2.lockfd, -1);
	assert_null(s2.dir);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(mm_store_open(&s2, f->dir, 1, 1, &err), 1);
	mm_store_close(&s1);

	/* Released by close: the second open now gets it. */
	assert_int_equal(mm_store_open(&s2, f->dir, 0, 1, &err), 0);
	assert_true(s2.lockfd >= 0);
	assert_int_equal(mm_store_open(&s1, f->dir, 0, 1, &err), 1);
	mm_store_close(&s2);
	assert_int_equal(mm_store_open(&s1, f->dir, 0, 0, &err), 0);
	mm_store_close(&s1);
}

static void
test_write_version_names(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	char v[MM_VERSION_MAX], names[512];

	open_store(&s, f->dir);
	version_f1(&s, T1, "0.5", v);
	assert_string_equal(v, V1);
	version_f1(&s, T1, "0.5", v);
	assert_string_equal(v, V1 "-2");
	/* Fractions of a second are cut, not rounded. */
	version_f1(&s, T1 + 0.999, "0.5", v);
	assert_string_equal(v, V1 "-3");
	version_f1(&s, T1 + 1, "0.5", v);
	assert_string_equal(v, "20251126T065321Z");
	version_f1(&s, 0, "0.5", v);
	assert_string_equal(v, "19700101T000000Z");
	mm_store_close(&s);
	ls(f->dir, "versions", names, sizeof(names));
	assert_string_equal(names, "19700101T000000Z " V1 " " V1 "-2 " V1
	    "-3 20251126T065321Z");
}

static void
test_write_version_files(void **state)
{
	struct fix *f = *state;
	static const char bin[] = "a\0b\n";
	struct mm_store_file files[3] = {
		{ "model.json", "{\"model\":[1,2,3]}\n", 18 },
		{ "reference.json", "", 0 },
		{ "card.json", bin, 4 },
	};
	struct mm_store s;
	struct mm_err err = { 0 };
	char v[MM_VERSION_MAX], names[512], path[512], *data;
	size_t len;

	open_store(&s, f->dir);
	assert_int_equal(mm_store_write_version(&s, T1, files, 3, v, sizeof(v),
	    &err), 0);
	assert_string_equal(v, V1);
	mm_store_close(&s);
	ls(f->dir, "versions", names, sizeof(names));
	assert_string_equal(names, V1);
	ls(f->dir, "versions/" V1, names, sizeof(names));
	assert_string_equal(names, "card.json model.json reference.json");
	assert_file(f->dir, "versions/" V1 "/model.json",
	    "{\"model\":[1,2,3]}\n");
	assert_file(f->dir, "versions/" V1 "/reference.json", "");

	/* Lengths count, not NUL bytes. */
	assert_int_equal(mm_store_read_file(f->dir, V1, "card.json", &data,
	    &len, &err), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, bin, 4);
	assert_int_equal(data[4], '\0');
	free(data);
	assert_int_equal(mm_store_read_file(f->dir, V1, "model.json", &data,
	    &len, &err), 0);
	assert_int_equal(len, 18);
	assert_string_equal(data, "{\"model\":[1,2,3]}\n");
	free(data);

	/* A store with no version yet has no file of one. */
	assert_int_equal(mm_store_read_file(f->dir, V2, "model.json", &data,
	    &len, &err), -1);
	snprintf(path, sizeof(path), "%s/versions/" V2 "/model.json", f->dir);
	assert_err(err, MM_EINPUT, path,
	    "no such file (is '" V2 "' a version?)");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_file(f->dir, ".tmp-x", "model.json",
	    &data, &len, &err), -1);
	assert_err(err, MM_EINPUT, "", "'.tmp-x' is not a version name");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_file(f->dir, "../x", "model.json",
	    &data, &len, &err), -1);
	assert_err(err, MM_EINPUT, "", "'../x' is not a version name");
}

static void
test_write_version_small_buffer(void **state)
{
	struct fix *f = *state;
	struct mm_store_file file = { "model.json", "{}", 2 };
	struct mm_store s;
	struct mm_err err = { 0 };
	char v[8] = "unset";

	open_store(&s, f->dir);
	assert_int_equal(mm_store_write_version(&s, T1, &file, 1, v, sizeof(v),
	    &err), -1);
	assert_err(err, MM_ESYS, "", "version name too long");
	assert_string_equal(v, "unset");
	mm_store_close(&s);
}

static void
test_list(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char v[MM_VERSION_MAX], names[512], path[512], **list;
	int n = -1;

	/* No store, or no versions/ yet: an empty list. */
	assert_int_equal(mm_store_list(f->dir, &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(list);
	mm_store_list_free(list, n);

	open_store(&s, f->dir);
	version_f1(&s, T3, "0.5", v);
	version_f1(&s, T1, "0.5", v);
	version_f1(&s, T2, "0.5", v);
	version_f1(&s, T1, "0.5", v);
	/* A writer's temporary directory and dot names are not versions. */
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V1 "-3-77", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/versions/.hidden", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	listed(f->dir, names, sizeof(names));
	assert_string_equal(names, V1 " " V1 "-2 " V2 " " V3);
	mm_store_close(&s);

	/* versions/ as a file cannot be listed. */
	snprintf(path, sizeof(path), "%s/other", f->top);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/other/versions", f->top);
	put(path, "x\n");
	snprintf(path, sizeof(path), "%s/other", f->top);
	list = NULL;
	assert_int_equal(mm_store_list(path, &list, &n, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.msg, "cannot list: Not a directory");
	assert_int_equal(n, 0);
	assert_null(list);
}

static void
test_sweep(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	char v[MM_VERSION_MAX], names[512], path[512];

	open_store(&s, f->dir);
	version_f1(&s, T1, "0.5", v);
	/* What writers killed before their rename leave behind. */
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V2 "-4242", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V2 "-4242/model.json",
	    f->dir);
	put(path, "{\"half\":");
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V2 "-4242/card.json",
	    f->dir);
	put(path, "{}");
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V3 "-1", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/versions/.keep", f->dir);
	put(path, "");
	ls(f->dir, "versions", names, sizeof(names));
	assert_string_equal(names, ".keep .tmp-" V2 "-4242 .tmp-" V3 "-1 " V1);
	listed(f->dir, names, sizeof(names));
	assert_string_equal(names, V1);

	/* A link planted under such a name goes, not what it points to. */
	snprintf(path, sizeof(path), "%s/keep", f->top);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/keep/file", f->top);
	put(path, "kept");
	snprintf(path, sizeof(path), "%s/versions/.tmp-" V3 "-2", f->dir);
	assert_int_equal(symlink("../../keep", path), 0);

	/* The next version written sweeps them; other dot names stay. */
	version_f1(&s, T2, "0.5", v);
	assert_string_equal(v, V2);
	mm_store_close(&s);
	ls(f->dir, "versions", names, sizeof(names));
	assert_string_equal(names, ".keep " V1 " " V2);
	ls(f->dir, "versions/" V2, names, sizeof(names));
	assert_string_equal(names, "card.json model.json reference.json");
	assert_file(f->dir, "versions/" V2 "/model.json", "{\"m\":1}\n");
	assert_file(f->top, "keep/file", "kept");
}

static void
test_activate(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_active a;
	struct mm_err err = { 0 };
	char va[MM_VERSION_MAX], vb[MM_VERSION_MAX], vc[MM_VERSION_MAX];
	char buf[512];

	open_store(&s, f->dir);
	version_f1(&s, T1, "0.5", va);
	version_f1(&s, T2, "0.75", vb);
	version_f1(&s, T3, "0.25", vc);
	assert_false(exists(f->dir, "active.json"));

	/* The first: no previous version. */
	assert_int_equal(mm_store_activate(&s, va, 0.5, T1, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.5},"
	    "\"promoted_at\":\"" AT1 "\"}\n");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_string_equal(a.version, V1);
	assert_string_equal(a.previous, "");
	assert_true(a.baseline_f1 == 0.5);
	assert_string_equal(a.promoted_at, AT1);

	/* The baseline is the caller's, not the card's. */
	assert_int_equal(mm_store_activate(&s, vb, 0.625, T2, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V2 "\","
	    "\"previous_version\":\"" V1 "\",\"metrics\":{\"baseline_f1\":"
	    "0.625},\"promoted_at\":\"" AT2 "\"}\n");

	/* The live version again: nothing changes, not even the time. */
	assert_int_equal(mm_store_activate(&s, vb, 0.1, T3, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V2 "\","
	    "\"previous_version\":\"" V1 "\",\"metrics\":{\"baseline_f1\":"
	    "0.625},\"promoted_at\":\"" AT2 "\"}\n");

	/* Previous is the version live just before, not older ones. */
	assert_int_equal(mm_store_activate(&s, vc, NAN, T3, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V3 "\","
	    "\"previous_version\":\"" V2 "\",\"metrics\":{\"baseline_f1\":"
	    "null},\"promoted_at\":\"" AT3 "\"}\n");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_string_equal(a.version, V3);
	assert_string_equal(a.previous, V2);
	assert_true(isnan(a.baseline_f1));

	/* Going back to an older version chains too. */
	assert_int_equal(mm_store_activate(&s, va, 0.5, T3 + 1, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":\"" V3 "\",\"metrics\":{\"baseline_f1\":"
	    "0.5},\"promoted_at\":\"2025-11-26T08:53:21Z\"}\n");

	/* Unknown versions and names that are not versions. */
	assert_int_equal(mm_store_activate(&s, "20990101T000000Z", 0.5, T3,
	    &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '20990101T000000Z'");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_activate(&s, ".tmp-x", 0.5, T3, &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '.tmp-x'");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_activate(&s, "", 0.5, T3, &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version ''");
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":\"" V3 "\",\"metrics\":{\"baseline_f1\":"
	    "0.5},\"promoted_at\":\"2025-11-26T08:53:21Z\"}\n");
	ls(f->dir, ".", buf, sizeof(buf));
	assert_string_equal(buf, ".lock active.json versions");
	mm_store_close(&s);
}

static void
test_read_active(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_active a;
	struct mm_err err = { 0 };
	char path[512], buf[512], v[MM_VERSION_MAX];
	static const char *const bad_version[] = {
		"{}",
		"{\"version\":5}",
		"{\"version\":null}",
		"{\"version\":\"\"}",
		"{\"version\":\".tmp-x\"}",
		"{\"version\":\"a/b\"}",
		"{\"version\":\"A\",\"previous_version\":3}",
		"{\"version\":\"A\",\"previous_version\":\"../x\"}",
		NULL
	};
	/* Found in review: a baseline of 2 was read, and mm-decide said
	   "line 1: baseline_f1 2 is out of range", exit 2, of its input. */
	static const struct {
		const char *text, *msg;
	} bad_field[] = {
		{ "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":2}}",
		  "corrupt: \"metrics.baseline_f1\" is 2, not an F1 in [0, 1] "
		  "or null" },
		{ "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":-0.5}}",
		  "corrupt: \"metrics.baseline_f1\" is -0.5, not an F1 in "
		  "[0, 1] or null" },
		{ "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":\"0.9\"}}",
		  "corrupt: \"metrics.baseline_f1\" is \"0.9\", not an F1 in "
		  "[0, 1] or null" },
		{ "{\"version\":\"A\",\"metrics\":[0.9]}",
		  "corrupt: \"metrics\" is [0.9], not an object" },
		{ "{\"version\":\"A\",\"promoted_at\":1764140000}",
		  "corrupt: \"promoted_at\" is 1764140000, not a time" },
		{ "{\"version\":\"C\"}",
		  "corrupt: \"version\" names 'C', which is not in versions/" },
		{ NULL, NULL }
	};
	int i;

	/* No store at all, then a store with no active version. */
	memset(&a, 0x55, sizeof(a));
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 1);
	assert_string_equal(a.version, "");
	assert_string_equal(a.previous, "");
	assert_true(isnan(a.baseline_f1));
	assert_int_equal(err.code, 0);
	open_store(&s, f->dir);
	mm_store_close(&s);
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 1);
	assert_int_equal(mm_store_active(f->dir, v, sizeof(v), &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no active model version");

	snprintf(path, sizeof(path), "%s/versions/A", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/versions/B", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/active.json", f->dir);
	put(path, "{\"version\":\"A\",\"previous_version\":null}");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_string_equal(a.version, "A");
	assert_string_equal(a.previous, "");
	assert_true(isnan(a.baseline_f1));
	assert_string_equal(a.promoted_at, "");
	put(path, "{\"version\":\"B\",\"previous_version\":\"A\",\"metrics\":"
	    "{\"baseline_f1\":0.875},\"promoted_at\":\"" AT2 "\","
	    "\"other\":[1]}");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_string_equal(a.version, "B");
	assert_string_equal(a.previous, "A");
	assert_true(a.baseline_f1 == 0.875);
	assert_string_equal(a.promoted_at, AT2);
	assert_int_equal(mm_store_active(f->dir, v, sizeof(v), &err), 0);
	assert_string_equal(v, "B");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_active(f->dir, v, 1, &err), -1);
	assert_err(err, MM_ESYS, "", "version name too long");
	assert_int_equal(mm_store_active_file(f->dir, "reference.json", buf,
	    sizeof(buf), &err), 0);
	snprintf(path, sizeof(path), "%s/versions/B/reference.json", f->dir);
	assert_string_equal(buf, path);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_active_file(f->dir, "reference.json", buf,
	    10, &err), -1);
	assert_err(err, MM_ESYS, "", "path too long");

	/* Corrupt files are storage errors that name the file. */
	snprintf(path, sizeof(path), "%s/active.json", f->dir);
	put(path, "");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), -1);
	assert_err(err, MM_ESYS, path,
	    "corrupt: '[' or '{' expected near end of file");
	put(path, "{\"version\":\"A\"");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), -1);
	assert_err(err, MM_ESYS, path,
	    "corrupt: '}' expected near end of file");
	put(path, "[\"A\"]");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: not a JSON object");
	for (i = 0; bad_version[i] != NULL; i++) {
		put(path, bad_version[i]);
		memset(&err, 0, sizeof(err));
		if (mm_store_read_active(f->dir, &a, &err) != -1)
			fail_msg("'%s' was read", bad_version[i]);
		assert_err(err, MM_ESYS, path,
		    "corrupt: no valid \"version\"");
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_active(f->dir, v, sizeof(v), &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: no valid \"version\"");
	for (i = 0; bad_field[i].text != NULL; i++) {
		put(path, bad_field[i].text);
		memset(&err, 0, sizeof(err));
		if (mm_store_read_active(f->dir, &a, &err) != -1)
			fail_msg("'%s' was read", bad_field[i].text);
		assert_err(err, MM_ESYS, path, bad_field[i].msg);
	}
	/* A null baseline is none; so is a null promoted_at. */
	put(path, "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":null},"
	    "\"promoted_at\":null}");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_true(isnan(a.baseline_f1));
	put(path, "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":0}}");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_true(a.baseline_f1 == 0);
	put(path, "{\"version\":\"A\",\"metrics\":{\"baseline_f1\":1}}");
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), 0);
	assert_true(a.baseline_f1 == 1);

	/* A directory in its place. */
	unlink(path);
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_active(f->dir, &a, &err), -1);
	assert_err(err, MM_ESYS, path, "cannot read: Is a directory");
}

static void
test_stage(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char va[MM_VERSION_MAX], vb[MM_VERSION_MAX], cand[MM_VERSION_MAX];
	char path[512], names[512];

	open_store(&s, f->dir);
	assert_int_equal(mm_store_read_candidate(f->dir, cand, sizeof(cand),
	    &err), 1);
	version_f1(&s, T1, "0.5", va);
	version_f1(&s, T2, "0.75", vb);
	assert_int_equal(mm_store_stage(&s, va, T2, &err), 0);
	assert_file(f->dir, "candidate.json", "{\"version\":\"" V1 "\","
	    "\"staged_at\":\"" AT2 "\"}\n");
	assert_int_equal(mm_store_read_candidate(f->dir, cand, sizeof(cand),
	    &err), 0);
	assert_string_equal(cand, V1);
	/* Staging replaces the candidate; staging is not activating. */
	assert_int_equal(mm_store_stage(&s, vb, T3, &err), 0);
	assert_file(f->dir, "candidate.json", "{\"version\":\"" V2 "\","
	    "\"staged_at\":\"" AT3 "\"}\n");
	assert_false(exists(f->dir, "active.json"));
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".lock candidate.json versions");

	assert_int_equal(mm_store_stage(&s, "20990101T000000Z", T3, &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '20990101T000000Z'");
	assert_file(f->dir, "candidate.json", "{\"version\":\"" V2 "\","
	    "\"staged_at\":\"" AT3 "\"}\n");
	mm_store_close(&s);

	/* A name longer than the caller's buffer, and corrupt files. */
	snprintf(path, sizeof(path), "%s/candidate.json", f->dir);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_candidate(f->dir, cand, 4, &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: no valid \"version\"");
	put(path, "{\"version\":\".x\"}");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_candidate(f->dir, cand, sizeof(cand),
	    &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: no valid \"version\"");
	put(path, "staged");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_candidate(f->dir, cand, sizeof(cand),
	    &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: '[' or '{' expected near "
	    "'staged'");
	put(path, "[]");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_read_candidate(f->dir, cand, sizeof(cand),
	    &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: not a JSON object");
}

static void
test_promote(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char va[MM_VERSION_MAX], vb[MM_VERSION_MAX], vc[MM_VERSION_MAX];
	char v[MM_VERSION_MAX] = "unset", path[512], names[512];

	open_store(&s, f->dir);
	/* Nothing staged: 1, nothing written. */
	assert_int_equal(mm_store_promote(&s, T1, v, sizeof(v), &err), 1);
	assert_string_equal(v, "unset");
	assert_int_equal(err.code, 0);
	assert_false(exists(f->dir, "active.json"));

	/* Into an empty store: live, with no previous version. */
	version_f1(&s, T1, "0.5", va);
	assert_int_equal(mm_store_stage(&s, va, T1, &err), 0);
	assert_int_equal(mm_store_promote(&s, T1, v, sizeof(v), &err), 0);
	assert_string_equal(v, V1);
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.5},"
	    "\"promoted_at\":\"" AT1 "\"}\n");
	assert_false(exists(f->dir, "candidate.json"));

	/* The baseline is the candidate's card F1. */
	version_f1(&s, T2, "0.8125", vb);
	assert_int_equal(mm_store_stage(&s, vb, T2, &err), 0);
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), 0);
	assert_string_equal(v, V2);
	assert_file(f->dir, "active.json", "{\"version\":\"" V2 "\","
	    "\"previous_version\":\"" V1 "\",\"metrics\":{\"baseline_f1\":"
	    "0.8125},\"promoted_at\":\"" AT3 "\"}\n");
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".lock active.json versions");
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), 1);

	/* A card whose F1 is no F1 is corrupt: said of the card. */
	version_f1(&s, T3, "\"n/a\"", vc);
	assert_int_equal(mm_store_stage(&s, vc, T3, &err), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), -1);
	snprintf(path, sizeof(path), "%s/versions/%s/card.json", f->dir, vc);
	assert_err(err, MM_ESYS, path, "corrupt: \"metrics.f1\" is \"n/a\", "
	    "not an F1 in [0, 1] or null");
	put(path, "{\"metrics\":{\"f1\":1.5}}\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: \"metrics.f1\" is 1.5, not "
	    "an F1 in [0, 1] or null");
	assert_file(f->dir, "active.json", "{\"version\":\"" V2 "\","
	    "\"previous_version\":\"" V1 "\",\"metrics\":{\"baseline_f1\":"
	    "0.8125},\"promoted_at\":\"" AT3 "\"}\n");

	/* A card with a null F1 gives no baseline. */
	put(path, "{\"metrics\":{\"f1\":null}}\n");
	assert_int_equal(mm_store_stage(&s, vc, T3, &err), 0);
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V3 "\","
	    "\"previous_version\":\"" V2 "\",\"metrics\":{\"baseline_f1\":"
	    "null},\"promoted_at\":\"" AT3 "\"}\n");

	/* A candidate that names no version: candidate.json is corrupt
	   (staging checks), still staged. */
	snprintf(path, sizeof(path), "%s/candidate.json", f->dir);
	put(path, "{\"version\":\"20990101T000000Z\"}\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_promote(&s, T3, v, sizeof(v), &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: \"version\" names "
	    "'20990101T000000Z', which is not in versions/");
	assert_true(exists(f->dir, "candidate.json"));
	assert_file(f->dir, "active.json", "{\"version\":\"" V3 "\","
	    "\"previous_version\":\"" V2 "\",\"metrics\":{\"baseline_f1\":"
	    "null},\"promoted_at\":\"" AT3 "\"}\n");
	mm_store_close(&s);
}

static void
test_rollback(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char va[MM_VERSION_MAX], vb[MM_VERSION_MAX], vc[MM_VERSION_MAX];
	char v[MM_VERSION_MAX] = "unset", path[512];

	open_store(&s, f->dir);
	assert_int_equal(mm_store_rollback(&s, NULL, T1, v, sizeof(v), &err),
	    -1);
	assert_err(err, MM_EINPUT, f->dir, "no active version to roll back");

	version_f1(&s, T1, "0.5", va);
	version_f1(&s, T2, "0.75", vb);
	version_f1(&s, T3, "0.25", vc);
	assert_int_equal(mm_store_activate(&s, va, 0.5, T1, &err), 0);
	/* Nothing before the first version. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, NULL, T2, v, sizeof(v), &err),
	    1);
	assert_string_equal(v, "unset");
	assert_int_equal(err.code, 0);

	/* To the previous version, with its card's F1 as baseline. */
	assert_int_equal(mm_store_activate(&s, vb, 0.7, T2, &err), 0);
	assert_int_equal(mm_store_rollback(&s, NULL, T3, v, sizeof(v), &err),
	    0);
	assert_string_equal(v, V1);
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.5},"
	    "\"promoted_at\":\"" AT3 "\",\"rolled_back_from\":\"" V2 "\"}\n");
	/* No flapping: a second rollback has nowhere to go. */
	assert_int_equal(mm_store_rollback(&s, NULL, T3, v, sizeof(v), &err),
	    1);

	/* To a named version, older or newer. */
	assert_int_equal(mm_store_rollback(&s, vc, T3 + 1, v, sizeof(v), &err),
	    0);
	assert_string_equal(v, V3);
	assert_file(f->dir, "active.json", "{\"version\":\"" V3 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.25},"
	    "\"promoted_at\":\"2025-11-26T08:53:21Z\",\"rolled_back_from\":\""
	    V1 "\"}\n");

	/* Not to the live version, nor to one that does not exist. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, V3, T3, v, sizeof(v), &err), -1);
	assert_err(err, MM_EINPUT, "", "'" V3 "' is the active version");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, "20990101T000000Z", T3, v,
	    sizeof(v), &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '20990101T000000Z'");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, "../" V1, T3, v, sizeof(v),
	    &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '../" V1 "'");
	assert_file(f->dir, "active.json", "{\"version\":\"" V3 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.25},"
	    "\"promoted_at\":\"2025-11-26T08:53:21Z\",\"rolled_back_from\":\""
	    V1 "\"}\n");

	/* After a rollback, activation chains from the version rolled to. */
	assert_int_equal(mm_store_activate(&s, vb, 0.75, T3 + 2, &err), 0);
	assert_file(f->dir, "active.json", "{\"version\":\"" V2 "\","
	    "\"previous_version\":\"" V3 "\",\"metrics\":{\"baseline_f1\":"
	    "0.75},\"promoted_at\":\"2025-11-26T08:53:22Z\"}\n");

	/* A previous version that is not there: active.json is wrong, not
	   the caller, who named none. */
	snprintf(path, sizeof(path), "%s/active.json", f->dir);
	put(path, "{\"version\":\"" V2 "\",\"previous_version\":"
	    "\"20990101T000000Z\"}\n");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, NULL, T3, v, sizeof(v), &err),
	    -1);
	assert_err(err, MM_ESYS, path, "corrupt: \"previous_version\" names "
	    "'20990101T000000Z', which is not in versions/");
	/* A version there without its model is a broken one. */
	snprintf(path, sizeof(path), "%s/versions/" V1 "/model.json", f->dir);
	assert_int_equal(unlink(path), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_rollback(&s, V1, T3, v, sizeof(v), &err), -1);
	assert_err(err, MM_ESYS, path, "cannot open: No such file or "
	    "directory");
	mm_store_close(&s);
}

/* The mode of dir/rel, or -1. */
static int
mode_of(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
test_file_mode(void **state)
{
	static const char *const bad[] = {
		"0644x", "8", "-0600", " 0600", "0400", "0200", "01600",
		"07777", "00000600", "rw-------", NULL
	};
	struct mm_err err = { 0 };
	mode_t fm, dm;
	int i;

	(void)state;
	unsetenv("MM_FILE_MODE");
	assert_int_equal(mm_file_mode(&fm, &dm, &err), 0);
	assert_int_equal(fm, 0600);
	assert_int_equal(dm, 0700);
	setenv("MM_FILE_MODE", "", 1);
	assert_int_equal(mm_file_mode(&fm, &dm, &err), 0);
	assert_int_equal(fm, 0600);
	/* Directories get x where the mode has r. */
	setenv("MM_FILE_MODE", "0640", 1);
	assert_int_equal(mm_file_mode(&fm, &dm, &err), 0);
	assert_int_equal(fm, 0640);
	assert_int_equal(dm, 0750);
	setenv("MM_FILE_MODE", "664", 1);
	assert_int_equal(mm_file_mode(&fm, &dm, &err), 0);
	assert_int_equal(fm, 0664);
	assert_int_equal(dm, 0775);
	setenv("MM_FILE_MODE", "0622", 1);
	assert_int_equal(mm_file_mode(&fm, &dm, &err), 0);
	assert_int_equal(dm, 0722);
	setenv("MM_FILE_MODE", "0777", 1);
	assert_int_equal(mm_file_mode(NULL, &dm, &err), 0);
	assert_int_equal(dm, 0777);
	for (i = 0; bad[i] != NULL; i++) {
		char want[256];

		setenv("MM_FILE_MODE", bad[i], 1);
		memset(&err, 0, sizeof(err));
		if (mm_file_mode(&fm, &dm, &err) != -1)
			fail_msg("MM_FILE_MODE=%s was taken", bad[i]);
		snprintf(want, sizeof(want), "MM_FILE_MODE: '%s' is not a mode "
		    "such as 0600 or 0640 (octal, letting the owner read and "
		    "write)", bad[i]);
		assert_err(err, MM_EINPUT, "", want);
	}
	unsetenv("MM_FILE_MODE");
}

static void
test_modes(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char v[MM_VERSION_MAX];
	mode_t old = umask(022);

	/* Stored evidence is no one else's to read: 0600 and 0700. */
	unsetenv("MM_FILE_MODE");
	open_store(&s, f->dir);
	version_f1(&s, T1, "0.5", v);
	assert_int_equal(mm_store_activate(&s, v, 0.5, T1, &err), 0);
	assert_int_equal(mm_store_stage(&s, v, T1, &err), 0);
	mm_store_close(&s);
	assert_int_equal(mode_of(f->top, "models"), 0700);
	assert_int_equal(mode_of(f->dir, "versions"), 0700);
	assert_int_equal(mode_of(f->dir, "versions/" V1), 0700);
	assert_int_equal(mode_of(f->dir, "versions/" V1 "/model.json"), 0600);
	assert_int_equal(mode_of(f->dir, "versions/" V1 "/card.json"), 0600);
	assert_int_equal(mode_of(f->dir, ".lock"), 0600);
	assert_int_equal(mode_of(f->dir, "active.json"), 0600);
	assert_int_equal(mode_of(f->dir, "candidate.json"), 0600);

	/* MM_FILE_MODE, less the umask; files there keep their mode. */
	setenv("MM_FILE_MODE", "0664", 1);
	open_store(&s, f->dir);
	version_f1(&s, T2, "0.5", v);
	assert_int_equal(mm_store_activate(&s, v, 0.5, T2, &err), 0);
	mm_store_close(&s);
	assert_int_equal(mode_of(f->dir, "versions/" V2), 0755);
	assert_int_equal(mode_of(f->dir, "versions/" V2 "/model.json"), 0644);
	assert_int_equal(mode_of(f->dir, "active.json"), 0644);
	assert_int_equal(mode_of(f->dir, ".lock"), 0600);
	assert_int_equal(mode_of(f->top, "models"), 0700);

	/* A bad one stops a writer before it changes anything. */
	setenv("MM_FILE_MODE", "0444", 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_open(&s, f->dir, 1, 0, &err), -1);
	assert_int_equal(err.code, MM_EINPUT);
	unsetenv("MM_FILE_MODE");
	umask(old);
}

static void
test_replace_file(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char v[MM_VERSION_MAX], names[512], path[512], target[512], link[512];
	struct stat st;

	open_store(&s, f->dir);
	version_f1(&s, T1, "0.5", v);

	/*
	 * Found in review: a link planted at active.json.tmp made an
	 * activation write through it, and left active.json a link.  The
	 * temporary name is new each time, and made with O_EXCL.
	 */
	snprintf(target, sizeof(target), "%s/target", f->top);
	put(target, "mine\n");
	snprintf(link, sizeof(link), "%s/active.json.tmp", f->dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(link, sizeof(link), "%s/candidate.json.tmp", f->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mm_store_activate(&s, v, 0.5, T1, &err), 0);
	assert_int_equal(mm_store_stage(&s, v, T1, &err), 0);
	assert_file(f->top, "target", "mine\n");
	snprintf(path, sizeof(path), "%s/active.json", f->dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(mode_of(f->dir, "active.json"), 0600);
	assert_file(f->dir, "active.json", "{\"version\":\"" V1 "\","
	    "\"previous_version\":null,\"metrics\":{\"baseline_f1\":0.5},"
	    "\"promoted_at\":\"" AT1 "\"}\n");
	assert_file(f->dir, "candidate.json", "{\"version\":\"" V1 "\","
	    "\"staged_at\":\"" AT1 "\"}\n");
	mm_store_close(&s);

	/* The next writer sweeps what crashed writers left, links too
	   (never what they point to); other names stay. */
	snprintf(link, sizeof(link), "%s/.active.json.Ab3xYz", f->dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(path, sizeof(path), "%s/.candidate.json.000000", f->dir);
	put(path, "{\"half");
	snprintf(path, sizeof(path), "%s/.active.json.toolong", f->dir);
	put(path, "");
	snprintf(path, sizeof(path), "%s/active.json.bak", f->dir);
	put(path, "");
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".active.json.Ab3xYz "
	    ".active.json.toolong .candidate.json.000000 .lock "
	    "active.json active.json.bak active.json.tmp candidate.json "
	    "candidate.json.tmp versions");
	open_store(&s, f->dir);
	mm_store_close(&s);
	ls(f->dir, ".", names, sizeof(names));
	assert_string_equal(names, ".active.json.toolong .lock active.json "
	    "active.json.bak candidate.json versions");
	assert_file(f->top, "target", "mine\n");

	/* Any file: errors name it, and leave nothing behind. */
	snprintf(path, sizeof(path), "%s/page.html", f->top);
	assert_int_equal(mm_replace_file(path, "<p>\n", 4, NULL, &err), 0);
	assert_file(f->top, "page.html", "<p>\n");
	snprintf(path, sizeof(path), "%s/no/page.html", f->top);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_replace_file(path, "<p>\n", 4, NULL, &err), -1);
	assert_err(err, MM_ESYS, path, "cannot create: No such file or "
	    "directory");
	/* A directory in the way: the rename fails, the file goes. */
	snprintf(path, sizeof(path), "%s/dir", f->top);
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_replace_file(path, "x", 1, NULL, &err), -1);
	assert_err(err, MM_ESYS, path, "cannot rename into place: Is a "
	    "directory");
	ls(f->top, ".", names, sizeof(names));
	assert_string_equal(names, "dir models page.html target");
}

static void
test_card_f1(void **state)
{
	struct fix *f = *state;
	struct mm_store s;
	struct mm_err err = { 0 };
	char va[MM_VERSION_MAX], vb[MM_VERSION_MAX], path[512];
	double f1 = 0;

	open_store(&s, f->dir);
	version_f1(&s, T1, "0.9375", va);
	version_f1(&s, T2, "null", vb);
	mm_store_close(&s);
	assert_int_equal(mm_store_card_f1(f->dir, va, &f1, &err), 0);
	assert_true(f1 == 0.9375);
	assert_int_equal(mm_store_card_f1(f->dir, vb, &f1, &err), 0);
	assert_true(isnan(f1));
	assert_int_equal(mm_store_card_f1(f->dir, V3, &f1, &err), -1);
	assert_err(err, MM_EINPUT, f->dir, "no version '" V3 "'");

	/* A card that is there but wrong, or not there in a version that
	   is, is a broken store, and the error names the card. */
	snprintf(path, sizeof(path), "%s/versions/%s/card.json", f->dir, va);
	put(path, "{\"metrics\":{\"f1\":2}}");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_card_f1(f->dir, va, &f1, &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: \"metrics.f1\" is 2, not an "
	    "F1 in [0, 1] or null");
	put(path, "{\"metrics\":0.5}");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_card_f1(f->dir, va, &f1, &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: \"metrics\" is 0.5, not an "
	    "object");
	put(path, "{\"metrics\":");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_card_f1(f->dir, va, &f1, &err), -1);
	assert_err(err, MM_ESYS, path, "corrupt: unexpected token near end "
	    "of file");
	unlink(path);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_store_card_f1(f->dir, va, &f1, &err), -1);
	assert_err(err, MM_ESYS, path, "cannot open: No such file or "
	    "directory");
}

static void
test_iso_time(void **state)
{
	char buf[32];

	(void)state;
	mm_iso_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	mm_iso_time(T1, buf, sizeof(buf));
	assert_string_equal(buf, AT1);
	mm_iso_time(T1 + 0.999, buf, sizeof(buf));
	assert_string_equal(buf, AT1);
	mm_iso_time(951782400, buf, sizeof(buf));
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	mm_iso_time(4102444799.5, buf, sizeof(buf));
	assert_string_equal(buf, "2099-12-31T23:59:59Z");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models_dir),
		T(test_open_create),
		T(test_open_missing),
		T(test_open_lock_busy),
		T(test_write_version_names),
		T(test_write_version_files),
		T(test_write_version_small_buffer),
		T(test_list),
		T(test_sweep),
		T(test_activate),
		T(test_read_active),
		T(test_stage),
		T(test_promote),
		T(test_rollback),
		T(test_card_f1),
		cmocka_unit_test(test_file_mode),
		T(test_modes),
		T(test_replace_file),
		cmocka_unit_test(test_iso_time),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
