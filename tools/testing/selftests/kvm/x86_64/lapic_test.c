// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC with the split irqchip (api.rst 7.10,
 * KVM_CAP_SPLIT_IRQCHIP): the guest programs its xAPIC (MMIO page at
 * 0xfee00000) and takes the timer's interrupts in one-shot and periodic
 * mode (SDM vol. 3A, 10.5.4) while it sits in HLT, which must sleep in the
 * kernel (no KVM_EXIT_HLT, almost no CPU time); KVM_SIGNAL_MSI (api.rst
 * 4.71) delivers a vector; KVM_GET/SET_LAPIC (4.57, 4.58) round-trip the
 * register page and TPR shows as CR8; two vCPUs, each in its own thread,
 * wake each other from HLT with fixed IPIs; the BSP starts an AP with
 * INIT and STARTUP IPIs (SDM 8.4.4.1), the AP's KVM_RUN sleeping until
 * then; KVM_GET/SET_MP_STATE; and the errno cases of these ioctls, as KVM
 * 6.1 has them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define START_PORT	0x3f30		/* the guest is about to wait */
#define DONE_PORT	0x3f31		/* it is done waiting */
#define READY_PORT	0x3f32		/* the host may send the MSI */
#define TICK_PORT	0x3f33		/* woke up from HLT */
#define AP_PORT		0x3f34		/* the AP's real-mode code after SIPI */
#define X2_PORT		0x3f35		/* x2APIC guest: a value for the host */

#define TIMER_VECTOR	0x40ULL
#define MSI_VECTOR	0x41
#define PING0_VECTOR	0x42		/* IPI to vCPU 0 */
#define PING1_VECTOR	0x43		/* IPI to vCPU 1 */
#define SIPI_VECTOR	0x30		/* the AP starts at 0x30000 */
#define X2_VECTOR	0x44		/* x2APIC timer, EOI by MSR */

#define TIMER_COUNT_GPA	0x21000		/* timer handler runs */
#define MSI_COUNT_GPA	0x21008		/* MSI handler runs */
#define PING0_GPA	0x21010		/* IPIs vCPU 0 took */
#define PING1_GPA	0x21018		/* IPIs vCPU 1 took */
#define READY1_GPA	0x21020		/* vCPU 1's APIC is enabled */
#define X2_COUNT_GPA	0x21028		/* x2APIC timer handler runs */

#define APIC_GPA	0xfee00000	/* also pasted into assembly */
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0

#define LVT_MASKED	BIT(16)
#define LVT_PERIODIC	BIT(17)

/* KVM's APIC timer counts at 1 GHz (divide by 1): TMICT is in ns. */
#define ONESHOT_NS	1000000000ULL	/* the issue: an idle guest waits 1 s */
#define PERIOD_NS	2000000ULL
#define PERIODS		5ULL

/*
 * Interrupt handlers: count, EOI (SDM 10.8.5), return.  MOVL: a MOVQ
 * immediate would sign-extend 0xfee000b0.
 */
__asm__(".pushsection .text\n"
	"timer_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(TIMER_COUNT_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"msi_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(MSI_COUNT_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"ping0_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(PING0_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"ping1_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(PING1_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"x2_handler:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	"	incq " KVM_STR(X2_COUNT_GPA) "\n"
	"	movl $0x80b, %ecx\n"		/* x2APIC EOI (SDM 10.12.1.2) */
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static void apic_write(u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + reg), val);
}

static u32 reg32(const struct kvm_lapic_state *s, u32 off)
{
	u32 v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

/* Program the timer and sleep in HLT until @want interrupts came. */
static void guest_timer(u64 lvt, u64 tmict, u64 want)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, lvt);
	guest_outb(START_PORT, 0);
	apic_write(APIC_TMICT, tmict);
	while (READ_ONCE(*(u64 *)TIMER_COUNT_GPA) < want)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	apic_write(APIC_LVTT, LVT_MASKED);
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/*
 * Let the host send an MSI, then open a one-instruction interrupt window
 * until the handler ran.  One window is enough architecturally; the
 * emulated host (QEMU TCG) now and then lets one pass without the pending
 * interrupt (stock KVM too), so a bounded retry keeps the test about
 * Kestrel.  More than one delivery still shows in the count.
 */
static void guest_msi(void)
{
	int i;

	apic_write(APIC_SVR, 0x1ff);
	guest_outb(READY_PORT, 0);
	for (i = 0; i < 1000 && !READ_ONCE(*(u64 *)MSI_COUNT_GPA); i++)
		__asm__ __volatile__("sti; nop; cli" : : : "memory");
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/* A long-mode VM with the split irqchip and vCPU 0 at @entry. */
static struct kvm_vcpu *split_guest(struct __test_metadata *_metadata,
				    struct kvm_vm **vmp, u64 entry)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, vm_enable_split_irqchip(vm, 24));
	vcpu = vm_vcpu_add_guest(vm, 0, entry);
	ASSERT_EQ(0, vcpu_set_supported_cpuid(vcpu));
	vm_set_idt_gate(vm, TIMER_VECTOR, ASM_SYMBOL_ADDR(timer_handler));
	vm_set_idt_gate(vm, MSI_VECTOR, ASM_SYMBOL_ADDR(msi_handler));
	vm_set_idt_gate(vm, PING0_VECTOR, ASM_SYMBOL_ADDR(ping0_handler));
	vm_set_idt_gate(vm, PING1_VECTOR, ASM_SYMBOL_ADDR(ping1_handler));
	vm_set_idt_gate(vm, X2_VECTOR, ASM_SYMBOL_ADDR(x2_handler));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
	*vmp = vm;
	return vcpu;
}

static void run_to_port(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u16 port)
{
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	ASSERT_EQ(port, vcpu->run->io.port);
}

static void run_to_done(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc))
		TH_LOG("ucall %lu at %s", (unsigned long)uc.cmd,
		       uc.file ? uc.file : "?");
}

