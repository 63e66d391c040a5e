#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "json_write.h"
#include "rows.h"
#include "schema.h"
#include "store.h"

const char *const mm_kind_names[2] = { "numeric", "categorical" };

void
mm_schema_init(struct mm_schema *s)
{
	memset(s, 0, sizeof(*s));
	s->positive = -1;
}

void
mm_schema_release(struct mm_schema *s)
{
	int i, j;

	for (i = 0; i < s->nfeat; i++) {
		free(s->f[i].name);
		for (j = 0; j < s->f[i].ncats; j++)
			free(s->f[i].cats[j]);
		free(s->f[i].cats);
		mm_strtab_release(&s->f[i].index);
	}
	free(s->f);
	for (i = 0; i < s->nclass; i++)
		free(s->classes[i]);
	free(s->classes);
	mm_schema_init(s);
}

void
mm_schema_default(struct mm_schema *s, const char *const *names, int nfeat,
    int nclass)
{
	char buf[16];
	int i;

	mm_schema_init(s);
	for (i = 0; i < nfeat; i++)
		mm_schema_add(s, names[i], MM_KIND_NUMERIC);
	for (i = 0; i < nclass; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		mm_schema_add_class(s, buf, strlen(buf));
	}
	s->positive = nclass == 2 ? 1 : -1;
}

struct mm_schema_feat *
mm_schema_add(struct mm_schema *s, const char *name, int kind)
{
	struct mm_schema_feat *f;

	s->f = mm_xrealloc(s->f, (size_t)(s->nfeat + 1) * sizeof(*s->f));
	f = &s->f[s->nfeat++];
	memset(f, 0, sizeof(*f));
	f->name = mm_xstrdup(name);
	f->kind = kind;
	return f;
}

int
mm_schema_add_cat(struct mm_schema_feat *f, const char *cat, size_t n)
{
	f->cats = mm_xrealloc(f->cats, (size_t)(f->ncats + 1) *
	    sizeof(char *));
	f->cats[f->ncats] = mm_xstrndup(cat, n);
	mm_strtab_intern(&f->index, cat, n);
	return f->ncats++;
}

/* An integer label from 0 to MM_LABEL_MAX written as digits only. */
static int
int_label(const char *s, size_t n)
{
	int v;

	return mm_label_parse(s, n, &v) == 0;
}

int
mm_schema_add_class(struct mm_schema *s, const char *label, size_t n)
{
	s->classes = mm_xrealloc(s->classes, (size_t)(s->nclass + 1) *
	    sizeof(char *));
	s->classes[s->nclass] = mm_xstrndup(label, n);
	if (s->nclass == 0)
		s->int_classes = 1;
	s->int_classes &= int_label(label, n);
	return s->nclass++;
}

int
mm_schema_find(const struct mm_schema *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfeat; i++)
		if (strcmp(s->f[i].name, name) == 0)
			return i;
	return -1;
}

static int
find_str(char *const *v, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strncmp(v[i], s, len) == 0 && v[i][len] == '\0')
			return i;
	return -1;
}

int
mm_schema_cat(const struct mm_schema_feat *f, const char *cat, size_t n)
{
	return mm_strtab_find(&f->index, cat, n);
}

int
mm_schema_plain(const struct mm_schema *s)
{
	char buf[16];
	int k;

	for (k = 0; k < s->nclass; k++) {
		snprintf(buf, sizeof(buf), "%d", k);
		if (strcmp(s->classes[k], buf) != 0)
			return 0;
	}
	return 1;
}

int
mm_schema_class(const struct mm_schema *s, const char *label, size_t n)
{
	return find_str(s->classes, s->nclass, label, n);
}

void
mm_schema_label_json(const struct mm_schema *s, int k, struct mm_buf *b)
{
	if (s->int_classes)
		mm_buf_puts(b, s->classes[k]);
	else
		mm_jw_str(b, s->classes[k]);
}

