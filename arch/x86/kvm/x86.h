/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 layer's internal interface: the vendor backend ops table, and the
 * helpers backends call from their exit handlers.
 */
#ifndef KESTREL_ARCH_X86_KVM_X86_H
#define KESTREL_ARCH_X86_KVM_X86_H

#include <linux/kvm.h>
#include <linux/types.h>

#include <kestrel/kvm_host.h>

/* Segment register indices, as KVM numbers them. */
enum kvm_sreg {
	VCPU_SREG_ES,
	VCPU_SREG_CS,
	VCPU_SREG_SS,
	VCPU_SREG_DS,
	VCPU_SREG_FS,
	VCPU_SREG_GS,
	VCPU_SREG_TR,
	VCPU_SREG_LDTR,
};

/*
 * The bits of a two-dimensional paging entry (mmu/mmu.c), per format: in
 * every non-leaf entry, in every leaf, and in writable leaves.
 */
struct kvm_tdp_pte_bits {
	u64 table;
	u64 leaf;
	u64 writable;
};

extern const struct kvm_tdp_pte_bits kvm_tdp_npt_bits;

/*
 * One instance per backend (SVM, VMX), filled with designated
 * initializers and chosen once at module load.
 */
struct kvm_x86_ops {
	const char *name;
	/* The format of the nested/extended page tables. */
	const struct kvm_tdp_pte_bits *tdp_bits;

	/*
	 * Check that this CPU can run the backend and allocate global state.
	 * On refusal, print one line saying exactly why.
	 */
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	/* Turn virtualization on/off on the calling CPU. */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);

	/*
	 * The backend's vCPU embeds struct kvm_vcpu; see kvm_arch_vcpu_*.
	 * vcpu_destroy undoes vcpu_create (also when a later step of the
	 * creation fails); vcpu_free, always last, frees the vCPU itself.
	 */
	struct kvm_vcpu *(*vcpu_alloc)(void);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_destroy)(struct kvm_vcpu *vcpu);
	void (*vcpu_load)(struct kvm_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct kvm_vcpu *vcpu);

	/* State not kept in struct kvm_vcpu_arch. */
	void (*get_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var,
			    int seg);
	void (*set_segment)(struct kvm_vcpu *vcpu,
			    const struct kvm_segment *var, int seg);
	void (*get_dtable)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt,
			   bool idt);
	void (*set_dtable)(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt,
			   bool idt);

	/*
	 * MSRs the backend keeps in its own structures (the VMCB's syscall
	 * MSRs, FS/GS bases, guest PAT...): 0 when @index is one of them, 1
	 * when it is not and the caller must handle it.  Values are checked
	 * by the caller.
	 */
	int (*get_msr)(struct kvm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct kvm_vcpu *vcpu, u32 index, u64 data);
	/* The STI/MOV SS interrupt shadow, as KVM_X86_SHADOW_INT_* bits. */
	u32 (*get_interrupt_shadow)(struct kvm_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct kvm_vcpu *vcpu, u32 mask);
	/* The guest's CR8 (task priority), kept by the hardware. */
	u64 (*get_cr8)(struct kvm_vcpu *vcpu);
	void (*set_cr8)(struct kvm_vcpu *vcpu, u64 cr8);
	/* Exit on the guest's MOV to CR8 (TPR blocks a pending interrupt). */
	void (*set_cr8_intercept)(struct kvm_vcpu *vcpu, bool enable);
	/* Guest debugging changed: which exceptions to intercept. */
	void (*update_guest_debug)(struct kvm_vcpu *vcpu);
	/* Exit as soon as the guest can take an external interrupt. */
	void (*enable_irq_window)(struct kvm_vcpu *vcpu, bool enable);

	/*
	 * Put the event x86.c chose into the next entry: vcpu->arch.exception
	 * (injected), an NMI, or vcpu->arch.interrupt.  At most one per entry.
	 */
	void (*inject_exception)(struct kvm_vcpu *vcpu);
	void (*inject_nmi)(struct kvm_vcpu *vcpu);
	void (*inject_irq)(struct kvm_vcpu *vcpu);
	/*
	 * An NMI waits: exit at the next entry as soon as the guest may take
	 * it (vcpu->arch.nmi_masked cleared by the backend once the guest's
	 * IRET completed, or the interrupt shadow over).
	 */
	void (*enable_nmi_window)(struct kvm_vcpu *vcpu);
	/* Userspace set vcpu->arch.nmi_masked (KVM_SET_VCPU_EVENTS). */
	void (*set_nmi_mask)(struct kvm_vcpu *vcpu, bool masked);
	/*
	 * INIT (SDM vol. 3A, 9.1.1, table 9-1): the backend's guest state to
	 * its power-up values, keeping what belongs to the VMM (TSC offset,
	 * guest debugging).
	 */
	void (*vcpu_init_event)(struct kvm_vcpu *vcpu);

	/* The offset the CPU adds to the host TSC in guest mode. */
	void (*write_tsc_offset)(struct kvm_vcpu *vcpu, u64 offset);

	/*
	 * Enter the guest once, with interrupts off; the registers in
	 * struct kvm_vcpu_arch are current before and after.
	 */
	void (*vcpu_run)(struct kvm_vcpu *vcpu, bool flush_tlb);
	/* Handle the exit: 1 to re-enter, 0 to return to userspace, <0 error. */
	int (*handle_exit)(struct kvm_vcpu *vcpu);
	/* Move RIP past the instruction that exited. */
	int (*skip_emulated_instruction)(struct kvm_vcpu *vcpu);
	/* This vendor's 3-byte hypercall instruction (VMMCALL, VMCALL). */
	void (*patch_hypercall)(u8 *buf);
	/*
	 * The CPU keeps PAE paging's PDPTEs in registers across the guest's
	 * runs, loaded from vcpu->arch.pdptrs at entry (VMX with EPT).
	 */
	bool pdpte_regs;
	/*
	 * SYSENTER_ESP/EIP are natural-width guest state (VMX's VMCS): kept
	 * 64-bit for any guest, as kvm-intel does.
	 */
	bool sysenter_64bit;
	/*
	 * Optional: clear from a KVM_GET_SUPPORTED_CPUID entry what the
	 * host CPU has but cannot give a guest under this backend.
	 */
	void (*filter_supported_cpuid)(struct kvm_cpuid_entry2 *e);
};

