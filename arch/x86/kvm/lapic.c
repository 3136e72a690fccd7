// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (KVM_CAP_SPLIT_IRQCHIP: LAPIC in the kernel,
 * IOAPIC and PIC in userspace): the glue around the register model of
 * lapic_regs.c.  Vendor-neutral.
 *
 * Locking
 * -------
 * Each APIC has one raw, irq-safe spinlock (struct kvm_lapic.lock) around
 * every call into the model.  It is taken by the vCPU thread (MMIO, MSRs,
 * ioctls, injection with interrupts off), by senders of IPIs and MSIs
 * (other vCPU threads, the VM ioctl) and by the hrtimer callback in hard
 * interrupt context.  At most one APIC lock is held at a time: a sender
 * finishes with its own APIC (collecting the IPI in struct lapic_fx) and
 * drops its lock before it delivers, one target lock at a time.  Nothing
 * that sleeps, and no hrtimer_cancel() (which waits for the callback that
 * takes the lock), is called under it.
 *
 * Kicks
 * -----
 * Whoever gives a vCPU something to do (an accepted interrupt, a timer
 * expiry, INIT/SIPI, an NMI) changes the state first, then
 * kvm_vcpu_kick(): set apic->kicked, full barrier, then IPI the vCPU's
 * CPU if it is in guest mode (the host interrupt makes VMRUN exit), and
 * wake it if it sleeps in HLT.  The run loop clears apic->kicked before it
 * looks at the APIC, and re-checks it after publishing IN_GUEST_MODE with a
 * full barrier (kvm_vcpu_enter_guest()): either the kicker sees
 * IN_GUEST_MODE and sends the IPI, or the vCPU sees kicked and does not
 * enter.  No event is lost between the check and VMRUN.
 *
 * MMIO
 * ----
 * One device per VM on the MMIO bus covers the default APIC page
 * 0xfee00000.  The bus hands the device the vCPU that made the access, so
 * the device dispatches to that vCPU's own APIC, as the hardware does
 * (each CPU sees its own APIC at the address).  An APIC moved elsewhere
 * (IA32_APIC_BASE) is not decoded there; KVM 6.1 does not support moving
 * it either (it warns once); at 0xfee00000 an APIC that is not in xAPIC
 * mode answers nothing, so the access goes to userspace as KVM does.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/kvm.h>
#include <linux/sched/signal.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>

#include <kestrel/kvm_host.h>
#include "cpuid.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "msr.h"
#include "x86.h"

/* KVM's min_timer_period_us default (200 us). */
#define KVM_LAPIC_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

/*
 * Unless KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK is set, destination 0xff
 * broadcasts to APICs in x2APIC mode too (KVM's default, for IOAPICs and
 * MSIs that only know 8-bit IDs).
 */
static bool kvm_x2apic_broadcast_quirk(struct kvm *kvm)
{
	return !READ_ONCE(kvm->arch.x2apic_broadcast_quirk_disabled);
}

/*
 * Time for the model: host monotonic ns (the hrtimer's clock) and the
 * guest TSC at about the same instant.
 */
static void kvm_lapic_now(struct kvm_vcpu *vcpu, struct lapic_now *now)
{
	now->ns = ktime_get_ns();
	now->tsc = kvm_read_guest_tsc(vcpu);
	now->tsc_khz = vcpu->arch.virtual_tsc_khz;
}

/*
 * Kicks
 */

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	int cpu, me;

	atomic_set(&apic->kicked, 1);
	/*
	 * A full barrier, not smp_mb__after_atomic() (only a compiler
	 * barrier on x86 after atomic_set(), a plain store): kicked must be
	 * visible before mode is read, as the vCPU publishes its mode before
	 * it reads kicked (the top of this file).
	 */
	smp_mb();
	/*
	 * Mode before CPU: the vCPU thread sets vcpu->cpu (sched_in) before
	 * it publishes IN_GUEST_MODE, so reading them in this order gives
	 * the CPU it entered on, not the one it ran on before a migration.
	 */
	me = get_cpu();
	if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE) {
		smp_rmb(); /* mode, then cpu: see above */
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu < nr_cpu_ids && cpu != me)
			smp_send_reschedule(cpu);
	}
	put_cpu();
	rcuwait_wake_up(&apic->wait);
}

bool kvm_lapic_kicked(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic && atomic_read(&vcpu->arch.apic->kicked);
}

/*
 * The hrtimer
 */

/* Lock held: make the hrtimer follow the model's timer state. */
static void kvm_lapic_sync_timer(struct kvm_lapic *apic)
{
	const struct lapic_timer *t = &apic->s.timer;

	lockdep_assert_held(&apic->lock);
	if (t->seq == apic->timer_seq)
		return;
	apic->timer_seq = t->seq;
	if (t->armed)
		hrtimer_start(&apic->timer, ns_to_ktime(t->expire_ns),
			      HRTIMER_MODE_ABS_HARD);
	else
		/* Not hrtimer_cancel(): the callback takes this lock. */
		hrtimer_try_to_cancel(&apic->timer);
}

