/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 parts of a VM and a vCPU that the generic core embeds.  Vendor
 * state (VMCB, VMCS) lives in the backend's own structure around the vCPU.
 */
#ifndef KESTREL_KVM_ARCH_H
#define KESTREL_KVM_ARCH_H

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/types.h>
#include <asm/fpu/types.h>
#include <asm/kvm_vcpu_regs.h>
#include <kestrel/kvmclock_types.h>

struct kvm_vcpu;
struct kvm_cpuid_entry2;
struct kvm_vcpu_msrs;			/* msr.h */
struct kvm_vm_msrs;			/* msr.h */
struct kvm_lapic;			/* lapic.h */
struct kvm_irq_routing_table;		/* irq_routing.h */
struct kvm_vpit;			/* pit.c */
struct kvm_irqchips;			/* irqchip.c */

enum kvm_reg {
	VCPU_REGS_RAX = __VCPU_REGS_RAX,
	VCPU_REGS_RCX = __VCPU_REGS_RCX,
	VCPU_REGS_RDX = __VCPU_REGS_RDX,
	VCPU_REGS_RBX = __VCPU_REGS_RBX,
	VCPU_REGS_RSP = __VCPU_REGS_RSP,
	VCPU_REGS_RBP = __VCPU_REGS_RBP,
	VCPU_REGS_RSI = __VCPU_REGS_RSI,
	VCPU_REGS_RDI = __VCPU_REGS_RDI,
	VCPU_REGS_R8 = __VCPU_REGS_R8,
	VCPU_REGS_R9 = __VCPU_REGS_R9,
	VCPU_REGS_R10 = __VCPU_REGS_R10,
	VCPU_REGS_R11 = __VCPU_REGS_R11,
	VCPU_REGS_R12 = __VCPU_REGS_R12,
	VCPU_REGS_R13 = __VCPU_REGS_R13,
	VCPU_REGS_R14 = __VCPU_REGS_R14,
	VCPU_REGS_R15 = __VCPU_REGS_R15,
	NR_VCPU_REGS
};

/*
 * Memslot address spaces (KVM_CAP_MULTI_ADDRESS_SPACE): 0 for normal
 * operation, 1 for System Management Mode, where the VMM puts SMRAM.
 */
#define KVM_ADDRESS_SPACE_NUM	2
#define kvm_arch_vcpu_memslots_id(vcpu)	((vcpu)->arch.smm.in_smm ? 1 : 0)

/* Power-up values: SDM vol. 3B, 18.2.3-18.2.4. */
#define DR6_RESET		0xffff0ff0UL
#define DR7_RESET		0x400UL

struct kvm_arch {
	/*
	 * Roots of the nested (NPT) / extended (EPT) page tables, one per
	 * memslot address space (mmu/mmu.c).
	 */
	struct page *tdp_root[KVM_ADDRESS_SPACE_NUM];
	int tdp_levels;
	struct kvm_vm_msrs *msrs;	/* MSR filter, user-space MSR exits */
	struct kvm_clock clock;		/* kvmclock.c */
	/*
	 * KVM_IRQCHIP_* (irq.h): none, split (KVM_CAP_SPLIT_IRQCHIP: LAPICs
	 * in the kernel) or kernel (KVM_CREATE_IRQCHIP: also the PIC and
	 * IOAPIC).  Set once, before any vCPU, with smp_store_release().
	 */
	u8 irqchip_mode;
	u32 nr_reserved_ioapic_pins;
	/*
	 * KVM_CAP_X2APIC_API (api.rst 7.7), set once and never cleared:
	 * 32-bit x2APIC IDs in MSIs and KVM_GET/SET_LAPIC, and no xAPIC
	 * broadcast ID 0xff in x2APIC mode.
	 */
	bool x2apic_format;
	bool x2apic_broadcast_quirk_disabled;
	/* KVM_CREATE_IRQCHIP's PIC and IOAPIC (irq.c), or NULL. */
	struct kvm_irqchips *irqchip;
	/*
	 * GSI routing (irq.c): published under irq_lock with RCU; also
	 * serializes the ack notifier list and the irq source ids.
	 */
	struct mutex irq_lock;
	struct kvm_irq_routing_table __rcu *irq_routing;
	struct hlist_head irq_ack_notifier_list;	/* RCU */
	struct hlist_head irq_mask_notifier_list;	/* RCU */
	unsigned long irq_sources_bitmap;
	/* KVM_CREATE_PIT2 (pit.c): set once under kvm->lock, then read-only. */
	struct kvm_vpit *vpit;
	/* KVM_SET_BOOT_CPU_ID: set under kvm->lock before any vCPU exists. */
	u32 bsp_vcpu_id;
	/* KVM_CAP_DISABLE_QUIRKS(2): KVM_X86_QUIRK_* turned off (x86.c). */
	u64 disabled_quirks;
};

