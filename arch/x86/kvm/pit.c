// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (api.rst 4.71-4.73 KVM_CREATE_PIT2,
 * KVM_GET/SET_PIT2, and the obsolete KVM_CREATE_PIT, KVM_GET/SET_PIT they
 * replace; 4.99 KVM_REINJECT_CONTROL): the glue around the pure model of
 * i8254.c.  Behaviour and errno values are KVM 6.1's.
 *
 * Devices
 * -------
 * Ports 0x40-0x43 are one device on the PIO bus.  Port 0x61 (speaker,
 * channel 2's gate and OUT) is a second one, registered only when
 * KVM_PIT_SPEAKER_DUMMY is given: api.rst calls it "emulate speaker port
 * stub", and KVM 6.1 registers it for that flag only (KVM_CREATE_PIT, the
 * older ioctl, always sets it).  As in KVM it covers 0x61-0x64 and answers
 * only accesses starting at 0x61.  Writes use their low byte; reads give
 * the byte zero-extended to the access size.  Other flags are ignored, as
 * KVM 6.1 does (later kernels refuse them with -EINVAL).
 *
 * IRQ 0
 * -----
 * When channel 0 is (re)loaded, or after KVM_SET_PIT/PIT2, the hrtimer is
 * cancelled and re-armed from kvm_pit_timer(); a periodic period is
 * clamped to 200 us (KVM's min_timer_period_us) so a guest cannot make the
 * host take an interrupt storm.  As in KVM, no timer runs unless the
 * IOAPIC is in the kernel (KVM_CREATE_IRQCHIP; not the split irqchip).
 * The hrtimer callback (hard interrupt context) only counts and queues
 * the tick on the PIT's kthread worker, which raises and lowers GSI 0 with
 * the PIT's own irq source id: the tick is injected outside the callback,
 * and outside the irqchip's EOI path that calls the ack notifier, so the
 * irqchip's locks are never taken recursively.
 *
 * A late callback (a busy or emulated host) forwards the timer past now
 * and counts every period it missed, rather than firing once per missed
 * period as KVM 6.1 does: the same ticks, one callback.
 *
 * Reinjection (KVM_REINJECT_CONTROL, on by default): "pending" counts the
 * ticks not yet acked, the one in flight included, and "irq_ack" says the
 * last injected tick was acked.  A tick is injected only once the previous
 * one was acked; the ack notifier on GSI 0 injects the next pending one.
 * Without reinjection every expiry is injected and ticks the guest did not
 * take are lost (coalesced in the irqchip).  A tick sent to a masked pin
 * is never acked: unmasking GSI 0 resets the count (the mask notifier),
 * as KVM does, or a guest that masked the pin once (Linux's check_timer()
 * does) would get no tick again.
 *
 * Locking
 * -------
 * kvm->lock serializes creation and KVM_SET_PIT/PIT2 (as KVM).  pit->lock
 * (a mutex) is held around every call into the model, the timer's re-arm
 * and the reinjection switch; it is taken by vCPU threads (port I/O, in an
 * SRCU read section of kvm->srcu) and by ioctls, never by the timer, the
 * worker or the ack notifier, which use only atomics and
 * kthread_queue_work().  So hrtimer_cancel() and kthread_flush_work() may
 * be called under it.  Order: kvm->lock, then pit->lock, then
 * kvm->slots_lock (creation only, without pit->lock).  The timer's period
 * and mode are written only while the timer is cancelled.
 *
 * Life cycle: created by the ioctl and published with a release store;
 * freed in kvm_pit_destroy_vm() before any vCPU is destroyed: devices off
 * the bus, ack notifier unregistered, timer cancelled, worker flushed and
 * destroyed, so no tick reaches the irqchip after it.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kestrel/kvm_host.h>
#include "i8254.h"
#include "irq.h"
#include "pit.h"

/* KVM's min_timer_period_us default (200 us), for periodic modes. */
#define PIT_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)
/* Missed ticks counted for reinjection, at most (KVM: unbounded int). */
#define PIT_MAX_PENDING		(INT_MAX / 2)

#define PIT_BASE		PIT_PORT_COUNTER0
#define PIT_PORTS		4
#define SPEAKER_PORTS		4	/* as KVM; only 0x61 answers */

struct kvm_vpit {
	struct kvm *kvm;
	struct mutex lock;		/* the model, the timer's re-arm */
	struct kvm_pit model;		/* i8254.c */
	int irq_source_id;
	bool speaker;			/* KVM_PIT_SPEAKER_DUMMY */
	struct kvm_io_device dev;	/* 0x40-0x43 */
	struct kvm_io_device speaker_dev; /* 0x61 */

	/* Channel 0's timer; period and periodic only change while off. */
	struct hrtimer timer;
	s64 period_ns;
	bool periodic;
	struct kthread_worker *worker;
	struct kthread_work tick_work;

	/* Reinjection: see the top of the file. */
	bool reinject;			/* pit->lock */
	atomic_t reinject_on;		/* the same, for the tick path */
	atomic_t pending;
	atomic_t irq_ack;
	struct kvm_irq_ack_notifier ack_notifier;
	struct kvm_irq_mask_notifier mask_notifier;
};

static struct kvm_vpit *kvm_vpit(struct kvm *kvm)
{
	/* Pairs with the release store that publishes a new PIT. */
	return smp_load_acquire(&kvm->arch.vpit);
}

/*
 * Ticks
 */

static void pit_reset_reinject(struct kvm_vpit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* Called under the irqchip's lock: atomics only. */
static void pit_mask_changed(struct kvm_irq_mask_notifier *kimn, bool masked)
{
	struct kvm_vpit *pit = container_of(kimn, struct kvm_vpit,
					    mask_notifier);

	if (!masked)
		pit_reset_reinject(pit);
}

/* The PIT's worker: one edge on GSI 0 (KVM's pit_do_work()). */
static void pit_tick_work(struct kthread_work *work)
{
	struct kvm_vpit *pit = container_of(work, struct kvm_vpit, tick_work);

	/* The last tick is not acked yet: the ack notifier will queue us. */
	if (atomic_read(&pit->reinject_on) && !atomic_xchg(&pit->irq_ack, 0))
		return;
	kvm_set_irq(pit->kvm, pit->irq_source_id, 0, 1, false);
	kvm_set_irq(pit->kvm, pit->irq_source_id, 0, 0, false);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *timer)
{
	struct kvm_vpit *pit = container_of(timer, struct kvm_vpit, timer);
	u64 ticks = 1;

	if (pit->periodic)
		ticks = hrtimer_forward_now(timer, ns_to_ktime(pit->period_ns));
	if (atomic_read(&pit->reinject_on) &&
	    atomic_read(&pit->pending) < PIT_MAX_PENDING)
		atomic_add(min_t(u64, ticks, PIT_MAX_PENDING), &pit->pending);
	kthread_queue_work(pit->worker, &pit->tick_work);
	return pit->periodic ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

/* The guest EOIed IRQ 0: inject the next missed tick, if any. */
static void pit_irq_acked(struct kvm_irq_ack_notifier *kian)
{
	struct kvm_vpit *pit = container_of(kian, struct kvm_vpit,
					    ack_notifier);

	atomic_set(&pit->irq_ack, 1);
	/*
	 * irq_ack before pending is read: pairs with the timer's increment
	 * and the worker's xchg, so a tick is neither lost nor doubled.
	 */
	smp_mb__after_atomic();
	if (atomic_dec_if_positive(&pit->pending) > 0)
		kthread_queue_work(pit->worker, &pit->tick_work);
}

/* Stop IRQ 0: no callback runs and no tick is queued once this returns. */
static void pit_stop_timer(struct kvm_vpit *pit)
{
	hrtimer_cancel(&pit->timer);
	kthread_flush_work(&pit->tick_work);
}

/* After channel 0 was loaded: re-arm IRQ 0 from the model.  pit->lock. */
static void pit_rearm_timer(struct kvm_vpit *pit)
{
	struct kvm_pit_timer t;

	lockdep_assert_held(&pit->lock);
	if (!kvm_irqchip_full(pit->kvm))
		return;
	kvm_pit_timer(&pit->model, &t);
	pit_stop_timer(pit);
	if (!t.armed)
		return;
	pit->periodic = t.periodic;
	pit->period_ns = t.period_ns;
	if (t.periodic && pit->period_ns < PIT_MIN_PERIOD_NS) {
		pr_info_ratelimited("PIT period %lld ns raised to %ld ns\n",
				    pit->period_ns, PIT_MIN_PERIOD_NS);
		pit->period_ns = PIT_MIN_PERIOD_NS;
	}
	pit_reset_reinject(pit);
	hrtimer_start(&pit->timer, ns_to_ktime(t.expires_ns),
		      HRTIMER_MODE_ABS);
}

/* KVM_REINJECT_CONTROL.  pit->lock held. */
static void pit_set_reinject(struct kvm_vpit *pit, bool reinject)
{
	lockdep_assert_held(&pit->lock);
	if (pit->reinject == reinject)
		return;
	if (reinject) {
		/* Counting starts afresh, as in KVM. */
		pit_reset_reinject(pit);
		kvm_register_irq_ack_notifier(pit->kvm, &pit->ack_notifier);
	} else {
		kvm_unregister_irq_ack_notifier(pit->kvm, &pit->ack_notifier);
	}
	pit->reinject = reinject;
	atomic_set(&pit->reinject_on, reinject);
}

/*
 * Port I/O
 */

static int pit_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		    gpa_t addr, int len, void *val)
{
	struct kvm_vpit *pit = container_of(dev, struct kvm_vpit, dev);
	u8 byte = 0;
	int r;

	if (len < 1)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	r = kvm_pit_ioport_read(&pit->model, addr, ktime_get_ns(), &byte);
	mutex_unlock(&pit->lock);
	if (r)
		return r;
	memset(val, 0, len);
	*(u8 *)val = byte;
	return 0;
}

static int pit_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		     gpa_t addr, int len, const void *val)
{
	struct kvm_vpit *pit = container_of(dev, struct kvm_vpit, dev);
	int r;

	if (len < 1)
		return -EOPNOTSUPP;
	mutex_lock(&pit->lock);
	r = kvm_pit_ioport_write(&pit->model, addr, *(const u8 *)val,
				 ktime_get_ns());
	if (r == KVM_PIT_TIMER_RELOAD)
		pit_rearm_timer(pit);
	mutex_unlock(&pit->lock);
	return r < 0 ? r : 0;
}

static int speaker_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			gpa_t addr, int len, void *val)
{
	struct kvm_vpit *pit = container_of(dev, struct kvm_vpit, speaker_dev);

	if (addr != PIT_PORT_SPEAKER)
		return -EOPNOTSUPP;
	return pit_read(vcpu, &pit->dev, addr, len, val);
}

