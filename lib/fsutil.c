/*
 * fsutil.c - the file primitives the model store (store.c) and the
 * programs build on: a file read whole, a file replaced atomically, a
 * new file written and synced, directories made and synced, what a
 * crashed writer left swept, and the mode files are created with.
 * Apart from store.c, which knows the store's layout: nothing here does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

void
mm_fs_pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, MM_PATHMAX, fmt, ap);
	va_end(ap);
}

int
mm_fs_syserr(struct mm_err *err, const char *path, const char *what)
{
	mm_errf(err, MM_ESYS, 0, "%s: %s", what, strerror(errno));
	mm_err_where(err, path);
	return -1;
}

int
mm_fs_slurp(const char *path, char **data, size_t *len, struct mm_err *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return mm_fs_syserr(err, path, "cannot open");
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		mm_fs_syserr(err, path, "cannot read");
		close(fd);
		return -1;
	}
	buf = mm_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				mm_fs_syserr(err, path, "cannot read");
			else {
				mm_errf(err, MM_ESYS, 0,
				    "corrupt: file shrank while read");
				mm_err_where(err, path);
			}
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

int
mm_fs_sync_dir(const char *path, struct mm_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		mm_fs_syserr(err, path, "cannot sync");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
mm_file_mode(mode_t *file, mode_t *dir, struct mm_err *err)
{
	const char *env = getenv("MM_FILE_MODE");
	mode_t m = 0600;
	long v;

	if (env != NULL && *env != '\0') {
		v = strspn(env, "01234567") == strlen(env) &&
		    strlen(env) <= 4 ? strtol(env, NULL, 8) : -1;
		/* A mode the owner cannot read and write breaks mm itself. */
		if (v < 0 || v > 0777 || (v & 0600) != 0600)
			return mm_errf(err, MM_EINPUT, 0, "MM_FILE_MODE: "
			    "'%s' is not a mode such as 0600 or 0640 (octal, "
			    "letting the owner read and write)", env);
		m = (mode_t)v;
	}
	if (file != NULL)
		*file = m;
	if (dir != NULL)
		*dir = m | (m & 0444) >> 2;
	return 0;
}

/* Write all of data to fd, fsync and close it.  0, or -1 with errno. */
static int
write_fd(int fd, const char *data, size_t len)
{
	ssize_t n;
	int e;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* O_EXCL and O_NOFOLLOW: a file or link planted there is not written. */
int
mm_fs_write_new(const char *path, const char *data, size_t len,
    mode_t mode, struct mm_err *err)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return mm_fs_syserr(err, path, "cannot create");
	if (write_fd(fd, data, len) < 0)
		return mm_fs_syserr(err, path, "cannot write");
	return 0;
}

/*
 * Six letters or digits no other writer guesses: a temporary name must
 * not be one an attacker can plant a link under beforehand.
 */
static void
tmp_suffix(char *buf)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned long calls;
	unsigned char r[6];
	struct timespec ts;
	uint64_t x;
	int i;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* No entropy yet (early boot): O_EXCL still keeps it safe. */
		clock_gettime(CLOCK_REALTIME, &ts);
		x = ((uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32) +
		    ++calls * 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < 6; i++)
			r[i] = (unsigned char)(x >> (8 * i));
	}
	for (i = 0; i < 6; i++)
		buf[i] = set[r[i] % (sizeof(set) - 1)];
	buf[6] = '\0';
}

int
mm_replace_file(const char *path, const char *data, size_t len,
    const char *fault, struct mm_err *err)
{
	char dir[MM_PATHMAX], tmp[MM_PATHMAX], point[64], sfx[8];
	const char *slash = strrchr(path, '/'), *base;
	mode_t mode;
	int fd = -1, i, e;

	if (mm_file_mode(&mode, NULL, err) < 0)
		return -1;
	/* Beside path, so the rename stays on one file system. */
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		mm_fs_pathf(dir, "%.*s", (int)(slash - path), path);
	base = slash ? slash + 1 : path;
	for (i = 0; i < 100; i++) {
		tmp_suffix(sfx);
		mm_fs_pathf(tmp, "%s/.%s.%s", dir, base, sfx);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return mm_fs_syserr(err, path, "cannot create");
	if (write_fd(fd, data, len) < 0)
		goto fail;
	if (fault != NULL) {
		snprintf(point, sizeof(point), "%s-tmp-written", fault);
		mm_fault(point);
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return mm_fs_syserr(err, path, "cannot rename into place");
	}
	if (fault != NULL) {
		snprintf(point, sizeof(point), "%s-renamed", fault);
		mm_fault(point);
	}
	return mm_fs_sync_dir(dir, err);
fail:
	e = errno;
	unlink(tmp);
	errno = e;
	return mm_fs_syserr(err, path, "cannot write");
}

int
mm_fs_mkdir(const char *path, struct mm_err *err)
{
	mode_t mode;

	if (mm_file_mode(NULL, &mode, err) < 0)
		return -1;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return mm_fs_syserr(err, path, "cannot create directory");
	return 0;
}

int
mm_fs_mkdir_parents(const char *path, struct mm_err *err)
{
	char buf[MM_PATHMAX], *p;

	mm_fs_pathf(buf, "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mm_fs_mkdir(buf, err) < 0)
			return -1;
		*p = '/';
	}
	return 0;
}

/* The caller holds the lock, so no writer is filling these. */
void
mm_fs_sweep_tmp(const char *dir)
{
	struct dirent *e, *f;
	DIR *d, *sub;
	int fd;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0)
			continue;
		/*
		 * Not followed: emptying a link planted here would empty
		 * the directory it points to.  A link or a file goes.
		 */
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if ((sub = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((f = readdir(sub)) != NULL)
			if (strcmp(f->d_name, ".") != 0 &&
			    strcmp(f->d_name, "..") != 0)
				unlinkat(fd, f->d_name, 0);
		closedir(sub);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void
mm_stat_or_zero(const char *path, struct stat *st)
{
	if (stat(path, st) < 0)
		memset(st, 0, sizeof(*st));
}

int
mm_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}
