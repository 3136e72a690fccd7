// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD (api.rst 4.75): an eventfd signal raises a GSI in the
 * in-kernel irqchip with no exit to userspace.
 *
 * - The errno of every refusal, as KVM 6.1 has them: no in-kernel irqchip,
 *   unknown flags, bad or non-eventfd fds, resampling without the full
 *   irqchip, one eventfd assigned twice (any GSI); deassigning what is not
 *   assigned is 0.
 * - With the split irqchip and MSI routes (KVM_SET_GSI_ROUTING): the guest
 *   (xAPIC enabled, an IDT handler counting each vector) sleeps in HLT
 *   while its vCPU thread stays in KVM_RUN; the host writes the eventfd
 *   and the guest wakes with the interrupt.  The irqfd consumes the count.
 *   A signal pending before assignment is injected then.  Deassign stops
 *   delivery (the count stays unread, the vector never reaches IRR);
 *   closing the eventfd tears the irqfd down; a routing change sends the
 *   next signal to the new vector; an ioeventfd on the same eventfd turns
 *   a guest OUT into its own interrupt without any exit.
 * - VMs destroyed (VM fd closed with the vCPU in KVM_RUN, then the vCPU
 *   fd) while another thread signals their irqfds (edge ones on MSI
 *   routes, resampling ones on IOAPIC pins), and while it closes the
 *   eventfds: the kernel log must stay clean.
 * - With KVM_CREATE_IRQCHIP: a level-triggered IOAPIC pin driven by a
 *   resampling irqfd stays high until the guest's EOI, which lowers it
 *   (IOAPIC IRR clear, no re-delivery) and signals the resamplefd; a new
 *   signal delivers again; two irqfds on one GSI share the resampling.
 *
 * Every test passes on stock KVM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define READY_PORT	0x3f40		/* APIC (and IOAPIC) programmed */
#define DONE_PORT	0x3f41		/* each count reached its target */
#define KICK_PORT	0x3f42		/* written before each HLT if asked */

#define VEC_A		0x51
#define VEC_B		0x52
#define VEC_L		0x53		/* the level-triggered IOAPIC pin */
#define VEC_WARM	0x54		/* the guest's self-IPI, see below */

/* Interrupts taken per vector, and the host's target for each. */
#define COUNT_A_GPA	0x21000
#define COUNT_B_GPA	0x21008
#define COUNT_L_GPA	0x21010
#define WANT_A_GPA	0x21018
#define WANT_B_GPA	0x21020
#define WANT_L_GPA	0x21028
#define WARM_GPA	0x21030		/* the self-IPI came */
#define KICK_GPA	0x21038		/* non-zero: write KICK_PORT */
#define LAST_RIP_GPA	0x21040		/* where the last interrupt came in */

#define APIC_GPA	0xfee00000	/* also pasted into assembly */
#define APIC_SVR	0xf0
#define APIC_EOI	0xb0
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_LVT0	0x350
#define IOAPIC_GPA	0xfec00000
#define IOAPIC_PIN	5		/* GSI 5 in KVM's default routing */

#define GSI_A		30		/* MSI routes, above the IOAPIC pins */
#define GSI_B		31

/* Bounds for waits that succeed in milliseconds even under TCG. */
#define WAIT_NS		(20 * 1000000000ULL)

/*
 * Handlers: count the vector, EOI (SDM vol. 3A 10.8.5; for
 * a level-triggered vector the LAPIC passes the EOI on to the IOAPIC,
 * 10.8.5 and the 82093AA datasheet 3.2.4), return.
 */
#define HANDLER(name, count)						\
	name ":\n"							\
	"	push %rax\n"						\
	"	incq " KVM_STR(count) "\n"				\
	"	movq 8(%rsp), %rax\n"					\
	"	movq %rax, " KVM_STR(LAST_RIP_GPA) "\n"		\
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n" \
	"	movl $0, (%rax)\n"					\
	"	pop %rax\n"						\
	"	iretq\n"