static enum hrtimer_restart kvm_lapic_timer_fn(struct hrtimer *timer)
{
	struct kvm_lapic *apic = container_of(timer, struct kvm_lapic, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	struct lapic_now now;
	unsigned long flags;
	bool fired;

	raw_spin_lock_irqsave(&apic->lock, flags);
	kvm_lapic_now(apic->vcpu, &now);
	fired = lapic_timer_expired(&apic->s, &now);
	/*
	 * Periodic mode set up the next period; a stale or early expiry
	 * leaves the model's (possibly new) deadline: follow it either way.
	 */
	apic->timer_seq = apic->s.timer.seq;
	/*
	 * A vCPU thread may have started the timer again while we waited
	 * for the lock (hrtimer_start() is only called under it): then it
	 * is queued with the right expiry, and must not be touched.
	 */
	if (apic->s.timer.armed && !hrtimer_is_queued(timer)) {
		hrtimer_set_expires(timer, ns_to_ktime(apic->s.timer.expire_ns));
		ret = HRTIMER_RESTART;
	}
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	if (fired)
		kvm_vcpu_kick(apic->vcpu);
	return ret;
}

/*
 * Effects of a register access, with no APIC lock held.
 */

static void kvm_lapic_fx(struct kvm_vcpu *vcpu, struct lapic_fx *fx)
{
	if (fx->ipi) {
		const struct lapic_icr *icr = &fx->icr;
		struct kvm_apic_irq irq = {
			.dest_id = icr->dest,
			.vector = icr->irq.vector,
			.delivery_mode = icr->irq.delivery_mode,
			.dest_logical = icr->logical,
			.level_trig = icr->irq.trig_level,
			.level = icr->irq.level,
		};

		__kvm_apic_deliver(vcpu->kvm, vcpu, &irq, icr->shorthand);
	}
	/*
	 * Every EOI reaches the in-kernel IOAPIC, which runs the ack
	 * notifiers of its pins with that vector (edge ones too: PIT
	 * reinjection) and, for a level EOI that is broadcast (not
	 * suppressed by SVR bit 12, SDM vol. 3A, 10.8.5), clears Remote IRR.
	 * KVM filters by the vectors of interesting pins first; passing all
	 * is the same, only slower.
	 */
	if (fx->eoi && kvm_irqchip_full(vcpu->kvm))
		kvm_irqchip_ioapic_eoi(vcpu, fx->eoi_vector, fx->eoi_level,
				       !fx->eoi_broadcast);
	/*
	 * Split: the EOI of a vector that a level-triggered route of
	 * userspace's IOAPIC sends to this vCPU: KVM_EXIT_IOAPIC_EOI before
	 * the next entry, so that the IOAPIC can clear Remote IRR (as KVM
	 * 6.1, which looks at the routes, not at TMR or the EOI-broadcast
	 * suppression).
	 */
	else if (fx->eoi && test_bit(fx->eoi_vector,
				     vcpu->arch.ioapic_handled_vectors))
		vcpu->arch.pending_ioapic_eoi = fx->eoi_vector;
	if (fx->map_changed)
		atomic_set(&vcpu->arch.scan_ioapic, 1);
}

/*
 * xAPIC MMIO
 */

static struct kvm_lapic *kvm_lapic_mmio_apic(struct kvm_vcpu *vcpu,
					     gpa_t addr, int len)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!apic || len <= 0 || len > 8)
		return NULL;
	/* Mode and base are only changed by this vCPU's own thread. */
	if ((addr & LAPIC_BASE_ADDR_MASK) != lapic_mmio_base(&apic->s))
		return NULL;
	return apic;
}

/*
 * KVM_X86_QUIRK_LAPIC_MMIO_HOLE (on by default in KVM; Kestrel cannot turn
 * it off and does not report it in KVM_CAP_DISABLE_QUIRKS2): in x2APIC
 * mode or with the APIC disabled
 * the page ignores writes and reads without an exit.  KVM 6.1 leaves the
 * read buffer as it was (stale bytes); Kestrel gives zeros.
 */
static bool kvm_lapic_mmio_hole(struct kvm_lapic *apic)
{
	return lapic_mode(&apic->s) != LAPIC_MODE_XAPIC;
}

static int kvm_lapic_mmio_read(struct kvm_vcpu *vcpu,
			       struct kvm_io_device *dev, gpa_t addr, int len,
			       void *val)
{
	struct kvm_lapic *apic = kvm_lapic_mmio_apic(vcpu, addr, len);
	struct lapic_now now;
	unsigned long flags;

	if (!apic)
		return -EOPNOTSUPP;
	if (kvm_lapic_mmio_hole(apic)) {
		memset(val, 0, len);
		return 0;
	}
	kvm_lapic_now(vcpu, &now);
	raw_spin_lock_irqsave(&apic->lock, flags);
	lapic_mmio_read(&apic->s, addr & (LAPIC_MMIO_SIZE - 1), val, len, &now);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return 0;
}

