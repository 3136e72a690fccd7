// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock (Documentation/virt/kvm/x86/msr.rst): the pvclock pages of the
 * vCPUs, the wall clock, KVM_GET/SET_CLOCK and KVM_KVMCLOCK_CTRL.
 *
 * A VM's kvmclock counts nanoseconds at the rate of the host's raw
 * monotonic clock plus time in suspend (KVM's "kvmclock base"), plus a
 * per-VM offset that KVM_SET_CLOCK moves.  A vCPU's pvclock page lets the
 * guest extrapolate it from its own TSC:
 *
 *   kvmclock = system_time + scale(guest TSC - tsc_timestamp)
 *
 * When the host's clocksource is a stable TSC and the vCPUs' TSCs are in
 * step, every vCPU extrapolates from one (host TSC, base ns) pair taken
 * once for the VM, the master clock: their clocks then agree, and the page
 * says so with PVCLOCK_TSC_STABLE_BIT.  Otherwise each vCPU gets its own
 * pair, taken on the CPU it is about to run on, and the guest must not
 * assume more than per-CPU monotonicity.
 *
 * Pages are written from the vCPU's own thread before it enters the
 * guest, whenever something they depend on changed.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/pvclock.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include <kestrel/kvm_host.h>
#include "kvmclock.h"
#include "msr.h"
#include "x86.h"

/*
 * Whether the host's timekeeping runs on the TSC, from the timekeeper's
 * update notifier (called at every update, under the timekeeper's lock).
 */
static bool kvm_clock_host_tsc;

static int kvm_clock_gtod_notify(struct notifier_block *nb,
				 unsigned long was_set, void *priv)
{
	struct timekeeper *tk = priv;

	WRITE_ONCE(kvm_clock_host_tsc,
		   tk->tkr_mono.clock->vdso_clock_mode == VDSO_CLOCKMODE_TSC);
	return 0;
}

static struct notifier_block kvm_clock_gtod_nb = {
	.notifier_call = kvm_clock_gtod_notify,
};

int kvm_clock_init(void)
{
	return pvclock_gtod_register_notifier(&kvm_clock_gtod_nb);
}

void kvm_clock_exit(void)
{
	pvclock_gtod_unregister_notifier(&kvm_clock_gtod_nb);
}

static bool kvm_clock_host_stable(void)
{
	return READ_ONCE(kvm_clock_host_tsc) && !check_tsc_unstable();
}

/* KVM's kvmclock base: raw monotonic, plus the time spent in suspend. */
static s64 kvm_clock_base_ns(void)
{
	return ktime_to_ns(ktime_add(ktime_get_raw(),
				     ktime_mono_to_any(0, TK_OFFS_BOOT)));
}

/*
 * The pvclock scale for a TSC of @khz: ns = (delta << shift) * mul >> 32
 * (with a negative shift, a right shift).  Chosen so that mul has its top
 * bit set, for the most precision: @hz * 2^shift in (1e9, 2e9].
 */
static void kvm_clock_time_scale(u32 khz, s8 *shift, u32 *mul)
{
	u64 hz = (u64)khz * 1000;
	int s = 0;

	if (!hz) {
		*shift = 0;
		*mul = 0;
		return;
	}
	while ((hz << s) <= NSEC_PER_SEC && s < 31)
		s++;
	while (s > -31 && (hz >> -s) > 2 * NSEC_PER_SEC)
		s--;
	*shift = s;
	if (s >= 0)
		*mul = mul_u64_u64_div_u64(NSEC_PER_SEC, 1ULL << 32, hz << s);
	else
		*mul = mul_u64_u64_div_u64(NSEC_PER_SEC, 1ULL << (32 - s), hz);
}

/*
 * The master clock
 */

/* All vCPUs' TSCs in step: one offset for all (no TSC scaling here). */
static bool kvm_clock_tscs_matched(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->nr_vcpus);
	bool have = false;
	u64 offset = 0;

	smp_rmb(); /* nr_vcpus before the vCPUs it counts */
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *v = xa_load(&kvm->vcpus, i);
		u64 o = READ_ONCE(v->arch.msrs->tsc_offset);

		if (have && o != offset)
			return false;
		offset = o;
		have = true;
	}
	return true;
}

/*
 * A (host TSC, base ns) pair read together, and whether it may serve as
 * the VM's master clock.  The TSC reads around the snapshot make sure its
 * counter value really is the TSC, whatever the notifier last said.
 */
