// SPDX-License-Identifier: GPL-2.0
/*
 * Getting a vCPU out of KVM_RUN: kvm_run.immediate_exit (api.rst 5,
 * "immediate_exit") and signals.  KVM_RUN returns -EINTR:
 *  - with immediate_exit set, at once and without running the guest, but
 *    after completing a pending IN (api.rst: "to complete pending
 *    operations without allowing any further instructions to be
 *    executed").  Stock KVM does not write exit_reason then: it keeps the
 *    value of the previous exit;
 *  - when a signal with a handler arrives while the guest runs, with
 *    exit_reason KVM_EXIT_INTR, also if the guest spins with interrupts
 *    disabled (cli; jmp .): the host's own interrupts still end guest
 *    execution;
 *  - a guest spinning with interrupts off does not starve the host CPU it
 *    runs on: another thread pinned to that CPU keeps being scheduled.
 *    (Bochs 2.7's VMX does not exit on host interrupts while the guest's
 *    RFLAGS.IF is 0: the VMX backend bounds every run with the
 *    VMX-preemption timer for that.)
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define PORT		0x3f00
/* In GUEST_DATA_GPA's page; plain numbers for the assembly below. */
#define COUNTER_GPA	0x20100
#define STOP_GPA	0x20108

static void guest_in_then_sync(void)
{
	WRITE_ONCE(*(u64 *)COUNTER_GPA, 1);
	GUEST_SYNC(guest_inl(PORT));
	GUEST_DONE();
}

TEST(immediate_exit)
{
	struct kvm_vcpu *vcpu;
	struct kvm_regs before, regs;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 *counter;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_in_then_sync), &vcpu);
	run = vcpu->run;
	counter = addr_gpa2hva(vm, COUNTER_GPA);

	/* Before the first run: nothing runs. */
	vcpu_regs_get(vcpu, &before);
	run->immediate_exit = 1;
	run->exit_reason = 0x5a5a;
	EXPECT_EQ(-EINTR, __vcpu_run(vcpu));
	EXPECT_EQ(0x5a5aU, run->exit_reason);
	EXPECT_EQ(0U, *counter);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(before.rip, regs.rip);
	/* Again: the same. */
	EXPECT_EQ(-EINTR, __vcpu_run(vcpu));
	EXPECT_EQ(0U, *counter);

	/* Run to the IN; answer it and leave with immediate_exit. */
	run->immediate_exit = 0;
	vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	EXPECT_EQ(1U, *counter);
	EXPECT_EQ(KVM_EXIT_IO_IN, run->io.direction);
	EXPECT_EQ(4, run->io.size);
	vcpu_regs_get(vcpu, &before);
	*(u32 *)((char *)run + run->io.data_offset) = 0xc0ffee;
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, __vcpu_run(vcpu));
	/* exit_reason is not rewritten: still the IN's. */
	EXPECT_EQ((u32)KVM_EXIT_IO, run->exit_reason);
	/* The IN completed: EAX has the data, RIP is past the 1-byte IN. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0xc0ffeeU, regs.rax);
	EXPECT_EQ(before.rip + 1, regs.rip);

	run->immediate_exit = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xc0ffeeU, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* Count in guest memory until the host sets the stop flag. */
static void guest_spin(void)
{
	u64 *counter = (u64 *)COUNTER_GPA;
	u64 *stop = (u64 *)STOP_GPA;

	while (!READ_ONCE(*stop))
		WRITE_ONCE(*counter, *counter + 1);
	GUEST_DONE();
}

