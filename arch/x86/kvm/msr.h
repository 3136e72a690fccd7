/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_ARCH_X86_KVM_MSR_H
#define KESTREL_ARCH_X86_KVM_MSR_H

#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;

/* An MSR handler's result for an MSR Kestrel does not have (0 ok, 1 #GP). */
#define KVM_MSR_RET_UNSUPPORTED	2

/*
 * Machine-check banks before KVM_X86_SETUP_MCE: KVM's default MCG_CAP is
 * KVM_MAX_MCE_BANKS banks, no MCG_CTL_P, no CMCI.
 */
#define KVM_MSR_MCE_BANKS	32
/* Variable-range MTRR pairs (KVM_NR_VAR_MTRR). */
#define KVM_MSR_NR_VAR_MTRR	8
/* MTRRfix64K_00000, 2 x 16K, 8 x 4K (SDM vol. 3A, 12.11.2.2). */
#define KVM_MSR_NR_FIXED_MTRR	11

/* The per-vCPU MSR values that no other structure keeps. */
struct kvm_vcpu_msrs {
	u64 tsc_offset;			/* guest TSC - host TSC */
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 tsc_aux;
	u64 misc_enable;
	u64 ucode_rev;
	u64 de_cfg;
	u64 hwcr;
	u64 mtrr_deftype;
	u64 mtrr_fixed[KVM_MSR_NR_FIXED_MTRR];
	u64 mtrr_var[2 * KVM_MSR_NR_VAR_MTRR];	/* base, mask, base... */
	u64 mcg_cap;
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mce_banks[4 * KVM_MSR_MCE_BANKS];	/* CTL, STATUS, ADDR, MISC */
	u64 mci_ctl2[KVM_MSR_MCE_BANKS];
	u64 power_ctl;
	u64 tsc_deadline;
	u64 platform_info;
	u64 misc_features_enables;
};

/* KVM_X86_SET_MSR_FILTER's filter, copied in; replaced whole. */
struct kvm_msr_filter_range_k {
	u32 flags;
	u32 base;
	u32 nmsrs;
	unsigned long *bitmap;
};

struct kvm_msr_filter_k {
	bool default_allow;
	int count;
	struct kvm_msr_filter_range_k ranges[KVM_MSR_FILTER_MAX_RANGES];
};

struct kvm_vm_msrs {
	/* KVM_MSR_EXIT_REASON_* that exit to userspace (KVM_ENABLE_CAP) */
	u32 user_space_msr_mask;
	/* KVM_CAP_MSR_PLATFORM_INFO: the guest may read MSR_PLATFORM_INFO. */
	bool guest_can_read_platform_info;

	/*
	 * Userspace's TSC writes, to keep the vCPUs' TSCs in step (msr.c,
	 * msr_sync_tsc()): the last write, when, at what rate; and the
	 * offset that all vCPUs matching it share.
	 */
	spinlock_t tsc_lock;		/* the fields below */
	u64 tsc_last_write;
	u64 tsc_last_ns;
	u32 tsc_last_khz;
	u64 tsc_offset;

	/* NULL: allow all.  Readers: kvm->srcu; writers: filter_lock. */
	struct kvm_msr_filter_k __rcu *filter;
	struct mutex filter_lock;	/* serializes filter updates */
};

long kvm_msr_check_extension(long ext);
int kvm_vm_msr_init(struct kvm *kvm);
void kvm_vm_msr_free(struct kvm *kvm);
int kvm_vcpu_msr_init(struct kvm_vcpu *vcpu);
void kvm_vcpu_msr_free(struct kvm_vcpu *vcpu);
/* KVM_GET_MSR_INDEX_LIST, KVM_GET_MSR_FEATURE_INDEX_LIST, KVM_GET_MSRS */
long kvm_dev_ioctl_msr(unsigned int ioctl, void __user *argp);
/* KVM_GET_MSRS, KVM_SET_MSRS */
long kvm_vcpu_ioctl_msr(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp);
/* KVM_X86_SET_MSR_FILTER */
long kvm_vm_ioctl_msr(struct kvm *kvm, unsigned int ioctl, void __user *argp);
/* The VM's KVM_ENABLE_CAP of USER_SPACE_MSR and MSR_PLATFORM_INFO. */
long kvm_vm_msr_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap);
/*
 * After the backend created the vCPU: its TSC starts at 0, or in step with
 * the VM's other vCPUs, as in KVM.
 */
void kvm_vcpu_msr_postcreate(struct kvm_vcpu *vcpu);
/* Before entry, IRQs off: the guest's user-return MSRs (TSC_AUX). */
void kvm_msr_load_guest_uret(struct kvm_vcpu *vcpu);
/* IA32_APIC_BASE may take @data (also checked by KVM_SET_SREGS). */
bool kvm_msr_apic_base_valid(struct kvm_vcpu *vcpu, u64 data);
u64 kvm_read_guest_tsc(struct kvm_vcpu *vcpu);
/* KVM_HAS/GET/SET_DEVICE_ATTR on a vCPU: KVM_VCPU_TSC_OFFSET. */
long kvm_vcpu_ioctl_device_attr(struct kvm_vcpu *vcpu, unsigned int ioctl,
				void __user *argp);
/* CPUID faulting is on (MSR_MISC_FEATURES_ENABLES): CPUID at CPL > 0 #GPs. */
bool kvm_msr_cpuid_faulting(struct kvm_vcpu *vcpu);
/* The guest's RDMSR (write false) / WRMSR exit. */
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write);

#endif /* KESTREL_ARCH_X86_KVM_MSR_H */