extern const struct kvm_x86_ops svm_x86_ops;
extern const struct kvm_x86_ops vmx_x86_ops;

/* The MXCSR bits this CPU implements (arch/x86/kernel/fpu, exported). */
extern u32 mxcsr_feature_mask;
extern const struct kvm_x86_ops *kvm_x86_ops;

static inline unsigned long kvm_reg_read(struct kvm_vcpu *vcpu, int reg)
{
	return vcpu->arch.regs[reg];
}

static inline void kvm_reg_write(struct kvm_vcpu *vcpu, int reg,
				 unsigned long val)
{
	vcpu->arch.regs[reg] = val;
}

static inline bool is_long_mode(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.efer & EFER_LMA;
}

/*
 * The vCPU that KVM_SET_BOOT_CPU_ID named (0 by default) starts as the
 * bootstrap processor: IA32_APIC_BASE.BSP at reset, runnable with an
 * in-kernel APIC while the others wait for INIT/SIPI (SDM vol. 3A, 9.4).
 */
static inline bool kvm_vcpu_is_reset_bsp(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id == vcpu->kvm->arch.bsp_vcpu_id;
}

/*
 * The quirks Kestrel can turn off (KVM_CAP_DISABLE_QUIRKS2): KVM's default
 * behaviours that differ from the hardware, each on until userspace
 * disables it.
 */
#define KESTREL_SUPPORTED_QUIRKS (KVM_X86_QUIRK_LINT0_REENABLED |	\
				  KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT |	\
				  KVM_X86_QUIRK_FIX_HYPERCALL_INSN |	\
				  KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS)

static inline bool kvm_check_has_quirk(struct kvm *kvm, u64 quirk)
{
	return !(READ_ONCE(kvm->arch.disabled_quirks) & quirk);
}

/*
 * Around VMRUN, inside the backend's GIF-clear region so that not even an
 * NMI runs with the guest's values: XCR0 and PKRU, which VMRUN does not
 * switch.
 */
void kvm_load_guest_xsave_state(struct kvm_vcpu *vcpu);
void kvm_load_host_xsave_state(struct kvm_vcpu *vcpu);

/* Helpers for exit handlers (x86.c). */
void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 vector);
void kvm_queue_exception_e(struct kvm_vcpu *vcpu, u8 vector, u32 error_code);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
int kvm_emulate_pio(struct kvm_vcpu *vcpu, u16 port, int size, bool in,
		    bool string, bool rep, unsigned long next_rip);
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, gpa_t gpa);
int kvm_internal_error(struct kvm_vcpu *vcpu, u32 suberror, u64 data0,
		       u64 data1);
int kvm_guest_insn_len(struct kvm_vcpu *vcpu);
int kvm_emulate_mov_dr(struct kvm_vcpu *vcpu);
int kvm_emulate_mov_to_cr4(struct kvm_vcpu *vcpu);
int kvm_emulate_mov_to_cr8(struct kvm_vcpu *vcpu);
int kvm_emulate_ud(struct kvm_vcpu *vcpu);
int kvm_emulate_monitor_mwait(struct kvm_vcpu *vcpu);
/* The guest's current privilege level (SS.DPL). */
int kvm_get_cpl(struct kvm_vcpu *vcpu);

/* Machine-check ioctls (mce.c). */
long kvm_mce_check_extension(long ext);
long kvm_dev_ioctl_mce(void __user *argp);
long kvm_vcpu_ioctl_mce(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp);
int kvm_emulate_xsetbv(struct kvm_vcpu *vcpu);
int kvm_debug_exit(struct kvm_vcpu *vcpu, u32 exception, unsigned long dr6,
		   unsigned long dr7);
int kvm_set_xcr0(struct kvm_vcpu *vcpu, u64 xcr0);

/* Guest MSRs kept in the hardware until the return to userspace. */
enum kvm_uret_slot {
	KVM_URET_TSC_AUX,
	KVM_NR_URET_MSRS
};

void kvm_uret_msr_set(enum kvm_uret_slot slot, u64 value);
void kvm_uret_cpu_exit(void);
bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, unsigned long cr4);
int kvm_set_cr4(struct kvm_vcpu *vcpu, unsigned long cr4);
void kvm_load_pdptrs(struct kvm_vcpu *vcpu);
extern u64 kvm_supported_xcr0;
void kvm_vcpu_reset(struct kvm_vcpu *vcpu);
void kvm_vcpu_init_event(struct kvm_vcpu *vcpu);
void kvm_vcpu_shutdown_reset(struct kvm_vcpu *vcpu);
int kvm_soft_int_insn_len(struct kvm_vcpu *vcpu, u8 vector);
void kvm_complete_soft_exception(struct kvm_vcpu *vcpu, bool interrupted);

/* mmu/mmu.c */
int kvm_mmu_init_vm(struct kvm *kvm);
void kvm_mmu_destroy_vm(struct kvm *kvm);
hpa_t kvm_mmu_root_hpa(struct kvm_vcpu *vcpu);
void kvm_mmu_free_cache(struct kvm_vcpu *vcpu);
int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write);

#endif /* KESTREL_ARCH_X86_KVM_X86_H */
