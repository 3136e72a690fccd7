// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX only (skips elsewhere, with the reason): a VM entry whose
 * guest-state checks fail (SDM vol. 3C, 26.3.1) is KVM_RUN returning 0
 * with KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason the full exit
 * reason: bit 31 "VM-entry failure" | 33 "invalid guest state" (appendix
 * C), as stock kvm-intel 6.1 reports it.  The state is one KVM_SET_SREGS
 * accepts (KVM leaves these checks to the CPU with unrestricted guest).
 * The SVM counterpart is guest_state_test's fail_entry.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define VMX_FAIL_INVALID_GUEST_STATE	0x80000021ULL

static void guest_done(void)
{
	GUEST_DONE();
}

static void expect_fail_entry(struct __test_metadata *_metadata,
			      void (*mangle)(struct kvm_sregs *),
			      const char *what)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_done), &vcpu);
	run = vcpu->run;
	vcpu_sregs_get(vcpu, &sregs);
	mangle(&sregs);
	ASSERT_EQ(0, __vcpu_sregs_set(vcpu, &sregs)) TH_LOG("%s", what);
	ASSERT_EQ(0, __vcpu_run(vcpu)) TH_LOG("%s", what);
	EXPECT_EQ((u32)KVM_EXIT_FAIL_ENTRY, run->exit_reason)
		TH_LOG("%s: exit_reason %s", what,
		       exit_reason_str(run->exit_reason));
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		EXPECT_EQ(VMX_FAIL_INVALID_GUEST_STATE,
			  run->fail_entry.hardware_entry_failure_reason)
			TH_LOG("%s: reason %#llx", what,
			       run->fail_entry.hardware_entry_failure_reason);
		EXPECT_GT((u32)host_max_cpu() + 1, run->fail_entry.cpu);
	}

	/* Nothing is broken for good: with sane state the guest runs. */
	vcpu_sregs_get(vcpu, &sregs);
	sregs.tr.type = 11;
	sregs.cs.db = 0;
	ASSERT_EQ(0, __vcpu_sregs_set(vcpu, &sregs));
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc)) TH_LOG("%s", what);
	vm_free(vm);
}

/* In IA-32e mode TR must be a busy 64-bit TSS, type 11 (26.3.1.2). */
static void tr_not_busy_tss(struct kvm_sregs *sregs)
{
	sregs->tr.type = 9;
}

/* In IA-32e mode a 64-bit CS (L=1) must have D=0 (26.3.1.2). */
static void long_mode_cs_l_and_d(struct kvm_sregs *sregs)
{
	sregs->cs.db = 1;
}

TEST(fail_entry_invalid_guest_state)
{
	TEST_REQUIRE_KVM();
	if (!host_cpu_has("vmx"))
		SKIP(return, "not a VMX host: VM-entry checks are Intel's (SVM: guest_state_test)");
	expect_fail_entry(_metadata, tr_not_busy_tss, "TR type 9");
	expect_fail_entry(_metadata, long_mode_cs_l_and_d, "CS.L and CS.D");
}

TEST_HARNESS_MAIN
