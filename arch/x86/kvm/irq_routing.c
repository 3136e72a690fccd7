// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing table and MSI decoding (see irq_routing.h for the API).
 *
 * Validation follows KVM 6.1 (virt/kvm/irqchip.c kvm_set_irq_routing(),
 * setup_routing_entry(); arch/x86/kvm/irq_comm.c kvm_set_routing_entry()),
 * except that the Hyper-V SynIC and Xen event channel entry types are
 * refused: Kestrel has neither.  Every refusal is -EINVAL there, so the
 * order of the checks does not show.
 */
#include <kestrel/pure.h>

#include "irq_routing.h"

/* The per-GSI index that follows the entries. */
static u32 *routing_first(struct kvm_irq_routing_table *rt)
{
	return (u32 *)&rt->entries[rt->nr_entries];
}

static const u32 *routing_first_const(const struct kvm_irq_routing_table *rt)
{
	return (const u32 *)&rt->entries[rt->nr_entries];
}

static u32 routing_nr_gsis(const struct kvm_irq_routing_entry *ue, u32 nr)
{
	u32 i, max_gsi = 0;

	for (i = 0; i < nr; i++)
		if (ue[i].gsi > max_gsi)
			max_gsi = ue[i].gsi;
	return max_gsi + 1;
}

static size_t routing_size(u32 nr_gsis, u32 nr)
{
	return sizeof(struct kvm_irq_routing_table) +
	       nr * sizeof(struct kvm_kernel_irq_routing_entry) +
	       (nr_gsis + 1) * sizeof(u32);
}

int kvm_irq_routing_prepare(const struct kvm_irq_routing_entry *ue, u32 nr,
			    u32 flags, size_t *size)
{
	u32 i;

	if (nr > KVM_MAX_IRQ_ROUTES || flags)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (ue[i].gsi >= KVM_MAX_IRQ_ROUTES)
			return -EINVAL;
	/* Both bounded by 4096: no overflow. */
	*size = routing_size(routing_nr_gsis(ue, nr), nr);
	return 0;
}

/* One entry on its own, into its kernel form. */
static int routing_entry_setup(struct kvm_kernel_irq_routing_entry *e,
			       const struct kvm_irq_routing_entry *ue,
			       const struct kvm_irq_routing_opts *opts)
{
	e->gsi = ue->gsi;
	e->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->flags || opts->split_irqchip)
			return -EINVAL;
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_SLAVE:
			e->irqchip.pin += PIC_NUM_PINS / 2;
			fallthrough;
		case KVM_IRQCHIP_PIC_MASTER:
			return ue->u.irqchip.pin < PIC_NUM_PINS / 2 ? 0 : -EINVAL;
		case KVM_IRQCHIP_IOAPIC:
			return ue->u.irqchip.pin < KVM_IOAPIC_NUM_PINS ? 0 : -EINVAL;
		default:
			return -EINVAL;
		}
	case KVM_IRQ_ROUTING_MSI:
		if (ue->flags & ~KVM_MSI_VALID_DEVID)
			return -EINVAL;
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		if (kvm_msi_route_invalid(e->msi.address_hi, opts->x2apic_format))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * A GSI may go to each irqchip once, or to one MSI and nothing else: an
 * interrupt raised on it must have one meaning per controller.
 */
static bool routing_entries_conflict(const struct kvm_kernel_irq_routing_entry *a,
				     const struct kvm_kernel_irq_routing_entry *b)
{
	return a->type != KVM_IRQ_ROUTING_IRQCHIP ||
	       b->type != KVM_IRQ_ROUTING_IRQCHIP ||
	       a->irqchip.irqchip == b->irqchip.irqchip;
}

/*
 * Each GSI's entries are contiguous; at most 3 of them can be pairwise
 * compatible (one per irqchip), so this stops early and stays linear.
 */
static int routing_check_conflicts(const struct kvm_irq_routing_table *rt)
{
	const u32 *first = routing_first_const(rt);
	u32 gsi, i, j;

	for (gsi = 0; gsi < rt->nr_rt_entries; gsi++)
		for (j = first[gsi] + 1; j < first[gsi + 1]; j++)
			for (i = first[gsi]; i < j; i++)
				if (routing_entries_conflict(&rt->entries[i],
							     &rt->entries[j]))
					return -EINVAL;
	return 0;
}

/* Counting sort by GSI, stable, so each GSI keeps the order given. */
static int routing_fill(struct kvm_irq_routing_table *rt,
			const struct kvm_irq_routing_entry *ue, u32 nr,
			const struct kvm_irq_routing_opts *opts)
{
	u32 *first = routing_first(rt);
	struct kvm_kernel_irq_routing_entry e;
	u32 i, gsi, sum = 0;

	for (i = 0; i < nr; i++)
		first[ue[i].gsi]++;
	for (gsi = 0; gsi <= rt->nr_rt_entries; gsi++) {
		u32 n = first[gsi];

		first[gsi] = sum;
		sum += n;
	}
	/* first[gsi] is now the insertion cursor of gsi... */
	for (i = 0; i < nr; i++) {
		if (routing_entry_setup(&e, &ue[i], opts))
			return -EINVAL;
		rt->entries[first[e.gsi]++] = e;
	}
	/* ...and ends as the start of gsi + 1: shift it back. */
	for (gsi = rt->nr_rt_entries; gsi > 0; gsi--)
		first[gsi] = first[gsi - 1];
	first[0] = 0;
	return 0;
}

