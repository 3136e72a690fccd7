/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 vendor backend interface.  One instance per backend (SVM, later
 * VMX), filled with designated initializers, chosen once at module load.
 */
#ifndef KESTREL_ARCH_X86_KVM_X86_H
#define KESTREL_ARCH_X86_KVM_X86_H

#include <linux/types.h>

struct kvm_x86_ops {
	const char *name;

	/*
	 * Check that this CPU can run the backend and allocate global state.
	 * On refusal, print one line saying exactly why.
	 */
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);

	/* Turn virtualization on/off on the calling CPU. */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);
};

extern const struct kvm_x86_ops svm_x86_ops;

#endif /* KESTREL_ARCH_X86_KVM_X86_H */
