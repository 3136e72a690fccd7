// SPDX-License-Identifier: GPL-2.0
/*
 * x86 architecture layer: chooses the vendor backend at load time and
 * forwards the generic core's requests to it.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/errno.h>
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include <kestrel/kvm_host.h>
#include "x86.h"

static const struct kvm_x86_ops *kvm_x86_ops;

/*
 * Raw CPUID, not boot_cpu_has(): the kernel clears X86_FEATURE_SVM/VMX when
 * firmware disabled them, and the backend wants to say so precisely.
 * SVM: CPUID Fn8000_0001_ECX[2] (APM vol. 3, appendix E.4.2).
 * VMX: CPUID.01H:ECX[5] (SDM vol. 3C, 23.6 "Discovering Support for VMX").
 */
static bool cpu_has_svm(void)
{
	return boot_cpu_data.extended_cpuid_level >= 0x80000001 &&
	       (cpuid_ecx(0x80000001) & BIT(X86_FEATURE_SVM & 31));
}

static bool cpu_has_vmx(void)
{
	return cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31);
}

static const struct kvm_x86_ops *kvm_x86_pick_backend(void)
{
	if (cpu_has_svm())
		return &svm_x86_ops;
	if (cpu_has_vmx())
		pr_err("CPU has Intel VMX, but the VMX backend is not implemented yet\n");
	else
		pr_err("no hardware virtualization: CPU has neither AMD SVM (CPUID 8000_0001h:ECX[2]) nor Intel VMX (CPUID 1:ECX[5])\n");
	return NULL;
}

int kvm_arch_init(void)
{
	const struct kvm_x86_ops *ops = kvm_x86_pick_backend();
	int r;

	if (!ops)
		return -EOPNOTSUPP;
	r = ops->hardware_setup();
	if (r)
		return r;
	kvm_x86_ops = ops;
	return 0;
}

void kvm_arch_exit(void)
{
	kvm_x86_ops->hardware_unsetup();
	kvm_x86_ops = NULL;
}

int kvm_arch_hardware_enable(void)
{
	return kvm_x86_ops->hardware_enable();
}

void kvm_arch_hardware_disable(void)
{
	kvm_x86_ops->hardware_disable();
}
