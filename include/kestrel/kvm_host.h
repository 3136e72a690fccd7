/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kestrel's generic core: VMs, vCPUs, memory slots, and the interface
 * between the core (virt/kvm) and the architecture (arch/x86/kvm).
 *
 * The architecture's own parts of a VM and a vCPU (struct kvm_arch,
 * struct kvm_vcpu_arch) come from <kestrel/kvm_arch.h>; nothing here or
 * there is specific to SVM or VMX.
 */
#ifndef KESTREL_KVM_HOST_H
#define KESTREL_KVM_HOST_H

#include <linux/atomic.h>
#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <kestrel/kvm_arch.h>

#define KVM_MAX_VCPUS		256
#define KVM_MAX_VCPU_IDS	1024
#define KVM_USER_MEM_SLOTS	512
/* Largest slot KVM accepts (include/linux/kvm_host.h's KVM_MEM_MAX_NR_PAGES). */
#define KVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

typedef u64 gpa_t;
typedef u64 gfn_t;
typedef u64 gva_t;
typedef u64 hpa_t;

struct kvm_memory_slot {
	gfn_t base_gfn;
	unsigned long npages;
	unsigned long userspace_addr;
	u32 flags;
	u16 id;
	/* KVM_MEM_LOG_DIRTY_PAGES: a bit per page written (dirty_log.c) */
	unsigned long *dirty_bitmap;
};

/*
 * A memslot set is immutable once published: updates build a new set,
 * publish it with rcu_assign_pointer() and free the old one after an SRCU
 * grace period, so the fault path looks slots up without locks.
 */
struct kvm_memslots {
	int nr;					/* slots in use */
	/* sorted by base_gfn, for the binary search in the fault path */
	struct kvm_memory_slot *sorted[KVM_USER_MEM_SLOTS];
	struct kvm_memory_slot *by_id[KVM_USER_MEM_SLOTS];
};

/*
 * The in-kernel I/O bus (virt/kvm/io_bus.c): devices that answer guest
 * MMIO and port I/O without an exit to userspace (ioeventfds, coalesced
 * MMIO zones, later the LAPIC, IOAPIC, PIC and PIT).
 *
 * A device covers [addr, addr + len), or exactly addr when len is 0, and
 * is offered every access that lies wholly inside what it covers.  Several
 * devices may cover one address: they are tried in (addr, len) order until
 * one accepts.  A callback returns 0 when it handled the access and
 * -EOPNOTSUPP when the access is "not mine" (the next device, and in the
 * end userspace, gets it).  Callbacks run on the vCPU thread inside an SRCU
 * read section of kvm->srcu: they may sleep only as SRCU allows, and must
 * not take kvm->slots_lock.
 */
enum kvm_bus {
	KVM_MMIO_BUS,
	KVM_PIO_BUS,
	/*
	 * s390's virtio-ccw notifications.  KVM accepts ioeventfds for it on
	 * every architecture; on x86 no access ever reaches it.
	 */
	KVM_VIRTIO_CCW_NOTIFY_BUS,
	KVM_NR_BUSES
};

/* Devices per bus, ioeventfds not counted (KVM's NR_IOBUS_DEVS). */
#define NR_IOBUS_DEVS		1000

struct kvm_io_device;

struct kvm_io_device_ops {
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		    gpa_t addr, int len, void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		     gpa_t addr, int len, const void *val);
	/* At VM destruction, for every device still registered. */
	void (*destructor)(struct kvm_io_device *dev);
};

struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
};

struct kvm_io_range {
	gpa_t addr;
	u64 len;			/* 0: exactly addr */
	struct kvm_io_device *dev;
	bool ioeventfd;			/* not counted against NR_IOBUS_DEVS */
};

/* Immutable once published; NULL stands for an empty bus. */
struct kvm_io_bus {
	int dev_count;
	int ioeventfd_count;
	u64 max_len;			/* bounds the lookup, see io_bus.c */
	struct kvm_io_range range[];
};

/*
 * KVM_IRQFD (eventfd.c).  @lock is taken from eventfd wakeups (interrupts
 * off, under the eventfd's wait-queue lock): irqfds only, no sleeping.
 * @mutex serializes assign and deassign and guards the resamplers; it is
 * taken before the arch's irq lock (ack notifier registration).
 */
