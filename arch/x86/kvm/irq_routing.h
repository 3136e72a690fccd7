/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GSI routing table (KVM_SET_GSI_ROUTING) and MSI message decoding.
 *
 * Pure logic: no kernel or libc dependency beyond <kestrel/pure.h>, so the
 * same source builds into kestrel.ko and into the user-space unit tests.
 *
 * A routing table maps a GSI (what KVM_IRQ_LINE, irqfd and the PIT raise)
 * to one or more destinations: a pin of the master or slave PIC, a pin of
 * the IOAPIC, or an MSI message.  A GSI may have one entry per irqchip
 * (the default GSIs 0-15 go to both the PIC and the IOAPIC, since KVM
 * cannot know which one the guest uses), or exactly one MSI entry.
 *
 * Use by the glue, for KVM_SET_GSI_ROUTING (after checking that an
 * irqchip exists: KVM 6.1 refuses the ioctl with -EINVAL otherwise):
 *
 *	r = kvm_irq_routing_prepare(ue, nr, flags, &size);  // header checks
 *	rt = kvzalloc(size, GFP_KERNEL_ACCOUNT);
 *	r = kvm_irq_routing_build(rt, size, ue, nr, &opts);  // entry checks
 *	publish rt with rcu_assign_pointer(), free the old one after SRCU.
 *
 * Both steps return only 0 or -EINVAL, as KVM 6.1 does for every invalid
 * input; a failed build leaves nothing to undo but freeing rt.  A built
 * table is never modified: lookups (kvm_irq_map_gsi, kvm_irq_map_chip_pin)
 * are lock-free reads.
 *
 * KVM_CREATE_IRQCHIP installs kvm_default_irq_routing() the same way
 * (nothing in it can fail the checks).
 */
#ifndef KESTREL_X86_IRQ_ROUTING_H
#define KESTREL_X86_IRQ_ROUTING_H

#include <kestrel/pure.h>

/* Not UAPI: KVM's kvm_host.h limits, which userspace relies on. */
#define KVM_MAX_IRQ_ROUTES	4096	/* GSIs 0..4095, and at most 4096 entries */
#define KVM_IRQCHIP_NUM_PINS	KVM_IOAPIC_NUM_PINS
#define PIC_NUM_PINS		16	/* both 8259As: slave pins are 8..15 */

/* The x86 MSI address window (SDM vol. 3A, 10.11.1): 0xFEEx_xxxx. */
#define MSI_ADDR_BASE_MASK	0xfff00000U
#define MSI_ADDR_BASE		0xfee00000U

/*
 * An interrupt message to the local APICs: what an IOAPIC redirection
 * entry or an MSI asks for.  The glue finds the destination LAPICs
 * (physical: APIC ID dest_id, 0xff or 0xffffffff broadcast; logical: by
 * LDR/DFR) and accepts the interrupt in each, as an ICR write would.
 */
struct kvm_apic_irq {
	u32 dest_id;		/* 8 bits, or 32 with the x2APIC MSI format */
	u8 vector;
	/* ICR bits 10:8: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
	u8 delivery_mode;
	bool dest_logical;	/* destination mode */
	bool level_trig;	/* trigger mode: level (TMR set on acceptance) */
	bool level;		/* assert; KVM always asserts */
	bool redir_hint;	/* MSI redirection hint (lowest priority among dest) */
};

/*
 * One routing entry as the glue and the irqchips use it.  For irqchip
 * entries the PIC pin is 0..15 across both 8259As (slave pins + 8, as
 * KVM's kernel entries), so it is what kvm_pic_set_irq() takes.
 */
