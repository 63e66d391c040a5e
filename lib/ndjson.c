#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"

#define CHUNK (1UL << 20)

int
mm_reader_open(struct mm_reader *r, const char *path, size_t max,
    struct mm_err *err)
{
	memset(r, 0, sizeof(*r));
	r->max = max ? max : MM_MAX_RECORD_DEFAULT;
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fd = 0;
		r->name = "";
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			mm_errf(err, MM_ESYS, 0, "cannot open '%s': %s", path,
			    strerror(errno));
			return -1;
		}
		r->own_fd = 1;
		r->name = path;
	}
	r->cap = CHUNK;
	r->buf = mm_xmalloc(r->cap + 1);
	return 0;
}

void
mm_reader_release(struct mm_reader *r)
{
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
}

/* 1 if a read of fd would not wait (data, end of input or an error). */
static int
readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/* Read more bytes after r->end; returns bytes read, 0 at EOF, -1 error. */
static ssize_t
fill(struct mm_reader *r)
{
	ssize_t n;

	if (r->start > 0 && (r->end == r->cap || r->start > r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		r->cap *= 2;
		r->buf = mm_xrealloc(r->buf, r->cap + 1);
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->end += (size_t)n;
	return n;
}

/* Drop bytes up to and including the next newline (a line too long). */
static int
discard_line(struct mm_reader *r, struct mm_err *err)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			r->start = (size_t)(nl - r->buf) + 1;
			return 0;
		}
		r->start = r->end = 0;
		n = read(r->fd, r->buf, r->cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mm_errf(err, MM_ESYS, r->lineno,
			    "read error: %s", strerror(errno));
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		r->end = (size_t)n;
	}
}

int
mm_reader_next(struct mm_reader *r, char **line, size_t *len,
    struct mm_err *err)
{
	size_t scanned = 0, n;
	char *nl;
	ssize_t got;

	for (;;) {
		nl = memchr(r->buf + r->start + scanned, '\n',
		    r->end - r->start - scanned);
		if (nl != NULL)
			break;
		scanned = r->end - r->start;
		if (scanned > r->max) {
			r->lineno++;
			if (discard_line(r, err) < 0)
				return -1;
			return mm_errf(err, MM_EINPUT, r->lineno,
			    "record longer than %zu bytes", r->max);
		}
		if (r->eof)
			break;
		if (r->idle != NULL && !readable(r->fd) &&
		    r->idle(r->idle_ctx, err) < 0)
			return MM_READER_IDLE;
		got = fill(r);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return mm_errf(err, MM_ESYS, r->lineno + 1,
			    "read error: %s", strerror(errno));
		}
		if (got == 0)
			r->eof = 1;
	}
	if (nl == NULL && r->start == r->end)
		return 0;
	*line = r->buf + r->start;
	if (nl != NULL) {
		n = (size_t)(nl - *line);
		r->start += n + 1;
	} else {
		n = r->end - r->start;	/* last line without a newline */
		r->start = r->end;
	}
	r->lineno++;
	if (n > r->max)
		return mm_errf(err, MM_EINPUT, r->lineno,
		    "record longer than %zu bytes", r->max);
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	(*line)[n] = '\0';
	*len = n;
	return 1;
}

int
mm_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' || v == 0 || v > (SIZE_MAX >> shift))
		return -1;
	*out = (size_t)v << shift;
	return 0;
}
