// numparse.cc - the one C++ file: fast, exact double parsing from the
// fast_float library, and the text of a double from the standard
// library's std::to_chars, behind a C interface.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fast_float/fast_float.h>

extern "C" int mm_parse_double_span(const char *p, const char *end,
    double *out);
extern "C" int mm_fmt_double(char *buf, size_t size, double v);

extern "C" int
mm_parse_double_span(const char *p, const char *end, double *out)
{
	fast_float::from_chars_result r = fast_float::from_chars(p, end, *out);

	return r.ec == std::errc() && r.ptr == end ? 0 : -1;
}

// The significant digits of |v| (trailing zeros dropped) in d, rounded
// to p of them (p 0: the fewest that read back as v), and its decimal
// exponent in *x.  Returns how many digits.
static int
digits(double v, int p, char *d, int *x)
{
	char t[64], *q = t;
	std::to_chars_result r = p > 0 ?
	    std::to_chars(t, t + sizeof(t), std::fabs(v),
	    std::chars_format::scientific, p - 1) :
	    std::to_chars(t, t + sizeof(t), std::fabs(v),
	    std::chars_format::scientific);
	int n = 0;

	for (; q < r.ptr && *q != 'e'; q++)
		if (*q != '.')
			d[n++] = *q;
	while (n > 1 && d[n - 1] == '0')
		n--;
	d[n] = '\0';
	std::from_chars(q + 1 + (q[1] == '+'), r.ptr, *x);
	return n;
}

// Whether the n digits d with exponent x read back as |v|.
static bool
reads_back(double v, const char *d, int n, int x)
{
	char t[48];
	double w = 0;
	int m = 0;

	t[m++] = d[0];
	if (n > 1) {
		t[m++] = '.';
		std::memcpy(t + m, d + 1, (size_t)(n - 1));
		m += n - 1;
	}
	t[m++] = 'e';
	m = (int)(std::to_chars(t + m, t + sizeof(t), x).ptr - t);
	fast_float::from_chars(t, t + m, w);
	return w == std::fabs(v);
}

// What "%.*g" with the first precision from 15 to 17 that reads back as
// v writes, without printf and strtod, a tenth of their time: the
// digits come from std::to_chars (exact, as printf's are), and are
// laid out as %g does with that precision P (fixed notation for a
// decimal exponent from -4 to P - 1).  When the fewest digits that read
// back are at most 15, they are %.15g's: a normal double is nearer to
// them than half a unit of its 15th digit.
extern "C" int
mm_fmt_double(char *buf, size_t size, double v)
{
	char d[32], t[48], *o = t;
	int x = 0, n, p = 15, i;

	if (!std::isfinite(v)) {
		for (p = 15; p <= 17; p++) {
			n = std::snprintf(buf, size, "%.*g", p, v);
			if (std::strtod(buf, nullptr) == v)
				break;
		}
		return n;
	}
	n = digits(v, 0, d, &x);
	// The fewest that read back are n: no precision below n does, and
	// the first tried is n (15 for a subnormal, whose %g this mimics).
	if (n > 15 || (v != 0 && std::fabs(v) < 2.2250738585072014e-308))
		for (p = n > 15 ? n : 15; p <= 17; p++) {
			n = digits(v, p, d, &x);
			if (p == 17 || reads_back(v, d, n, x))
				break;
		}
	if (std::signbit(v))
		*o++ = '-';
	if (x >= -4 && x < p) {
		if (x >= 0) {
			for (i = 0; i <= x; i++)
				*o++ = i < n ? d[i] : '0';
			if (n > x + 1) {
				*o++ = '.';
				for (i = x + 1; i < n; i++)
					*o++ = d[i];
			}
		} else {
			*o++ = '0';
			*o++ = '.';
			for (i = 0; i < -x - 1; i++)
				*o++ = '0';
			for (i = 0; i < n; i++)
				*o++ = d[i];
		}
	} else {
		*o++ = d[0];
		if (n > 1) {
			*o++ = '.';
			for (i = 1; i < n; i++)
				*o++ = d[i];
		}
		*o++ = 'e';
		*o++ = x < 0 ? '-' : '+';
		if (x > -10 && x < 10)
			*o++ = '0';
		o = std::to_chars(o, t + sizeof(t), x < 0 ? -x : x).ptr;
	}
	n = (int)(o - t);
	// As snprintf: what fits, NUL-terminated, and the whole length.
	if (size > 0) {
		size_t k = (size_t)n < size - 1 ? (size_t)n : size - 1;

		std::memcpy(buf, t, k);
		buf[k] = '\0';
	}
	return n;
}
