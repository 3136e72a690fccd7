/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model of the Intel 82093AA I/O APIC, 24 pins, as KVM presents it.
 *
 * Pure logic: no kernel or libc dependency beyond <kestrel/pure.h>, so the
 * same source builds into kestrel.ko and into the user-space unit tests.
 *
 * The architectural state is struct kvm_ioapic_state (UAPI) itself, so
 * KVM_GET/SET_IRQCHIP (KVM_IRQCHIP_IOAPIC) are kvm_ioapic_get/set_state().
 * Everything here may come from userspace through KVM_SET_IRQCHIP; no
 * value of it makes the model index out of range.
 *
 * What the glue does around it:
 * - One lock per IOAPIC around every call (the model is not reentrant
 *   from other threads; callbacks run with the lock held).
 * - MMIO: accesses in [state.base_address, + IOAPIC_MEM_LENGTH) call
 *   kvm_ioapic_mmio_read/write with the offset (addr & 0xff).  The model
 *   takes 32-bit values; KVM 6.1 widens/narrows other sizes: a read of 1,
 *   2 or 4 bytes returns the low bytes of the 32-bit value, a read of 8
 *   bytes the value zero-extended; a write of 1 or 2 bytes writes the
 *   value zero-extended, a write of 8 bytes its low 32 bits.
 * - ops->deliver: send the message to the LAPICs (struct kvm_apic_irq in
 *   irq_routing.h) and return what KVM's kvm_irq_delivery_to_apic()
 *   returns: -1 if no LAPIC matched the destination, else the number of
 *   LAPICs that accepted it (6.1: a fixed or lowest-priority interrupt
 *   counts 1 in every software-enabled LAPIC, even if its IRR bit was
 *   already set; 0 in a disabled one).  When map is not NULL (the RTC pin
 *   raised through KVM_IRQ_LINE_STATUS), call kvm_ioapic_dest_map_add()
 *   for each vCPU that accepted it.
 * - ops->ack (optional): the EOI of a pin's vector reached the IOAPIC;
 *   KVM runs its ack notifiers here (irqfd resampling, PIT reinjection).
 *   It may call kvm_ioapic_set_irq() on this IOAPIC (the lock is held):
 *   remote IRR is cleared only after it returns, as in KVM.
 * - ops->mask_changed (optional): KVM's mask notifiers (PIT).
 * - Every EOI a LAPIC broadcasts goes to kvm_ioapic_update_eoi() (KVM
 *   filters by the vectors of level pins, pins with ack notifiers and the
 *   RTC pin; passing all is correct, only slower).  If it returns true,
 *   schedule kvm_ioapic_eoi_inject_work() about 10 ms later.
 * - RTC coalescing (KVM_IRQ_LINE_STATUS on GSI 8, which Windows guests'
 *   time drift fix relies on): after kvm_ioapic_set_state() and after
 *   KVM_SET_LAPIC, call kvm_ioapic_rtc_restore() for each vCPU (KVM's
 *   kvm_rtc_eoi_tracking_restore_one()).
 */
#ifndef KESTREL_X86_IOAPIC_H
#define KESTREL_X86_IOAPIC_H

#include <kestrel/pure.h>

#include "irq_routing.h"

#define IOAPIC_NUM_PINS			KVM_IOAPIC_NUM_PINS
#define IOAPIC_VERSION_ID		0x11	/* 82093AA datasheet, 3.2.2 */
#define IOAPIC_DEFAULT_BASE_ADDRESS	0xfec00000ULL
#define IOAPIC_MEM_LENGTH		0x100

/* Direct registers: offsets in the MMIO window (datasheet, 3.1). */
#define IOAPIC_REG_SELECT		0x00	/* IOREGSEL */
#define IOAPIC_REG_WINDOW		0x10	/* IOWIN */

/* Indirect registers: IOREGSEL values (datasheet, 3.2). */
#define IOAPIC_REG_APIC_ID		0x00
#define IOAPIC_REG_VERSION		0x01
#define IOAPIC_REG_ARB_ID		0x02
#define IOAPIC_REG_REDIR_TABLE		0x10	/* 0x10 + 2 * pin: low half, +1: high */

/* Redirection entry fields (datasheet, 3.2.4). */
#define IOAPIC_RTE_DELIVERY_STATUS	BIT_ULL(12)	/* read-only */
#define IOAPIC_RTE_REMOTE_IRR		BIT_ULL(14)	/* read-only */
#define IOAPIC_RTE_TRIG_LEVEL		BIT_ULL(15)
#define IOAPIC_RTE_MASK			BIT_ULL(16)

/* Sources OR'd on each pin (KVM's irq_source_id): userspace is 0. */
#define IOAPIC_MAX_IRQ_SOURCES		64

/* The RTC's pin: its interrupts are tracked until every target EOIs. */
#define IOAPIC_RTC_PIN			8

/* vCPU ids tracked for the RTC: at least KVM_MAX_VCPU_IDS (BUILD_BUG_ON). */
#define IOAPIC_MAX_VCPU_IDS		1024

/* Which vCPUs accepted the RTC interrupt, with which vector. */
struct kvm_ioapic_dest_map {
	u64 map[IOAPIC_MAX_VCPU_IDS / 64];
	u8 vectors[IOAPIC_MAX_VCPU_IDS];
};

