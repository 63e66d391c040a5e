/*
 * schema.h - what a model's rows are: the kind of each feature, the
 * categories a categorical feature had at fit time, the class labels
 * and the positive class.  mm-train writes it into model.json (its
 * "schema" object); mm-batch, mm-predict and mm-train --validate read
 * it so that the kind of a feature comes from the model, never from
 * one batch's values.
 *
 *   {"features":[{"name":"mean_radius","kind":"numeric"},
 *                {"name":"region","kind":"categorical",
 *                 "categories":["north","east","south"]}],
 *    "classes":[0,1],"positive":0}
 *
 * categories are in the order of their codes in the trees (code i is
 * categories[i]); a value not among them is taken as missing.  classes
 * are integers (0 to 999) or strings, in the model's class order: class
 * k is classes[k], and confusion matrices are in this order.  positive
 * names the class binary F1 is of; with two classes it is always the
 * second (mm-train --positive puts it there), so that F1 from confusion
 * counts is of class 1 whatever the labels are.  Absent otherwise.
 */
#ifndef MM_SCHEMA_H
#define MM_SCHEMA_H

#include <stddef.h>

#include "json.h"
#include "mm.h"
#include "strtab.h"

enum mm_kind { MM_KIND_NUMERIC, MM_KIND_CATEGORICAL };
extern const char *const mm_kind_names[2];	/* "numeric", ... */

struct mm_schema_feat {
	char *name;		/* owned, decoded */
	int kind;		/* enum mm_kind */
	int ncats;
	char **cats;		/* owned, categorical: categories by code */
	struct mm_strtab index;	/* the same, string k is code k */
};

struct mm_schema {
	int nfeat;
	struct mm_schema_feat *f;	/* owned */
	int nclass;
	char **classes;		/* owned, class k's label as text ("1") */
	int int_classes;	/* every label an integer: written as numbers */
	int positive;		/* 1 with two classes, else -1 */
};

void mm_schema_init(struct mm_schema *s);
void mm_schema_release(struct mm_schema *s);

/*
 * The schema of a model without one (mm-forest/1): nfeat numeric
 * features with names, classes 0 to nclass - 1.
 */
void mm_schema_default(struct mm_schema *s, const char *const *names,
    int nfeat, int nclass);

/* Add a feature (name copied); returns it, for the caller to fill. */
struct mm_schema_feat *mm_schema_add(struct mm_schema *s, const char *name,
    int kind);

/* Add a category to a categorical feature (copied); returns its code. */
int mm_schema_add_cat(struct mm_schema_feat *f, const char *cat, size_t n);

/* Add a class label (text, copied); returns its index. */
int mm_schema_add_class(struct mm_schema *s, const char *label, size_t n);

/* Index of the feature named name, or -1. */
int mm_schema_find(const struct mm_schema *s, const char *name);

/* Code of category cat[0..n) of f, or -1 (unseen: taken as missing). */
int mm_schema_cat(const struct mm_schema_feat *f, const char *cat,
    size_t n);

/* 1 if the classes are the integers 0 to nclass - 1, in that order. */
int mm_schema_plain(const struct mm_schema *s);

/*
 * Class index of the label label[0..n), its text ("1" for the integer
 * 1, as for the string "1"), or -1 if it is not one of the classes.
 */
int mm_schema_class(const struct mm_schema *s, const char *label, size_t n);

/* Class k's label as JSON (a number, or a string), appended to b. */
void mm_schema_label_json(const struct mm_schema *s, int k, struct mm_buf *b);

/* The "schema" object as JSON, appended to b. */
void mm_schema_json(const struct mm_schema *s, struct mm_buf *b);

/*
 * Read a schema from text: a model.json (its "schema" object) or a
 * schema object alone.  0, or -1 with err (MM_EINPUT) saying what.
 */
int mm_schema_parse(struct mm_schema *s, const char *text, size_t len,
    struct mm_err *err);

/*
 * Read the schema at path: a model.json or schema file, a version
 * directory (its model.json), or a model store (its live version's).
 * 0, or -1 with err (MM_EINPUT for what the file says, MM_ESYS for a
 * file that cannot be read), err->where naming the file.
 */
int mm_schema_load(struct mm_schema *s, const char *path, struct mm_err *err);

#endif