static u64 ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Run the timer guest; returns the wall and thread CPU time it waited. */
static void timer_case(struct __test_metadata *_metadata, u64 lvt,
		       u64 tmict, u64 want, u64 *wall, u64 *cpu)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 w0, c0, count;

	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_timer));
	vcpu_args_set(vcpu, 3, lvt, tmict, want);	/* all u64 */
	run_to_port(_metadata, vcpu, START_PORT);
	w0 = ns_of(CLOCK_MONOTONIC);
	c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	/* No KVM_EXIT_HLT: the next exit is the guest saying it is done. */
	run_to_port(_metadata, vcpu, DONE_PORT);
	*cpu = ns_of(CLOCK_THREAD_CPUTIME_ID) - c0;
	*wall = ns_of(CLOCK_MONOTONIC) - w0;
	vm_read_mem(vm, TIMER_COUNT_GPA, &count, sizeof(count));
	EXPECT_GE(count, want);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(timer_oneshot_halt_sleeps)
{
	u64 wall, cpu;

	TEST_REQUIRE_KVM();
	timer_case(_metadata, TIMER_VECTOR, ONESHOT_NS, 1ULL, &wall, &cpu);
	TH_LOG("one-shot: waited %llu ms, vCPU thread used %llu ms of CPU",
	       (unsigned long long)wall / 1000000,
	       (unsigned long long)cpu / 1000000);
	/* Not before the count ran out (SDM 10.5.4)... */
	EXPECT_GE(wall, ONESHOT_NS - ONESHOT_NS / 10);
	/* ...and the vCPU thread slept meanwhile. */
	EXPECT_LT(cpu, wall / 10);
}

/* Periodic mode: stop at TICK_PORT after each wake-up, to watch it. */
static void guest_periodic(u64 lvt, u64 tmict, u64 want)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, lvt);
	apic_write(APIC_TMICT, tmict);
	while (READ_ONCE(*(u64 *)TIMER_COUNT_GPA) < want) {
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
		guest_outb(TICK_PORT, 0);
	}
	apic_write(APIC_LVTT, LVT_MASKED);
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

TEST(timer_periodic)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 w0, wall, count = 0;
	int i;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_periodic));
	vcpu_args_set(vcpu, 3, TIMER_VECTOR | LVT_PERIODIC, PERIOD_NS,
		      PERIODS);
	w0 = ns_of(CLOCK_MONOTONIC);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, __vcpu_run(vcpu));
		ASSERT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason)
			TH_LOG("exit %s",
			       exit_reason_str(vcpu->run->exit_reason));
		vm_read_mem(vm, TIMER_COUNT_GPA, &count, sizeof(count));
		TH_LOG("port %#x after %llu us: %llu interrupts",
		       vcpu->run->io.port,
		       (unsigned long long)(ns_of(CLOCK_MONOTONIC) - w0) / 1000,
		       (unsigned long long)count);
		if (vcpu->run->io.port == DONE_PORT)
			break;
		ASSERT_EQ(TICK_PORT, vcpu->run->io.port);
	}
	wall = ns_of(CLOCK_MONOTONIC) - w0;
	ASSERT_EQ(DONE_PORT, vcpu->run->io.port);
	/*
	 * Under an emulated host the next period may fire while the handler
	 * still runs, so a wake-up can see two: at least PERIODS, and never
	 * more than the periods that elapsed.
	 */
	EXPECT_LE(PERIODS, count);
	EXPECT_LE(count, wall / PERIOD_NS + 1);
	EXPECT_GE(wall, (PERIODS - 1) * PERIOD_NS);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(signal_msi)
{
	struct kvm_msi msi = { .address_lo = APIC_GPA, .data = MSI_VECTOR };
	struct kvm_msi nobody = {
		.address_lo = APIC_GPA | (7 << 12), .data = MSI_VECTOR,
	};
	struct kvm_lapic_state st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 count;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_SIGNAL_MSI));
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_msi));
	run_to_port(_metadata, vcpu, READY_PORT);
	/* One APIC took it; a destination nobody has: none did. */
	EXPECT_EQ(1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_SIGNAL_MSI, &nobody));
	msi.flags = 2;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	run_to_port(_metadata, vcpu, DONE_PORT);
	vm_read_mem(vm, MSI_COUNT_GPA, &count, sizeof(count));
	EXPECT_EQ(1ULL, count);
	/* The handler's EOI retired it: IRR and ISR clear. */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st));
	EXPECT_EQ(0U, reg32(&st, APIC_IRR + 0x10 * (MSI_VECTOR / 32)));
	EXPECT_EQ(0U, reg32(&st, APIC_ISR + 0x10 * (MSI_VECTOR / 32)));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * TPR raised through CR8 holds back an MSI; lowering CR8 lets it in at the
 * next instruction boundary (SDM vol. 3A, 10.8.6), even though the guest
 * then runs without exits: @seen is the handler count right after the MOV.
 */
static void guest_cr8(void)
{
	u64 seen;

	apic_write(APIC_SVR, 0x1ff);
	__asm__ __volatile__("mov %0, %%cr8; sti" : : "r"(15ULL));
	guest_outb(READY_PORT, 0);
	__asm__ __volatile__("mov %1, %%cr8\n\t"
			     "mov " KVM_STR(MSI_COUNT_GPA) ", %0"
			     : "=r"(seen) : "r"(0ULL) : "memory");
	__asm__ __volatile__("cli");
	GUEST_SYNC(seen);
	GUEST_DONE();
}

