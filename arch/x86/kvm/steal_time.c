// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual steal time (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_STEAL_TIME; KVM_FEATURE_STEAL_TIME): how long the vCPU's thread
 * waited on a host runqueue while it wanted to run, told to the guest in
 * a struct kvm_steal_time it placed in its memory.
 *
 * The time is the scheduler's own: current->sched_info.run_delay of the
 * vCPU thread, accumulated since the last update (as KVM's
 * record_steal_time()).  The update is asked for whenever the thread is
 * scheduled back in and done before the next entry, in process context,
 * through the VMM's mapping of guest memory (plain uaccess, faults
 * allowed).  Protocol: version is made odd, steal updated, version made
 * even again, so that a guest reading an odd version retries; preempted is
 * cleared at each update and set when the vCPU thread is preempted (put
 * with a nofault write, since sched-out runs atomically).
 *
 * Locking: only the vCPU thread touches vcpu->arch.st (ioctls hold
 * vcpu->mutex; the preempt notifiers run on that thread).
 */
#include <linux/kvm_para.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>

#include <kestrel/kvm_host.h>
#include "kvmclock.h"
#include "steal_time.h"
#include "x86.h"

static u64 kvm_steal_gpa(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.st.msr & KVM_STEAL_VALID_BITS;
}

static bool kvm_steal_time_enabled(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.st.msr & KVM_MSR_ENABLED;
}

/*
 * The VMM's address of the guest's struct, or NULL when it is not in one
 * writable memslot (then nothing is written, as KVM does); *@slot is its
 * memslot, for the dirty log once written.  The struct is 64-byte aligned,
 * so it never crosses a page.  kvm->srcu held.
 */
static struct kvm_steal_time __user *
kvm_steal_hva(struct kvm_vcpu *vcpu, struct kvm_memory_slot **slot)
{
	u64 gpa = kvm_steal_gpa(vcpu);

	*slot = kvm_gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);
	if (!*slot || ((*slot)->flags & KVM_MEM_READONLY))
		return NULL;
	return (void __user *)kvm_gfn_to_hva(*slot, gpa >> PAGE_SHIFT) +
	       offset_in_page(gpa);
}

/* After the write, so that a harvest in between does not lose it. */
static void kvm_steal_mark_dirty(struct kvm_vcpu *vcpu,
				 struct kvm_memory_slot *slot)
{
	kvm_mark_page_dirty(slot, kvm_steal_gpa(vcpu) >> PAGE_SHIFT);
}

static void kvm_steal_time_write(struct kvm_vcpu *vcpu,
				 struct kvm_steal_time __user *st)
{
	u64 run_delay = current->sched_info.run_delay;
	u32 version;
	u64 steal;

	if (get_user(version, &st->version))
		return;
	/* An odd version is the guest's junk from before: start even. */
	if (version & 1)
		version++;
	version++;
	if (put_user(version, &st->version) || put_user(0, &st->preempted))
		return;
	smp_wmb(); /* the odd version before the new time */
	if (get_user(steal, &st->steal))
		return;
	steal += run_delay - vcpu->arch.st.last_steal;
	vcpu->arch.st.last_steal = run_delay;
	if (put_user(steal, &st->steal))
		return;
	smp_wmb(); /* the new time before the even version */
	put_user(version + 1, &st->version);
}

/* Before entry, preemption on: account the time the thread waited. */
void kvm_steal_time_record(struct kvm_vcpu *vcpu)
{
	struct kvm_memory_slot *slot;
	struct kvm_steal_time __user *st;
	int idx;

	if (!vcpu->arch.st.update)
		return;
	vcpu->arch.st.update = false;
	if (!kvm_steal_time_enabled(vcpu))
		return;
	idx = srcu_read_lock(&vcpu->kvm->srcu);
	st = kvm_steal_hva(vcpu, &slot);
	if (st) {
		kvm_steal_time_write(vcpu, st);
		kvm_steal_mark_dirty(vcpu, slot);
	}
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
}

/* The vCPU thread was scheduled in: update before the next entry. */
void kvm_steal_time_load(struct kvm_vcpu *vcpu)
{
	vcpu->arch.st.update = true;
}

/*
 * The vCPU thread was preempted (not blocked): tell the guest, so its
 * spinlocks stop waiting on this vCPU.  Atomic context: no faults, no
 * sleeping locks.  The SRCU-protected memslot lookup is fine here, but the
 * page may be swapped out: a nofault write, skipped if it would fault.
 */
void kvm_steal_time_set_preempted(struct kvm_vcpu *vcpu)
{
	struct kvm_memory_slot *slot;
	struct kvm_steal_time __user *st;
	u8 preempted = KVM_VCPU_PREEMPTED;
	int idx;

	if (!kvm_steal_time_enabled(vcpu) || current->mm != vcpu->kvm->mm)
		return;
	idx = srcu_read_lock(&vcpu->kvm->srcu);
	st = kvm_steal_hva(vcpu, &slot);
	if (st && !copy_to_user_nofault(&st->preempted, &preempted,
					sizeof(preempted))) {
		kvm_steal_mark_dirty(vcpu, slot);
		vcpu->arch.stat.preemption_reported++;
	}
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
}

/*
 * MSR_KVM_STEAL_TIME: a 64-byte aligned GPA, bits 1-5 reserved; needs the
 * scheduler's statistics (sched_info) and, once enforced, the CPUID bit.
 * Without them it is a #GP (1, not "unsupported": KVM 6.1 reports these
 * as invalid accesses to userspace MSR exits).
 */
int kvm_steal_time_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	if (!sched_info_on() ||
	    !kvm_guest_pv_has(vcpu, KVM_FEATURE_STEAL_TIME))
		return 1;
	*data = vcpu->arch.st.msr;
	return 0;
}

int kvm_steal_time_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data,
			   bool host)
{
	if (!sched_info_on() ||
	    !kvm_guest_pv_has(vcpu, KVM_FEATURE_STEAL_TIME))
		return 1;
	if (data & KVM_STEAL_RESERVED_MASK)
		return 1;
	vcpu->arch.st.msr = data;
	if (data & KVM_MSR_ENABLED)
		vcpu->arch.st.update = true;
	return 0;
}