void
mm_schema_json(const struct mm_schema *s, struct mm_buf *b)
{
	const struct mm_schema_feat *f;
	int i, j;

	mm_buf_puts(b, "{\"features\":[");
	for (i = 0; i < s->nfeat; i++) {
		f = &s->f[i];
		mm_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		mm_jw_str(b, f->name);
		mm_buf_printf(b, ",\"kind\":\"%s\"", mm_kind_names[f->kind]);
		if (f->kind == MM_KIND_CATEGORICAL) {
			mm_buf_puts(b, ",\"categories\":[");
			for (j = 0; j < f->ncats; j++) {
				if (j > 0)
					mm_buf_putc(b, ',');
				mm_jw_str(b, f->cats[j]);
			}
			mm_buf_putc(b, ']');
		}
		mm_buf_putc(b, '}');
	}
	mm_buf_puts(b, "],\"classes\":[");
	for (i = 0; i < s->nclass; i++) {
		if (i > 0)
			mm_buf_putc(b, ',');
		mm_schema_label_json(s, i, b);
	}
	mm_buf_putc(b, ']');
	if (s->positive >= 0) {
		mm_buf_puts(b, ",\"positive\":");
		mm_schema_label_json(s, s->positive, b);
	}
	mm_buf_putc(b, '}');
}

static int
bad(struct mm_err *err, const char *what)
{
	return mm_errf(err, MM_EINPUT, 0, "not a schema: %s", what);
}

/*
 * A label as JSON, an integer from 0 to MM_LABEL_MAX or a string, into
 * its text.  0, or -1.
 */
static int
label_text(json_t *v, char *buf, size_t size, const char **s, size_t *n)
{
	json_int_t k;

	if (json_is_string(v)) {
		*s = json_string_value(v);
		*n = json_string_length(v);
		return *n > 0 && memchr(*s, '\0', *n) == NULL ? 0 : -1;
	}
	if (!json_is_integer(v))
		return -1;
	k = json_integer_value(v);
	if (k < 0 || k > MM_LABEL_MAX)
		return -1;
	snprintf(buf, size, "%d", (int)k);
	*s = buf;
	*n = strlen(buf);
	return 0;
}

static int
parse_feature(struct mm_schema *s, json_t *v, struct mm_err *err)
{
	json_t *name, *kind, *cats, *c;
	struct mm_schema_feat *f;
	size_t i;
	int k;

	name = json_object_get(v, "name");
	kind = json_object_get(v, "kind");
	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    strlen(json_string_value(name)) != json_string_length(name))
		return bad(err, "a feature has no name");
	if (mm_schema_find(s, json_string_value(name)) >= 0)
		return mm_errf(err, MM_EINPUT, 0, "not a schema: feature "
		    "'%s' appears twice", json_string_value(name));
	for (k = 0; k < 2; k++)
		if (json_is_string(kind) && strcmp(json_string_value(kind),
		    mm_kind_names[k]) == 0)
			break;
	if (k == 2)
		return mm_errf(err, MM_EINPUT, 0, "not a schema: feature '%s': "
		    "kind is not \"numeric\" or \"categorical\"",
		    json_string_value(name));
	f = mm_schema_add(s, json_string_value(name), k);
	cats = json_object_get(v, "categories");
	if (k == MM_KIND_NUMERIC)
		return 0;
	if (cats != NULL && !json_is_array(cats))
		return mm_errf(err, MM_EINPUT, 0, "not a schema: feature '%s': "
		    "categories is not an array", f->name);
	json_array_foreach(cats, i, c) {
		if (!json_is_string(c) || mm_schema_cat(f,
		    json_string_value(c), json_string_length(c)) >= 0)
			return mm_errf(err, MM_EINPUT, 0, "not a schema: "
			    "feature '%s': categories must be distinct "
			    "strings", f->name);
		mm_schema_add_cat(f, json_string_value(c),
		    json_string_length(c));
	}
	return 0;
}

