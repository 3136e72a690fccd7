// SPDX-License-Identifier: GPL-2.0
/*
 * Two-dimensional paging (AMD NPT, Intel EPT): the guest-physical
 * to host-physical page tables, built lazily from the memory slots on
 * nested page faults and torn down by the MMU notifier.
 *
 * Host pages are looked up with get_user_pages on demand and their
 * reference dropped once mapped, as KVM does: the MMU notifier zaps the
 * mapping before the kernel frees, migrates, swaps or merges the page, so
 * nothing stays pinned.  Only 4 KiB leaves are built; the walk is written
 * per level so 2 MiB leaves can come later.
 *
 * NPT entries have the format of the host's long-mode page tables, and
 * the table depth follows the host's paging mode: 5 levels under LA57 (AMD
 * APM vol. 2, 15.25.3 "Nested Paging and the host paging mode").  Every
 * entry has U/S set, since the nested walk treats all guest accesses as
 * user accesses (APM 15.25.5).  EPT entries have their own format (SDM
 * vol. 3C, 28.3.2): read/write/execute in bits 2:0 and, in leaves, the
 * memory type in bits 5:3.  The backend says which bits to use
 * (kvm_x86_ops->tdp_bits); bit 0 is "present" in both formats (NPT P, EPT
 * R), and every entry built here has it.
 *
 * One root per memslot address space: vCPUs in SMM walk the tables built
 * from address space 1 (KVM's role.smm), the others those of address
 * space 0.  Zaps, which come by gfn, clear both: an address space 1 slot
 * often aliases address space 0 memory (QEMU's SMRAM overlay).
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <asm/io.h>

#include <kestrel/kvm_host.h>
#include "../x86.h"

#define TDP_PRESENT	BIT_ULL(0)

/* NPT: the host's long-mode format, with U/S set everywhere (APM 15.25.5). */
const struct kvm_tdp_pte_bits kvm_tdp_npt_bits = {
	.table		= _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,
	.leaf		= _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED,
	.writable	= _PAGE_RW | _PAGE_DIRTY,
};

static unsigned int tdp_index(gfn_t gfn, int level)
{
	return (gfn >> ((level - 1) * 9)) & (PTRS_PER_PTE - 1);
}

static u64 *tdp_child(u64 entry)
{
	return __va(entry & PTE_PFN_MASK);
}

int kvm_mmu_init_vm(struct kvm *kvm)
{
	int i;

	kvm->arch.tdp_levels = pgtable_l5_enabled() ? 5 : 4;
	for (i = 0; i < KVM_ADDRESS_SPACE_NUM; i++) {
		kvm->arch.tdp_root[i] = alloc_page(GFP_KERNEL_ACCOUNT |
						   __GFP_ZERO);
		if (!kvm->arch.tdp_root[i]) {
			kvm_mmu_destroy_vm(kvm);
			return -ENOMEM;
		}
	}
	return 0;
}

static void tdp_free_table(u64 *table, int level)
{
	int i;

	for (i = 0; level > 1 && i < PTRS_PER_PTE; i++)
		if (table[i] & TDP_PRESENT)
			tdp_free_table(tdp_child(table[i]), level - 1);
	free_page((unsigned long)table);
}

void kvm_mmu_destroy_vm(struct kvm *kvm)
{
	int i;

	for (i = 0; i < KVM_ADDRESS_SPACE_NUM; i++) {
		if (kvm->arch.tdp_root[i])
			tdp_free_table(page_address(kvm->arch.tdp_root[i]),
				       kvm->arch.tdp_levels);
		kvm->arch.tdp_root[i] = NULL;
	}
}

/* Guest-physical addresses are as wide as the host's MAXPHYADDR. */
gfn_t kvm_arch_max_gfn(void)
{
	return (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;
}

/* The root for @vcpu's current address space (nCR3 at each entry). */
hpa_t kvm_mmu_root_hpa(struct kvm_vcpu *vcpu)
{
	return page_to_phys(vcpu->kvm->arch.tdp_root[kvm_arch_vcpu_memslots_id(vcpu)]);
}

/* Table pages are allocated before mmu_lock is taken, then used under it. */
static int mmu_topup_cache(struct kvm_vcpu *vcpu)
{
	struct kvm_mmu_memory_cache *c = &vcpu->arch.mmu_cache;

	while (c->nobjs < vcpu->kvm->arch.tdp_levels - 1) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->objects[c->nobjs++] = p;
	}
	return 0;
}

void kvm_mmu_free_cache(struct kvm_vcpu *vcpu)
{
	struct kvm_mmu_memory_cache *c = &vcpu->arch.mmu_cache;

	while (c->nobjs)
		free_page((unsigned long)c->objects[--c->nobjs]);
}

/*
 * Point @gfn at @pfn.  Returns true when a present entry was changed, in
 * which case the old translation may still be cached.
 */
