// SPDX-License-Identifier: GPL-2.0
/*
 * First guests: real mode from raw bytes and from .code16 assembly, 32-bit
 * protected mode with paging off and on, and 64-bit long mode running C
 * code of this binary; each computes something and reports it (HLT with
 * the result in a register, or ucalls).  Also the guest library's own
 * reporting: GUEST_ASSERT failures and guest exceptions reach the host.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

/*
 * Real mode, assembly: CS = GUEST_CODE_GPA >> 4, DS = SS = 0.  Computes
 * fib(24) = 46368 with a near call and the stack, stores 0xbeef through
 * ES = 0x2000 (linear 0x20010 = GUEST_DATA_GPA + 0x10), and reports both.
 */
__asm__(".pushsection .text\n"
	".code16\n"
	"rm_blob:\n"
	"	movw $24, %cx\n"
	"	call 1f\n"
	"	movzwl %ax, %eax\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%eax")
	"	movw $0x2000, %ax\n"
	"	movw %ax, %es\n"
	"	movw $0xbeef, %es:0x10\n"
	"	movl %es:0x10, %eax\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%eax")
	GUEST_ASM_UCALL(UCALL_DONE, "%eax")
	"	hlt\n"
	/* fib(%cx) in %ax: (a, b) = (b, a + b), %cx times. */
	"1:	pushw %bx\n"
	"	xorw %ax, %ax\n"
	"	movw $1, %bx\n"
	"2:	movw %bx, %dx\n"
	"	addw %ax, %bx\n"
	"	movw %dx, %ax\n"
	"	loop 2b\n"
	"	popw %bx\n"
	"	ret\n"
	"rm_blob_end:\n"
	".code64\n"
	".popsection\n");

/*
 * 32-bit protected mode, assembly run in place (flat segments): the sum of
 * 1..1000 (500500) with a loop, stored at GUEST_DATA_GPA and reported;
 * CR0 reported; then the dword at virtual 0xc00000 read and reported and
 * 0xfeedf00d written to virtual 0xc00004 (with paging, the host maps that
 * page elsewhere).
 */
#define PM_VA		0xc00000
__asm__(".pushsection .text\n"
	".code32\n"
	"pm32_entry:\n"
	"	xorl %eax, %eax\n"
	"	movl $1000, %ecx\n"
	"1:	addl %ecx, %eax\n"
	"	loop 1b\n"
	"	movl %eax, " KVM_STR(GUEST_DATA_GPA) "\n"
	"	pushl %eax\n"
	"	popl %ebx\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%ebx")
	"	movl %cr0, %eax\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%eax")
	"	movl " KVM_STR(PM_VA) ", %eax\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%eax")
	"	movl $0xfeedf00d, " KVM_STR(PM_VA) " + 4\n"
	GUEST_ASM_UCALL(UCALL_DONE, "%eax")
	"	hlt\n"
	".code64\n"
	".popsection\n");

TEST(real_mode_raw_bytes)
{
	/* mov $7,%ax; mov $6,%bx; mul %bx; hlt (16-bit code). */
	static const u8 code[] = {
		0xb8, 0x07, 0x00, 0xbb, 0x06, 0x00, 0xf7, 0xe3, 0xf4,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_REAL);
	vm_load_code(vm, GUEST_CODE_GPA, code, sizeof(code));
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_CODE_GPA);
	vcpu_run_expect_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(42U, regs.rax & 0xffff);
	EXPECT_EQ(0U, regs.rdx & 0xffff);
	/* RIP (IP, relative to CS) is past the HLT. */
	EXPECT_EQ(sizeof(code), regs.rip);
	vm_free(vm);
}

TEST(real_mode_asm)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 start, end;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_REAL);
	start = ASM_SYMBOL_ADDR(rm_blob);
	end = ASM_SYMBOL_ADDR(rm_blob_end);
	vm_load_code(vm, GUEST_CODE_GPA, (void *)(uintptr_t)start, end - start);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_CODE_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(46368U, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xbeefU, uc.args[0] & 0xffff);
	EXPECT_EQ(0xbeefU, *(u16 *)addr_gpa2hva(vm, GUEST_DATA_GPA + 0x10));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0x2000U, sregs.es.selector);
	EXPECT_EQ(0x20000U, sregs.es.base);
	EXPECT_EQ(0U, sregs.cr0 & X86_CR0_PE);
	vm_free(vm);
}

