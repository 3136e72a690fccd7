// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs and event re-injection with the interrupt controller in userspace:
 * KVM_NMI (api.rst 4.64, KVM_CAP_USER_NMI), the nmi and shadow fields of
 * KVM_GET/SET_VCPU_EVENTS (4.31), KVM_INTERRUPT (4.16), and #BP injected
 * by the VMM (KVM_SET_GUEST_DEBUG, KVM_SET_VCPU_EVENTS).
 *
 * Architectural rules checked (SDM vol. 3A 6.7.1, 6.8.3, 6.9; APM vol. 2
 * 8.5): an NMI is taken with RFLAGS.IF=0, blocks further NMIs until the
 * IRET that ends its handler, one more waits meanwhile and the rest are
 * lost; NMI has priority over INTR; the STI/MOV SS shadow holds it for
 * one instruction.
 *
 * The guest's handlers for NMI (2), #BP (3) and IRQ_VECTOR run on IST
 * stacks in a memslot the guest never touched before: the first push of
 * each delivery faults in the nested page tables, so the delivery is cut
 * short by an exit and must be completed exactly once.  The handlers log
 * into guest memory; the NMI handler also stops at NMI_PORT.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define MAIN_PORT	0x3f20		/* the guest's main loop stops */
#define NMI_PORT	0x3f21		/* inside the NMI handler */
#define STI_OUT_PORT	0x3f22		/* the OUT of "sti; out; incq MARK" */

#define IRQ_VECTOR	0x30

/* Guest data (GUEST_DATA_GPA's area); plain numbers for the assembly. */
#define CMD_GPA		0x21000		/* the host's command, see guest_main */
#define MARK_GPA	0x21008		/* incremented by the shadow site */
#define NMI_MARK_GPA	0x21010		/* MARK as the NMI handler saw it */
#define BP_COUNT_GPA	0x21018		/* #BP handler runs */
#define BP_RIP_GPA	0x21020		/* the RIP it would return to */
#define LOG_LEN_GPA	0x21100
#define LOG_BUF_GPA	0x21108		/* one character per event */

/* Log characters. */
#define EV_NMI		0x4e		/* 'N': NMI handler entered */
#define EV_NMI_END	0x6e		/* 'n': NMI handler about to IRET */
#define EV_IRQ		0x49		/* 'I': IRQ handler */
#define EV_RET		0x52		/* 'R': after the guest's own IRET */

/* Never touched by the guest before the first delivery on each stack. */
#define FRESH_GPA	0x40000000ULL
#define FRESH_SIZE	0x200000ULL
#define NMI_STACK_TOP	(FRESH_GPA + 0x2000)
#define IRQ_STACK_TOP	(FRESH_GPA + 0x4000)
#define BP_STACK_TOP	(FRESH_GPA + 0x6000)

enum { CMD_NONE, CMD_STI, CMD_IRET, CMD_MARK_SITE, CMD_STI_OUT_SITE,
	CMD_BP_SITE, CMD_NOP_SITE, CMD_DONE };

