// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: the ioctls (index lists, KVM_GET/SET_MSRS), the MSR filter and
 * user-space MSR exits, and the guest's RDMSR/WRMSR exits.
 */
#include <linux/kvm.h>
#include <asm/msr-index.h>
#include <asm/traps.h>

#include <kestrel/kvm_host.h>
#include "msr.h"
#include "x86.h"

long kvm_msr_check_extension(long ext)
{
	return 0;
}

int kvm_vm_msr_init(struct kvm *kvm)
{
	return 0;
}

void kvm_vm_msr_free(struct kvm *kvm)
{
}

int kvm_vcpu_msr_init(struct kvm_vcpu *vcpu)
{
	return 0;
}

void kvm_vcpu_msr_free(struct kvm_vcpu *vcpu)
{
}

long kvm_dev_ioctl_msr(unsigned int ioctl, void __user *argp)
{
	return -ENOTTY;
}

long kvm_vcpu_ioctl_msr(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	return -ENOTTY;
}

long kvm_vm_ioctl_msr(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	return -ENOTTY;
}

/*
 * RDMSR/WRMSR: only EFER so far; the vCPU-state work brings the rest.  An
 * MSR Kestrel does not know is #GP, as for an MSR the CPU lacks.
 */
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write)
{
	u32 msr = kvm_reg_read(vcpu, VCPU_REGS_RCX);
	u64 data = (kvm_reg_read(vcpu, VCPU_REGS_RDX) << 32) |
		   (u32)kvm_reg_read(vcpu, VCPU_REGS_RAX);
	u64 efer = vcpu->arch.efer;

	if (msr != MSR_EFER)
		goto gp;
	if (!write) {
		kvm_reg_write(vcpu, VCPU_REGS_RAX, (u32)efer);
		kvm_reg_write(vcpu, VCPU_REGS_RDX, efer >> 32);
		return kvm_x86_ops->skip_emulated_instruction(vcpu);
	}
	/* SDM vol. 3A, 9.8.5: LME may not change while paging is on. */
	if ((data & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)) ||
	    (((data ^ efer) & EFER_LME) && (vcpu->arch.cr0 & X86_CR0_PG)))
		goto gp;
	/* LMA is the CPU's to set (on CR0.PG with LME); writes keep it. */
	vcpu->arch.efer = (data & ~EFER_LMA) | (efer & EFER_LMA);
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
gp:
	kvm_queue_exception_e(vcpu, X86_TRAP_GP, 0);
	return 1;
}

