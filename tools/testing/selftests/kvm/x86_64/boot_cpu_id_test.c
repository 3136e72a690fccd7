// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_BOOT_CPU_ID (api.rst 4.86, KVM_CAP_SET_BOOT_CPU_ID): which vCPU
 * id is the bootstrap processor.  It gets IA32_APIC_BASE.BSP (bit 8, SDM
 * vol. 3A 10.4.4); with an in-kernel APIC it starts RUNNABLE and the
 * others UNINITIALIZED, waiting for INIT/SIPI.  Only before the first
 * vCPU: -EBUSY after, as in KVM 6.1 (which takes any id before).
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MSR_IA32_APICBASE	0x1b
#define APICBASE_BSP		BIT_ULL(8)

static void guest_read_apic_base(void)
{
	GUEST_SYNC_ARGS(1, rdmsr(MSR_IA32_APICBASE), 0, 0);
	GUEST_DONE();
}

static u64 get_apic_base(struct __test_metadata *_metadata,
			 struct kvm_vcpu *vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_APICBASE };

	EXPECT_EQ(1, ioctl(vcpu->fd, KVM_GET_MSRS, &m));
	return m.e.data;
}

static int set_boot_cpu(struct kvm_vm *vm, unsigned long id)
{
	return ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, id) ? -errno : 0;
}

static u32 mp_state(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp;

	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	return mp.mp_state;
}

TEST(cap)
{
	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_SET_BOOT_CPU_ID));
}

/* @bsp < 0: never set (the default, vCPU 0). */
static void check_bsp_bit(struct __test_metadata *_metadata, long bsp)
{
	struct kvm_vcpu *v[3];
	struct kvm_vm *vm = vm_create();
	u32 i;

	if (bsp >= 0)
		ASSERT_EQ(0, set_boot_cpu(vm, bsp));
	for (i = 0; i < 3; i++) {
		v[i] = vm_vcpu_add(vm, i);
		EXPECT_EQ(i == (bsp < 0 ? 0 : bsp) ? APICBASE_BSP : 0,
			  get_apic_base(_metadata, v[i]) & APICBASE_BSP)
			TH_LOG("boot CPU %ld, vCPU %u", bsp, i);
	}
	vm_free(vm);
}

TEST(apic_base_bsp_bit)
{
	TEST_REQUIRE_KVM();
	check_bsp_bit(_metadata, -1);
	check_bsp_bit(_metadata, 0);
	check_bsp_bit(_metadata, 2);
	check_bsp_bit(_metadata, 1);
	/* An id no vCPU gets: no BSP at all. */
	check_bsp_bit(_metadata, 7);
}

TEST(busy_once_a_vcpu_exists)
{
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	/* As often as wanted before the first vCPU. */
	EXPECT_EQ(0, set_boot_cpu(vm, 3));
	EXPECT_EQ(0, set_boot_cpu(vm, 1));
	vm_vcpu_add(vm, 0);
	EXPECT_EQ(-EBUSY, set_boot_cpu(vm, 0));
	EXPECT_EQ(-EBUSY, set_boot_cpu(vm, 1));
	vm_vcpu_add(vm, 1);
	EXPECT_EQ(-EBUSY, set_boot_cpu(vm, 1));
	vm_free(vm);
}

/* With the in-kernel APIC the BSP runs and the APs wait for SIPI. */
TEST(in_kernel_apic_starts_the_bsp)
{
	struct kvm_vcpu *ap, *bsp;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, set_boot_cpu(vm, 1));
	ap = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_read_apic_base));
	bsp = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_read_apic_base));
	EXPECT_EQ((u32)KVM_MP_STATE_UNINITIALIZED, mp_state(_metadata, ap));
	EXPECT_EQ((u32)KVM_MP_STATE_RUNNABLE, mp_state(_metadata, bsp));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(bsp, &uc));
	EXPECT_EQ(APICBASE_BSP, uc.args[1] & APICBASE_BSP);
	EXPECT_EQ(APICBASE_BSP, bsp->run->apic_base & APICBASE_BSP);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(bsp, &uc));
	EXPECT_EQ(0U, get_apic_base(_metadata, ap) & APICBASE_BSP);
	EXPECT_EQ(-EBUSY, set_boot_cpu(vm, 0));
	vm_free(vm);
}

TEST_HARNESS_MAIN
