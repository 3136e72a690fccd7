// SPDX-License-Identifier: GPL-2.0
/*
 * A VMM killed while its guests run: a child process runs vCPUs (spinning
 * with interrupts on or off, exiting for MMIO and port I/O all the time,
 * or stopped in the middle of an IN the host never answers) and is
 * SIGKILLed.  Afterwards the kernel must be healthy: the module that owns
 * /dev/kvm has its reference count back where it was (every file released,
 * every VM destroyed), and a new VM runs a guest to completion.  The log
 * judge checks the kernel log for splats.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define COUNTER_GPA(id)	(GUEST_DATA_GPA + 8 * (id))
#define MMIO_GPA	0xc0000000ULL
#define PORT		0x3f00

enum guest_kind { SPIN, SPIN_CLI, MMIO_LOOP, PIO_LOOP, IN_ONCE };

static void guest_work(u64 kind, u64 id)
{
	u64 *counter = (u64 *)COUNTER_GPA(id);

	if (kind == SPIN_CLI)
		__asm__ __volatile__("cli");
	else if (kind == SPIN)
		__asm__ __volatile__("sti");
	for (;;) {
		if (kind == MMIO_LOOP)
			(void)READ_ONCE(*(u32 *)MMIO_GPA);
		else if (kind == PIO_LOOP)
			guest_outb(PORT, 1);
		else if (kind == IN_ONCE)
			(void)guest_inb(PORT);
		WRITE_ONCE(*counter, *counter + 1);
	}
}

static void *vcpu_loop(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	for (;;)
		if (__vcpu_run(vcpu) && errno != EINTR)
			break;
	return NULL;
}

/* The child: run @n vCPUs of @kinds, tell the parent, wait to be killed. */
static void child(const enum guest_kind *kinds, int n, int ready_fd)
{
	struct kvm_vm *vm = vm_create_guest(GUEST_MODE_LONG64);
	struct timespec ts = { 0, 1000000 };
	pthread_t thread;
	int i;

	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu;

		vcpu = vm_vcpu_add_guest(vm, i, GUEST_ENTRY(guest_work));
		vcpu_args_set(vcpu, 2, (u64)kinds[i], (u64)i);
		if (kinds[i] == IN_ONCE) {
			/* Stop at the IN and leave it unanswered. */
			vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
			continue;
		}
		TEST_ASSERT(!pthread_create(&thread, NULL, vcpu_loop, vcpu),
			    "pthread_create");
	}
	for (i = 0; i < n; i++) {
		u64 *counter = addr_gpa2hva(vm, COUNTER_GPA(i));

		while (kinds[i] != IN_ONCE && READ_ONCE(*counter) < 100)
			nanosleep(&ts, NULL);
	}
	TEST_ASSERT(write(ready_fd, "r", 1) == 1, "write");
	for (;;)
		pause();
}

static const char *kvm_module(void)
{
	if (kmod_loaded("kestrel"))
		return "kestrel";
	if (kmod_loaded("kvm_amd"))
		return "kvm_amd";
	return "kvm_intel";
}

static void kill_running_vmm(struct __test_metadata *_metadata,
			     const enum guest_kind *kinds, int n)
{
	const char *mod = kvm_module();
	int refs = kmod_refcnt(mod), fds[2], status, i;
	struct pollfd pfd;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char c;
	pid_t pid;

	ASSERT_LE(0, refs) TH_LOG("reference count of %s", mod);
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(fds[0]);
		child(kinds, n, fds[1]);
		_exit(1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 60000)) TH_LOG("the child's guests did not start");
	ASSERT_EQ(1, read(fds[0], &c, 1));
	close(fds[0]);
	/* The module is in use while the child's VM lives. */
	EXPECT_LT(refs, kmod_refcnt(mod));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);

	/* Every file of the child is released by the time it is reaped. */
	for (i = 0; i < 100 && kmod_refcnt(mod) != refs; i++)
		usleep(100000);
	EXPECT_EQ(refs, kmod_refcnt(mod)) TH_LOG("reference count of %s", mod);

	/* And KVM still works. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_work));
	vcpu_args_set(vcpu, 2, (u64)PIO_LOOP, 0ULL);
	for (i = 0; i < 3; i++) {
		vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
		EXPECT_EQ(PORT, vcpu->run->io.port);
	}
	EXPECT_EQ(2U, *(u64 *)addr_gpa2hva(vm, COUNTER_GPA(0)));
	EXPECT_EQ(UCALL_NONE, get_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST(killed_one_vcpu_spinning)
{
	static const enum guest_kind kinds[] = { SPIN };

	TEST_REQUIRE_KVM();
	kill_running_vmm(_metadata, kinds, 1);
}

TEST(killed_one_vcpu_spinning_interrupts_off)
{
	static const enum guest_kind kinds[] = { SPIN_CLI };

	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	kill_running_vmm(_metadata, kinds, 1);
}

TEST(killed_four_vcpus_exiting)
{
	static const enum guest_kind kinds[] = {
		SPIN_CLI, MMIO_LOOP, PIO_LOOP, IN_ONCE,
	};

	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	kill_running_vmm(_metadata, kinds, 4);
}

TEST_HARNESS_MAIN
