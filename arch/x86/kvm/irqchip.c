// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIC and IOAPIC of KVM_CREATE_IRQCHIP (api.rst 4.24): the
 * glue around the register models of i8259.c and ioapic.c, their port and
 * MMIO devices, KVM_GET/SET_IRQCHIP, and the paths between them and the
 * LAPICs (lapic.c).  Vendor-neutral.
 *
 * Locking
 * -------
 * Each chip has one raw, irq-safe spinlock around every call into its
 * model: lines are set from any context (kvm_set_irq() from hrtimers and
 * eventfd wakeups), and the vCPU thread acknowledges the PIC with
 * interrupts off right before entry.  Raw, so that nothing on the path of
 * an interrupt sleeps, even on PREEMPT_RT.
 *
 * Order: a chip lock, then one LAPIC lock at a time (the IOAPIC delivers
 * to the LAPICs under its lock).  No chip lock is ever taken under a
 * LAPIC lock or under the other chip's lock: the LAPIC sends EOIs to the
 * IOAPIC and takes the PIC's INTA only after dropping its own lock.
 *
 * The models call their ack callbacks with their lock held; the callbacks
 * drop it around the ack notifiers (interrupts stay off), as KVM does,
 * because a notifier may raise or lower lines of either chip (irqfd
 * resampling lowers the GSI, which reaches both the PIC and the IOAPIC).
 * The models re-read their state after the callback returns.
 *
 * Life cycle
 * ----------
 * KVM_CREATE_IRQCHIP allocates struct kvm_irqchips and publishes it in
 * kvm->arch.irqchip before the default routing table that leads to it,
 * and sets irqchip_mode last, all under kvm->lock.  It is freed at VM
 * destruction, after the I/O buses (kvm_main.c) and after every vCPU.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kestrel/kvm_host.h>
#include "i8259.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"

/* KVM re-delivers a storming level pin after this long (ioapic.c). */
#define IOAPIC_EOI_STORM_DELAY_MS	10

struct kvm_irqchips {
	struct kvm *kvm;
	raw_spinlock_t pic_lock;
	struct kvm_pic pic;
	raw_spinlock_t ioapic_lock;
	struct kvm_ioapic ioapic;
	struct kvm_io_device pic_master_dev;
	struct kvm_io_device pic_slave_dev;
	struct kvm_io_device pic_elcr_dev;
	struct kvm_io_device ioapic_dev;
	struct delayed_work eoi_inject;
};

static struct kvm_irqchips *kvm_irqchip(struct kvm *kvm)
{
	/* Pairs with the smp_store_release() in KVM_CREATE_IRQCHIP. */
	return smp_load_acquire(&kvm->arch.irqchip);
}

/*
 * The PIC
 */

/*
 * The PIC's INTR line rose: kick the first vCPU whose APIC takes ExtINT
 * (lapic.c acknowledges it), as KVM's pic_unlock().
 */
static void kvm_pic_kick(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->nr_vcpus);
	struct kvm_vcpu *v;

	/* Only a counted vCPU is complete and stays (kvm_main.c). */
	smp_rmb(); /* nr_vcpus before the vCPUs it counts */
	for (i = 0; i < n; i++) {
		v = xa_load(&kvm->vcpus, i);
		if (v && v->arch.apic && kvm_lapic_accepts_pic_intr(v)) {
			kvm_vcpu_kick(v);
			return;
		}
	}
}

/* After a model call, with pic_lock dropped. */
static void kvm_pic_unlock(struct kvm_irqchips *c, unsigned long flags)
	__releases(&c->pic_lock)
{
	bool wake = kvm_pic_take_wakeup(&c->pic);

	raw_spin_unlock_irqrestore(&c->pic_lock, flags);
	if (wake)
		kvm_pic_kick(c->kvm);
}

static void kvm_pic_ack(void *opaque, u32 irqchip, unsigned int pin)
{
	struct kvm_irqchips *c = opaque;

	/* Pins 0..15 (slave 8..15), as the routing table keys them. */
	raw_spin_unlock(&c->pic_lock);
	kvm_notify_acked_irq(c->kvm, irqchip, pin);
	raw_spin_lock(&c->pic_lock);
}

static void kvm_pic_mask_changed(void *opaque, u32 irqchip, unsigned int pin,
				 bool masked)
{
	struct kvm_irqchips *c = opaque;

	kvm_fire_mask_notifiers(c->kvm, irqchip, pin, masked);
}

