/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput() for one entry
 * point of lib/ (or one program of cmd/), checks what its header
 * promises on every input it accepts, and aborts when a promise breaks,
 * so that libFuzzer keeps the input as a crasher.
 */
#ifndef MM_FUZZ_H
#define MM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/utf8_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A promise of the code under test: abort() with its text if broken. */
#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

/* The input as an owned, NUL-terminated string (it may hold NULs). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The input as a file in memory: its path ("/proc/self/fd/N") in path,
 * and its descriptor returned, for code that reads files by name.
 */
static inline int
fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t psize)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("fuzz", 0);
	FUZZ_CHECK(fd >= 0);
	while (off < size) {
		n = write(fd, data + off, size - off);
		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
	snprintf(path, psize, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
