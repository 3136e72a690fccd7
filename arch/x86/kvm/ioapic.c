// SPDX-License-Identifier: GPL-2.0
/*
 * Intel 82093AA I/O APIC model (see ioapic.h for the API).
 *
 * References: Intel 82093AA I/O Advanced Programmable Interrupt Controller
 * (IOAPIC) datasheet, May 1996 (order 290566-001): 3.0 register
 * description.  Where KVM 6.1 differs from the datasheet, KVM is followed,
 * since guests and VMMs were written against it:
 *
 * - IOREGSEL (3.1.1) is 8 bits; IOWIN (3.1.2) accesses the selected
 *   register.  Nothing else is in the window (reads 0, writes ignored).
 * - IOAPICID (3.2.1): ID in bits 27:24, writable.
 * - IOAPICVER (3.2.2): version 11h, maximum redirection entry 17h (23)
 *   in bits 23:16; read-only.
 * - IOAPICARB (3.2.3): arbitration ID in bits 27:24, read-only.  KVM
 *   reads it as the APIC ID, as after the reset the datasheet describes.
 * - Registers 03h-0Fh and past the last redirection entry read all ones.
 * - Redirection entries (3.2.4), two registers each (10h + 2n low, +1
 *   high): delivery status (bit 12) and remote IRR (bit 14) are
 *   read-only; KVM never sets delivery status (delivery is instant).
 *   Switching an entry to edge clears remote IRR (Linux and Xen rely on
 *   this to "EOI" IOAPICs without an EOI register).  Reserved bits are
 *   kept as written.
 * - Polarity (bit 13) is not applied: KVM_IRQ_LINE levels are logical.
 * - The RTC pin (8) raised through KVM_IRQ_LINE_STATUS is tracked until
 *   every vCPU it reached has EOIed it, and reports coalesced (0) until
 *   then, so that userspace can make up for lost RTC ticks.  The number
 *   owed is the number of vCPUs the glue recorded in the map, which is
 *   what KVM's delivery returns when the glue does as KVM does.
 */
#include <kestrel/pure.h>

#include "ioapic.h"

/* KVM's threshold for an EOI storm on one pin. */
#define IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT	10000

#define RTE_VECTOR(e)		((u8)((e) & 0xff))
#define RTE_DELIVERY_MODE(e)	((u8)(((e) >> 8) & 7))
#define RTE_DEST_LOGICAL	BIT_ULL(11)
#define RTE_DEST_ID(e)		((u8)((e) >> 56))

static u64 *rte(struct kvm_ioapic *ioapic, unsigned int pin)
{
	return &ioapic->state.redirtbl[pin].bits;
}

static bool rte_level(u64 e)
{
	return e & IOAPIC_RTE_TRIG_LEVEL;
}

static bool dest_map_test(const struct kvm_ioapic_dest_map *map, u32 id)
{
	return map->map[id / 64] & BIT_ULL(id % 64);
}

void kvm_ioapic_dest_map_add(struct kvm_ioapic_dest_map *map, u32 vcpu_id,
			     u8 vector)
{
	if (vcpu_id >= IOAPIC_MAX_VCPU_IDS)
		return;
	map->map[vcpu_id / 64] |= BIT_ULL(vcpu_id % 64);
	map->vectors[vcpu_id] = vector;
}

static int dest_map_count(const struct kvm_ioapic_dest_map *map)
{
	int i, n = 0;

	for (i = 0; i < IOAPIC_MAX_VCPU_IDS / 64; i++) {
		u64 w = map->map[i];

		for (; w; w &= w - 1)
			n++;
	}
	return n;
}

static void rtc_tracking_reset(struct kvm_ioapic *ioapic)
{
	ioapic->rtc_pending_eoi = 0;
	memset(ioapic->rtc_dest_map.map, 0, sizeof(ioapic->rtc_dest_map.map));
}

/* vcpu_id EOIed vector: if that was its RTC interrupt, it owes no more. */
static void rtc_irq_eoi(struct kvm_ioapic *ioapic, u32 vcpu_id, u8 vector)
{
	struct kvm_ioapic_dest_map *map = &ioapic->rtc_dest_map;

	if (vcpu_id >= IOAPIC_MAX_VCPU_IDS || !dest_map_test(map, vcpu_id) ||
	    map->vectors[vcpu_id] != vector)
		return;
	map->map[vcpu_id / 64] &= ~BIT_ULL(vcpu_id % 64);
	ioapic->rtc_pending_eoi--;
}

void kvm_ioapic_rtc_restore(struct kvm_ioapic *ioapic, u32 vcpu_id,
			    bool pending)
{
	struct kvm_ioapic_dest_map *map = &ioapic->rtc_dest_map;

	if (vcpu_id >= IOAPIC_MAX_VCPU_IDS ||
	    pending == dest_map_test(map, vcpu_id))
		return;
	if (pending) {
		kvm_ioapic_dest_map_add(map, vcpu_id,
					RTE_VECTOR(*rte(ioapic, IOAPIC_RTC_PIN)));
		ioapic->rtc_pending_eoi++;
	} else {
		map->map[vcpu_id / 64] &= ~BIT_ULL(vcpu_id % 64);
		ioapic->rtc_pending_eoi--;
	}
}