static int kvm_lapic_mmio_write(struct kvm_vcpu *vcpu,
				struct kvm_io_device *dev, gpa_t addr, int len,
				const void *val)
{
	struct kvm_lapic *apic = kvm_lapic_mmio_apic(vcpu, addr, len);
	struct lapic_fx fx;
	struct lapic_now now;
	unsigned long flags;

	if (!apic)
		return -EOPNOTSUPP;
	if (kvm_lapic_mmio_hole(apic))
		return 0;
	kvm_lapic_now(vcpu, &now);
	raw_spin_lock_irqsave(&apic->lock, flags);
	lapic_mmio_write(&apic->s, addr & (LAPIC_MMIO_SIZE - 1), val, len,
			 &now, &fx);
	kvm_lapic_sync_timer(apic);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	kvm_lapic_fx(vcpu, &fx);
	return 0;
}

static void kvm_lapic_mmio_destructor(struct kvm_io_device *dev)
{
	kfree(dev);
}

static const struct kvm_io_device_ops kvm_lapic_mmio_ops = {
	.read = kvm_lapic_mmio_read,
	.write = kvm_lapic_mmio_write,
	.destructor = kvm_lapic_mmio_destructor,
};

/*
 * VM: KVM_CAP_SPLIT_IRQCHIP, KVM_SIGNAL_MSI
 */

long kvm_lapic_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_TSC_DEADLINE_TIMER:
		return 1;
	default:
		return 0;
	}
}

/*
 * The xAPIC page on the MMIO bus, when an irqchip mode is enabled:
 * kvm->lock and slots_lock held.  The bus owns the device (destructor).
 */
int kvm_lapic_register_mmio(struct kvm *kvm)
{
	struct kvm_io_device *dev;
	int r;

	lockdep_assert_held(&kvm->slots_lock);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->ops = &kvm_lapic_mmio_ops;
	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, LAPIC_DEFAULT_BASE,
				    LAPIC_MMIO_SIZE, dev);
	if (r)
		kfree(dev);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP) (api.rst 7.10): args[0] routes
 * reserved for userspace's IOAPIC; -EINVAL above KVM's limit, -EEXIST once
 * an irqchip or a vCPU exists (as KVM 6.1).
 */
int kvm_lapic_enable_split_irqchip(struct kvm *kvm, u64 nr_routes)
{
	int r;

	if (nr_routes > KVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->arch.irqchip_mode || kvm->created_vcpus)
		goto out_unlock;
	mutex_lock(&kvm->slots_lock);
	r = kvm_lapic_register_mmio(kvm);
	mutex_unlock(&kvm->slots_lock);
	if (r)
		goto out_unlock;
	kvm->arch.nr_reserved_ioapic_pins = nr_routes;
	/* vCPUs created from now on get an APIC (kvm->lock orders them). */
	smp_store_release(&kvm->arch.irqchip_mode, KVM_IRQCHIP_MODE_SPLIT);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * Delivery: IPIs, MSIs
 */

static bool kvm_apic_match(struct kvm_lapic *t, struct kvm_lapic *src_apic,
			   const struct kvm_apic_irq *irq, u8 shorthand)
{
	unsigned long flags;
	bool match;

	raw_spin_lock_irqsave(&t->lock, flags);
	/* The source APIC is only compared by address: not locked. */
	match = lapic_match_dest(&t->s, src_apic ? &src_apic->s : NULL,
				 irq->dest_id, irq->dest_logical, shorthand,
				 kvm_x2apic_broadcast_quirk(t->vcpu->kvm));
	raw_spin_unlock_irqrestore(&t->lock, flags);
	return match;
}

/*
 * Give @irq to one APIC and act on the result; 1 if it took it.  @map
 * (the IOAPIC's RTC pin) records who did.
 */
static int kvm_apic_accept(struct kvm_vcpu *vcpu, const struct kvm_apic_irq *irq,
			   struct kvm_ioapic_dest_map *map)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_irq li = {
		.vector = irq->vector,
		.delivery_mode = irq->delivery_mode,
		.level = irq->level,
		.trig_level = irq->level_trig,
	};
	enum lapic_accept a;
	unsigned long flags;

	raw_spin_lock_irqsave(&apic->lock, flags);
	a = lapic_accept_irq(&apic->s, &li);
	switch (a) {
	case LAPIC_NMI:
		/* Picked up by the vCPU thread (nmi_pending is its own). */
		atomic_inc(&vcpu->arch.apic_nmi);
		break;
	case LAPIC_INIT:
		vcpu->arch.apic_init = true;
		break;
	case LAPIC_SIPI:
		vcpu->arch.apic_sipi_vector = irq->vector;
		vcpu->arch.apic_sipi = true;
		break;
	default:
		break;
	}
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	if (a == LAPIC_DROPPED)
		return 0;
	if (map)
		kvm_ioapic_dest_map_add(map, vcpu->vcpu_id, irq->vector);
	kvm_vcpu_kick(vcpu);
	return 1;
}

/*
 * Deliver an interrupt message to every matching APIC (SDM vol. 3A,
 * 10.6.2).  Lowest priority goes to one of them, chosen by vector hashing
 * as KVM 6.1 does by default (the vector modulo the number of matches),
 * not by the priority arbitration the SDM describes, which KVM does not
 * do either.  Returns -1 when no APIC matched, otherwise how many took it.
 */
