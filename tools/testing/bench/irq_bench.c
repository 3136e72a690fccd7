// SPDX-License-Identifier: GPL-2.0
/*
 * irq_bench: interrupt-path benchmarks of whatever module owns /dev/kvm,
 * run by `make bench` next to kvm_bench, on Kestrel and on stock KVM.  Each
 * prints "bench NAME VALUE UNIT" lines (or "bench NAME n/a (REASON)"):
 *
 *   lapic_timer_mean/median  a guest with the in-kernel LAPIC (split
 *			  irqchip, api.rst 7.10) arms a one-shot timer
 *			  (TSC-deadline when its CPUID offers it, else
 *			  one-shot with a 1 us initial count; SDM vol. 3A
 *			  10.5.4) and waits in HLT for the interrupt; guest
 *			  TSC from arming to the return from HLT
 *   ipi_roundtrip, ipi_rate  two vCPU threads ping-pong fixed IPIs
 *			  (SDM 10.6.1), each waiting with STI; HLT
 *   ioeventfd_{pio,mmio}     guest writes to an address registered with
 *			  KVM_IOEVENTFD (api.rst 4.59): no exit to
 *			  userspace; a host thread drains the eventfd
 *   {pio,mmio}_write_exit    the same writes with no ioeventfd: each one
 *			  exits to userspace
 *   irqfd_latency_mean/median  the host writes an eventfd assigned with
 *			  KVM_IRQFD (api.rst 4.75) to an MSI route
 *			  (KVM_SET_GSI_ROUTING), the guest in HLT takes the
 *			  interrupt and answers through an ioeventfd: half
 *			  that round trip.  "n/a" without KVM_CAP_IRQFD.
 *
 * None exits to userspace per iteration except the *_write_exit ones.
 * Every benchmark checks its own result (the interrupts or eventfd
 * signals counted equal the ones expected) and prints "bench-fail NAME:
 * WHY" and exits non-zero otherwise, so a broken irqchip cannot produce a
 * nice-looking number.  Each runs in a child process with a time limit (a
 * lost interrupt leaves a guest in HLT for ever) and "bench-time NAME
 * SECONDS" says how long it took.
 *
 * Built with the selftests' guest library (tools/testing/selftests/kvm):
 * the guests are C functions of this program, run in 64-bit mode.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define TIMER_VECTOR	0x40
#define PING0_VECTOR	0x42		/* IPI to vCPU 0 */
#define PING1_VECTOR	0x43		/* IPI to vCPU 1 */
#define IRQFD_VECTOR	0x44

/* Guest memory the host reads (GUEST_DATA_GPA and up, memslot 0). */
#define COUNT_GPA	0x20000		/* interrupts the handlers took */
#define PING0_GPA	0x20008		/* IPIs vCPU 0 took */
#define PING1_GPA	0x20010		/* IPIs vCPU 1 took */
#define READY1_GPA	0x20018		/* vCPU 1's APIC is enabled */
#define RESULT_GPA	0x20020		/* TSC cycles a loop took */
#define MODE_GPA	0x20028		/* timer: 1 = TSC-deadline */
#define SENT0_GPA	0x20030		/* IPIs sent to vCPU 0 */
#define SENT1_GPA	0x20038		/* IPIs sent to vCPU 1 */
#define SAMPLES_GPA	0x30000		/* one u64 per iteration */
#define MAX_SAMPLES	((GUEST_DATA_END - SAMPLES_GPA) / 8)

#define APIC_GPA	0xfee00000	/* also pasted into assembly */
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0
#define LVT_TSCDEADLINE	(2U << 17)
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_IA32_TSC	0x10

#define WRITE_PORT	0x3f40		/* the guest's writes */
#define ACK_PORT	0x3f41		/* irqfd: the guest waits in HLT */
#define MMIO_GPA	0xc0000000ULL	/* no memslot; identity mapped */
#define IRQFD_GSI	32		/* above the 24 IOAPIC pins */

#define CHILD_TIMEOUT_S	40
#define STALL_S		20		/* no guest end: kick it */

/*
 * Interrupt handlers: count, EOI (SDM 10.8.5), return.  MOVL: a MOVQ
 * immediate would sign-extend 0xfee000b0.
 */
__asm__(".pushsection .text\n"
	"count_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(COUNT_GPA) "\n"
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
	".popsection\n");

