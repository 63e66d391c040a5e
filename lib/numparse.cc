// numparse.cc - the one C++ file: fast, exact double parsing from the
// fast_float library, behind a C interface.
#include <fast_float/fast_float.h>

extern "C" int mm_parse_double_span(const char *p, const char *end,
    double *out);

extern "C" int
mm_parse_double_span(const char *p, const char *end, double *out)
{
	fast_float::from_chars_result r = fast_float::from_chars(p, end, *out);

	return r.ec == std::errc() && r.ptr == end ? 0 : -1;
}
