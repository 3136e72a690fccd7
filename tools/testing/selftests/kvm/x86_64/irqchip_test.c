// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIC and IOAPIC (api.rst 4.24 KVM_CREATE_IRQCHIP): the
 * ioctl errors KVM 6.1 gives; a guest that programs an IOAPIC redirection
 * entry through MMIO (82093AA datasheet, 3.2.4) and takes an edge
 * interrupt raised with KVM_IRQ_LINE; a level-triggered one whose EOI
 * clears Remote IRR and re-delivers while the line stays high; a PIC
 * interrupt (ICW1-4, IMR) taken through LINT0 as ExtINT (SDM vol. 3A,
 * 10.5.1); what KVM_IRQ_LINE_STATUS reports; KVM_GET/SET_IRQCHIP; an MSI
 * route raised with KVM_IRQ_LINE; and a halted guest woken by the IOAPIC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define READY_PORT	0x3f40		/* the host may raise the line */
#define DONE_PORT	0x3f41		/* the guest is done waiting */
#define LEVEL_PORT	0x3f42		/* the level handler runs, before EOI */

#define EDGE_VECTOR	0x50
#define LEVEL_VECTOR	0x51
#define PIC_BASE	0x60		/* master IRQ0 (ICW2); slave 0x68 */
#define MSI_VECTOR	0x52

#define EDGE_GPA	0x21000		/* edge handler runs */
#define LEVEL_GPA	0x21008		/* level handler runs */
#define PIC_GPA		0x21010		/* PIC handler runs */
#define MSI_GPA		0x21018		/* MSI handler runs */
#define VERSION_GPA	0x21020		/* the IOAPIC version register */

#define EDGE_PIN	5
#define LEVEL_PIN	10
#define PIC_IRQ		3
#define MSI_GSI		30

#define APIC_GPA	0xfee00000	/* also pasted into assembly */
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_LVT0	0x350
#define IOAPIC_GPA	0xfec00000

#define RTE_LEVEL	BIT(15)

/* Handlers: count, EOI the LAPIC (and the PIC, OCW2 0x20), return. */
__asm__(".pushsection .text\n"
	"edge_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(EDGE_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"msi_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(MSI_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	/* Tells the host before the EOI, so it can look at Remote IRR. */
	"level_handler:\n"
	"	push %rax\n"
	"	push %rdx\n"
	"	incq " KVM_STR(LEVEL_GPA) "\n"
	"	movw $" KVM_STR(LEVEL_PORT) ", %dx\n"
	"	outb %al, %dx\n"
	"	movl $" KVM_STR(APIC_GPA) " + " KVM_STR(APIC_EOI) ", %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	iretq\n"
	"pic_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(PIC_GPA) "\n"
	"	movb $0x20, %al\n"
	"	outb %al, $0x20\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static void apic_write(u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + reg), val);
}

/* IOREGSEL at +0, IOWIN at +0x10 (datasheet, 3.1). */
static void ioapic_write(u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)IOAPIC_GPA, reg);
	WRITE_ONCE(*(u32 *)(uintptr_t)(IOAPIC_GPA + 0x10), val);
}

static u32 ioapic_read(u32 reg)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)IOAPIC_GPA, reg);
	return READ_ONCE(*(u32 *)(uintptr_t)(IOAPIC_GPA + 0x10));
}

/* Redirection entry of @pin: @low (vector, trigger, unmasked), to @dest. */
static void ioapic_route_to(u32 pin, u32 low, u32 dest)
{
	ioapic_write(0x11 + 2 * pin, dest << 24);	/* physical APIC ID */
	ioapic_write(0x10 + 2 * pin, low);
}

static void ioapic_route(u32 pin, u32 low)
{
	ioapic_route_to(pin, low, 0);
}

/*
 * GSIs 0-15 reach the PIC too, and after reset LINT0 takes its ExtINT
 * (KVM's LINT0 quirk) with the PIC's IMR clear: mask both 8259As, as a
 * BIOS does when the IOAPIC is used.
 */