__asm__(".pushsection .text\n"
	HANDLER("vec_a_handler", COUNT_A_GPA)
	HANDLER("vec_b_handler", COUNT_B_GPA)
	HANDLER("vec_l_handler", COUNT_L_GPA)
	"warm_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(WARM_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static void mmio_write32(u64 gpa, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)gpa, val);
}

/*
 * IOAPIC redirection entry of @pin (82093AA datasheet 3.2.4): fixed,
 * physical destination APIC 0, active high, level-triggered, unmasked.
 */
static void guest_ioapic_route(u32 pin, u32 vector)
{
	mmio_write32(IOAPIC_GPA, 0x11 + 2 * pin);		/* high half */
	mmio_write32(IOAPIC_GPA + 0x10, 0);
	mmio_write32(IOAPIC_GPA, 0x10 + 2 * pin);
	mmio_write32(IOAPIC_GPA + 0x10, vector | BIT(15));
}

static bool guest_reached(void)
{
	return READ_ONCE(*(u64 *)COUNT_A_GPA) >= READ_ONCE(*(u64 *)WANT_A_GPA) &&
	       READ_ONCE(*(u64 *)COUNT_B_GPA) >= READ_ONCE(*(u64 *)WANT_B_GPA) &&
	       READ_ONCE(*(u64 *)COUNT_L_GPA) >= READ_ONCE(*(u64 *)WANT_L_GPA);
}

/*
 * Enable the APIC (and route the IOAPIC pin if asked), then forever: sleep
 * in HLT until every count reaches the host's target, and say so.
 * Interrupts are only open inside "sti; hlt" (the STI shadow covers the
 * HLT), so each DONE exit comes with IF=0 and nothing is taken behind the
 * host's back.
 */
static void guest_wait_loop(u64 ioapic)
{
	mmio_write32(APIC_GPA + APIC_SVR, 0x1ff);
	/*
	 * KVM resets the BSP's LINT0 to ExtINT, unmasked (its LINT0_REENABLED
	 * quirk), so the in-kernel PIC, which also has GSI 5, would deliver
	 * its own vector: mask LINT0, as an OS using the IOAPIC does.
	 */
	mmio_write32(APIC_GPA + APIC_LVT0, BIT(16));
	/*
	 * Take one interrupt (a self-IPI, SDM 10.6.1) and touch the handlers
	 * before the host's first one, so that no first access on the
	 * delivery path (IDT, GDT, handler code) takes a nested page fault
	 * and a re-injection: under the emulated host, stock KVM was seen
	 * running a handler twice for the first irqfd signal of a VM.
	 */
	READ_ONCE(*(const u8 *)ASM_SYMBOL_ADDR(vec_a_handler));
	READ_ONCE(*(const u8 *)ASM_SYMBOL_ADDR(vec_b_handler));
	READ_ONCE(*(const u8 *)ASM_SYMBOL_ADDR(vec_l_handler));
	mmio_write32(APIC_GPA + APIC_ICR, BIT(18) | VEC_WARM);
	while (!READ_ONCE(*(u64 *)WARM_GPA))
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	if (ioapic)
		guest_ioapic_route(IOAPIC_PIN, VEC_L);
	guest_outb(READY_PORT, 0);
	for (;;) {
		while (!guest_reached()) {
			if (!READ_ONCE(*(u64 *)KICK_GPA)) {
				__asm__ __volatile__("sti; hlt; cli"
						     : : : "memory");
				continue;
			}
			/*
			 * The interrupt is pending once the OUT is done:
			 * open a window, no HLT.  (Under the emulated host
			 * the interrupt window exit comes inside the STI
			 * shadow with no shadow reported, so Kestrel would
			 * deliver it before a HLT, which then sleeps for
			 * good.)
			 */
			guest_outb(KICK_PORT, 0);
			__asm__ __volatile__("sti; nop; cli" : : : "memory");
		}
		guest_outb(DONE_PORT, 0);
	}
}

enum irqchip_kind { SPLIT, FULL };

/*
 * A long-mode VM with an in-kernel irqchip and vCPU 0 in guest_wait_loop(),
 * run up to READY_PORT.
 */