static const char *cur_bench;

/* A benchmark's result is wrong: say so where the report sees it. */
static void bail(const char *fmt, ...)
{
	va_list ap;

	printf("bench-fail %s: ", cur_bench);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Guest side. */

static void apic_write(u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + reg), val);
}

static u64 *guest_u64(u64 gpa)
{
	return (u64 *)(uintptr_t)gpa;
}

static void wait_count(u64 gpa, u64 n)
{
	while (READ_ONCE(*guest_u64(gpa)) < n)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}

static bool guest_has_tsc_deadline(void)
{
	u32 eax = 1, ebx, ecx = 0, edx;

	__asm__ __volatile__("cpuid"
			     : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	return ecx & BIT(24);		/* CPUID.01H:ECX.TSC_DEADLINE */
}

/* @n one-shot timer interrupts, each armed @delta TSC cycles ahead. */
static void guest_timer(u64 n, u64 delta)
{
	bool deadline = guest_has_tsc_deadline();
	u64 i, t0;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, TIMER_VECTOR | (deadline ? LVT_TSCDEADLINE : 0));
	WRITE_ONCE(*guest_u64(MODE_GPA), deadline);
	for (i = 0; i < n; i++) {
		t0 = rdtsc();
		if (deadline)
			wrmsr(MSR_TSC_DEADLINE, t0 + delta);
		else
			apic_write(APIC_TMICT, 1000);	/* 1 us at 1 GHz */
		wait_count(COUNT_GPA, i + 1);
		guest_u64(SAMPLES_GPA)[i] = rdtsc() - t0;
	}
	GUEST_DONE();
}

/* Fixed IPI, physical destination, edge, asserted (SDM 10.6.1). */
static void send_ipi(u32 dest, u32 vector)
{
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, BIT(14) | vector);
}

/* vCPU 0 and 1 take turns waking each other; vCPU 0 times @n rounds. */
static void guest_ping(u64 me, u64 n)
{
	u64 i, t0;

	apic_write(APIC_SVR, 0x1ff);
	if (me == 1)
		WRITE_ONCE(*guest_u64(READY1_GPA), 1);
	while (!READ_ONCE(*guest_u64(READY1_GPA)))
		guest_pause();
	t0 = rdtsc();
	for (i = 1; i <= n; i++) {
		if (me == 0) {
			WRITE_ONCE(*guest_u64(SENT1_GPA), i);
			send_ipi(1, PING1_VECTOR);
			wait_count(PING0_GPA, i);
		} else {
			wait_count(PING1_GPA, i);
			WRITE_ONCE(*guest_u64(SENT0_GPA), i);
			send_ipi(0, PING0_VECTOR);
		}
	}
	if (me == 0)
		WRITE_ONCE(*guest_u64(RESULT_GPA), rdtsc() - t0);
	GUEST_DONE();
}

/* @n 4-byte writes to port @port, or to @mmio if it is not 0. */
static void guest_writes(u64 port, u64 mmio, u64 n)
{
	u64 i, t0 = rdtsc();

	for (i = 0; i < n; i++) {
		if (mmio)
			WRITE_ONCE(*(u32 *)(uintptr_t)mmio, (u32)i);
		else
			guest_outl(port, i);
	}
	WRITE_ONCE(*guest_u64(RESULT_GPA), rdtsc() - t0);
	GUEST_DONE();
}

/*
 * Say "waiting" through an ioeventfd, then take the interrupt and say so
 * the same way; @n times.
 */
static void guest_irqfd(u64 n)
{
	u64 i;

	apic_write(APIC_SVR, 0x1ff);
	guest_outl(ACK_PORT, 0);
	for (i = 0; i < n; i++) {
		wait_count(COUNT_GPA, i + 1);
		guest_outl(ACK_PORT, i + 1);
	}
	GUEST_DONE();
}

/* Host side. */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static u64 guest_read(struct kvm_vm *vm, u64 gpa)
{
	u64 v;

	vm_read_mem(vm, gpa, &v, sizeof(v));
	return v;
}

/*
 * The supported CPUID as the guest's, as VMMs do, plus TSC-deadline when
 * KVM_CAP_TSC_DEADLINE_TIMER says the LAPIC emulates it (api.rst 8.x:
 * KVM_GET_SUPPORTED_CPUID leaves it to userspace).
 */