static const struct kvm_pic_ops kvm_pic_ops = {
	.ack = kvm_pic_ack,
	.mask_changed = kvm_pic_mask_changed,
};

bool kvm_irqchip_pic_output(struct kvm *kvm)
{
	struct kvm_irqchips *c = kvm_irqchip(kvm);

	/* A stale answer is fine: INTA finds out (a spurious IRQ7). */
	return c && READ_ONCE(c->pic.output);
}

/* INTA, when a vCPU injects the PIC's interrupt: its vector. */
int kvm_irqchip_pic_read_irq(struct kvm *kvm)
{
	struct kvm_irqchips *c = kvm_irqchip(kvm);
	unsigned long flags;
	u8 vector;

	if (!c)
		return -1;
	raw_spin_lock_irqsave(&c->pic_lock, flags);
	vector = kvm_pic_read_irq(&c->pic);
	kvm_pic_unlock(c, flags);
	return vector;
}

/*
 * Port I/O.  KVM 6.1 ignores wider writes and reads them as 0; each
 * device covers two ports, and the model tells which.
 */
static int kvm_pic_pio_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			    gpa_t addr, int len, void *val)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	unsigned long flags;
	u8 data = 0;
	int r;

	if (len != 1) {
		memset(val, 0, len);
		return 0;
	}
	raw_spin_lock_irqsave(&c->pic_lock, flags);
	r = kvm_pic_ioport_read(&c->pic, addr, &data);
	kvm_pic_unlock(c, flags);
	*(u8 *)val = data;
	return r;
}

static int kvm_pic_pio_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			     gpa_t addr, int len, const void *val)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	unsigned long flags;
	int r;

	if (len != 1)
		return 0;
	raw_spin_lock_irqsave(&c->pic_lock, flags);
	r = kvm_pic_ioport_write(&c->pic, addr, *(const u8 *)val);
	kvm_pic_unlock(c, flags);
	return r;
}

static const struct kvm_io_device_ops kvm_pic_dev_ops = {
	.read = kvm_pic_pio_read,
	.write = kvm_pic_pio_write,
};

/*
 * The IOAPIC
 */

static int kvm_ioapic_deliver(void *opaque, unsigned int pin,
			      const struct kvm_apic_irq *irq,
			      struct kvm_ioapic_dest_map *map)
{
	struct kvm_irqchips *c = opaque;

	return kvm_apic_deliver_map(c->kvm, irq, map);
}

static void kvm_ioapic_ack(void *opaque, unsigned int pin)
{
	struct kvm_irqchips *c = opaque;

	raw_spin_unlock(&c->ioapic_lock);
	kvm_notify_acked_irq(c->kvm, KVM_IRQCHIP_IOAPIC, pin);
	raw_spin_lock(&c->ioapic_lock);
}

static void kvm_ioapic_mask_changed(void *opaque, unsigned int pin,
				    bool masked)
{
	struct kvm_irqchips *c = opaque;

	kvm_fire_mask_notifiers(c->kvm, KVM_IRQCHIP_IOAPIC, pin, masked);
}

static const struct kvm_ioapic_ops kvm_ioapic_ops = {
	.deliver = kvm_ioapic_deliver,
	.ack = kvm_ioapic_ack,
	.mask_changed = kvm_ioapic_mask_changed,
};

static bool kvm_ioapic_in_range(struct kvm_irqchips *c, gpa_t addr)
{
	/* Moved by KVM_SET_IRQCHIP: not decoded here, as KVM 6.1. */
	u64 base = READ_ONCE(c->ioapic.state.base_address);

	return addr >= base && addr < base + IOAPIC_MEM_LENGTH;
}

/*
 * Sizes as KVM 6.1: 1, 2 and 4-byte reads give the low bytes of the
 * 32-bit register, an 8-byte read the register zero-extended; other
 * sizes are dropped.
 */
static int kvm_ioapic_mmio_read_dev(struct kvm_vcpu *vcpu,
				    struct kvm_io_device *dev, gpa_t addr,
				    int len, void *val)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	unsigned long flags;
	u64 data;

	if (!kvm_ioapic_in_range(c, addr))
		return -EOPNOTSUPP;
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	data = kvm_ioapic_mmio_read(&c->ioapic, addr & 0xff);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
	if (len == 1 || len == 2 || len == 4 || len == 8)
		memcpy(val, &data, len);
	else
		memset(val, 0, len);	/* KVM drops it; no stale bytes */
	return 0;
}