__asm__(".pushsection .text\n"
	".macro LOG_EVENT c\n"
	"	movq " KVM_STR(LOG_LEN_GPA) ", %rcx\n"
	"	movb $\\c, " KVM_STR(LOG_BUF_GPA) "(%rcx)\n"
	"	incq " KVM_STR(LOG_LEN_GPA) "\n"
	".endm\n"
	"nmi_handler:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	"	movq " KVM_STR(MARK_GPA) ", %rax\n"
	"	movq %rax, " KVM_STR(NMI_MARK_GPA) "\n"
	"	LOG_EVENT " KVM_STR(EV_NMI) "\n"
	"	movl $" KVM_STR(NMI_PORT) ", %edx\n"
	"	outb %al, %dx\n"
	"	LOG_EVENT " KVM_STR(EV_NMI_END) "\n"
	"	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	"irq_handler:\n"
	"	push %rcx\n"
	"	LOG_EVENT " KVM_STR(EV_IRQ) "\n"
	"	pop %rcx\n"
	"	iretq\n"
	"bp_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(BP_COUNT_GPA) "\n"
	"	movq 8(%rsp), %rax\n"
	"	movq %rax, " KVM_STR(BP_RIP_GPA) "\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static void guest_log(u8 c)
{
	u64 n = READ_ONCE(*(u64 *)LOG_LEN_GPA);

	WRITE_ONCE(*(u8 *)(LOG_BUF_GPA + n), c);
	WRITE_ONCE(*(u64 *)LOG_LEN_GPA, n + 1);
}

/* An IRET of the guest's own, to the next instruction, with NMIs idle. */
static void guest_self_iret(void)
{
	__asm__ __volatile__("movq %%rsp, %%rax\n\t"
			     "movl %%ss, %%ecx\n\t"
			     "pushq %%rcx\n\t"
			     "pushq %%rax\n\t"
			     "pushfq\n\t"
			     "movl %%cs, %%ecx\n\t"
			     "pushq %%rcx\n\t"
			     "leaq 1f(%%rip), %%rax\n\t"
			     "pushq %%rax\n\t"
			     "iretq\n\t"
			     "1:"
			     : : : "rax", "rcx", "memory");
}

/*
 * Do the host's command, then stop at MAIN_PORT.  Sites stop with a HLT
 * first (KVM_EXIT_HLT, no in-kernel LAPIC): unlike after an OUT, whose
 * completion waits for the next KVM_RUN, RIP is then at the next
 * instruction, and an interrupt shadow set from userspace covers it.
 */
static void guest_main(void)
{
	for (;;) {
		u64 cmd = READ_ONCE(*(u64 *)CMD_GPA);

		WRITE_ONCE(*(u64 *)CMD_GPA, CMD_NONE);
		switch (cmd) {
		case CMD_STI:
			__asm__ __volatile__("sti" : : : "memory");
			break;
		case CMD_IRET:
			guest_self_iret();
			guest_log(EV_RET);
			break;
		case CMD_MARK_SITE:
			__asm__ __volatile__("hlt\n\t"
					     "incq " KVM_STR(MARK_GPA)
					     : : : "memory");
			break;
		case CMD_STI_OUT_SITE:
			__asm__ __volatile__("sti\n\t"
					     "outb %%al, %%dx\n\t"
					     "incq " KVM_STR(MARK_GPA)
					     : : "a"(0), "d"(STI_OUT_PORT)
					     : "memory");
			break;
		case CMD_BP_SITE:
			__asm__ __volatile__("hlt\n\t"
					     "bp_insn: int3\n\t"
					     "bp_after:"
					     : : : "memory");
			break;
		case CMD_NOP_SITE:
			__asm__ __volatile__("hlt\n\t"
					     "nop_insn: nop\n\t"
					     "nop_after:"
					     : : : "memory");
			break;
		case CMD_DONE:
			GUEST_DONE();
			break;
		}
		guest_outb(MAIN_PORT, 0);
	}
}

struct nmi_guest {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	u64 *cmd, *mark, *nmi_mark, *bp_count, *bp_rip;
	const char *log;	/* NUL-terminated: the memory is zeroed */
};

/* A 64-bit interrupt gate on IST stack @ist (SDM vol. 3A, 6.14.1, 6.14.5). */
static void set_gate(struct kvm_vm *vm, int vector, u64 handler, int ist)
{
	u64 *idt = addr_gpa2hva(vm, GUEST_IDT_GPA);

	idt[2 * vector] = (handler & 0xffff) | ((u64)GDT_SEL_CODE64 << 16) |
			  ((u64)ist << 32) | (0x8eULL << 40) |
			  ((handler >> 16 & 0xffff) << 48);
	idt[2 * vector + 1] = handler >> 32;
}

/* IST1-3 of the 64-bit TSS (SDM vol. 3A, 8.7, figure 8-11). */
static void set_ist(struct kvm_vm *vm, int ist, u64 top)
{
	memcpy((char *)addr_gpa2hva(vm, GUEST_TSS_GPA) + 0x24 + 8 * (ist - 1),
	       &top, sizeof(top));
}

static void guest_create(struct nmi_guest *g)
{
	struct kvm_sregs sregs;

	g->vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
					  GUEST_ENTRY(guest_main), &g->vcpu);
	g->run = g->vcpu->run;
	vm_add_memslot(g->vm, 1, FRESH_GPA, FRESH_SIZE, 0);
	set_ist(g->vm, 1, NMI_STACK_TOP);
	set_ist(g->vm, 2, IRQ_STACK_TOP);
	set_ist(g->vm, 3, BP_STACK_TOP);
	set_gate(g->vm, 2, ASM_SYMBOL_ADDR(nmi_handler), 1);
	set_gate(g->vm, IRQ_VECTOR, ASM_SYMBOL_ADDR(irq_handler), 2);
	set_gate(g->vm, 3, ASM_SYMBOL_ADDR(bp_handler), 3);
	vcpu_sregs_get(g->vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(g->vcpu, &sregs);
	g->cmd = addr_gpa2hva(g->vm, CMD_GPA);
	g->mark = addr_gpa2hva(g->vm, MARK_GPA);
	g->nmi_mark = addr_gpa2hva(g->vm, NMI_MARK_GPA);
	g->bp_count = addr_gpa2hva(g->vm, BP_COUNT_GPA);
	g->bp_rip = addr_gpa2hva(g->vm, BP_RIP_GPA);
	g->log = addr_gpa2hva(g->vm, LOG_BUF_GPA);
}

/* Run until the guest stops at @port (0: HLT); report anything else. */
static void __run_to(struct __test_metadata *_metadata, struct nmi_guest *g,
		     u16 port)
{
	struct ucall uc;

	ASSERT_EQ(0, __vcpu_run(g->vcpu));
	if (!port) {
		ASSERT_EQ((u32)KVM_EXIT_HLT, g->run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(g->run->exit_reason));
		return;
	}
	ASSERT_EQ((u32)KVM_EXIT_IO, g->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(g->run->exit_reason));
	if (g->run->io.port == UCALL_PORT) {
		int cmd = get_ucall(g->vcpu, &uc);

		ASSERT_EQ(port, g->run->io.port)
			TH_LOG("ucall %d: %llu %llu %llu (log \"%s\")", cmd,
			       uc.args[0], uc.args[1], uc.args[2], g->log);
	}
	ASSERT_EQ(port, g->run->io.port) TH_LOG("log \"%s\"", g->log);
}

#define run_to(g, port)		__run_to(_metadata, g, port)
#define SITE_STOP		0

/* Give the guest a command and run it to its next stop at @port. */
static void __command(struct __test_metadata *_metadata, struct nmi_guest *g,
		      u64 cmd, u16 port)
{
	*g->cmd = cmd;
	__run_to(_metadata, g, port);
}

#define command(g, cmd, port)	__command(_metadata, g, cmd, port)

static void guest_done(struct __test_metadata *_metadata, struct nmi_guest *g)
{
	struct ucall uc;

	*g->cmd = CMD_DONE;
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(g->vcpu, &uc));
	vm_free(g->vm);
}