TEST(cr8_unblocks_at_once)
{
	struct kvm_msi msi = { .address_lo = APIC_GPA, .data = MSI_VECTOR };
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_cr8));
	run_to_port(_metadata, vcpu, READY_PORT);
	EXPECT_EQ(1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

/* KVM_GET/SET_LAPIC after the guest set SVR and took an MSI. */
TEST(get_set_lapic)
{
	struct kvm_msi msi = { .address_lo = APIC_GPA, .data = MSI_VECTOR };
	struct kvm_lapic_state st, st2;
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 tpr = 0x20;
	int i;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_msi));
	run_to_port(_metadata, vcpu, READY_PORT);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st));
	EXPECT_EQ(0x1ffU, reg32(&st, APIC_SVR));
	EXPECT_EQ(0U, reg32(&st, 0x20));		/* APIC ID of vCPU 0 */
	EXPECT_EQ(0U, reg32(&st, APIC_IRR + 0x10 * (MSI_VECTOR / 32)));
	ASSERT_EQ(1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st));
	EXPECT_EQ(1U << (MSI_VECTOR % 32),
		  reg32(&st, APIC_IRR + 0x10 * (MSI_VECTOR / 32)));

	/* TPR set through the page shows as CR8 (SDM 10.8.6.1). */
	memcpy(st.regs + APIC_TPR, &tpr, sizeof(tpr));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_LAPIC, &st));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st2));
	for (i = 0; i < KVM_APIC_REG_SIZE; i += 16) {
		/* The current count moves; PPR follows TPR (SDM 10.8.3.1). */
		if (i != 0x390 && i != 0xa0 && reg32(&st, i) != reg32(&st2, i))
			break;
	}
	EXPECT_EQ(KVM_APIC_REG_SIZE, i)
		TH_LOG("register %#x: set %#x, got %#x", i, reg32(&st, i),
		       reg32(&st2, i));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(2ULL, sregs.cr8);
	/* And back: CR8 0 through KVM_SET_SREGS makes TPR 0. */
	sregs.cr8 = 0;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st2));
	EXPECT_EQ(0U, reg32(&st2, APIC_TPR));

	run_to_port(_metadata, vcpu, DONE_PORT);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

/* Fixed IPI, physical destination (SDM 10.6.1), edge, asserted. */
static void send_ipi(u32 dest, u32 vector)
{
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, (1U << 14) | vector);
}

static void wait_count(u64 gpa, u64 n)
{
	while (READ_ONCE(*(u64 *)gpa) < n)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}

#define ROUNDS		20ULL

/* vCPU 0 and 1 take turns: each IPI wakes the other from HLT. */
static void guest_ping(u64 me)
{
	u64 i;

	apic_write(APIC_SVR, 0x1ff);
	if (me == 1)
		WRITE_ONCE(*(u64 *)READY1_GPA, 1);
	while (!READ_ONCE(*(u64 *)READY1_GPA))
		__asm__ __volatile__("pause");
	for (i = 1; i <= ROUNDS; i++) {
		if (me == 0) {
			send_ipi(1, PING1_VECTOR);
			wait_count(PING0_GPA, i);
		} else {
			wait_count(PING1_GPA, i);
			send_ipi(0, PING0_VECTOR);
		}
	}
	GUEST_DONE();
}

struct runner {
	struct kvm_vcpu *vcpu;
	int r;			/* the ucall, or -1 */
	u32 exit_reason;
	u16 port;
};

static void *run_thread(void *arg)
{
	struct runner *t = arg;
	struct ucall uc;

	t->r = vcpu_run_ucall(t->vcpu, &uc);
	t->exit_reason = t->vcpu->run->exit_reason;
	t->port = t->vcpu->run->io.port;
	return NULL;
}

/* A second long-mode vCPU that starts RUNNABLE, as the BSP does. */
static struct kvm_vcpu *add_ap(struct __test_metadata *_metadata,
			       struct kvm_vm *vm, u64 entry)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *ap = vm_vcpu_add_guest(vm, 1, entry);
	struct kvm_sregs sregs;

	ASSERT_EQ(0, vcpu_set_supported_cpuid(ap));
	vcpu_sregs_get(ap, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(ap, &sregs);
	ASSERT_EQ(0, ioctl(ap->fd, KVM_SET_MP_STATE, &mp));
	return ap;
}

/*
 * A vCPU thread that a watchdog can stop: SIGUSR1 (no SA_RESTART) makes
 * KVM_RUN return EINTR, and the thread returns once told to stop.
 */
static int stop_runners;

static void sigusr1_nop(int sig)
{
}

static void *run_thread_stoppable(void *arg)
{
	struct runner *t = arg;
	struct ucall uc;
	int r;

	for (;;) {
		r = __vcpu_run(t->vcpu);
		if (r == -EINTR) {
			if (__atomic_load_n(&stop_runners, __ATOMIC_SEQ_CST))
				break;
			continue;
		}
		TEST_ASSERT(!r, "KVM_RUN: %d", r);
		t->r = get_ucall(t->vcpu, &uc);
		break;
	}
	t->exit_reason = t->vcpu->run->exit_reason;
	t->port = t->vcpu->run->io.port;
	return NULL;
}

/* What a stuck vCPU looks like: its APIC's ISR/IRR, state and RIP. */
static void dump_vcpu(struct __test_metadata *_metadata, struct kvm_vcpu *v)
{
	struct kvm_lapic_state *ls = calloc(1, sizeof(*ls));
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	int i;

	ASSERT_TRUE(!!ls);
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_LAPIC, ls));
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_MP_STATE, &mp));
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev));
	vcpu_regs_get(v, &regs);
	TH_LOG("vCPU %u: mp_state %u rip %#llx rflags %#llx shadow %u irq inj %u nr %u, exit %s",
	       v->id, mp.mp_state, regs.rip, regs.rflags,
	       ev.interrupt.shadow, ev.interrupt.injected, ev.interrupt.nr,
	       exit_reason_str(v->run->exit_reason));
	for (i = 7; i >= 0; i--)
		TH_LOG("  ISR[%d] %08x IRR[%d] %08x TMR[%d] %08x", i,
		       *(u32 *)&ls->regs[0x100 + i * 16], i,
		       *(u32 *)&ls->regs[0x200 + i * 16], i,
		       *(u32 *)&ls->regs[0x180 + i * 16]);
	TH_LOG("  TPR %#x PPR %#x SVR %#x", *(u32 *)&ls->regs[0x80],
	       *(u32 *)&ls->regs[0xa0], *(u32 *)&ls->regs[0xf0]);
	free(ls);
}

