// SPDX-License-Identifier: GPL-2.0
/*
 * Runs last: after every other test, including a VMM killed in the middle
 * of KVM_RUN, nothing holds Kestrel any more, and it unloads cleanly with
 * SVM off again on every CPU.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"

TEST(nothing_holds_kestrel_after_the_suite)
{
	int cpu;

	if (!kmod_loaded("kestrel"))
		SKIP(return, "Kestrel is not loaded on this host");
	/* A killed VMM's files are closed by its exit; give it a moment. */
	for (int i = 0; i < 50 && kmod_refcnt("kestrel") > 0; i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, kmod_refcnt("kestrel"));
	ASSERT_EQ(0, kmod_unload("kestrel"));
	for (cpu = 0; cpu <= host_max_cpu(); cpu++) {
		uint64_t efer;

		if (!host_cpu_online(cpu))
			continue;
		ASSERT_EQ(0, host_msr_read(cpu, MSR_EFER, &efer));
		EXPECT_FALSE(!!(efer & EFER_SVME)) TH_LOG("CPU %d", cpu);
	}
	/* Leave the host as the next run expects it. */
	EXPECT_EQ(0, kestrel_load());
}

TEST_HARNESS_MAIN
