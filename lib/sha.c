#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "mm.h"
#include "sha.h"

static void
hex(const unsigned char *md, unsigned int len, char out[MM_SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < len && i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * i] = '\0';
}

void
mm_sha256_hex(const void *data, size_t n, char out[MM_SHA_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	hex(md, len, out);
}

void
mm_sha_init(struct mm_sha *s)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL)
		abort();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	s->ctx = c;
}

void
mm_sha_update(struct mm_sha *s, const void *data, size_t n)
{
	EVP_DigestUpdate(s->ctx, data, n);
}

void
mm_sha_final(struct mm_sha *s, char out[MM_SHA_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_DigestFinal_ex(s->ctx, md, &len);
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	hex(md, len, out);
}

int
mm_equal_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