struct kvm_irqfds {
	spinlock_t lock;		/* items */
	struct list_head items;		/* active irqfds */
	struct mutex mutex;		/* assign/deassign, resamplers */
	struct list_head resamplers;	/* one per resampled GSI */
};

/*
 * Binary statistics (KVM_GET_STATS_FD, virt/kvm/stats.c): a u64 counter at
 * @offset bytes into the VM's struct kvm_vm_stat or the vCPU's struct
 * kvm_vcpu_stat_arch, with its KVM_STATS_* type, unit and base.
 */
#define KVM_STATS_NAME_SIZE	48	/* id and name fields, as KVM's */

struct kvm_stat_desc {
	const char *name;
	u32 flags;
	u32 offset;
};

/* Bumped by any thread: atomics (u64-sized, read as u64 by the fd). */
struct kvm_vm_stat {
	atomic64_t remote_tlb_flush;		/* flushes done */
	atomic64_t remote_tlb_flush_requests;	/* flushes asked for */
};

/* The architecture's vCPU statistics (arch/x86/kvm/stats.c). */
extern const struct kvm_stat_desc kvm_vcpu_stats_desc[];
extern const int kvm_vcpu_stats_count;

struct kvm {
	struct mm_struct *mm;		/* the creating process's, mmgrab()ed */
	refcount_t users;		/* VM fd and every vCPU fd */

	struct mutex lock;		/* vCPU creation */
	int created_vcpus;		/* being built or built; kvm->lock */
	/* vCPU ids below this (KVM_CAP_MAX_VCPU_ID); 0: not fixed yet */
	u32 max_vcpu_ids;
	struct xarray vcpus;		/* index -> struct kvm_vcpu */
	atomic_t nr_vcpus;

	struct mutex slots_lock;	/* serializes memslot updates */
	struct srcu_struct srcu;	/* protects memslots for readers */
	struct kvm_memslots __rcu *memslots;

	/*
	 * mmu_lock protects the guest physical mappings (NPT/EPT) and the
	 * invalidation sequence below, with which a fault that looked up a
	 * host page outside the lock detects a racing invalidation.
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	struct mmu_notifier mmu_notifier;
	/* Bumped when mappings were zapped: vCPUs flush before entering. */
	atomic_long_t tlb_flush_gen;

	/* Published under slots_lock, read under srcu (io_bus.c). */
	struct kvm_io_bus __rcu *buses[KVM_NR_BUSES];
	struct list_head ioeventfds;		/* eventfd.c, slots_lock */
	struct list_head coalesced_zones;	/* coalesced_mmio.c, slots_lock */
	/* Shared with userspace: every vCPU's mmap page COALESCED_MMIO. */
	struct kvm_coalesced_mmio_ring *coalesced_mmio_ring;
	spinlock_t ring_lock;			/* writers of the ring */
	struct kvm_irqfds irqfds;		/* eventfd.c */
	struct kvm_vm_stat stat;
	/* "kvm-PID" of the creating thread, as KVM's (stats.c) */
	char stats_id[KVM_STATS_NAME_SIZE];

	struct kvm_arch arch;
};

enum vcpu_mode {
	OUTSIDE_GUEST_MODE,
	IN_GUEST_MODE,
};

struct kvm_vcpu {
	struct kvm *kvm;
	u32 vcpu_id;
	int vcpu_idx;
	int cpu;			/* host CPU it was last loaded on */
	int mode;			/* enum vcpu_mode, read by kickers */
	struct mutex mutex;		/* one ioctl at a time */
	struct kvm_run *run;		/* shared with userspace (mmap page 0) */
	struct page *pio_page;		/* mmap page KVM_PIO_PAGE_OFFSET */
	struct preempt_notifier preempt_notifier;
	/* Scheduled out while runnable (not blocked); the vCPU thread only. */
	bool preempted;
	/* "kvm-PID/vcpu-ID" of the creating thread (stats.c) */
	char stats_id[KVM_STATS_NAME_SIZE];
	/* KVM_SET_SIGNAL_MASK: the signal mask while in KVM_RUN */
	bool sigset_active;
	sigset_t sigset;
	struct kvm_vcpu_arch arch;
};

