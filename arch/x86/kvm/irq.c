// SPDX-License-Identifier: GPL-2.0
/*
 * VM-level interrupt glue: the GSI routing table (KVM_SET_GSI_ROUTING),
 * interrupt lines (kvm_set_irq(), KVM_IRQ_LINE, KVM_SIGNAL_MSI), irq
 * source ids and ack notifiers, shared by the split irqchip (LAPICs in the
 * kernel) and KVM_CREATE_IRQCHIP (also the PIC and the IOAPIC).
 * Vendor-neutral.
 *
 * Locking
 * -------
 * kvm->arch.irq_lock (a mutex) serializes the writers: routing table
 * updates, the ack notifier list and the irq source id bitmap.  The
 * routing table and the notifier list are read under rcu_read_lock() (the
 * old table is freed after synchronize_rcu()), so kvm_set_irq() and the
 * ack path never sleep and never take irq_lock.
 *
 * Lock order, outermost first: irq_lock (may sleep), then at most one
 * irqchip lock (PIC or IOAPIC, raw, irq-safe), then at most one LAPIC lock
 * (lapic.c).  Ack notifiers run with no irqchip or LAPIC lock held, since
 * they may raise or lower lines themselves.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <kestrel/kvm_host.h>
#include "i8259.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"

/*
 * Routing table
 */

/*
 * Publish @rt (built and checked) and free the table it replaces.  The
 * irqfds follow the new table before the old one can go away.
 */
static void kvm_irq_routing_publish(struct kvm *kvm,
				    struct kvm_irq_routing_table *rt)
{
	struct kvm_irq_routing_table *old;

	mutex_lock(&kvm->arch.irq_lock);
	old = rcu_replace_pointer(kvm->arch.irq_routing, rt,
				  lockdep_is_held(&kvm->arch.irq_lock));
	kvm_irq_routing_update(kvm);
	mutex_unlock(&kvm->arch.irq_lock);
	synchronize_rcu();
	kvfree(old);
}

/* Build a table from user entries (api.rst 4.52), checked as KVM 6.1. */
static int kvm_irq_routing_set(struct kvm *kvm,
			       const struct kvm_irq_routing_entry *ue, u32 nr,
			       u32 flags)
{
	struct kvm_irq_routing_opts opts = {
		.split_irqchip = kvm_irqchip_split(kvm),
		.x2apic_format = READ_ONCE(kvm->arch.x2apic_format),
	};
	struct kvm_irq_routing_table *rt;
	size_t size;
	int r;

	r = kvm_irq_routing_prepare(ue, nr, flags, &size);
	if (r)
		return r;
	rt = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!rt)
		return -ENOMEM;
	r = kvm_irq_routing_build(rt, size, ue, nr, &opts);
	if (r) {
		kvfree(rt);
		return r;
	}
	kvm_irq_routing_publish(kvm, rt);
	return 0;
}

int kvm_irq_set_default_routing(struct kvm *kvm)
{
	struct kvm_irq_routing_entry ue[KVM_DEFAULT_IRQ_ROUTES];
	u32 nr = kvm_default_irq_routing(ue);

	return kvm_irq_routing_set(kvm, ue, nr, 0);
}

/* The vCPUs recompute which EOIs userspace's IOAPIC needs (split). */
static void kvm_irq_rescan_ioapic(struct kvm *kvm)
{
	struct kvm_vcpu *v;
	int i, n;

	n = atomic_read(&kvm->nr_vcpus);
	smp_rmb(); /* nr_vcpus before the vCPUs it counts (kvm_main.c) */
	for (i = 0; i < n; i++) {
		v = xa_load(&kvm->vcpus, i);
		if (v && v->arch.apic) {
			atomic_set(&v->arch.scan_ioapic, 1);
			kvm_vcpu_kick(v);
		}
	}
}

/*
 * KVM_SET_GSI_ROUTING (api.rst 4.52): -EINVAL without an in-kernel
 * irqchip; with the split irqchip, MSI entries only.
 */