static void mask_pic(void)
{
	guest_outb(0x21, 0xff);
	guest_outb(0xa1, 0xff);
}

static void wait_count(u64 gpa, u64 n)
{
	while (READ_ONCE(*(u64 *)gpa) < n)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}

/* A short interrupt window: anything pending is taken here. */
static void open_window(void)
{
	__asm__ __volatile__("sti; nop; nop; nop; cli" : : : "memory");
}

static void guest_edge(void)
{
	mask_pic();
	apic_write(APIC_SVR, 0x1ff);
	WRITE_ONCE(*(u64 *)VERSION_GPA, ioapic_read(1));
	ioapic_route(EDGE_PIN, EDGE_VECTOR);
	guest_outb(READY_PORT, 0);
	wait_count(EDGE_GPA, 1);
	open_window();
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

static void guest_level(void)
{
	mask_pic();
	apic_write(APIC_SVR, 0x1ff);
	ioapic_route(LEVEL_PIN, LEVEL_VECTOR | RTE_LEVEL);
	guest_outb(READY_PORT, 0);
	wait_count(LEVEL_GPA, 2);
	open_window();
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/*
 * Both 8259As initialized as a PC BIOS does (ICW1 edge, cascade, ICW4;
 * ICW2 vector base; ICW3 slave on IRQ2; ICW4 8086 mode), only @PIC_IRQ
 * unmasked; LINT0 as ExtINT (SDM 10.5.1) with the APIC enabled.
 */
static void guest_pic(void)
{
	guest_outb(0x20, 0x11);
	guest_outb(0x21, PIC_BASE);
	guest_outb(0x21, 0x04);
	guest_outb(0x21, 0x01);
	guest_outb(0xa0, 0x11);
	guest_outb(0xa1, PIC_BASE + 8);
	guest_outb(0xa1, 0x02);
	guest_outb(0xa1, 0x01);
	guest_outb(0x21, (u8)~BIT(PIC_IRQ));
	guest_outb(0xa1, 0xff);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, 0x700);			/* ExtINT, unmasked */
	guest_outb(READY_PORT, 0);
	wait_count(PIC_GPA, 1);
	open_window();
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

static void guest_msi(void)
{
	mask_pic();
	apic_write(APIC_SVR, 0x1ff);
	guest_outb(READY_PORT, 0);
	wait_count(MSI_GPA, 1);
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/* Halts with nothing pending: only the IOAPIC's interrupt wakes it. */
static void guest_halted(void)
{
	mask_pic();
	apic_write(APIC_SVR, 0x1ff);
	ioapic_route(EDGE_PIN, EDGE_VECTOR);
	guest_outb(READY_PORT, 0);
	wait_count(EDGE_GPA, 1);
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/* vCPU 0 routes the edge pin to APIC 1. */
static void guest_route_to_1(void)
{
	mask_pic();
	apic_write(APIC_SVR, 0x1ff);
	ioapic_route_to(EDGE_PIN, EDGE_VECTOR, 1);
	guest_outb(READY_PORT, 0);
	GUEST_DONE();
}

/* vCPU 1 enables its APIC and waits for the interrupt. */
static void guest_ap_waits(void)
{
	apic_write(APIC_SVR, 0x1ff);
	guest_outb(READY_PORT, 0);
	wait_count(EDGE_GPA, 1);
	guest_outb(DONE_PORT, 0);
	GUEST_DONE();
}

/* A long-mode VM with KVM_CREATE_IRQCHIP and vCPU 0 at @entry. */
static struct kvm_vcpu *irqchip_guest(struct __test_metadata *_metadata,
				      struct kvm_vm **vmp, u64 entry)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vm_vcpu_add_guest(vm, 0, entry);
	ASSERT_EQ(0, vcpu_set_supported_cpuid(vcpu));
	vm_set_idt_gate(vm, EDGE_VECTOR, ASM_SYMBOL_ADDR(edge_handler));
	vm_set_idt_gate(vm, LEVEL_VECTOR, ASM_SYMBOL_ADDR(level_handler));
	vm_set_idt_gate(vm, MSI_VECTOR, ASM_SYMBOL_ADDR(msi_handler));
	vm_set_idt_gate(vm, PIC_BASE + PIC_IRQ, ASM_SYMBOL_ADDR(pic_handler));
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

/* KVM_IRQ_LINE_STATUS: what it reports (ioctl failure: -100). */
static int line_status(struct kvm_vm *vm, u32 gsi, u32 level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &irq))
		return -100;
	return irq.status;
}

static int irq_line(struct kvm_vm *vm, u32 gsi, u32 level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

static u64 read_u64(struct kvm_vm *vm, u64 gpa)
{
	u64 v;

	vm_read_mem(vm, gpa, &v, sizeof(v));
	return v;
}

TEST(caps)
{
	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQCHIP));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQ_INJECT_STATUS));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_HLT));
}