static bool tdp_map(struct kvm_vcpu *vcpu, gfn_t gfn, unsigned long pfn,
		    bool writable)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_mmu_memory_cache *c = &vcpu->arch.mmu_cache;
	const struct kvm_tdp_pte_bits *bits = kvm_x86_ops->tdp_bits;
	int as_id = kvm_arch_vcpu_memslots_id(vcpu);
	u64 *table = page_address(kvm->arch.tdp_root[as_id]);
	u64 new, old, *leaf;
	int level;

	lockdep_assert_held(&kvm->mmu_lock);
	for (level = kvm->arch.tdp_levels; level > 1; level--) {
		u64 *e = &table[tdp_index(gfn, level)];

		if (!(*e & TDP_PRESENT)) {
			void *child = c->objects[--c->nobjs];

			WRITE_ONCE(*e, __pa(child) | bits->table);
		}
		table = tdp_child(*e);
	}
	leaf = &table[tdp_index(gfn, 1)];
	new = ((u64)pfn << PAGE_SHIFT) | bits->leaf |
	      (writable ? bits->writable : 0);
	old = READ_ONCE(*leaf);
	WRITE_ONCE(*leaf, new);
	return (old & TDP_PRESENT) && old != new;
}

/*
 * A table whose whole span is zapped is unhooked from its parent and put
 * on @detached (its level in page->private), to be freed once no CPU can
 * still walk it; a partly zapped one is descended into.
 */
static bool tdp_zap(u64 *table, int level, gfn_t base, gfn_t start, gfn_t end,
		    struct list_head *detached)
{
	gfn_t span = 1ULL << ((level - 1) * 9);
	bool flush = false;
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		gfn_t lo = base + i * span;
		u64 e = table[i];
		struct page *child;

		if (lo >= end || lo + span <= start || !(e & TDP_PRESENT))
			continue;
		flush = true;
		if (level == 1) {
			WRITE_ONCE(table[i], 0);
		} else if (lo >= start && lo + span <= end) {
			WRITE_ONCE(table[i], 0);
			child = virt_to_page(tdp_child(e));
			set_page_private(child, level - 1);
			list_add(&child->lru, detached);
		} else {
			tdp_zap(tdp_child(e), level - 1, lo, start, end,
				detached);
		}
	}
	return flush;
}

/*
 * Zap [start, end).  Unhooked tables are freed here, after a TLB flush
 * that makes every vCPU leave guest mode and flush on its next entry: from
 * then on no hardware walk can reach them (APM vol. 2, 15.16: the TLB and
 * the nested paging structures are cached per ASID until flushed).  So a
 * VMM moving or deleting slots, or the host reclaiming memory, does not
 * leave empty tables behind until the VM dies.  Returns whether the
 * caller still owes a TLB flush.
 */
bool kvm_arch_unmap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end)
{
	LIST_HEAD(detached);
	struct page *page, *next;
	bool flush = false;
	int i;

	lockdep_assert_held(&kvm->mmu_lock);
	if (start >= end)
		return false;
	for (i = 0; i < KVM_ADDRESS_SPACE_NUM; i++)
		if (kvm->arch.tdp_root[i])
			flush |= tdp_zap(page_address(kvm->arch.tdp_root[i]),
					 kvm->arch.tdp_levels, 0, start, end,
					 &detached);
	if (list_empty(&detached))
		return flush;
	kvm_flush_remote_tlbs(kvm);
	list_for_each_entry_safe(page, next, &detached, lru) {
		int level = page_private(page);

		list_del_init(&page->lru);
		set_page_private(page, 0);
		tdp_free_table(page_address(page), level);
	}
	return false;
}

/*
 * Map the RAM page behind @gfn.  A read fault maps the page read-only, as
 * get_user_pages gave it (possibly the shared zero page, or a KSM page);
 * the first write faults again and gets a private writable page.
 */
static int tdp_fault_in(struct kvm_vcpu *vcpu, struct kvm_memory_slot *slot,
			gfn_t gfn, bool write)
{
	struct kvm *kvm = vcpu->kvm;
	unsigned long seq;
	struct page *page;
	bool stale = false;
	int r;

	r = mmu_topup_cache(vcpu);
	if (r)
		return r;
	seq = kvm->mmu_invalidate_seq;
	smp_rmb();	/* read seq before looking the page up */
	if (get_user_pages_unlocked(kvm_gfn_to_hva(slot, gfn), 1, &page,
				    write ? FOLL_WRITE : 0) != 1)
		return -EFAULT;

	spin_lock(&kvm->mmu_lock);
	/*
	 * If an invalidation raced with the lookup, let the guest fault again.
	 * A writable mapping and its dirty bit appear together under the
	 * lock, so KVM_GET_DIRTY_LOG never zaps one without the other.
	 */
	if (!kvm_mmu_invalidate_retry(kvm, seq)) {
		stale = tdp_map(vcpu, gfn, page_to_pfn(page), write);
		if (write)
			kvm_mark_page_dirty(slot, gfn);
	}
	if (stale)
		kvm_flush_remote_tlbs(kvm);
	spin_unlock(&kvm->mmu_lock);
	put_page(page);
	return 1;
}

/*
 * A nested page fault at @gpa: RAM is mapped in, anything else (no slot,
 * or a write to a read-only slot) is MMIO for the emulator.
 */
int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write)
{
	struct kvm *kvm = vcpu->kvm;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	bool ram;
	int idx, r = 0;

	idx = srcu_read_lock(&kvm->srcu);
	slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn);
	ram = slot && !(write && (slot->flags & KVM_MEM_READONLY)) &&
	      !(gfn >> (9 * kvm->arch.tdp_levels));
	if (ram)
		r = tdp_fault_in(vcpu, slot, gfn, write);
	srcu_read_unlock(&kvm->srcu, idx);
	return ram ? r : kvm_emulate_mmio(vcpu, gpa);
}