static int
parse_object(struct mm_schema *s, json_t *root, struct mm_err *err)
{
	json_t *feats, *classes, *pos, *v;
	char buf[16];
	const char *t;
	size_t i, n;

	feats = json_object_get(root, "features");
	classes = json_object_get(root, "classes");
	if (!json_is_array(feats) || json_array_size(feats) == 0)
		return bad(err, "no \"features\" array");
	json_array_foreach(feats, i, v) {
		if (!json_is_object(v))
			return bad(err, "a feature is not an object");
		if (parse_feature(s, v, err) < 0)
			return -1;
	}
	if (classes != NULL && !json_is_array(classes))
		return bad(err, "\"classes\" is not an array");
	json_array_foreach(classes, i, v) {
		if (label_text(v, buf, sizeof(buf), &t, &n) < 0)
			return bad(err, "a class is not an integer from 0 to "
			    "999 or a string");
		if (mm_schema_class(s, t, n) >= 0)
			return mm_errf(err, MM_EINPUT, 0, "not a schema: class "
			    "'%.*s' appears twice", (int)n, t);
		mm_schema_add_class(s, t, n);
	}
	if (s->nclass == 1 || s->nclass > MM_LABEL_MAX + 1)
		return bad(err, "a model has 2 to 1000 classes");
	pos = json_object_get(root, "positive");
	if (pos != NULL && !json_is_null(pos)) {
		if (label_text(pos, buf, sizeof(buf), &t, &n) < 0 ||
		    mm_schema_class(s, t, n) < 0)
			return bad(err, "\"positive\" is not one of the "
			    "classes");
		if (s->nclass != 2 || mm_schema_class(s, t, n) != 1)
			return bad(err, "\"positive\" is the second of two "
			    "classes");
	}
	s->positive = s->nclass == 2 ? 1 : -1;
	return 0;
}

int
mm_schema_parse(struct mm_schema *s, const char *text, size_t len,
    struct mm_err *err)
{
	json_error_t jerr;
	json_t *root, *inner;
	int rc;

	mm_schema_init(s);
	if ((root = json_loadb(text, len, 0, &jerr)) == NULL)
		return mm_errf(err, MM_EINPUT, jerr.line, "invalid JSON: %s",
		    jerr.text);
	inner = json_object_get(root, "schema");
	if (json_is_object(inner))
		rc = parse_object(s, inner, err);
	else if (json_object_get(root, "trees") != NULL)
		rc = bad(err, "a model.json without one (written before mm "
		    "kept schemas: train it again, or give a schema file)");
	else if (json_is_object(root))
		rc = parse_object(s, root, err);
	else
		rc = bad(err, "not a JSON object");
	json_decref(root);
	if (rc < 0)
		mm_schema_release(s);
	return rc;
}

int
mm_schema_load(struct mm_schema *s, const char *path, struct mm_err *err)
{
	char file[MM_PATHMAX], version[MM_VERSION_MAX];
	struct stat st;
	char *text = NULL;
	size_t len;
	int rc;

	mm_schema_init(s);
	if (stat(path, &st) < 0)
		return mm_fs_syserr(err, path, "cannot read");
	if (!S_ISDIR(st.st_mode))
		mm_fs_pathf(file, "%s", path);
	else {
		mm_fs_pathf(file, "%s/active.json", path);
		if (stat(file, &st) == 0) {
			if (mm_store_active(path, version, sizeof(version),
			    err) < 0)
				return -1;
			mm_fs_pathf(file, "%s/versions/%s/model.json", path,
			    version);
		} else
			mm_fs_pathf(file, "%s/model.json", path);
	}
	if ((rc = mm_fs_slurp(file, &text, &len, err)) != 0) {
		if (rc > 0) {
			mm_errf(err, MM_EINPUT, 0, "no model.json or "
			    "active.json here");
			mm_err_where(err, path);
		}
		return -1;
	}
	rc = mm_schema_parse(s, text, len, err);
	if (rc < 0)
		mm_err_where(err, file);
	free(text);
	return rc;
}