TEST(create_errors)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_interrupt intr = { .irq = 0x30 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	/* Without an irqchip: lines and chip state are -ENXIO. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	EXPECT_EQ(-1, irq_line(vm, 4, 1));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-100, line_status(vm, 4, 1));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(ENXIO, errno);
	/* Twice: -EEXIST; then the split irqchip is -EEXIST too. */
	EXPECT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, vm_enable_split_irqchip(vm, 24));
	EXPECT_EQ(EEXIST, errno);
	/* The bad chip ids. */
	chip.chip_id = 3;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	EXPECT_EQ(EINVAL, errno);
	chip.chip_id = 0xffffffff;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(EINVAL, errno);
	/* KVM_INTERRUPT is for a PIC in userspace. */
	vcpu = vm_vcpu_add_guest(vm, 0, 0);
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_INTERRUPT, &intr));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);

	/* After a vCPU: -EINVAL. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	vm_vcpu_add_guest(vm, 0, 0);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);

	/* After the split irqchip: -EEXIST, and the chips are -ENXIO. */
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, vm_enable_split_irqchip(vm, 24));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EEXIST, errno);
	chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);
}

TEST(gsi_routing_errors)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} r = { .hdr.nr = 1 };
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	r.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	r.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	r.e[0].u.irqchip.pin = 24;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	EXPECT_EQ(EINVAL, errno);
	r.e[0].u.irqchip.irqchip = KVM_IRQCHIP_PIC_SLAVE;
	r.e[0].u.irqchip.pin = 8;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	EXPECT_EQ(EINVAL, errno);
	r.e[0].u.irqchip.irqchip = 3;
	r.e[0].u.irqchip.pin = 0;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	EXPECT_EQ(EINVAL, errno);
	/* A valid one replaces the defaults: GSI 4 then leads nowhere. */
	r.e[0].gsi = 7;
	r.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	r.e[0].u.irqchip.pin = 7;
	EXPECT_EQ(0, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	EXPECT_EQ(-1, line_status(vm, 4, 1));
	vm_free(vm);
}

TEST(ioapic_edge)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_edge));
	run_to_port(_metadata, vcpu, READY_PORT);
	/* 24 pins: maximum redirection entry 23, version 0x11. */
	EXPECT_EQ(0x170011ULL, read_u64(vm, VERSION_GPA));
	EXPECT_EQ(0, irq_line(vm, EDGE_PIN, 1));
	EXPECT_EQ(0, irq_line(vm, EDGE_PIN, 0));
	run_to_port(_metadata, vcpu, DONE_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, EDGE_GPA));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

/* Remote IRR of @pin as KVM_GET_IRQCHIP shows it. */
static int remote_irr(struct kvm_vm *vm, int pin)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(vm->fd, KVM_GET_IRQCHIP, &chip))
		return -1;
	return !!(chip.chip.ioapic.redirtbl[pin].bits & BIT_ULL(14));
}

