// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 vCPU statistics of KVM_GET_STATS_FD (virt/kvm/stats.c), named
 * as KVM names them.  Only counters Kestrel increments are listed.
 */
#include <linux/kvm.h>
#include <linux/stddef.h>

#include <kestrel/kvm_host.h>

#define KVM_STAT_VCPU(name)						\
	{ #name, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE |	\
		 KVM_STATS_BASE_POW10,					\
	  offsetof(struct kvm_vcpu_stat_arch, name) }

const struct kvm_stat_desc kvm_vcpu_stats_desc[] = {
	KVM_STAT_VCPU(exits),			/* every #VMEXIT */
	KVM_STAT_VCPU(io_exits),		/* IN/OUT/INS/OUTS */
	KVM_STAT_VCPU(mmio_exits),		/* KVM_EXIT_MMIO */
	KVM_STAT_VCPU(signal_exits),		/* KVM_EXIT_INTR */
	KVM_STAT_VCPU(halt_exits),		/* HLT */
	KVM_STAT_VCPU(irq_injections),		/* external interrupts */
	KVM_STAT_VCPU(nmi_injections),
	KVM_STAT_VCPU(hypercalls),
	KVM_STAT_VCPU(directed_yield_attempted),	/* KVM_HC_SCHED_YIELD */
	KVM_STAT_VCPU(preemption_reported),	/* steal time's preempted */
};

const int kvm_vcpu_stats_count = ARRAY_SIZE(kvm_vcpu_stats_desc);