/*
 * Join both vCPU threads, or after @secs stop them and say where they
 * were: a lost wake-up or IPI shows as a hang, which the harness would
 * only kill, with nothing to learn from.
 */
static bool join_or_dump(struct __test_metadata *_metadata,
			 pthread_t th[2], struct runner *t[2], int secs)
{
	struct sigaction sa = { .sa_handler = sigusr1_nop };
	struct timespec deadline;
	bool ok = true;
	int i;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += secs;
	for (i = 0; i < 2; i++) {
		if (!pthread_timedjoin_np(th[i], NULL, &deadline))
			continue;
		ok = false;
		__atomic_store_n(&stop_runners, 1, __ATOMIC_SEQ_CST);
		sigaction(SIGUSR1, &sa, NULL);
		while (pthread_tryjoin_np(th[i], NULL)) {
			pthread_kill(th[i], SIGUSR1);
			usleep(10000);
		}
	}
	if (!ok)
		for (i = 0; i < 2; i++)
			dump_vcpu(_metadata, t[i]->vcpu);
	return ok;
}

/* One ping-pong in a fresh VM; false if it stalled (then dumped). */
static bool ping_pong(struct __test_metadata *_metadata, int r[2], u64 n[2])
{
	struct runner t0 = { 0 }, t1 = { 0 };
	struct runner *t[2] = { &t0, &t1 };
	pthread_t th[2];
	struct kvm_vm *vm;
	bool ok;

	__atomic_store_n(&stop_runners, 0, __ATOMIC_SEQ_CST);
	t0.vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_ping));
	t1.vcpu = add_ap(_metadata, vm, GUEST_ENTRY(guest_ping));
	vcpu_args_set(t0.vcpu, 1, 0ULL);
	vcpu_args_set(t1.vcpu, 1, 1ULL);
	ASSERT_EQ(0, pthread_create(&th[0], NULL, run_thread_stoppable, &t0));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, run_thread_stoppable, &t1));
	ok = join_or_dump(_metadata, th, t, 20);
	r[0] = t0.r;
	r[1] = t1.r;
	if (!ok)
		TH_LOG("vCPU 0: exit %s; vCPU 1: exit %s",
		       exit_reason_str(t0.exit_reason),
		       exit_reason_str(t1.exit_reason));
	vm_read_mem(vm, PING0_GPA, &n[0], sizeof(n[0]));
	vm_read_mem(vm, PING1_GPA, &n[1], sizeof(n[1]));
	vm_free(vm);
	return ok;
}

/*
 * The emulated host (QEMU TCG) now and then stalls this: vCPU 0 counted
 * 20 IPIs though vCPU 1 sent 19, vCPU 1 counted 19 of 20, both halted
 * with IRR and ISR empty; make bench's IPI ping-pong showed the same on
 * stock KVM in that host ("1000 of 1000; 999 of 1000").  There, one stall
 * is logged and the test runs again: a Kestrel bug that loses IPIs fails
 * both times, and on hardware there is no second chance.
 */
TEST(ipi_ping_pong)
{
	u64 n[2];
	int r[2];
	bool ok;

	TEST_REQUIRE_KVM();
	ok = ping_pong(_metadata, r, n);
	if (!ok && host_is_qemu_tcg()) {
		TH_LOG("stalled at %llu/%llu on QEMU TCG: once more",
		       (unsigned long long)n[0], (unsigned long long)n[1]);
		ok = ping_pong(_metadata, r, n);
	}
	EXPECT_TRUE(ok);
	EXPECT_EQ(UCALL_DONE, r[0]);
	EXPECT_EQ(UCALL_DONE, r[1]);
	EXPECT_EQ(ROUNDS, n[0]);
	EXPECT_EQ(ROUNDS, n[1]);
}

/*
 * Delivery modes and destinations between two vCPUs (SDM vol. 3A, 10.6.1
 * ICR, 10.6.2 destinations): each handler counts per receiving APIC ID,
 * cnt[slot][apic id].
 */
#define MODES_CNT_GPA	0x21100
#define MODES_DONE_GPA	0x21200
#define LOGICAL_VECTOR	0x45
#define SELF_VECTOR	0x46
#define ALLINC_VECTOR	0x47
#define ALLEXC_VECTOR	0x48
#define LOWEST_VECTOR	0x49
#define SLOT_NMI	5

#define MODE_HANDLER(name, slot, eoi)					\
	#name ":\n"							\
	"	push %rax\n"						\
	"	movl $" KVM_STR(APIC_GPA) " + 0x20, %eax\n"		\
	"	movl (%rax), %eax\n"					\
	"	shrl $24, %eax\n"					\
	"	lock incq " KVM_STR(MODES_CNT_GPA) " + " #slot " * 16(,%rax,8)\n" \
	eoi								\
	"	pop %rax\n"						\
	"	iretq\n"

#define MODE_EOI "	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n" \
		 "	movl $0, (%rax)\n"

__asm__(".pushsection .text\n"
	MODE_HANDLER(logical_handler, 0, MODE_EOI)
	MODE_HANDLER(self_handler, 1, MODE_EOI)
	MODE_HANDLER(allinc_handler, 2, MODE_EOI)
	MODE_HANDLER(allexc_handler, 3, MODE_EOI)
	MODE_HANDLER(lowest_handler, 4, MODE_EOI)
	MODE_HANDLER(modes_nmi_handler, 5, "")
	".popsection\n");

static u64 modes_total(int slot)
{
	u64 *c = (u64 *)(uintptr_t)(MODES_CNT_GPA + slot * 16);

	return READ_ONCE(c[0]) + READ_ONCE(c[1]);
}

/* vCPU 0 sends, then waits until the receivers counted @want in all. */
static void modes_send(u32 dest, u32 icr, int slot, u64 want)
{
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
	while (modes_total(slot) < want)
		__asm__ __volatile__("pause");
}