static void set_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      256 * sizeof(struct kvm_cpuid_entry2));
	bool deadline = kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	u32 i;

	TEST_ASSERT(c, "calloc");
	c->nent = 256;
	kvm_ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1 && deadline)
			c->entries[i].ecx |= BIT(24);
	}
	kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
}

/* A vCPU with the whole IDT and the benchmarks' handlers. */
static struct kvm_vcpu *add_vcpu(struct kvm_vm *vm, u32 id, u64 entry)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_guest(vm, id, entry);
	struct kvm_sregs sregs;

	set_cpuid(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
	return vcpu;
}

/* A long-mode VM with the split irqchip (24 IOAPIC routes). */
static struct kvm_vm *split_vm(void)
{
	struct kvm_vm *vm = vm_create_guest(GUEST_MODE_LONG64);

	if (vm_enable_split_irqchip(vm, 24))
		bail("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s",
		     strerror(errno));
	vm_set_idt_gate(vm, TIMER_VECTOR, ASM_SYMBOL_ADDR(count_handler));
	vm_set_idt_gate(vm, PING0_VECTOR, ASM_SYMBOL_ADDR(ping0_handler));
	vm_set_idt_gate(vm, PING1_VECTOR, ASM_SYMBOL_ADDR(ping1_handler));
	vm_set_idt_gate(vm, IRQFD_VECTOR, ASM_SYMBOL_ADDR(count_handler));
	return vm;
}

/* The vCPU's last exit must be the guest's end. */
static void run_to_done_after(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	int cmd = get_ucall(vcpu, &uc);

	if (cmd != UCALL_DONE)
		bail("vCPU %u: %s, not the guest's end (ucall %d)", vcpu->id,
		     exit_reason_str(vcpu->run->exit_reason), cmd);
}

/* Run until the guest is done; any other exit is a failure. */
static void run_to_done(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	run_to_done_after(vcpu);
}

static int tsc_khz(struct kvm_vcpu *vcpu)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0)
		bail("KVM_GET_TSC_KHZ: %d (%s)", khz, strerror(errno));
	return khz;
}

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return (x > y) - (x < y);
}

/* Mean and median of @n TSC deltas, in us. */
static void print_us(const char *name, s64 *v, u64 n, int khz)
{
	double sum = 0;
	u64 i;

	qsort(v, n, sizeof(*v), cmp_s64);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("bench %s_mean %.2f us\n", name, sum / n * 1000.0 / khz);
	printf("bench %s_median %.2f us\n", name, v[n / 2] * 1000.0 / khz);
}

/*
 * What a benchmark that ran out of time was waiting for: the counts of
 * interrupts the guest took, and, where the vCPU's thread is the one the
 * alarm interrupted (KVM_RUN returned -EINTR, so its ioctls are free), the
 * vCPU's interrupt state.  Printed from the SIGALRM handler: the process
 * ends right after.
 */
static struct {
	u64 gpa[2];
	u64 sent[2];		/* IPIs: the ones sent, to tell lost from extra */
	int nr;
	u64 want;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;	/* only if the process has one thread */
} progress;

static void watch(struct kvm_vm *vm, struct kvm_vcpu *vcpu, u64 want,
		  u64 gpa0, u64 gpa1)
{
	progress.vm = vm;
	progress.vcpu = vcpu;
	progress.want = want;
	progress.gpa[0] = gpa0;
	progress.gpa[1] = gpa1;
	progress.nr = gpa1 ? 2 : 1;
}

static void print_vectors(const char *what, const struct kvm_lapic_state *s,
			  u32 base)
{
	u32 i, bits;

	for (i = 0; i < 256; i++) {
		memcpy(&bits, s->regs + base + 0x10 * (i / 32), sizeof(bits));
		if (bits & BIT(i % 32))
			printf(" %s %#x", what, i);
	}
}

