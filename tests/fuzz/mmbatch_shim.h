/*
 * mmbatch_shim.h - included before cmd/mm-batch.c when it is built into
 * fuzz_mmbatch: its main() becomes mm_batch_main(), called once per
 * input, and its fclose(stdout) only flushes, so that the next call
 * still has a standard output.
 */
#ifndef MM_MMBATCH_SHIM_H
#define MM_MMBATCH_SHIM_H

#include <stdio.h>

int mm_batch_main(int argc, char **argv);
int fuzz_fclose(FILE *fp);

#define main mm_batch_main
#define fclose(fp) fuzz_fclose(fp)

#endif
