// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU device attributes (KVM_CAP_VCPU_ATTRIBUTES; api.rst 4.80-4.82,
 * Documentation/virt/kvm/devices/vcpu.rst 4.1): KVM_VCPU_TSC_CTRL /
 * KVM_VCPU_TSC_OFFSET, the guest TSC's offset from the host's.  The guest
 * reads host TSC + offset, KVM_GET_MSRS(IA32_TSC) too, GET returns what
 * SET gave; unknown groups and attributes are -ENXIO, bad addresses
 * -EFAULT.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MSR_IA32_TSC	0x10
#define BAD_ADDR	8ULL		/* never mapped */

static void guest_rdtsc(void)
{
	for (;;)
		GUEST_SYNC_ARGS(1, rdtsc(), 0, 0);
}

static u64 host_rdtsc(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static int attr(struct kvm_vcpu *vcpu, unsigned long ioctl_nr, u32 group,
		u64 a, u64 addr)
{
	struct kvm_device_attr d = { .group = group, .attr = a, .addr = addr };

	return ioctl(vcpu->fd, ioctl_nr, &d) ? -errno : 0;
}

static int set_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	return attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
		    KVM_VCPU_TSC_OFFSET, (uintptr_t)&offset);
}

static u64 get_offset(struct __test_metadata *_metadata,
		      struct kvm_vcpu *vcpu)
{
	u64 offset = 0x5a5a5a5a;

	EXPECT_EQ(0, attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			  KVM_VCPU_TSC_OFFSET, (uintptr_t)&offset));
	return offset;
}

TEST(cap_and_bad_input)
{
	unsigned long ops[] = { KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
				KVM_SET_DEVICE_ATTR };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 v = 0;
	u32 i;

	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_VCPU_ATTRIBUTES));
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	EXPECT_EQ(0, attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			  KVM_VCPU_TSC_OFFSET, 0));
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		EXPECT_EQ(-ENXIO, attr(vcpu, ops[i], KVM_VCPU_TSC_CTRL, 1,
				       (uintptr_t)&v));
		EXPECT_EQ(-ENXIO, attr(vcpu, ops[i], KVM_VCPU_TSC_CTRL,
				       1ULL << 32, (uintptr_t)&v));
		EXPECT_EQ(-ENXIO, attr(vcpu, ops[i], 1, KVM_VCPU_TSC_OFFSET,
				       (uintptr_t)&v));
		EXPECT_EQ(-EFAULT, ioctl(vcpu->fd, ops[i], BAD_ADDR) ? -errno : 0);
	}
	EXPECT_EQ(-EFAULT, attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				KVM_VCPU_TSC_OFFSET, BAD_ADDR));
	EXPECT_EQ(-EFAULT, attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				KVM_VCPU_TSC_OFFSET, BAD_ADDR));
	/* Not a VM ioctl on x86 in 6.1. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &v));
	vm_free(vm);
}

TEST(offset_round_trip)
{
	static const u64 offsets[] = { 0, 180000000000ULL, -180000000000ULL,
				       1ULL << 62 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 i;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		ASSERT_EQ(0, set_offset(vcpu, offsets[i]));
		EXPECT_EQ(offsets[i], get_offset(_metadata, vcpu));
	}
	vm_free(vm);
}

/* The guest and KVM_GET_MSRS see host TSC + offset. */
TEST(guest_sees_offset)
{
	static const u64 offsets[] = { 0, 180000000000ULL, -180000000000ULL };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 start, end;
	u32 i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_rdtsc), &vcpu);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		ASSERT_EQ(0, set_offset(vcpu, offsets[i]));
		start = host_rdtsc() + offsets[i];
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(1, ioctl(vcpu->fd, KVM_GET_MSRS, &m));
		end = host_rdtsc() + offsets[i];
		EXPECT_LE(start, uc.args[1]);
		EXPECT_LE(uc.args[1], m.e.data);
		EXPECT_LE(m.e.data, end);
	}
	vm_free(vm);
}

TEST_HARNESS_MAIN
