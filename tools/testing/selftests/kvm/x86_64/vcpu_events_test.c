// SPDX-License-Identifier: GPL-2.0
/*
 * Events with the interrupt controller in userspace (api.rst 4.31
 * KVM_GET/SET_VCPU_EVENTS, 4.16 KVM_INTERRUPT, and kvm_run's
 * request_interrupt_window / ready_for_interrupt_injection / if_flag):
 * an exception or interrupt set from userspace reaches the guest, and
 * the interrupt window exits when the guest enables interrupts.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define PORT	0x3f10

/* Report the vector of whatever the host injects (library IDT stubs). */
static void guest_wait(void)
{
	for (;;)
		GUEST_SYNC(1);
}

TEST(events_round_trip_and_exception_injection)
{
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_wait), &vcpu);
	memset(&ev, 0xff, sizeof(ev));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.exception.injected);
	EXPECT_EQ(0, ev.interrupt.injected);
	EXPECT_EQ(0, ev.nmi.injected);
	EXPECT_TRUE(!!(ev.flags & KVM_VCPUEVENT_VALID_SHADOW));
	EXPECT_TRUE(!!(ev.flags & KVM_VCPUEVENT_VALID_NMI_PENDING));

	/* Bad input: unknown flags, exception vector > 31 or NMI's. */
	ev.flags = 1U << 20;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 32;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);
	ev.exception.nr = 2;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);

	/* An injected #UD comes back from GET and reaches the guest. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	ev.exception.injected = 1;
	ev.exception.nr = 6;
	ev.exception.has_error_code = 0;
	ev.flags = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(1, ev.exception.injected);
	EXPECT_EQ(6, ev.exception.nr);
	ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(6U, uc.args[0]);
	/* Delivered: nothing left to inject. */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.exception.injected);
	vm_free(vm);
}

TEST(interrupt_shadow_round_trip)
{
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.interrupt.shadow);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_NE(0U, ev.interrupt.shadow);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.interrupt.shadow);
	vm_free(vm);
}

/*
 * out (IF=0); busy loop; sti; nop; out (IF=1); loop.  The window exit
 * comes once interrupts are on and the STI shadow is over.
 */
static void guest_interrupt_window(void)
{
	__asm__ __volatile__("cli");
	guest_outb(PORT, 1);
	for (int i = 0; i < 1000; i++)
		__asm__ __volatile__("" : : : "memory");
	__asm__ __volatile__("sti; nop");
	guest_outb(PORT, 2);
	for (;;)
		__asm__ __volatile__("nop");
}

TEST(kvm_interrupt_and_window)
{
	struct kvm_interrupt irq = { .irq = 5 };
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_interrupt_window),
				       &vcpu);
	run = vcpu->run;
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);

	/* Ask to hear when the guest can take an interrupt. */
	run->request_interrupt_window = 1;
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IRQ_WINDOW_OPEN, run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;

	/*
	 * Bad input, then an interrupt; with the whole irqchip in userspace a
	 * second one before delivery replaces the first (KVM 6.1).
	 */
	irq.irq = 256;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
	irq.irq = 5;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	irq.irq = 7;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	/* The library's IDT stub for the vector reports it. */
	ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(7U, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
