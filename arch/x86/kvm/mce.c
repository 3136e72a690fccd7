// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check ioctls (api.rst KVM_X86_GET_MCE_CAP_SUPPORTED,
 * KVM_X86_SETUP_MCE, KVM_X86_SET_MCE): the VMM sizes the guest's banks and
 * injects errors into them, as a real CPU's machine-check architecture
 * would report them (SDM vol. 3B, chapter 16).  The banks themselves are
 * MSRs (msr.c).
 */
#include <linux/kvm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <asm/mce.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include <kestrel/kvm_host.h>
#include "msr.h"
#include "x86.h"

/* MCG_CAP bits a VMM may ask for, as KVM 6.1 on AMD: MCG_CTL, SER. */
#define KVM_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

long kvm_mce_check_extension(long ext)
{
	return ext == KVM_CAP_MCE ? KVM_MSR_MCE_BANKS : 0;
}

long kvm_dev_ioctl_mce(void __user *argp)
{
	u64 cap = KVM_MCE_CAP_SUPPORTED;

	return copy_to_user(argp, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/*
 * KVM_X86_SETUP_MCE: 1 to KVM_MSR_MCE_BANKS banks and supported bits only
 * (bits 23:16, the extended state count, pass as KVM lets them); MCG_CTL
 * and every MCi_CTL start all ones, every error reporting enabled.
 */
static int kvm_setup_mce(struct kvm_vcpu *vcpu, u64 mcg_cap)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;
	unsigned int banks = mcg_cap & 0xff, i;

	if (!banks || banks > KVM_MSR_MCE_BANKS)
		return -EINVAL;
	if (mcg_cap & ~(KVM_MCE_CAP_SUPPORTED | 0xffULL | 0xff0000ULL))
		return -EINVAL;
	m->mcg_cap = mcg_cap;
	if (mcg_cap & MCG_CTL_P)
		m->mcg_ctl = ~0ULL;
	for (i = 0; i < banks; i++)
		m->mce_banks[4 * i] = ~0ULL;
	return 0;
}

/* Record @mce in its bank; OVER if the bank held a valid error already. */
static void kvm_mce_record(u64 *bank, const struct kvm_x86_mce *mce)
{
	u64 status = mce->status;

	if (bank[1] & MCI_STATUS_VAL)
		status |= MCI_STATUS_OVER;
	bank[2] = mce->addr;
	bank[3] = mce->misc;
	bank[1] = status;
}

/*
 * KVM_X86_SET_MCE, as KVM 6.1 does it.  An error reporting is disabled
 * for (MCG_CTL or MCi_CTL not all ones) is dropped.  An uncorrected one
 * raises #MC, unless a machine check is in progress or CR4.MCE is clear:
 * then the processor shuts down (SDM vol. 3B, 16.10.2).  A corrected one
 * only fills the bank, or marks a pending uncorrected one as overwritten.
 */
static int kvm_set_mce(struct kvm_vcpu *vcpu, const struct kvm_x86_mce *mce)
{
	struct kvm_vcpu_msrs *m = vcpu->arch.msrs;
	unsigned int banks = m->mcg_cap & 0xff;
	u64 *bank;

	if (mce->bank >= banks || !(mce->status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &m->mce_banks[4 * array_index_nospec(mce->bank, banks)];
	if ((mce->status & MCI_STATUS_UC) && (m->mcg_cap & MCG_CTL_P) &&
	    m->mcg_ctl != ~0ULL)
		return 0;
	if ((mce->status & MCI_STATUS_UC) && bank[0] != ~0ULL)
		return 0;
	if (!(mce->status & MCI_STATUS_UC)) {
		if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC))
			kvm_mce_record(bank, mce);
		else
			bank[1] |= MCI_STATUS_OVER;
		return 0;
	}
	if ((m->mcg_status & MCG_STATUS_MCIP) ||
	    !(vcpu->arch.cr4 & X86_CR4_MCE)) {
		vcpu->arch.triple_fault_pending = true;
		return 0;
	}
	kvm_mce_record(bank, mce);
	m->mcg_status = mce->mcg_status;
	kvm_queue_exception(vcpu, X86_TRAP_MC);
	return 0;
}

long kvm_vcpu_ioctl_mce(struct kvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	struct kvm_x86_mce mce;
	u64 mcg_cap;

	switch (ioctl) {
	case KVM_X86_SETUP_MCE:
		if (copy_from_user(&mcg_cap, argp, sizeof(mcg_cap)))
			return -EFAULT;
		return kvm_setup_mce(vcpu, mcg_cap);
	case KVM_X86_SET_MCE:
		if (copy_from_user(&mce, argp, sizeof(mce)))
			return -EFAULT;
		return kvm_set_mce(vcpu, &mce);
	default:
		return -ENOTTY;
	}
}