static struct kvm_vcpu *irq_guest(struct __test_metadata *_metadata,
				  struct kvm_vm **vmp, enum irqchip_kind kind)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int r;

	vm = vm_create_guest(GUEST_MODE_LONG64);
	r = kind == SPLIT ? vm_enable_split_irqchip(vm, 24) :
			    ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0);
	ASSERT_EQ(0, r);
	vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_wait_loop));
	vcpu_args_set(vcpu, 1, (u64)(kind == FULL));
	ASSERT_EQ(0, vcpu_set_supported_cpuid(vcpu));
	vm_set_idt_gate(vm, VEC_A, ASM_SYMBOL_ADDR(vec_a_handler));
	vm_set_idt_gate(vm, VEC_B, ASM_SYMBOL_ADDR(vec_b_handler));
	vm_set_idt_gate(vm, VEC_L, ASM_SYMBOL_ADDR(vec_l_handler));
	vm_set_idt_gate(vm, VEC_WARM, ASM_SYMBOL_ADDR(warm_handler));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	ASSERT_EQ(READY_PORT, vcpu->run->io.port);
	*vmp = vm;
	return vcpu;
}

/* MSI routes: GSI_A to VEC_A and GSI_B to @vec_b, on APIC 0. */
static int set_msi_routes(struct kvm_vm *vm, u32 vec_a, u32 vec_b)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[2];
	} rt = {
		.hdr.nr = 2,
		.e[0] = {
			.gsi = GSI_A, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = APIC_GPA, .data = vec_a },
		},
		.e[1] = {
			.gsi = GSI_B, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = APIC_GPA, .data = vec_b },
		},
	};

	return ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt);
}

static int irqfd(struct kvm_vm *vm, int fd, u32 gsi, u32 flags, int rfd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = rfd,
	};

	return ioctl(vm->fd, KVM_IRQFD, &a);
}

static void efd_signal(struct __test_metadata *_metadata, int fd)
{
	u64 one = 1;

	ASSERT_EQ((ssize_t)sizeof(one), write(fd, &one, sizeof(one)));
}

/* The eventfd's count (0 when nothing is there; it is non-blocking). */
static u64 efd_take(int fd)
{
	u64 v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static u64 ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool irr_has(struct __test_metadata *_metadata,
		    struct kvm_vcpu *vcpu, u32 vector)
{
	struct kvm_lapic_state st;
	u32 v;

	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_LAPIC, &st));
	memcpy(&v, st.regs + APIC_IRR + 0x10 * (vector / 32), sizeof(v));
	return v & (1U << (vector % 32));
}

/* KVM_RUN on its own thread, so the host can act while it sleeps. */
struct runner {
	struct kvm_vcpu *vcpu;
	pthread_t th;
	int r;
	u32 exit_reason;
	u16 port;
	int done;
};

