// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and PIO (api.rst 4.116, 4.117): guest writes inside a
 * registered zone are appended to a per-VM ring page, which every vCPU
 * maps at page KVM_COALESCED_MMIO_PAGE_OFFSET, instead of exiting; the
 * VMM replays them at its next exit.  Reads in a zone still exit, and so
 * does a write when the ring is full.
 *
 * The ring is shared with userspace, which moves `first` (and may write
 * anything anywhere in the page): the kernel reads `first` and `last` once
 * per write and writes no entry unless both are inside the ring.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <kestrel/kvm_host.h>

struct kvm_coalesced_mmio_dev {
	struct list_head list;		/* kvm->coalesced_zones, slots_lock */
	struct kvm_io_device dev;
	struct kvm *kvm;
	struct kvm_coalesced_mmio_zone zone;
};

static struct kvm_coalesced_mmio_dev *to_zone(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvm_coalesced_mmio_dev, dev);
}

/* Whether [addr, addr + len) lies wholly inside the zone. */
static bool coalesced_mmio_in_zone(const struct kvm_coalesced_mmio_zone *zone,
				   u64 addr, u64 len)
{
	u64 off = addr - zone->addr;

	return addr >= zone->addr && off <= zone->size &&
	       len <= zone->size - off;
}

/*
 * The slot for the next entry, or -1 when the ring is full (one slot stays
 * free to tell full from empty) or userspace put `first` or `last`
 * outside it.  ring_lock held.
 */
static int coalesced_mmio_slot(struct kvm_coalesced_mmio_ring *ring)
{
	u32 first = READ_ONCE(ring->first);
	u32 last = READ_ONCE(ring->last);

	if (first >= KVM_COALESCED_MMIO_MAX || last >= KVM_COALESCED_MMIO_MAX)
		return -1;
	if ((last + 1) % KVM_COALESCED_MMIO_MAX == first)
		return -1;
	return last;
}

static int coalesced_mmio_write(struct kvm_vcpu *vcpu,
				struct kvm_io_device *dev, gpa_t addr, int len,
				const void *val)
{
	struct kvm_coalesced_mmio_dev *z = to_zone(dev);
	struct kvm *kvm = z->kvm;
	struct kvm_coalesced_mmio_ring *ring = kvm->coalesced_mmio_ring;
	struct kvm_coalesced_mmio *e;
	int slot;

	if (len <= 0 || len > sizeof(e->data) ||
	    !coalesced_mmio_in_zone(&z->zone, addr, len))
		return -EOPNOTSUPP;

	spin_lock(&kvm->ring_lock);
	slot = coalesced_mmio_slot(ring);
	if (slot < 0) {
		spin_unlock(&kvm->ring_lock);
		return -EOPNOTSUPP;	/* the write exits to userspace */
	}
	e = &ring->coalesced_mmio[slot];
	e->phys_addr = addr;
	e->len = len;
	e->pio = z->zone.pio;
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, val, len);
	/* The entry before the index that hands it to userspace. */
	smp_wmb();
	WRITE_ONCE(ring->last, (slot + 1) % KVM_COALESCED_MMIO_MAX);
	spin_unlock(&kvm->ring_lock);
	return 0;
}

static void coalesced_mmio_release(struct kvm_coalesced_mmio_dev *z)
{
	list_del(&z->list);
	kfree(z);
}

static void coalesced_mmio_destructor(struct kvm_io_device *dev)
{
	coalesced_mmio_release(to_zone(dev));
}

static const struct kvm_io_device_ops coalesced_mmio_ops = {
	.write = coalesced_mmio_write,
	.destructor = coalesced_mmio_destructor,
};

int kvm_coalesced_mmio_init(struct kvm *kvm)
{
	kvm->coalesced_mmio_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!kvm->coalesced_mmio_ring)
		return -ENOMEM;
	spin_lock_init(&kvm->ring_lock);
	INIT_LIST_HEAD(&kvm->coalesced_zones);
	return 0;
}

/* After kvm_io_bus_destroy(), which released the zones. */
void kvm_coalesced_mmio_free(struct kvm *kvm)
{
	free_page((unsigned long)kvm->coalesced_mmio_ring);
}

static enum kvm_bus coalesced_mmio_bus(const struct kvm_coalesced_mmio_zone *zone)
{
	return zone->pio ? KVM_PIO_BUS : KVM_MMIO_BUS;
}

int kvm_vm_ioctl_register_coalesced_mmio(struct kvm *kvm,
					 const struct kvm_coalesced_mmio_zone *zone)
{
	struct kvm_coalesced_mmio_dev *z;
	int r;

	if (zone->pio > 1)
		return -EINVAL;
	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->dev.ops = &coalesced_mmio_ops;
	z->kvm = kvm;
	z->zone = *zone;

	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, coalesced_mmio_bus(zone), zone->addr,
				    zone->size, &z->dev);
	if (!r)
		list_add_tail(&z->list, &kvm->coalesced_zones);
	mutex_unlock(&kvm->slots_lock);
	if (r)
		kfree(z);
	return r;
}

/*
 * As KVM does: every zone of the same kind that contains the whole given
 * range goes (not the zones inside it), and the answer is 0 either way.
 */
int kvm_vm_ioctl_unregister_coalesced_mmio(struct kvm *kvm,
					   const struct kvm_coalesced_mmio_zone *zone)
{
	struct kvm_coalesced_mmio_dev *z, *tmp;

	if (zone->pio > 1)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	list_for_each_entry_safe(z, tmp, &kvm->coalesced_zones, list) {
		if (z->zone.pio != zone->pio ||
		    !coalesced_mmio_in_zone(&z->zone, zone->addr, zone->size))
			continue;
		kvm_io_bus_unregister_dev(kvm, coalesced_mmio_bus(zone), &z->dev);
		coalesced_mmio_release(z);
	}
	mutex_unlock(&kvm->slots_lock);
	return 0;
}