/* Writes: 1 and 2 bytes zero-extended, 8 bytes truncated to 32 bits. */
static int kvm_ioapic_mmio_write_dev(struct kvm_vcpu *vcpu,
				     struct kvm_io_device *dev, gpa_t addr,
				     int len, const void *val)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	unsigned long flags;
	u32 data;

	if (!kvm_ioapic_in_range(c, addr))
		return -EOPNOTSUPP;
	switch (len) {
	case 8:
	case 4:
		data = *(const u32 *)val;
		break;
	case 2:
		data = *(const u16 *)val;
		break;
	case 1:
		data = *(const u8 *)val;
		break;
	default:
		return 0;
	}
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	kvm_ioapic_mmio_write(&c->ioapic, addr & 0xff, data);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
	return 0;
}

static const struct kvm_io_device_ops kvm_ioapic_dev_ops = {
	.read = kvm_ioapic_mmio_read_dev,
	.write = kvm_ioapic_mmio_write_dev,
};

/* The RTC pin's message, for kvm_lapic_rtc_pending(); ioapic_lock held. */
static void kvm_ioapic_rtc_irq(struct kvm_irqchips *c, struct kvm_apic_irq *irq)
{
	u64 e = c->ioapic.state.redirtbl[IOAPIC_RTC_PIN].bits;

	memset(irq, 0, sizeof(*irq));
	irq->vector = e & 0xff;
	irq->dest_logical = e & BIT_ULL(11);
	irq->dest_id = e >> 56;
}

/*
 * Which vCPUs still owe the RTC interrupt an EOI, after KVM_SET_LAPIC of
 * @vcpu (or, vcpu NULL, KVM_SET_IRQCHIP of the IOAPIC, for all): KVM's
 * kvm_rtc_eoi_tracking_restore_*().  The IOAPIC lock is held across, then
 * each LAPIC lock in turn (the lock order).
 */
static void kvm_ioapic_rtc_restore_one(struct kvm_irqchips *c,
				       struct kvm_vcpu *vcpu,
				       const struct kvm_apic_irq *irq)
{
	int pending = kvm_lapic_rtc_pending(vcpu, irq);

	if (pending >= 0)
		kvm_ioapic_rtc_restore(&c->ioapic, vcpu->vcpu_id, pending);
}

static void kvm_ioapic_rtc_restore_all(struct kvm_irqchips *c)
{
	struct kvm *kvm = c->kvm;
	struct kvm_apic_irq irq;
	struct kvm_vcpu *v;
	unsigned long flags;
	int i, n;

	n = atomic_read(&kvm->nr_vcpus);
	smp_rmb(); /* nr_vcpus before the vCPUs it counts (kvm_main.c) */
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	kvm_ioapic_rtc_irq(c, &irq);
	for (i = 0; i < n; i++) {
		v = xa_load(&kvm->vcpus, i);
		if (v)
			kvm_ioapic_rtc_restore_one(c, v, &irq);
	}
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
}

void kvm_irqchip_rtc_restore(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	struct kvm_apic_irq irq;
	unsigned long flags;

	if (!c)
		return;
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	kvm_ioapic_rtc_irq(c, &irq);
	kvm_ioapic_rtc_restore_one(c, vcpu, &irq);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
}

/*
 * An EOI from a LAPIC (lapic.c), no LAPIC lock held.  A pin that keeps
 * re-firing at each EOI is re-delivered later from a work item.
 */
void kvm_irqchip_ioapic_eoi(struct kvm_vcpu *vcpu, u8 vector, bool level,
			    bool directed)
{
	struct kvm_irqchips *c = kvm_irqchip(vcpu->kvm);
	unsigned long flags;
	bool storm;

	if (!c)
		return;
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	storm = kvm_ioapic_update_eoi(&c->ioapic, vcpu->vcpu_id, vector,
				      level, directed);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
	if (storm)
		schedule_delayed_work(&c->eoi_inject,
				      msecs_to_jiffies(IOAPIC_EOI_STORM_DELAY_MS));
}

static void kvm_ioapic_eoi_inject_fn(struct work_struct *work)
{
	struct kvm_irqchips *c = container_of(to_delayed_work(work),
					     struct kvm_irqchips, eoi_inject);
	unsigned long flags;

	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	kvm_ioapic_eoi_inject_work(&c->ioapic);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
}

/*
 * Lines
 */

