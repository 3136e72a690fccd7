// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds wired to the guest, both ways, with no exit to userspace.
 *
 * KVM_IOEVENTFD (api.rst 4.59): a guest write to a registered MMIO or port
 * address (of a registered length, optionally carrying a registered value)
 * signals an eventfd from the vCPU thread.  Each ioeventfd is a device on
 * an I/O bus.  It holds a reference on its eventfd context from
 * KVM_IOEVENTFD until it is deassigned or the VM is destroyed, so a VMM
 * that closes the eventfd first leaves nothing dangling: the context lives
 * on, signalled and unread, until then.
 *
 * KVM_IRQFD (api.rst 4.75): a signal on an eventfd raises a GSI.  The
 * irqfd is a custom entry on the eventfd's wait queue, so its wakeup
 * callback runs inside eventfd_signal()/write(), with the eventfd's
 * wait-queue spinlock held and interrupts off, in whatever context the
 * signaller is in (a VMM thread, a vCPU thread through an ioeventfd, a
 * device's hard interrupt).  It consumes the count and injects at once
 * with kvm_set_irq_inatomic() (an edge: 1 then 0); a route that needs
 * process context (-EWOULDBLOCK) goes to a work item calling
 * kvm_set_irq().  The route is looked up by the arch, under RCU, at each
 * injection, so an irqfd follows KVM_SET_GSI_ROUTING by itself.
 *
 * Resampling (KVM_IRQFD_FLAG_RESAMPLE) emulates a level-triggered line:
 * a signal raises the GSI with the source id all resamplers share
 * (KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID) and leaves it high.  One resampler
 * per GSI holds an ack notifier; when the guest EOIs the pin, it lowers
 * the line once and signals the resamplefd of every irqfd on that GSI, and
 * the VMM signals again if its device still wants service.
 *
 * Locking and lifetime of irqfds
 * ------------------------------
 * - kvm->irqfds.lock (spinlock, irqs off) guards the list of active
 *   irqfds; it nests inside the eventfd wait-queue lock (EPOLLHUP).
 * - kvm->irqfds.mutex serializes KVM_IRQFD assign and deassign, and
 *   guards the resampler list; it nests outside the arch's irq lock
 *   (ack notifier registration).  Because deassign takes it, an irqfd is
 *   fully hooked to its eventfd before anything can tear it down (the
 *   other two paths cannot race with assign: EPOLLHUP needs the eventfd's
 *   file to be released, which the ioctl's reference prevents, and VM
 *   release needs the VM's file, idem).
 * - A resampler's irqfd list is walked under RCU by the ack notifier
 *   (which the arch calls from the vCPU thread under rcu_read_lock(), no
 *   irqchip lock held); removal waits for a grace period.
 * - Teardown: deassign, EPOLLHUP (the eventfd's last close) and VM fd
 *   release take the irqfd off the active list under the spinlock and
 *   queue its shutdown on irqfd_cleanup_wq.  The shutdown unhooks it from
 *   the wait queue (taking the wait-queue lock, so no wakeup is still
 *   running), flushes its inject work, leaves its resampler, drops the
 *   eventfds and frees it.  Deassign and release flush the workqueue
 *   before they return, so once the VM fd's release is done no irqfd code
 *   runs for that VM again.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>

#include <kestrel/kvm_host.h>

struct kvm_ioeventfd_dev {
	struct list_head list;		/* kvm->ioeventfds, slots_lock */
	u64 addr;
	u32 len;			/* 0: any write at addr */
	struct eventfd_ctx *eventfd;
	u64 datamatch;
	bool wildcard;			/* no KVM_IOEVENTFD_FLAG_DATAMATCH */
	enum kvm_bus bus_idx;
	struct kvm_io_device dev;
};

static struct kvm_ioeventfd_dev *to_ioeventfd(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvm_ioeventfd_dev, dev);
}

static u64 ioeventfd_value(const void *val, int len)
{
	switch (len) {
	case 1:
		return *(const u8 *)val;
	case 2:
		return get_unaligned((const u16 *)val);
	case 4:
		return get_unaligned((const u32 *)val);
	default:
		return get_unaligned((const u64 *)val);
	}
}

/*
 * The bus already checked that the write lies inside [addr, addr + len)
 * (or starts at addr, for len 0); an ioeventfd wants exactly its address,
 * its length unless that is 0, and its value unless it is a wildcard.
 */
static bool ioeventfd_hit(const struct kvm_ioeventfd_dev *p, gpa_t addr,
			  int len, const void *val)
{
	if (addr != p->addr)
		return false;
	if (!p->len)
		return true;
	if (len != p->len)
		return false;
	return p->wildcard || ioeventfd_value(val, len) == p->datamatch;
}

static int ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			   gpa_t addr, int len, const void *val)
{
	struct kvm_ioeventfd_dev *p = to_ioeventfd(dev);

	if (!ioeventfd_hit(p, addr, len, val))
		return -EOPNOTSUPP;
	eventfd_signal(p->eventfd, 1);
	return 0;
}

static void ioeventfd_release(struct kvm_ioeventfd_dev *p)
{
	eventfd_ctx_put(p->eventfd);
	list_del(&p->list);
	kfree(p);
}

/* VM destruction: no vCPU is left to use it. */
static void ioeventfd_destructor(struct kvm_io_device *dev)
{
	ioeventfd_release(to_ioeventfd(dev));
}

static const struct kvm_io_device_ops ioeventfd_ops = {
	.write = ioeventfd_write,
	.destructor = ioeventfd_destructor,
};

/*
 * KVM's rule: two ioeventfds on one bus at one address collide unless
 * both have a length, the same one, and different data to match.
 */
static bool ioeventfd_collides(struct kvm *kvm,
			       const struct kvm_ioeventfd_dev *p)
{
	struct kvm_ioeventfd_dev *q;

	list_for_each_entry(q, &kvm->ioeventfds, list) {
		if (q->bus_idx != p->bus_idx || q->addr != p->addr)
			continue;
		if (!q->len || !p->len)
			return true;
		if (q->len == p->len &&
		    (q->wildcard || p->wildcard || q->datamatch == p->datamatch))
			return true;
	}
	return false;
}

/*
 * s390's virtio-ccw flag is accepted, as KVM does on every architecture
 * (its flag mask includes it): the ioeventfd goes on a bus that no x86
 * access reaches, so it never fires.
 */
static enum kvm_bus ioeventfd_bus(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return KVM_PIO_BUS;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return KVM_VIRTIO_CCW_NOTIFY_BUS;
	return KVM_MMIO_BUS;
}

static int ioeventfd_register(struct kvm *kvm, struct kvm_ioeventfd_dev *p)
{
	int r;

	mutex_lock(&kvm->slots_lock);
	if (ioeventfd_collides(kvm, p)) {
		r = -EEXIST;
	} else {
		r = kvm_io_bus_register_ioeventfd(kvm, p->bus_idx, p->addr,
						  p->len, &p->dev);
		if (!r)
			list_add_tail(&p->list, &kvm->ioeventfds);
	}
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* A natural width, or 0 for "any write at the address". */
static bool ioeventfd_len_valid(u32 len)
{
	switch (len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		return true;
	default:
		return false;
	}
}

static int kvm_assign_ioeventfd(struct kvm *kvm,
				const struct kvm_ioeventfd *args)
{
	struct kvm_ioeventfd_dev *p;
	struct eventfd_ctx *eventfd;
	int r;

	/* KVM's checks, in KVM's order (the errno of several faults). */
	if (!ioeventfd_len_valid(args->len))
		return -EINVAL;
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK)
		return -EINVAL;
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		eventfd_ctx_put(eventfd);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&p->list);
	p->addr = args->addr;
	p->len = args->len;
	p->eventfd = eventfd;
	p->bus_idx = ioeventfd_bus(args->flags);
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	if (!p->wildcard)
		p->datamatch = args->datamatch;
	p->dev.ops = &ioeventfd_ops;

	r = ioeventfd_register(kvm, p);
	if (r) {
		eventfd_ctx_put(eventfd);
		kfree(p);
	}
	return r;
}