static int kvm_apic_deliver_to(struct kvm *kvm, struct kvm_vcpu *src,
			       const struct kvm_apic_irq *irq, u8 shorthand,
			       struct kvm_ioapic_dest_map *map)
{
	struct kvm_lapic *src_apic = src ? src->arch.apic : NULL;
	bool lowest = irq->delivery_mode == LAPIC_DM_LOWEST ||
		      irq->redir_hint;
	int i, n, nmatch = 0, pick = 0, r = -1;

	n = atomic_read(&kvm->nr_vcpus);
	smp_rmb(); /* nr_vcpus before the vCPUs it counts (kvm_main.c) */
	if (lowest) {
		for (i = 0; i < n; i++) {
			struct kvm_vcpu *v = xa_load(&kvm->vcpus, i);

			if (v && v->arch.apic &&
			    kvm_apic_match(v->arch.apic, src_apic, irq, shorthand))
				nmatch++;
		}
		if (!nmatch)
			return -1;
		pick = irq->vector % nmatch;
	}
	nmatch = 0;
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *v = xa_load(&kvm->vcpus, i);

		if (!v || !v->arch.apic ||
		    !kvm_apic_match(v->arch.apic, src_apic, irq, shorthand))
			continue;
		if (lowest && nmatch++ != pick)
			continue;
		if (r < 0)
			r = 0;
		r += kvm_apic_accept(v, irq, map);
		if (lowest)
			break;
	}
	return r;
}

int __kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src,
		       const struct kvm_apic_irq *irq, u8 shorthand)
{
	return kvm_apic_deliver_to(kvm, src, irq, shorthand, NULL);
}

/* From the in-kernel IOAPIC, under its lock (irqchip.c). */
int kvm_apic_deliver_map(struct kvm *kvm, const struct kvm_apic_irq *irq,
			 struct kvm_ioapic_dest_map *map)
{
	return kvm_apic_deliver_to(kvm, NULL, irq, LAPIC_SH_NONE, map);
}

/*
 * For the IOAPIC's RTC tracking (KVM's kvm_rtc_eoi_tracking_restore_one()):
 * -1 if @irq's destination is not this APIC, else whether its vector
 * waits in IRR or ISR (kvm_apic_pending_eoi()).
 */
int kvm_lapic_rtc_pending(struct kvm_vcpu *vcpu, const struct kvm_apic_irq *irq)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 word = (irq->vector / 32) * 4, bit = BIT(irq->vector % 32);
	unsigned long flags;
	int r = -1;

	if (!apic)
		return -1;
	raw_spin_lock_irqsave(&apic->lock, flags);
	if (lapic_match_dest(&apic->s, NULL, irq->dest_id, irq->dest_logical,
			     LAPIC_SH_NONE,
			     kvm_x2apic_broadcast_quirk(vcpu->kvm)))
		r = !!((apic->s.regs[LAPIC_IRR / 4 + word] |
			apic->s.regs[LAPIC_ISR / 4 + word]) & bit);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return r;
}

void kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src,
		      const struct kvm_apic_irq *irq)
{
	__kvm_apic_deliver(kvm, src, irq, LAPIC_SH_NONE);
}

/*
 * The vCPU thread: which vectors of level-triggered MSI routes of the
 * reserved IOAPIC pins (GSIs below KVM_CAP_SPLIT_IRQCHIP's args[0]) are
 * destined to this vCPU.
 */
static void kvm_lapic_scan_ioapic(struct kvm_vcpu *vcpu)
{
	const struct kvm_kernel_irq_routing_entry *e;
	struct kvm *kvm = vcpu->kvm;
	struct kvm_irq_routing_table *rt;
	struct kvm_apic_irq irq;
	unsigned int k, cnt;
	u32 gsi;

	if (!atomic_xchg(&vcpu->arch.scan_ioapic, 0))
		return;
	bitmap_zero(vcpu->arch.ioapic_handled_vectors, 256);
	rcu_read_lock();
	rt = rcu_dereference(kvm->arch.irq_routing);
	for (gsi = 0; rt && gsi < kvm->arch.nr_reserved_ioapic_pins; gsi++) {
		cnt = kvm_irq_map_gsi(rt, gsi, &e);
		for (k = 0; k < cnt; k++) {
			if (e[k].type != KVM_IRQ_ROUTING_MSI ||
			    !kvm_msi_decode(e[k].msi.address_lo,
					    e[k].msi.address_hi, e[k].msi.data,
					    READ_ONCE(kvm->arch.x2apic_format),
					    &irq) ||
			    !irq.level_trig)
				continue;
			if (kvm_apic_match(vcpu->arch.apic, NULL, &irq,
					   LAPIC_SH_NONE))
				__set_bit(irq.vector,
					  vcpu->arch.ioapic_handled_vectors);
		}
	}
	rcu_read_unlock();
}

/* Run loop: an EOI userspace's IOAPIC must hear of; 0 to exit. */
int kvm_lapic_check_ioapic_eoi(struct kvm_vcpu *vcpu)
{
	int vector = vcpu->arch.pending_ioapic_eoi;

	if (vector < 0)
		return 1;
	vcpu->arch.pending_ioapic_eoi = -1;
	vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
	vcpu->run->eoi.vector = vector;
	return 0;
}

/*
 * vCPU life cycle
 */