static void *run_thread(void *arg)
{
	struct runner *t = arg;

	t->r = __vcpu_run(t->vcpu);
	t->exit_reason = t->vcpu->run->exit_reason;
	t->port = t->vcpu->run->io.port;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_sigusr1(int sig)
{
}

/* SIGUSR1 interrupts KVM_RUN (-EINTR): how a stuck runner is stopped. */
static void install_kick(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static bool runner_done(struct runner *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

/* Wait for the runner, at most WAIT_NS; kick it out of KVM_RUN if late. */
static void runner_join(struct runner *t)
{
	u64 t0 = ns_now();

	while (!runner_done(t) && ns_now() - t0 < WAIT_NS)
		usleep(1000);
	while (!runner_done(t)) {
		pthread_kill(t->th, SIGUSR1);
		usleep(10000);
	}
	pthread_join(t->th, NULL);
}

/* Interrupts per vector: VEC_A, VEC_B, VEC_L. */
struct counts {
	u64 a, b, l;
};

static struct counts counts_of(struct kvm_vm *vm)
{
	struct counts c;

	vm_read_mem(vm, COUNT_A_GPA, &c, sizeof(c));
	return c;
}

static void set_targets(struct kvm_vm *vm, const struct counts *want)
{
	vm_write_mem(vm, WANT_A_GPA, want, sizeof(*want));
}

/* Why a guest did not get there: what it counted, and its APIC and RIP. */
static void log_stuck(struct __test_metadata *_metadata,
		      struct kvm_vcpu *vcpu, const struct counts *want)
{
	struct counts c = counts_of(vcpu->vm);
	struct kvm_mp_state mp = { 0 };
	struct kvm_regs regs;
	u64 last;

	vcpu_regs_get(vcpu, &regs);
	ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);
	vm_read_mem(vcpu->vm, LAST_RIP_GPA, &last, sizeof(last));
	TH_LOG("counts %llu/%llu/%llu of %llu/%llu/%llu; IRR A %d B %d L %d",
	       c.a, c.b, c.l, want->a, want->b, want->l,
	       irr_has(_metadata, vcpu, VEC_A), irr_has(_metadata, vcpu, VEC_B),
	       irr_has(_metadata, vcpu, VEC_L));
	TH_LOG("mp_state %u rip %#llx rflags %#llx; last interrupt at %#llx",
	       mp.mp_state, regs.rip, regs.rflags, last);
}

/*
 * Let the guest wait for @more interrupts of each vector, then signal
 * each of @fds once; returns how many of each it took.  The guest cannot
 * get there without the interrupts, so its vCPU thread is still in
 * KVM_RUN when the signals go out, and the next exit it sees is
 * DONE_PORT: no exit was needed to deliver them.  A wrong vector leaves
 * the guest waiting until the time limit.
 *
 * Under the emulated host, stock KVM now and then runs a handler twice
 * for one signal (even after the warm-up in guest_wait_loop()), so the
 * tests check that the expected vectors came, at least as often as
 * signalled, and that no other vector did.
 */
static struct counts signal_and_wait(struct __test_metadata *_metadata,
				     struct kvm_vcpu *vcpu, u64 a, u64 b,
				     u64 l, const int *fds, int nfds)
{
	struct counts c0 = counts_of(vcpu->vm), want, got;
	struct runner t = { .vcpu = vcpu };
	int i;

	want.a = c0.a + a;
	want.b = c0.b + b;
	want.l = c0.l + l;
	set_targets(vcpu->vm, &want);
	ASSERT_EQ(0, pthread_create(&t.th, NULL, run_thread, &t));
	usleep(20000);		/* most likely in HLT by now; not required */
	EXPECT_TRUE(!nfds || !runner_done(&t));
	for (i = 0; i < nfds; i++)
		efd_signal(_metadata, fds[i]);
	runner_join(&t);
	if (t.r)
		log_stuck(_metadata, vcpu, &want);
	ASSERT_EQ(0, t.r) TH_LOG("KVM_RUN: %s", strerror(-t.r));
	ASSERT_EQ((u32)KVM_EXIT_IO, t.exit_reason)
		TH_LOG("exit %s", exit_reason_str(t.exit_reason));
	if (t.port == UCALL_PORT) {
		struct ucall uc;

		get_ucall(vcpu, &uc);	/* prints an exception or assertion */
	}
	ASSERT_EQ(DONE_PORT, t.port);
	got = counts_of(vcpu->vm);
	got.a -= c0.a;
	got.b -= c0.b;
	got.l -= c0.l;
	if (got.a + got.b + got.l > a + b + l)
		TH_LOG("%llu/%llu/%llu interrupts for %llu/%llu/%llu signals",
		       got.a, got.b, got.l, a, b, l);
	return got;
}

TEST(ioctl_errors)
{
	struct kvm_vm *vm;
	int efd, efd2;

	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQFD));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);

	/* No in-kernel irqchip: assigning fails, deassigning "works". */
	vm = vm_create();
	EXPECT_EQ(-1, irqfd(vm, efd, 1, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, irqfd(vm, efd, 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	/* Unknown flags, before anything else. */
	EXPECT_EQ(-1, irqfd(vm, efd, 1, 1U << 2, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd(vm, efd, 1, KVM_IRQFD_FLAG_DEASSIGN | 1U << 31, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Deassign looks the eventfd up: a bad fd, a fd of another kind. */
	EXPECT_EQ(-1, irqfd(vm, -1, 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, irqfd(vm, vm->fd, 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IRQFD, NULL));
	EXPECT_EQ(EFAULT, errno);
	vm_free(vm);

	vm = vm_create();
	ASSERT_EQ(0, vm_enable_split_irqchip(vm, 24));
	EXPECT_EQ(-1, irqfd(vm, -1, 1, 0, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, irqfd(vm, vm->fd, 1, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Resampling needs the IOAPIC/PIC in the kernel, not the split one. */
	EXPECT_EQ(-1, irqfd(vm, efd, 1, KVM_IRQFD_FLAG_RESAMPLE, efd2));
	EXPECT_EQ(EINVAL, errno);

	/* One eventfd drives one irqfd per VM, whatever the GSI. */
	EXPECT_EQ(0, irqfd(vm, efd, 1, 0, 0));
	EXPECT_EQ(-1, irqfd(vm, efd, 1, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, irqfd(vm, efd, 2, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	/* Several eventfds may share a GSI. */
	EXPECT_EQ(0, irqfd(vm, efd2, 1, 0, 0));
	/* Deassign matches fd and GSI; a mismatch is a quiet no-op. */
	EXPECT_EQ(0, irqfd(vm, efd, 2, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-1, irqfd(vm, efd, 2, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	/* RESAMPLE need not be given to deassign (api.rst). */
	EXPECT_EQ(0, irqfd(vm, efd, 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(0, irqfd(vm, efd, 2, 0, 0));
	EXPECT_EQ(0, irqfd(vm, efd, 2,
			   KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE,
			   0));
	/* The VM goes with irqfds assigned (efd2 on GSI 1). */
	vm_free(vm);
	close(efd);
	close(efd2);
}

TEST(msi_delivered_from_hlt)
{
	int fds[2], i;
	struct kvm_vcpu *vcpu;
	struct counts got;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, irqfd(vm, fds[0], GSI_A, 0, 0));
	ASSERT_EQ(0, irqfd(vm, fds[1], GSI_B, 0, 0));

	/* One at a time, three times; the irqfd takes each signal. */
	for (i = 0; i < 3; i++) {
		got = signal_and_wait(_metadata, vcpu, 1, 0, 0, &fds[0], 1);
		EXPECT_EQ(0ULL, got.b);
		EXPECT_EQ(0ULL, efd_take(fds[0]));
	}

	/* Both GSIs at once. */
	got = signal_and_wait(_metadata, vcpu, 1, 1, 0, fds, 2);
	EXPECT_EQ(0ULL, got.l);
	EXPECT_EQ(0ULL, efd_take(fds[0]));
	EXPECT_EQ(0ULL, efd_take(fds[1]));
	vm_free(vm);
	close(fds[0]);
	close(fds[1]);
}

/* A signal that came before KVM_IRQFD is injected when it is assigned. */
TEST(pending_signal_injected_on_assign)
{
	struct kvm_vcpu *vcpu;
	struct counts got;
	struct kvm_vm *vm;
	int efd;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd_signal(_metadata, efd);
	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, 0, 0));
	got = signal_and_wait(_metadata, vcpu, 1, 0, 0, NULL, 0);
	EXPECT_EQ(0ULL, got.b);
	vm_free(vm);
	close(efd);
}

TEST(deassign_stops_delivery)
{
	struct kvm_vcpu *vcpu;
	struct counts c0;
	struct kvm_vm *vm;
	int efd;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, 0, 0));
	signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd, 1);

	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, KVM_IRQFD_FLAG_DEASSIGN, 0));
	/* Deassign is synchronous: from now on the signal stays unread. */
	c0 = counts_of(vm);
	efd_signal(_metadata, efd);
	usleep(50000);
	EXPECT_EQ(1ULL, efd_take(efd));
	EXPECT_FALSE(irr_has(_metadata, vcpu, VEC_A));
	EXPECT_EQ(c0.a, counts_of(vm).a);
	/* Assigned again, it works again. */
	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, 0, 0));
	signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd, 1);
	vm_free(vm);
	close(efd);
}

TEST(eventfd_close_tears_down)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd, efd2;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, 0, 0));
	signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd, 1);
	/* The last close of the eventfd (EPOLLHUP) takes the irqfd away. */
	ASSERT_EQ(0, close(efd));
	usleep(20000);
	/* Routing changes and new irqfds on the GSI are unaffected. */
	ASSERT_EQ(0, set_msi_routes(vm, VEC_B, VEC_A));
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, irqfd(vm, efd2, GSI_A, 0, 0));
	signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd2, 1);
	ASSERT_EQ(0, irqfd(vm, efd2, GSI_A, KVM_IRQFD_FLAG_DEASSIGN, 0));
	vm_free(vm);
	close(efd2);
}

