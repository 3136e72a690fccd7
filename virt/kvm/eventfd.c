// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD (api.rst 4.59): a guest write to a registered MMIO or port
 * address (of a registered length, optionally carrying a registered value)
 * signals an eventfd from the vCPU thread, with no exit to userspace.
 *
 * Each ioeventfd is a device on an I/O bus.  It holds a reference on its
 * eventfd context from KVM_IOEVENTFD until it is deassigned or the VM is
 * destroyed, so a VMM that closes the eventfd first leaves nothing
 * dangling: the context lives on, signalled and unread, until then.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/eventfd.h>
#include <linux/kvm.h>
#include <linux/slab.h>
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

void kvm_irq_routing_update(struct kvm *kvm)
{
	/* irqfds follow routing changes here (irqfd branch). */
}
