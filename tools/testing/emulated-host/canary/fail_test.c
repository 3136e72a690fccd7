// SPDX-License-Identifier: GPL-2.0
/* Runner canary: a test that fails.  The run that includes it must fail. */
#include "kselftest_harness.h"

TEST(fails_on_purpose)
{
	ASSERT_EQ(1, 2) TH_LOG("this canary always fails");
}

TEST_HARNESS_MAIN