TEST(ioapic_level_eoi)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_level));
	run_to_port(_metadata, vcpu, READY_PORT);
	EXPECT_EQ(0, remote_irr(vm, LEVEL_PIN));
	EXPECT_EQ(0, irq_line(vm, LEVEL_PIN, 1));
	/* First delivery, in the handler before its EOI: Remote IRR set. */
	run_to_port(_metadata, vcpu, LEVEL_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, LEVEL_GPA));
	EXPECT_EQ(1, remote_irr(vm, LEVEL_PIN));
	/* The line stays high: the EOI delivers it again. */
	run_to_port(_metadata, vcpu, LEVEL_PORT);
	EXPECT_EQ(2ULL, read_u64(vm, LEVEL_GPA));
	EXPECT_EQ(1, remote_irr(vm, LEVEL_PIN));
	/* Lowered now: the EOI clears Remote IRR and nothing comes. */
	EXPECT_EQ(0, irq_line(vm, LEVEL_PIN, 0));
	run_to_port(_metadata, vcpu, DONE_PORT);
	EXPECT_EQ(2ULL, read_u64(vm, LEVEL_GPA));
	EXPECT_EQ(0, remote_irr(vm, LEVEL_PIN));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(pic_extint)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_pic));
	run_to_port(_metadata, vcpu, READY_PORT);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(PIC_BASE, chip.chip.pic.irq_base);
	EXPECT_EQ((u8)~BIT(PIC_IRQ), chip.chip.pic.imr);
	/* The PIC takes it; the IOAPIC pin is masked. */
	EXPECT_EQ(1, line_status(vm, PIC_IRQ, 1));
	/* Lowering: 1 from each chip. */
	EXPECT_EQ(2, line_status(vm, PIC_IRQ, 0));
	run_to_port(_metadata, vcpu, DONE_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, PIC_GPA));
	/* Its EOI cleared ISR. */
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_EQ(0, chip.chip.pic.isr);
	EXPECT_EQ(0, chip.chip.pic.irr);
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(irq_line_status)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_edge));
	/* No route. */
	EXPECT_EQ(-1, line_status(vm, 100, 1));
	/* An IOAPIC-only pin, masked since reset. */
	EXPECT_EQ(-1, line_status(vm, 20, 1));
	EXPECT_EQ(1, line_status(vm, 20, 0));
	run_to_port(_metadata, vcpu, READY_PORT);
	/* Delivered to one APIC, then coalesced while the line is high. */
	EXPECT_EQ(1, line_status(vm, EDGE_PIN, 1));
	EXPECT_EQ(0, line_status(vm, EDGE_PIN, 1));
	EXPECT_EQ(1, line_status(vm, EDGE_PIN, 0));
	run_to_port(_metadata, vcpu, DONE_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, EDGE_GPA));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(get_set_irqchip)
{
	struct kvm_irqchip a, b;
	struct kvm_vm *vm;
	int id;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	for (id = 0; id <= KVM_IRQCHIP_IOAPIC; id++) {
		memset(&a, 0, sizeof(a));
		a.chip_id = id;
		ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &a));
		if (id == KVM_IRQCHIP_IOAPIC) {
			EXPECT_EQ(0xfec00000ULL, a.chip.ioapic.base_address);
			EXPECT_NE(0ULL, a.chip.ioapic.redirtbl[3].bits & BIT_ULL(16));
			a.chip.ioapic.id = 2;
			a.chip.ioapic.ioregsel = 0x16;
			a.chip.ioapic.redirtbl[3].bits = 0x0100000000008033ULL;
		} else {
			a.chip.pic.imr = 0xa5;
			a.chip.pic.irq_base = 0x70 + 8 * id;
			a.chip.pic.elcr = id ? 0x0 : 0x08;
			a.chip.pic.special_fully_nested_mode = 1;
		}
		ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_IRQCHIP, &a));
		memset(&b, 0, sizeof(b));
		b.chip_id = id;
		ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &b));
		EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)))
			TH_LOG("chip %d differs after the round trip", id);
	}
	vm_free(vm);
}

