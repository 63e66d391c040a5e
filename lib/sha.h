/*
 * sha.h - SHA-256 as lowercase hex, for checksums and idempotency keys.
 */
#ifndef MM_SHA_H
#define MM_SHA_H

#include <stddef.h>

#define MM_SHA_HEX 65		/* 64 hex digits and a NUL */

struct mm_sha {
	void *ctx;		/* owned */
};

/* One shot: hex of data[0..n) into out. */
void mm_sha256_hex(const void *data, size_t n, char out[MM_SHA_HEX]);

/* 1 if the n bytes at a and b are equal, in time that does not depend
   on where they differ (for secrets). */
int mm_equal_ct(const void *a, const void *b, size_t n);

/* Incremental: init, update any number of times, final (frees). */
void mm_sha_init(struct mm_sha *s);
void mm_sha_update(struct mm_sha *s, const void *data, size_t n);
void mm_sha_final(struct mm_sha *s, char out[MM_SHA_HEX]);

#endif
