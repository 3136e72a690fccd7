// SPDX-License-Identifier: GPL-2.0
/*
 * XSAVE as CPUID describes it: leaf 0Dh and the XSAVE/AVX bits in
 * KVM_GET_SUPPORTED_CPUID, guest XCR0 and CR4 limited to what the vCPU's
 * CPUID offers (XSETBV and MOV CR4 #GP, KVM_SET_XCRS and KVM_SET_SREGS
 * -EINVAL), CPUID.(0Dh,0):EBX following the guest's XCR0, and AVX state
 * set by the guest read back with KVM_GET_XSAVE.
 *
 * SDM vol. 1, 13.2-13.4 (XSAVE enumeration and layout); SDM vol. 2B MOV
 * to CR4 and vol. 2C XSETBV; KVM 6.1's kvm_set_xcr()/kvm_is_valid_cr4().
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MAX_ENTRIES		256

#define LEAF1_ECX_XSAVE		BIT(26)
#define LEAF1_ECX_OSXSAVE	BIT(27)
#define LEAF1_ECX_AVX		BIT(28)
#define LEAF7_EBX_SMEP		BIT(7)
#define LEAF7_EBX_AVX2		BIT(5)
#define LEAF7_EBX_AVX512F	BIT(16)
#define X86_CR4_PGE_BIT		BIT(7)
#define X86_CR4_OSXSAVE_BIT	BIT(18)
#define X86_CR4_SMEP_BIT	BIT(20)

#define XFEATURE_FP		BIT(0)
#define XFEATURE_SSE		BIT(1)
#define XFEATURE_YMM		BIT(2)
#define XFEATURE_AVX512		(BIT(5) | BIT(6) | BIT(7))
#define VEC_GP			13U

struct cpuid2 {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[MAX_ENTRIES];
};

static struct cpuid2 *supported_cpuid(void)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));
	int fd = kvm_open();

	TEST_ASSERT(c, "calloc");
	c->h.nent = MAX_ENTRIES;
	TEST_ASSERT(!ioctl(fd, KVM_GET_SUPPORTED_CPUID, c),
		    "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	close(fd);
	return c;
}

static struct kvm_cpuid_entry2 *find(struct cpuid2 *c, u32 function,
				     u32 index)
{
	u32 i;

	for (i = 0; i < c->h.nent; i++)
		if (c->e[i].function == function && c->e[i].index == index)
			return &c->e[i];
	return NULL;
}

static u64 supported_xcr0(struct cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = find(c, 0xd, 0);

	return e ? e->eax | ((u64)e->edx << 32) : 0;
}

static int set_cpuid(struct kvm_vcpu *vcpu, struct cpuid2 *c)
{
	return ioctl(vcpu->fd, KVM_SET_CPUID2, c) ? -errno : 0;
}

static int set_xcr0(struct kvm_vcpu *vcpu, u64 xcr0)
{
	struct kvm_xcrs x = { .nr_xcrs = 1 };

	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = xcr0;
	return ioctl(vcpu->fd, KVM_SET_XCRS, &x) ? -errno : 0;
}

/*
 * Leaf 0Dh is consistent with itself and with the feature bits: XSAVE
 * exactly when some state can be enabled, x87 and SSE always among it,
 * each component's subleaf inside the maximum size, AVX and AVX-512 only
 * with their state components.
 */
TEST(supported_leaf_d)
{
	struct cpuid2 *c;
	struct kvm_cpuid_entry2 *l1, *l7, *d0, *di;
	u64 xcr0;
	u32 a, b, cx, d;
	int i;

	TEST_REQUIRE_KVM();
	c = supported_cpuid();
	xcr0 = supported_xcr0(c);
	l1 = find(c, 1, 0);
	l7 = find(c, 7, 0);
	ASSERT_TRUE(l1 && l7);
	__cpuid(1, a, b, cx, d);
	/*
	 * KVM offers XSAVE when the host kernel uses it, not whenever CPUID
	 * has it: Linux 6.1 turns XSAVE off on Bochs's corei7_skylake_x
	 * (its XSAVE area sizes do not add up), CPUID still says XSAVE.
	 */
	if (!(cx & LEAF1_ECX_XSAVE) || !host_cpu_has("xsave")) {
		EXPECT_EQ(0U, l1->ecx & LEAF1_ECX_XSAVE);
		EXPECT_EQ(0U, xcr0);
		free(c);
		return;
	}
	EXPECT_EQ(LEAF1_ECX_XSAVE, l1->ecx & LEAF1_ECX_XSAVE);
	EXPECT_EQ((u64)(XFEATURE_FP | XFEATURE_SSE),
		  xcr0 & (XFEATURE_FP | XFEATURE_SSE));
	d0 = find(c, 0xd, 0);
	ASSERT_TRUE(!!d0);
	EXPECT_EQ((u32)KVM_CPUID_FLAG_SIGNIFCANT_INDEX, d0->flags);
	EXPECT_LE(576U, d0->ebx);
	EXPECT_LE(d0->ebx, d0->ecx);
	ASSERT_TRUE(!!find(c, 0xd, 1));
	for (i = 2; i < 63; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		di = find(c, 0xd, i);
		ASSERT_TRUE(!!di) TH_LOG("no subleaf %d", i);
		EXPECT_LT(0U, di->eax);
		EXPECT_LE(576U, di->ebx);
		EXPECT_LE(di->ebx + di->eax, d0->ecx);
	}
	if (l1->ecx & LEAF1_ECX_AVX)
		EXPECT_EQ((u64)XFEATURE_YMM, xcr0 & XFEATURE_YMM);
	if (l7->ebx & LEAF7_EBX_AVX2)
		EXPECT_EQ((u64)XFEATURE_YMM, xcr0 & XFEATURE_YMM);
	if (l7->ebx & LEAF7_EBX_AVX512F)
		EXPECT_EQ((u64)XFEATURE_AVX512, xcr0 & XFEATURE_AVX512);
	free(c);
}