static void kvm_lapic_cfg(struct kvm_vcpu *vcpu, struct lapic_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpu_id = vcpu->vcpu_id;
	cfg->bsp = kvm_vcpu_is_reset_bsp(vcpu);
	/* From the guest's CPUID (the host's until KVM_SET_CPUID2). */
	if (vcpu->arch.cpuid_entries) {
		cfg->x2apic = kvm_guest_cpuid_has(vcpu, X86_FEATURE_X2APIC);
		cfg->tsc_deadline =
			kvm_guest_cpuid_has(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER);
		/*
		 * KVM 6.1: with the split irqchip, when x2APIC is offered;
		 * the in-kernel IOAPIC (version 0x11) has no EOI register.
		 */
		cfg->directed_eoi = cfg->x2apic && kvm_irqchip_split(vcpu->kvm);
	}
	cfg->lint0_quirk = kvm_check_has_quirk(vcpu->kvm,
					       KVM_X86_QUIRK_LINT0_REENABLED);
	cfg->maxphyaddr = kvm_guest_maxphyaddr(vcpu);
	cfg->min_period_ns = KVM_LAPIC_MIN_PERIOD_NS;
}

int kvm_lapic_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic;
	struct lapic_cfg cfg;

	/* Counted in created_vcpus: irqchip_mode cannot change now. */
	if (!kvm_irqchip_lapics(vcpu->kvm))
		return 0;
	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->vcpu = vcpu;
	raw_spin_lock_init(&apic->lock);
	rcuwait_init(&apic->wait);
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = kvm_lapic_timer_fn;
	kvm_lapic_cfg(vcpu, &cfg);
	lapic_init(&apic->s, &cfg);
	lapic_reset(&apic->s, false);
	apic->timer_seq = apic->s.timer.seq;
	vcpu->arch.apic = apic;
	/*
	 * KVM 6.1 with an in-kernel APIC: the BSP starts runnable, APs wait
	 * for INIT/SIPI (KVM_MP_STATE_UNINITIALIZED).
	 */
	vcpu->arch.mp_state = kvm_vcpu_is_reset_bsp(vcpu) ?
			      KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	vcpu->arch.apic_base = apic->s.apic_base;
	vcpu->arch.pending_ioapic_eoi = -1;
	atomic_set(&vcpu->arch.scan_ioapic, 1);
	return 0;
}

/* After KVM_SET_CPUID2 (before the vCPU first runs). */
void kvm_lapic_update_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_cfg cfg;
	unsigned long flags;

	if (!apic)
		return;
	kvm_lapic_cfg(vcpu, &cfg);
	raw_spin_lock_irqsave(&apic->lock, flags);
	lapic_set_cfg(&apic->s, &cfg);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
}

void kvm_lapic_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!apic)
		return;
	/* No lock held: waits for a running callback, which kicks us. */
	hrtimer_cancel(&apic->timer);
	vcpu->arch.apic = NULL;
	kfree(apic);
}

/*
 * IA32_APIC_BASE, x2APIC MSRs, TSC deadline (msr.c)
 */

int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_fx fx;
	unsigned long flags;
	int r;

	raw_spin_lock_irqsave(&apic->lock, flags);
	r = lapic_set_base(&apic->s, value, host, &fx);
	kvm_lapic_sync_timer(apic);
	if (!r)
		vcpu->arch.apic_base = apic->s.apic_base;
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	if (!r)
		kvm_lapic_fx(vcpu, &fx);
	return r ? 1 : 0;
}

int kvm_lapic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_now now;
	unsigned long flags;
	int r;

	kvm_lapic_now(vcpu, &now);
	raw_spin_lock_irqsave(&apic->lock, flags);
	r = lapic_msr_read(&apic->s, msr, data, &now);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return r ? 1 : 0;
}

int kvm_lapic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_now now;
	struct lapic_fx fx;
	unsigned long flags;
	int r;

	kvm_lapic_now(vcpu, &now);
	raw_spin_lock_irqsave(&apic->lock, flags);
	r = lapic_msr_write(&apic->s, msr, data, &now, &fx);
	kvm_lapic_sync_timer(apic);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	if (r)
		return 1;
	kvm_lapic_fx(vcpu, &fx);
	return 0;
}

u64 kvm_lapic_get_tscdeadline(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	u64 v;

	raw_spin_lock_irqsave(&apic->lock, flags);
	v = lapic_tscdeadline_read(&apic->s);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return v;
}

void kvm_lapic_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_now now;
	unsigned long flags;

	kvm_lapic_now(vcpu, &now);
	raw_spin_lock_irqsave(&apic->lock, flags);
	lapic_tscdeadline_write(&apic->s, data, &now);
	kvm_lapic_sync_timer(apic);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
}

/*
 * The run loop
 */

/*
 * INIT (SDM vol. 3A, 9.4.3 and 10.6.1): the APIC is reset (but keeps its
 * ID and base) and the vCPU waits for a SIPI; SIPI starts it in real mode
 * at vector << 12 (CS = vector << 8).
 */
/*
 * The APIC's part of INIT, also after a shutdown (which resets the vCPU as
 * INIT does, as KVM): registers reset, ID and base kept, timer stopped.
 */