static bool kvm_clock_take_master(struct kvm *kvm, u64 *cycle, s64 *ns)
{
	struct system_time_snapshot snap;
	unsigned long flags;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	ktime_get_snapshot(&snap);
	t1 = rdtsc_ordered();
	local_irq_restore(flags);

	*cycle = snap.cycles;
	*ns = ktime_to_ns(ktime_add(snap.raw,
				    ktime_mono_to_any(0, TK_OFFS_BOOT)));
	return kvm_clock_host_stable() && t0 <= snap.cycles &&
	       snap.cycles <= t1 && kvm_clock_tscs_matched(kvm) &&
	       !READ_ONCE(kvm->arch.clock.boot_vcpu_old_msr);
}

/* Recompute the master clock; every vCPU republishes.  Lock held. */
static void kvm_clock_set_master(struct kvm *kvm)
{
	struct kvm_clock *kc = &kvm->arch.clock;
	u64 cycle;
	s64 ns;

	/* Read without the lock by kvm_clock_master_stale(). */
	WRITE_ONCE(kc->use_master, kvm_clock_take_master(kvm, &cycle, &ns));
	if (kc->use_master) {
		kc->master_cycle = cycle;
		kc->master_ns = ns;
	}
}

static void kvm_clock_update_master(struct kvm *kvm)
{
	struct kvm_clock *kc = &kvm->arch.clock;
	unsigned long flags;

	/* A change after this is seen again at the next entry. */
	WRITE_ONCE(kc->master_dirty, false);
	write_seqlock_irqsave(&kc->lock, flags);
	kvm_clock_set_master(kvm);
	write_sequnlock_irqrestore(&kc->lock, flags);
	atomic_inc(&kc->gen);
}

/* The master clock must be (re)taken, or given up. */
static bool kvm_clock_master_stale(struct kvm *kvm)
{
	struct kvm_clock *kc = &kvm->arch.clock;

	return READ_ONCE(kc->master_dirty) ||
	       (READ_ONCE(kc->use_master) && !kvm_clock_host_stable());
}

void kvm_clock_init_vm(struct kvm *kvm)
{
	struct kvm_clock *kc = &kvm->arch.clock;

	seqlock_init(&kc->lock);
	/* A new VM's kvmclock starts at 0, as in KVM. */
	kc->offset = -kvm_clock_base_ns();
	kc->master_dirty = true;
}

/*
 * KVM_GET_CLOCK and the wall clock
 */

static void kvm_clock_read(struct kvm *kvm, struct kvm_clock_data *data)
{
	struct kvm_clock *kc = &kvm->arch.clock;
	struct pvclock_vcpu_time_info hv = {};
	struct system_time_snapshot snap;
	unsigned int seq;

	if (kvm_clock_master_stale(kvm))
		kvm_clock_update_master(kvm);
	memset(data, 0, sizeof(*data));
	do {
		seq = read_seqbegin(&kc->lock);
		data->flags = 0;
		if (!kc->use_master) {
			data->clock = kvm_clock_base_ns() + kc->offset;
			continue;
		}
		/* The exact value the vCPUs' pvclock pages give now. */
		ktime_get_snapshot(&snap);
		data->flags = KVM_CLOCK_TSC_STABLE;
		data->host_tsc = snap.cycles;
		if (READ_ONCE(kvm_clock_host_tsc)) {
			data->realtime = ktime_to_ns(snap.real);
			data->flags |= KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
		} else {
			data->host_tsc = rdtsc();
		}
		hv.tsc_timestamp = kc->master_cycle;
		hv.system_time = kc->master_ns + kc->offset;
		kvm_clock_time_scale(tsc_khz, &hv.tsc_shift,
				     &hv.tsc_to_system_mul);
		data->clock = __pvclock_read_cycles(&hv, data->host_tsc);
	} while (read_seqretry(&kc->lock, seq));
}

static long kvm_vm_ioctl_get_clock(struct kvm *kvm, void __user *argp)
{
	struct kvm_clock_data data;

	kvm_clock_read(kvm, &data);
	return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
}

/*
 * KVM_SET_CLOCK (api.rst 4.30): the flags KVM_GET_CLOCK returns are
 * accepted, only KVM_CLOCK_REALTIME acts: the time elapsed since
 * data.realtime is added, never subtracted.
 */