static u64 guest_xcr0;

static void guest_xsetbv(void)
{
	u64 cr4;
	u32 a, b, c, d;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_OSXSAVE_BIT));
	__asm__ __volatile__("xsetbv" : : "a"((u32)(XFEATURE_FP | XFEATURE_SSE)),
			     "d"(0), "c"(0));
	__cpuid_count(0xd, 0, a, b, c, d);
	GUEST_SYNC_ARGS(1, b, 0, 0);
	/* One more bit than the table offers: #GP. */
	__asm__ __volatile__("xsetbv" : : "a"((u32)guest_xcr0),
			     "d"((u32)(guest_xcr0 >> 32)), "c"(0));
	__asm__ __volatile__("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	GUEST_SYNC_ARGS(2, a | ((u64)d << 32), 0, 0);
	GUEST_DONE();
}

static u64 get_xcr0(struct kvm_vcpu *vcpu)
{
	struct kvm_xcrs x;

	TEST_ASSERT(!ioctl(vcpu->fd, KVM_GET_XCRS, &x), "KVM_GET_XCRS");
	return x.xcrs[0].value;
}

/*
 * XCR0 follows the vCPU's CPUID.(0Dh,0): XSETBV of a component the table
 * leaves out is #GP, KVM_SET_XCRS of it -EINVAL; what the table offers
 * works, and CPUID.(0Dh,0):EBX then sizes exactly x87 + SSE.
 *
 * QEMU's TCG SVM (7.2) does not honour the XSETBV intercept: its guests
 * write XCR0 themselves, and the #GP part cannot be tested there.
 */
TEST(xcr0_follows_cpuid)
{
	struct cpuid2 *c;
	struct kvm_cpuid_entry2 *d0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 xcr0;

	TEST_REQUIRE_KVM();
	c = supported_cpuid();
	xcr0 = supported_xcr0(c);
	if (!(xcr0 & XFEATURE_YMM))
		SKIP(free(c); return, "no AVX state to leave out");
	d0 = find(c, 0xd, 0);
	d0->eax = XFEATURE_FP | XFEATURE_SSE;
	d0->edx = 0;
	guest_xcr0 = XFEATURE_FP | XFEATURE_SSE | XFEATURE_YMM;
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_xsetbv), &vcpu);
	sync_global_to_guest(vm, guest_xcr0);
	ASSERT_EQ(0, set_cpuid(vcpu, c));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, guest_xcr0));
	EXPECT_EQ(0, set_xcr0(vcpu, XFEATURE_FP | XFEATURE_SSE));

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(576ULL, uc.args[1]);
	EXPECT_EQ((u64)(XFEATURE_FP | XFEATURE_SSE), get_xcr0(vcpu));
	if (host_is_qemu_tcg()) {
		vm_free(vm);
		free(c);
		SKIP(return, "QEMU TCG runs XSETBV without its intercept");
	}
	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_GP, uc.args[0]);
	vm_free(vm);
	free(c);
}

static void guest_cr4(u64 bit)
{
	u64 cr4;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	/* A bit the table offers (PGE is not tied to CPUID): fine. */
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 ^ X86_CR4_PGE_BIT));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4));
	GUEST_SYNC(1);
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | bit));
	GUEST_DONE();
}

/*
 * A CR4 bit tied to a CPUID feature the table leaves out: MOV to CR4 #GP,
 * KVM_SET_SREGS -EINVAL.  @leaf/@reg name the bit to clear in the table.
 */