void kvm_lapic_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;

	if (!apic)
		return;
	raw_spin_lock_irqsave(&apic->lock, flags);
	/* KVM_X86_QUIRK_LINT0_REENABLED as it is now, as KVM reads it. */
	apic->s.cfg.lint0_quirk =
		kvm_check_has_quirk(vcpu->kvm, KVM_X86_QUIRK_LINT0_REENABLED);
	lapic_reset(&apic->s, true);
	kvm_lapic_sync_timer(apic);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
}

static void kvm_lapic_do_init(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_init_event(vcpu);
	kvm_lapic_vcpu_reset(vcpu);
	/*
	 * KVM 6.1: the BSP (IA32_APIC_BASE.BSP, which INIT keeps) runs on
	 * from the reset vector, APs wait for SIPI.
	 */
	vcpu->arch.mp_state =
		(vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP) ?
		KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_INIT_RECEIVED;
}

static void kvm_lapic_do_sipi(struct kvm_vcpu *vcpu, u8 vector)
{
	struct kvm_segment cs;

	kvm_x86_ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	cs.selector = vector << 8;
	cs.base = (u64)vector << 12;
	kvm_x86_ops->set_segment(vcpu, &cs, VCPU_SREG_CS);
	vcpu->arch.rip = 0;
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
}

/*
 * On the vCPU thread, interrupts on: take what others left (NMIs,
 * INIT/SIPI), turn a timer expiry into an IRR bit, follow the hrtimer.
 */
void kvm_lapic_process(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct lapic_irq li;
	unsigned long flags;
	enum lapic_accept a;
	bool init, sipi;
	u8 sipi_vector;

	if (!apic)
		return;
	atomic_set(&apic->kicked, 0);
	smp_mb(); /* clear before looking at the state (a plain store) */
	kvm_lapic_scan_ioapic(vcpu);

	raw_spin_lock_irqsave(&apic->lock, flags);
	a = lapic_timer_inject(&apic->s, &li);
	kvm_lapic_sync_timer(apic);
	init = vcpu->arch.apic_init;
	sipi = vcpu->arch.apic_sipi;
	sipi_vector = vcpu->arch.apic_sipi_vector;
	vcpu->arch.apic_init = false;
	vcpu->arch.apic_sipi = false;
	raw_spin_unlock_irqrestore(&apic->lock, flags);

	if (a == LAPIC_NMI)
		atomic_inc(&vcpu->arch.apic_nmi);
	while (atomic_add_unless(&vcpu->arch.apic_nmi, -1, 0)) {
		/* One may wait behind one being handled (SDM 6.7.1). */
		u8 limit = (vcpu->arch.nmi_masked ||
			    vcpu->arch.nmi_injected) ? 1 : 2;

		if (vcpu->arch.nmi_pending < limit)
			vcpu->arch.nmi_pending++;
	}
	if (init)
		kvm_lapic_do_init(vcpu);
	/* A SIPI is only taken in wait-for-SIPI; otherwise it is dropped. */
	if (sipi && vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		kvm_lapic_do_sipi(vcpu, sipi_vector);
}

static bool kvm_lapic_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	       !kvm_x86_ops->get_interrupt_shadow(vcpu);
}

/*
 * The guest lowers TPR through CR8 without an exit (V_TPR, APM 15.21.1;
 * the TPR shadow on VMX): while TPR alone holds back the highest vector
 * in IRR, exit on MOV to CR8 so that the vector is taken right after, as
 * KVM's update_cr8_intercept() does.  Lock held.
 */
static void kvm_lapic_update_cr8_intercept(struct kvm_vcpu *vcpu,
					   const struct lapic *s)
{
	int irr = lapic_highest_irr(s);

	kvm_x86_ops->set_cr8_intercept(vcpu, irr >= 0 &&
				       (irr >> 4) <= lapic_get_cr8(s));
}

/*
 * An ExtINT waits for this vCPU: userspace's PIC vector (split irqchip,
 * KVM_INTERRUPT), or the in-kernel PIC's INTR line, which any vCPU whose
 * APIC takes PIC interrupts may acknowledge (the BSP's, after
 * KVM_SET_BOOT_CPU_ID too), as in KVM.  Whether the APIC lets it through
 * is lapic_accepts_pic_intr().
 */
static bool kvm_lapic_has_extint(struct kvm_vcpu *vcpu)
{
	if (kvm_irqchip_full(vcpu->kvm))
		return kvm_irqchip_pic_output(vcpu->kvm);
	return vcpu->arch.extint_pending >= 0;
}

/*
 * The INTA cycle (no APIC lock held: the PIC may run ack notifiers).
 * The in-kernel PIC answers a spurious IRQ7 if the request went away.
 */
static u8 kvm_lapic_take_extint(struct kvm_vcpu *vcpu)
{
	int vec;

	if (kvm_irqchip_full(vcpu->kvm))
		return kvm_irqchip_pic_read_irq(vcpu->kvm);
	vec = vcpu->arch.extint_pending;
	vcpu->arch.extint_pending = -1;
	return vec;
}

