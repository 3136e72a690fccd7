/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_ARCH_X86_KVM_CPUID_H
#define KESTREL_ARCH_X86_KVM_CPUID_H

#include <linux/types.h>

struct kvm_vcpu;

long kvm_cpuid_check_extension(long ext);
/* KVM_GET_SUPPORTED_CPUID, KVM_GET_EMULATED_CPUID */
long kvm_dev_ioctl_cpuid(unsigned int ioctl, void __user *argp);
/* KVM_SET_CPUID, KVM_SET_CPUID2, KVM_GET_CPUID2 */
long kvm_vcpu_ioctl_cpuid(struct kvm_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);
void kvm_vcpu_free_cpuid(struct kvm_vcpu *vcpu);
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
/* What the guest's CPUID says (X86_FEATURE_* of the CPUID words). */
bool kvm_guest_cpuid_has(struct kvm_vcpu *vcpu, unsigned int feature);
void kvm_cpuid_update_runtime(struct kvm_vcpu *vcpu);
u64 kvm_guest_supported_xcr0(struct kvm_vcpu *vcpu);
int kvm_guest_maxphyaddr(struct kvm_vcpu *vcpu);

#endif /* KESTREL_ARCH_X86_KVM_CPUID_H */