int kvm_irq_routing_build(struct kvm_irq_routing_table *rt, size_t size,
			  const struct kvm_irq_routing_entry *ue, u32 nr,
			  const struct kvm_irq_routing_opts *opts)
{
	size_t need;
	u32 i, j;

	if (kvm_irq_routing_prepare(ue, nr, 0, &need) || need != size)
		return -EINVAL;
	memset(rt, 0, size);
	rt->nr_rt_entries = routing_nr_gsis(ue, nr);
	rt->nr_entries = nr;
	for (i = 0; i < KVM_NR_IRQCHIPS; i++)
		for (j = 0; j < KVM_IRQCHIP_NUM_PINS; j++)
			rt->chip[i][j] = -1;

	if (routing_fill(rt, ue, nr, opts) || routing_check_conflicts(rt))
		return -EINVAL;

	/* In the order given, so a later entry for a pin wins, as in KVM. */
	for (i = 0; i < nr; i++) {
		struct kvm_kernel_irq_routing_entry e;

		routing_entry_setup(&e, &ue[i], opts);
		if (e.type == KVM_IRQ_ROUTING_IRQCHIP)
			rt->chip[e.irqchip.irqchip][e.irqchip.pin] = e.gsi;
	}
	return 0;
}

unsigned int kvm_irq_map_gsi(const struct kvm_irq_routing_table *rt, u32 gsi,
			     const struct kvm_kernel_irq_routing_entry **e)
{
	const u32 *first = routing_first_const(rt);

	if (gsi >= rt->nr_rt_entries) {
		*e = NULL;
		return 0;
	}
	*e = &rt->entries[first[gsi]];
	return first[gsi + 1] - first[gsi];
}

int kvm_irq_map_chip_pin(const struct kvm_irq_routing_table *rt, u32 irqchip,
			 u32 pin)
{
	if (irqchip >= KVM_NR_IRQCHIPS || pin >= KVM_IRQCHIP_NUM_PINS)
		return -1;
	return rt->chip[irqchip][pin];
}

static void default_route(struct kvm_irq_routing_entry *e, u32 gsi, u32 chip,
			  u32 pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/*
 * The ISA IRQs 0-15 reach both the 8259s and IOAPIC pins 0-15; the PCI
 * pins 16-23 only the IOAPIC.  Same entries, same order as KVM's.
 */
u32 kvm_default_irq_routing(struct kvm_irq_routing_entry ue[KVM_DEFAULT_IRQ_ROUTES])
{
	u32 gsi, n = 0;

	for (gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		default_route(&ue[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < PIC_NUM_PINS)
			default_route(&ue[n++], gsi,
				      gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
						KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	}
	return n;
}

bool kvm_msi_route_invalid(u32 address_hi, bool x2apic_format)
{
	/* Those bits would be lost: the x2APIC format has no room for them. */
	return x2apic_format && (address_hi & 0xff);
}

/* MSI address (SDM vol. 3A, figure 10-24). */
#define MSI_ADDR_DEST_MODE_LOGICAL	BIT(2)
#define MSI_ADDR_REDIR_HINT		BIT(3)
#define MSI_ADDR_DEST_ID_SHIFT		12
#define MSI_ADDR_HI_DEST_ID_MASK	0xffffff00U	/* x2APIC format: ID 31:8 */
/* MSI data (SDM vol. 3A, figure 10-25). */
#define MSI_DATA_DELIVERY_MODE_SHIFT	8
#define MSI_DATA_TRIGGER_LEVEL		BIT(15)

bool kvm_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		    bool x2apic_format, struct kvm_apic_irq *irq)
{
	irq->dest_id = (address_lo >> MSI_ADDR_DEST_ID_SHIFT) & 0xff;
	if (x2apic_format)
		irq->dest_id |= address_hi & MSI_ADDR_HI_DEST_ID_MASK;
	irq->vector = data & 0xff;
	irq->delivery_mode = (data >> MSI_DATA_DELIVERY_MODE_SHIFT) & 7;
	irq->dest_logical = address_lo & MSI_ADDR_DEST_MODE_LOGICAL;
	irq->level_trig = data & MSI_DATA_TRIGGER_LEVEL;
	/*
	 * Data bit 14 (level: assert/deassert) only matters to level MSIs,
	 * which x86 interrupt sources do not send: KVM always asserts.
	 */
	irq->level = true;
	irq->redir_hint = address_lo & MSI_ADDR_REDIR_HINT;
	return (address_lo & MSI_ADDR_BASE_MASK) == MSI_ADDR_BASE;
}
