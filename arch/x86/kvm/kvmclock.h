/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_ARCH_X86_KVM_KVMCLOCK_H
#define KESTREL_ARCH_X86_KVM_KVMCLOCK_H

#include <linux/kvm_para.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;

/* KVM_CLOCK_* flags KVM_GET_CLOCK may report (KVM_CAP_ADJUST_CLOCK). */
#define KVM_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)

/* Module load and unload. */
int kvm_clock_init(void);
void kvm_clock_exit(void);

long kvm_clock_check_extension(long ext);
void kvm_clock_init_vm(struct kvm *kvm);
void kvm_clock_vcpu_reset(struct kvm_vcpu *vcpu);

/* KVM_GET_CLOCK, KVM_SET_CLOCK */
long kvm_vm_ioctl_clock(struct kvm *kvm, unsigned int ioctl,
			void __user *argp);
/* KVM_KVMCLOCK_CTRL */
long kvm_vcpu_ioctl_kvmclock_ctrl(struct kvm_vcpu *vcpu);
/* vCPU KVM_ENABLE_CAP */
long kvm_vcpu_ioctl_enable_cap(struct kvm_vcpu *vcpu, void __user *argp);

/* The vCPU's TSC offset changed. */
void kvm_clock_tsc_changed(struct kvm_vcpu *vcpu);
/* Userspace wrote a vCPU's TSC: are they still in step? */
void kvm_clock_tsc_synced(struct kvm *kvm);

/*
 * Before entering: republish the vCPU's pvclock if needed (may sleep), and,
 * with interrupts off, whether it must be republished before entering.
 */
void kvm_clock_vcpu_update(struct kvm_vcpu *vcpu);
bool kvm_clock_vcpu_stale(struct kvm_vcpu *vcpu);

/* The kvmclock MSRs, for msr.c's table. */
int kvm_clock_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
		      bool host);
int kvm_clock_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);

/* Hypercalls (hypercall.c), from the backend's VMMCALL/VMCALL exit. */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu);
/* KVM_HC_CLOCK_PAIRING: the result for RAX. */
/*
 * Whether the guest has paravirtual feature KVM_FEATURE_@feature: always,
 * unless KVM_CAP_ENFORCE_PV_FEATURE_CPUID is on and its CPUID lacks it.
 */
bool kvm_guest_pv_has(struct kvm_vcpu *vcpu, int feature);
unsigned long kvm_clock_pairing(struct kvm_vcpu *vcpu, u64 gpa,
				unsigned long type);

#endif /* KESTREL_ARCH_X86_KVM_KVMCLOCK_H */
