/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 PIT from the guest and the host, shared by pit_test and
 * pit_mask_test: ports and control words (8254 datasheet), and a long-mode
 * guest whose IRQ 0 goes through the in-kernel IOAPIC (KVM_CREATE_IRQCHIP)
 * to a handler that counts the ticks.  Include after kselftest_harness.h,
 * kvm_util.h, processor.h and ucall.h.
 */
#ifndef SELFTEST_KVM_PIT_GUEST_H
#define SELFTEST_KVM_PIT_GUEST_H

#include <string.h>
#include <time.h>
#include <sys/ioctl.h>

#define PIT_HZ		1193182ULL
#define PIT_CH0		0x40
#define PIT_CH1		0x41
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_B		0x61		/* speaker / gate 2 / OUT2 */

#define PORTB_GATE2	0x01
#define PORTB_SPEAKER	0x02
#define PORTB_OUT2	0x20

/* Control word (datasheet figure 6): SC1-0, RW1-0, M2-M0, BCD. */
#define CW(sc, rw, mode)	(((sc) << 6) | ((rw) << 4) | ((mode) << 1))
#define RW_LATCH	0
#define RW_LSB_MSB	3

static inline u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline int create_pit2(struct kvm_vm *vm, u32 flags)
{
	struct kvm_pit_config config = { .flags = flags };

	return ioctl(vm->fd, KVM_CREATE_PIT2, &config);
}

static inline void run_sync(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu, struct ucall *uc, u64 stage)
{
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, uc));
	ASSERT_EQ(stage, uc->args[0]);
}

static inline void run_done(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

static inline void fill_channel(struct kvm_pit_channel_state *c,
				u32 count, u8 mode)
{
	memset(c, 0, sizeof(*c));
	c->count = count;
	c->mode = mode;
	c->rw_mode = RW_LSB_MSB;
	c->read_state = RW_LSB_MSB;
	c->write_state = RW_LSB_MSB;
	c->gate = 1;
}

#define IRQ0_VECTOR	0x30
#define TICKS_GPA	0x21000		/* the IRQ 0 handler counts here */
#define APIC_GPA	0xfee00000
#define APIC_SVR	0xf0
#define IOAPIC_GPA	0xfec00000
#define IOAPIC_REDTBL	0x10		/* pin n: 0x10 + 2n (low), + 1 (high) */
#define IOAPIC_MASKED	0x10000		/* redirection entry bit 16 */

/* 10 ms: the count Linux programs for HZ=100. */
#define PERIOD_COUNT	11932ULL
#define PERIOD_NS	(PERIOD_COUNT * 1000000000ULL / PIT_HZ)

/* Count, EOI to the LAPIC (SDM vol. 3A, 10.8.5), return. */
__asm__(".pushsection .text\n"
	"irq0_handler:\n"
	"	push %rax\n"
	"	incq " KVM_STR(TICKS_GPA) "\n"
	"	movl $" KVM_STR(APIC_GPA) " + 0xb0, %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static inline u64 guest_ticks(void)
{
	return READ_ONCE(*(u64 *)TICKS_GPA);
}

static inline void ioapic_write(u32 reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)IOAPIC_GPA, reg);
	WRITE_ONCE(*(u32 *)(uintptr_t)(IOAPIC_GPA + 0x10), val);
}

/*
 * Software-enable the LAPIC, mask the 8259s (OCW1), and route IOAPIC pin 0
 * (KVM's default route of GSI 0) to IRQ0_VECTOR: fixed, physical to
 * APIC 0, edge, active high, unmasked (82093AA datasheet, 3.2.4).
 */
static inline void guest_route_irq0(void)
{
	WRITE_ONCE(*(u32 *)(uintptr_t)(APIC_GPA + APIC_SVR), 0x1ff);
	guest_outb(0x21, 0xff);
	guest_outb(0xa1, 0xff);
	ioapic_write(IOAPIC_REDTBL + 1, 0);
	ioapic_write(IOAPIC_REDTBL, IRQ0_VECTOR);
}

static inline void guest_load_ch0(u8 mode, u64 count)
{
	guest_outb(PIT_CMD, CW(0, RW_LSB_MSB, mode));
	guest_outb(PIT_CH0, count & 0xff);
	guest_outb(PIT_CH0, count >> 8);
}

/* A long-mode VM with KVM_CREATE_IRQCHIP, a PIT, and vCPU 0 at @entry. */
static inline struct kvm_vcpu *
irqchip_guest(struct __test_metadata *_metadata, struct kvm_vm **vmp, u64 entry)
{
	struct kvm_sregs sregs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_guest(GUEST_MODE_LONG64);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, create_pit2(vm, KVM_PIT_SPEAKER_DUMMY));
	vcpu = vm_vcpu_add_guest(vm, 0, entry);
	vm_set_idt_gate(vm, IRQ0_VECTOR, ASM_SYMBOL_ADDR(irq0_handler));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);
	*vmp = vm;
	return vcpu;
}

#endif /* SELFTEST_KVM_PIT_GUEST_H */