static long kvm_irq_set_gsi_routing(struct kvm *kvm, void __user *argp)
{
	struct kvm_irq_routing __user *uarg = argp;
	struct kvm_irq_routing_entry *ue = NULL;
	struct kvm_irq_routing hdr;
	long r;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (!kvm_irqchip_lapics(kvm))
		return -EINVAL;
	if (hdr.nr > KVM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_user(uarg->entries,
				  array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	r = kvm_irq_routing_set(kvm, ue, hdr.nr, hdr.flags);
	kvfree(ue);
	if (!r && kvm_irqchip_split(kvm))
		kvm_irq_rescan_ioapic(kvm);
	return r;
}

/*
 * Interrupt lines
 */

bool kvm_arch_irqchip_in_kernel(struct kvm *kvm)
{
	return kvm_irqchip_lapics(kvm);
}

/*
 * An MSI route (KVM's kvm_set_msi()): only a rising line sends the
 * message.  A destination no APIC has counts 0, as stock KVM 6.1 answers
 * (its APIC map finds no target and delivers nothing).
 */
static int kvm_irq_set_msi(struct kvm *kvm,
			   const struct kvm_kernel_irq_routing_entry *e,
			   int level)
{
	bool x2apic_format = READ_ONCE(kvm->arch.x2apic_format);
	struct kvm_apic_irq irq;
	int r;

	if (kvm_msi_route_invalid(e->msi.address_hi, x2apic_format))
		return -EINVAL;
	if (!level)
		return -1;
	kvm_msi_decode(e->msi.address_lo, e->msi.address_hi, e->msi.data,
		       x2apic_format, &irq);
	r = __kvm_apic_deliver(kvm, NULL, &irq, LAPIC_SH_NONE);
	/* Stock's APIC map exists once a vCPU does: before, -1 (no target). */
	return atomic_read(&kvm->nr_vcpus) ? max(r, 0) : r;
}

static int kvm_irq_set_entry(struct kvm *kvm,
			     const struct kvm_kernel_irq_routing_entry *e,
			     int irq_source_id, int level, bool line_status)
{
	switch (e->type) {
	case KVM_IRQ_ROUTING_MSI:
		return kvm_irq_set_msi(kvm, e, level);
	case KVM_IRQ_ROUTING_IRQCHIP:
		return kvm_irqchip_set_pin(kvm, e->irqchip.irqchip,
					   e->irqchip.pin, irq_source_id,
					   level, line_status);
	default:
		return -1;
	}
}

/*
 * Every route of @gsi, merged as KVM_IRQ_LINE_STATUS reports it
 * (kvm_irq_status_merge()).  Only spinlocks, under rcu_read_lock(): no
 * sleeping, callable from any context.
 */
int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level,
		bool line_status)
{
	const struct kvm_kernel_irq_routing_entry *e;
	struct kvm_irq_routing_table *rt;
	unsigned int i, n = 0;
	int ret = -1;

	if (irq_source_id < 0 || irq_source_id >= BITS_PER_LONG)
		return -1;
	rcu_read_lock();
	rt = rcu_dereference(kvm->arch.irq_routing);
	if (rt)
		n = kvm_irq_map_gsi(rt, gsi, &e);
	for (i = 0; i < n; i++)
		ret = kvm_irq_status_merge(ret,
					   kvm_irq_set_entry(kvm, &e[i],
							     irq_source_id,
							     level,
							     line_status));
	rcu_read_unlock();
	return ret;
}

/*
 * Every lock on the delivery path is a raw spinlock: even under
 * PREEMPT_RT nothing here sleeps, so every route can be set in atomic
 * context and -EWOULDBLOCK is never needed.
 */
int kvm_set_irq_inatomic(struct kvm *kvm, int irq_source_id, u32 gsi,
			 int level)
{
	return kvm_set_irq(kvm, irq_source_id, gsi, level, false);
}

/*
 * KVM_IRQ_LINE(_STATUS) (api.rst 4.25): -ENXIO without an in-kernel
 * irqchip, as KVM 6.1.
 */
static long kvm_irq_line(struct kvm *kvm, unsigned int ioctl,
			 void __user *argp)
{
	struct kvm_irq_level irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (!kvm_irqchip_lapics(kvm))
		return -ENXIO;
	irq.status = kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irq.irq,
				 irq.level, ioctl == KVM_IRQ_LINE_STATUS);
	if (ioctl == KVM_IRQ_LINE_STATUS &&
	    copy_to_user(argp, &irq, sizeof(irq)))
		return -EFAULT;
	return 0;
}

/*
 * KVM_SIGNAL_MSI (api.rst 4.71): how many APICs took it.  A destination no
 * APIC has is 0, not the -1 api.rst allows: what stock KVM 6.1 answers.
 */
static long kvm_irq_signal_msi(struct kvm *kvm, void __user *argp)
{
	struct kvm_kernel_irq_routing_entry e = {
		.type = KVM_IRQ_ROUTING_MSI,
	};
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!kvm_irqchip_lapics(kvm) || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	e.msi.address_lo = msi.address_lo;
	e.msi.address_hi = msi.address_hi;
	e.msi.data = msi.data;
	return kvm_irq_set_msi(kvm, &e, 1);
}

/*
 * Irq source ids: bit n of irq_sources_bitmap is taken.  Userspace's and
 * the irqfd resampler's are always taken, as in KVM.
 */
static_assert(IOAPIC_MAX_IRQ_SOURCES >= BITS_PER_LONG);
static_assert(PIC_MAX_IRQ_SOURCES >= BITS_PER_LONG);

int kvm_request_irq_source_id(struct kvm *kvm)
{
	unsigned long *bitmap = &kvm->arch.irq_sources_bitmap;
	int id;

	mutex_lock(&kvm->arch.irq_lock);
	id = find_first_zero_bit(bitmap, BITS_PER_LONG);
	if (id >= BITS_PER_LONG)
		id = -EFAULT;
	else
		__set_bit(id, bitmap);
	mutex_unlock(&kvm->arch.irq_lock);
	return id;
}

