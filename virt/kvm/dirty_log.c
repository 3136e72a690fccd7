// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging (api.rst 4.8 KVM_GET_DIRTY_LOG, KVM_MEM_LOG_DIRTY_PAGES):
 * a bitmap per logged slot, a bit per page written since the last
 * KVM_GET_DIRTY_LOG.
 *
 * A logged slot is mapped writable only on a write fault, which sets the
 * page's bit (the architecture's fault path calls kvm_mark_page_dirty());
 * so are Kestrel's own writes to guest memory.  KVM_GET_DIRTY_LOG takes
 * the bits word by word with xchg() and, under mmu_lock, zaps the pages
 * they name, so the next write faults and is seen again.  A write that
 * lands between the xchg() and the zap is on a page this call reports:
 * userspace copies such pages only after the ioctl (and its TLB flush)
 * returns, so it copies that write too.
 */
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kestrel/kvm_host.h>

unsigned long kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

int kvm_alloc_dirty_bitmap(struct kvm_memory_slot *slot)
{
	slot->dirty_bitmap = kvzalloc(kvm_dirty_bitmap_bytes(slot),
				      GFP_KERNEL_ACCOUNT);
	return slot->dirty_bitmap ? 0 : -ENOMEM;
}

/* Under kvm->srcu (or slots_lock): @slot cannot go away meanwhile. */
void kvm_mark_page_dirty(struct kvm_memory_slot *slot, gfn_t gfn)
{
	if (slot && slot->dirty_bitmap && gfn - slot->base_gfn < slot->npages)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/*
 * Take one word of the bitmap into @out and zap its dirty pages, a run of
 * consecutive ones at a time.  Returns whether a TLB flush is owed.
 */
static bool kvm_dirty_log_take_word(struct kvm *kvm,
				    struct kvm_memory_slot *slot,
				    unsigned long i, unsigned long *out)
{
	unsigned long mask = xchg(&slot->dirty_bitmap[i], 0);
	gfn_t base = slot->base_gfn + i * BITS_PER_LONG;
	bool flush = false;
	unsigned int b = 0, e;

	/* x86 is little-endian: bit b of word i is page i * 64 + b. */
	out[i] = mask;
	while (mask >> b) {
		b += __ffs(mask >> b);
		e = b;
		while (e < BITS_PER_LONG && (mask & BIT(e)))
			e++;
		flush |= kvm_arch_unmap_gfn_range(kvm, base + b, base + e);
		if (e == BITS_PER_LONG)
			break;
		b = e;
	}
	return flush;
}

static int kvm_get_dirty_log(struct kvm *kvm, struct kvm_dirty_log *log)
{
	struct kvm_memory_slot *slot;
	unsigned long *buf, i, n;
	bool flush = false;
	int r = 0;

	if ((log->slot >> 16) >= KVM_ADDRESS_SPACE_NUM ||
	    (u16)log->slot >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	slot = __kvm_memslots(kvm, log->slot >> 16)->by_id[(u16)log->slot];
	if (!slot || !slot->dirty_bitmap)
		return -ENOENT;
	n = kvm_dirty_bitmap_bytes(slot);
	buf = kvzalloc(n, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	spin_lock(&kvm->mmu_lock);
	for (i = 0; i < n / sizeof(long); i++) {
		if (!READ_ONCE(slot->dirty_bitmap[i]))
			continue;
		flush |= kvm_dirty_log_take_word(kvm, slot, i, buf);
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
	if (copy_to_user(log->dirty_bitmap, buf, n))
		r = -EFAULT;
	kvfree(buf);
	return r;
}

long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void __user *argp)
{
	struct kvm_dirty_log log;
	int r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&kvm->slots_lock);
	r = kvm_get_dirty_log(kvm, &log);
	mutex_unlock(&kvm->slots_lock);
	return r;
}
