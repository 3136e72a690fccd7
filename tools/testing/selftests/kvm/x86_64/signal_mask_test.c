// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_SIGNAL_MASK (api.rst 4.21): the signal mask in force while the
 * vCPU thread is in KVM_RUN.  A signal it blocks does not interrupt the
 * guest and is taken after KVM_RUN returns; a signal it lets through
 * interrupts the guest (-EINTR, KVM_EXIT_INTR) even if the thread blocks it
 * otherwise, and stays pending once the thread's own mask is back.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

static int got_usr1;
static u64 release;

static void on_usr1(int sig)
{
	__atomic_store_n(&got_usr1, 1, __ATOMIC_SEQ_CST);
}

/* Spin until the host sets release. */
static void guest_wait(void)
{
	while (!READ_ONCE(release))
		guest_pause();
	GUEST_SYNC(1);
	GUEST_DONE();
}

struct kicker {
	pthread_t target;
	int sig;
	u64 *release;		/* the guest's copy, through the host mapping */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Signal the vCPU thread while it is in the guest, then let it go on. */
static void *kick(void *arg)
{
	struct kicker *k = arg;

	sleep_ms(100);
	pthread_kill(k->target, k->sig);
	sleep_ms(100);
	WRITE_ONCE(*k->release, 1);
	return NULL;
}

static int set_vcpu_sigmask(struct kvm_vcpu *vcpu, const sigset_t *set)
{
	struct {
		struct kvm_signal_mask h;
		u8 set[8];
	} m = { .h.len = 8 };

	memcpy(m.set, set, 8);
	return ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m) ? -errno : 0;
}

static struct kvm_vm *start(struct kvm_vcpu **vcpu, struct kicker *k, int sig)
{
	struct kvm_vm *vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
						      GUEST_ENTRY(guest_wait),
						      vcpu);
	pthread_t t;

	k->target = pthread_self();
	k->sig = sig;
	k->release = addr_gpa2hva(vm, (u64)(uintptr_t)&release);
	TEST_ASSERT(!pthread_create(&t, NULL, kick, k), "pthread_create");
	pthread_detach(t);
	return vm;
}

/* Blocked in KVM_RUN: the guest runs on; the signal comes afterwards. */
TEST(blocked_while_running)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kicker k;
	struct ucall uc;
	sigset_t set;

	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	vm = start(&vcpu, &k, SIGUSR1);
	ASSERT_EQ(0, set_vcpu_sigmask(vcpu, &set));
	__atomic_store_n(&got_usr1, 0, __ATOMIC_SEQ_CST);
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* Delivered on the way out of the ioctl, at the latest here. */
	EXPECT_EQ(1, __atomic_load_n(&got_usr1, __ATOMIC_SEQ_CST));
	vm_free(vm);
}

/*
 * Blocked by the thread, let through in KVM_RUN: the guest is interrupted
 * and the signal is pending, blocked again, after the ioctl.
 */
TEST(unblocked_while_running)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kicker k;
	sigset_t set, none, pending;
	struct timespec zero = { 0, 0 };

	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	sigemptyset(&none);
	vm = start(&vcpu, &k, SIGUSR2);
	ASSERT_EQ(0, set_vcpu_sigmask(vcpu, &none));
	EXPECT_EQ(-EINTR, __vcpu_run(vcpu));
	EXPECT_EQ((u32)KVM_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(0, sigpending(&pending));
	EXPECT_EQ(1, sigismember(&pending, SIGUSR2));
	EXPECT_EQ(SIGUSR2, sigtimedwait(&set, NULL, &zero));
	vm_free(vm);
}

TEST(bad_arguments)
{
	struct kvm_signal_mask m = { .len = 4 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* No argument: no mask. */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, NULL));
	vm_free(vm);
}

TEST_HARNESS_MAIN
