// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_DISABLE_QUIRKS2 and KVM_CAP_DISABLE_QUIRKS (api.rst 7.31, 7.x):
 * the quirks Kestrel can turn off, each checked on and off.
 *
 * - KVM_X86_QUIRK_FIX_HYPERCALL_INSN: the other vendor's hypercall (VMCALL
 *   on AMD) is rewritten to the native one (VMMCALL) in guest memory and
 *   completed; disabled, it is a #UD and guest memory is left alone.
 * - KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS: MONITOR/MWAIT are no-ops even
 *   when the guest's CPUID lacks them; disabled, they #UD then.
 * - KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT: disabled, IA32_MISC_ENABLE bit 18
 *   sets and clears CPUID.1:ECX.MONITOR (only with SSE3 in the CPUID).
 * - KVM_X86_QUIRK_LINT0_REENABLED: the in-kernel APIC of the BSP comes out
 *   of reset with LVT0 in ExtINT mode; disabled, masked as the SDM says.
 *
 * Bad input: DISABLE_QUIRKS2 with a quirk the module cannot disable, or
 * with flags, is -EINVAL; DISABLE_QUIRKS takes any mask, as KVM 6.1's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define QUIRKS_TESTED	(KVM_X86_QUIRK_FIX_HYPERCALL_INSN |		\
			 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS |		\
			 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT |		\
			 KVM_X86_QUIRK_LINT0_REENABLED)
#define UD_VECTOR		6
#define MSR_MISC_ENABLE		0x1a0
#define MISC_ENABLE_MWAIT	BIT_ULL(18)
#define CPUID_1_ECX_MWAIT	BIT(3)
#define CPUID_1_ECX_SSE3	BIT(0)
#define MAX_ENTRIES		256

struct cpuid2 {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[MAX_ENTRIES];
};

/*
 * Guest side
 */

/*
 * Intel's VMCALL (0F 01 C1), the other vendor's hypercall on AMD, at label
 * hc_insn; on an Intel host the test writes AMD's VMMCALL over it.  Only
 * called through its address (GUEST_ENTRY), so never inlined: the label
 * exists once.
 */
static void guest_other_hypercall(void)
{
	u8 *insn = (u8 *)ASM_SYMBOL_ADDR(hc_insn);
	u64 r;

	__asm__ __volatile__("hc_insn: .byte 0x0f, 0x01, 0xc1"
			     : "=a"(r) : "a"((u64)KVM_HC_VAPIC_POLL_IRQ)
			     : "memory");
	GUEST_SYNC_ARGS(1, r, insn[0] | insn[1] << 8 | insn[2] << 16, 0);
	GUEST_DONE();
}

static u64 monitor_target;

static void guest_monitor_mwait(void)
{
	/* Valid operands: SVM checks faults before the intercept. */
	__asm__ __volatile__("monitor" : : "a"(&monitor_target), "c"(0),
			     "d"(0));
	GUEST_SYNC(1);
	__asm__ __volatile__("mwait" : : "a"(0), "c"(0));
	GUEST_DONE();
}

/*
 * Host side
 */

static bool host_is_amd(void)
{
	u32 a, b, c, d;

	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			     : "a"(0), "c"(0));
	return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;
}

static int disable_quirks(struct kvm_vm *vm, u32 cap, u64 quirks, u32 flags)
{
	struct kvm_enable_cap c = {
		.cap = cap, .flags = flags, .args[0] = quirks,
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &c) ? -errno : 0;
}

static struct kvm_cpuid_entry2 *leaf1(struct cpuid2 *c)
{
	u32 i;

	for (i = 0; i < c->h.nent; i++)
		if (c->e[i].function == 1)
			return &c->e[i];
	return NULL;
}

/* The supported CPUID, without MONITOR/MWAIT (and @ecx_off), as the vCPU's. */
static void set_cpuid_without(struct __test_metadata *_metadata,
			      struct kvm_vcpu *vcpu, u32 ecx_off)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));
	int fd = kvm_open();

	ASSERT_TRUE(!!c);
	c->h.nent = MAX_ENTRIES;
	ASSERT_EQ(0, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	close(fd);
	ASSERT_TRUE(!!leaf1(c));
	leaf1(c)->ecx &= ~(CPUID_1_ECX_MWAIT | ecx_off);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
}

static void set_cpuid_without_mwait(struct __test_metadata *_metadata,
				    struct kvm_vcpu *vcpu)
{
	set_cpuid_without(_metadata, vcpu, 0);
}

static u32 guest_cpuid1_ecx(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));
	u32 ecx;

	ASSERT_TRUE(!!c);
	c->h.nent = MAX_ENTRIES;
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, c));
	ASSERT_TRUE(!!leaf1(c));
	ecx = leaf1(c)->ecx;
	free(c);
	return ecx;
}

TEST(caps_and_bad_input)
{
	struct kvm_vm *vm;
	int q2;

	TEST_REQUIRE_KVM();
	q2 = kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2);
	EXPECT_EQ(QUIRKS_TESTED, q2 & QUIRKS_TESTED);
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_DISABLE_QUIRKS));
	vm = vm_create();
	EXPECT_EQ(q2, vm_check_cap(vm, KVM_CAP_DISABLE_QUIRKS2));
	/* Bits no kernel knows: -EINVAL for QUIRKS2, taken by QUIRKS. */
	EXPECT_EQ(-EINVAL, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
					  BIT_ULL(63), 0));
	EXPECT_EQ(-EINVAL, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
					  ~(u64)q2, 0));
	EXPECT_EQ(-EINVAL, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
					  KVM_X86_QUIRK_FIX_HYPERCALL_INSN, 1));
	EXPECT_EQ(-EINVAL, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS,
					  0, 1));
	EXPECT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS, ~0ULL, 0));
	EXPECT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2, q2, 0));
	EXPECT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2, 0, 0));
	vm_free(vm);
}

