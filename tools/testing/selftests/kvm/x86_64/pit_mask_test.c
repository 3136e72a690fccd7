// SPDX-License-Identifier: GPL-2.0
/*
 * PIT reinjection across a masked IOAPIC pin, as KVM 6.1 has it: a tick
 * injected while IOAPIC pin 0 is masked is lost, so its ack never comes;
 * KVM's mask notifier resets the reinjection state when the pin is
 * unmasked (i8254.c pit_mask_notifer()), and ticks flow again.  Linux's
 * check_timer() masks and unmasks the timer pin during boot.  Without the
 * mask notifier, in reinject mode (the default) IRQ 0 stops for good
 * after such a tick and this guest waits in HLT until the harness's
 * timeout (what Kestrel did before it had them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"
#include "pit_guest.h"

/* Tick at 100 Hz with pin 0 masked for @masked_tsc, then unmask it. */
static void guest_masked(u64 masked_tsc, u64 want)
{
	u64 t0;

	guest_route_irq0();
	ioapic_write(IOAPIC_REDTBL, IRQ0_VECTOR | IOAPIC_MASKED);
	guest_load_ch0(2, PERIOD_COUNT);
	t0 = rdtsc();
	while (rdtsc() - t0 < masked_tsc)
		guest_pause();
	GUEST_SYNC_ARGS(1, guest_ticks(), 0, 0);
	ioapic_write(IOAPIC_REDTBL, IRQ0_VECTOR);
	while (guest_ticks() < want)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	GUEST_SYNC_ARGS(2, guest_ticks(), 0, 0);
	guest_load_ch0(0, 0);
	GUEST_DONE();
}

TEST(reinject_resumes_after_unmask)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	long khz;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_masked));
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	/* Five periods masked, then three ticks. */
	vcpu_args_set(vcpu, 2, (u64)khz * 50, 3ULL);
	run_sync(_metadata, vcpu, &uc, 1);
	EXPECT_EQ(0u, uc.args[1]);
	run_sync(_metadata, vcpu, &uc, 2);
	EXPECT_LE(3u, uc.args[1]);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
