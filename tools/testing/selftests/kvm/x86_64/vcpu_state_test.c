// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state ioctls without an in-kernel irqchip, as api.rst and stock KVM
 * 6.1 define them: KVM_GET/SET_DEBUGREGS (and the guest's own view of its
 * debug registers), KVM_GET/SET_MP_STATE, KVM_GET/SET_XCRS,
 * KVM_GET/SET_XSAVE(2) consistent with KVM_GET/SET_FPU and with what the
 * guest sees in its SSE registers, KVM_SET_TSS_ADDR and
 * KVM_SET_IDENTITY_MAP_ADDR.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

/* Offsets in the legacy FXSAVE area (SDM vol. 1, 10.5.1, table 10-2). */
#define FXSAVE_MXCSR	24
#define FXSAVE_XMM(n)	(160 + 16 * (n))
/* XSAVE header, XSTATE_BV at byte 512 (SDM vol. 1, 13.4.2). */
#define XSAVE_XSTATE_BV	512

/* DR7 with only the exact-breakpoint bit: arms nothing. */
#define DR7_TEST	0x500ULL

static void guest_debugregs(u64 dr1)
{
	u64 dr0, dr7;

	__asm__ __volatile__("mov %%dr0, %0" : "=r"(dr0));
	__asm__ __volatile__("mov %0, %%dr1" : : "r"(dr1));
	__asm__ __volatile__("mov %%dr7, %0" : "=r"(dr7));
	/* LE and GE: no breakpoint armed. */
	__asm__ __volatile__("mov %0, %%dr7" : : "r"(0x700ULL));
	GUEST_SYNC_ARGS(1, dr0, dr7, 0);
	GUEST_DONE();
}

TEST(debugregs)
{
	struct kvm_debugregs d, got;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_debugregs), &vcpu);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &d));
	EXPECT_EQ(0xffff0ff0ULL, d.dr6);
	EXPECT_EQ(0x400ULL, d.dr7);

	d.db[0] = 0x1234000;
	d.db[3] = 0x5678000;
	d.dr7 = DR7_TEST;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d));
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &got));
	EXPECT_EQ(0x1234000ULL, got.db[0]);
	EXPECT_EQ(0x5678000ULL, got.db[3]);
	EXPECT_EQ(DR7_TEST, got.dr7);

	/* Flags, and DR6/DR7 bits 63:32, are reserved. */
	got.flags = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &got));
	EXPECT_EQ(EINVAL, errno);
	got.flags = 0;
	got.dr7 = 1ULL << 32;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &got));
	EXPECT_EQ(EINVAL, errno);
	got.dr7 = DR7_TEST;
	got.dr6 = 1ULL << 40;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &got));
	EXPECT_EQ(EINVAL, errno);

	/* The guest reads what the host set, and its writes reach the host. */
	vcpu_args_set(vcpu, 1, 0xabcd000ULL);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x1234000ULL, uc.args[1]);
	EXPECT_EQ(DR7_TEST, uc.args[2]);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &got));
	EXPECT_EQ(0xabcd000ULL, got.db[1]);
	EXPECT_EQ(0x1234000ULL, got.db[0]);
	EXPECT_EQ(0x700ULL, got.dr7);
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_done(void)
{
	GUEST_DONE();
}

/*
 * A segment set not present comes back unusable and not present, before
 * and after the guest ran (on VMX the "unusable" bit of the VMCS's access
 * rights, on SVM the present bit), as KVM reports it on both.  In 64-bit
 * mode DS is not used, so the guest runs with it so.
 */
TEST(unusable_segment)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_done), &vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(1, sregs.ds.present);
	EXPECT_EQ(0, sregs.ds.unusable);
	sregs.ds.present = 0;
	sregs.ds.selector = 0;
	vcpu_sregs_set(vcpu, &sregs);
	memset(&sregs, 0xff, sizeof(sregs));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.ds.present);
	EXPECT_EQ(1, sregs.ds.unusable);
	EXPECT_EQ(1, sregs.cs.present);
	EXPECT_EQ(0, sregs.cs.unusable);

	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.ds.present);
	EXPECT_EQ(1, sregs.ds.unusable);
	vm_free(vm);
}

/* Without an in-kernel LAPIC, RUNNABLE is the only state (api.rst 4.38). */
TEST(mp_state_without_irqchip)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_RUNNABLE, mp.mp_state);
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

static int set_xcr0(struct kvm_vcpu *vcpu, u64 xcr0, u32 flags, u32 nr)
{
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	x.nr_xcrs = nr;
	x.flags = flags;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = xcr0;
	return ioctl(vcpu->fd, KVM_SET_XCRS, &x) ? -errno : 0;
}

/* XCR0 rules (SDM vol. 1, 13.3) that hold whatever the guest's CPUID. */
TEST(xcrs)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_xcrs x;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_XCRS))
		SKIP(return, "no KVM_CAP_XCRS (host without XSAVE)");
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	memset(&x, 0xff, sizeof(x));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XCRS, &x));
	EXPECT_EQ(1U, x.nr_xcrs);
	EXPECT_EQ(0U, x.xcrs[0].xcr);
	EXPECT_EQ(1ULL, x.xcrs[0].value);	/* x87 only after reset */

	EXPECT_EQ(0, set_xcr0(vcpu, 1, 0, 1));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 0, 0, 1));	/* x87 is mandatory */
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 5, 0, 1));	/* AVX without SSE */
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 1, 1));	/* flags */
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1, 0, KVM_MAX_XCRS + 1));
	vm_free(vm);
}

