// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_GUEST_DEBUG (api.rst 4.80): single-stepping and #DB injection.
 * Not tested here, because the emulated host (QEMU TCG) cannot: software
 * breakpoints (its INT3 does not raise the #BP intercept) and hardware
 * breakpoints (a nested guest's DR7 breakpoints never fire, on stock KVM
 * either).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

/* Labels in the guest's code, at their link addresses (identity mapped). */
extern char ss_start[], ss_1[], ss_2[], ss_3[];

static void guest_code(void)
{
	GUEST_SYNC(1);
	__asm__ __volatile__("ss_start: nop\n\t"
			     "ss_1: nop\n\t"
			     "ss_2: nop\n\t"
			     "ss_3: nop\n\t");
	GUEST_DONE();
}

static void set_debug(struct __test_metadata *_metadata,
		      struct kvm_vcpu *vcpu, u32 control, u64 dr0, u64 dr7)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	dbg.arch.debugreg[0] = dr0;
	dbg.arch.debugreg[7] = dr7;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
}

TEST(single_step)
{
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	struct ucall uc;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_code), &vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	set_debug(_metadata, vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
		  0, 0);

	/* Step out of the ucall code to the first label... */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, __vcpu_run(vcpu));
		ASSERT_EQ((u32)KVM_EXIT_DEBUG, vcpu->run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
		EXPECT_EQ(1U, vcpu->run->debug.arch.exception);
		if (vcpu->run->debug.arch.pc == (u64)ss_start)
			break;
	}
	ASSERT_GT(1000, i);
	/* ...then one instruction per KVM_RUN, DR6.BS set each time. */
	ASSERT_EQ(0, __vcpu_run(vcpu));
	EXPECT_EQ((u64)ss_1, vcpu->run->debug.arch.pc);
	EXPECT_TRUE(!!(vcpu->run->debug.arch.dr6 & (1 << 14)));
	ASSERT_EQ(0, __vcpu_run(vcpu));
	EXPECT_EQ((u64)ss_2, vcpu->run->debug.arch.pc);
	ASSERT_EQ(0, __vcpu_run(vcpu));
	EXPECT_EQ((u64)ss_3, vcpu->run->debug.arch.pc);
	/* The trap flag is the debugger's, not in the guest's RFLAGS. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ((u64)ss_3, regs.rip);
	EXPECT_EQ(0ULL, regs.rflags & (1 << 8));

	set_debug(_metadata, vcpu, 0, 0, 0);
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST(inject_db)
{
	struct kvm_guest_debug dbg;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_code), &vcpu);
	memset(&dbg, 0, sizeof(dbg));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_DB;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	/* A second injection while the first is pending is -EBUSY. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EBUSY, errno);
	/* The guest's IDT stub for #DB reports it. */
	ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