void kvm_ioapic_reset(struct kvm_ioapic *ioapic)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		*rte(ioapic, pin) |= IOAPIC_RTE_MASK;
		ioapic->irq_eoi[pin] = 0;
	}
	ioapic->state.base_address = IOAPIC_DEFAULT_BASE_ADDRESS;
	ioapic->state.ioregsel = 0;
	ioapic->state.id = 0;
	ioapic->state.irr = 0;
	ioapic->irr_delivered = 0;
	rtc_tracking_reset(ioapic);
}

void kvm_ioapic_init(struct kvm_ioapic *ioapic,
		     const struct kvm_ioapic_ops *ops, void *opaque)
{
	memset(ioapic, 0, sizeof(*ioapic));
	ioapic->ops = ops;
	ioapic->opaque = opaque;
	kvm_ioapic_reset(ioapic);
}

/* Sends the pin's interrupt, unless masked or a level pin awaiting EOI. */
static int ioapic_service(struct kvm_ioapic *ioapic, unsigned int pin,
			  bool line_status)
{
	bool rtc = pin == IOAPIC_RTC_PIN && line_status;
	u64 e = *rte(ioapic, pin);
	struct kvm_apic_irq irq = {
		.dest_id = RTE_DEST_ID(e),
		.vector = RTE_VECTOR(e),
		.delivery_mode = RTE_DELIVERY_MODE(e),
		.dest_logical = e & RTE_DEST_LOGICAL,
		.level_trig = rte_level(e),
		.level = true,
	};
	int ret;

	if ((e & IOAPIC_RTE_MASK) ||
	    (rte_level(e) && (e & IOAPIC_RTE_REMOTE_IRR)))
		return -1;

	if (!irq.level_trig)
		ioapic->irr_delivered |= BIT(pin);
	if (rtc) {
		/* Nothing owed (the caller checked): the map is empty. */
		rtc_tracking_reset(ioapic);
		ret = ioapic->ops->deliver(ioapic->opaque, pin, &irq,
					   &ioapic->rtc_dest_map);
		ioapic->rtc_pending_eoi = dest_map_count(&ioapic->rtc_dest_map);
	} else {
		ret = ioapic->ops->deliver(ioapic->opaque, pin, &irq, NULL);
	}
	/*
	 * As KVM: remote IRR is set even when no LAPIC took it (-1), so an
	 * unroutable level interrupt is not re-sent until the guest fixes
	 * the entry or EOIs the vector.
	 */
	if (ret && irq.level_trig)
		*rte(ioapic, pin) |= IOAPIC_RTE_REMOTE_IRR;
	return ret;
}

/* The OR of all sources went to line (0 or 1). */
static int ioapic_set_line(struct kvm_ioapic *ioapic, unsigned int pin,
			   bool line, bool line_status)
{
	u32 mask = BIT(pin), old_irr = ioapic->state.irr;

	if (!line) {
		ioapic->state.irr &= ~mask;
		return 1;
	}
	/* An RTC tick not yet EOIed everywhere: userspace will make it up. */
	if (pin == IOAPIC_RTC_PIN && line_status && ioapic->rtc_pending_eoi > 0)
		return 0;
	ioapic->state.irr |= mask;
	if (!rte_level(*rte(ioapic, pin))) {
		ioapic->irr_delivered &= ~mask;
		/* Still high from before: no new edge. */
		if (old_irr == ioapic->state.irr)
			return 0;
	}
	return ioapic_service(ioapic, pin, line_status);
}

int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, u32 pin, u32 source_id,
		       int level, bool line_status)
{
	u64 *states;

	if (pin >= IOAPIC_NUM_PINS || source_id >= IOAPIC_MAX_IRQ_SOURCES)
		return -1;
	states = &ioapic->irq_states[pin];
	if (level)
		*states |= BIT_ULL(source_id);
	else
		*states &= ~BIT_ULL(source_id);
	return ioapic_set_line(ioapic, pin, *states != 0, line_status);
}

void kvm_ioapic_clear_all(struct kvm_ioapic *ioapic, u32 source_id)
{
	unsigned int pin;

	if (source_id >= IOAPIC_MAX_IRQ_SOURCES)
		return;
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		ioapic->irq_states[pin] &= ~BIT_ULL(source_id);
}

/* The redirection entry selected by IOREGSEL, or -1 if none. */
static int ioapic_selected_pin(const struct kvm_ioapic *ioapic)
{
	u32 index = (ioapic->state.ioregsel - IOAPIC_REG_REDIR_TABLE) >> 1;

	/* IOREGSEL below 10h wraps to a huge index: no entry either. */
	return index < IOAPIC_NUM_PINS ? (int)index : -1;
}