static int speaker_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			 gpa_t addr, int len, const void *val)
{
	struct kvm_vpit *pit = container_of(dev, struct kvm_vpit, speaker_dev);

	if (addr != PIT_PORT_SPEAKER)
		return -EOPNOTSUPP;
	return pit_write(vcpu, &pit->dev, addr, len, val);
}

/* No destructors: kvm_pit_destroy_vm() takes them off the bus first. */
static const struct kvm_io_device_ops pit_dev_ops = {
	.read = pit_read,
	.write = pit_write,
};

static const struct kvm_io_device_ops speaker_dev_ops = {
	.read = speaker_read,
	.write = speaker_write,
};

/*
 * The 0x40-0x43 device must not answer 0x61: the bus offers it only
 * accesses inside its range, so that holds.
 */
static int pit_register_devices(struct kvm_vpit *pit)
{
	struct kvm *kvm = pit->kvm;
	int r;

	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIT_BASE, PIT_PORTS,
				    &pit->dev);
	if (!r && pit->speaker) {
		r = kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, PIT_PORT_SPEAKER,
					    SPEAKER_PORTS, &pit->speaker_dev);
		if (r)
			kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev);
	}
	mutex_unlock(&kvm->slots_lock);
	return r;
}

static void pit_unregister_devices(struct kvm_vpit *pit)
{
	struct kvm *kvm = pit->kvm;

	mutex_lock(&kvm->slots_lock);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev);
	if (pit->speaker)
		kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->speaker_dev);
	mutex_unlock(&kvm->slots_lock);
}