/* MSR_KVM_STEAL_TIME (steal_time.c); the vCPU thread only. */
struct kvm_steal_time_state {
	u64 msr;			/* as the guest wrote it */
	u64 last_steal;			/* run_delay at the last update */
	bool update;			/* account run_delay before entry */
};

/*
 * Binary statistics (KVM_GET_STATS_FD, virt/kvm/stats.c): the x86
 * counters, each a u64 the vCPU thread increments.  Named as in KVM.
 */
struct kvm_vcpu_stat_arch {
	u64 exits;
	u64 io_exits;
	u64 mmio_exits;
	u64 signal_exits;
	u64 halt_exits;
	u64 irq_injections;
	u64 nmi_injections;
	u64 hypercalls;
	u64 directed_yield_attempted;
	u64 preemption_reported;
};

/* A guest instruction that needs userspace to finish: KVM_EXIT_IO/MMIO. */
struct kvm_pio_request {
	u16 port;
	u8 size;			/* 1, 2, 4 */
	bool in;
	u32 count;			/* iterations in the PIO page */
	unsigned long next_rip;
};

struct kvm_mmio_request {
	u64 gpa;
	u8 len;
	bool is_write;
	bool completed;			/* data holds userspace's answer */
	u8 data[8];
};

/* INS/OUTS in progress: see exits.c. */
struct kvm_string_pio {
	u64 base;			/* segment base */
	int index;			/* VCPU_REGS_RSI or VCPU_REGS_RDI */
	u64 mask;			/* address-size mask */
	u32 n;				/* elements this exit */
	bool rep;
	bool la32;			/* linear addresses wrap at 4 GiB */
};

/* Pages the nested page tables may need in one fault. */
struct kvm_mmu_memory_cache {
	int nobjs;
	void *objects[8];
};

/*
 * Events, as KVM models them: "pending" is not yet delivered, "injected"
 * is being delivered (in EVENTINJ, or interrupted by an exit and to be
 * delivered again).
 */
struct kvm_queued_exception {
	bool pending;
	bool injected;
	u8 vector;
	bool has_error_code;
	u32 error_code;
	/*
	 * #BP/#OF stand for the guest's INT3/INTO/INT n at RIP, which is
	 * stepped over when they are injected (KVM does the same): the
	 * instruction's length, decoded before entry (0: not there, the
	 * exception is dropped as in KVM 6.1), and RIP before and after
	 * the step while the delivery may still be interrupted.
	 */
	u8 soft_len;
	bool soft_injected;
	unsigned long soft_old_rip;
	unsigned long soft_next_rip;
};

struct kvm_queued_interrupt {
	bool injected;
	bool soft;
	u8 nr;
};

/*
 * System Management Mode (smm.c).  The vCPU thread only, except that
 * other vCPUs' SMI IPIs arrive through apic_smi.
 */
struct kvm_vcpu_smm {
	bool in_smm;
	bool inside_nmi;		/* NMIs were masked at the SMI */
	bool smi_pending;
	u64 smbase;			/* MSR_IA32_SMBASE, host-written */
	u64 smi_count;			/* MSR_SMI_COUNT */
};