static bool ioeventfd_matches(const struct kvm_ioeventfd_dev *p,
			      enum kvm_bus bus_idx, struct eventfd_ctx *eventfd,
			      const struct kvm_ioeventfd *args)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);

	return p->bus_idx == bus_idx && p->eventfd == eventfd &&
	       p->addr == args->addr && p->len == args->len &&
	       p->wildcard == wildcard &&
	       (wildcard || p->datamatch == args->datamatch);
}

/* As in KVM, deassigning checks nothing but the fd before the lookup. */
static int kvm_deassign_ioeventfd(struct kvm *kvm,
				  const struct kvm_ioeventfd *args)
{
	enum kvm_bus bus_idx = ioeventfd_bus(args->flags);
	struct kvm_ioeventfd_dev *p;
	struct eventfd_ctx *eventfd;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	mutex_lock(&kvm->slots_lock);
	list_for_each_entry(p, &kvm->ioeventfds, list) {
		if (!ioeventfd_matches(p, bus_idx, eventfd, args))
			continue;
		/* Off the bus first: after this no vCPU can reach it. */
		kvm_io_bus_unregister_dev(kvm, bus_idx, &p->dev);
		ioeventfd_release(p);
		r = 0;
		break;
	}
	mutex_unlock(&kvm->slots_lock);
	eventfd_ctx_put(eventfd);
	return r;
}