struct kvm_ioapic_ops {
	int (*deliver)(void *opaque, unsigned int pin,
		       const struct kvm_apic_irq *irq,
		       struct kvm_ioapic_dest_map *map);
	void (*ack)(void *opaque, unsigned int pin);
	void (*mask_changed)(void *opaque, unsigned int pin, bool masked);
};

struct kvm_ioapic {
	struct kvm_ioapic_state state;	/* the UAPI layout, KVM_GET/SET_IRQCHIP */
	/* Not in the UAPI state. */
	u32 irr_delivered;		/* edge pins delivered since raised */
	u64 irq_states[IOAPIC_NUM_PINS];	/* line level per source id */
	u32 irq_eoi[IOAPIC_NUM_PINS];	/* successive EOI re-deliveries */
	/* RTC interrupts delivered and not yet EOIed, and by whom. */
	int rtc_pending_eoi;
	struct kvm_ioapic_dest_map rtc_dest_map;
	const struct kvm_ioapic_ops *ops;
	void *opaque;
};

/* Zeroes everything, then kvm_ioapic_reset(). */
void kvm_ioapic_init(struct kvm_ioapic *ioapic,
		     const struct kvm_ioapic_ops *ops, void *opaque);

/*
 * Power-on state as KVM: every pin masked (the rest of each entry kept),
 * base 0xfec00000, IOREGSEL 0, ID 0, no interrupt requested.  Line levels
 * (irq_states) are kept, as in KVM.
 */
void kvm_ioapic_reset(struct kvm_ioapic *ioapic);

/* 32-bit register accesses at offset (0..0xff) of the MMIO window. */
u32 kvm_ioapic_mmio_read(struct kvm_ioapic *ioapic, u32 offset);
void kvm_ioapic_mmio_write(struct kvm_ioapic *ioapic, u32 offset, u32 val);

/*
 * The line of pin driven by source_id goes to level (0 or not); the pin
 * is the OR of its sources.  Returns as KVM 6.1's kvm_ioapic_set_irq()
 * (KVM_IRQ_LINE_STATUS): 1 when lowering the line; when raising it,
 * 0 if coalesced (an edge pin whose line was already high, i.e. the
 * previous edge is still pending), -1 if not delivered (masked, or a level
 * pin waiting for EOI), else what ops->deliver returned.  Pin or source
 * out of range: -1, nothing changes.  line_status is true for
 * KVM_IRQ_LINE_STATUS: then raising the RTC pin while an earlier RTC
 * interrupt still awaits an EOI from some vCPU returns 0 (coalesced) and
 * changes nothing.
 */
int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, u32 pin, u32 source_id,
		       int level, bool line_status);

/* For ops->deliver: vcpu_id accepted the RTC interrupt with vector. */
void kvm_ioapic_dest_map_add(struct kvm_ioapic_dest_map *map, u32 vcpu_id,
			     u8 vector);

/*
 * Resynchronizes the RTC tracking of vcpu_id with its LAPIC: pending is
 * whether that LAPIC is a destination of the RTC pin's entry and has its
 * vector in IRR or ISR (KVM's kvm_apic_pending_eoi()).
 */
void kvm_ioapic_rtc_restore(struct kvm_ioapic *ioapic, u32 vcpu_id,
			    bool pending);

/* Drops source_id from every line (KVM's kvm_ioapic_clear_all). */
void kvm_ioapic_clear_all(struct kvm_ioapic *ioapic, u32 source_id);

/*
 * The LAPIC of vcpu_id broadcast the EOI of vector.  level_trig is the
 * TMR bit of the vector in that LAPIC; directed_eoi is its SPIV bit 12
 * (EOI broadcast suppression): either way the ack callbacks run, but only
 * a level EOI without suppression clears remote IRR of the level pins
 * with that vector, and re-delivers those whose line is still high.  Returns
 * true when a pin stormed (10000 EOIs in a row each re-delivering): then
 * the re-delivery is left to kvm_ioapic_eoi_inject_work(), which the glue
 * schedules about 10 ms later, as real IOAPICs do not re-deliver at once
 * and a guest that never quiets the device must still make progress.
 */
bool kvm_ioapic_update_eoi(struct kvm_ioapic *ioapic, u32 vcpu_id, u8 vector,
			   bool level_trig, bool directed_eoi);

/* Delivers level pins asserted and not waiting for EOI. */
void kvm_ioapic_eoi_inject_work(struct kvm_ioapic *ioapic);

/* KVM_GET_IRQCHIP: edges already delivered are not shown as requested. */
void kvm_ioapic_get_state(const struct kvm_ioapic *ioapic,
			  struct kvm_ioapic_state *state);

/*
 * KVM_SET_IRQCHIP: takes the state as is, then raises every pin in
 * state->irr again (edge pins deliver, level pins deliver unless masked or
 * remote IRR), then forgets the RTC tracking: the glue restores it with
 * kvm_ioapic_rtc_restore() for each vCPU.  KVM 6.1 does not move its MMIO registration when
 * base_address changes; the glue decides what to do with it.
 */
void kvm_ioapic_set_state(struct kvm_ioapic *ioapic,
			  const struct kvm_ioapic_state *state);

#endif /* KESTREL_X86_IOAPIC_H */
