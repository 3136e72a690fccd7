// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSR values that must be in the hardware while the guest runs, but
 * that VMRUN does not switch, and that the host kernel itself never uses:
 * loaded before entry, and put back only when the CPU returns to
 * userspace (a user-return notifier), so that a vCPU bouncing between
 * KVM_RUN's loop and the guest pays no WRMSR per exit.
 *
 * TSC_AUX is the one today: the guest's RDTSCP and RDPID read it, and
 * the host's only readers are those instructions in userspace (the vDSO's
 * getcpu).  The kernel's paranoid entry does not use RDPID since 5.9.
 */
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include "x86.h"

static const u32 kvm_uret_msrs[KVM_NR_URET_MSRS] = {
	[KVM_URET_TSC_AUX]	= MSR_TSC_AUX,
};

struct kvm_uret_cpu {
	struct user_return_notifier urn;
	bool registered;
	bool host_read;			/* host[] holds this CPU's values */
	u64 host[KVM_NR_URET_MSRS];
	u64 curr[KVM_NR_URET_MSRS];
};

static DEFINE_PER_CPU(struct kvm_uret_cpu, kvm_uret_cpu);

/* Put the host's values back; IRQs off (or the notifier's own context). */
static void kvm_uret_restore(struct kvm_uret_cpu *c)
{
	int i;

	for (i = 0; i < KVM_NR_URET_MSRS; i++) {
		if (c->curr[i] != c->host[i])
			wrmsrl(kvm_uret_msrs[i], c->host[i]);
		c->curr[i] = c->host[i];
	}
	user_return_notifier_unregister(&c->urn);
	c->registered = false;
}

static void kvm_on_user_return(struct user_return_notifier *urn)
{
	struct kvm_uret_cpu *c = container_of(urn, struct kvm_uret_cpu, urn);
	unsigned long flags;

	/* hardware_disable() may get here first, from an IPI. */
	local_irq_save(flags);
	if (c->registered)
		kvm_uret_restore(c);
	c->host_read = false;
	local_irq_restore(flags);
}

/*
 * Load @value into user-return MSR @slot on this CPU; preemption is off.
 * The host's values are read once per CPU, before the first guest value
 * goes in (the kernel sets them at CPU bring-up); the notifier is armed
 * only when a value differs, so a guest with the host's values (TSC_AUX 0
 * on CPU 0) costs no MSR access at all.
 */
void kvm_uret_msr_set(enum kvm_uret_slot slot, u64 value)
{
	struct kvm_uret_cpu *c = this_cpu_ptr(&kvm_uret_cpu);
	int i;

	if (!c->host_read) {
		for (i = 0; i < KVM_NR_URET_MSRS; i++) {
			rdmsrl(kvm_uret_msrs[i], c->host[i]);
			c->curr[i] = c->host[i];
		}
		c->host_read = true;
	}
	if (c->curr[slot] == value)
		return;
	wrmsrl(kvm_uret_msrs[slot], value);
	c->curr[slot] = value;
	if (!c->registered) {
		c->urn.on_user_return = kvm_on_user_return;
		user_return_notifier_register(&c->urn);
		c->registered = true;
	}
}

/* Before virtualization goes off on this CPU (unload, CPU offline). */
void kvm_uret_cpu_exit(void)
{
	struct kvm_uret_cpu *c = this_cpu_ptr(&kvm_uret_cpu);
	unsigned long flags;

	local_irq_save(flags);
	if (c->registered)
		kvm_uret_restore(c);
	local_irq_restore(flags);
}