int kvm_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return kvm_deassign_ioeventfd(kvm, args);
	return kvm_assign_ioeventfd(kvm, args);
}

/*
 * KVM_IRQFD
 */

static struct workqueue_struct *irqfd_cleanup_wq;

/* The irqfds of one GSI that resample, and the ack notifier they share. */
struct irqfd_resampler {
	struct kvm *kvm;
	struct list_head link;		/* kvm->irqfds.resamplers, mutex */
	struct list_head irqfds;	/* irqfd.resampler_link, RCU */
	struct kvm_irq_ack_notifier notifier;	/* .gsi is the GSI */
};

struct irqfd {
	struct kvm *kvm;
	u32 gsi;
	struct list_head list;		/* kvm->irqfds.items; empty: inactive */
	struct eventfd_ctx *eventfd;
	wait_queue_entry_t wait;	/* on the eventfd's wait queue */
	poll_table pt;
	struct work_struct inject;	/* kvm_set_irq() in process context */
	struct work_struct shutdown;	/* on irqfd_cleanup_wq */
	/* KVM_IRQFD_FLAG_RESAMPLE, else NULL */
	struct irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;
};

/* Raise the GSI from process context: an edge, or a resampler's level. */
static void irqfd_set(struct irqfd *irqfd)
{
	struct kvm *kvm = irqfd->kvm;

	if (irqfd->resampler) {
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, irqfd->gsi,
			    1, false);
		return;
	}
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 0, false);
}

/*
 * The same from the eventfd wakeup; false when the route needs process
 * context.  Whether a route may be set in atomic context does not depend
 * on the level, so once the rising edge went through the falling one
 * does too (unless the table changed in between, and then the line the
 * edge raised is not on the new route anyway).
 */
static bool irqfd_set_inatomic(struct irqfd *irqfd)
{
	int source = irqfd->resampler ? KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID :
					KVM_USERSPACE_IRQ_SOURCE_ID;
	struct kvm *kvm = irqfd->kvm;

	if (kvm_set_irq_inatomic(kvm, source, irqfd->gsi, 1) == -EWOULDBLOCK)
		return false;
	if (!irqfd->resampler)
		kvm_set_irq_inatomic(kvm, source, irqfd->gsi, 0);
	return true;
}

static void irqfd_inject(struct work_struct *work)
{
	irqfd_set(container_of(work, struct irqfd, inject));
}

/*
 * The guest EOId an irqchip pin of the resampler's GSI (the arch calls
 * this under rcu_read_lock(), no irqchip lock held).  The shared source
 * is lowered once, then every resamplefd hears of it: lowering once per
 * irqfd could lower a line another irqfd of the GSI has just raised.
 */
static void irqfd_resampler_ack(struct kvm_irq_ack_notifier *kian)
{
	struct irqfd_resampler *resampler =
		container_of(kian, struct irqfd_resampler, notifier);
	struct irqfd *irqfd;

	kvm_set_irq(resampler->kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
		    kian->gsi, 0, false);
	rcu_read_lock();
	list_for_each_entry_rcu(irqfd, &resampler->irqfds, resampler_link)
		eventfd_signal(irqfd->resamplefd, 1);
	rcu_read_unlock();
}

