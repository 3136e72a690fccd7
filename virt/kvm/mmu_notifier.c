// SPDX-License-Identifier: GPL-2.0
/*
 * MMU notifier: guest memory is the VMM's ordinary memory, so when the
 * kernel unmaps, migrates, swaps or merges one of its pages, the guest's
 * mapping of it goes first.  Faults that looked a page up while an
 * invalidation ran see the sequence change and retry (see
 * kvm_mmu_invalidate_retry()).
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include <kestrel/kvm_host.h>

static struct kvm *mn_to_kvm(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvm, mmu_notifier);
}

/* Zap every gfn backed by [start, end) of the VMM's address space. */
static bool kvm_unmap_hva_range_as(struct kvm *kvm, int as_id,
				   unsigned long start, unsigned long end)
{
	struct kvm_memslots *slots = srcu_dereference(kvm->memslots[as_id],
						      &kvm->srcu);
	bool flush = false;
	int i;

	for (i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->sorted[i];
		unsigned long s_end = s->userspace_addr + (s->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s->userspace_addr);
		unsigned long hi = min(end, s_end);
		gfn_t first, last;

		if (lo >= hi)
			continue;
		first = s->base_gfn + ((lo - s->userspace_addr) >> PAGE_SHIFT);
		last = s->base_gfn + ((hi - s->userspace_addr - 1) >> PAGE_SHIFT);
		flush |= kvm_arch_unmap_gfn_range(kvm, first, last + 1);
	}
	return flush;
}

/* In every address space: one page may back slots in several. */
static bool kvm_unmap_hva_range(struct kvm *kvm, unsigned long start,
				unsigned long end)
{
	bool flush = false;
	int i;

	for (i = 0; i < KVM_ADDRESS_SPACE_NUM; i++)
		flush |= kvm_unmap_hva_range_as(kvm, i, start, end);
	return flush;
}

static int kvm_mmu_notifier_invalidate_range_start(struct mmu_notifier *mn,
						   const struct mmu_notifier_range *range)
{
	struct kvm *kvm = mn_to_kvm(mn);
	int idx = srcu_read_lock(&kvm->srcu);

	spin_lock(&kvm->mmu_lock);
	kvm->mmu_invalidate_in_progress++;
	if (kvm_unmap_hva_range(kvm, range->start, range->end))
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
	srcu_read_unlock(&kvm->srcu, idx);
	return 0;
}

static void kvm_mmu_notifier_invalidate_range_end(struct mmu_notifier *mn,
						  const struct mmu_notifier_range *range)
{
	struct kvm *kvm = mn_to_kvm(mn);

	spin_lock(&kvm->mmu_lock);
	kvm->mmu_invalidate_seq++;
	kvm->mmu_invalidate_in_progress--;
	spin_unlock(&kvm->mmu_lock);
}

/*
 * Accessed-bit aging: guest accesses are not tracked yet, so guest pages
 * look idle to reclaim.  Reclaim then unmaps them through
 * invalidate_range_start, which is correct, only less clever.
 */
static int kvm_mmu_notifier_clear_flush_young(struct mmu_notifier *mn,
					      struct mm_struct *mm,
					      unsigned long start,
					      unsigned long end)
{
	return 0;
}

/* The whole address space goes away (the VMM exits before the VM fd). */
static void kvm_mmu_notifier_release(struct mmu_notifier *mn,
				     struct mm_struct *mm)
{
	struct kvm *kvm = mn_to_kvm(mn);

	spin_lock(&kvm->mmu_lock);
	if (kvm_arch_unmap_gfn_range(kvm, 0, ~0ULL))
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
}

static const struct mmu_notifier_ops kvm_mmu_notifier_ops = {
	.invalidate_range_start	= kvm_mmu_notifier_invalidate_range_start,
	.invalidate_range_end	= kvm_mmu_notifier_invalidate_range_end,
	.clear_flush_young	= kvm_mmu_notifier_clear_flush_young,
	.release		= kvm_mmu_notifier_release,
};

int kvm_init_mmu_notifier(struct kvm *kvm)
{
	kvm->mmu_notifier.ops = &kvm_mmu_notifier_ops;
	return mmu_notifier_register(&kvm->mmu_notifier, current->mm);
}