static void dump_vcpu(struct kvm_vcpu *vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = { .hdr.nmsrs = 2,
		.e = { { .index = MSR_TSC_DEADLINE }, { .index = MSR_IA32_TSC } } };
	struct kvm_mp_state mp = { 0 };
	struct kvm_lapic_state st;
	struct kvm_regs regs;
	u32 lvtt = 0;

	if (!ioctl(vcpu->fd, KVM_GET_LAPIC, &st)) {
		print_vectors("IRR", &st, 0x200);
		print_vectors("ISR", &st, 0x100);
		memcpy(&lvtt, st.regs + APIC_LVTT, sizeof(lvtt));
		printf(" LVTT %#x", lvtt);
	}
	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) == 2)
		printf(" TSC_DEADLINE %#llx TSC %#llx", m.e[0].data,
		       m.e[1].data);
	if (!ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		printf(" mp_state %u", mp.mp_state);
	if (!ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		printf(" RIP %#llx RFLAGS %#llx", regs.rip, regs.rflags);
}

static void on_alarm(int sig)
{
	int i;

	printf("bench-fail %s: ran out of its %d s", cur_bench,
	       CHILD_TIMEOUT_S);
	for (i = 0; progress.vm && i < progress.nr; i++)
		printf("; %llu of %llu interrupts",
		       guest_read(progress.vm, progress.gpa[i]),
		       progress.want);
	if (progress.vcpu) {
		printf(";");
		dump_vcpu(progress.vcpu);
	}
	printf("\n");
	fflush(stdout);
	_exit(1);
}

static void bench_lapic_timer(const char *name, bool mmio, u64 n)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 count;
	s64 *v;
	int khz;

	vm = split_vm();
	vcpu = add_vcpu(vm, 0, GUEST_ENTRY(guest_timer));
	khz = tsc_khz(vcpu);
	vcpu_args_set(vcpu, 2, n, (u64)khz / 1000);	/* 1 us ahead */
	watch(vm, vcpu, n, COUNT_GPA, 0);
	/* One KVM_RUN for all of them: no exit to userspace in between. */
	run_to_done(vcpu);
	count = guest_read(vm, COUNT_GPA);
	if (count != n)
		bail("%llu timer interrupts, expected %llu", count, n);
	printf("bench-info lapic_timer: %s mode, %llu interrupts\n",
	       guest_read(vm, MODE_GPA) ? "TSC-deadline" : "one-shot", n);
	v = addr_gpa2hva(vm, SAMPLES_GPA);
	print_us("lapic_timer", v, n, khz);
	vm_free(vm);
}

/*
 * A vCPU run by its own thread to the guest's end.  When the guest stops
 * making progress, kick_runners() interrupts KVM_RUN with SIGUSR1: the
 * thread prints its vCPU's interrupt state and runs it again, which tells
 * a lost wake-up (the kick lets the guest go on) from a lost interrupt.
 */
struct runner {
	struct kvm_vcpu *vcpu;
	pthread_t th;
	bool done;		/* atomic */
};

static bool kicked;		/* atomic */

static void on_kick(int sig)
{
}

static void *run_thread(void *arg)
{
	struct runner *t = arg;
	int r;

	for (;;) {
		r = __vcpu_run(t->vcpu);
		if (r != -EINTR || !__atomic_load_n(&kicked, __ATOMIC_ACQUIRE))
			break;
		flockfile(stdout);
		printf("bench-fail %s: vCPU %u stuck:", cur_bench, t->vcpu->id);
		dump_vcpu(t->vcpu);
		printf("\n");
		funlockfile(stdout);
	}
	TEST_ASSERT(!r, "KVM_RUN: %d", r);
	run_to_done_after(t->vcpu);
	__atomic_store_n(&t->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void start_runner(struct runner *t)
{
	struct sigaction sa = { .sa_handler = on_kick };

	sigaction(SIGUSR1, &sa, NULL);
	t->done = false;
	TEST_ASSERT(!pthread_create(&t->th, NULL, run_thread, t),
		    "pthread_create");
}

static bool runners_done(struct runner *t, int nr, double wait_s)
{
	double end = now_ns() + wait_s * 1e9;
	const struct timespec tick = { .tv_nsec = 10000000 };
	int i;

	for (;;) {
		for (i = 0; i < nr; i++)
			if (!__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE))
				break;
		if (i == nr)
			return true;
		if (now_ns() > end)
			return false;
		nanosleep(&tick, NULL);
	}
}

/* The guest is stuck: make each vCPU say where, then fail. */
static void kick_runners(struct runner *t, int nr, const char *why)
{
	int i;

	__atomic_store_n(&kicked, true, __ATOMIC_RELEASE);
	for (i = 0; i < nr; i++)
		if (!__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE))
			pthread_kill(t[i].th, SIGUSR1);
	bail("%s; after a kick %s", why, runners_done(t, nr, 5) ?
	     "the guest finished: a lost wake-up" : "it is still stuck");
}