static void run_other_hypercall(struct __test_metadata *_metadata,
				bool disable)
{
	static const u8 vmcall[3] = { 0x0f, 0x01, 0xc1 };
	static const u8 vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	/* The other vendor's hypercall, and this host's native one. */
	const u8 *other = host_is_amd() ? vmcall : vmmcall;
	const u8 *native = host_is_amd() ? vmmcall : vmcall;
	u64 hc_insn = ASM_SYMBOL_ADDR(hc_insn);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u8 now[3];

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_other_hypercall),
				       &vcpu);
	/* The guest's code says VMCALL: on Intel, make it VMMCALL. */
	vm_write_mem(vm, hc_insn, other, 3);
	if (disable)
		ASSERT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
					    KVM_X86_QUIRK_FIX_HYPERCALL_INSN,
					    0));
	if (disable) {
		ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ((u64)UD_VECTOR, uc.args[0]);
		EXPECT_EQ(hc_insn, uc.args[2]);
		vm_read_mem(vm, hc_insn, now, sizeof(now));
		EXPECT_EQ(0, memcmp(now, other, sizeof(now)));
	} else {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(0U, uc.args[1]);
		/* The guest saw the native one at the call site... */
		EXPECT_EQ((u64)(native[0] | native[1] << 8 | native[2] << 16),
			  uc.args[2]);
		/* ...because guest memory holds it now. */
		vm_read_mem(vm, hc_insn, now, sizeof(now));
		EXPECT_EQ(0, memcmp(now, native, sizeof(now)));
		EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	}
	vm_free(vm);
}

TEST(fix_hypercall_insn)
{
	TEST_REQUIRE_KVM();
	run_other_hypercall(_metadata, false);
	run_other_hypercall(_metadata, true);
}

/*
 * MONITOR/MWAIT with a CPUID that lacks them: no-ops with the quirk,
 * #UD at MONITOR without it.
 */
static void run_monitor_mwait(struct __test_metadata *_metadata,
			      u64 disabled, bool misc_enable_mwait,
			      bool want_ud)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_monitor_mwait),
				       &vcpu);
	set_cpuid_without_mwait(_metadata, vcpu);
	ASSERT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2, disabled, 0));
	if (misc_enable_mwait)
		ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, MISC_ENABLE_MWAIT));
	if (want_ud) {
		ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ((u64)UD_VECTOR, uc.args[0]);
	} else {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	}
	vm_free(vm);
}

TEST(mwait_never_ud_faults)
{
	TEST_REQUIRE_KVM();
	run_monitor_mwait(_metadata, 0, false, false);
	run_monitor_mwait(_metadata, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS,
			  false, true);
}

TEST(misc_enable_no_mwait)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_monitor_mwait),
				       &vcpu);
	set_cpuid_without_mwait(_metadata, vcpu);
	ASSERT_TRUE(!!(guest_cpuid1_ecx(_metadata, vcpu) & CPUID_1_ECX_SSE3));
	/* With the quirk, bit 18 is only stored. */
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, MISC_ENABLE_MWAIT));
	EXPECT_EQ(0U, guest_cpuid1_ecx(_metadata, vcpu) & CPUID_1_ECX_MWAIT);
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, 0));
	/* Without it, CPUID follows the bit both ways. */
	ASSERT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
				    KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT, 0));
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, MISC_ENABLE_MWAIT));
	EXPECT_EQ(CPUID_1_ECX_MWAIT,
		  guest_cpuid1_ecx(_metadata, vcpu) & CPUID_1_ECX_MWAIT);
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, 0));
	EXPECT_EQ(0U, guest_cpuid1_ecx(_metadata, vcpu) & CPUID_1_ECX_MWAIT);
	vm_free(vm);

	/* MONITOR/MWAIT then exist for the guest: no #UD without the quirk. */
	run_monitor_mwait(_metadata, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS |
			  KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT, true, false);
}

/* Without SSE3 in the guest's CPUID the bit cannot change (KVM 6.1). */
TEST(misc_enable_mwait_needs_sse3)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	set_cpuid_without(_metadata, vcpu, CPUID_1_ECX_SSE3);
	ASSERT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2,
				    KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT, 0));
	EXPECT_EQ(0, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, MISC_ENABLE_MWAIT));
	EXPECT_EQ(1, vcpu_msr_set(vcpu, MSR_MISC_ENABLE, 0));
	vm_free(vm);
}

/* LVT0 (APIC offset 0x350) of vCPU @id after creation, in-kernel APIC. */
static u32 lvt0_after_reset(struct __test_metadata *_metadata, u64 disabled,
			    u32 id)
{
	struct kvm_lapic_state *ls = calloc(1, sizeof(*ls));
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 lvt0;

	ASSERT_TRUE(!!ls);
	vm = vm_create();
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, disable_quirks(vm, KVM_CAP_DISABLE_QUIRKS2, disabled, 0));
	vcpu = vm_vcpu_add(vm, id);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, ls));
	memcpy(&lvt0, &ls->regs[0x350], sizeof(lvt0));
	free(ls);
	vm_free(vm);
	return lvt0;
}

TEST(lint0_reenabled)
{
	TEST_REQUIRE_KVM();
	/* ExtINT (delivery mode 7), unmasked: the BSP only. */
	EXPECT_EQ(0x700U, lvt0_after_reset(_metadata, 0, 0));
	EXPECT_EQ(0x10000U, lvt0_after_reset(_metadata, 0, 1));
	EXPECT_EQ(0x10000U, lvt0_after_reset(_metadata,
					     KVM_X86_QUIRK_LINT0_REENABLED, 0));
}

TEST_HARNESS_MAIN
