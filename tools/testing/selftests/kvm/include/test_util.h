/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small additions to the kselftest harness of Debian's linux-source-6.1.
 */
#ifndef SELFTEST_KVM_TEST_UTIL_H
#define SELFTEST_KVM_TEST_UTIL_H

#include <unistd.h>

/*
 * SKIP() in a FIXTURE_SETUP of the 6.1 harness does not keep the test body
 * from running: the wrapper only checks ->passed.  Ending the test's child
 * process with the harness's skip status (255) does.
 */
#define SKIP_FIXTURE(fmt, ...) SKIP(_exit(255), fmt, ##__VA_ARGS__)

#endif /* SELFTEST_KVM_TEST_UTIL_H */
