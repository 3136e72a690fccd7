/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC: the glue around the register model of
 * lapic_regs.c (locking, the hrtimer, the MMIO device, delivery between
 * vCPUs, kicks and HLT).  Vendor-neutral.  See lapic.c for the protocols.
 */
#ifndef KESTREL_X86_LAPIC_H
#define KESTREL_X86_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/rcuwait.h>
#include <kestrel/kvm_host.h>
#include "lapic_regs.h"
#include "irq_routing.h"

struct kvm_lapic {
	struct kvm_vcpu *vcpu;
	/*
	 * Serializes every call into the model.  Raw and irq-safe: the
	 * hrtimer callback takes it in hard interrupt context, and the entry
	 * path takes it with interrupts off.  Never nested with another
	 * APIC's lock (delivery locks one target at a time).
	 */
	raw_spinlock_t lock;
	struct lapic s;
	struct hrtimer timer;
	u32 timer_seq;		/* s.timer.seq the hrtimer was last set from */
	/* Set (then a kick) whenever this vCPU has something new to look at. */
	atomic_t kicked;
	struct rcuwait wait;	/* the vCPU thread sleeps here in HLT */
	gpa_t vapic_addr;	/* KVM_SET_VAPIC_ADDR, 0 when off */
};

static inline bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

long kvm_lapic_check_extension(long ext);
int kvm_lapic_enable_split_irqchip(struct kvm *kvm, u64 nr_routes);
int kvm_lapic_register_mmio(struct kvm *kvm);
int kvm_lapic_check_ioapic_eoi(struct kvm_vcpu *vcpu);

int kvm_lapic_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_lapic_vcpu_destroy(struct kvm_vcpu *vcpu);
void kvm_lapic_update_cpuid(struct kvm_vcpu *vcpu);
void kvm_lapic_vcpu_reset(struct kvm_vcpu *vcpu);
void kvm_lapic_set_sipi_pending(struct kvm_vcpu *vcpu);
long kvm_lapic_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);

int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 value, bool host);
int kvm_lapic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data);
int kvm_lapic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data);
u64 kvm_lapic_get_tscdeadline(struct kvm_vcpu *vcpu);
void kvm_lapic_set_tscdeadline(struct kvm_vcpu *vcpu, u64 data);

/* Run loop hooks (x86.c). */
void kvm_lapic_process(struct kvm_vcpu *vcpu);
bool kvm_lapic_inject(struct kvm_vcpu *vcpu);
void kvm_lapic_after_exit(struct kvm_vcpu *vcpu);
void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu);
int kvm_lapic_set_vapic_addr(struct kvm_vcpu *vcpu, void __user *argp);
u64 kvm_lapic_get_cr8(struct kvm_vcpu *vcpu);
bool kvm_lapic_kicked(struct kvm_vcpu *vcpu);
int kvm_lapic_block(struct kvm_vcpu *vcpu);
int kvm_lapic_halt(struct kvm_vcpu *vcpu);
int kvm_lapic_run_uninit(struct kvm_vcpu *vcpu);
bool kvm_lapic_ready_for_extint(struct kvm_vcpu *vcpu);
bool kvm_lapic_accepts_pic_intr(struct kvm_vcpu *vcpu);
int kvm_lapic_queue_extint(struct kvm_vcpu *vcpu, u8 vector);

void kvm_vcpu_kick(struct kvm_vcpu *vcpu);
int __kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src,
		       const struct kvm_apic_irq *irq, u8 shorthand);
struct kvm_ioapic_dest_map;
int kvm_apic_deliver_map(struct kvm *kvm, const struct kvm_apic_irq *irq,
			 struct kvm_ioapic_dest_map *map);
int kvm_lapic_rtc_pending(struct kvm_vcpu *vcpu, const struct kvm_apic_irq *irq);
void kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src,
		      const struct kvm_apic_irq *irq);

#endif /* KESTREL_X86_LAPIC_H */
