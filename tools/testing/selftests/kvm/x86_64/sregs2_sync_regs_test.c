// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_SREGS2 (PDPTEs with PAE paging), KVM_GET/SET_SREGS's
 * interrupt_bitmap, KVM_CAP_SYNC_REGS (registers, special registers and
 * events through kvm_run), and kvm_run->cr8 taken on every KVM_RUN.
 * Documentation/virt/kvm/api.rst: 4.131/4.132, "kvm_run", KVM_CAP_SYNC_REGS.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define PDPT_GPA	GUEST_DATA_GPA

static int sregs2_set(struct kvm_vcpu *vcpu, struct kvm_sregs2 *s2)
{
	return ioctl(vcpu->fd, KVM_SET_SREGS2, s2) ? -errno : 0;
}

static void sregs2_get(struct kvm_vcpu *vcpu, struct kvm_sregs2 *s2)
{
	memset(s2, 0xcc, sizeof(*s2));
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_GET_SREGS2, s2), "KVM_GET_SREGS2: %s",
		    strerror(errno));
}

/* In long mode: the KVM_GET_SREGS fields, flags 0, no PDPTEs. */
TEST(sregs2_long_mode)
{
	struct kvm_sregs2 s2;
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_SREGS2));
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	vcpu_sregs_get(vcpu, &s);
	sregs2_get(vcpu, &s2);
	EXPECT_EQ(0, memcmp(&s, &s2, offsetof(struct kvm_sregs, interrupt_bitmap)));
	EXPECT_EQ(0ULL, s2.flags);
	EXPECT_EQ(0ULL, s2.pdptrs[0] | s2.pdptrs[1] | s2.pdptrs[2] | s2.pdptrs[3]);

	/* Unknown flags; PDPTEs without PAE paging. */
	s2.flags = 2;
	EXPECT_EQ(-EINVAL, sregs2_set(vcpu, &s2));
	s2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	EXPECT_EQ(-EINVAL, sregs2_set(vcpu, &s2));
	s2.flags = 0;
	s2.cr3 = 0x7000;
	EXPECT_EQ(0, sregs2_set(vcpu, &s2));
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0x7000ULL, s.cr3);
	vm_free(vm);
}

/*
 * PAE paging: GET_SREGS2 reads the PDPTEs CR3 points to; SET_SREGS2 with
 * PDPTRS_VALID stores others, reported until the vCPU runs.
 */
TEST(sregs2_pae_pdptes)
{
	static const u64 pdpt[4] = { 0x11001, 0x22001, 0x33001, 0x44001 };
	struct kvm_sregs2 s2;
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_PROT32, 0, &vcpu);
	memcpy(addr_gpa2hva(vm, PDPT_GPA), pdpt, sizeof(pdpt));
	vcpu_sregs_get(vcpu, &s);
	s.cr4 |= X86_CR4_PAE;
	s.cr0 |= X86_CR0_PG;
	s.cr3 = PDPT_GPA;
	vcpu_sregs_set(vcpu, &s);

	sregs2_get(vcpu, &s2);
	EXPECT_EQ((u64)KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(pdpt[i], s2.pdptrs[i]) TH_LOG("PDPTE %d", i);

	for (i = 0; i < 4; i++)
		s2.pdptrs[i] = 0x55001 + i * 0x1000;
	EXPECT_EQ(0, sregs2_set(vcpu, &s2));
	sregs2_get(vcpu, &s2);
	EXPECT_EQ((u64)KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0x55001ULL + i * 0x1000, s2.pdptrs[i]);

	/* Without the flag the PDPTEs come from memory again. */
	s2.flags = 0;
	EXPECT_EQ(0, sregs2_set(vcpu, &s2));
	sregs2_get(vcpu, &s2);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(pdpt[i], s2.pdptrs[i]);
	vm_free(vm);
}

/*
 * A guest put in PAE paging by KVM_SET_SREGS runs through the PDPTEs its
 * CR3 points to: the PDPT maps the first GiB with 2 MiB pages, and the
 * guest's first instruction fetch already goes through it.  With EPT the
 * CPU takes the PDPTEs from the VMCS at entry, not from memory (SDM vol.
 * 3C, 26.3.2.4): not loaded there, the fetch faults and the guest shuts
 * down.  After the run GET_SREGS2 still reports them.
 */
TEST(pae_guest_runs_through_pdptes)
{
	/* mov $0x42, %al; out %al, $0x80; hlt */
	static const u8 code[] = { 0xb0, 0x42, 0xe6, 0x80, 0xf4 };
	const u64 pd_gpa = PDPT_GPA + 0x1000, code_gpa = PDPT_GPA + 0x2000;
	struct kvm_sregs2 s2;
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *pdpt, *pd;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_PROT32, 0, &vcpu);
	pdpt = addr_gpa2hva(vm, PDPT_GPA);
	pd = addr_gpa2hva(vm, pd_gpa);
	memset(pdpt, 0, 32);
	pdpt[0] = pd_gpa | 1;			/* present */
	for (i = 0; i < 512; i++)		/* 2 MiB, present, writable */
		pd[i] = ((u64)i << 21) | 0x83;
	memcpy(addr_gpa2hva(vm, code_gpa), code, sizeof(code));

	vcpu_sregs_get(vcpu, &s);
	s.cr4 |= X86_CR4_PAE;
	s.cr0 |= X86_CR0_PG;
	s.cr3 = PDPT_GPA;
	vcpu_sregs_set(vcpu, &s);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = code_gpa;
	vcpu_regs_set(vcpu, &regs);

	vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	EXPECT_EQ(0x80, vcpu->run->io.port);
	EXPECT_EQ(KVM_EXIT_IO_OUT, vcpu->run->io.direction);
	EXPECT_EQ(0x42, *((u8 *)vcpu->run + vcpu->run->io.data_offset));
	sregs2_get(vcpu, &s2);
	EXPECT_EQ((u64)KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	/* Bit 5: an AMD CPU (QEMU's) may set "accessed" in memory. */
	EXPECT_EQ(pd_gpa | 1, s2.pdptrs[0] & ~0x20ULL);
	EXPECT_EQ(0ULL, s2.pdptrs[1] | s2.pdptrs[2] | s2.pdptrs[3]);
	vm_free(vm);
}

