/*
 * strtod_scan - the parsing floor for NDJSON number records.
 *
 * Reads a file (or stdin) in large chunks and converts every JSON number
 * token in it with strtod(3). Strings are skipped whole (so "f0" or
 * "b000041" yield no numbers) and every other byte that cannot start a
 * number is skipped. Prints the count and the sum of the values, so the
 * conversions cannot be optimised away and the count can be checked.
 *
 * This is what any parser of the same input must at least do: look at
 * every byte once and convert every number. It allocates nothing per
 * value and keeps nothing, so it is a floor for speed, not a useful
 * program.
 *
 * Usage: strtod_scan [FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (8UL << 20)

/* Bytes that can start a JSON number. */
static unsigned char numstart[256];

int
main(int argc, char **argv)
{
	size_t cap = CHUNK, keep = 0, len;
	unsigned long long count = 0;
	double sum = 0;
	char *buf, *p, *end, *q;
	ssize_t n;
	int fd = 0, eof = 0, c;

	if (argc > 2) {
		fprintf(stderr, "usage: strtod_scan [FILE]\n");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "-") != 0 &&
	    (fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(stderr, "strtod_scan: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	numstart['-'] = 1;
	for (c = '0'; c <= '9'; c++)
		numstart[c] = 1;
	if ((buf = malloc(cap + 1)) == NULL)
		return 3;
	while (!eof) {
		/* Fill the buffer after the carried-over tail. */
		len = keep;
		while (len < cap) {
			n = read(fd, buf + len, cap - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fprintf(stderr, "strtod_scan: read: %s\n",
				    strerror(errno));
				return 3;
			}
			if (n == 0) {
				eof = 1;
				break;
			}
			len += (size_t)n;
		}
		buf[len] = '\0';	/* strtod stops here at the latest */
		p = buf;
		end = buf + len;
		keep = 0;
		while (p < end) {
			if (numstart[(unsigned char)*p]) {
				double v = strtod(p, &q);

				if (q == p) {	/* a lone '-' */
					p++;
					continue;
				}
				if (q == end && !eof)
					goto carry;	/* may go on */
				sum += v;
				count++;
				p = q;
			} else if (*p == '"') {
				for (q = p + 1; q < end && *q != '"'; q++)
					if (*q == '\\')
						q++;
				if (q >= end) {
					if (!eof)
						goto carry;
					break;
				}
				p = q + 1;
			} else {
				p++;
			}
		}
		continue;
carry:
		/* An unfinished token: move it to the front, read on. */
		keep = (size_t)(end - p);
		if (keep == cap) {
			cap *= 2;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				return 3;
			p = buf;	/* the token is the whole buffer */
		}
		memmove(buf, p, keep);
	}
	printf("count %llu\nsum %.17g\n", count, sum);
	if (fd != 0)
		close(fd);
	free(buf);
	return 0;
}
