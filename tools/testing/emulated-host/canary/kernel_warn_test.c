// SPDX-License-Identifier: GPL-2.0
/*
 * Runner canary: a test that passes while the kernel log gets a WARN line.
 * The run that includes it must fail on the kernel log alone.
 */
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"

TEST(passes_but_the_kernel_warns)
{
	static const char line[] =
		"<4>WARNING: CPU: 0 PID: 1 at kestrel-runner-canary\n";
	int fd = open("/dev/kmsg", O_WRONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(line) - 1, write(fd, line, sizeof(line) - 1));
	close(fd);
}

TEST_HARNESS_MAIN