static inline struct kvm_memslots *kvm_memslots(struct kvm *kvm)
{
	return srcu_dereference_check(kvm->memslots, &kvm->srcu,
				      lockdep_is_held(&kvm->slots_lock));
}

struct kvm_memory_slot *kvm_gfn_to_memslot(struct kvm *kvm, gfn_t gfn);

static inline unsigned long kvm_gfn_to_hva(struct kvm_memory_slot *slot,
					   gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

/* Guest physical memory from the vCPU thread; 0 or -EFAULT. */
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len);
/* Dirty logging (dirty_log.c). */
unsigned long kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot);
int kvm_alloc_dirty_bitmap(struct kvm_memory_slot *slot);
void kvm_mark_page_dirty(struct kvm_memory_slot *slot, gfn_t gfn);
long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void __user *argp);
/* KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID) on a VM. */
int kvm_set_max_vcpu_id(struct kvm *kvm, u64 max);
int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data,
		    unsigned long len);

/* virt/kvm/memslot.c */
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region *mem);
void kvm_free_memslots(struct kvm *kvm);

/* virt/kvm/io_bus.c: register/unregister with kvm->slots_lock held. */
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			    gpa_t addr, u64 len, struct kvm_io_device *dev);
int kvm_io_bus_register_ioeventfd(struct kvm *kvm, enum kvm_bus bus_idx,
				  gpa_t addr, u64 len,
				  struct kvm_io_device *dev);
int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			      struct kvm_io_device *dev);
/* From the vCPU thread: 0 when a device handled the access. */
int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		    int len, void *val);
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		     int len, const void *val);
void kvm_io_bus_destroy(struct kvm *kvm);

/* virt/kvm/eventfd.c */
int kvm_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args);
int kvm_irqfd(struct kvm *kvm, const struct kvm_irqfd *args);
void kvm_irqfd_vm_init(struct kvm *kvm);
/* The VM fd is closing: every irqfd is gone, nothing runs, on return. */
void kvm_irqfd_release(struct kvm *kvm);
int kvm_irqfd_init(void);
void kvm_irqfd_exit(void);

/* virt/kvm/coalesced_mmio.c */
int kvm_coalesced_mmio_init(struct kvm *kvm);
void kvm_coalesced_mmio_free(struct kvm *kvm);
int kvm_vm_ioctl_register_coalesced_mmio(struct kvm *kvm,
					 const struct kvm_coalesced_mmio_zone *zone);
int kvm_vm_ioctl_unregister_coalesced_mmio(struct kvm *kvm,
					   const struct kvm_coalesced_mmio_zone *zone);

/* virt/kvm/stats.c: KVM_GET_STATS_FD */
int kvm_vm_stats_fd(struct kvm *kvm);
int kvm_vcpu_stats_fd(struct kvm_vcpu *vcpu);

/* A reference on the VM (the VM fd and every vCPU fd hold one). */
void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);

/* virt/kvm/mmu_notifier.c */
int kvm_init_mmu_notifier(struct kvm *kvm);

/*
 * True when an invalidation ran or is running since @seq was sampled: a
 * fault that looked up a page since then must not map it.  mmu_lock held.
 */
static inline bool kvm_mmu_invalidate_retry(struct kvm *kvm, unsigned long seq)
{
	lockdep_assert_held(&kvm->mmu_lock);
	return kvm->mmu_invalidate_in_progress ||
	       kvm->mmu_invalidate_seq != seq;
}

bool kvm_can_enter_guest(void);

/* Make every vCPU in guest mode exit, and wait until it has. */
void kvm_flush_remote_tlbs(struct kvm *kvm);

/*
 * Implemented by the architecture (arch/x86/kvm).
 */
int kvm_arch_init(void);
void kvm_arch_exit(void);
int kvm_arch_hardware_enable(void);
void kvm_arch_hardware_disable(void);

long kvm_arch_check_extension(long ext);
long kvm_arch_dev_ioctl(unsigned int ioctl, unsigned long arg);

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);
/* First step of VM destruction: no device may touch a vCPU after it. */
void kvm_arch_sync_events(struct kvm *kvm);
void kvm_arch_destroy_vm(struct kvm *kvm);
long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg);

