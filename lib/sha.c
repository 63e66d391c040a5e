/*
 * sha.c - SHA-256 through nettle (sha.h): a small library with no
 * start-up of its own, where OpenSSL's first digest costs milliseconds
 * in every process that checks a model.
 */
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdlib.h>

#include "mm.h"
#include "sha.h"

static void
hex(const unsigned char *md, char out[MM_SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * i] = '\0';
}

void
mm_sha256_hex(const void *data, size_t n, char out[MM_SHA_HEX])
{
	struct sha256_ctx c;
	unsigned char md[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, n, data);
	sha256_digest(&c, sizeof(md), md);
	hex(md, out);
}

void
mm_sha_init(struct mm_sha *s)
{
	struct sha256_ctx *c = mm_xmalloc(sizeof(*c));

	sha256_init(c);
	s->ctx = c;
}

void
mm_sha_update(struct mm_sha *s, const void *data, size_t n)
{
	sha256_update(s->ctx, n, data);
}

void
mm_sha_final(struct mm_sha *s, char out[MM_SHA_HEX])
{
	unsigned char md[SHA256_DIGEST_SIZE];

	sha256_digest(s->ctx, sizeof(md), md);
	free(s->ctx);
	s->ctx = NULL;
	hex(md, out);
}

int
mm_equal_ct(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n);
}