static void get_events(struct __test_metadata *_metadata, struct nmi_guest *g,
		       struct kvm_vcpu_events *ev)
{
	memset(ev, 0xff, sizeof(*ev));
	ASSERT_EQ(0, ioctl(g->vcpu->fd, KVM_GET_VCPU_EVENTS, ev));
}

static void nmi(struct __test_metadata *_metadata, struct nmi_guest *g)
{
	ASSERT_EQ(0, ioctl(g->vcpu->fd, KVM_NMI));
}

TEST(user_nmi_cap_and_events_fields)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_USER_NMI));
	guest_create(&g);

	/* Nothing pending on a new vCPU; KVM_NMI takes no argument. */
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.injected);
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_NMI, 0x1234UL));
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.nmi.pending);

	/* nmi.pending is written only with KVM_VCPUEVENT_VALID_NMI_PENDING. */
	ev.flags = 0;
	ev.nmi.pending = 0;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.nmi.pending);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 0;
	ev.nmi.masked = 1;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(1, ev.nmi.masked);
	ev.flags = 0;
	ev.nmi.masked = 0;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.nmi.masked);

	/* SMM fields that say "not in SMM, nothing pending" are accepted. */
	memset(&ev.smi, 0, sizeof(ev.smi));
	ev.flags = KVM_VCPUEVENT_VALID_SMM;
	EXPECT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));

	/* Nothing was left for the guest. */
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("", g.log);
	guest_done(_metadata, &g);
}

