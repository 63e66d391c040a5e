/*
 * fuzz_record - the record reader: lib/ndjson.h splits the input into
 * lines, lib/json.h parses each as a record and decodes its strings.
 *
 * Checked: the reader returns the input's lines, each NUL-terminated,
 * without its newline and one trailing '\r', line numbers counting up,
 * lines longer than the limit refused and skipped; a parsed record's
 * fields span whole JSON values; a decoded string holds no NUL and
 * reads back the same once written by mm_jw_strn().
 *
 * Text: mm_utf8_check() agrees with a plain decoder written from the
 * Unicode definition, on every line; a record is parsed only if it is
 * UTF-8 (else the message names the first bad byte); every key decodes
 * (no NUL, no lone surrogate), to valid UTF-8, and mm_rec_get() finds
 * the field by its decoded text; mm_json_canon() fails exactly when
 * decoding does, decodes back to the same text and is its own fixpoint.
 */
#include "fuzz.h"

#include <math.h>

#include "json.h"
#include "mm.h"
#include "ndjson.h"

/* mm_json_canon() of raw against its decoding dec (NULL: it failed). */
static void
check_canon(const char *raw, size_t n, const struct mm_buf *dec)
{
	struct mm_buf c, c2, d;

	mm_buf_init(&c);
	mm_buf_init(&c2);
	mm_buf_init(&d);
	if (mm_json_canon(raw, n, &c) < 0) {
		FUZZ_CHECK(dec == NULL);
		goto out;
	}
	FUZZ_CHECK(dec != NULL);
	FUZZ_CHECK(mm_json_unescape(c.p ? c.p : "", c.n, &d) == 0);
	FUZZ_CHECK(d.n == dec->n);
	FUZZ_CHECK(d.n == 0 || memcmp(d.p, dec->p, d.n) == 0);
	FUZZ_CHECK(mm_json_canon(c.p ? c.p : "", c.n, &c2) == 0);
	FUZZ_CHECK(c2.n == c.n);
	FUZZ_CHECK(c.n == 0 || memcmp(c2.p, c.p, c.n) == 0);
out:
	mm_buf_release(&c);
	mm_buf_release(&c2);
	mm_buf_release(&d);
}

static void
check_string(const char *raw, size_t n, struct mm_buf *dec,
    struct mm_buf *enc)
{
	struct mm_buf again;
	const char *s, *e;
	size_t sn;

	mm_buf_reset(dec);
	if (mm_json_unescape(raw, n, dec) < 0) {
		check_canon(raw, n, NULL);
		return;
	}
	check_canon(raw, n, dec);
	FUZZ_CHECK(mm_utf8_check(dec->p ? dec->p : "", dec->n) == dec->n);
	FUZZ_CHECK(dec->n == 0 || strlen(dec->p) == dec->n);
	if (memchr(raw, '\\', n) == NULL)
		FUZZ_CHECK(dec->n == n && memcmp(dec->p, raw, n) == 0);
	mm_buf_reset(enc);
	mm_jw_strn(enc, dec->n > 0 ? dec->p : "", dec->n);
	e = mm_json_string(enc->p, &s, &sn, NULL);
	FUZZ_CHECK(e == enc->p + enc->n);
	mm_buf_init(&again);
	FUZZ_CHECK(mm_json_unescape(s, sn, &again) == 0);
	FUZZ_CHECK(again.n == dec->n);
	FUZZ_CHECK(dec->n == 0 || memcmp(again.p, dec->p, dec->n) == 0);
	mm_buf_release(&again);
}

static void
check_record(struct mm_rec *rec, const char *line, size_t len,
    struct mm_buf *dec, struct mm_buf *enc)
{
	struct mm_err err = { 0 };
	const struct mm_field *f, *g;
	const char *p, *s, *e;
	char key[64], buf[64];
	double v;
	size_t sn;
	int i;

