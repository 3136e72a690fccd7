/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmclock state embedded in struct kvm_arch and struct kvm_vcpu_arch; see
 * arch/x86/kvm/kvmclock.c.
 */
#ifndef KESTREL_KVMCLOCK_TYPES_H
#define KESTREL_KVMCLOCK_TYPES_H

#include <linux/atomic.h>
#include <linux/seqlock.h>
#include <linux/types.h>

struct kvm_clock {
	/*
	 * The guest's kvmclock is the host's kvmclock base (raw monotonic
	 * plus time in suspend, as KVM) plus offset.  With the master
	 * clock, every vCPU extrapolates from one (host TSC, base ns) pair.
	 */
	seqlock_t lock;			/* offset and the master clock */
	s64 offset;
	bool use_master;
	u64 master_cycle;		/* host TSC ... */
	s64 master_ns;			/* ... and base ns, taken together */

	bool master_dirty;		/* recompute before it is next used */
	bool boot_vcpu_old_msr;		/* vCPU 0 uses MSR_KVM_SYSTEM_TIME */
	atomic_t gen;			/* bumped: every vCPU republishes */
	u64 wall_clock_msr;		/* MSR_KVM_WALL_CLOCK(_NEW) */
};

struct kvm_vcpu_clock {
	u64 msr;			/* MSR_KVM_SYSTEM_TIME(_NEW), bit 0: on */
	bool update;			/* republish before the next entry */
	bool stop_req;			/* KVM_KVMCLOCK_CTRL: set GUEST_STOPPED */
	bool stable;			/* last published from the master clock */
	int gen;			/* kvm_clock.gen last published */
	int cpu;			/* host CPU it was computed on */
	/* KVM_CAP_ENFORCE_PV_FEATURE_CPUID: only what guest CPUID offers */
	bool enforce_pv_cpuid;
};

#endif /* KESTREL_KVMCLOCK_TYPES_H */
