// SPDX-License-Identifier: GPL-2.0
/*
 * How a guest stops: HLT without an in-kernel irqchip is KVM_EXIT_HLT;
 * a triple fault is KVM_EXIT_SHUTDOWN; guest state that userspace sets and
 * that is not valid is refused by KVM_SET_SREGS (-EINVAL) where KVM checks
 * it, and otherwise fails at VM entry (KVM_EXIT_FAIL_ENTRY).
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

static void guest_hlt(void)
{
	guest_halt();
	GUEST_SYNC(1);
	/* Interrupts on: still an exit, there is no irqchip to wake it. */
	__asm__ __volatile__("sti\n\thlt\n\tcli" ::: "memory");
	GUEST_SYNC(2);
	GUEST_DONE();
}

/*
 * RIP is just past a HLT of the guest.  (The emulated host has no NRIP
 * save, so KVM finds the HLT's length by decoding it; RIP must be past it
 * all the same.)
 */
static void expect_after_hlt(struct __test_metadata *_metadata,
			     struct kvm_vcpu *vcpu, u64 fn)
{
	struct kvm_regs regs;

	vcpu_run_expect_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_LT(fn, regs.rip);
	EXPECT_GT(fn + 128, regs.rip);
	EXPECT_EQ(0xf4, *(u8 *)addr_gpa2hva(vcpu->vm, regs.rip - 1));
}

TEST(hlt)
{
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_hlt), &vcpu);
	expect_after_hlt(_metadata, vcpu, GUEST_ENTRY(guest_hlt));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[0]);
	expect_after_hlt(_metadata, vcpu, GUEST_ENTRY(guest_hlt));
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(X86_EFLAGS_IF, regs.rflags & X86_EFLAGS_IF);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2U, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* An empty IDT, then a software interrupt: #GP, #DF, shutdown. */
static void guest_triple_fault(void)
{
	/* Limit 0, base 0: 2 + 8 bytes. */
	u16 idtr[5] = { 0 };

	__asm__ __volatile__("lidt %0\n\tint $0x30" : : "m"(idtr));
	GUEST_SYNC(1);
}

/* 32-bit, no IDT: UD2 (#UD is intercepted and reinjected by KVM). */
__asm__(".pushsection .text\n"
	".code32\n"
	"pm32_ud2:\n"
	"	ud2\n"
	".code64\n"
	".popsection\n");

/*
 * KVM on SVM INITs the vCPU after a shutdown intercept, since the VMCB is
 * undefined then (svm.c shutdown_interception()): the vCPU is at the reset
 * vector afterwards.
 */
static void expect_shutdown(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_run_expect_exit(vcpu, KVM_EXIT_SHUTDOWN);
	if (!host_cpu_has("svm"))
		return;
	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0xfff0U, regs.rip);
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000U, sregs.cs.base);
	EXPECT_EQ(0U, sregs.cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_EQ(0U, sregs.efer & (EFER_LME | EFER_LMA));
}

TEST(triple_fault)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_triple_fault), &vcpu);
	expect_shutdown(_metadata, vcpu);
	vm_free(vm);

	vm = vm_create_guest_with_vcpu(GUEST_MODE_PROT32,
				       ASM_SYMBOL_ADDR(pm32_ud2), &vcpu);
	expect_shutdown(_metadata, vcpu);
	vm_free(vm);
}

static void guest_done(void)
{
	GUEST_DONE();
}

/* KVM_SET_SREGS must fail with -EINVAL and change nothing. */
static void expect_sregs_einval(struct __test_metadata *_metadata,
				struct kvm_vcpu *vcpu,
				const struct kvm_sregs *bad, const char *what)
{
	struct kvm_sregs before, after;

	vcpu_sregs_get(vcpu, &before);
	EXPECT_EQ(-EINVAL, __vcpu_sregs_set(vcpu, bad)) TH_LOG("%s", what);
	vcpu_sregs_get(vcpu, &after);
	EXPECT_EQ(before.cr0, after.cr0) TH_LOG("%s", what);
	EXPECT_EQ(before.cr3, after.cr3) TH_LOG("%s", what);
	EXPECT_EQ(before.cr4, after.cr4) TH_LOG("%s", what);
	EXPECT_EQ(before.efer, after.efer) TH_LOG("%s", what);
	EXPECT_EQ(before.cs.l, after.cs.l) TH_LOG("%s", what);
}

