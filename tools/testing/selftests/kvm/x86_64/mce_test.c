// SPDX-License-Identifier: GPL-2.0
/*
 * Machine checks from the VMM (api.rst: KVM_CAP_MCE,
 * KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE, KVM_X86_SET_MCE): the
 * banks the VMM sets up, corrected errors logged quietly, uncorrected ones
 * raising #MC in the guest, and a second one during a machine check
 * shutting the guest down (SDM vol. 3B, 16.10).
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_MC0_CTL	0x400
#define MCG_CTL_P		BIT_ULL(8)
#define MCG_CMCI_P		BIT_ULL(10)
#define MCG_STATUS_RIPV		BIT_ULL(0)
#define MCG_STATUS_MCIP		BIT_ULL(2)
#define MCI_STATUS_VAL		BIT_ULL(63)
#define MCI_STATUS_OVER		BIT_ULL(62)
#define MCI_STATUS_UC		BIT_ULL(61)
#define X86_CR4_MCE_BIT		BIT_ULL(6)
#define VEC_MC			18U

static u64 msr(struct kvm_vcpu *vcpu, u32 index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_GET_MSRS, &m) == 1, "MSR %#x", index);
	return m.e.data;
}

static int setup_mce(struct kvm_vcpu *vcpu, u64 cap)
{
	return ioctl(vcpu->fd, KVM_X86_SETUP_MCE, &cap) ? -errno : 0;
}

static int set_mce(struct kvm_vcpu *vcpu, u32 bank, u64 status,
		   u64 mcg_status)
{
	struct kvm_x86_mce m = {
		.status = status, .addr = 0x1234000, .misc = 0x86,
		.mcg_status = mcg_status, .bank = bank,
	};

	return ioctl(vcpu->fd, KVM_X86_SET_MCE, &m) ? -errno : 0;
}

TEST(setup)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 supported = 0;
	int fd;

	TEST_REQUIRE_KVM();
	ASSERT_EQ(32, kvm_check_cap(KVM_CAP_MCE));
	fd = kvm_open();
	ASSERT_EQ(0, ioctl(fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported));
	close(fd);
	EXPECT_EQ(MCG_CTL_P, supported & MCG_CTL_P);
	EXPECT_EQ(0ULL, supported & 0xff);

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	EXPECT_EQ(-EINVAL, setup_mce(vcpu, 0));
	EXPECT_EQ(-EINVAL, setup_mce(vcpu, 33));
	if (!(supported & MCG_CMCI_P))
		EXPECT_EQ(-EINVAL, setup_mce(vcpu, 4 | MCG_CMCI_P));
	EXPECT_EQ(0, setup_mce(vcpu, 10 | MCG_CTL_P));
	EXPECT_EQ(10 | MCG_CTL_P, msr(vcpu, MSR_IA32_MCG_CAP));
	EXPECT_EQ(~0ULL, msr(vcpu, MSR_IA32_MCG_CTL));
	EXPECT_EQ(~0ULL, msr(vcpu, MSR_IA32_MC0_CTL + 4 * 9));

	EXPECT_EQ(-EINVAL, set_mce(vcpu, 10, MCI_STATUS_VAL, 0));
	EXPECT_EQ(-EINVAL, set_mce(vcpu, 0, 1, 0));
	vm_free(vm);
}

static void guest_wait(void)
{
	for (;;)
		GUEST_SYNC(1);
}

static struct kvm_vm *mce_vm(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
						      GUEST_ENTRY(guest_wait),
						      vcpu);
	struct kvm_sregs s;

	vcpu_sregs_get(*vcpu, &s);
	s.cr4 |= X86_CR4_MCE_BIT;
	vcpu_sregs_set(*vcpu, &s);
	TEST_ASSERT(!setup_mce(*vcpu, 4 | MCG_CTL_P), "KVM_X86_SETUP_MCE");
	return vm;
}

/* A corrected error is logged (OVER the second time) and raises nothing. */
TEST(corrected)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = mce_vm(&vcpu);
	ASSERT_EQ(0, set_mce(vcpu, 2, MCI_STATUS_VAL | 0x17, 0));
	EXPECT_EQ(MCI_STATUS_VAL | 0x17, msr(vcpu, MSR_IA32_MC0_CTL + 9));
	EXPECT_EQ(0x1234000ULL, msr(vcpu, MSR_IA32_MC0_CTL + 10));
	EXPECT_EQ(0x86ULL, msr(vcpu, MSR_IA32_MC0_CTL + 11));
	ASSERT_EQ(0, set_mce(vcpu, 2, MCI_STATUS_VAL | 0x18, 0));
	EXPECT_EQ(MCI_STATUS_VAL | MCI_STATUS_OVER | 0x18,
		  msr(vcpu, MSR_IA32_MC0_CTL + 9));
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/*
 * An uncorrected error is #MC in the guest with MCG_STATUS as given; one
 * more while MCIP is set is a shutdown.  With MCi_CTL clear it is dropped.
 */
TEST(uncorrected)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = mce_vm(&vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, set_mce(vcpu, 1, MCI_STATUS_VAL | MCI_STATUS_UC,
			     MCG_STATUS_MCIP | MCG_STATUS_RIPV));
	EXPECT_EQ(MCG_STATUS_MCIP | MCG_STATUS_RIPV,
		  msr(vcpu, MSR_IA32_MCG_STATUS));
	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_MC, uc.args[0]);
	vm_free(vm);

	vm = mce_vm(&vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, set_mce(vcpu, 1, MCI_STATUS_VAL | MCI_STATUS_UC,
			     MCG_STATUS_MCIP));
	ASSERT_EQ(0, set_mce(vcpu, 3, MCI_STATUS_VAL | MCI_STATUS_UC,
			     MCG_STATUS_MCIP));
	ASSERT_EQ(0, __vcpu_run(vcpu));
	EXPECT_EQ((u32)KVM_EXIT_SHUTDOWN, vcpu->run->exit_reason);
	vm_free(vm);

	vm = mce_vm(&vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_IA32_MC0_CTL + 4, 0));
	ASSERT_EQ(0, set_mce(vcpu, 1, MCI_STATUS_VAL | MCI_STATUS_UC,
			     MCG_STATUS_MCIP));
	EXPECT_EQ(0ULL, msr(vcpu, MSR_IA32_MC0_CTL + 5));
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
