// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what Kestrel can virtualize (KVM_GET_SUPPORTED_CPUID), what the
 * VMM gives each vCPU (KVM_SET_CPUID2), and the guest's CPUID exits.
 */
#include <linux/kvm.h>
#include <asm/processor.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "x86.h"

long kvm_cpuid_check_extension(long ext)
{
	return 0;
}

long kvm_dev_ioctl_cpuid(unsigned int ioctl, void __user *argp)
{
	return -ENOTTY;
}

long kvm_vcpu_ioctl_cpuid(struct kvm_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	return -ENOTTY;
}

void kvm_vcpu_free_cpuid(struct kvm_vcpu *vcpu)
{
}

/*
 * CPUID: the host's, minus what Kestrel does not virtualize yet, until
 * KVM_SET_CPUID2 exists.
 */
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	u32 leaf = kvm_reg_read(vcpu, VCPU_REGS_RAX);
	u32 sub = kvm_reg_read(vcpu, VCPU_REGS_RCX);
	u32 a = 0, b = 0, c = 0, d = 0;

	/* No hypervisor leaves yet, and no SVM feature leaf (no nesting). */
	if ((leaf & 0xf0000000) != 0x40000000 && leaf != 0x8000000a)
		cpuid_count(leaf, sub, &a, &b, &c, &d);
	switch (leaf) {
	case 1:
		/* No VMX, MONITOR, x2APIC, TSC deadline, XSAVE/AVX yet. */
		c &= ~(BIT(X86_FEATURE_VMX & 31) | BIT(X86_FEATURE_MWAIT & 31) |
		       BIT(X86_FEATURE_X2APIC & 31) |
		       BIT(X86_FEATURE_TSC_DEADLINE_TIMER & 31) |
		       BIT(X86_FEATURE_XSAVE & 31) | BIT(X86_FEATURE_OSXSAVE & 31) |
		       BIT(X86_FEATURE_AVX & 31));
		c |= BIT(X86_FEATURE_HYPERVISOR & 31);
		/* Initial APIC ID in EBX[31:24]. */
		b = (b & 0x00ffffff) | (vcpu->vcpu_id << 24);
		break;
	case 0xd:
		a = 0;
		b = 0;
		c = 0;
		d = 0;
		break;
	case 0x80000001:
		c &= ~BIT(X86_FEATURE_SVM & 31);
		break;
	}
	kvm_reg_write(vcpu, VCPU_REGS_RAX, a);
	kvm_reg_write(vcpu, VCPU_REGS_RBX, b);
	kvm_reg_write(vcpu, VCPU_REGS_RCX, c);
	kvm_reg_write(vcpu, VCPU_REGS_RDX, d);
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}