/* State KVM itself checks (x86.c kvm_is_valid_sregs()). */
TEST(invalid_sregs_refused)
{
	struct kvm_sregs good, bad;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_done), &vcpu);
	vcpu_sregs_get(vcpu, &good);

	bad = good;
	bad.cr0 |= 1ULL << 32;
	expect_sregs_einval(_metadata, vcpu, &bad, "CR0 bit 32");
	bad = good;
	bad.cr0 = (bad.cr0 | X86_CR0_NW) & ~X86_CR0_CD;
	expect_sregs_einval(_metadata, vcpu, &bad, "CR0.NW without CR0.CD");
	bad = good;
	bad.cr0 &= ~X86_CR0_PE;
	expect_sregs_einval(_metadata, vcpu, &bad, "CR0.PG without CR0.PE");
	bad = good;
	bad.cr4 &= ~X86_CR4_PAE;
	expect_sregs_einval(_metadata, vcpu, &bad, "EFER.LME, CR0.PG, no CR4.PAE");
	bad = good;
	bad.efer &= ~EFER_LMA;
	expect_sregs_einval(_metadata, vcpu, &bad, "EFER.LME, CR0.PG, no EFER.LMA");
	bad = good;
	bad.cr0 &= ~X86_CR0_PG;
	expect_sregs_einval(_metadata, vcpu, &bad, "EFER.LMA without paging");
	bad = good;
	bad.cr0 &= ~X86_CR0_PG;
	bad.efer &= ~EFER_LMA;
	/* cs.l is still set: 64-bit code outside long mode. */
	expect_sregs_einval(_metadata, vcpu, &bad, "CS.L outside long mode");
	bad = good;
	bad.cr3 = 1ULL << 55;
	expect_sregs_einval(_metadata, vcpu, &bad, "CR3 past MAXPHYADDR");
	bad = good;
	bad.cr4 |= 1ULL << 63;
	expect_sregs_einval(_metadata, vcpu, &bad, "CR4 bit 63");

	/* Nothing changed: the guest still runs. */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/*
 * State KVM_SET_SREGS accepts but the CPU's VMRUN consistency checks
 * (AMD APM vol. 2 15.5.1) refuse: KVM_RUN returns 0 with
 * KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason = the VMCB exit code
 * VMEXIT_INVALID (-1).  6.1 keeps the exit code in a u32, so the reason is
 * 0xffffffff, not ~0ULL.  fail_entry.cpu is the CPU of the failed VMRUN.
 */
static void expect_fail_entry(struct __test_metadata *_metadata,
			      void (*mangle)(struct kvm_sregs *),
			      const char *what)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	struct kvm_vm *vm;

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
		EXPECT_EQ(0xffffffffULL,
			  run->fail_entry.hardware_entry_failure_reason)
			TH_LOG("%s", what);
		EXPECT_GT((u32)host_max_cpu() + 1, run->fail_entry.cpu);
	}
	vm_free(vm);
}

static void efer_reserved_bit(struct kvm_sregs *sregs)
{
	sregs->efer |= 1ULL << 63;
}

static void long_mode_cs_l_and_d(struct kvm_sregs *sregs)
{
	sregs->cs.db = 1;
}

TEST(invalid_state_fails_entry)
{
	TEST_REQUIRE_KVM();
	if (!host_cpu_has("svm"))
		SKIP(return, "VMRUN consistency checks are SVM's");
	expect_fail_entry(_metadata, efer_reserved_bit, "EFER bit 63");
	expect_fail_entry(_metadata, long_mode_cs_l_and_d,
			  "long mode with CS.L and CS.D");
}

TEST_HARNESS_MAIN
