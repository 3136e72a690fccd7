/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel PIT (pit.c): KVM_CREATE_PIT/PIT2, KVM_GET/SET_PIT/PIT2,
 * KVM_REINJECT_CONTROL, around the 8254 model of i8254.c.
 */
#ifndef KESTREL_ARCH_X86_KVM_PIT_H
#define KESTREL_ARCH_X86_KVM_PIT_H

#include <kestrel/kvm_host.h>

long kvm_pit_check_extension(long ext);
long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);
/* Before the vCPUs go (kvm_arch_sync_events()): no tick after it. */
void kvm_pit_destroy_vm(struct kvm *kvm);

#endif /* KESTREL_ARCH_X86_KVM_PIT_H */
