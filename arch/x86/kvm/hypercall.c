// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual hypercalls (Documentation/virt/kvm/x86/hypercalls.rst),
 * for every backend: the guest's VMMCALL (SVM) or VMCALL (VMX) exit lands
 * here.  Number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX;
 * outside 64-bit mode all of them are 32 bits.
 */
#include <linux/kvm_para.h>

#include <kestrel/kvm_host.h>
#include "kvmclock.h"
#include "x86.h"

static bool kvm_hypercall_64bit(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (!is_long_mode(vcpu))
		return false;
	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	return cs.l;
}

/*
 * KVM_HC_KICK_CPU and KVM_HC_SEND_IPI are not advertised in
 * KVM_CPUID_FEATURES: they fail with -KVM_ENOSYS, as KVM's do when the
 * guest lacks the feature.  KVM_HC_MAP_GPA_RANGE exits to userspace only
 * with KVM_CAP_EXIT_HYPERCALL, which Kestrel does not offer.
 *
 * KVM_HC_SCHED_YIELD (a0: the APIC ID of a preempted vCPU the caller
 * waits for) is a hint.  KVM yields to that vCPU's thread when it can;
 * Kestrel does not track vCPU threads and never does, which KVM's guests
 * see too whenever the target is running or the host CPU has nothing
 * else to run.  0 either way.
 */
static unsigned long kvm_hypercall(struct kvm_vcpu *vcpu, unsigned long nr,
				   unsigned long a0, unsigned long a1)
{
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		return 0;
	case KVM_HC_CLOCK_PAIRING:
		return kvm_clock_pairing(vcpu, a0, a1);
	case KVM_HC_SCHED_YIELD:
		if (!kvm_guest_pv_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD))
			return -KVM_ENOSYS;
		vcpu->arch.stat.directed_yield_attempted++;
		return 0;
	default:
		return -KVM_ENOSYS;
	}
}

int kvm_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	bool op64 = kvm_hypercall_64bit(vcpu);
	unsigned long nr = kvm_reg_read(vcpu, VCPU_REGS_RAX);
	unsigned long a0 = kvm_reg_read(vcpu, VCPU_REGS_RBX);
	unsigned long a1 = kvm_reg_read(vcpu, VCPU_REGS_RCX);
	unsigned long ret;

	if (!op64) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
	}
	vcpu->arch.stat.hypercalls++;
	/* Only the guest's kernel may call the hypervisor. */
	if (kvm_get_cpl(vcpu))
		ret = -KVM_EPERM;
	else
		ret = kvm_hypercall(vcpu, nr, a0, a1);
	if (!op64)
		ret = (u32)ret;
	kvm_reg_write(vcpu, VCPU_REGS_RAX, ret);
	return kvm_x86_ops->skip_emulated_instruction(vcpu);
}