static void guest_modes(u64 me)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(0xe0, 0xffffffff);			/* DFR: flat model */
	apic_write(0xd0, (me ? 0x02U : 0x01U) << 24);	/* LDR */
	if (me == 1) {
		WRITE_ONCE(*(u64 *)READY1_GPA, 1);
		while (!READ_ONCE(*(u64 *)MODES_DONE_GPA))
			__asm__ __volatile__("sti; hlt; cli" : : : "memory");
		GUEST_DONE();
	}
	while (!READ_ONCE(*(u64 *)READY1_GPA))
		__asm__ __volatile__("pause");
	__asm__ __volatile__("sti");
	modes_send(0x02, BIT(14) | BIT(11) | LOGICAL_VECTOR, 0, 1);
	modes_send(0, BIT(14) | (1U << 18) | SELF_VECTOR, 1, 1);
	modes_send(0, BIT(14) | (2U << 18) | ALLINC_VECTOR, 2, 2);
	modes_send(0, BIT(14) | (3U << 18) | ALLEXC_VECTOR, 3, 1);
	modes_send(0x03, BIT(14) | BIT(11) | (1U << 8) | LOWEST_VECTOR, 4, 1);
	modes_send(1, BIT(14) | (4U << 8), SLOT_NMI, 1);
	__asm__ __volatile__("cli");
	WRITE_ONCE(*(u64 *)MODES_DONE_GPA, 1);
	send_ipi(1, PING1_VECTOR);
	GUEST_DONE();
}

TEST(ipi_delivery_modes)
{
	struct runner t0 = { 0 }, t1 = { 0 };
	struct runner *t[2] = { &t0, &t1 };
	u64 cnt[6][2];
	pthread_t th[2];
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	t0.vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_modes));
	t1.vcpu = add_ap(_metadata, vm, GUEST_ENTRY(guest_modes));
	vm_set_idt_gate(vm, LOGICAL_VECTOR, ASM_SYMBOL_ADDR(logical_handler));
	vm_set_idt_gate(vm, SELF_VECTOR, ASM_SYMBOL_ADDR(self_handler));
	vm_set_idt_gate(vm, ALLINC_VECTOR, ASM_SYMBOL_ADDR(allinc_handler));
	vm_set_idt_gate(vm, ALLEXC_VECTOR, ASM_SYMBOL_ADDR(allexc_handler));
	vm_set_idt_gate(vm, LOWEST_VECTOR, ASM_SYMBOL_ADDR(lowest_handler));
	vm_set_idt_gate(vm, 2, ASM_SYMBOL_ADDR(modes_nmi_handler));
	vcpu_args_set(t0.vcpu, 1, 0ULL);
	vcpu_args_set(t1.vcpu, 1, 1ULL);
	ASSERT_EQ(0, pthread_create(&th[0], NULL, run_thread_stoppable, &t0));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, run_thread_stoppable, &t1));
	EXPECT_TRUE(join_or_dump(_metadata, th, t, 20));
	EXPECT_EQ(UCALL_DONE, t0.r);
	EXPECT_EQ(UCALL_DONE, t1.r);
	vm_read_mem(vm, MODES_CNT_GPA, cnt, sizeof(cnt));
	/* Logical flat, LDR bit 1: vCPU 1 only. */
	EXPECT_EQ(0ULL, cnt[0][0]);
	EXPECT_EQ(1ULL, cnt[0][1]);
	/* Shorthands: self; all including self; all excluding self. */
	EXPECT_EQ(1ULL, cnt[1][0]);
	EXPECT_EQ(0ULL, cnt[1][1]);
	EXPECT_EQ(1ULL, cnt[2][0]);
	EXPECT_EQ(1ULL, cnt[2][1]);
	EXPECT_EQ(0ULL, cnt[3][0]);
	EXPECT_EQ(1ULL, cnt[3][1]);
	/* Lowest priority to both: exactly one of them. */
	EXPECT_EQ(1ULL, cnt[4][0] + cnt[4][1]);
	/* NMI to vCPU 1 (it was in HLT). */
	EXPECT_EQ(0ULL, cnt[SLOT_NMI][0]);
	EXPECT_EQ(1ULL, cnt[SLOT_NMI][1]);
	vm_free(vm);
}

/* The BSP starts the AP: INIT, then STARTUP (SDM 8.4.4.1). */
static void guest_start_ap(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR2, 1U << 24);
	apic_write(APIC_ICR, (1U << 14) | (5U << 8));		/* INIT */
	apic_write(APIC_ICR2, 1U << 24);
	apic_write(APIC_ICR, (1U << 14) | (6U << 8) | SIPI_VECTOR);
	GUEST_DONE();
}

/*
 * An AP that never got INIT: KVM_RUN sleeps until INIT comes, then fails
 * with EAGAIN for the VMM to run it again (KVM 6.1); then it sleeps in
 * wait-for-SIPI, and runs.
 */
static void *run_ap_thread(void *arg)
{
	struct runner *t = arg;
	int i;

	/* KVM may also return EAGAIN for a wake-up that was no INIT. */
	for (i = 0; i < 100; i++) {
		t->r = __vcpu_run(t->vcpu);
		if (t->r != -EAGAIN)
			break;
	}
	t->exit_reason = t->vcpu->run->exit_reason;
	t->port = t->vcpu->run->io.port;
	return NULL;
}

#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_LSTAR		0xc0000082
#define MSR_KERNEL_GS_BASE	0xc0000102

/* One MSR through KVM_SET_MSRS / KVM_GET_MSRS. */
static void set_msr(struct kvm_vcpu *vcpu, u32 index, u64 v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index, .e.data = v };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1, "KVM_SET_MSRS");
}

static u64 get_msr(struct kvm_vcpu *vcpu, u32 index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_GET_MSRS, &m) == 1, "KVM_GET_MSRS");
	return m.e.data;
}