/* The same with interrupts disabled, in assembly. */
__asm__(".pushsection .text\n"
	"guest_spin_cli:\n"
	"	cli\n"
	"1:	incq " KVM_STR(COUNTER_GPA) "\n"
	"	cmpq $0, " KVM_STR(STOP_GPA) "\n"
	"	je 1b\n"
	/* GUEST_DONE(): ucall(UCALL_DONE, 0, 0, 0, 0), stack aligned. */
	"	sub $8, %rsp\n"
	"	movl $" KVM_STR(UCALL_DONE) ", %edi\n"
	"	xorl %esi, %esi\n"
	"	xorl %edx, %edx\n"
	"	xorl %ecx, %ecx\n"
	"	xorl %r8d, %r8d\n"
	"	call ucall\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	".popsection\n");

struct runner {
	struct kvm_vcpu *vcpu;
	int ret;
	u32 exit_reason;
};

static void *run_once(void *arg)
{
	struct runner *r = arg;

	r->ret = __vcpu_run(r->vcpu);
	r->exit_reason = r->vcpu->run->exit_reason;
	return NULL;
}

static int signals_seen;

static void on_sigusr1(int sig)
{
	__atomic_add_fetch(&signals_seen, 1, __ATOMIC_RELAXED);
}

static void wait_for_count(struct __test_metadata *_metadata,
			   u64 *counter, u64 n)
{
	struct timespec ts = { 0, 1000000 };
	int ms;

	for (ms = 0; ms < 10000 && READ_ONCE(*counter) < n; ms++)
		nanosleep(&ts, NULL);
	ASSERT_LE(n, READ_ONCE(*counter))
		TH_LOG("the guest did not count to %llu", n);
}

static void interrupt_spinning_guest(struct __test_metadata *_metadata,
				     u64 entry)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	u64 *counter, *stop;
	struct runner r = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thread;
	u64 seen;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	WRITE_ONCE(signals_seen, 0);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, entry, &vcpu);
	counter = addr_gpa2hva(vm, COUNTER_GPA);
	stop = addr_gpa2hva(vm, STOP_GPA);
	r.vcpu = vcpu;

	ASSERT_EQ(0, pthread_create(&thread, NULL, run_once, &r));
	/* The guest runs (and keeps running across host interrupts). */
	wait_for_count(_metadata, counter, 1000);
	seen = READ_ONCE(*counter);
	wait_for_count(_metadata, counter, seen + 1000);
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-EINTR, r.ret);
	EXPECT_EQ((u32)KVM_EXIT_INTR, r.exit_reason)
		TH_LOG("exit_reason %s", exit_reason_str(r.exit_reason));
	EXPECT_EQ(1, READ_ONCE(signals_seen));

	/* It stopped: the counter no longer moves. */
	seen = READ_ONCE(*counter);
	usleep(10000);
	EXPECT_EQ(seen, READ_ONCE(*counter));

	/* Resumable: from this thread, to the end. */
	WRITE_ONCE(*stop, 1);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST(signal_interrupts_guest)
{
	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	interrupt_spinning_guest(_metadata, GUEST_ENTRY(guest_spin));
}

TEST(signal_interrupts_guest_with_interrupts_off)
{
	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	interrupt_spinning_guest(_metadata, ASM_SYMBOL_ADDR(guest_spin_cli));
}

static void pin_to_cpu0(struct __test_metadata *_metadata)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
}

static void *run_pinned(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return run_once(arg);
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * This thread and the vCPU's share CPU 0: while the guest spins with
 * interrupts off, 1 ms sleeps here must still end, dozens of times in a
 * few seconds (no exact count: emulated hosts are slow and noisy).  A
 * host that cannot get the CPU back never returns from this test: the
 * runner's timeout reports it.
 */
TEST(host_keeps_cpu_while_guest_spins_with_interrupts_off)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct timespec ms = { 0, 1000000 };
	struct runner r = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thread;
	u64 *counter, start;
	int wakeups = 0;

	TEST_REQUIRE_KVM();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	pin_to_cpu0(_metadata);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       ASM_SYMBOL_ADDR(guest_spin_cli), &vcpu);
	counter = addr_gpa2hva(vm, COUNTER_GPA);
	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_pinned, &r));
	wait_for_count(_metadata, counter, 1000);

	start = now_ms();
	while (wakeups < 50 && now_ms() - start < 60000) {
		nanosleep(&ms, NULL);
		wakeups++;
	}
	EXPECT_EQ(50, wakeups) TH_LOG("%d wakeups in %llu ms", wakeups,
				      now_ms() - start);
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-EINTR, r.ret);
	EXPECT_EQ((u32)KVM_EXIT_INTR, r.exit_reason);

	WRITE_ONCE(*(u64 *)addr_gpa2hva(vm, STOP_GPA), 1);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