	sn = mm_utf8_check(line, len);
	FUZZ_CHECK(sn == utf8_ref(line, len));
	if (mm_rec_parse(rec, line, len, NULL, NULL, &err) < 0) {
		FUZZ_CHECK(err.code == MM_EINPUT);
		FUZZ_CHECK(strlen(err.msg) > 0);
		if (sn < len) {
			snprintf(buf, sizeof(buf), "invalid UTF-8 at byte %zu",
			    sn + 1);
			FUZZ_CHECK(strcmp(err.msg, buf) == 0);
		}
		return;
	}
	FUZZ_CHECK(sn == len);
	FUZZ_CHECK(rec->close >= line && rec->close < line + len);
	FUZZ_CHECK(*rec->close == '}');
	for (i = 0; i < rec->n; i++) {
		f = &rec->f[i];
		FUZZ_CHECK(f->key.p > line && f->key.p[-1] == '"');
		FUZZ_CHECK(f->key.p[f->key.n] == '"');
		FUZZ_CHECK(f->val.p > f->key.p && f->val.p + f->val.n <=
		    rec->close);
		p = mm_json_skip(f->val.p, NULL);
		FUZZ_CHECK(p == f->val.p + f->val.n);
		/* A key always decodes, and is found by its text. */
		mm_buf_reset(dec);
		FUZZ_CHECK(mm_json_unescape(f->key.p, f->key.n, dec) == 0);
		FUZZ_CHECK(dec->n == 0 || strlen(dec->p) == dec->n);
		FUZZ_CHECK(mm_span_eq(&f->key, dec->p ? dec->p : ""));
		g = mm_rec_get(rec, dec->p ? dec->p : "");
		FUZZ_CHECK(g == f);	/* keys are unique */
		FUZZ_CHECK(mm_span_eq(&g->key, dec->p ? dec->p : ""));
		check_string(f->key.p, f->key.n, dec, enc);
		if (*f->val.p == '"') {
			e = mm_json_string(f->val.p, &s, &sn, NULL);
			FUZZ_CHECK(e == f->val.p + f->val.n);
			check_string(s, sn, dec, enc);
		}
		if (mm_json_number(f->val.p, &v) != NULL)
			FUZZ_CHECK(mm_json_number(f->val.p, &v) ==
			    f->val.p + f->val.n);
		mm_json_token(f->val.p, buf, sizeof(buf));
		mm_json_what(f->val.p, buf, sizeof(buf));
		/* The raw bytes of a key with escapes are another key. */
		if (f->key.n < sizeof(key) && memchr(f->key.p, '\\',
		    f->key.n) == NULL) {
			memcpy(key, f->key.p, f->key.n);
			key[f->key.n] = '\0';
			g = mm_rec_get(rec, key);
			FUZZ_CHECK(g == f);	/* keys are unique */
		}
	}
}

/* The input's lines as the reader should give them. */
static void
read_all(const uint8_t *data, size_t size, size_t max, int parse)
{
	struct mm_reader r;
	struct mm_err err = { 0 };
	struct mm_rec rec;
	struct mm_buf dec, enc;
	const uint8_t *seg = data, *nl;
	size_t seglen;
	char path[64], *line;
	size_t len;
	long lineno = 0;
	int fd, rc;

	fd = fuzz_memfile(data, size, path, sizeof(path));
	FUZZ_CHECK(mm_reader_open(&r, path, max, &err) == 0);
	mm_rec_init(&rec);
	mm_buf_init(&dec);
	mm_buf_init(&enc);
	for (;;) {
		rc = mm_reader_next(&r, &line, &len, &err);
		if (seg < data + size) {
			nl = memchr(seg, '\n', (size_t)(data + size - seg));
			seglen = nl != NULL ? (size_t)(nl - seg) :
			    (size_t)(data + size - seg);
		} else {
			nl = NULL;
			seglen = 0;
		}
		if (rc == 0) {
			FUZZ_CHECK(seg >= data + size);
			break;
		}
		FUZZ_CHECK(seg < data + size);
		FUZZ_CHECK(r.lineno == ++lineno);
		if (rc < 0) {
			FUZZ_CHECK(err.code == MM_EINPUT);
			FUZZ_CHECK(seglen > max);
		} else {
			if (seglen > 0 && seg[seglen - 1] == '\r')
				seglen--;
			FUZZ_CHECK(len == seglen && len <= max);
			FUZZ_CHECK(memcmp(line, seg, len) == 0);
			FUZZ_CHECK(line[len] == '\0');
			if (parse)
				check_record(&rec, line, len, &dec, &enc);
		}
		seg = nl != NULL ? nl + 1 : data + size;
	}
	mm_buf_release(&dec);
	mm_buf_release(&enc);
	mm_rec_release(&rec);
	mm_reader_release(&r);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_all(data, size, MM_MAX_RECORD_DEFAULT, 1);
	read_all(data, size, 16, 0);
	return 0;
}
