// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel I/O bus: guest MMIO and port I/O that devices in the
 * kernel answer, so that the access needs no exit to userspace.
 *
 * Each bus is an array of ranges sorted by (addr, len), immutable once
 * published: an update builds a new array under kvm->slots_lock, publishes
 * it with rcu_assign_pointer() and frees the old one after an SRCU grace
 * period.  vCPUs look devices up under kvm->srcu, without locks.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include <kestrel/kvm_host.h>

static struct kvm_io_bus *kvm_get_bus(struct kvm *kvm, enum kvm_bus bus_idx)
{
	return srcu_dereference_check(kvm->buses[bus_idx], &kvm->srcu,
				      lockdep_is_held(&kvm->slots_lock));
}

/* Whether [addr, addr + len) lies wholly in @r; no sum can overflow. */
static bool kvm_io_range_covers(const struct kvm_io_range *r, gpa_t addr,
				int len)
{
	u64 off = addr - r->addr;

	if (!r->len)
		return addr == r->addr;
	return addr >= r->addr && off < r->len && (u64)len <= r->len - off;
}

static bool kvm_io_range_before(const struct kvm_io_range *a,
				const struct kvm_io_range *b)
{
	return a->addr < b->addr || (a->addr == b->addr && a->len < b->len);
}

/* The first range that starts at or above @addr (a lower bound). */
static int kvm_io_bus_lower_bound(const struct kvm_io_bus *bus, gpa_t addr)
{
	int lo = 0, hi = bus->dev_count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bus->range[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The index of the first range from which a device covering @addr may be
 * found.  A range covering addr starts no lower than addr - max_len, so
 * the walk stays short unless a bus mixes huge and tiny ranges.
 */
static int kvm_io_bus_first(const struct kvm_io_bus *bus, gpa_t addr)
{
	gpa_t low = addr >= bus->max_len ? addr - bus->max_len : 0;

	return kvm_io_bus_lower_bound(bus, low);
}

/*
 * Offer the access to each device covering it, in order, until one
 * accepts.  Only devices with the callback are asked.
 */
static int kvm_io_bus_access(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx,
			     gpa_t addr, int len, void *rval, const void *wval)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_io_bus *bus;
	int idx, i, r = -EOPNOTSUPP;

	idx = srcu_read_lock(&kvm->srcu);
	bus = srcu_dereference(kvm->buses[bus_idx], &kvm->srcu);
	for (i = bus ? kvm_io_bus_first(bus, addr) : 0;
	     bus && i < bus->dev_count && bus->range[i].addr <= addr; i++) {
		const struct kvm_io_range *range = &bus->range[i];
		const struct kvm_io_device_ops *ops = range->dev->ops;

		if (!kvm_io_range_covers(range, addr, len))
			continue;
		if (rval && ops->read)
			r = ops->read(vcpu, range->dev, addr, len, rval);
		else if (!rval && ops->write)
			r = ops->write(vcpu, range->dev, addr, len, wval);
		if (!r)
			break;
		r = -EOPNOTSUPP;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		    int len, void *val)
{
	return kvm_io_bus_access(vcpu, bus_idx, addr, len, val, NULL);
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		     int len, const void *val)
{
	return kvm_io_bus_access(vcpu, bus_idx, addr, len, NULL, val);
}

static struct kvm_io_bus *kvm_io_bus_alloc(int count)
{
	return kvzalloc(struct_size((struct kvm_io_bus *)NULL, range, count),
			GFP_KERNEL_ACCOUNT);
}

/* Counts and the lookup bound of a bus whose ranges were just filled in. */
static void kvm_io_bus_summarize(struct kvm_io_bus *bus)
{
	int i;

	bus->ioeventfd_count = 0;
	bus->max_len = 0;
	for (i = 0; i < bus->dev_count; i++) {
		bus->ioeventfd_count += bus->range[i].ioeventfd;
		bus->max_len = max(bus->max_len, bus->range[i].len);
	}
}

/* Publish @new in place of @old and free @old once no reader can see it. */
static void kvm_io_bus_replace(struct kvm *kvm, enum kvm_bus bus_idx,
			       struct kvm_io_bus *old, struct kvm_io_bus *new)
{
	rcu_assign_pointer(kvm->buses[bus_idx], new);
	synchronize_srcu_expedited(&kvm->srcu);
	kvfree(old);
}

static int kvm_io_bus_insert(struct kvm *kvm, enum kvm_bus bus_idx,
			     const struct kvm_io_range *range)
{
	struct kvm_io_bus *old, *new;
	int n, i;

	lockdep_assert_held(&kvm->slots_lock);
	if (WARN_ON_ONCE(bus_idx >= KVM_NR_BUSES))
		return -EINVAL;
	old = kvm_get_bus(kvm, bus_idx);
	n = old ? old->dev_count : 0;
	/*
	 * KVM's limit and errno: ioeventfds (bounded by open files and
	 * memory) do not count, but once the other devices reach the limit
	 * no device at all, ioeventfd or not, is added.
	 */
	if (old && old->dev_count - old->ioeventfd_count >= NR_IOBUS_DEVS)
		return -ENOSPC;
	new = kvm_io_bus_alloc(n + 1);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < n && !kvm_io_range_before(range, &old->range[i]); i++)
		new->range[i] = old->range[i];
	new->range[i] = *range;
	for (; i < n; i++)
		new->range[i + 1] = old->range[i];
	new->dev_count = n + 1;
	kvm_io_bus_summarize(new);
	kvm_io_bus_replace(kvm, bus_idx, old, new);
	return 0;
}

int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			    gpa_t addr, u64 len, struct kvm_io_device *dev)
{
	struct kvm_io_range range = { .addr = addr, .len = len, .dev = dev };

	return kvm_io_bus_insert(kvm, bus_idx, &range);
}

