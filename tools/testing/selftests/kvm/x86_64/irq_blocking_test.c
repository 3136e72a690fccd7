// SPDX-License-Identifier: GPL-2.0
/*
 * No external interrupt is delivered while the guest blocks it: not with
 * RFLAGS.IF=0, not in the shadow of STI (SDM vol. 3A, 6.8.3: "the
 * processor inhibits interrupts until after the next instruction"; AMD APM
 * vol. 2, 15.21.5, the interrupt shadow).  A guest that took one there
 * would deadlock on its own spinlocks, which is how Linux guests of QEMU
 * hung in the emulated host now and then (a vCPU spinning with IF=0 inside
 * the timer vector).
 *
 * The guest spends its time in the places that matter: IF=0 regions that
 * exit to the host (LAPIC and IOAPIC MMIO, ucalls to userspace),
 * pushf/cli/popf, and STI followed by one instruction (NOP, HLT) while
 * timer interrupts arrive from the in-kernel PIT through the IOAPIC and
 * from the LAPIC timer, or from userspace through KVM_INTERRUPT.  Every
 * handler looks at the interrupted context in its IRET frame: RFLAGS.IF
 * must have been 1, and the return RIP must not be the instruction right
 * after an STI.  The same test runs on stock KVM (TARGET=stock): a
 * violation there too is the emulated host's, not Kestrel's.
 */
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"
#include "pit_guest.h"

#define LAPIC_TIMER_VECTOR	0x31
#define USER_VECTOR		0x32
#define APIC_LVTT		0x320
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define LVTT_PERIODIC		BIT(17)

/* In GUEST_DATA_GPA's page, next to pit_guest.h's TICKS_GPA. */
#define BAD_IF_GPA		0x21010	/* taken with the interrupted IF=0 */
#define BAD_SHADOW_GPA		0x21018	/* taken in an STI shadow */
#define BAD_RIP_GPA		0x21020	/* the last bad return RIP */
#define USER_TICKS_GPA		0x21028

#define ROUNDS			64	/* guest loops per ucall */

/*
 * One checker for every handler: the IRET frame (SDM vol. 3A, 6.14.2) is
 * RIP, CS, RFLAGS, RSP, SS; after the three pushes below RIP is at 24(%rsp)
 * and RFLAGS at 40(%rsp).  The shadowed instructions carry a label each.
 */
#define CHECK_FRAME							\
	"	push %rax\n"						\
	"	push %rcx\n"						\
	"	push %rdx\n"						\
	"	testl $0x200, 40(%rsp)\n"				\
	"	jnz 1f\n"						\
	"	incq " KVM_STR(BAD_IF_GPA) "\n"				\
	"	movq 24(%rsp), %rax\n"					\
	"	movq %rax, " KVM_STR(BAD_RIP_GPA) "\n"			\
	"1:	movq 24(%rsp), %rax\n"					\
	"	leaq shadow_nop(%rip), %rcx\n"				\
	"	leaq shadow_hlt(%rip), %rdx\n"				\
	"	cmpq %rax, %rcx\n"					\
	"	je 2f\n"						\
	"	cmpq %rax, %rdx\n"					\
	"	jne 3f\n"						\
	"2:	incq " KVM_STR(BAD_SHADOW_GPA) "\n"			\
	"	movq %rax, " KVM_STR(BAD_RIP_GPA) "\n"			\
	"3:\n"

#define APIC_EOI_AND_RETURN						\
	"	movl $" KVM_STR(APIC_GPA) " + 0xb0, %eax\n"		\
	"	movl $0, (%rax)\n"					\
	"	pop %rdx\n"						\
	"	pop %rcx\n"						\
	"	pop %rax\n"						\
	"	iretq\n"

__asm__(".pushsection .text\n"
	"chk_irq0_handler:\n"
	CHECK_FRAME
	"	incq " KVM_STR(TICKS_GPA) "\n"
	APIC_EOI_AND_RETURN
	"chk_lapic_handler:\n"
	CHECK_FRAME
	APIC_EOI_AND_RETURN
	/* From KVM_INTERRUPT, without a LAPIC: nothing to acknowledge. */
	"chk_user_handler:\n"
	CHECK_FRAME
	"	incq " KVM_STR(USER_TICKS_GPA) "\n"
	"	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static u64 guest_u64(u64 gpa)
{
	return READ_ONCE(*(u64 *)gpa);
}

/*
 * The blocked places, as one assembly function so that each shadow label
 * exists once: void blocked_round(bool apic, bool halt).  @apic: read the
 * LAPIC timer count and an IOAPIC register with IF=0 (exits the kernel
 * emulates); the STI that follows is then the first guest instruction
 * after an entry.  @halt: end in "sti; hlt", as an idle loop does.
 * MOVABS: the MMIO addresses do not fit a sign-extended 32-bit one.
 */
void blocked_round(bool apic, bool halt);
__asm__(".pushsection .text\n"
	"blocked_round:\n"
	"	cli\n"
	"	testb %dil, %dil\n"
	"	jz 1f\n"
	"	movabs " KVM_STR(APIC_GPA) " + " KVM_STR(APIC_TMCCT) ", %eax\n"
	"	movl $1, %eax\n"
	"	movabs %eax, " KVM_STR(IOAPIC_GPA) "\n"
	"	movabs " KVM_STR(IOAPIC_GPA) " + 0x10, %eax\n"
	"1:	sti\n"
	"shadow_nop:\n"
	"	nop\n"
	"	pushf\n"
	"	pop %rax\n"
	"	cli\n"
	"	push %rax\n"
	"	popf\n"
	/* With IF=1 again: the window where interrupts belong. */
	"	nop\n"
	"	nop\n"
	"	nop\n"
	"	cli\n"
	"	testb %sil, %sil\n"
	"	jz 2f\n"
	"	sti\n"
	"shadow_hlt:\n"
	"	hlt\n"
	"	cli\n"
	"2:	ret\n"
	".popsection\n");

static void report(u64 stage)
{
	GUEST_SYNC_ARGS(stage, guest_u64(BAD_IF_GPA),
			guest_u64(BAD_SHADOW_GPA), guest_u64(BAD_RIP_GPA));
}

/* In-kernel irqchip: the PIT at 1 kHz through the IOAPIC, the LAPIC timer. */
static void guest_irqchip(u64 want_ticks, u64 lapic_count)
{
	int i;

	guest_route_irq0();
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_TDCR), 0xb);
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_LVTT),
		   LVTT_PERIODIC | LAPIC_TIMER_VECTOR);
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_TMICT), lapic_count);
	guest_load_ch0(2, PIT_HZ / 1000);
	while (guest_u64(TICKS_GPA) < want_ticks) {
		for (i = 0; i < ROUNDS; i++)
			blocked_round(true, true);
		report(1);	/* a userspace exit with IF=0 */
	}
	guest_load_ch0(0, 0);
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_TMICT), 0);
	report(2);
	GUEST_DONE();
}