struct kvm_vcpu_arch {
	/*
	 * The guest's registers while outside guest mode; the backend moves
	 * them to and from its own structures around each entry.
	 */
	unsigned long regs[NR_VCPU_REGS];
	unsigned long rip;
	unsigned long rflags;
	unsigned long cr0, cr2, cr3, cr4;
	u64 efer;
	u64 apic_base;
	unsigned long db[4];		/* DR0-DR3, see kvm_emulate_mov_dr() */
	unsigned long dr6, dr7;
	u32 virtual_tsc_khz;		/* KVM_GET/SET_TSC_KHZ */

	/* KVM_SET_GUEST_DEBUG: KVM_GUESTDBG_* and the debugger's DR0-3, DR7. */
	u32 guest_debug;
	unsigned long guest_debug_db[4];
	unsigned long guest_debug_dr7;
	bool singlestep_tf;		/* Kestrel set RFLAGS.TF, not the guest */
	u64 xcr0;
	u32 pkru;
	u32 host_pkru;			/* the VMM thread's, while the guest's is in */
	bool xsave_state_loaded;	/* guest XCR0/PKRU are in the CPU */

	struct fpu_guest guest_fpu;

	/* KVM_SET_CPUID2's table, and whether the vCPU has run (cpuid.c). */
	struct kvm_cpuid_entry2 *cpuid_entries;
	int cpuid_nent;
	bool has_run;
	struct kvm_vcpu_msrs *msrs;	/* msr.c */
	long tlb_flush_gen;		/* the VM generation last flushed */
	bool flush_guest_tlb;		/* the guest's own TLB, before entry */
	bool triple_fault_pending;	/* KVM_EXIT_SHUTDOWN at the next run */
	/*
	 * PAE paging's four PDPTE registers, valid when pdptrs_cached:
	 * loaded from guest memory at KVM_SET_SREGS and at the paging
	 * changes Kestrel emulates (kvm_load_pdptrs), KVM_SET_SREGS2's, or
	 * saved by the CPU at VM exit (VMX with EPT).  With nested paging
	 * the CPU has no such registers: not cached once the vCPU ran.
	 */
	u64 pdptrs[4];
	bool pdptrs_cached;

	/* Run on the next KVM_RUN before anything else; 1: go on. */
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	struct kvm_pio_request pio;
	struct kvm_string_pio string_pio;
	struct kvm_mmio_request mmio;
	/* Instruction bytes the CPU fetched for us (decode assists), once. */
	u8 insn_bytes[15];
	u8 insn_len;
	struct kvm_mmu_memory_cache mmu_cache;
	struct kvm_queued_exception exception;
	struct kvm_queued_interrupt interrupt;
	/*
	 * NMIs (SDM vol. 3A, 6.7.1): one being delivered, how many wait
	 * (at most one beyond the one being handled), and whether NMIs are
	 * blocked, from delivery until the handler's IRET completes.
	 */
	bool nmi_injected;
	u8 nmi_pending;
	bool nmi_masked;
	struct kvm_vcpu_clock clock;	/* kvmclock.c */

	/* The in-kernel LAPIC (lapic.c), NULL when the VMM has its own. */
	struct kvm_lapic *apic;
	u32 mp_state;			/* KVM_MP_STATE_*, with an APIC */
	int extint_pending;		/* split irqchip KVM_INTERRUPT, or -1 */
	/* Left by senders under the APIC lock, taken by the vCPU thread. */
	atomic_t apic_nmi;
	bool apic_init;
	bool apic_sipi;
	bool apic_smi;
	u8 apic_sipi_vector;
	/*
	 * Split irqchip: vectors whose EOI userspace's IOAPIC must hear of
	 * (KVM_EXIT_IOAPIC_EOI), from the level-triggered MSI routes of its
	 * pins; recomputed by the vCPU thread when scan_ioapic is set.
	 */
	DECLARE_BITMAP(ioapic_handled_vectors, 256);
	atomic_t scan_ioapic;
	int pending_ioapic_eoi;		/* vector, or -1 */
	struct kvm_steal_time_state st;
	struct kvm_vcpu_smm smm;
	struct kvm_vcpu_stat_arch stat;
};

#endif /* KESTREL_KVM_ARCH_H */