/*
 * vCPU life cycle: alloc gives zeroed memory for the whole (backend) vCPU;
 * free undoes only that.  create sets it up; destroy undoes create and
 * frees the memory.
 */
struct kvm_vcpu *kvm_arch_vcpu_alloc(void);
void kvm_arch_vcpu_free(struct kvm_vcpu *vcpu);
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu);
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			 unsigned long arg);

/*
 * Interrupt lines (arch/x86/kvm/irq.c), for KVM_IRQ_LINE, irqfds and the
 * PIT.  A GSI goes through the VM's routing table to the in-kernel PIC
 * and IOAPIC pins (KVM_CREATE_IRQCHIP) or to an MSI.  Each source of a
 * shared line has its own id, and a line is high while any source holds
 * it high (KVM's irq_states).
 */
#define KVM_USERSPACE_IRQ_SOURCE_ID		0
#define KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID	1

/* Whether KVM_IRQFD and GSI routing may be used: any in-kernel irqchip. */
bool kvm_arch_irqchip_in_kernel(struct kvm *kvm);
/*
 * Whether this KVM_IRQFD assignment may be made (KVM 6.1's x86 rule: an
 * in-kernel irqchip, and for KVM_IRQFD_FLAG_RESAMPLE the full one of
 * KVM_CREATE_IRQCHIP, whose IOAPIC and PIC EOIs resample the line).
 */
bool kvm_arch_irqfd_allowed(struct kvm *kvm, const struct kvm_irqfd *args);
/* A free source id (-EFAULT when all are taken, as KVM), or put it back. */
int kvm_request_irq_source_id(struct kvm *kvm);
void kvm_free_irq_source_id(struct kvm *kvm, int irq_source_id);
/*
 * Set a GSI's level (an edge is 1 then 0).  Never sleeps: callable from
 * process context, softirqs and hrtimer callbacks.  Returns what
 * KVM_IRQ_LINE_STATUS reports: > 0 delivered (to that many), 0 coalesced
 * or masked, -1 for a GSI with no route.
 */
int kvm_set_irq(struct kvm *kvm, int irq_source_id, u32 gsi, int level,
		bool line_status);
/*
 * The same for callers that cannot even take a spinlock that may sleep
 * (PREEMPT_RT) or must not wait: the eventfd wakeup of an irqfd.
 * -EWOULDBLOCK when the route needs process context (then use
 * kvm_set_irq() from a work item).
 */
int kvm_set_irq_inatomic(struct kvm *kvm, int irq_source_id, u32 gsi,
			 int level);

/*
 * Told when the guest EOIs an interrupt of an irqchip pin routed from
 * @gsi (level-triggered IOAPIC entries, and PIC pins): irqfd resampling,
 * PIT reinjection.  Called without sleeping locks held; the callback must
 * not sleep.  Register and unregister may sleep (SRCU).
 */
struct kvm_irq_ack_notifier {
	struct hlist_node link;
	unsigned int gsi;
	void (*irq_acked)(struct kvm_irq_ack_notifier *kian);
};

void kvm_register_irq_ack_notifier(struct kvm *kvm,
				   struct kvm_irq_ack_notifier *kian);
void kvm_unregister_irq_ack_notifier(struct kvm *kvm,
				     struct kvm_irq_ack_notifier *kian);

/*
 * The routing table changed (KVM_SET_GSI_ROUTING, KVM_CREATE_IRQCHIP):
 * called by the arch with its routing lock held, after the new table is
 * published and before the old one is freed, so irqfds can follow.
 */
void kvm_irq_routing_update(struct kvm *kvm);

/* The highest gfn the guest-physical MMU can map. */
gfn_t kvm_arch_max_gfn(void);

/* Zap guest mappings of [start, end) gfns; true if a TLB flush is owed. */
bool kvm_arch_unmap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end);

void vcpu_load(struct kvm_vcpu *vcpu);
void vcpu_put(struct kvm_vcpu *vcpu);

#endif /* KESTREL_KVM_HOST_H */
