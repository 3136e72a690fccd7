/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the host kernels Kestrel builds against.  Every
 * LINUX_VERSION_CODE test in the tree lives here and nowhere else.
 *
 * Supported today: Debian 12's 6.1.  Next: Debian 12's 6.12.
 */
#ifndef KESTREL_COMPAT_H
#define KESTREL_COMPAT_H

#include <linux/version.h>

#if KERNEL_VERSION(6, 1, 0) > LINUX_VERSION_CODE
#error "Kestrel needs Linux 6.1 or later"
#endif

#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#error "Kestrel is not ported to this kernel yet: port its compat header"
#endif

/*
 * KVM's own CPU hotplug state.  Kestrel takes it, as KVM does, so that a
 * stock kvm.ko loaded later fails in kvm_init() at cpuhp_setup_state before
 * it registers anything: 6.1's kvm_init() error path after a failed
 * misc_register() leaves its syscore_ops registered, and unloading kvm.ko
 * then corrupts the kernel's syscore list.
 */
#define KVM_CPUHP_STATE	CPUHP_AP_KVM_STARTING

#endif /* KESTREL_COMPAT_H */
