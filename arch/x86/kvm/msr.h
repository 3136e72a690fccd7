/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_ARCH_X86_KVM_MSR_H
#define KESTREL_ARCH_X86_KVM_MSR_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;

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
/* KVM_X86_SET_MSR_FILTER; KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR) */
long kvm_vm_ioctl_msr(struct kvm *kvm, unsigned int ioctl, void __user *argp);
/* The guest's RDMSR (write false) / WRMSR exit. */
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write);

#endif /* KESTREL_ARCH_X86_KVM_MSR_H */