static long kvm_vm_ioctl_set_clock(struct kvm *kvm, void __user *argp)
{
	struct kvm_clock *kc = &kvm->arch.clock;
	struct kvm_clock_data data;
	unsigned long flags;
	u64 now_real;

	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~KVM_CLOCK_VALID_FLAGS)
		return -EINVAL;

	WRITE_ONCE(kc->master_dirty, false);
	write_seqlock_irqsave(&kc->lock, flags);
	kvm_clock_set_master(kvm);
	if (data.flags & KVM_CLOCK_REALTIME) {
		now_real = ktime_get_real_ns();
		if (now_real > data.realtime)
			data.clock += now_real - data.realtime;
	}
	/*
	 * Relative to the master clock when there is one, so that the
	 * clock the vCPUs extrapolate from it starts at data.clock.
	 */
	kc->offset = data.clock - (kc->use_master ? kc->master_ns :
				   kvm_clock_base_ns());
	write_sequnlock_irqrestore(&kc->lock, flags);
	atomic_inc(&kc->gen);
	return 0;
}

long kvm_vm_ioctl_clock(struct kvm *kvm, unsigned int ioctl,
			void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_CLOCK:
		return kvm_vm_ioctl_get_clock(kvm, argp);
	case KVM_SET_CLOCK:
		return kvm_vm_ioctl_set_clock(kvm, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * struct pvclock_wall_clock at @gpa: the host's real time when kvmclock
 * was 0, so that the guest's wall clock is it plus kvmclock.  Written
 * with the version protocol (odd while it changes); a GPA outside guest
 * memory is left alone, as in KVM.
 */
static void kvm_clock_write_wall_clock(struct kvm *kvm, gpa_t gpa)
{
	struct pvclock_wall_clock wc = {};
	struct kvm_clock_data data;
	u64 wall_ns;
	u32 version;

	if (!gpa || kvm_read_guest(kvm, gpa, &version, sizeof(version)))
		return;
	/* An odd version is junk from before: make it even first. */
	version = (version + 1) | 1;
	if (kvm_write_guest(kvm, gpa, &version, sizeof(version)))
		return;

	kvm_clock_read(kvm, &data);
	if (!(data.flags & KVM_CLOCK_REALTIME))
		data.realtime = ktime_get_real_ns();
	wall_ns = data.realtime - data.clock;
	wc.nsec = do_div(wall_ns, NSEC_PER_SEC);
	wc.sec = (u32)wall_ns;		/* wraps in 2106, as the ABI does */
	wc.version = version;
	if (kvm_write_guest(kvm, gpa, &wc, sizeof(wc)))
		return;
	version++;
	kvm_write_guest(kvm, gpa, &version, sizeof(version));
}

/*
 * The vCPU's pvclock page
 */

static bool kvm_clock_active(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.clock.msr & KVM_MSR_ENABLED;
}

/*
 * Write @hv to the guest with the version protocol: odd while it changes
 * (another vCPU may read it meanwhile).  GUEST_STOPPED stays set until the
 * guest clears it.  A GPA outside guest memory, or a structure that
 * crosses a page, is left alone.
 */
static void kvm_clock_publish(struct kvm_vcpu *vcpu,
			      struct pvclock_vcpu_time_info *hv)
{
	struct kvm_vcpu_clock *c = &vcpu->arch.clock;
	gpa_t gpa = c->msr & ~(u64)KVM_MSR_ENABLED;
	struct pvclock_vcpu_time_info g;
	struct kvm *kvm = vcpu->kvm;

	if (offset_in_page(gpa) + sizeof(g) > PAGE_SIZE ||
	    kvm_read_guest(kvm, gpa, &g, sizeof(g)))
		return;
	hv->version = (g.version + 1) | 1;
	hv->flags |= g.flags & PVCLOCK_GUEST_STOPPED;
	if (c->stop_req)
		hv->flags |= PVCLOCK_GUEST_STOPPED;
	c->stop_req = false;
	if (kvm_write_guest(kvm, gpa, &hv->version, sizeof(hv->version)))
		return;
	smp_wmb(); /* the odd version before the data */
	if (kvm_write_guest(kvm, gpa, hv, sizeof(*hv)))
		return;
	smp_wmb(); /* the data before the even version */
	hv->version++;
	kvm_write_guest(kvm, gpa, &hv->version, sizeof(hv->version));
}

/* Must the pvclock be rewritten before entering on @cpu? */
static bool kvm_clock_stale_on(struct kvm_vcpu *vcpu, int cpu)
{
	struct kvm_vcpu_clock *c = &vcpu->arch.clock;

	if (!kvm_clock_active(vcpu))
		return false;
	if (c->update || c->gen != atomic_read(&vcpu->kvm->arch.clock.gen) ||
	    kvm_clock_master_stale(vcpu->kvm))
		return true;
	/* Without the master clock, the pair was taken on one CPU's TSC. */
	return !c->stable && c->cpu != cpu;
}

bool kvm_clock_vcpu_stale(struct kvm_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	return kvm_clock_stale_on(vcpu, smp_processor_id());
}

void kvm_clock_vcpu_update(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_clock *c = &vcpu->arch.clock;
	struct kvm_clock *kc = &vcpu->kvm->arch.clock;
	struct pvclock_vcpu_time_info hv = {};
	unsigned long flags;
	s64 ns, offset;
	unsigned int seq;
	u64 host_tsc;
	bool master;
	int gen;

	if (!kvm_clock_stale_on(vcpu, raw_smp_processor_id()))
		return;
	if (kvm_clock_master_stale(vcpu->kvm))
		kvm_clock_update_master(vcpu->kvm);
	gen = atomic_read(&kc->gen);
	do {
		seq = read_seqbegin(&kc->lock);
		master = kc->use_master;
		host_tsc = kc->master_cycle;
		ns = kc->master_ns;
		offset = kc->offset;
	} while (read_seqretry(&kc->lock, seq));
	local_irq_save(flags);
	c->cpu = smp_processor_id();
	if (!master) {
		host_tsc = rdtsc();
		ns = kvm_clock_base_ns();
	}
	local_irq_restore(flags);

	hv.tsc_timestamp = host_tsc + vcpu->arch.msrs->tsc_offset;
	hv.system_time = ns + offset;
	/*
	 * The rate the guest's TSC really ticks at: the host's, without TSC
	 * scaling (KVM_SET_TSC_KHZ only accepts rates within 250 ppm of it,
	 * and does not change how fast the TSC runs).
	 */
	kvm_clock_time_scale(tsc_khz, &hv.tsc_shift, &hv.tsc_to_system_mul);
	hv.flags = master ? PVCLOCK_TSC_STABLE_BIT : 0;
	kvm_clock_publish(vcpu, &hv);
	c->stable = master;
	c->gen = gen;
	c->update = false;
}

void kvm_clock_tsc_changed(struct kvm_vcpu *vcpu)
{
	vcpu->arch.clock.update = true;
}

/*
 * Only userspace's TSC writes decide whether the vCPUs' TSCs are in step,
 * as in KVM: the guest's own writes update only that vCPU's page, so that
 * a guest writing its TSC in a loop cannot keep its other vCPUs busy
 * retaking the master clock.
 */
void kvm_clock_tsc_synced(struct kvm *kvm)
{
	WRITE_ONCE(kvm->arch.clock.master_dirty, true);
}

/* As KVM's reset: kvmclock off until the guest enables it again. */
void kvm_clock_vcpu_reset(struct kvm_vcpu *vcpu)
{
	vcpu->arch.clock.msr = 0;
	vcpu->arch.clock.stop_req = false;
}

/*
 * KVM_KVMCLOCK_CTRL (api.rst 4.70): tell the guest, through its pvclock
 * page, that it was stopped.  -EINVAL while the vCPU has no kvmclock.
 */
long kvm_vcpu_ioctl_kvmclock_ctrl(struct kvm_vcpu *vcpu)
{
	if (!kvm_clock_active(vcpu))
		return -EINVAL;
	vcpu->arch.clock.stop_req = true;
	vcpu->arch.clock.update = true;
	return 0;
}

/*
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID (api.rst 8.28): while off (the
 * default), the guest has every paravirtual feature whatever its CPUID
 * says; while on, only those in the KVM_CPUID_FEATURES leaf of the KVM
 * signature leaf userspace gave it (KVM's hypervisor leaves may start at
 * any multiple of 0x100 from 0x40000000).
 */
static const struct kvm_cpuid_entry2 *
kvm_pv_cpuid_find(struct kvm_vcpu *vcpu, u32 function)
{
	int i;

	for (i = 0; i < vcpu->arch.cpuid_nent; i++)
		if (vcpu->arch.cpuid_entries[i].function == function)
			return &vcpu->arch.cpuid_entries[i];
	return NULL;
}

static u32 kvm_guest_pv_features(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e;
	u32 base, sig[3];

	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		e = kvm_pv_cpuid_find(vcpu, base);
		if (!e)
			continue;
		sig[0] = e->ebx;
		sig[1] = e->ecx;
		sig[2] = e->edx;
		if (memcmp(sig, KVM_SIGNATURE, sizeof(sig)))
			continue;
		e = kvm_pv_cpuid_find(vcpu, base | KVM_CPUID_FEATURES);
		return e ? e->eax : 0;
	}
	return 0;
}

bool kvm_guest_pv_has(struct kvm_vcpu *vcpu, int feature)
{
	return !vcpu->arch.clock.enforce_pv_cpuid ||
	       (kvm_guest_pv_features(vcpu) & BIT(feature));
}

long kvm_vcpu_ioctl_enable_cap(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		vcpu->arch.clock.enforce_pv_cpuid = cap.args[0];
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The MSRs (msr.rst): the legacy ones (0x11, 0x12) need
 * KVM_FEATURE_CLOCKSOURCE, the others CLOCKSOURCE2, once enforced.  Any
 * value is accepted, as in KVM.
 */
static bool kvm_clock_msr_exists(struct kvm_vcpu *vcpu, u32 index)
{
	return kvm_guest_pv_has(vcpu, index == MSR_KVM_WALL_CLOCK ||
				      index == MSR_KVM_SYSTEM_TIME ?
				      KVM_FEATURE_CLOCKSOURCE :
				      KVM_FEATURE_CLOCKSOURCE2);
}

int kvm_clock_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	if (!kvm_clock_msr_exists(vcpu, index))
		return KVM_MSR_RET_UNSUPPORTED;
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->kvm->arch.clock.wall_clock_msr);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->arch.clock.msr;
		return 0;
	default:
		return 1;
	}
}

