/*
 * fuzz_write - the pass-through writer, mm_rec_write() and
 * mm_rec_write_kv() of lib/json.h, on each record the input's first
 * line parses to.
 *
 * Checked: with nothing dropped or set, the record comes out byte for
 * byte; otherwise the output parses again as a record, holds every
 * field of the input but those dropped, in order and byte for byte, and
 * each key set exactly once with its new value: in place of the key's
 * last field, or appended last.
 */
#include "fuzz.h"

#include "json.h"
#include "mm.h"

#define MAXKV 8

struct expect {
	struct mm_span key, val;
};

static int
in_list(const struct mm_span *key, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (mm_span_eq(key, list[i]))
			return i;
	return -1;
}

/* A field's raw key as a C string, or NULL if it holds a NUL. */
static char *
key_str(const struct mm_field *f)
{
	/* The writer takes keys as text: one with an escape is not it. */
	if (memchr(f->key.p, '\0', f->key.n) != NULL ||
	    memchr(f->key.p, '\\', f->key.n) != NULL)
		return NULL;
	return mm_xstrndup(f->key.p, f->key.n);
}

static void
write_and_check(const struct mm_rec *r, const char *const *drop, int ndrop,
    const struct mm_kv *kv, int nkv)
{
	const char *kvkeys[MAXKV], *dl[MAXKV + 1];
	struct expect e[256 + MAXKV];
	struct mm_rec out;
	struct mm_err err = { 0 };
	char *text = NULL;
	size_t tlen = 0;
	FILE *fp;
	int i, k, ne = 0, last;

	for (k = 0; k < nkv; k++)
		kvkeys[k] = kv[k].key;
	for (i = 0; i < r->n; i++) {
		k = in_list(&r->f[i].key, kvkeys, nkv);
		if (k >= 0) {
			for (last = r->n - 1; last > i; last--)
				if (mm_span_eq(&r->f[last].key, kv[k].key))
					break;
			if (last != i)
				continue;
			e[ne].key = r->f[i].key;
			e[ne].val.p = kv[k].val;
			e[ne].val.n = kv[k].vlen;
			ne++;
		} else if (in_list(&r->f[i].key, drop, ndrop) < 0) {
			e[ne++] = (struct expect){ r->f[i].key, r->f[i].val };
		}
	}
	for (k = 0; k < nkv; k++) {
		for (i = 0; i < r->n; i++)
			if (mm_span_eq(&r->f[i].key, kv[k].key))
				break;
		if (i == r->n) {
			e[ne].key.p = kv[k].key;
			e[ne].key.n = strlen(kv[k].key);
			e[ne].val.p = kv[k].val;
			e[ne].val.n = kv[k].vlen;
			ne++;
		}
	}

	/* The list the writer takes is NULL-terminated. */
	for (i = 0; i < ndrop; i++)
		dl[i] = drop[i];
	dl[ndrop] = NULL;
	drop = ndrop > 0 ? dl : NULL;
	fp = open_memstream(&text, &tlen);
	FUZZ_CHECK(fp != NULL);
	if (nkv == 1 && kv[0].key != NULL)
		FUZZ_CHECK(mm_rec_write(fp, r, drop, kv[0].key, kv[0].val,
		    kv[0].vlen) == 0);
	else
		FUZZ_CHECK(mm_rec_write_kv(fp, r, drop, kv, nkv) == 0);
	FUZZ_CHECK(fclose(fp) == 0);
	FUZZ_CHECK(tlen > 0 && text[tlen - 1] == '\n');
	text[--tlen] = '\0';
	if (ndrop == 0 && nkv == 0)
		FUZZ_CHECK(tlen == r->len && memcmp(text, r->line, tlen) == 0);
	mm_rec_init(&out);
	if (mm_rec_parse(&out, text, tlen, NULL, NULL, &err) < 0) {
		fprintf(stderr, "output does not parse: %s\n%s\n", err.msg,
		    text);
		FUZZ_CHECK(!"the output parses");
	}
	FUZZ_CHECK(out.n == ne);
	for (i = 0; i < ne; i++) {
		FUZZ_CHECK(out.f[i].key.n == e[i].key.n && memcmp(
		    out.f[i].key.p, e[i].key.p, e[i].key.n) == 0);
		FUZZ_CHECK(out.f[i].val.n == e[i].val.n && memcmp(
		    out.f[i].val.p, e[i].val.p, e[i].val.n) == 0);
	}
	mm_rec_release(&out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vals[] = { "[1,0]", "{\"a\":null}", "0.5",
	    "\"x\"", "true" };
	struct mm_rec r;
	struct mm_kv kv[MAXKV];
	char *line = fuzz_cstr(data, size), *nl, *keys[MAXKV];
	const char *drop[MAXKV];
	size_t len = size;
	int i, nkeys = 0;

	if ((nl = memchr(line, '\n', size)) != NULL) {
		*nl = '\0';
		len = (size_t)(nl - line);
	}
	mm_rec_init(&r);
	if (mm_rec_parse(&r, line, len, NULL, NULL, NULL) < 0 ||
	    r.n > 256) {
		mm_rec_release(&r);
		free(line);
		return 0;
	}
	/* The keys of the record's first and last fields. */
	if (r.n > 0 && (keys[nkeys] = key_str(&r.f[0])) != NULL)
		nkeys++;
	if (r.n > 1 && (keys[nkeys] = key_str(&r.f[r.n - 1])) != NULL)
		nkeys++;

	write_and_check(&r, NULL, 0, NULL, 0);
	kv[0] = (struct mm_kv){ "pred", vals[0], strlen(vals[0]) };
	write_and_check(&r, NULL, 0, kv, 1);
	drop[0] = "labels";
	drop[1] = "features";
	kv[0] = (struct mm_kv){ "metrics", vals[1], strlen(vals[1]) };
	kv[1] = (struct mm_kv){ "drift", vals[2], strlen(vals[2]) };
	write_and_check(&r, drop, 2, kv, 2);
	write_and_check(&r, drop, 2, NULL, 0);
	for (i = 0; i < nkeys; i++) {
		/* Dropped, replaced, and both at once. */
		drop[0] = keys[i];
		write_and_check(&r, drop, 1, NULL, 0);
		kv[0] = (struct mm_kv){ keys[i], vals[3], strlen(vals[3]) };
		write_and_check(&r, NULL, 0, kv, 1);
		/* A key given twice is no call the programs make. */
		if (strcmp(keys[i], "z") == 0)
			continue;
		kv[1] = (struct mm_kv){ "z", vals[4], strlen(vals[4]) };
		write_and_check(&r, drop, 1, kv, 2);
	}
	if (nkeys == 2) {
		write_and_check(&r, (const char *const *)keys, 2, NULL, 0);
		kv[0] = (struct mm_kv){ keys[1], vals[3], strlen(vals[3]) };
		kv[1] = (struct mm_kv){ keys[0], vals[4], strlen(vals[4]) };
		write_and_check(&r, NULL, 0, kv, 2);
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	mm_rec_release(&r);
	free(line);
	return 0;
}