/* No irqchip: userspace injects whenever the guest can take one. */
static void guest_userspace(u64 want_ticks)
{
	while (guest_u64(USER_TICKS_GPA) < want_ticks) {
		blocked_round(false, false);
		report(1);
	}
	report(2);
	GUEST_DONE();
}

static void set_idt_limit(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
}

/*
 * Two defects of QEMU TCG's VMRUN (see Kestrel's svm.c): it ignores the
 * VMCB's interrupt shadow, and it may deliver an injected interrupt a
 * second time, whatever RFLAGS.IF.  Stock KVM there takes interrupts in
 * STI shadows and with IF=0, which this test then only counts; Kestrel
 * works around both, and is judged.
 */
static bool blocking_is_hosts_defect(void)
{
	return kmod_loaded(stock_kvm_module()) && host_is_qemu_tcg();
}

/*
 * Run until UCALL_DONE or @secs pass.  With @inject, userspace delivers
 * one interrupt between two reports of the guest, through KVM_INTERRUPT
 * at the interrupt window it asks for, as a VMM without an in-kernel
 * irqchip does (injecting at every window would leave the guest no
 * instruction between two interrupts).
 */
static void run_and_judge(struct __test_metadata *_metadata,
			  struct kvm_vcpu *vcpu, bool inject, u64 secs)
{
	struct kvm_interrupt irq = { .irq = USER_VECTOR };
	struct kvm_run *run = vcpu->run;
	u64 t0 = now_ns(), injected = 0;
	struct ucall uc, last = { 0 };	/* the guest's last report */
	int cmd = UCALL_NONE;

	run->request_interrupt_window = inject;
	while (now_ns() - t0 < secs * 1000000000ULL) {
		vcpu_run(vcpu);
		if (run->request_interrupt_window &&
		    run->ready_for_interrupt_injection && run->if_flag) {
			ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
			run->request_interrupt_window = 0;
			injected++;
		}
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_DONE)
			break;
		if (cmd == UCALL_NONE && inject &&
		    run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN)
			continue;
		ASSERT_EQ(UCALL_SYNC, cmd);
		last = uc;
		run->request_interrupt_window = inject;
	}
	TH_LOG("%s after %llu ms, %llu injected from userspace",
	       cmd == UCALL_DONE ? "done" : "stopped",
	       (unsigned long long)(now_ns() - t0) / 1000000,
	       (unsigned long long)injected);
	TH_LOG("interrupts with IF=0: %llu, in an STI shadow: %llu (last bad RIP %#llx)",
	       (unsigned long long)last.args[1],
	       (unsigned long long)last.args[2], (unsigned long long)last.args[3]);
	/* The guest must have taken its interrupts, not just survived. */
	EXPECT_EQ(UCALL_DONE, cmd);
	if (blocking_is_hosts_defect()) {
		TH_LOG("stock KVM on QEMU TCG: the counts are not judged");
		return;
	}
	EXPECT_EQ(0ULL, last.args[1]);
	EXPECT_EQ(0ULL, last.args[2]);
}

TEST(in_kernel_irqchip_timers)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	/*
	 * Two timers at 1 kHz in a nested guest: in a one-CPU QEMU TCG host
	 * this has stopped the whole emulated host (serial silent), stock
	 * KVM as well as Kestrel.
	 */
	if (host_is_qemu_tcg() && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one-CPU QEMU TCG host: this load has hung it, stock KVM too");
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_irqchip));
	vm_set_idt_gate(vm, IRQ0_VECTOR, ASM_SYMBOL_ADDR(chk_irq0_handler));
	vm_set_idt_gate(vm, LAPIC_TIMER_VECTOR, ASM_SYMBOL_ADDR(chk_lapic_handler));
	/* 2000 PIT ticks; the LAPIC timer at 1 kHz (bus clock 1 GHz). */
	vcpu_args_set(vcpu, 2, 2000ULL, 1000000ULL);
	run_and_judge(_metadata, vcpu, false, 20);
	vm_free(vm);
}

TEST(userspace_injection)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_userspace));
	vm_set_idt_gate(vm, USER_VECTOR, ASM_SYMBOL_ADDR(chk_user_handler));
	set_idt_limit(vcpu);
	vcpu_args_set(vcpu, 1, 2000ULL);
	run_and_judge(_metadata, vcpu, true, 20);
	vm_free(vm);
}

TEST_HARNESS_MAIN
