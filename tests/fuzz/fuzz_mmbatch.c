/*
 * fuzz_mmbatch - the whole row reader: mm-batch(1) run on the input as
 * its file, JSON rows or CSV, with the options its first byte picks.
 * cmd/mm-batch.c is built in with tests/fuzz/mmbatch_shim.h.
 *
 * Checked: it returns one of the documented exit codes, and (by the
 * sanitizers) reads and frees memory as it should, leaks included.
 * Its standard output goes to /dev/null; run with -close_fd_mask=2 to
 * silence its messages.
 */
#include "fuzz.h"

#include <fcntl.h>

#include "mmbatch_shim.h"

#undef fclose

int
fuzz_fclose(FILE *fp)
{
	if (fp == stdout)
		return fflush(fp);
	return fclose(fp);
}

/* Standard output to /dev/null. */
static void
null_stdout(void)
{
	int fd;

	fd = open("/dev/null", O_WRONLY);
	FUZZ_CHECK(fd >= 0 && dup2(fd, 1) == 1);
	/* With 1 closed, open() gave 1 itself: that one stays. */
	if (fd != 1)
		close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null_stdout();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], *argv[16];
	unsigned opt;
	int argc = 0, fd, rc;

	if (size == 0)
		return 0;
	opt = data[0];
	argv[argc++] = "mm-batch";
	switch (opt & 3) {
	case 1: argv[argc++] = "--csv"; break;
	case 2: argv[argc++] = "--json"; break;
	}
	switch ((opt >> 2) & 3) {
	case 1: argv[argc++] = "--size"; argv[argc++] = "2"; break;
	case 2: argv[argc++] = "--every"; argv[argc++] = "60"; break;
	}
	if (opt & 0x10)
		argv[argc++] = "--skip-bad";
	if (opt & 0x20) {
		argv[argc++] = "--features";
		argv[argc++] = "f0,f1,\"q\"";
	}
	if (opt & 0x40) {
		argv[argc++] = "--max-record";
		argv[argc++] = "64";
	}
	if (opt & 0x80) {
		argv[argc++] = "--now";
		argv[argc++] = "1764140000";
	}
	fd = fuzz_memfile(data + 1, size - 1, path, sizeof(path));
	argv[argc++] = path;
	argv[argc] = NULL;
	optind = 0;		/* getopt(3) starts afresh, as in a new process */
	rc = mm_batch_main(argc, argv);
	close(fd);
	/*
	 * Standard output closed all the same (by lib/run.c's
	 * mm_run_finish, say): open another for the next input.
	 */
	if (fcntl(1, F_GETFD) < 0) {
		null_stdout();
		FUZZ_CHECK((stdout = fdopen(1, "w")) != NULL);
	}
	FUZZ_CHECK(rc == 0 || rc == 2 || rc == 3);
	return 0;
}