int kvm_io_bus_register_ioeventfd(struct kvm *kvm, enum kvm_bus bus_idx,
				  gpa_t addr, u64 len,
				  struct kvm_io_device *dev)
{
	struct kvm_io_range range = {
		.addr = addr, .len = len, .dev = dev, .ioeventfd = true,
	};

	return kvm_io_bus_insert(kvm, bus_idx, &range);
}

/*
 * Without memory for a smaller array, the device must still go: publish
 * an empty bus, wait out the readers, compact the old array in place and
 * publish it again.  Meanwhile accesses go to userspace; none reaches a
 * device that is being removed, and none is lost.
 */
static void kvm_io_bus_remove_in_place(struct kvm *kvm, enum kvm_bus bus_idx,
				       struct kvm_io_bus *bus, int i)
{
	pr_warn_ratelimited("out of memory: I/O bus %d goes to userspace while a device is removed\n",
			    bus_idx);
	rcu_assign_pointer(kvm->buses[bus_idx], NULL);
	synchronize_srcu_expedited(&kvm->srcu);
	memmove(&bus->range[i], &bus->range[i + 1],
		(bus->dev_count - i - 1) * sizeof(bus->range[0]));
	bus->dev_count--;
	kvm_io_bus_summarize(bus);
	rcu_assign_pointer(kvm->buses[bus_idx], bus);
}

/* 0 once @dev is off the bus (no reader can reach it); -ENOENT if absent. */
int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			      struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *new;
	int i, n;

	lockdep_assert_held(&kvm->slots_lock);
	if (WARN_ON_ONCE(bus_idx >= KVM_NR_BUSES))
		return -EINVAL;
	old = kvm_get_bus(kvm, bus_idx);
	n = old ? old->dev_count : 0;
	for (i = 0; i < n && old->range[i].dev != dev; i++)
		;
	if (i == n)
		return -ENOENT;
	new = n > 1 ? kvm_io_bus_alloc(n - 1) : NULL;
	if (n > 1 && !new) {
		kvm_io_bus_remove_in_place(kvm, bus_idx, old, i);
		return 0;
	}
	if (new) {
		memcpy(new->range, old->range, i * sizeof(old->range[0]));
		memcpy(&new->range[i], &old->range[i + 1],
		       (n - i - 1) * sizeof(old->range[0]));
		new->dev_count = n - 1;
		kvm_io_bus_summarize(new);
	}
	kvm_io_bus_replace(kvm, bus_idx, old, new);
	return 0;
}

/*
 * At VM destruction, when no vCPU is left: every device still registered
 * gets its destructor, then the buses go.
 */
void kvm_io_bus_destroy(struct kvm *kvm)
{
	int b, i;

	for (b = 0; b < KVM_NR_BUSES; b++) {
		struct kvm_io_bus *bus = rcu_dereference_protected(kvm->buses[b], 1);

		RCU_INIT_POINTER(kvm->buses[b], NULL);
		for (i = 0; bus && i < bus->dev_count; i++) {
			struct kvm_io_device *dev = bus->range[i].dev;

			if (dev->ops->destructor)
				dev->ops->destructor(dev);
		}
		kvfree(bus);
	}
}