TEST(init_sipi_starts_ap)
{
	/* Real mode at 0x30000: mov $AP_PORT, %dx; out %al, %dx; hlt. */
	static const u8 ap_code[] = {
		0xba, AP_PORT & 0xff, AP_PORT >> 8, 0xee, 0xf4,
	};
	struct runner t0 = { 0 }, t1 = { 0 };
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	pthread_t th0, th1;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	t0.vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_start_ap));
	t1.vcpu = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_start_ap));
	vm_write_mem(vm, (u64)SIPI_VECTOR << 12, ap_code, sizeof(ap_code));
	ASSERT_EQ(0, ioctl(t1.vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	/* INIT leaves MSRs alone (SDM vol. 3A, table 9-1). */
	set_msr(t1.vcpu, MSR_LSTAR, 0xffffffff81234560ULL);
	set_msr(t1.vcpu, MSR_IA32_SYSENTER_EIP, 0xc0ffee);
	set_msr(t1.vcpu, MSR_KERNEL_GS_BASE, 0xffff888012345000ULL);
	set_msr(t1.vcpu, MSR_IA32_CR_PAT, 0x0007040600070406ULL);
	/* The AP's KVM_RUN sleeps until INIT and SIPI come. */
	ASSERT_EQ(0, pthread_create(&th1, NULL, run_ap_thread, &t1));
	ASSERT_EQ(0, pthread_create(&th0, NULL, run_thread, &t0));
	pthread_join(th0, NULL);
	pthread_join(th1, NULL);
	EXPECT_EQ(UCALL_DONE, t0.r);
	EXPECT_EQ(0, t1.r);
	ASSERT_EQ((u32)KVM_EXIT_IO, t1.exit_reason)
		TH_LOG("AP: exit %s", exit_reason_str(t1.exit_reason));
	EXPECT_EQ(AP_PORT, t1.port);
	vcpu_sregs_get(t1.vcpu, &sregs);
	vcpu_regs_get(t1.vcpu, &regs);
	/*
	 * INIT put it in real mode, SIPI at CS = vector << 8, IP 0; it stops
	 * at the OUT (IP 3), which completes at the next KVM_RUN.
	 */
	EXPECT_EQ(0ULL, sregs.cr0 & 1);
	EXPECT_EQ(SIPI_VECTOR << 8, sregs.cs.selector);
	EXPECT_EQ((u64)SIPI_VECTOR << 12, sregs.cs.base);
	EXPECT_EQ(3ULL, regs.rip);
	ASSERT_EQ(0, ioctl(t1.vcpu->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_RUNNABLE, mp.mp_state);
	EXPECT_EQ(0xffffffff81234560ULL, get_msr(t1.vcpu, MSR_LSTAR));
	EXPECT_EQ(0xc0ffeeULL, get_msr(t1.vcpu, MSR_IA32_SYSENTER_EIP));
	EXPECT_EQ(0xffff888012345000ULL, get_msr(t1.vcpu, MSR_KERNEL_GS_BASE));
	EXPECT_EQ(0x0007040600070406ULL, get_msr(t1.vcpu, MSR_IA32_CR_PAT));
	vm_free(vm);
}

/*
 * KVM_GET_MP_STATE of an AP that was sent INIT and SIPI but has not run
 * since: the events are taken first (KVM's kvm_apic_accept_events()), so
 * a VMM saving the AP sees it started, not UNINITIALIZED.
 */
TEST(mp_state_takes_pending_init_sipi)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu *bsp, *ap;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct ucall uc;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	bsp = split_guest(_metadata, &vm, GUEST_ENTRY(guest_start_ap));
	ap = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_start_ap));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(bsp, &uc));
	ASSERT_EQ(0, ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_RUNNABLE, mp.mp_state);
	vcpu_sregs_get(ap, &sregs);
	vcpu_regs_get(ap, &regs);
	EXPECT_EQ(SIPI_VECTOR << 8, sregs.cs.selector);
	EXPECT_EQ(0ULL, regs.rip);
	vm_free(vm);
}

/* TPR and the SVR set, then a triple fault. */
static void guest_tpr_then_shutdown(void)
{
	u16 idtr[5] = { 0 };

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x50);
	__asm__ __volatile__("lidt %0\n\tint $0x30" : : "m"(idtr));
	GUEST_DONE();
}

/*
 * A shutdown resets the vCPU as INIT does on SVM (the VMCB is undefined
 * then, APM 15.12), the in-kernel APIC included (as KVM); on VMX nothing
 * is reset (kvm-intel's handle_triple_fault()): the TPR and SVR the guest
 * wrote stay.  Which MSRs survive is not checked: stock KVM loses those
 * only its VMCB holds (LSTAR...), Kestrel keeps them as INIT does.
 */
TEST(shutdown_resets_apic)
{
	struct kvm_lapic_state *ls = calloc(1, sizeof(*ls));
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool reset = host_cpu_has("svm");

	TEST_REQUIRE_KVM();
	ASSERT_TRUE(!!ls);
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_tpr_then_shutdown));
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_SHUTDOWN, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, ls));
	EXPECT_EQ(reset ? 0U : 0x50U, reg32(ls, APIC_TPR));
	EXPECT_EQ(reset ? 0xffU : 0x1ffU, reg32(ls, APIC_SVR));
	free(ls);
	vm_free(vm);
}

/* vCPU 3 of a split-irqchip VM, in x2APIC mode; its APIC ID register. */
static u32 x2apic_id_reg(struct __test_metadata *_metadata, u64 api_flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X2APIC_API, .args = { api_flags },
	};
	struct kvm_lapic_state *ls = calloc(1, sizeof(*ls));
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 id;

	vm = vm_create_guest(GUEST_MODE_LONG64);
	EXPECT_EQ(0, vm_enable_split_irqchip(vm, 24));
	if (api_flags)
		EXPECT_EQ(0, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	vcpu = vm_vcpu_add_guest(vm, 3, GUEST_ENTRY(guest_msi));
	ASSERT_EQ(0, vcpu_set_supported_cpuid(vcpu));
	set_msr(vcpu, 0x1b, 0xfee00000ULL | BIT(11) | BIT(10));
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, ls));
	id = reg32(ls, 0x20);
	free(ls);
	vm_free(vm);
	return id;
}