TEST(nmi_taken_with_interrupts_off_and_masks_nmis)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	run_to(&g, MAIN_PORT);
	EXPECT_EQ(0, g.run->if_flag);

	nmi(_metadata, &g);
	run_to(&g, NMI_PORT);
	EXPECT_STREQ("N", g.log);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.injected);

	/* The IRET ends the blocking. */
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("Nn", g.log);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.pending);
	guest_done(_metadata, &g);
}

TEST(second_nmi_waits_for_iret_and_more_are_lost)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;
	int i;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	run_to(&g, MAIN_PORT);
	nmi(_metadata, &g);
	run_to(&g, NMI_PORT);

	/* In the handler: one NMI waits, the others are lost. */
	for (i = 0; i < 5; i++)
		nmi(_metadata, &g);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.nmi.pending);
	EXPECT_EQ(1, ev.nmi.masked);

	/* The second handler starts after the first one's IRET... */
	run_to(&g, NMI_PORT);
	EXPECT_STREQ("NnN", g.log);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(1, ev.nmi.masked);
	/* ...and there is no third. */
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnNn", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnNn", g.log);
	guest_done(_metadata, &g);
}

TEST(nmi_storm_delivers_two)
{
	struct nmi_guest g;
	int i;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	run_to(&g, MAIN_PORT);
	for (i = 0; i < 1000; i++)
		nmi(_metadata, &g);
	run_to(&g, NMI_PORT);
	run_to(&g, NMI_PORT);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnNn", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnNn", g.log);
	guest_done(_metadata, &g);
}

TEST(nmi_before_pending_interrupt)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	command(&g, CMD_STI, MAIN_PORT);
	EXPECT_EQ(1, g.run->if_flag);
	EXPECT_EQ(1, g.run->ready_for_interrupt_injection);

	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_INTERRUPT, &irq));
	nmi(_metadata, &g);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(IRQ_VECTOR, ev.interrupt.nr);
	EXPECT_EQ(1, ev.nmi.pending);

	/* The NMI handler runs first, the interrupt handler after its IRET. */
	run_to(&g, NMI_PORT);
	EXPECT_STREQ("N", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnI", g.log);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0, ev.interrupt.injected);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	guest_done(_metadata, &g);
}

TEST(set_events_nmi_pending_is_delivered)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	run_to(&g, MAIN_PORT);
	get_events(_metadata, &g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 1;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	run_to(&g, NMI_PORT);
	EXPECT_STREQ("N", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("Nn", g.log);
	guest_done(_metadata, &g);
}

TEST(set_events_nmi_masked_holds_nmi_until_iret)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	run_to(&g, MAIN_PORT);
	get_events(_metadata, &g, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	ev.nmi.pending = 1;
	ev.nmi.masked = 1;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));

	/* Held while the guest runs without an IRET... */
	run_to(&g, MAIN_PORT);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("", g.log);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(1, ev.nmi.pending);
	EXPECT_EQ(1, ev.nmi.masked);

	/* ...and taken right after the first one. */
	command(&g, CMD_IRET, NMI_PORT);
	EXPECT_STREQ("N", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("NnR", g.log);
	guest_done(_metadata, &g);
}

/*
 * The site is "hlt; incq MARK": the NMI handler records MARK, so it tells
 * whether the NMI came before or after the instruction following the
 * stop.
 */
static void nmi_at_mark_site(struct __test_metadata *_metadata, bool shadow)
{
	struct kvm_vcpu_events ev;
	struct nmi_guest g;

	guest_create(&g);
	command(&g, CMD_MARK_SITE, SITE_STOP);
	get_events(_metadata, &g, &ev);
	EXPECT_EQ(0U, ev.interrupt.shadow);
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	ev.nmi.pending = 1;
	ev.interrupt.shadow = shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	run_to(&g, NMI_PORT);
	EXPECT_EQ(shadow ? 1U : 0U, *g.nmi_mark);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("Nn", g.log);
	EXPECT_EQ(1U, *g.mark);
	guest_done(_metadata, &g);
}

