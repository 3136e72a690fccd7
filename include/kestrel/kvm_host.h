/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kestrel generic core <-> architecture interface.
 *
 * The generic core (virt/kvm) calls these; arch/x86/kvm implements them and
 * picks a vendor backend.  Nothing vendor-specific (SVM, VMX) is visible here.
 */
#ifndef KESTREL_KVM_HOST_H
#define KESTREL_KVM_HOST_H

#include <linux/types.h>

/*
 * Probe the CPU and choose a backend.  On refusal, prints one line saying
 * exactly why and returns -EOPNOTSUPP (or another errno for other failures).
 */
int kvm_arch_init(void);
void kvm_arch_exit(void);

/* Enable/disable virtualization on the calling CPU; called pinned to it. */
int kvm_arch_hardware_enable(void);
void kvm_arch_hardware_disable(void);

#endif /* KESTREL_KVM_HOST_H */