TEST(routing_change_redirects)
{
	struct kvm_vcpu *vcpu;
	struct counts got;
	struct kvm_vm *vm;
	int efd;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, irqfd(vm, efd, GSI_A, 0, 0));
	got = signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd, 1);
	EXPECT_EQ(0ULL, got.b);

	/* GSI_A now sends VEC_B. */
	ASSERT_EQ(0, set_msi_routes(vm, VEC_B, VEC_A));
	got = signal_and_wait(_metadata, vcpu, 0, 1, 0, &efd, 1);
	EXPECT_EQ(0ULL, got.a);

	/* And back. */
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	got = signal_and_wait(_metadata, vcpu, 1, 0, 0, &efd, 1);
	EXPECT_EQ(0ULL, got.b);
	vm_free(vm);
	close(efd);
}

/*
 * A VMM's device model in the kernel: the guest's write to a port with an
 * ioeventfd signals the eventfd from the vCPU thread, and the irqfd on the
 * same eventfd interrupts the guest, with no exit at all.  (Without the
 * ioeventfd the OUT would exit, and signal_and_wait() would see it.)
 */
TEST(ioeventfd_chained_to_irqfd)
{
	struct kvm_ioeventfd io = {
		.addr = KICK_PORT, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	struct kvm_vcpu *vcpu;
	struct counts got;
	struct kvm_vm *vm;
	u64 kick = 1;
	int i;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = irq_guest(_metadata, &vm, SPLIT);
	ASSERT_EQ(0, set_msi_routes(vm, VEC_A, VEC_B));
	io.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_IOEVENTFD, &io));
	ASSERT_EQ(0, irqfd(vm, io.fd, GSI_A, 0, 0));
	vm_write_mem(vm, KICK_GPA, &kick, sizeof(kick));
	for (i = 0; i < 3; i++) {
		got = signal_and_wait(_metadata, vcpu, 1, 0, 0, NULL, 0);
		EXPECT_EQ(0ULL, got.b);
	}
	EXPECT_EQ(0ULL, efd_take(io.fd));
	vm_free(vm);
	close(io.fd);
}