/*
 * Interrupts off, IN_GUEST_MODE published, nothing else injected this
 * entry: CR8 from the APIC's TPR into the backend, then the PIC's ExtINT
 * or the APIC's highest pending vector if the guest can take one now
 * (SDM vol. 3A, 10.8.3), otherwise the interrupt window.  Returns whether
 * an interrupt was injected.
 */
bool kvm_lapic_inject(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_lapic *apic = a->apic;
	bool busy = a->interrupt.injected || a->exception.injected ||
		    a->nmi_injected;
	bool want = false, done = false, extint = false;
	int vec;

	raw_spin_lock(&apic->lock);
	kvm_x86_ops->set_cr8(vcpu, lapic_get_cr8(&apic->s));
	kvm_lapic_update_cr8_intercept(vcpu, &apic->s);
	if (kvm_lapic_has_extint(vcpu) && lapic_accepts_pic_intr(&apic->s)) {
		if (!busy && kvm_lapic_interrupt_allowed(vcpu))
			extint = true;
		else
			want = true;
	} else {
		vec = lapic_pending_vector(&apic->s);
		if (vec >= 0 && !busy && kvm_lapic_interrupt_allowed(vcpu)) {
			vec = lapic_ack(&apic->s);
			if (vec >= 0) {
				a->interrupt.nr = vec;
				done = true;
			}
		} else if (vec >= 0) {
			want = true;
		}
	}
	raw_spin_unlock(&apic->lock);
	if (extint) {
		a->interrupt.nr = kvm_lapic_take_extint(vcpu);
		done = true;
	}
	if (done) {
		a->interrupt.injected = true;
		a->interrupt.soft = false;
		kvm_x86_ops->inject_irq(vcpu);
	}
	if (want)
		kvm_x86_ops->enable_irq_window(vcpu, true);
	return done;
}

/* After an exit: the guest's MOV to CR8 changed TPR without an exit. */
static void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu);

void kvm_lapic_after_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	u64 cr8;

	if (!apic)
		return;
	cr8 = kvm_x86_ops->get_cr8(vcpu);
	raw_spin_lock_irqsave(&apic->lock, flags);
	if (lapic_get_cr8(&apic->s) != cr8)
		lapic_set_cr8(&apic->s, cr8);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	/* Then the VAPIC page's TPR, which wins (as KVM's order). */
	kvm_lapic_sync_from_vapic(vcpu);
}

/*
 * The VAPIC page (KVM_SET_VAPIC_ADDR, api.rst 4.59; QEMU's kvmvapic option
 * ROM patches a Windows guest's TPR accesses to use it): a u32 of TPR,
 * the highest ISR class and the highest IRR vector, written before each
 * entry; the guest's TPR byte read back after each exit, before the exit
 * is handled, as KVM's kvm_lapic_sync_to/from_vapic().
 */
void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	u32 data;

	if (!apic || !apic->vapic_addr)
		return;
	raw_spin_lock_irqsave(&apic->lock, flags);
	data = lapic_vapic_data(&apic->s);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	kvm_write_guest(vcpu->kvm, apic->vapic_addr, &data, sizeof(data));
}

static void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	u32 data;

	if (!apic->vapic_addr ||
	    kvm_read_guest(vcpu->kvm, apic->vapic_addr, &data, sizeof(data)))
		return;
	raw_spin_lock_irqsave(&apic->lock, flags);
	lapic_set_tpr(&apic->s, data & 0xff);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
}

/*
 * KVM 6.1: -EINVAL without an in-kernel APIC or for an address no memory
 * slot holds (its gfn_to_hva_cache fails); 0 turns the page off.
 */
int kvm_lapic_set_vapic_addr(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vapic_addr va;
	u32 probe;

	if (copy_from_user(&va, argp, sizeof(va)))
		return -EFAULT;
	if (!vcpu->arch.apic)
		return -EINVAL;
	if (va.vapic_addr &&
	    kvm_read_guest(vcpu->kvm, va.vapic_addr, &probe, sizeof(probe)))
		return -EINVAL;
	vcpu->arch.apic->vapic_addr = va.vapic_addr;
	return 0;
}

/* CR8 as KVM_GET_SREGS and kvm_run report it: the APIC's TPR[7:4]. */
u64 kvm_lapic_get_cr8(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	u64 cr8;

	if (!apic)
		return kvm_x86_ops->get_cr8(vcpu);
	raw_spin_lock_irqsave(&apic->lock, flags);
	cr8 = lapic_get_cr8(&apic->s);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return cr8;
}

/*
 * A halted vCPU wakes for an interrupt it can take (IF set: KVM does not
 * wake HLT with IF clear for a maskable interrupt), an NMI, INIT or SIPI.
 */
static bool kvm_lapic_runnable(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	bool irq;

	switch (vcpu->arch.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return true;
	case KVM_MP_STATE_HALTED:
		break;
	default:	/* waiting for INIT or SIPI */
		return false;
	}
	/* An NMI wakes HLT only if it can be taken (not in an NMI handler). */
	if (vcpu->arch.nmi_pending && !vcpu->arch.nmi_masked)
		return true;
	raw_spin_lock_irqsave(&apic->lock, flags);
	irq = lapic_pending_vector(&apic->s) >= 0 ||
	      (kvm_lapic_has_extint(vcpu) &&
	       lapic_accepts_pic_intr(&apic->s));
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return irq && (vcpu->arch.rflags & X86_EFLAGS_IF);
}