/* Any state userspace stores is taken, and lines still work after it. */
TEST(set_irqchip_garbage)
{
	struct kvm_irqchip chip;
	struct kvm_vm *vm;
	int id, gsi;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	for (id = 0; id <= KVM_IRQCHIP_IOAPIC; id++) {
		memset(&chip, 0xff, sizeof(chip));
		chip.chip_id = id;
		chip.pad = 0;
		EXPECT_EQ(0, ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	}
	for (gsi = 0; gsi < 26; gsi++) {
		EXPECT_NE(-100, line_status(vm, gsi, 1));
		EXPECT_NE(-100, line_status(vm, gsi, 0));
	}
	EXPECT_EQ(-1, line_status(vm, 0xffffffff, 1));
	for (id = 0; id <= KVM_IRQCHIP_IOAPIC; id++) {
		chip.chip_id = id;
		EXPECT_EQ(0, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	}
	vm_free(vm);
}

TEST(gsi_routing_msi)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} r = { .hdr.nr = 1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_msi));
	r.e[0].gsi = MSI_GSI;
	r.e[0].type = KVM_IRQ_ROUTING_MSI;
	r.e[0].u.msi.address_lo = APIC_GPA;
	r.e[0].u.msi.data = MSI_VECTOR;
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	run_to_port(_metadata, vcpu, READY_PORT);
	/* Lowering an MSI sends nothing; raising it reaches one APIC. */
	EXPECT_EQ(-1, line_status(vm, MSI_GSI, 0));
	EXPECT_EQ(1, line_status(vm, MSI_GSI, 1));
	run_to_port(_metadata, vcpu, DONE_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, MSI_GPA));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

/* A redirection entry with another destination reaches that vCPU only. */
TEST(ioapic_to_vcpu1)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *vcpu, *ap;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_route_to_1));
	ap = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_ap_waits));
	ASSERT_EQ(0, vcpu_set_supported_cpuid(ap));
	vcpu_sregs_get(ap, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(ap, &sregs);
	/* With an in-kernel APIC an AP waits for INIT/SIPI: start it. */
	ASSERT_EQ(0, ioctl(ap->fd, KVM_SET_MP_STATE, &mp));
	run_to_port(_metadata, ap, READY_PORT);
	run_to_port(_metadata, vcpu, READY_PORT);
	run_to_done(_metadata, vcpu);
	EXPECT_EQ(1, line_status(vm, EDGE_PIN, 1));
	EXPECT_EQ(1, line_status(vm, EDGE_PIN, 0));
	run_to_port(_metadata, ap, DONE_PORT);
	EXPECT_EQ(1ULL, read_u64(vm, EDGE_GPA));
	run_to_done(_metadata, ap);
	vm_free(vm);
}

struct raiser {
	struct kvm_vm *vm;
	int r;
};

/* Raise the edge pin once the vCPU had time to halt. */
static void *raise_thread(void *arg)
{
	struct raiser *t = arg;

	usleep(300 * 1000);
	t->r = irq_line(t->vm, EDGE_PIN, 1) ?: irq_line(t->vm, EDGE_PIN, 0);
	return NULL;
}

TEST(halt_wakeup)
{
	struct raiser t = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t th;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_halted));
	run_to_port(_metadata, vcpu, READY_PORT);
	t.vm = vm;
	ASSERT_EQ(0, pthread_create(&th, NULL, raise_thread, &t));
	/* HLT sleeps in the kernel: the next exit is the guest done. */
	run_to_port(_metadata, vcpu, DONE_PORT);
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.r);
	EXPECT_EQ(1ULL, read_u64(vm, EDGE_GPA));
	run_to_done(_metadata, vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