#define DESTROY_ROUNDS	4
#define DESTROY_FDS	8

struct signaller {
	int fds[DESTROY_FDS];
	int rfds[DESTROY_FDS];	/* resamplefds, or -1 */
	int stop;
	bool close_fds;		/* close the eventfds while signalling */
	u64 writes;
};

/*
 * Signal every eventfd, round after round, until told to stop (or, with
 * close_fds, until it closed them itself after a while).
 */
static void *signal_thread(void *arg)
{
	struct signaller *s = arg;
	u64 one = 1;
	int i;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < DESTROY_FDS; i++) {
			if (write(s->fds[i], &one, sizeof(one)) == sizeof(one))
				s->writes++;
		}
		/* Leave the (emulated) CPUs to the others now and then. */
		usleep(100);
		if (s->close_fds && s->writes > 100 * DESTROY_FDS) {
			for (i = 0; i < DESTROY_FDS; i++) {
				close(s->fds[i]);
				if (s->rfds[i] >= 0)
					close(s->rfds[i]);
			}
			break;
		}
	}
	return NULL;
}

/* Edge irqfds on MSI routes, two per vector. */
static void destroy_setup_split(struct __test_metadata *_metadata,
				struct kvm_vm *vm, struct signaller *s)
{
	struct kvm_irq_routing *rt;
	int i;