int kvm_irqchip_set_pin(struct kvm *kvm, u32 irqchip, u32 pin,
			int irq_source_id, int level, bool line_status)
{
	struct kvm_irqchips *c = kvm_irqchip(kvm);
	unsigned long flags;
	int r;

	if (!c)
		return -1;
	if (irqchip == KVM_IRQCHIP_IOAPIC) {
		raw_spin_lock_irqsave(&c->ioapic_lock, flags);
		r = kvm_ioapic_set_irq(&c->ioapic, pin, irq_source_id, level,
				       line_status);
		raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
		return r;
	}
	raw_spin_lock_irqsave(&c->pic_lock, flags);
	r = kvm_pic_set_irq(&c->pic, pin, irq_source_id, level);
	kvm_pic_unlock(c, flags);
	return r;
}

void kvm_irqchip_clear_source(struct kvm *kvm, int irq_source_id)
{
	struct kvm_irqchips *c = kvm_irqchip(kvm);
	unsigned long flags;

	if (!c)
		return;
	raw_spin_lock_irqsave(&c->pic_lock, flags);
	kvm_pic_clear_all(&c->pic, irq_source_id);
	kvm_pic_unlock(c, flags);
	raw_spin_lock_irqsave(&c->ioapic_lock, flags);
	kvm_ioapic_clear_all(&c->ioapic, irq_source_id);
	raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
}

/*
 * KVM_GET_IRQCHIP / KVM_SET_IRQCHIP (api.rst 4.26, 4.27): -ENXIO without
 * KVM_CREATE_IRQCHIP (the split irqchip included), -EINVAL for a chip id
 * other than the two PICs and the IOAPIC, as KVM 6.1.
 */
/* The ioctl's argument, copied in, and the chips; -ENXIO without them. */
static struct kvm_irqchip *kvm_irqchip_arg(struct kvm *kvm, void __user *argp,
					   struct kvm_irqchips **cp)
{
	struct kvm_irqchip *chip = memdup_user(argp, sizeof(*chip));

	if (IS_ERR(chip))
		return chip;
	/* After the copy, which may sleep while KVM_CREATE_IRQCHIP runs. */
	*cp = kvm_irqchip(kvm);
	if (!*cp || !kvm_irqchip_full(kvm)) {
		kfree(chip);
		return ERR_PTR(-ENXIO);
	}
	return chip;
}

static long kvm_irqchip_get(struct kvm *kvm, void __user *argp)
{
	struct kvm_irqchips *c;
	struct kvm_irqchip *chip;
	unsigned long flags;
	long r = 0;

	chip = kvm_irqchip_arg(kvm, argp, &c);
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		raw_spin_lock_irqsave(&c->pic_lock, flags);
		kvm_pic_get_state(&c->pic, chip->chip_id, &chip->chip.pic);
		raw_spin_unlock_irqrestore(&c->pic_lock, flags);
		break;
	case KVM_IRQCHIP_IOAPIC:
		raw_spin_lock_irqsave(&c->ioapic_lock, flags);
		kvm_ioapic_get_state(&c->ioapic, &chip->chip.ioapic);
		raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

static long kvm_irqchip_set(struct kvm *kvm, void __user *argp)
{
	struct kvm_irqchips *c;
	struct kvm_irqchip *chip;
	unsigned long flags;
	long r = 0;

	chip = kvm_irqchip_arg(kvm, argp, &c);
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		raw_spin_lock_irqsave(&c->pic_lock, flags);
		kvm_pic_set_state(&c->pic, chip->chip_id, &chip->chip.pic);
		kvm_pic_unlock(c, flags);
		break;
	case KVM_IRQCHIP_IOAPIC:
		/* Delivers what the new state has pending. */
		raw_spin_lock_irqsave(&c->ioapic_lock, flags);
		kvm_ioapic_set_state(&c->ioapic, &chip->chip.ioapic);
		raw_spin_unlock_irqrestore(&c->ioapic_lock, flags);
		kvm_ioapic_rtc_restore_all(c);
		break;
	default:
		r = -EINVAL;
	}
	kfree(chip);
	return r;
}

/*
 * KVM_CREATE_IRQCHIP
 */

static void kvm_irqchip_unregister(struct kvm *kvm, struct kvm_irqchips *c)
{
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &c->pic_master_dev);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &c->pic_slave_dev);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &c->pic_elcr_dev);
	kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &c->ioapic_dev);
}