struct kvm_kernel_irq_routing_entry {
	u32 gsi;
	u32 type;		/* KVM_IRQ_ROUTING_IRQCHIP or _MSI */
	union {
		struct {
			u32 irqchip;	/* KVM_IRQCHIP_PIC_MASTER/_SLAVE/_IOAPIC */
			u32 pin;
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	};
};

/* What KVM_SET_GSI_ROUTING entries are checked against, set by the VM. */
struct kvm_irq_routing_opts {
	/*
	 * KVM_CAP_SPLIT_IRQCHIP: the PIC and IOAPIC are in userspace, so
	 * irqchip entries are -EINVAL.
	 */
	bool split_irqchip;
	/*
	 * KVM_CAP_X2APIC_API with KVM_X2APIC_API_USE_32BIT_IDS: MSI
	 * address_hi bits 31:8 are destination ID bits 31:8, and an MSI
	 * entry with address_hi bits 7:0 set is -EINVAL.
	 */
	bool x2apic_format;
};

/*
 * A built table: entries sorted by GSI (in the order given, within a GSI),
 * followed in the same block by nr_rt_entries + 1 u32 indices: entries
 * first[gsi] to first[gsi + 1] - 1 are those of gsi.  Allocated by the
 * glue as one block of kvm_irq_routing_prepare()'s size; position
 * independent, so it may be copied whole.
 */
struct kvm_irq_routing_table {
	u32 nr_rt_entries;	/* highest GSI + 1 (1 for an empty table) */
	u32 nr_entries;
	/* GSI of each irqchip pin (PIC: chip[master or slave][0..15]), or -1 */
	s32 chip[KVM_NR_IRQCHIPS][KVM_IRQCHIP_NUM_PINS];
	struct kvm_kernel_irq_routing_entry entries[];
};

/*
 * Checks what KVM 6.1 checks before any entry: nr <= KVM_MAX_IRQ_ROUTES,
 * flags == 0 (struct kvm_irq_routing.flags), every gsi < KVM_MAX_IRQ_ROUTES.
 * On success, *size is the allocation size for kvm_irq_routing_build().
 */
int kvm_irq_routing_prepare(const struct kvm_irq_routing_entry *ue, u32 nr,
			    u32 flags, size_t *size);

/*
 * Checks every entry as KVM 6.1's kvm_set_irq_routing() and
 * setup_routing_entry() do, and fills rt (size bytes, from prepare with
 * the same ue/nr).  -EINVAL for: entry flags (MSI: anything but
 * KVM_MSI_VALID_DEVID; others: any), a type other than IRQCHIP/MSI, an
 * irqchip other than PIC master/slave/IOAPIC, a PIC pin >= 8, an IOAPIC
 * pin >= 24, irqchip entries with split_irqchip, an invalid x2APIC-format
 * MSI, a second entry for the same GSI and irqchip, or an entry for a GSI
 * that already has an MSI entry (or an MSI entry for a GSI that has any).
 */
int kvm_irq_routing_build(struct kvm_irq_routing_table *rt, size_t size,
			  const struct kvm_irq_routing_entry *ue, u32 nr,
			  const struct kvm_irq_routing_opts *opts);

/*
 * KVM_IRQ_LINE(_STATUS) raises a GSI on each of its entries (KVM's
 * kvm_set_irq()): IRQCHIP PIC entries with kvm_pic_set_irq(pin), IOAPIC
 * entries with kvm_ioapic_set_irq(pin), MSI entries by delivering the
 * decoded message when level is 1 (level 0: -1, nothing sent; an entry
 * kvm_msi_route_invalid() refuses: -EINVAL, ignored like -1).  The status
 * reported is the results merged with this, starting from -1: negative
 * results are ignored, the others added up (so 1 if the PIC took it and
 * the IOAPIC pin was masked).
 */
static inline int kvm_irq_status_merge(int status, int r)
{
	if (r < 0)
		return status;
	return r + (status < 0 ? 0 : status);
}

/* The entries of a GSI (any u32): *e points to the first; returns how many. */
unsigned int kvm_irq_map_gsi(const struct kvm_irq_routing_table *rt, u32 gsi,
			     const struct kvm_kernel_irq_routing_entry **e);

/*
 * The GSI routed to an irqchip pin (PIC pins 0..15), for ack notifiers
 * (irqfd resampling, PIT reinjection), or -1.  Bounded on any input.
 */
int kvm_irq_map_chip_pin(const struct kvm_irq_routing_table *rt, u32 irqchip,
			 u32 pin);

/*
 * Fills in KVM's default routing (irq_comm.c default_routing[]) and
 * returns the number of entries, KVM_DEFAULT_IRQ_ROUTES.
 */
#define KVM_DEFAULT_IRQ_ROUTES	(PIC_NUM_PINS + KVM_IOAPIC_NUM_PINS)
u32 kvm_default_irq_routing(struct kvm_irq_routing_entry ue[KVM_DEFAULT_IRQ_ROUTES]);

/*
 * An MSI entry that kvm_set_msi() refuses (-EINVAL) even when it was
 * accepted into the table before x2APIC format was turned on.
 */
bool kvm_msi_route_invalid(u32 address_hi, bool x2apic_format);

/*
 * Decodes an MSI message (SDM vol. 3A, 10.11.1 address, 10.11.2 data) into
 * the LAPIC message as KVM's kvm_set_msi_irq() does.  Returns whether the
 * address is in the 0xFEEx_xxxx window; KVM 6.1 does not check this and
 * delivers whatever the other bits say, so the glue should too.
 */
bool kvm_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		    bool x2apic_format, struct kvm_apic_irq *irq);

#endif /* KESTREL_X86_IRQ_ROUTING_H */