	rt = calloc(1, sizeof(*rt) + DESTROY_FDS * sizeof(rt->entries[0]));
	ASSERT_NE(NULL, rt);
	rt->nr = DESTROY_FDS;
	for (i = 0; i < DESTROY_FDS; i++) {
		rt->entries[i].gsi = GSI_A + i;
		rt->entries[i].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[i].u.msi.address_lo = APIC_GPA;
		rt->entries[i].u.msi.data = i & 1 ? VEC_B : VEC_A;
	}
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt));
	free(rt);
	for (i = 0; i < DESTROY_FDS; i++) {
		s->fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->rfds[i] = -1;
		ASSERT_LE(0, s->fds[i]);
		ASSERT_EQ(0, irqfd(vm, s->fds[i], GSI_A + i, 0, 0));
	}
}

/*
 * Resampling irqfds, two per GSI from IOAPIC_PIN on: the guest takes the
 * first pin's level interrupt, EOIs it and is resampled, over and over;
 * the other pins are masked and just stay high.
 */
static void destroy_setup_full(struct __test_metadata *_metadata,
			       struct kvm_vm *vm, struct signaller *s)
{
	int i;

	for (i = 0; i < DESTROY_FDS; i++) {
		s->fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->rfds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, s->fds[i]);
		ASSERT_LE(0, s->rfds[i]);
		ASSERT_EQ(0, irqfd(vm, s->fds[i], IOAPIC_PIN + i / 2,
				   KVM_IRQFD_FLAG_RESAMPLE, s->rfds[i]));
	}
}

static void destroy_round(struct __test_metadata *_metadata,
			  enum irqchip_kind kind, bool close_fds)
{
	struct signaller s = { .close_fds = close_fds };
	struct counts forever = { ~0ULL, ~0ULL, ~0ULL };
	struct runner t = { 0 };
	pthread_t sig_th;
	struct kvm_vm *vm;
	int i;

	t.vcpu = irq_guest(_metadata, &vm, kind);
	if (kind == SPLIT)
		destroy_setup_split(_metadata, vm, &s);
	else
		destroy_setup_full(_metadata, vm, &s);

	/* The guest takes interrupts forever; its vCPU stays in KVM_RUN. */
	set_targets(vm, &forever);
	ASSERT_EQ(0, pthread_create(&t.th, NULL, run_thread, &t));
	ASSERT_EQ(0, pthread_create(&sig_th, NULL, signal_thread, &s));
	usleep(20000);
	/* The VM fd goes first (irqfds are released with it)... */
	ASSERT_EQ(0, close(vm->fd));
	vm->fd = -1;
	usleep(10000);
	/* ...then the vCPU leaves KVM_RUN and its fd goes: VM destroyed. */
	pthread_kill(t.th, SIGUSR1);
	runner_join(&t);
	EXPECT_EQ(-EINTR, t.r);
	vm_free(vm);
	usleep(10000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(sig_th, NULL);
	EXPECT_LT(0ULL, s.writes);
	for (i = 0; i < DESTROY_FDS && !close_fds; i++) {
		close(s.fds[i]);
		if (s.rfds[i] >= 0)
			close(s.rfds[i]);
	}
}

/*
 * Rounds alternate: eventfds kept or closed by the signaller meanwhile
 * (EPOLLHUP racing the VM's release); edge irqfds on MSI routes, or
 * resampling ones on the full irqchip when there is one.
 */
TEST(vm_destroyed_while_signalled)
{
	bool full;
	int i;

	TEST_REQUIRE_KVM();
	install_kick();
	full = kvm_check_cap(KVM_CAP_IRQCHIP) > 0;
	for (i = 0; i < DESTROY_ROUNDS; i++) {
		u64 t0 = ns_now();

		destroy_round(_metadata, full && (i & 2) ? FULL : SPLIT, i & 1);
		TH_LOG("round %d: %llu ms", i,
		       (unsigned long long)(ns_now() - t0) / 1000000);
	}
}

/*
 * Resampling (needs KVM_CREATE_IRQCHIP)
 */

static bool ioapic_irr(struct __test_metadata *_metadata, struct kvm_vm *vm,
		       u32 pin)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	EXPECT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	return chip.chip.ioapic.irr & (1U << pin);
}