/* The ports and the MMIO window of the chips; slots_lock held. */
static int kvm_irqchip_register(struct kvm *kvm, struct kvm_irqchips *c)
{
	int r;

	c->pic_master_dev.ops = &kvm_pic_dev_ops;
	c->pic_slave_dev.ops = &kvm_pic_dev_ops;
	c->pic_elcr_dev.ops = &kvm_pic_dev_ops;
	c->ioapic_dev.ops = &kvm_ioapic_dev_ops;
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIC_MASTER_CMD, 2,
				    &c->pic_master_dev);
	if (!r)
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIC_SLAVE_CMD, 2,
					    &c->pic_slave_dev);
	if (!r)
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIC_ELCR1, 2,
					    &c->pic_elcr_dev);
	if (!r)
		r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS,
					    IOAPIC_DEFAULT_BASE_ADDRESS,
					    IOAPIC_MEM_LENGTH, &c->ioapic_dev);
	/* Unregistering a device that is not there does nothing. */
	if (r)
		kvm_irqchip_unregister(kvm, c);
	return r;
}

static struct kvm_irqchips *kvm_irqchip_alloc(struct kvm *kvm)
{
	struct kvm_irqchips *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->kvm = kvm;
	raw_spin_lock_init(&c->pic_lock);
	raw_spin_lock_init(&c->ioapic_lock);
	kvm_pic_init(&c->pic, &kvm_pic_ops, c);
	kvm_ioapic_init(&c->ioapic, &kvm_ioapic_ops, c);
	INIT_DELAYED_WORK(&c->eoi_inject, kvm_ioapic_eoi_inject_fn);
	return c;
}

/*
 * -EEXIST with an irqchip (the split one included), -EINVAL once a vCPU
 * exists, as KVM 6.1.  vCPUs created from now on get an in-kernel LAPIC.
 */
static long kvm_irqchip_create(struct kvm *kvm)
{
	struct kvm_irqchips *c;
	long r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->arch.irqchip_mode)
		goto out_unlock;
	r = -EINVAL;
	if (kvm->created_vcpus)
		goto out_unlock;
	/*
	 * The default routes first: until the chips are published they
	 * lead nowhere (kvm_irqchip_set_pin() answers -1), and nothing can
	 * fail after the devices are on the buses.
	 */
	r = kvm_irq_set_default_routing(kvm);
	if (r)
		goto out_unlock;
	r = -ENOMEM;
	c = kvm_irqchip_alloc(kvm);
	if (!c)
		goto out_unlock;
	mutex_lock(&kvm->slots_lock);
	r = kvm_irqchip_register(kvm, c);
	if (!r) {
		r = kvm_lapic_register_mmio(kvm);
		if (r)
			kvm_irqchip_unregister(kvm, c);
	}
	mutex_unlock(&kvm->slots_lock);
	if (r) {
		kfree(c);
		goto out_unlock;
	}
	/* Pairs with kvm_irqchip(): the routes lead to initialized chips. */
	smp_store_release(&kvm->arch.irqchip, c);
	/* vCPUs created from now on get an APIC (kvm->lock orders them). */
	smp_store_release(&kvm->arch.irqchip_mode, KVM_IRQCHIP_MODE_KERNEL);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * First in VM destruction (kvm_arch_sync_events()), while the vCPUs still
 * exist: the IOAPIC's deferred re-delivery delivers to them, so it must be
 * done before they are freed.  No vCPU runs and no irqfd is left to
 * schedule it again.
 */
void kvm_irqchip_sync_events(struct kvm *kvm)
{
	struct kvm_irqchips *c = kvm->arch.irqchip;

	if (c)
		cancel_delayed_work_sync(&c->eoi_inject);
}

/* At VM destruction: no vCPU, no I/O bus, no irqfd is left. */
void kvm_irqchip_destroy(struct kvm *kvm)
{
	struct kvm_irqchips *c = kvm->arch.irqchip;

	if (!c)
		return;
	cancel_delayed_work_sync(&c->eoi_inject);
	kvm->arch.irqchip = NULL;
	kfree(c);
}

long kvm_irqchip_vm_ioctl(struct kvm *kvm, unsigned int ioctl,
			  void __user *argp)
{
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return kvm_irqchip_create(kvm);
	case KVM_GET_IRQCHIP:
		return kvm_irqchip_get(kvm, argp);
	case KVM_SET_IRQCHIP:
		return kvm_irqchip_set(kvm, argp);
	default:
		return -ENOTTY;
	}
}
