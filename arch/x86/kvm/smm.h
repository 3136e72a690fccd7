/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System Management Mode (smm.c): SMI delivery, SMRAM state save, RSM.
 * Vendor-neutral; called from the run loop, the vCPU ioctls and the
 * backend's RSM intercept, always on the vCPU thread.
 */
#ifndef KESTREL_X86_SMM_H
#define KESTREL_X86_SMM_H

#include <linux/kvm.h>
#include <linux/types.h>

struct kvm_vcpu;

/* SMBASE after RESET (APM vol. 2, 10.2.4; SDM vol. 3C, 32.4.1). */
#define KVM_SMBASE_RESET	0x30000

void kvm_smm_changed(struct kvm_vcpu *vcpu, bool in_smm);
void kvm_smm_check_smi(struct kvm_vcpu *vcpu);
bool kvm_smm_window(struct kvm_vcpu *vcpu);
int kvm_emulate_rsm(struct kvm_vcpu *vcpu);
void kvm_smm_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int kvm_smm_check_events(struct kvm_vcpu *vcpu,
			 const struct kvm_vcpu_events *ev);
void kvm_smm_set_events(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev);
void kvm_smm_reset(struct kvm_vcpu *vcpu, bool init);

#endif /* KESTREL_X86_SMM_H */