/* Join the GSI's resampler, creating it if needed.  irqfds.mutex held. */
static int irqfd_resampler_join(struct kvm *kvm, struct irqfd *irqfd)
{
	struct irqfd_resampler *resampler;

	lockdep_assert_held(&kvm->irqfds.mutex);
	list_for_each_entry(resampler, &kvm->irqfds.resamplers, link) {
		if (resampler->notifier.gsi == irqfd->gsi)
			goto join;
	}
	resampler = kzalloc(sizeof(*resampler), GFP_KERNEL_ACCOUNT);
	if (!resampler)
		return -ENOMEM;
	resampler->kvm = kvm;
	INIT_LIST_HEAD(&resampler->irqfds);
	resampler->notifier.gsi = irqfd->gsi;
	resampler->notifier.irq_acked = irqfd_resampler_ack;
	list_add(&resampler->link, &kvm->irqfds.resamplers);
	kvm_register_irq_ack_notifier(kvm, &resampler->notifier);
join:
	irqfd->resampler = resampler;
	list_add_rcu(&irqfd->resampler_link, &resampler->irqfds);
	return 0;
}

/*
 * Leave the resampler; the last one out unregisters the notifier and
 * lowers the line it may have left high.  irqfds.mutex held.
 */
static void irqfd_resampler_leave(struct kvm *kvm, struct irqfd *irqfd)
{
	struct irqfd_resampler *resampler = irqfd->resampler;

	lockdep_assert_held(&kvm->irqfds.mutex);
	list_del_rcu(&irqfd->resampler_link);
	/* No ack notifier still signals irqfd->resamplefd after this. */
	synchronize_rcu();
	if (!list_empty(&resampler->irqfds))
		return;
	list_del(&resampler->link);
	kvm_unregister_irq_ack_notifier(kvm, &resampler->notifier);
	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
		    resampler->notifier.gsi, 0, false);
	kfree(resampler);
}

/* What assign set up, undone; the irqfd is on no list or wait queue. */
static void irqfd_free(struct irqfd *irqfd)
{
	struct kvm *kvm = irqfd->kvm;

	if (irqfd->resampler) {
		mutex_lock(&kvm->irqfds.mutex);
		irqfd_resampler_leave(kvm, irqfd);
		mutex_unlock(&kvm->irqfds.mutex);
	}
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* irqfd_cleanup_wq: the irqfd is inactive, unhook and free it. */
static void irqfd_shutdown(struct work_struct *work)
{
	struct irqfd *irqfd = container_of(work, struct irqfd, shutdown);
	u64 cnt;

	/* Under the wait-queue lock: no wakeup runs or will run. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);
	irqfd_free(irqfd);
}

static bool irqfd_is_active(struct irqfd *irqfd)
{
	lockdep_assert_held(&irqfd->kvm->irqfds.lock);
	return !list_empty(&irqfd->list);
}

/* Off the active list, and queue the shutdown.  irqfds.lock held. */
static void irqfd_deactivate(struct irqfd *irqfd)
{
	lockdep_assert_held(&irqfd->kvm->irqfds.lock);
	list_del_init(&irqfd->list);
	queue_work(irqfd_cleanup_wq, &irqfd->shutdown);
}

/*
 * The eventfd's wait-queue callback: wait-queue lock held, interrupts
 * off.  Returning 1 for EPOLLIN tells the eventfd the signal was
 * consumed (the irqfd is a priority, exclusive waiter, as in KVM).
 */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct irqfd *irqfd = container_of(wait, struct irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct kvm *kvm = irqfd->kvm;
	unsigned long iflags;
	int ret = 0;

	if (flags & EPOLLIN) {
		u64 cnt;

		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		if (!irqfd_set_inatomic(irqfd))
			schedule_work(&irqfd->inject);
		ret = 1;
	}
	if (flags & EPOLLHUP) {
		/*
		 * The eventfd's last close.  Deassign or release may have
		 * deactivated the irqfd already; its shutdown cannot have
		 * run, since that takes the wait-queue lock held here.
		 */
		spin_lock_irqsave(&kvm->irqfds.lock, iflags);
		if (irqfd_is_active(irqfd))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&kvm->irqfds.lock, iflags);
	}
	return ret;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct irqfd *irqfd = container_of(pt, struct irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

/* -EBUSY if the eventfd already drives an irqfd of this VM (any GSI). */
static int irqfd_activate(struct kvm *kvm, struct irqfd *irqfd)
{
	struct irqfd *tmp;

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry(tmp, &kvm->irqfds.items, list) {
		if (tmp->eventfd == irqfd->eventfd) {
			spin_unlock_irq(&kvm->irqfds.lock);
			return -EBUSY;
		}
	}
	list_add_tail(&irqfd->list, &kvm->irqfds.items);
	spin_unlock_irq(&kvm->irqfds.lock);
	return 0;
}

static struct irqfd *irqfd_alloc(struct kvm *kvm, const struct kvm_irqfd *args)
{
	struct irqfd *irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);

	if (!irqfd)
		return NULL;
	irqfd->kvm = kvm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_LIST_HEAD(&irqfd->resampler_link);
	INIT_WORK(&irqfd->inject, irqfd_inject);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_ptable_queue_proc);
	return irqfd;
}

/* The eventfds, the resampler, the active list; irqfds.mutex held. */
static int irqfd_setup(struct kvm *kvm, struct irqfd *irqfd,
		       struct file *file, const struct kvm_irqfd *args)
{
	struct eventfd_ctx *ctx;
	int r;

	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	irqfd->eventfd = ctx;
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		ctx = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		irqfd->resamplefd = ctx;
		r = irqfd_resampler_join(kvm, irqfd);
		if (r)
			return r;
	}
	return irqfd_activate(kvm, irqfd);
}