/*
 * Creation and destruction
 */

/* Everything but the bus devices; the reverse of pit_alloc(). */
static void pit_free(struct kvm_vpit *pit)
{
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, false);
	mutex_unlock(&pit->lock);
	kvm_unregister_irq_mask_notifier(pit->kvm, &pit->mask_notifier);
	hrtimer_cancel(&pit->timer);
	kthread_destroy_worker(pit->worker);
	kvm_free_irq_source_id(pit->kvm, pit->irq_source_id);
	kfree(pit);
}

static struct kvm_vpit *pit_alloc(struct kvm *kvm, u32 flags)
{
	struct kvm_vpit *pit;

	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return NULL;
	pit->kvm = kvm;
	pit->speaker = flags & KVM_PIT_SPEAKER_DUMMY;
	mutex_init(&pit->lock);
	pit->irq_source_id = kvm_request_irq_source_id(kvm);
	if (pit->irq_source_id < 0)
		goto free;
	pit->worker = kthread_create_worker(0, "kvm-pit/%d",
					    task_tgid_nr(current));
	if (IS_ERR(pit->worker))
		goto free_source;
	kthread_init_work(&pit->tick_work, pit_tick_work);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	pit->ack_notifier.gsi = 0;
	pit->ack_notifier.irq_acked = pit_irq_acked;
	pit->dev.ops = &pit_dev_ops;
	pit->speaker_dev.ops = &speaker_dev_ops;

	kvm_pit_reset(&pit->model, ktime_get_ns());
	pit->mask_notifier.func = pit_mask_changed;
	kvm_register_irq_mask_notifier(kvm, 0, &pit->mask_notifier);
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, true);	/* KVM's default */
	mutex_unlock(&pit->lock);
	return pit;