/*
 * Sleep until kicked or signalled.  An rcuwait, not a wait queue: the
 * hrtimer callback wakes us from hard interrupt context, where a wait
 * queue's spinlock_t must not be taken (it sleeps on PREEMPT_RT).
 */
static void kvm_lapic_wait(struct kvm_lapic *apic)
{
	rcuwait_wait_event(&apic->wait,
			   atomic_read(&apic->kicked) || signal_pending(current),
			   TASK_INTERRUPTIBLE);
}

/*
 * Sleep until the vCPU can run (1), or a signal (-EINTR and KVM_EXIT_INTR,
 * as KVM_RUN does).  Kicks wake us: see the top of this file.
 */
int kvm_lapic_block(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	for (;;) {
		kvm_lapic_process(vcpu);
		if (kvm_lapic_runnable(vcpu)) {
			vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
			return 1;
		}
		if (signal_pending(current) ||
		    test_thread_flag(TIF_NOTIFY_SIGNAL)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		kvm_lapic_wait(apic);
	}
}

/*
 * KVM_RUN of a vCPU that never got INIT (an AP at creation): as KVM 6.1,
 * sleep until INIT changes that, then -EAGAIN so that userspace runs it
 * again; a signal is -EINTR with KVM_EXIT_INTR.
 */
int kvm_lapic_run_uninit(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	for (;;) {
		kvm_lapic_process(vcpu);
		if (vcpu->arch.mp_state != KVM_MP_STATE_UNINITIALIZED)
			return -EAGAIN;
		if (signal_pending(current) ||
		    test_thread_flag(TIF_NOTIFY_SIGNAL)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		kvm_lapic_wait(apic);
	}
}

/* HLT with the APIC in the kernel: sleep in the kernel, no exit. */
int kvm_lapic_halt(struct kvm_vcpu *vcpu)
{
	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	return 1;
}

/* LVT0 or the APIC's state lets the PIC's ExtINT in (irqchip.c's kick). */
bool kvm_lapic_accepts_pic_intr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&apic->lock, flags);
	ok = lapic_accepts_pic_intr(&apic->s);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	return ok;
}

/*
 * kvm_run->ready_for_interrupt_injection (KVM's kvm_cpu_accept_dm_intr()):
 * the APIC takes ExtINT and none waits.
 */
bool kvm_lapic_ready_for_extint(struct kvm_vcpu *vcpu)
{
	return kvm_lapic_accepts_pic_intr(vcpu) && !kvm_lapic_has_extint(vcpu);
}

/*
 * KVM_INTERRUPT with the split irqchip: the vector of userspace's PIC,
 * delivered as ExtINT; one at a time (-EEXIST), as KVM 6.1.
 */
int kvm_lapic_queue_extint(struct kvm_vcpu *vcpu, u8 vector)
{
	if (vcpu->arch.extint_pending >= 0)
		return -EEXIST;
	vcpu->arch.extint_pending = vector;
	return 0;
}

/*
 * KVM_SET_MP_STATE(SIPI_RECEIVED): a SIPI pending, with the vector of the
 * last one, under the lock senders take.
 */
void kvm_lapic_set_sipi_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long flags;

	raw_spin_lock_irqsave(&apic->lock, flags);
	vcpu->arch.apic_sipi = true;
	raw_spin_unlock_irqrestore(&apic->lock, flags);
}

/*
 * vCPU ioctls: KVM_GET/SET_LAPIC
 */

long kvm_lapic_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	struct kvm_lapic_state *st;
	struct lapic_now now;
	struct lapic_fx fx;
	unsigned long flags;
	long r;

	/* KVM 6.1: -EINVAL without an in-kernel APIC. */
	if (!apic)
		return -EINVAL;
	kvm_lapic_now(vcpu, &now);
	if (ioctl == KVM_GET_LAPIC) {
		st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
		if (!st)
			return -ENOMEM;
		raw_spin_lock_irqsave(&apic->lock, flags);
		r = lapic_get_state(&apic->s, st->regs, &now,
				    READ_ONCE(vcpu->kvm->arch.x2apic_format));
		raw_spin_unlock_irqrestore(&apic->lock, flags);
		if (!r && copy_to_user(argp, st, sizeof(*st)))
			r = -EFAULT;
		kfree(st);
		return r;
	}
	st = memdup_user(argp, sizeof(*st));
	if (IS_ERR(st))
		return PTR_ERR(st);
	raw_spin_lock_irqsave(&apic->lock, flags);
	r = lapic_set_state(&apic->s, st->regs, &now,
			    READ_ONCE(vcpu->kvm->arch.x2apic_format), &fx);
	kvm_lapic_sync_timer(apic);
	raw_spin_unlock_irqrestore(&apic->lock, flags);
	kfree(st);
	if (!r) {
		fx.ipi = false;	/* restoring state sends nothing */
		kvm_lapic_fx(vcpu, &fx);
		kvm_irqchip_rtc_restore(vcpu);
		kvm_vcpu_kick(vcpu);
	}
	return r;
}
