/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model of the two cascaded Intel 8259A PICs of a PC (slave on master
 * IRQ2) and the PIIX edge/level control registers (ELCR), as KVM
 * presents them.
 *
 * Pure logic: no kernel or libc dependency beyond <kestrel/pure.h>, so the
 * same source builds into kestrel.ko and into the user-space unit tests.
 *
 * The state of each chip is struct kvm_pic_state (UAPI) itself, so
 * KVM_GET/SET_IRQCHIP (KVM_IRQCHIP_PIC_MASTER/_SLAVE) are
 * kvm_pic_get/set_state().  Any value in it is safe.
 *
 * What the glue does around it:
 * - One lock around every call; callbacks run with it held.
 * - Port I/O: byte accesses to 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 go to
 *   kvm_pic_ioport_read/write.  KVM 6.1 ignores wider writes and reads
 *   them as 0 (logging "non byte" accesses).
 * - The output: after any call, kvm_pic_output() is the INTR line into the
 *   vCPU's LAPIC LINT0 (ExtINT) or, with the LAPIC disabled, the CPU
 *   itself.  When kvm_pic_take_wakeup() returns true the line rose: kick
 *   the vCPU that accepts PIC interrupts (KVM: the first whose LAPIC
 *   accepts them, kvm_apic_accept_pic_intr()).
 * - INTA: when the vCPU takes the interrupt, kvm_pic_read_irq() returns
 *   the vector (a spurious IRQ7/IRQ15 vector if the request went away).
 * - ops->ack (optional): KVM's ack notifiers, called when an IRQ's ISR bit
 *   is cleared (EOI, auto-EOI, poll).  The pin is 0..15 (slave 8..15),
 *   the irqchip KVM_IRQCHIP_PIC_MASTER or _SLAVE.  It may call
 *   kvm_pic_set_irq() on this PIC.
 * - ops->mask_changed (optional): KVM's mask notifiers, on IMR changes.
 */
#ifndef KESTREL_X86_I8259_H
#define KESTREL_X86_I8259_H

#include <kestrel/pure.h>

#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_ELCR1		0x4d0	/* master IRQ 0-7 */
#define PIC_ELCR2		0x4d1	/* slave IRQ 8-15 */

/*
 * ELCR bits that can be set: IRQ 0, 1, 2 (timer, keyboard, cascade) and
 * 8, 13 (RTC, FPU) are always edge on the PIIX (ELCR1/ELCR2 in the
 * PIIX3/PIIX4 datasheets).
 */
#define PIC_MASTER_ELCR_MASK	0xf8
#define PIC_SLAVE_ELCR_MASK	0xde

#define PIC_MAX_IRQ_SOURCES	64

struct kvm_pic_ops {
	void (*ack)(void *opaque, u32 irqchip, unsigned int pin);
	void (*mask_changed)(void *opaque, u32 irqchip, unsigned int pin,
			     bool masked);
};

struct kvm_pic {
	struct kvm_pic_state pics[2];	/* master, slave: UAPI layout */
	u64 irq_states[16];		/* line level per source id */
	bool output;			/* INTR to the CPU */
	bool wakeup_needed;		/* output rose since take_wakeup */
	const struct kvm_pic_ops *ops;
	void *opaque;
};

/* Zeroed state with the PIIX ELCR masks, as KVM_CREATE_IRQCHIP. */
void kvm_pic_init(struct kvm_pic *pic, const struct kvm_pic_ops *ops,
		  void *opaque);

/*
 * The line of pin (0..15) driven by source_id goes to level; the pin is
 * the OR of its sources.  Returns as KVM 6.1's kvm_pic_set_irq(): -1 if
 * the pin is masked in IMR (whatever the level), else 0 if a rising line
 * found its request already in IRR (coalesced), else 1.  Pin or source out
 * of range: -1, nothing changes.
 */
int kvm_pic_set_irq(struct kvm_pic *pic, u32 pin, u32 source_id, int level);

/* Drops source_id from every line. */
void kvm_pic_clear_all(struct kvm_pic *pic, u32 source_id);

/* INTA cycle: acknowledges the highest request, returns its vector. */
u8 kvm_pic_read_irq(struct kvm_pic *pic);

/* Byte port accesses; -EOPNOTSUPP for a port that is not the PIC's. */
int kvm_pic_ioport_read(struct kvm_pic *pic, u16 port, u8 *val);
int kvm_pic_ioport_write(struct kvm_pic *pic, u16 port, u8 val);

static inline bool kvm_pic_output(const struct kvm_pic *pic)
{
	return pic->output;
}

/* True once after each rise of the output. */
bool kvm_pic_take_wakeup(struct kvm_pic *pic);

/* chip: KVM_IRQCHIP_PIC_MASTER or _SLAVE, else -EINVAL. */
int kvm_pic_get_state(const struct kvm_pic *pic, u32 chip,
		      struct kvm_pic_state *state);
int kvm_pic_set_state(struct kvm_pic *pic, u32 chip,
		      const struct kvm_pic_state *state);

#endif /* KESTREL_X86_I8259_H */