/* Wait for the runners; fail if the guest stops for STALL_S. */
static void join_runners(struct runner *t, int nr)
{
	char why[256];
	int i;

	if (!runners_done(t, nr, STALL_S)) {
		snprintf(why, sizeof(why), "no end after %d s", STALL_S);
		for (i = 0; i < progress.nr; i++)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "; %llu of %llu interrupts",
				 guest_read(progress.vm, progress.gpa[i]),
				 progress.want);
		for (i = 0; progress.sent[0] && i < 2; i++)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "; vCPU %d took %llu of the %llu IPIs sent to it",
				 i, guest_read(progress.vm, progress.gpa[i]),
				 guest_read(progress.vm, progress.sent[i]));
		kick_runners(t, nr, why);
	}
	for (i = 0; i < nr; i++)
		pthread_join(t[i].th, NULL);
}

static void bench_ipi(const char *name, bool mmio, u64 n)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct runner t[2];
	struct kvm_vm *vm;
	u64 n0, n1;
	double us;
	int i;

	vm = split_vm();
	t[0].vcpu = add_vcpu(vm, 0, GUEST_ENTRY(guest_ping));
	t[1].vcpu = add_vcpu(vm, 1, GUEST_ENTRY(guest_ping));
	/* Started as if by INIT/SIPI, so that both run from the start. */
	kvm_ioctl(t[1].vcpu->fd, KVM_SET_MP_STATE, &mp);
	watch(vm, NULL, n, PING0_GPA, PING1_GPA);
	progress.sent[0] = SENT0_GPA;
	progress.sent[1] = SENT1_GPA;
	for (i = 0; i < 2; i++) {
		vcpu_args_set(t[i].vcpu, 2, (u64)i, n);
		start_runner(&t[i]);
	}
	join_runners(t, 2);
	n0 = guest_read(vm, PING0_GPA);
	n1 = guest_read(vm, PING1_GPA);
	if (n0 != n || n1 != n)
		bail("IPIs taken: vCPU 0 %llu, vCPU 1 %llu; expected %llu",
		     n0, n1, n);
	us = guest_read(vm, RESULT_GPA) * 1000.0 / tsc_khz(t[0].vcpu) / n;
	printf("bench ipi_roundtrip %.2f us\n", us);
	printf("bench ipi_rate %.0f rt/s\n", 1e6 / us);
	vm_free(vm);
}

struct drainer {
	int efd;
	u64 total;
	bool stop;		/* atomic: the guest is done */
	pthread_t th;
};

/* Read the eventfd until told to stop, then once more. */
static void *drain_thread(void *arg)
{
	struct drainer *d = arg;
	struct pollfd p = { .fd = d->efd, .events = POLLIN };
	bool last = false;
	u64 v;

	while (!last) {
		last = __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE);
		if (poll(&p, 1, last ? 0 : 100) > 0 &&
		    read(d->efd, &v, sizeof(v)) == sizeof(v))
			d->total += v;
	}
	return NULL;
}

/* The guest's writes per second, from the TSC cycles its loop took. */
static void print_rate(const char *name, struct kvm_vcpu *vcpu, u64 n)
{
	u64 cycles = guest_read(vcpu->vm, RESULT_GPA);

	printf("bench %s %.0f writes/s\n", name,
	       n * (tsc_khz(vcpu) * 1000.0) / cycles);
}

static struct kvm_vm *writes_vm(struct kvm_vcpu **vcpu, bool mmio, u64 n)
{
	struct kvm_vm *vm = vm_create_guest(GUEST_MODE_LONG64);

	*vcpu = vm_vcpu_add_guest(vm, 0, GUEST_ENTRY(guest_writes));
	vcpu_args_set(*vcpu, 3, (u64)WRITE_PORT, mmio ? MMIO_GPA : 0, n);
	return vm;
}