static void run_pm32(struct __test_metadata *_metadata, bool paging)
{
	u32 *remapped;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_guest(paging ? GUEST_MODE_PROT32_PAGING :
				      GUEST_MODE_PROT32);
	vcpu = vm_vcpu_add_guest(vm, 0, ASM_SYMBOL_ADDR(pm32_entry));
	/*
	 * Without paging, virtual 0xc00000 is guest physical 0xc00000, past
	 * memslot 0: the read is MMIO.  With paging, it is the page the host
	 * points it at.
	 */
	remapped = addr_gpa2hva(vm, GUEST_DATA_GPA + 0x1000);
	remapped[0] = 0x5a5aa5a5;
	if (paging)
		virt_remap(vm, PM_VA, GUEST_DATA_GPA + 0x1000);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(500500U, uc.args[0]);
	EXPECT_EQ(500500U, *(u32 *)addr_gpa2hva(vm, GUEST_DATA_GPA));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(X86_CR0_PE, uc.args[0] & X86_CR0_PE);
	EXPECT_EQ(paging, !!(uc.args[0] & X86_CR0_PG));
	if (paging) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(0x5a5aa5a5U, uc.args[0]);
		ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(0xfeedf00dU, remapped[1]);
	} else {
		struct kvm_run *run = vcpu->run;

		vcpu_run_expect_exit(vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ((u64)PM_VA, run->mmio.phys_addr);
		EXPECT_EQ(4U, run->mmio.len);
		EXPECT_EQ(0U, run->mmio.is_write);
		memcpy(run->mmio.data, &(u32){ 0x600dcafe }, 4);
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(0x600dcafeU, uc.args[0]);
		vcpu_run_expect_exit(vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ((u64)PM_VA + 4, run->mmio.phys_addr);
		EXPECT_EQ(4U, run->mmio.len);
		EXPECT_EQ(1U, run->mmio.is_write);
		EXPECT_EQ(0xfeedf00dU, *(u32 *)run->mmio.data);
		ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(0U, remapped[1]);
	}
	vm_free(vm);
}

TEST(protected_mode_32bit)
{
	TEST_REQUIRE_KVM();
	run_pm32(_metadata, false);
}

TEST(protected_mode_32bit_paging)
{
	TEST_REQUIRE_KVM();
	run_pm32(_metadata, true);
}

/* Long mode: C code, globals, the stack and 64-bit arithmetic. */
static const u64 primes[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29 };
static u64 host_value;
static u64 guest_result;

static u64 fib(u64 n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void guest_long_mode(u64 a, u64 b)
{
	u64 sum = 0, cr0, efer_lo, i;

	for (i = 0; i < ARRAY_SIZE(primes); i++)
		sum += primes[i] * a;
	GUEST_SYNC_ARGS(1, sum, fib(20), a * b);
	GUEST_ASSERT_EQ(host_value, 0x1122334455667788ULL);
	__asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
	__asm__ __volatile__("rdmsr" : "=a"(efer_lo) : "c"(0xc0000080) : "rdx");
	GUEST_SYNC_ARGS(2, cr0, efer_lo, 0);
	guest_result = sum ^ b;
	GUEST_DONE();
}

TEST(long_mode_64bit)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_long_mode), &vcpu);
	vcpu_args_set(vcpu, 2, 3ULL, 0x100000001ULL);
	host_value = 0x1122334455667788ULL;
	sync_global_to_guest(vm, host_value);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[0]);
	EXPECT_EQ(129U * 3, uc.args[1]);
	EXPECT_EQ(6765U, uc.args[2]);
	EXPECT_EQ(0x300000003ULL, uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2U, uc.args[0]);
	EXPECT_EQ(X86_CR0_PE | X86_CR0_PG,
		  uc.args[1] & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_EQ(EFER_LME | EFER_LMA, uc.args[2] & (EFER_LME | EFER_LMA));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	sync_global_from_guest(vm, guest_result);
	EXPECT_EQ((129 * 3) ^ 0x100000001ULL, guest_result);
	vm_free(vm);
}

/* The guest library's reporting paths, which every other test relies on. */
static void guest_assert_fails(u64 x)
{
	GUEST_ASSERT(x == 1);
	GUEST_ASSERT_EQ(x, 7);
	GUEST_DONE();
}

TEST(guest_assert_reports)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_assert_fails), &vcpu);
	vcpu_args_set(vcpu, 1, 1ULL);
	ASSERT_EQ(UCALL_ABORT, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[0]);
	EXPECT_EQ(7U, uc.args[1]);
	ASSERT_NE(NULL, uc.file);
	ASSERT_NE(NULL, uc.text);
	EXPECT_NE(NULL, strstr(uc.file, "first_guests_test.c"));
	EXPECT_STREQ("x == 7", uc.text);
	EXPECT_LT(0U, uc.line);
	vm_free(vm);
}

static void guest_faults(u64 which)
{
	u64 *p = (u64 *)GUEST_MAP64_END;
	u32 zero = 0, rem = 0, q;

	switch (which) {
	case 0:
		__asm__ __volatile__("divl %2"
				     : "=a"(q), "+d"(rem) : "r"(zero), "0"(1));
		break;
	case 1:
		q = READ_ONCE(*p);	/* not mapped: #PF */
		break;
	default:
		__asm__ __volatile__("ud2");
		q = 0;
	}
	GUEST_SYNC(q);
}

TEST(guest_exception_reports)
{
	static const struct { u64 vector, error; } want[] = {
		{ 0, 0 },	/* #DE */
		{ 14, 0 },	/* #PF: supervisor read of a not-present page */
		{ 6, 0 },	/* #UD */
	};
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 i;

	TEST_REQUIRE_KVM();
	for (i = 0; i < 3; i++) {
		vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
					       GUEST_ENTRY(guest_faults), &vcpu);
		vcpu_args_set(vcpu, 1, i);
		ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(want[i].vector, uc.args[0]);
		EXPECT_EQ(want[i].error, uc.args[1]);
		EXPECT_LE(GUEST_ENTRY(guest_faults), uc.args[2]);
		EXPECT_GT(GUEST_ENTRY(guest_faults) + 256, uc.args[2]);
		if (i == 1) {
			vcpu_sregs_get(vcpu, &sregs);
			EXPECT_EQ(GUEST_MAP64_END, sregs.cr2);
		}
		vm_free(vm);
	}
}

TEST_HARNESS_MAIN