void kvm_free_irq_source_id(struct kvm *kvm, int irq_source_id)
{
	if (irq_source_id <= KVM_USERSPACE_IRQ_SOURCE_ID ||
	    irq_source_id >= BITS_PER_LONG)
		return;
	mutex_lock(&kvm->arch.irq_lock);
	__clear_bit(irq_source_id, &kvm->arch.irq_sources_bitmap);
	kvm_irqchip_clear_source(kvm, irq_source_id);
	mutex_unlock(&kvm->arch.irq_lock);
}

/*
 * Ack and mask notifiers: RCU lists, changed under irq_lock; after a
 * removal no walker still passes the node (synchronize_rcu()).
 */

static void kvm_irq_notifier_add(struct kvm *kvm, struct hlist_head *list,
				 struct hlist_node *node)
{
	mutex_lock(&kvm->arch.irq_lock);
	hlist_add_head_rcu(node, list);
	mutex_unlock(&kvm->arch.irq_lock);
}

static void kvm_irq_notifier_del(struct kvm *kvm, struct hlist_node *node)
{
	mutex_lock(&kvm->arch.irq_lock);
	hlist_del_init_rcu(node);
	mutex_unlock(&kvm->arch.irq_lock);
	synchronize_rcu();
}

/* Under rcu_read_lock(): the GSI routed to an irqchip pin, or -1. */
static int kvm_irq_pin_gsi(struct kvm *kvm, u32 irqchip, unsigned int pin)
{
	struct kvm_irq_routing_table *rt = rcu_dereference(kvm->arch.irq_routing);

	return rt ? kvm_irq_map_chip_pin(rt, irqchip, pin) : -1;
}

void kvm_register_irq_ack_notifier(struct kvm *kvm,
				   struct kvm_irq_ack_notifier *kian)
{
	kvm_irq_notifier_add(kvm, &kvm->arch.irq_ack_notifier_list,
			     &kian->link);
}

void kvm_unregister_irq_ack_notifier(struct kvm *kvm,
				     struct kvm_irq_ack_notifier *kian)
{
	kvm_irq_notifier_del(kvm, &kian->link);
}

/*
 * From the irqchips, with no irqchip or LAPIC lock held (callbacks may
 * set lines): the pin's GSI in the current table, then its notifiers.
 */
void kvm_notify_acked_irq(struct kvm *kvm, u32 irqchip, unsigned int pin)
{
	struct kvm_irq_ack_notifier *kian;
	int gsi;

	rcu_read_lock();
	gsi = kvm_irq_pin_gsi(kvm, irqchip, pin);
	if (gsi >= 0)
		hlist_for_each_entry_rcu(kian, &kvm->arch.irq_ack_notifier_list,
					 link)
			if (kian->gsi == gsi)
				kian->irq_acked(kian);
	rcu_read_unlock();
}

void kvm_register_irq_mask_notifier(struct kvm *kvm, int irq,
				    struct kvm_irq_mask_notifier *kimn)
{
	kimn->irq = irq;
	kvm_irq_notifier_add(kvm, &kvm->arch.irq_mask_notifier_list,
			     &kimn->link);
}

void kvm_unregister_irq_mask_notifier(struct kvm *kvm,
				      struct kvm_irq_mask_notifier *kimn)
{
	kvm_irq_notifier_del(kvm, &kimn->link);
}

/* From the irqchips, under their lock: the pin's GSI, then its notifiers. */
void kvm_fire_mask_notifiers(struct kvm *kvm, u32 irqchip, unsigned int pin,
			     bool masked)
{
	struct kvm_irq_mask_notifier *kimn;
	int gsi;

	rcu_read_lock();
	gsi = kvm_irq_pin_gsi(kvm, irqchip, pin);
	if (gsi >= 0)
		hlist_for_each_entry_rcu(kimn, &kvm->arch.irq_mask_notifier_list,
					 link)
			if (kimn->irq == gsi)
				kimn->func(kimn, masked);
	rcu_read_unlock();
}

/*
 * The VM
 */

long kvm_irq_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_VAPIC:
	case KVM_CAP_HLT:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_USE_32BIT_IDS |
		       KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
	default:
		return 0;
	}
}

void kvm_irq_init_vm(struct kvm *kvm)
{
	mutex_init(&kvm->arch.irq_lock);
	INIT_HLIST_HEAD(&kvm->arch.irq_ack_notifier_list);
	INIT_HLIST_HEAD(&kvm->arch.irq_mask_notifier_list);
	kvm->arch.irq_sources_bitmap = BIT(KVM_USERSPACE_IRQ_SOURCE_ID) |
				       BIT(KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID);
}

void kvm_irq_destroy_vm(struct kvm *kvm)
{
	kvm_irqchip_destroy(kvm);
	kvfree(rcu_dereference_protected(kvm->arch.irq_routing, 1));
}

long kvm_irq_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	switch (ioctl) {
	case KVM_SIGNAL_MSI:
		return kvm_irq_signal_msi(kvm, argp);
	case KVM_SET_GSI_ROUTING:
		return kvm_irq_set_gsi_routing(kvm, argp);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return kvm_irq_line(kvm, ioctl, argp);
	default:
		return kvm_irqchip_vm_ioctl(kvm, ioctl, argp);
	}
}