static void guest_sse(void)
{
	u64 lo0, lo1;

	__asm__ __volatile__("movq %%xmm0, %0" : "=r"(lo0));
	__asm__ __volatile__("movq %%xmm1, %0" : "=r"(lo1));
	GUEST_SYNC_ARGS(1, lo0, lo1, 0);
	__asm__ __volatile__("movq %0, %%xmm2" : : "r"(0x1122334455667788ULL));
	GUEST_SYNC(2);
	GUEST_DONE();
}

TEST(xsave_fpu_and_guest_agree)
{
	struct kvm_xsave *xs = calloc(1, sizeof(*xs)), *xs2;
	struct kvm_vcpu *vcpu;
	struct kvm_fpu fpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 v = 0xdeadbeefcafef00dULL, w = 0x0123456789abcdefULL;
	u32 mxcsr;
	int size;

	TEST_REQUIRE_KVM();
	ASSERT_NE(NULL, xs);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_sse), &vcpu);

	/*
	 * KVM_SET_XSAVE shows in KVM_GET_FPU.  XSTATE_BV must say that the
	 * x87/SSE part is not in its initial state, or XRSTOR ignores it.
	 */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	*(u64 *)((u8 *)xs->region + XSAVE_XSTATE_BV) |= 3;
	memcpy((u8 *)xs->region + FXSAVE_XMM(1), &w, sizeof(w));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_XSAVE, xs));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	EXPECT_EQ(0, memcmp(fpu.xmm[1], &w, sizeof(w)));

	/*
	 * ...and KVM_SET_FPU in KVM_GET_XSAVE's legacy area.  (Stock 6.1
	 * does not update XSTATE_BV in KVM_SET_FPU, so on a vCPU whose x87/SSE
	 * state is still initial its KVM_SET_FPU has no effect; Kestrel's
	 * does.  Hence KVM_SET_XSAVE first.)
	 */
	memcpy(fpu.xmm[0], &v, sizeof(v));
	fpu.mxcsr = 0x1f80;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_FPU, &fpu));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	EXPECT_EQ(0, memcmp((u8 *)xs->region + FXSAVE_XMM(0), &v, sizeof(v)));
	EXPECT_EQ(0, memcmp((u8 *)xs->region + FXSAVE_XMM(1), &w, sizeof(w)));
	memcpy(&mxcsr, (u8 *)xs->region + FXSAVE_MXCSR, sizeof(mxcsr));
	EXPECT_EQ(0x1f80U, mxcsr);

	/* The guest sees both, and its own write comes back. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(v, uc.args[1]);
	EXPECT_EQ(w, uc.args[2]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2U, uc.args[0]);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	EXPECT_EQ(0x1122334455667788ULL, *(u64 *)fpu.xmm[2]);

	/* KVM_GET_XSAVE2 gives the same state in a buffer of the cap's size. */
	size = kvm_check_cap(KVM_CAP_XSAVE2);
	if (size > 0) {
		ASSERT_LE((int)sizeof(*xs), size);
		xs2 = calloc(1, size);
		ASSERT_NE(NULL, xs2);
		ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE2, xs2));
		ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
		EXPECT_EQ(0, memcmp(xs->region, xs2->region, 512));
		free(xs2);
	}

	/* A reserved MXCSR bit, or an XSTATE_BV bit beyond XCR0, is refused. */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	mxcsr = 1U << 31;
	memcpy((u8 *)xs->region + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_XSAVE, xs));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	*(u64 *)((u8 *)xs->region + XSAVE_XSTATE_BV) |= 1ULL << 62;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_XSAVE, xs));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	free(xs);
	vm_free(vm);
}

/*
 * KVM_GET/SET_TSC_KHZ on a host without TSC scaling (the emulated one):
 * the host's rate (or 0, meaning it) is accepted, a lower one is not.
 */
TEST(tsc_khz)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int khz;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	if (kvm_check_cap(KVM_CAP_TSC_CONTROL))
		SKIP(goto out, "host scales the TSC");
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_TSC_KHZ, khz));
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_TSC_KHZ, 0));
	EXPECT_EQ(khz, ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0));
	/* (Stock 6.1 records the refused rate anyway: not checked after.) */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_TSC_KHZ, khz / 2));
	EXPECT_EQ(EINVAL, errno);
out:
	vm_free(vm);
}

/*
 * The TSS and identity-map addresses matter only to VMX without
 * unrestricted guest; KVM still checks them as api.rst says.
 */
TEST(tss_and_identity_map_addr)
{
	u64 addr = 0xfffbc000;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	EXPECT_EQ(0, ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL));
	/* The TSS takes three pages below 4 GiB. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffff000UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	/* Only before the first vCPU exists. */
	vm_vcpu_add(vm, 0);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

TEST_HARNESS_MAIN
