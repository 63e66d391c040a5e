/*
 * replay.c - a harness of tests/fuzz/ without libFuzzer: each FILE is
 * given to LLVMFuzzerTestOneInput() once, in order.  Built with the
 * project's own compiler and flags (and so under make check-asan with
 * the sanitizers), so that make test replays every seed and crasher
 * without building the fuzzers.  A harness that finds a broken promise
 * aborts; a file that cannot be read exits 2.
 *   replay_TARGET FILE...
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int
main(int argc, char **argv)
{
	FILE *fp;
	char *buf;
	long n;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL ||
		    fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
		    fseek(fp, 0, SEEK_SET) != 0) {
			fprintf(stderr, "replay: %s: cannot read\n", argv[i]);
			return 2;
		}
		/* Exactly the file's bytes: a harness reading past them is
		 * caught by the sanitizers. */
		buf = malloc(n > 0 ? (size_t)n : 1);
		if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			fprintf(stderr, "replay: %s: cannot read\n", argv[i]);
			return 2;
		}
		fclose(fp);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
		free(buf);
	}
	return 0;
}
