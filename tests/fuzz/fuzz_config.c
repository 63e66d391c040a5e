/*
 * fuzz_config - the YAML config loader, lib/config.h.  The input's first
 * byte picks one of the five files (drift, trust, retrain, model,
 * aggregate, in that order, modulo 5), the rest is written as that file
 * in a directory of the harness's own, and mm_config_load() reads it.
 *
 * Checked: an error is MM_EINPUT with a message; a loaded config has
 * finite numbers, and windows that are at most MM_MAX_WINDOWS, of a
 * positive length, named as written.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <math.h>

#include "config.h"
#include "mm.h"
#include "timeparse.h"

static const struct {
	unsigned bit;
	const char *file;
} files[] = {
	{ MM_CFG_DRIFT, "drift.yaml" },
	{ MM_CFG_TRUST, "trust.yaml" },
	{ MM_CFG_RETRAIN, "retrain.yaml" },
	{ MM_CFG_MODEL, "model.yaml" },
	{ MM_CFG_AGGREGATE, "aggregate.yaml" },
};

static char dir[4096];

static void
remove_dir(void)
{
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/mm-fuzz-config.XXXXXX", tmp);
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	atexit(remove_dir);
	return 0;
}

static void
check(const struct mm_config *c)
{
	long s;
	int i;

	FUZZ_CHECK(isfinite(c->drift.eps) && isfinite(c->drift.moderate) &&
	    isfinite(c->drift.severe) && isfinite(c->drift.alpha) &&
	    isfinite(c->drift.smoothing));
	for (i = 0; i < MM_T_N; i++)
		FUZZ_CHECK(isfinite(c->trust.weight[i]));
	FUZZ_CHECK(isfinite(c->trust.drift_ok) &&
	    isfinite(c->trust.drift_bad) && isfinite(c->trust.warning) &&
	    isfinite(c->trust.critical) &&
	    isfinite(c->trust.latency_ok_ms) &&
	    isfinite(c->trust.latency_bad_ms) &&
	    isfinite(c->trust.alert_cooldown_s));
	FUZZ_CHECK(isfinite(c->retrain.max_f1_drop) &&
	    isfinite(c->retrain.min_f1_gain) && isfinite(c->retrain.holdout) &&
	    isfinite(c->retrain.alpha_f1));
	FUZZ_CHECK(isfinite(c->model.validation));
	FUZZ_CHECK(c->aggregate.nwindows >= 0 &&
	    c->aggregate.nwindows <= MM_MAX_WINDOWS);
	for (i = 0; i < c->aggregate.nwindows; i++) {
		FUZZ_CHECK(memchr(c->aggregate.name[i], '\0',
		    sizeof(c->aggregate.name[i])) != NULL);
		FUZZ_CHECK(c->aggregate.seconds[i] > 0);
		FUZZ_CHECK(mm_parse_window(c->aggregate.name[i], &s) == 0 &&
		    s == c->aggregate.seconds[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_config c;
	struct mm_err err = { 0 };
	char path[sizeof(dir) + 32];
	size_t off = 0;
	ssize_t n;
	int k, fd;

	if (size == 0)
		return 0;
	k = data[0] % 5;
	snprintf(path, sizeof(path), "%s/%s", dir, files[k].file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0);
	for (data++, size--; off < size; off += (size_t)n)
		FUZZ_CHECK((n = write(fd, data + off, size - off)) > 0);
	close(fd);
	if (mm_config_load(&c, dir, MM_CFG_ALL, &err) == 0)
		check(&c);
	else
		FUZZ_CHECK(err.code == MM_EINPUT && *err.msg != '\0');
	unlink(path);
	return 0;
}