/*
 * KVM_SET_SREGS checks APIC_BASE as a host write of the MSR: reserved bits,
 * x2APIC without CPUID x2APIC, EXTD without EN (SDM vol. 3A, 10.12.5).
 */
TEST(sregs_apic_base_checked)
{
	static const u64 bad[] = { 0x400, 0xfee00c00, 0xfee00901, 1ULL << 52 };
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 good;
	unsigned int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	vcpu_sregs_get(vcpu, &s);
	good = s.apic_base;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		s.apic_base = bad[i];
		EXPECT_EQ(-EINVAL, __vcpu_sregs_set(vcpu, &s))
			TH_LOG("APIC_BASE %#llx", bad[i]);
	}
	s.apic_base = 0xfee00800;	/* enabled, not the BSP */
	EXPECT_EQ(0, __vcpu_sregs_set(vcpu, &s));
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0xfee00800ULL, s.apic_base);
	EXPECT_NE(0ULL, good);
	vm_free(vm);
}

/*
 * interrupt_bitmap: an interrupt given with KVM_INTERRUPT shows there, and
 * a bit set with KVM_SET_SREGS becomes the interrupt being delivered.
 */
TEST(sregs_interrupt_bitmap)
{
	struct kvm_interrupt irq = { .irq = 0x30 };
	struct kvm_vcpu_events ev;
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64, 0, &vcpu);
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0ULL, s.interrupt_bitmap[0] | s.interrupt_bitmap[1] |
			s.interrupt_bitmap[2] | s.interrupt_bitmap[3]);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(1ULL << 0x30, s.interrupt_bitmap[0]);

	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	s.interrupt_bitmap[1] = 1ULL << 2;		/* vector 0x42 */
	vcpu_sregs_set(vcpu, &s);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(0x42, ev.interrupt.nr);
	vm_free(vm);
}

/* RBX counts up between exits; each exit is an OUT to port 0x80. */
static void guest_count(void)
{
	__asm__ __volatile__("1: inc %%rbx\n\t"
			     "out %%al, $0x80\n\t"
			     "jmp 1b" : : : "rbx", "memory");
}

static void run_to_port_80(struct __test_metadata *_metadata,
			   struct kvm_vcpu *vcpu)
{
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason);
	ASSERT_EQ(0x80, vcpu->run->io.port);
}

TEST(sync_regs)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;

	TEST_REQUIRE_KVM();
	ASSERT_EQ((int)KVM_SYNC_X86_VALID_FIELDS,
		  kvm_check_cap(KVM_CAP_SYNC_REGS));
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_count), &vcpu);
	run = vcpu->run;

	/* Bits beyond the three fields. */
	run->kvm_valid_regs = KVM_SYNC_X86_VALID_FIELDS + 1;
	EXPECT_EQ(-EINVAL, __vcpu_run(vcpu));
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = 1ULL << 3;
	EXPECT_EQ(-EINVAL, __vcpu_run(vcpu));
	run->kvm_dirty_regs = 0;

	/* Out: registers as KVM_GET_REGS/SREGS would give them. */
	run->kvm_valid_regs = KVM_SYNC_X86_VALID_FIELDS;
	run_to_port_80(_metadata, vcpu);
	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0, memcmp(&regs, &run->s.regs.regs, sizeof(regs)));
	EXPECT_EQ(0, memcmp(&s, &run->s.regs.sregs, sizeof(s)));

	/* In: a dirty RBX is what the guest counts from; the flag clears. */
	run->s.regs.regs.rbx = 0x1000;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	run_to_port_80(_metadata, vcpu);
	EXPECT_EQ(0ULL, run->kvm_dirty_regs);
	EXPECT_EQ(0x1001ULL, run->s.regs.regs.rbx);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x1001ULL, regs.rbx);

	/* Not dirty: changes in kvm_run are ignored. */
	run->s.regs.regs.rbx = 0x5000;
	run_to_port_80(_metadata, vcpu);
	EXPECT_EQ(0x1002ULL, run->s.regs.regs.rbx);

	/* Invalid special registers: -EINVAL, nothing run. */
	run->s.regs.sregs.cr8 = 0;
	run->s.regs.sregs.cr0 |= 1ULL << 40;
	run->kvm_dirty_regs = KVM_SYNC_X86_SREGS;
	EXPECT_EQ(-EINVAL, __vcpu_run(vcpu));
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x1002ULL, regs.rbx);
	run->kvm_dirty_regs = 0;
	vm_free(vm);
}

/* Without an in-kernel LAPIC, kvm_run->cr8 is the TPR for the next run. */
TEST(run_cr8)
{
	struct kvm_sregs s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_count), &vcpu);
	vcpu->run->cr8 = 5;
	run_to_port_80(_metadata, vcpu);
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(5ULL, s.cr8);
	EXPECT_EQ(5ULL, vcpu->run->cr8);
	vcpu->run->cr8 = 16;
	EXPECT_EQ(-EINVAL, __vcpu_run(vcpu));
	vm_free(vm);
}

TEST_HARNESS_MAIN