static u32 ioapic_read_indirect(struct kvm_ioapic *ioapic)
{
	u64 e = ~0ULL;
	int pin;

	switch (ioapic->state.ioregsel) {
	case IOAPIC_REG_VERSION:
		return ((IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION_ID;
	case IOAPIC_REG_APIC_ID:
	case IOAPIC_REG_ARB_ID:
		return (ioapic->state.id & 0xf) << 24;
	}
	pin = ioapic_selected_pin(ioapic);
	if (pin >= 0)
		e = *rte(ioapic, pin);
	return (ioapic->state.ioregsel & 1) ? (u32)(e >> 32) : (u32)e;
}

static void ioapic_write_rte(struct kvm_ioapic *ioapic, unsigned int pin,
			     u32 val)
{
	const u64 ro = IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR;
	u64 old = *rte(ioapic, pin), e;

	if (ioapic->state.ioregsel & 1)
		e = (old & 0xffffffffULL) | ((u64)val << 32);
	else
		e = (old & ~0xffffffffULL) | val;
	e = (e & ~ro) | (old & ro);
	if (!rte_level(e))
		e &= ~IOAPIC_RTE_REMOTE_IRR;
	*rte(ioapic, pin) = e;

	if (((old ^ e) & IOAPIC_RTE_MASK) && ioapic->ops->mask_changed)
		ioapic->ops->mask_changed(ioapic->opaque, pin,
					  e & IOAPIC_RTE_MASK);
	/* A level line held high while masked is delivered on unmask. */
	if (rte_level(e) && (ioapic->state.irr & BIT(pin)))
		ioapic_service(ioapic, pin, false);
}

static void ioapic_write_indirect(struct kvm_ioapic *ioapic, u32 val)
{
	int pin;

	switch (ioapic->state.ioregsel) {
	case IOAPIC_REG_VERSION:
	case IOAPIC_REG_ARB_ID:
		return;		/* read-only */
	case IOAPIC_REG_APIC_ID:
		ioapic->state.id = (val >> 24) & 0xf;
		return;
	}
	pin = ioapic_selected_pin(ioapic);
	if (pin >= 0)
		ioapic_write_rte(ioapic, pin, val);
}

u32 kvm_ioapic_mmio_read(struct kvm_ioapic *ioapic, u32 offset)
{
	switch (offset & 0xff) {
	case IOAPIC_REG_SELECT:
		return ioapic->state.ioregsel;
	case IOAPIC_REG_WINDOW:
		return ioapic_read_indirect(ioapic);
	default:
		return 0;
	}
}

void kvm_ioapic_mmio_write(struct kvm_ioapic *ioapic, u32 offset, u32 val)
{
	switch (offset & 0xff) {
	case IOAPIC_REG_SELECT:
		ioapic->state.ioregsel = val & 0xff;
		break;
	case IOAPIC_REG_WINDOW:
		ioapic_write_indirect(ioapic, val);
		break;
	}
}

/* Returns true if the re-delivery is deferred (EOI storm). */
static bool ioapic_eoi_pin(struct kvm_ioapic *ioapic, unsigned int pin,
			   bool level_trig, bool directed_eoi)
{
	if (ioapic->ops->ack)
		ioapic->ops->ack(ioapic->opaque, pin);
	/* Re-read: the ack callback may have changed the line. */
	if (!level_trig || directed_eoi)
		return false;
	*rte(ioapic, pin) &= ~IOAPIC_RTE_REMOTE_IRR;
	if ((*rte(ioapic, pin) & IOAPIC_RTE_MASK) ||
	    !(ioapic->state.irr & BIT(pin))) {
		ioapic->irq_eoi[pin] = 0;
		return false;
	}
	if (++ioapic->irq_eoi[pin] == IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT) {
		ioapic->irq_eoi[pin] = 0;
		return true;
	}
	ioapic_service(ioapic, pin, false);
	return false;
}

bool kvm_ioapic_update_eoi(struct kvm_ioapic *ioapic, u32 vcpu_id, u8 vector,
			   bool level_trig, bool directed_eoi)
{
	bool storm = false;
	unsigned int pin;

	rtc_irq_eoi(ioapic, vcpu_id, vector);
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		if (RTE_VECTOR(*rte(ioapic, pin)) == vector)
			storm |= ioapic_eoi_pin(ioapic, pin, level_trig,
						directed_eoi);
	return storm;
}

void kvm_ioapic_eoi_inject_work(struct kvm_ioapic *ioapic)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		u64 e = *rte(ioapic, pin);

		if (rte_level(e) && !(e & IOAPIC_RTE_REMOTE_IRR) &&
		    (ioapic->state.irr & BIT(pin)))
			ioapic_service(ioapic, pin, false);
	}
}

void kvm_ioapic_get_state(const struct kvm_ioapic *ioapic,
			  struct kvm_ioapic_state *state)
{
	*state = ioapic->state;
	state->irr &= ~ioapic->irr_delivered;
}

void kvm_ioapic_set_state(struct kvm_ioapic *ioapic,
			  const struct kvm_ioapic_state *state)
{
	u32 irr = state->irr;
	unsigned int pin;

	ioapic->state = *state;
	ioapic->state.irr = 0;
	ioapic->irr_delivered = 0;
	rtc_tracking_reset(ioapic);
	/* As KVM: the RTC re-raise is tracked, then the glue restores it. */
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		if (irr & BIT(pin))
			ioapic_set_line(ioapic, pin, true, true);
}