static struct kvm_vcpu *level_guest(struct __test_metadata *_metadata,
				    struct kvm_vm **vmp)
{
	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		SKIP_FIXTURE("no in-kernel IOAPIC/PIC (KVM_CAP_IRQCHIP)");
	ASSERT_EQ(1, kvm_check_cap(KVM_CAP_IRQFD_RESAMPLE));
	return irq_guest(_metadata, vmp, FULL);
}

TEST(resample_level_interrupt)
{
	struct kvm_vcpu *vcpu;
	struct counts got;
	struct kvm_vm *vm;
	int efd, rfd, i;
	u64 r;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = level_guest(_metadata, &vm);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	/* Errors only the full irqchip gets to. */
	EXPECT_EQ(-1, irqfd(vm, efd, IOAPIC_PIN, KVM_IRQFD_FLAG_RESAMPLE, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, irqfd(vm, efd, IOAPIC_PIN, KVM_IRQFD_FLAG_RESAMPLE,
			    vm->fd));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, irqfd(vm, efd, IOAPIC_PIN, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	EXPECT_FALSE(ioapic_irr(_metadata, vm, IOAPIC_PIN));
	for (i = 0; i < 3; i++) {
		/* Signal: delivered, EOId by the handler... */
		got = signal_and_wait(_metadata, vcpu, 0, 0, 1, &efd, 1);
		EXPECT_EQ(0ULL, got.a + got.b);
		/* ...which resampled: line low, not delivered again. */
		r = efd_take(rfd);
		EXPECT_LE(1ULL, r);
		EXPECT_LE(r, got.l);
		EXPECT_FALSE(ioapic_irr(_metadata, vm, IOAPIC_PIN));
		EXPECT_FALSE(irr_has(_metadata, vcpu, VEC_L));
	}
	EXPECT_EQ(0ULL, efd_take(efd));

	/* Deassigned: signals stay unread, resamplefd hears nothing. */
	ASSERT_EQ(0, irqfd(vm, efd, IOAPIC_PIN, KVM_IRQFD_FLAG_DEASSIGN, 0));
	efd_signal(_metadata, efd);
	usleep(50000);
	EXPECT_EQ(1ULL, efd_take(efd));
	EXPECT_FALSE(ioapic_irr(_metadata, vm, IOAPIC_PIN));
	EXPECT_EQ(0ULL, efd_take(rfd));
	vm_free(vm);
	close(efd);
	close(rfd);
}

/* Two resampling irqfds on one GSI: one EOI notifies both. */
TEST(resample_shared_gsi)
{
	int efd[2], rfd[2], i;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	install_kick();
	vcpu = level_guest(_metadata, &vm);
	for (i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		rfd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_EQ(0, irqfd(vm, efd[i], IOAPIC_PIN,
				   KVM_IRQFD_FLAG_RESAMPLE, rfd[i]));
	}
	signal_and_wait(_metadata, vcpu, 0, 0, 1, &efd[1], 1);
	EXPECT_LE(1ULL, efd_take(rfd[0]));
	EXPECT_LE(1ULL, efd_take(rfd[1]));
	EXPECT_FALSE(ioapic_irr(_metadata, vm, IOAPIC_PIN));

	/* One left: still resampled. */
	ASSERT_EQ(0, irqfd(vm, efd[1], IOAPIC_PIN, KVM_IRQFD_FLAG_DEASSIGN,
			   0));
	signal_and_wait(_metadata, vcpu, 0, 0, 1, &efd[0], 1);
	EXPECT_LE(1ULL, efd_take(rfd[0]));
	EXPECT_EQ(0ULL, efd_take(rfd[1]));
	EXPECT_FALSE(ioapic_irr(_metadata, vm, IOAPIC_PIN));
	vm_free(vm);
	for (i = 0; i < 2; i++) {
		close(efd[i]);
		close(rfd[i]);
	}
}

TEST_HARNESS_MAIN
