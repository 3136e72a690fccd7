/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESTREL_ARCH_X86_KVM_STEAL_TIME_H
#define KESTREL_ARCH_X86_KVM_STEAL_TIME_H

#include <linux/types.h>

struct kvm_vcpu;

/* Before entry, in process context with preemption on. */
void kvm_steal_time_record(struct kvm_vcpu *vcpu);
/* From kvm_arch_vcpu_load() / kvm_arch_vcpu_put() (may be atomic). */
void kvm_steal_time_load(struct kvm_vcpu *vcpu);
void kvm_steal_time_set_preempted(struct kvm_vcpu *vcpu);
/* MSR_KVM_STEAL_TIME, for msr.c's table. */
int kvm_steal_time_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			   bool host);
int kvm_steal_time_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data,
			   bool host);

#endif /* KESTREL_ARCH_X86_KVM_STEAL_TIME_H */