static void cr4_needs_cpuid(struct __test_metadata *_metadata, u32 leaf,
			    u32 *(*reg)(struct kvm_cpuid_entry2 *), u32 bit,
			    u64 cr4_bit)
{
	struct cpuid2 *c = supported_cpuid();
	struct kvm_cpuid_entry2 *e = find(c, leaf, 0);
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	ASSERT_TRUE(!!e);
	if (!(*reg(e) & bit)) {
		free(c);
		SKIP(return, "feature not supported here");
	}
	*reg(e) &= ~bit;
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_cr4), &vcpu);
	vcpu_args_set(vcpu, 1, cr4_bit);
	ASSERT_EQ(0, set_cpuid(vcpu, c));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= cr4_bit;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_GP, uc.args[0]);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0ULL, sregs.cr4 & cr4_bit);
	vm_free(vm);
	free(c);
}

static u32 *reg_ecx(struct kvm_cpuid_entry2 *e)
{
	return &e->ecx;
}

static u32 *reg_ebx(struct kvm_cpuid_entry2 *e)
{
	return &e->ebx;
}

TEST(cr4_osxsave_needs_xsave)
{
	TEST_REQUIRE_KVM();
	cr4_needs_cpuid(_metadata, 1, reg_ecx, LEAF1_ECX_XSAVE,
			X86_CR4_OSXSAVE_BIT);
}

TEST(cr4_smep_needs_smep)
{
	TEST_REQUIRE_KVM();
	cr4_needs_cpuid(_metadata, 7, reg_ebx, LEAF7_EBX_SMEP,
			X86_CR4_SMEP_BIT);
}

/*
 * The guest enables XSAVE (XCR0 comes from KVM_SET_XCRS: see above for
 * why not XSETBV), reads CPUID.(0Dh,0):EBX and sets all of YMM8.
 */
static void guest_avx(void)
{
	u64 cr4;
	u32 a, b, c, d;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_OSXSAVE_BIT));
	__cpuid_count(0xd, 0, a, b, c, d);
	GUEST_SYNC_ARGS(1, b, 0, 0);
	/* All-ones in YMM8: VPCMPEQB ymm8, ymm8, ymm8 (VEX.256 66 0F 74). */
	__asm__ __volatile__(".byte 0xc4, 0x41, 0x3d, 0x74, 0xc0");
	GUEST_SYNC(2);
	GUEST_DONE();
}

/*
 * A guest with AVX state enabled: CPUID.(0Dh,0):EBX covers it, and the
 * upper half of YMM8 it set shows in KVM_GET_XSAVE at the YMM component's
 * offset (CPUID.(0Dh,2):EBX), with XSTATE_BV bit 2 set.
 */
TEST(guest_avx_state_in_xsave)
{
	struct cpuid2 *c;
	struct kvm_cpuid_entry2 *d2;
	struct kvm_xsave *xs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 xcr0;
	u8 *ymmh;
	int i;

	TEST_REQUIRE_KVM();
	c = supported_cpuid();
	xcr0 = supported_xcr0(c) & (XFEATURE_FP | XFEATURE_SSE | XFEATURE_YMM);
	d2 = find(c, 0xd, 2);
	if (!(xcr0 & XFEATURE_YMM) || !d2 || !(find(c, 1, 0)->ecx & LEAF1_ECX_AVX))
		SKIP(free(c); return, "no AVX");
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_avx), &vcpu);
	ASSERT_EQ(0, set_cpuid(vcpu, c));
	ASSERT_EQ(0, set_xcr0(vcpu, xcr0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((u64)(d2->ebx + d2->eax), uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);

	xs = calloc(1, sizeof(*xs));
	ASSERT_TRUE(!!xs);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_XSAVE, xs));
	/* XSTATE_BV at byte 512 of the area (SDM vol. 1, 13.4.2). */
	EXPECT_EQ((u64)XFEATURE_YMM, ((u64 *)xs->region)[512 / 8] & XFEATURE_YMM);
	ASSERT_LE(d2->ebx + 16 * 9, sizeof(xs->region));
	ymmh = (u8 *)xs->region + d2->ebx + 16 * 8;
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0xff, ymmh[i]) TH_LOG("YMM8_H byte %d", i);
	ymmh = (u8 *)xs->region + d2->ebx + 16 * 7;
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, ymmh[i]) TH_LOG("YMM7_H byte %d", i);
	free(xs);
	vm_free(vm);
	free(c);
}

/*
 * KVM_SET_SREGS checks a long-mode CR3 against the guest's MAXPHYADDR
 * (CPUID.80000008h:EAX[7:0]), not the host's.
 */
TEST(cr3_within_guest_maxphyaddr)
{
	struct cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	c = supported_cpuid();
	e = find(c, 0x80000008, 0);
	ASSERT_TRUE(!!e);
	if ((e->eax & 0xff) <= 36) {
		free(c);
		SKIP(return, "host MAXPHYADDR is 36 bits or less");
	}
	e->eax = (e->eax & ~0xffU) | 36;
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	ASSERT_EQ(0, set_cpuid(vcpu, c));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr3 = 1ULL << 36;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	sregs.cr3 = (1ULL << 36) - 4096;
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_SREGS, &sregs));
	vm_free(vm);
	free(c);
}

TEST_HARNESS_MAIN
