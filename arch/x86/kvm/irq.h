/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM-level interrupt glue (irq.c): GSI routing, interrupt lines, irq
 * source ids, ack notifiers, and the in-kernel PIC and IOAPIC of
 * KVM_CREATE_IRQCHIP around the register models of i8259.c and ioapic.c.
 */
#ifndef KESTREL_X86_IRQ_H
#define KESTREL_X86_IRQ_H

#include <kestrel/kvm_host.h>
#include "irq_routing.h"

/* kvm->arch.irqchip_mode (KVM's enum kvm_irqchip_mode). */
#define KVM_IRQCHIP_MODE_NONE	0	/* the VMM has the APICs and the PIC */
#define KVM_IRQCHIP_MODE_SPLIT	1	/* LAPICs in the kernel */
#define KVM_IRQCHIP_MODE_KERNEL	2	/* LAPICs, PIC and IOAPIC in the kernel */

static inline u8 kvm_irqchip_mode(struct kvm *kvm)
{
	/* Pairs with the smp_store_release() that sets the mode. */
	return smp_load_acquire(&kvm->arch.irqchip_mode);
}

/* The vCPUs get in-kernel LAPICs (either mode). */
static inline bool kvm_irqchip_lapics(struct kvm *kvm)
{
	return kvm_irqchip_mode(kvm) != KVM_IRQCHIP_MODE_NONE;
}

static inline bool kvm_irqchip_split(struct kvm *kvm)
{
	return kvm_irqchip_mode(kvm) == KVM_IRQCHIP_MODE_SPLIT;
}

static inline bool kvm_irqchip_full(struct kvm *kvm)
{
	return kvm_irqchip_mode(kvm) == KVM_IRQCHIP_MODE_KERNEL;
}

void kvm_irq_init_vm(struct kvm *kvm);
void kvm_irq_destroy_vm(struct kvm *kvm);
long kvm_irq_check_extension(long ext);
long kvm_irq_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);

/* KVM_CREATE_IRQCHIP: KVM's default routes to the PIC and IOAPIC pins. */
int kvm_irq_set_default_routing(struct kvm *kvm);
/* An irqchip pin was acknowledged: run the ack notifiers of its GSI. */
void kvm_notify_acked_irq(struct kvm *kvm, u32 irqchip, unsigned int pin);

/*
 * Told when the guest masks or unmasks an irqchip pin routed from @irq
 * (a GSI), as KVM's mask notifiers: the PIT resets its reinjection on
 * unmask, since ticks sent to a masked pin are never acknowledged.  The
 * callback runs under the irqchip's raw spinlock: it must not sleep.
 */
struct kvm_irq_mask_notifier {
	void (*func)(struct kvm_irq_mask_notifier *kimn, bool masked);
	int irq;
	struct hlist_node link;
};

void kvm_register_irq_mask_notifier(struct kvm *kvm, int irq,
				    struct kvm_irq_mask_notifier *kimn);
void kvm_unregister_irq_mask_notifier(struct kvm *kvm,
				      struct kvm_irq_mask_notifier *kimn);
void kvm_fire_mask_notifiers(struct kvm *kvm, u32 irqchip, unsigned int pin,
			     bool masked);

/*
 * The in-kernel PIC and IOAPIC (irqchip.c).
 */
long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl,
			  void __user *argp);
void kvm_irqchip_destroy(struct kvm *kvm);
void kvm_irqchip_sync_events(struct kvm *kvm);
/* Drop a source id from every line (irq_lock held). */
void kvm_irqchip_clear_source(struct kvm *kvm, int irq_source_id);
/* Routes of type KVM_IRQ_ROUTING_IRQCHIP; -1 without the irqchip. */
int kvm_irqchip_set_pin(struct kvm *kvm, u32 irqchip, u32 pin,
			int irq_source_id, int level, bool line_status);

/* As seen from the vCPUs (lapic.c). */
bool kvm_irqchip_pic_output(struct kvm *kvm);
int kvm_irqchip_pic_read_irq(struct kvm *kvm);
void kvm_irqchip_rtc_restore(struct kvm_vcpu *vcpu);
void kvm_irqchip_ioapic_eoi(struct kvm_vcpu *vcpu, u8 vector, bool level,
			    bool directed);

#endif /* KESTREL_X86_IRQ_H */