TEST(nmi_waits_for_interrupt_shadow)
{
	TEST_REQUIRE_KVM();
	nmi_at_mark_site(_metadata, false);
	nmi_at_mark_site(_metadata, true);
}

/* The STI shadow covers the OUT only: once it completed, the NMI comes. */
TEST(interrupt_shadow_ends_with_completed_out)
{
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	command(&g, CMD_STI_OUT_SITE, STI_OUT_PORT);
	nmi(_metadata, &g);
	run_to(&g, NMI_PORT);
	EXPECT_EQ(0U, *g.nmi_mark);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("Nn", g.log);
	EXPECT_EQ(1U, *g.mark);
	guest_done(_metadata, &g);
}

/*
 * A #BP injected at "int3" is that INT3: delivered once, returning past
 * it; the first time its delivery faults on the untouched IST stack, the
 * second time not.  With no INT3 there, KVM 6.1 drops it.  That is SVM's
 * way (without NRIPS, KVM decodes the INT3 to find where to return); VMX
 * injects a software exception with the instruction length of the last
 * exit, and stock kvm-intel was seen delivering such a #BP twice in Bochs:
 * not checked on VMX until understood.
 */
#define BP_SVM_ONLY "the injected-#BP rules checked here are SVM's"

static void inject_bp(struct __test_metadata *_metadata, struct nmi_guest *g,
		      bool guest_debug)
{
	struct kvm_guest_debug dbg;
	struct kvm_vcpu_events ev;

	if (guest_debug) {
		memset(&dbg, 0, sizeof(dbg));
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP;
		ASSERT_EQ(0, ioctl(g->vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
		return;
	}
	get_events(_metadata, g, &ev);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 3;
	ev.exception.has_error_code = 0;
	ASSERT_EQ(0, ioctl(g->vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
}

static void bp_at_site(struct __test_metadata *_metadata, bool guest_debug,
		       int cmd)
{
	/* The sites' labels, in guest_main(). */
	bool int3 = cmd == CMD_BP_SITE;
	struct kvm_regs regs;
	struct nmi_guest g;
	u64 i;

	guest_create(&g);
	for (i = 1; i <= 2; i++) {
		command(&g, cmd, SITE_STOP);
		vcpu_regs_get(g.vcpu, &regs);
		ASSERT_EQ(int3 ? ASM_SYMBOL_ADDR(bp_insn) :
			  ASM_SYMBOL_ADDR(nop_insn), regs.rip);
		inject_bp(_metadata, &g, guest_debug);
		run_to(&g, MAIN_PORT);
		EXPECT_EQ(int3 ? i : 0, *g.bp_count) TH_LOG("round %llu", i);
		if (int3)
			EXPECT_EQ(ASM_SYMBOL_ADDR(bp_after), *g.bp_rip);
	}
	guest_done(_metadata, &g);
}

TEST(injected_bp_survives_interrupted_delivery)
{
	TEST_REQUIRE_KVM();
	if (!host_cpu_has("svm"))
		SKIP(return, BP_SVM_ONLY);
	bp_at_site(_metadata, true, CMD_BP_SITE);
	bp_at_site(_metadata, false, CMD_BP_SITE);
}

TEST(injected_bp_without_int3_is_dropped)
{
	TEST_REQUIRE_KVM();
	if (!host_cpu_has("svm"))
		SKIP(return, BP_SVM_ONLY);
	bp_at_site(_metadata, true, CMD_NOP_SITE);
	bp_at_site(_metadata, false, CMD_NOP_SITE);
}

TEST(kvm_interrupt_survives_interrupted_delivery)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct nmi_guest g;

	TEST_REQUIRE_KVM();
	guest_create(&g);
	command(&g, CMD_STI, MAIN_PORT);
	ASSERT_EQ(0, ioctl(g.vcpu->fd, KVM_INTERRUPT, &irq));
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("I", g.log);
	run_to(&g, MAIN_PORT);
	EXPECT_STREQ("I", g.log);
	guest_done(_metadata, &g);
}

TEST_HARNESS_MAIN