static void bench_ioeventfd(const char *name, bool mmio, u64 n)
{
	struct kvm_ioeventfd io = {
		.addr = mmio ? MMIO_GPA : WRITE_PORT,
		.len = 4,
		.flags = mmio ? 0 : KVM_IOEVENTFD_FLAG_PIO,
	};
	struct drainer d = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = writes_vm(&vcpu, mmio, n);
	d.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(d.efd >= 0, "eventfd");
	io.fd = d.efd;
	if (ioctl(vm->fd, KVM_IOEVENTFD, &io))
		bail("KVM_IOEVENTFD: %s", strerror(errno));
	TEST_ASSERT(!pthread_create(&d.th, NULL, drain_thread, &d),
		    "pthread_create");
	run_to_done(vcpu);
	__atomic_store_n(&d.stop, true, __ATOMIC_RELEASE);
	pthread_join(d.th, NULL);
	if (d.total != n)
		bail("the eventfd counted %llu writes, the guest made %llu",
		     d.total, n);
	print_rate(name, vcpu, n);
	vm_free(vm);
	close(d.efd);
}

/* The same writes, each an exit to userspace. */
static void bench_write_exit(const char *name, bool mmio, u64 n)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 exits = 0;
	int cmd;

	vm = writes_vm(&vcpu, mmio, n);
	for (;;) {
		vcpu_run(vcpu);
		if (!mmio && vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == WRITE_PORT)
			exits++;
		else if (mmio && vcpu->run->exit_reason == KVM_EXIT_MMIO &&
			 vcpu->run->mmio.phys_addr == MMIO_GPA &&
			 vcpu->run->mmio.is_write)
			exits++;
		else
			break;
	}
	cmd = get_ucall(vcpu, &uc);
	if (cmd != UCALL_DONE)
		bail("%s after %llu writes, not the guest's end",
		     exit_reason_str(vcpu->run->exit_reason), exits);
	if (exits != n)
		bail("%llu exits, the guest made %llu writes", exits, n);
	print_rate(name, vcpu, n);
	vm_free(vm);
}

static int assign_efd(struct kvm_vm *vm, u64 ioctl_nr, void *arg)
{
	if (ioctl(vm->fd, ioctl_nr, arg))
		bail("%s: %s", ioctl_nr == KVM_IRQFD ? "KVM_IRQFD" :
		     ioctl_nr == KVM_IOEVENTFD ? "KVM_IOEVENTFD" :
		     "KVM_SET_GSI_ROUTING", strerror(errno));
	return 0;
}

/*
 * Wait for the guest's word through its ioeventfd: exactly one.  No word
 * for STALL_S: the guest is stuck, make it say where.
 */
static void wait_ack(int efd, u64 i, struct runner *t)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	char why[96];
	u64 v = 0;

	if (poll(&p, 1, STALL_S * 1000) != 1 ||
	    read(efd, &v, sizeof(v)) != sizeof(v)) {
		snprintf(why, sizeof(why),
			 "no word from the guest after %llu interrupts", i);
		kick_runners(t, 1, why);
	}
	if (v != 1)
		bail("%llu words from the guest after %llu interrupts", v, i);
}

/*
 * Half the round trip from the host's write to the irqfd, through the
 * guest's handler and back to the host through an ioeventfd: the one-way
 * latency, slightly overstated (the way back has the handler's EOI and the
 * guest's OUT).  The guest and host TSCs would give the one-way time
 * directly, but the TSC offset read with KVM_GET_MSRS is only known to
 * within the tens of microseconds that ioctl takes in the emulated host.
 */
