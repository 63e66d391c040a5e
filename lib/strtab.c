#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "strtab.h"

void
mm_strtab_init(struct mm_strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void
mm_strtab_release(struct mm_strtab *t)
{
	free(t->buf);
	free(t->off);
	free(t->hash);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

void
mm_strtab_reset(struct mm_strtab *t)
{
	size_t i;

	if (t->n == 0)
		return;
	for (i = 0; i < t->nslot; i++)
		t->slot[i] = -1;
	t->n = 0;
	t->len = 0;
}

static unsigned
hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (unsigned)(h ^ (h >> 32));
}

/* The slot holding s, or the empty slot where it would go. */
static size_t
probe(const struct mm_strtab *t, const char *s, size_t n, unsigned h)
{
	size_t i = h & (t->nslot - 1);
	int k;

	while ((k = t->slot[i]) >= 0) {
		if (t->hash[k] == h && t->off[k + 1] - t->off[k] - 1 == n &&
		    memcmp(t->buf + t->off[k], s, n) == 0)
			break;
		i = (i + 1) & (t->nslot - 1);
	}
	return i;
}

/* Keep the slots at most half full. */
static void
grow_slots(struct mm_strtab *t)
{
	size_t i;
	int k;

	free(t->slot);
	t->nslot = t->nslot ? 2 * t->nslot : 64;
	t->slot = mm_xmalloc(t->nslot * sizeof(int));
	for (i = 0; i < t->nslot; i++)
		t->slot[i] = -1;
	for (k = 0; k < t->n; k++) {
		i = t->hash[k] & (t->nslot - 1);
		while (t->slot[i] >= 0)
			i = (i + 1) & (t->nslot - 1);
		t->slot[i] = k;
	}
}

int
mm_strtab_intern(struct mm_strtab *t, const char *s, size_t n)
{
	unsigned h = hash(s, n);
	size_t i;
	int k;

	if (2 * ((size_t)t->n + 1) > t->nslot)
		grow_slots(t);
	i = probe(t, s, n, h);
	if (t->slot[i] >= 0)
		return t->slot[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->off = mm_xrealloc(t->off, ((size_t)t->cap + 1) *
		    sizeof(size_t));
		t->hash = mm_xrealloc(t->hash, (size_t)t->cap *
		    sizeof(unsigned));
	}
	if (t->len + n + 1 > t->bcap) {
		while (t->len + n + 1 > t->bcap)
			t->bcap = t->bcap ? 2 * t->bcap : 256;
		t->buf = mm_xrealloc(t->buf, t->bcap);
	}
	k = t->n++;
	t->off[k] = t->len;
	memcpy(t->buf + t->len, s, n);
	t->buf[t->len + n] = '\0';
	t->len += n + 1;
	t->off[k + 1] = t->len;
	t->hash[k] = h;
	t->slot[i] = k;
	return k;
}

int
mm_strtab_find(const struct mm_strtab *t, const char *s, size_t n)
{
	if (t->n == 0)
		return -1;
	return t->slot[probe(t, s, n, hash(s, n))];
}

int
mm_strtab_count(const struct mm_strtab *t)
{
	return t->n;
}

const char *
mm_strtab_str(const struct mm_strtab *t, int i)
{
	return t->buf + t->off[i];
}

size_t
mm_strtab_len(const struct mm_strtab *t, int i)
{
	return t->off[i + 1] - t->off[i] - 1;
}