/*
 * KVM_CAP_X2APIC_API (api.rst 7.7): the flags it reports and accepts;
 * with 32-bit IDs, KVM_GET_LAPIC gives an x2APIC's ID as is (else in bits
 * 31:24, the xAPIC place), and an MSI address_hi may not use bits 7:0.
 */
TEST(x2apic_api)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X2APIC_API };
	struct kvm_msi msi = {
		.address_lo = APIC_GPA, .address_hi = 1, .data = MSI_VECTOR,
	};
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	ASSERT_EQ(3, kvm_check_cap(KVM_CAP_X2APIC_API));
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, vm_enable_split_irqchip(vm, 24));
	/* Before any vCPU, stock KVM has no APIC map: -1 for any MSI. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_msi));
	cap.args[0] = 4;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	/* Without the 32-bit format, address_hi is ignored. */
	EXPECT_LE(0, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	cap.args[0] = KVM_X2APIC_API_USE_32BIT_IDS |
		      KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
	EXPECT_EQ(0, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);

	EXPECT_EQ(3U << 24, x2apic_id_reg(_metadata, 0));
	EXPECT_EQ(3U, x2apic_id_reg(_metadata, KVM_X2APIC_API_USE_32BIT_IDS));
}

#define VAPIC_GPA	0x21300

#define VAPIC_GPA	0x21300

/*
 * As code patched by QEMU's kvmvapic ROM does: TPR written into the VAPIC
 * page, taken into the APIC at the next exit (the OUT); then read back
 * through the APIC page.
 */
static void guest_vapic(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x50);
	WRITE_ONCE(*(u32 *)VAPIC_GPA, 0x20);
	guest_outb(READY_PORT, 0);
	GUEST_SYNC(READ_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_TPR)));
	GUEST_DONE();
}

/* KVM_SET_VAPIC_ADDR (api.rst 4.59): errors, and the guest's TPR byte. */
TEST(vapic_page)
{
	struct kvm_vapic_addr va = { .vapic_addr = VAPIC_GPA };
	struct kvm_vapic_addr nowhere = { .vapic_addr = 1ULL << 40 };
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	ASSERT_EQ(1, kvm_check_cap(KVM_CAP_VAPIC));
	/* No in-kernel APIC: -EINVAL. */
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_vapic), &vcpu);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_VAPIC_ADDR, &va));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);

	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_vapic));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_VAPIC_ADDR, &nowhere));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_VAPIC_ADDR, &va));
	run_to_port(_metadata, vcpu, READY_PORT);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x20ULL, uc.args[0]);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

static u64 guest_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (u64)hi << 32;
}

static void guest_wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v),
			     "d"((u32)(v >> 32)) : "memory");
}

static u64 guest_rdtsc(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (u64)hi << 32;
}

static void x2_report(u64 v)
{
	WRITE_ONCE(*(u64 *)(X2_COUNT_GPA + 8), v);
	guest_outb(X2_PORT, 0);
}

/*
 * x2APIC mode (SDM 10.12): enable it through IA32_APIC_BASE, then use the
 * MSRs; the MMIO page answers without an exit (KVM's LAPIC_MMIO_HOLE
 * quirk).  Then
 * the TSC-deadline timer (10.5.4.1) @delta TSC cycles ahead, in HLT.
 */
static void guest_x2apic(u64 delta)
{
	guest_wrmsr(0x1b, guest_rdmsr(0x1b) | BIT(10));
	x2_report(guest_rdmsr(0x1b));
	x2_report(guest_rdmsr(0x802));			/* x2APIC ID */
	x2_report(READ_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + 0x30)));
	guest_wrmsr(0x80f, 0x1ff);			/* SVR */
	guest_wrmsr(0x832, X2_VECTOR | (2U << 17));	/* LVTT: deadline */
	guest_outb(START_PORT, 0);
	guest_wrmsr(0x6e0, guest_rdtsc() + delta);	/* IA32_TSC_DEADLINE */
	while (READ_ONCE(*(u64 *)X2_COUNT_GPA) < 1)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	guest_outb(DONE_PORT, 0);
	/* Cleared when it fired (SDM 10.5.4.1). */
	x2_report(guest_rdmsr(0x6e0));
	GUEST_DONE();
}

static u64 x2_value(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu)
{
	u64 v;

	run_to_port(_metadata, vcpu, X2_PORT);
	vm_read_mem(vcpu->vm, X2_COUNT_GPA + 8, &v, sizeof(v));
	return v;
}

TEST(x2apic_tsc_deadline)
{
	struct kvm_cpuid2 *c;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 w0, wall, v;
	int khz, i;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER));
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_x2apic));
	/* As VMMs do: TSC-deadline in CPUID because of the capability. */
	c = calloc(1, sizeof(*c) + 256 * sizeof(struct kvm_cpuid_entry2));
	ASSERT_NE(NULL, c);
	c->nent = 256;
	ASSERT_EQ(0, ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c));
	for (i = 0; i < (int)c->nent; i++) {
		if (c->entries[i].function == 1) {
			EXPECT_NE(0U, c->entries[i].ecx & BIT(21)); /* x2APIC */
			c->entries[i].ecx |= BIT(24);
		}
	}
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	vcpu_args_set(vcpu, 1, (u64)khz * 100);		/* 100 ms */

	v = x2_value(_metadata, vcpu);
	/* BSP, EXTD, EN (SDM 10.12.1). */
	EXPECT_EQ(0xd00ULL, v & 0xd00)
		TH_LOG("APIC base %#llx", (unsigned long long)v);
	EXPECT_EQ(0ULL, x2_value(_metadata, vcpu));	/* ID of vCPU 0 */
	/*
	 * The MMIO page in x2APIC mode: no exit.  Its value is not checked:
	 * stock KVM 6.1 leaves the emulator's buffer as it was (seen here:
	 * all ones), Kestrel reads zeros.
	 */
	x2_value(_metadata, vcpu);
	run_to_port(_metadata, vcpu, START_PORT);
	w0 = ns_of(CLOCK_MONOTONIC);
	run_to_port(_metadata, vcpu, DONE_PORT);
	wall = ns_of(CLOCK_MONOTONIC) - w0;
	EXPECT_GE(wall, 90000000ULL);
	EXPECT_EQ(0ULL, x2_value(_metadata, vcpu));
	run_to_done(_metadata, vcpu);
	vm_read_mem(vm, X2_COUNT_GPA, &v, sizeof(v));
	EXPECT_EQ(1ULL, v);
	vm_free(vm);
}

