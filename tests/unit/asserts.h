/*
 * asserts.h - cmocka checks of doubles that print both values in full:
 * assert_exact for numbers computed independently to the same bits,
 * assert_near for those equal to within 1e-9 relative.
 */
#ifndef MM_TEST_ASSERTS_H
#define MM_TEST_ASSERTS_H

#include <math.h>

#define assert_exact(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(g_ == w_))						\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_near(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= 1e-9 * fmax(1, fabs(w_))))		\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#endif