static void bench_irqfd(const char *name, bool mmio, u64 n)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} rt = {
		.hdr.nr = 1,
		.e[0] = {
			.gsi = IRQFD_GSI, .type = KVM_IRQ_ROUTING_MSI,
			/* APIC 0, fixed, edge (SDM 10.11.1, 10.11.2). */
			.u.msi = { .address_lo = APIC_GPA,
				   .data = IRQFD_VECTOR },
		},
	};
	struct kvm_ioeventfd io = { .addr = ACK_PORT, .len = 4,
				    .flags = KVM_IOEVENTFD_FLAG_PIO };
	struct kvm_irqfd irqfd = { .gsi = IRQFD_GSI };
	const struct timespec settle = { .tv_nsec = 1000000 };
	int irq_efd, ack_efd;
	struct runner t;
	struct kvm_vm *vm;
	u64 count, i, one = 1;
	double t0;
	s64 *v;

	if (kvm_check_cap(KVM_CAP_IRQFD) <= 0) {
		printf("bench irqfd_latency_mean n/a (no KVM_CAP_IRQFD)\n");
		printf("bench irqfd_latency_median n/a (no KVM_CAP_IRQFD)\n");
		return;
	}
	vm = split_vm();
	t.vcpu = add_vcpu(vm, 0, GUEST_ENTRY(guest_irqfd));
	vcpu_args_set(t.vcpu, 1, n);
	watch(vm, NULL, n, COUNT_GPA, 0);
	assign_efd(vm, KVM_SET_GSI_ROUTING, &rt);
	irq_efd = eventfd(0, EFD_CLOEXEC);
	ack_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	TEST_ASSERT(irq_efd >= 0 && ack_efd >= 0, "eventfd");
	irqfd.fd = irq_efd;
	io.fd = ack_efd;
	assign_efd(vm, KVM_IRQFD, &irqfd);
	assign_efd(vm, KVM_IOEVENTFD, &io);
	v = calloc(n, sizeof(*v));
	TEST_ASSERT(v, "calloc");

	start_runner(&t);
	wait_ack(ack_efd, 0, &t);
	for (i = 0; i < n; i++) {
		/* Time enough for the guest to be in HLT, even under TCG. */
		nanosleep(&settle, NULL);
		t0 = now_ns();
		if (write(irq_efd, &one, sizeof(one)) != sizeof(one))
			bail("write to the irqfd: %s", strerror(errno));
		wait_ack(ack_efd, i + 1, &t);
		v[i] = (now_ns() - t0) / 2;
	}
	join_runners(&t, 1);

	count = guest_read(vm, COUNT_GPA);
	if (count != n)
		bail("%llu irqfd interrupts, expected %llu", count, n);
	/* print_us() takes TSC cycles: nanoseconds are cycles at 1 GHz. */
	print_us("irqfd_latency", v, n, 1000000);
	free(v);
	vm_free(vm);
	close(irq_efd);
	close(ack_efd);
}

/*
 * The benchmarks, in the order they run: @div divides the iteration count
 * of the command line (the slower the benchmark, the larger).
 */
static const struct bench {
	const char *name;
	void (*fn)(const char *name, bool mmio, u64 n);
	bool mmio;
	u64 div;
} benches[] = {
	{ "lapic_timer", bench_lapic_timer, false, 4 },
	{ "ipi", bench_ipi, false, 10 },
	{ "ioeventfd_pio", bench_ioeventfd, false, 1 },
	{ "ioeventfd_mmio", bench_ioeventfd, true, 1 },
	{ "pio_write_exit", bench_write_exit, false, 2 },
	{ "mmio_write_exit", bench_write_exit, true, 2 },
	{ "irqfd_latency", bench_irqfd, false, 8 },
};

/* Run one benchmark in a child with a time limit; false if it failed. */
static bool run_child(const struct bench *b, u64 n)
{
	double t0 = now_ns();
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		cur_bench = b->name;
		signal(SIGALRM, on_alarm);
		alarm(CHILD_TIMEOUT_S);
		b->fn(b->name, b->mmio, n / b->div ? n / b->div : 1);
		fflush(stdout);
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	printf("bench-time %s %.2f s\n", b->name, (now_ns() - t0) / 1e9);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	if (WIFSIGNALED(status))
		printf("bench-fail %s: killed by signal %d%s\n", b->name,
		       WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
		       " (time limit: an interrupt never came?)" : "");
	else
		printf("bench-fail %s: exit status %d\n", b->name,
		       WEXITSTATUS(status));
	return false;
}

/* irq_bench ITERATIONS [NAME...]: only the benchmarks named, if any. */
static bool picked(char **names, int nr, const char *name)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	u64 n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000;
	bool ok = true;
	size_t i;

	if (!n || n > MAX_SAMPLES) {
		fprintf(stderr, "usage: %s [ITERATIONS, 1-%llu] [NAME...]\n", argv[0],
			(u64)MAX_SAMPLES);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ARRAY_SIZE(benches); i++)
		if (argc < 3 || picked(&argv[2], argc - 2, benches[i].name))
			ok &= run_child(&benches[i], n);
	return ok ? 0 : 1;
}
