// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION and guest-physical lookups.
 *
 * Each address space (KVM_CAP_MULTI_ADDRESS_SPACE: the slot number's bits
 * 16-31) has its own set, ids and overlap rules; x86 vCPUs see set 1 in
 * SMM.  Readers (the fault path, guest memory accessors) look slots up
 * under SRCU without locks.  Writers, serialized by slots_lock, build a new set,
 * publish it, wait for readers of the old one, then zap the guest mappings
 * of any slot that went away or moved.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kestrel/kvm_host.h>

/* Flags KVM accepts on x86 (api.rst 4.35). */
#define KVM_VALID_MEM_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

struct kvm_memory_slot *__kvm_gfn_to_memslot(struct kvm_memslots *slots,
					     gfn_t gfn)
{
	int lo = 0, hi = slots->nr - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		struct kvm_memory_slot *s = slots->sorted[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* In @vcpu's current address space, or address space 0 without one. */
static int kvm_guest_copy(struct kvm *kvm, struct kvm_vcpu *vcpu, gpa_t gpa,
			  void *data, unsigned long len, bool write)
{
	int idx = srcu_read_lock(&kvm->srcu);
	struct kvm_memslots *slots = vcpu ? kvm_vcpu_memslots(vcpu) :
				     kvm_memslots(kvm);
	int r = 0;

	while (len) {
		unsigned long off = offset_in_page(gpa);
		unsigned long n = min(len, PAGE_SIZE - off);
		struct kvm_memory_slot *slot;
		void __user *hva;

		slot = __kvm_gfn_to_memslot(slots, gpa >> PAGE_SHIFT);
		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = (void __user *)kvm_gfn_to_hva(slot, gpa >> PAGE_SHIFT) + off;
		if (write ? copy_to_user(hva, data, n) : copy_from_user(data, hva, n)) {
			r = -EFAULT;
			break;
		}
		if (write)
			kvm_mark_page_dirty(slot, gpa >> PAGE_SHIFT);
		gpa += n;
		data += n;
		len -= n;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len)
{
	return kvm_guest_copy(kvm, NULL, gpa, data, len, false);
}

int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data,
		    unsigned long len)
{
	return kvm_guest_copy(kvm, NULL, gpa, (void *)data, len, true);
}

int kvm_vcpu_read_guest(struct kvm_vcpu *vcpu, gpa_t gpa, void *data,
			unsigned long len)
{
	return kvm_guest_copy(vcpu->kvm, vcpu, gpa, data, len, false);
}

int kvm_vcpu_write_guest(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data,
			 unsigned long len)
{
	return kvm_guest_copy(vcpu->kvm, vcpu, gpa, (void *)data, len, true);
}

static bool kvm_slots_overlap(struct kvm_memslots *slots, u16 id,
			      gfn_t base, unsigned long npages)
{
	int i;

	for (i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->sorted[i];

		if (s->id != id && base < s->base_gfn + s->npages &&
		    s->base_gfn < base + npages)
			return true;
	}
	return false;
}

/* Rebuild the sorted view of a set whose by_id table changed. */
static void kvm_memslots_sort(struct kvm_memslots *slots)
{
	int i, j, n = 0;

	for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *s = slots->by_id[i];

		if (!s)
			continue;
		for (j = n; j > 0 && slots->sorted[j - 1]->base_gfn > s->base_gfn; j--)
			slots->sorted[j] = slots->sorted[j - 1];
		slots->sorted[j] = s;
		n++;
	}
	slots->nr = n;
}

/*
 * A slot going away (or moving) is an invalidation like the MMU notifier's:
 * its mappings are zapped before the new set is published, and faults that
 * looked the old slot up see mmu_invalidate_in_progress and map nothing,
 * until every reader of the old set is gone.  Zapping after publishing
 * would leave a window in which the notifier, which only sees the new set,
 * could not find the old mappings while the kernel freed their pages.
 */
static void kvm_slot_invalidate_begin(struct kvm *kvm,
				      struct kvm_memory_slot *slot)
{
	spin_lock(&kvm->mmu_lock);
	kvm->mmu_invalidate_in_progress++;
	if (kvm_arch_unmap_gfn_range(kvm, slot->base_gfn,
				     slot->base_gfn + slot->npages))
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
}

static void kvm_slot_invalidate_end(struct kvm *kvm)
{
	spin_lock(&kvm->mmu_lock);
	kvm->mmu_invalidate_seq++;
	kvm->mmu_invalidate_in_progress--;
	spin_unlock(&kvm->mmu_lock);
}

/*
 * Install @new (NULL: delete) as slot @id.  @old is the slot it replaces;
 * it is freed here once no reader can see it.
 */
static int kvm_replace_memslot(struct kvm *kvm, int as_id, u16 id,
			       struct kvm_memory_slot *old,
			       struct kvm_memory_slot *new)
{
	struct kvm_memslots *cur = __kvm_memslots(kvm, as_id), *next;
	bool invalidate = old && (!new || new->base_gfn != old->base_gfn);

	next = kvmalloc(sizeof(*next), GFP_KERNEL_ACCOUNT);
	if (!next)
		return -ENOMEM;
	memcpy(next->by_id, cur->by_id, sizeof(next->by_id));
	next->by_id[id] = new;
	kvm_memslots_sort(next);

	if (invalidate)
		kvm_slot_invalidate_begin(kvm, old);
	rcu_assign_pointer(kvm->memslots[as_id], next);
	synchronize_srcu_expedited(&kvm->srcu);
	if (invalidate)
		kvm_slot_invalidate_end(kvm);
	kvfree(cur);
	if (old)
		kvfree(old->dirty_bitmap);
	kfree(old);
	return 0;
}

/*
 * Logging turned on for a slot that stays where it is: its pages may be
 * mapped writable already; zap them, so that every write from now on
 * faults and is logged.
 */
static void kvm_slot_start_logging(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	spin_lock(&kvm->mmu_lock);
	if (kvm_arch_unmap_gfn_range(kvm, slot->base_gfn,
				     slot->base_gfn + slot->npages))
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
}

/*
 * The dirty bitmap of @new: a logged slot keeps its bitmap across a move
 * or a flag change (taken from @old), else gets a new one.
 */
static int kvm_slot_dirty_bitmap(struct kvm_memory_slot *old,
				 struct kvm_memory_slot *new)
{
	if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return 0;
	if (old && old->dirty_bitmap) {
		new->dirty_bitmap = old->dirty_bitmap;
		old->dirty_bitmap = NULL;
		return 0;
	}
	return kvm_alloc_dirty_bitmap(new);
}

static int kvm_check_memory_region(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~KVM_VALID_MEM_FLAGS)
		return -EINVAL;
	/* Bits 16-31: the address space (api.rst 4.35). */
	if ((mem->slot >> 16) >= KVM_ADDRESS_SPACE_NUM ||
	    (u16)mem->slot >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	if (mem->memory_size &&
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

static int __kvm_set_memory_region(struct kvm *kvm,
				   const struct kvm_userspace_memory_region *mem)
{
	gfn_t base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	unsigned long npages = mem->memory_size >> PAGE_SHIFT;
	struct kvm_memory_slot *old, *new;
	int as_id = mem->slot >> 16;
	u16 id = (u16)mem->slot;
	bool start_logging;
	int r;

	/* First: the slot id indexes by_id[]. */
	r = kvm_check_memory_region(mem);
	if (r)
		return r;
	old = __kvm_memslots(kvm, as_id)->by_id[id];

	if (!npages) {				/* delete */
		if (!old)
			return -EINVAL;
		return kvm_replace_memslot(kvm, as_id, id, old, NULL);
	}

	if (old) {
		/* Only the base and the dirty-logging flag may change. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;
	}
	if (!old || base_gfn != old->base_gfn) {
		/* Guest-physical addresses the MMU cannot map (KVM: -EINVAL). */
		if (base_gfn + npages - 1 > kvm_arch_max_gfn())
			return -EINVAL;
		if (kvm_slots_overlap(__kvm_memslots(kvm, as_id), id, base_gfn,
				      npages))
			return -EEXIST;
	}

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->userspace_addr = mem->userspace_addr;
	new->flags = mem->flags;
	/* (kvm_replace_memslot() frees @old.) */
	start_logging = old && old->base_gfn == base_gfn &&
			(new->flags & KVM_MEM_LOG_DIRTY_PAGES) &&
			!(old->flags & KVM_MEM_LOG_DIRTY_PAGES);
	r = kvm_slot_dirty_bitmap(old, new);
	if (!r)
		r = kvm_replace_memslot(kvm, as_id, id, old, new);
	if (r) {
		if (old && !old->dirty_bitmap && new->dirty_bitmap &&
		    (old->flags & KVM_MEM_LOG_DIRTY_PAGES))
			old->dirty_bitmap = new->dirty_bitmap;	/* give it back */
		else
			kvfree(new->dirty_bitmap);
		kfree(new);
		return r;
	}
	if (start_logging)
		kvm_slot_start_logging(kvm, new);
	return 0;
}

int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region *mem)
{
	int r;

	mutex_lock(&kvm->slots_lock);
	r = __kvm_set_memory_region(kvm, mem);
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* VM creation: an empty set per address space. */
int kvm_alloc_memslots(struct kvm *kvm)
{
	int i;

	for (i = 0; i < KVM_ADDRESS_SPACE_NUM; i++) {
		struct kvm_memslots *slots;

		slots = kvzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);
		if (!slots) {
			kvm_free_memslots(kvm);
			return -ENOMEM;
		}
		RCU_INIT_POINTER(kvm->memslots[i], slots);
	}
	return 0;
}

/* VM teardown (or failed creation): nobody else can see the VM. */
void kvm_free_memslots(struct kvm *kvm)
{
	int as_id, i;

	for (as_id = 0; as_id < KVM_ADDRESS_SPACE_NUM; as_id++) {
		struct kvm_memslots *slots;

		slots = rcu_dereference_protected(kvm->memslots[as_id], 1);
		if (!slots)
			continue;
		for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
			if (slots->by_id[i])
				kvfree(slots->by_id[i]->dirty_bitmap);
			kfree(slots->by_id[i]);
		}
		kvfree(slots);
		RCU_INIT_POINTER(kvm->memslots[as_id], NULL);
	}
}