/*
 * The legacy MSR on the boot vCPU marks a guest too old for the stable
 * bit (it did not handle it), as in KVM: no master clock for it.
 */
static void kvm_clock_set_system_time(struct kvm_vcpu *vcpu, u64 data,
				      bool old, bool host)
{
	struct kvm_clock *kc = &vcpu->kvm->arch.clock;

	if (vcpu->vcpu_id == 0 && !host &&
	    READ_ONCE(kc->boot_vcpu_old_msr) != old) {
		WRITE_ONCE(kc->boot_vcpu_old_msr, old);
		WRITE_ONCE(kc->master_dirty, true);
	}
	vcpu->arch.clock.msr = data;
	vcpu->arch.clock.update = true;
}

int kvm_clock_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (!kvm_clock_msr_exists(vcpu, index))
		return KVM_MSR_RET_UNSUPPORTED;
	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		WRITE_ONCE(vcpu->kvm->arch.clock.wall_clock_msr, data);
		kvm_clock_write_wall_clock(vcpu->kvm, data);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		kvm_clock_set_system_time(vcpu, data,
					  index == MSR_KVM_SYSTEM_TIME, host);
		return 0;
	default:
		return 1;
	}
}

/*
 * KVM_HC_CLOCK_PAIRING: the host's real time and the guest's TSC at the
 * same instant, for the guest's PTP driver (ptp_kvm).  Only with a TSC
 * clocksource, as in KVM.
 */
unsigned long kvm_clock_pairing(struct kvm_vcpu *vcpu, u64 gpa,
				unsigned long type)
{
	struct kvm_clock_pairing cp = {};
	struct system_time_snapshot snap;
	struct timespec64 ts;

	if (type != KVM_CLOCK_PAIRING_WALLCLOCK || !kvm_clock_host_stable())
		return -KVM_EOPNOTSUPP;
	ktime_get_snapshot(&snap);
	ts = ktime_to_timespec64(snap.real);
	cp.sec = ts.tv_sec;
	cp.nsec = ts.tv_nsec;
	cp.tsc = snap.cycles + vcpu->arch.msrs->tsc_offset;
	if (kvm_write_guest(vcpu->kvm, gpa, &cp, sizeof(cp)))
		return -KVM_EFAULT;
	return 0;
}

long kvm_clock_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_VALID_FLAGS;
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
	case KVM_CAP_ENABLE_CAP:
		return 1;
	default:
		return 0;
	}
}