/* KVM 6.1's checks in its order, hence its errno when several fail. */
static int kvm_irqfd_assign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	struct irqfd *irqfd;
	__poll_t events;
	struct fd f;
	int r;

	if (!kvm_arch_irqfd_allowed(kvm, args))
		return -EINVAL;
	irqfd = irqfd_alloc(kvm, args);
	if (!irqfd)
		return -ENOMEM;
	f = fdget(args->fd);
	if (!f.file) {
		kfree(irqfd);
		return -EBADF;
	}

	mutex_lock(&kvm->irqfds.mutex);
	r = irqfd_setup(kvm, irqfd, f.file, args);
	if (r) {
		mutex_unlock(&kvm->irqfds.mutex);
		fdput(f);
		if (irqfd->eventfd)
			irqfd_free(irqfd);
		else
			kfree(irqfd);
		return r;
	}
	/* Hook the wait queue; a signal already pending is injected now. */
	events = vfs_poll(f.file, &irqfd->pt);
	if (events & EPOLLIN)
		irqfd_set(irqfd);
	mutex_unlock(&kvm->irqfds.mutex);
	fdput(f);
	return 0;
}

/*
 * Every irqfd of this eventfd and GSI goes.  0 even when none matched, as
 * KVM; on return none of them injects anything any more.
 */
static int kvm_irqfd_deassign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	struct eventfd_ctx *eventfd;
	struct irqfd *irqfd, *tmp;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	mutex_lock(&kvm->irqfds.mutex);
	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds.items, list) {
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	}
	spin_unlock_irq(&kvm->irqfds.lock);
	mutex_unlock(&kvm->irqfds.mutex);
	eventfd_ctx_put(eventfd);
	flush_workqueue(irqfd_cleanup_wq);
	return 0;
}

int kvm_irqfd(struct kvm *kvm, const struct kvm_irqfd *args)
{
	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return kvm_irqfd_deassign(kvm, args);
	return kvm_irqfd_assign(kvm, args);
}

void kvm_irqfd_release(struct kvm *kvm)
{
	struct irqfd *irqfd, *tmp;

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds.items, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&kvm->irqfds.lock);
	/* Irqfds hold no reference on the VM: wait for every shutdown. */
	flush_workqueue(irqfd_cleanup_wq);
}

/*
 * Called by the arch after it published a new routing table (irq lock
 * held).  Irqfds keep no copy of their route: kvm_set_irq*() look the
 * GSI up in the published table at each injection, under RCU, so the
 * next signal already follows the new table and nothing is left to
 * update.  (KVM caches the route in each irqfd because its atomic path
 * takes a routing entry, not a GSI.)
 */
void kvm_irq_routing_update(struct kvm *kvm)
{
}

void kvm_irqfd_vm_init(struct kvm *kvm)
{
	spin_lock_init(&kvm->irqfds.lock);
	INIT_LIST_HEAD(&kvm->irqfds.items);
	mutex_init(&kvm->irqfds.mutex);
	INIT_LIST_HEAD(&kvm->irqfds.resamplers);
}

/*
 * One workqueue for every VM's shutdowns, so that deassign and release
 * can wait for them (flush_workqueue()) without waiting for anyone else's
 * work.
 */
int kvm_irqfd_init(void)
{
	irqfd_cleanup_wq = alloc_workqueue("kestrel-irqfd-cleanup", 0, 0);
	return irqfd_cleanup_wq ? 0 : -ENOMEM;
}

void kvm_irqfd_exit(void)
{
	destroy_workqueue(irqfd_cleanup_wq);
}