/*
 * KVM_SET_GSI_ROUTING with the split irqchip: userspace's IOAPIC pin 5
 * routed as a level-triggered MSI; the guest's EOI of that vector exits
 * with KVM_EXIT_IOAPIC_EOI (api.rst, kvm_run "eoi"; 7.10).
 */
TEST(ioapic_eoi_exit)
{
	/* Level-triggered (data bit 15), asserted (bit 14), fixed. */
	struct kvm_msi msi = {
		.address_lo = APIC_GPA,
		.data = MSI_VECTOR | BIT(15) | BIT(14),
	};
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} rt = {
		.hdr.nr = 1,
		.e[0] = {
			.gsi = 5, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = APIC_GPA, .data = msi.data },
		},
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 count;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_msi));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	run_to_port(_metadata, vcpu, READY_PORT);
	ASSERT_EQ(1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IOAPIC_EOI, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(MSI_VECTOR, vcpu->run->eoi.vector);
	run_to_port(_metadata, vcpu, DONE_PORT);
	vm_read_mem(vm, MSI_COUNT_GPA, &count, sizeof(count));
	EXPECT_EQ(1ULL, count);
	run_to_done(_metadata, vcpu);

	/* Irqchip entries need irqchips in the kernel. */
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 5;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);

	/* No routing without an in-kernel irqchip. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	rt.hdr.nr = 0;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

/*
 * Userspace's PIC with the split irqchip: KVM_INTERRUPT is ExtINT, taken
 * through the BSP's LINT0 (ExtINT and unmasked after RESET, KVM's
 * LINT0_REENABLED quirk) once the guest sets IF.
 */
TEST(extint_from_userspace_pic)
{
	struct kvm_interrupt irq = { .irq = MSI_VECTOR };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 count;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_msi));
	run_to_port(_metadata, vcpu, READY_PORT);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);	/* IF=0 */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	run_to_port(_metadata, vcpu, DONE_PORT);
	vm_read_mem(vm, MSI_COUNT_GPA, &count, sizeof(count));
	EXPECT_EQ(1ULL, count);
	/* Taken: another one is accepted again. */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	vm_free(vm);
}

/*
 * The guest masks LINT0 and runs with IF=1 while userspace, which has an
 * ExtINT queued that the APIC now refuses, asks for an interrupt window:
 * none may open (the guest would exit at every instruction boundary
 * without moving: a Linux guest of QEMU -smp 2 with the split irqchip hung
 * so in setup_local_APIC()), and the guest runs to its end.
 */
static void guest_lint0_masked(void)
{
	int i;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_MASKED | (7 << 8));	/* ExtINT */
	guest_outb(READY_PORT, 0);
	for (i = 0; i < 1000; i++)
		__asm__ __volatile__("sti; nop" : : : "memory");
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

static void sigalrm_nop(int sig)
{
}

TEST(no_window_while_lint0_masked)
{
	struct kvm_interrupt irq = { .irq = MSI_VECTOR };
	struct sigaction sa = { .sa_handler = sigalrm_nop };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int r, e;

	TEST_REQUIRE_KVM();
	vcpu = split_guest(_metadata, &vm, GUEST_ENTRY(guest_lint0_masked));
	run_to_port(_metadata, vcpu, READY_PORT);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	vcpu->run->request_interrupt_window = 1;
	/* A KVM_RUN that never returns by itself ends at the alarm. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(20);
	r = __vcpu_run(vcpu);
	e = errno;
	alarm(0);
	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s (no progress in 20 s)", strerror(e));
	EXPECT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(DONE_PORT, vcpu->run->io.port);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	/* Still queued: one at a time. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);
}

TEST(mp_state_ap_waits)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, vm_enable_split_irqchip(vm, 0));
	bsp = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_msi));
	ap = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_msi));
	ASSERT_EQ(0, ioctl(bsp->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_RUNNABLE, mp.mp_state);
	ASSERT_EQ(0, ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	mp.mp_state = 42;
	EXPECT_EQ(-1, ioctl(ap->fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(0, ioctl(ap->fd, KVM_SET_MP_STATE, &mp));
	ASSERT_EQ(0, ioctl(ap->fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ((u32)KVM_MP_STATE_HALTED, mp.mp_state);
	vm_free(vm);
}

TEST(errnos)
{
	struct kvm_msi msi = { .address_lo = APIC_GPA, .data = MSI_VECTOR };
	struct kvm_interrupt irq = { .irq = 0x20 };
	struct kvm_lapic_state st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_SPLIT_IRQCHIP));
	EXPECT_EQ(4096, kvm_check_cap(KVM_CAP_IRQ_ROUTING));

	/* Without an in-kernel APIC. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_msi));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_GET_LAPIC, &st));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_LAPIC, &st));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	/* Too late: a vCPU exists. */
	EXPECT_EQ(-1, vm_enable_split_irqchip(vm, 24));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);

	vm = vm_create_guest(GUEST_MODE_LONG64);
	EXPECT_EQ(-1, vm_enable_split_irqchip(vm, 4097));	/* > KVM_MAX_IRQ_ROUTES */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, vm_enable_split_irqchip(vm, 4096));
	EXPECT_EQ(-1, vm_enable_split_irqchip(vm, 24));	/* once */
	EXPECT_EQ(EEXIST, errno);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_msi));
	/* KVM_INTERRUPT is ExtINT from userspace's PIC: one at a time. */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);
}

TEST_HARNESS_MAIN