free_source:
	kvm_free_irq_source_id(kvm, pit->irq_source_id);
free:
	kfree(pit);
	return NULL;
}

/* KVM_CREATE_PIT2 (and KVM_CREATE_PIT): any failure is -ENOMEM, as KVM. */
static long pit_create(struct kvm *kvm, u32 flags)
{
	struct kvm_vpit *pit;
	long r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->arch.vpit)
		goto out;
	r = -ENOMEM;
	pit = pit_alloc(kvm, flags);
	if (!pit)
		goto out;
	if (pit_register_devices(pit)) {
		pit_free(pit);
		goto out;
	}
	/* Lock-free readers see a complete PIT: pairs with kvm_vpit(). */
	smp_store_release(&kvm->arch.vpit, pit);
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
}

void kvm_pit_destroy_vm(struct kvm *kvm)
{
	struct kvm_vpit *pit = kvm->arch.vpit;

	if (!pit)
		return;
	pit_unregister_devices(pit);
	pit_free(pit);
	kvm->arch.vpit = NULL;
}

/*
 * State ioctls
 */

static void pit_get_state(struct kvm_vpit *pit, struct kvm_pit_state2 *s)
{
	mutex_lock(&pit->lock);
	kvm_pit_get_state(&pit->model, s);
	mutex_unlock(&pit->lock);
}

/* KVM_SET_PIT2, or KVM_SET_PIT with the current flags.  kvm->lock held. */
static void pit_set_state(struct kvm_vpit *pit,
			  const struct kvm_pit_channel_state channels[3],
			  u32 flags, bool keep_flags)
{
	mutex_lock(&pit->lock);
	if (keep_flags)
		flags = pit->model.state.flags;
	kvm_pit_set_state(&pit->model, channels, flags, ktime_get_ns());
	pit_rearm_timer(pit);
	mutex_unlock(&pit->lock);
}

static long pit_ioctl_get_pit(struct kvm *kvm, void __user *argp)
{
	struct kvm_pit_state2 s2;
	struct kvm_pit_state s;
	struct kvm_vpit *pit;

	BUILD_BUG_ON(sizeof(s.channels) != sizeof(s2.channels));
	/* KVM reads the argument first: -EFAULT before -ENXIO. */
	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	pit = kvm_vpit(kvm);
	if (!pit)
		return -ENXIO;
	pit_get_state(pit, &s2);
	memcpy(s.channels, s2.channels, sizeof(s.channels));
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long pit_ioctl_get_pit2(struct kvm *kvm, void __user *argp)
{
	struct kvm_vpit *pit = kvm_vpit(kvm);
	struct kvm_pit_state2 s;

	if (!pit)
		return -ENXIO;
	pit_get_state(pit, &s);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

/* KVM_SET_PIT (@two false) and KVM_SET_PIT2. */
static long pit_ioctl_set(struct kvm *kvm, void __user *argp, bool two)
{
	struct kvm_pit_state2 s;
	struct kvm_vpit *pit;
	long r = -ENXIO;

	memset(&s, 0, sizeof(s));
	if (copy_from_user(&s, argp,
			   two ? sizeof(s) : sizeof(struct kvm_pit_state)))
		return -EFAULT;
	mutex_lock(&kvm->lock);
	pit = kvm->arch.vpit;
	if (pit) {
		pit_set_state(pit, s.channels, s.flags, !two);
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static long pit_ioctl_reinject(struct kvm *kvm, void __user *argp)
{
	struct kvm_reinject_control control;
	struct kvm_vpit *pit;

	if (copy_from_user(&control, argp, sizeof(control)))
		return -EFAULT;
	pit = kvm_vpit(kvm);
	if (!pit)
		return -ENXIO;
	/* Reserved bytes are not checked, as in KVM. */
	mutex_lock(&pit->lock);
	pit_set_reinject(pit, control.pit_reinject);
	mutex_unlock(&pit->lock);
	return 0;
}

long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	struct kvm_pit_config config;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return pit_create(kvm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&config, argp, sizeof(config)))
			return -EFAULT;
		return pit_create(kvm, config.flags);
	case KVM_GET_PIT:
		return pit_ioctl_get_pit(kvm, argp);
	case KVM_SET_PIT:
		return pit_ioctl_set(kvm, argp, false);
	case KVM_GET_PIT2:
		return pit_ioctl_get_pit2(kvm, argp);
	case KVM_SET_PIT2:
		return pit_ioctl_set(kvm, argp, true);
	case KVM_REINJECT_CONTROL:
		return pit_ioctl_reinject(kvm, argp);
	default:
		return -ENOTTY;
	}
}

long kvm_pit_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
		return 1;
	default:
		return 0;
	}
}
