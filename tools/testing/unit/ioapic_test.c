// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the IOAPIC model (arch/x86/kvm/ioapic.c).  A fake LAPIC
 * side records every delivery; expected values are from the 82093AA
 * datasheet and KVM 6.1's behaviour.
 */
#include "kselftest_harness.h"
#include "ioapic.h"

#define MAX_LOG 16

struct fake {
	unsigned int ndeliver;
	unsigned int pin[MAX_LOG];
	struct kvm_apic_irq irq[MAX_LOG];
	int deliver_ret;		/* what deliver returns */
	unsigned int nack;
	unsigned int ack_pin[MAX_LOG];
	int lower_on_ack;		/* lower this pin's line (source 0) in ack, or -1 */
	struct kvm_ioapic *ioapic;
	unsigned int nmask;
	unsigned int mask_pin;
	bool masked;
	unsigned int nmap;		/* deliveries with an RTC map */
};

static int fake_deliver(void *opaque, unsigned int pin,
			const struct kvm_apic_irq *irq,
			struct kvm_ioapic_dest_map *map)
{
	struct fake *f = opaque;
	int i;

	/* The first deliver_ret vCPU ids (2, 3, ...) accepted it. */
	for (i = 0; map && i < f->deliver_ret; i++)
		kvm_ioapic_dest_map_add(map, 2 + i, irq->vector);
	f->nmap += !!map;

	if (f->ndeliver < MAX_LOG) {
		f->pin[f->ndeliver] = pin;
		f->irq[f->ndeliver] = *irq;
	}
	f->ndeliver++;
	return f->deliver_ret;
}

static void fake_ack(void *opaque, unsigned int pin)
{
	struct fake *f = opaque;

	if (f->nack < MAX_LOG)
		f->ack_pin[f->nack] = pin;
	f->nack++;
	if (f->lower_on_ack == (int)pin)
		kvm_ioapic_set_irq(f->ioapic, pin, 0, 0, false);
}

static void fake_mask(void *opaque, unsigned int pin, bool masked)
{
	struct fake *f = opaque;

	f->nmask++;
	f->mask_pin = pin;
	f->masked = masked;
}

static const struct kvm_ioapic_ops ops = {
	.deliver = fake_deliver,
	.ack = fake_ack,
	.mask_changed = fake_mask,
};

FIXTURE(ioapic) {
	struct kvm_ioapic io;
	struct fake f;
};

FIXTURE_SETUP(ioapic)
{
	memset(&self->f, 0, sizeof(self->f));
	self->f.deliver_ret = 1;
	self->f.lower_on_ack = -1;
	self->f.ioapic = &self->io;
	kvm_ioapic_init(&self->io, &ops, &self->f);
}

FIXTURE_TEARDOWN(ioapic)
{
}

static u32 rd(struct kvm_ioapic *io, u32 reg)
{
	kvm_ioapic_mmio_write(io, IOAPIC_REG_SELECT, reg);
	return kvm_ioapic_mmio_read(io, IOAPIC_REG_WINDOW);
}

static void wr(struct kvm_ioapic *io, u32 reg, u32 val)
{
	kvm_ioapic_mmio_write(io, IOAPIC_REG_SELECT, reg);
	kvm_ioapic_mmio_write(io, IOAPIC_REG_WINDOW, val);
}

/* Programs pin's redirection entry, high half first as OSes do. */
static void set_rte(struct kvm_ioapic *io, unsigned int pin, u64 e)
{
	wr(io, 0x10 + 2 * pin + 1, e >> 32);
	wr(io, 0x10 + 2 * pin, (u32)e);
}

static u64 get_rte(struct kvm_ioapic *io, unsigned int pin)
{
	return ((u64)rd(io, 0x11 + 2 * pin) << 32) | rd(io, 0x10 + 2 * pin);
}

/* Deterministic pseudo-random bytes (64-bit LCG, Knuth's MMIX constants). */
static u64 rng_state = 0x2545f4914f6cdd1dULL;

static u32 rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

static void rnd_fill(void *p, size_t n)
{
	u8 *b = p;

	while (n--)
		*b++ = rnd();
}

#define LEVEL	IOAPIC_RTE_TRIG_LEVEL
#define MASKED	IOAPIC_RTE_MASK
#define RIRR	IOAPIC_RTE_REMOTE_IRR

TEST_F(ioapic, reset_state)
{
	unsigned int pin;

	EXPECT_EQ(0xfec00000ULL, self->io.state.base_address);
	for (pin = 0; pin < 24; pin++)
		EXPECT_EQ(MASKED, get_rte(&self->io, pin));
	EXPECT_EQ(0U, self->io.state.irr);
}

TEST_F(ioapic, version_id_arb)
{
	EXPECT_EQ(0x00170011U, rd(&self->io, IOAPIC_REG_VERSION));
	wr(&self->io, IOAPIC_REG_VERSION, 0);
	EXPECT_EQ(0x00170011U, rd(&self->io, IOAPIC_REG_VERSION));
	EXPECT_EQ(0U, rd(&self->io, IOAPIC_REG_APIC_ID));
	wr(&self->io, IOAPIC_REG_APIC_ID, 0xfaffffff);
	/* Only bits 27:24 are the ID. */
	EXPECT_EQ(0x0a000000U, rd(&self->io, IOAPIC_REG_APIC_ID));
	EXPECT_EQ(0xaU, self->io.state.id);
	/* Arbitration ID reads the ID; writes are ignored. */
	wr(&self->io, IOAPIC_REG_ARB_ID, 0x05000000);
	EXPECT_EQ(0x0a000000U, rd(&self->io, IOAPIC_REG_ARB_ID));
}

TEST_F(ioapic, ioregsel_is_8_bits)
{
	kvm_ioapic_mmio_write(&self->io, IOAPIC_REG_SELECT, 0x12345601);
	EXPECT_EQ(0x01U, kvm_ioapic_mmio_read(&self->io, IOAPIC_REG_SELECT));
	EXPECT_EQ(0x00170011U, kvm_ioapic_mmio_read(&self->io, IOAPIC_REG_WINDOW));
}

TEST_F(ioapic, other_offsets_read_zero)
{
	kvm_ioapic_mmio_write(&self->io, IOAPIC_REG_SELECT, 1);
	EXPECT_EQ(0U, kvm_ioapic_mmio_read(&self->io, 0x04));
	EXPECT_EQ(0U, kvm_ioapic_mmio_read(&self->io, 0x20));
	EXPECT_EQ(0U, kvm_ioapic_mmio_read(&self->io, 0x40));
	kvm_ioapic_mmio_write(&self->io, 0x20, 0x10);
	EXPECT_EQ(1U, kvm_ioapic_mmio_read(&self->io, IOAPIC_REG_SELECT));
	/* The offset is taken modulo the 256-byte window. */
	EXPECT_EQ(0x00170011U, kvm_ioapic_mmio_read(&self->io, 0x110));
}

TEST_F(ioapic, undefined_registers_read_ones)
{
	EXPECT_EQ(0xffffffffU, rd(&self->io, 0x03));
	EXPECT_EQ(0xffffffffU, rd(&self->io, 0x0f));
	EXPECT_EQ(0xffffffffU, rd(&self->io, 0x40));	/* past pin 23 */
	EXPECT_EQ(0xffffffffU, rd(&self->io, 0xff));
	wr(&self->io, 0x40, 0);				/* ignored, no crash */
	EXPECT_EQ(MASKED, get_rte(&self->io, 23));
}

TEST_F(ioapic, rte_halves_and_read_only_bits)
{
	set_rte(&self->io, 5, 0x12000000000000a5ULL | MASKED);
	EXPECT_EQ(0x12000000000000a5ULL | MASKED, get_rte(&self->io, 5));
	/* Delivery status and remote IRR cannot be written. */
	wr(&self->io, 0x10 + 10, 0x000150a5 | (1 << 12) | (1 << 14) | (1 << 15));
	EXPECT_EQ(0x000180a5U, rd(&self->io, 0x10 + 10));
	/* Reserved bits are kept as written, as KVM does. */
	wr(&self->io, 0x11 + 10, 0xff00ff00);
	EXPECT_EQ(0xff00ff00U, rd(&self->io, 0x11 + 10));
	EXPECT_EQ(0xffU, (u32)(self->io.state.redirtbl[5].bits >> 56));
	EXPECT_EQ(0xffU, self->io.state.redirtbl[5].fields.dest_id);
	EXPECT_EQ(1, (int)self->io.state.redirtbl[5].fields.mask);
	EXPECT_EQ(1, (int)self->io.state.redirtbl[5].fields.trig_mode);
	EXPECT_EQ(0xa5, self->io.state.redirtbl[5].fields.vector);
}

TEST_F(ioapic, edge_delivers_on_rising_edge_only)
{
	set_rte(&self->io, 4, 0x0300000000000834ULL);	/* dest 3, logical, vec 0x34 */
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 4, 0, 1, false));
	ASSERT_EQ(1U, self->f.ndeliver);
	EXPECT_EQ(4U, self->f.pin[0]);
	EXPECT_EQ(3U, self->f.irq[0].dest_id);
	EXPECT_EQ(0x34, self->f.irq[0].vector);
	EXPECT_EQ(0, self->f.irq[0].delivery_mode);
	EXPECT_TRUE(self->f.irq[0].dest_logical);
	EXPECT_FALSE(self->f.irq[0].level_trig);
	/* Line still high: coalesced, no new delivery. */
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 4, 0, 1, false));
	EXPECT_EQ(1U, self->f.ndeliver);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 4, 0, 0, false));
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 4, 0, 1, false));
	EXPECT_EQ(2U, self->f.ndeliver);
	/* Edge pins never get remote IRR. */
	EXPECT_EQ(0U, (u32)(get_rte(&self->io, 4) & RIRR));
}

TEST_F(ioapic, deliver_result_passed_through)
{
	set_rte(&self->io, 1, 0x31);
	self->f.deliver_ret = 3;
	EXPECT_EQ(3, kvm_ioapic_set_irq(&self->io, 1, 0, 1, false));
	kvm_ioapic_set_irq(&self->io, 1, 0, 0, false);
	self->f.deliver_ret = -1;
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 1, 0, 1, false));
}

TEST_F(ioapic, masked_edge_is_lost_on_unmask)
{
	set_rte(&self->io, 2, 0x31 | MASKED);
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 2, 0, 1, false));
	EXPECT_EQ(0U, self->f.ndeliver);
	EXPECT_EQ(BIT(2), self->io.state.irr);
	set_rte(&self->io, 2, 0x31);
	EXPECT_EQ(0U, self->f.ndeliver);
	EXPECT_EQ(1U, self->f.nmask);
	EXPECT_FALSE(self->f.masked);
	/* Still high: a second raise is coalesced. */
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 2, 0, 1, false));
	EXPECT_EQ(0U, self->f.ndeliver);
}

TEST_F(ioapic, level_remote_irr_blocks_until_eoi)
{
	set_rte(&self->io, 9, 0x0100000000000041ULL | LEVEL);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 9, 0, 1, false));
	ASSERT_EQ(1U, self->f.ndeliver);
	EXPECT_TRUE(self->f.irq[0].level_trig);
	EXPECT_EQ(1U, self->f.irq[0].dest_id);
	EXPECT_EQ(RIRR, get_rte(&self->io, 9) & RIRR);
	/* Raised again while waiting for EOI: not delivered. */
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 9, 0, 1, false));
	EXPECT_EQ(1U, self->f.ndeliver);
	/* EOI while still high: remote IRR cleared, delivered again. */
	EXPECT_FALSE(kvm_ioapic_update_eoi(&self->io, 0, 0x41, true, false));
	EXPECT_EQ(1U, self->f.nack);
	EXPECT_EQ(9U, self->f.ack_pin[0]);
	EXPECT_EQ(2U, self->f.ndeliver);
	EXPECT_EQ(RIRR, get_rte(&self->io, 9) & RIRR);
	/* Lowered, then EOI: remote IRR clear, nothing delivered. */
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 9, 0, 0, false));
	kvm_ioapic_update_eoi(&self->io, 0, 0x41, true, false);
	EXPECT_EQ(2U, self->f.ndeliver);
	EXPECT_EQ(0ULL, get_rte(&self->io, 9) & RIRR);
}

TEST_F(ioapic, eoi_other_vector_or_edge_leaves_remote_irr)
{
	set_rte(&self->io, 9, 0x41 | LEVEL);
	kvm_ioapic_set_irq(&self->io, 9, 0, 1, false);
	kvm_ioapic_update_eoi(&self->io, 0, 0x42, true, false);
	EXPECT_EQ(0U, self->f.nack);
	EXPECT_EQ(RIRR, get_rte(&self->io, 9) & RIRR);
	/* An edge EOI of the vector: acked, but remote IRR stays. */
	kvm_ioapic_update_eoi(&self->io, 0, 0x41, false, false);
	EXPECT_EQ(1U, self->f.nack);
	EXPECT_EQ(RIRR, get_rte(&self->io, 9) & RIRR);
	/* Directed EOI (broadcast suppressed): likewise. */
	kvm_ioapic_update_eoi(&self->io, 0, 0x41, true, true);
	EXPECT_EQ(2U, self->f.nack);
	EXPECT_EQ(RIRR, get_rte(&self->io, 9) & RIRR);
	EXPECT_EQ(1U, self->f.ndeliver);
}

TEST_F(ioapic, ack_callback_can_lower_line_first)
{
	/* As irqfd resampling: the line drops in the ack, so no re-delivery. */
	set_rte(&self->io, 11, 0x51 | LEVEL);
	kvm_ioapic_set_irq(&self->io, 11, 0, 1, false);
	self->f.lower_on_ack = 11;
	kvm_ioapic_update_eoi(&self->io, 0, 0x51, true, false);
	EXPECT_EQ(1U, self->f.ndeliver);
	EXPECT_EQ(0ULL, get_rte(&self->io, 11) & RIRR);
	EXPECT_EQ(0U, self->io.state.irr);
}

TEST_F(ioapic, eoi_broadcast_to_all_pins_with_vector)
{
	set_rte(&self->io, 3, 0x60 | LEVEL);
	set_rte(&self->io, 7, 0x60 | LEVEL);
	kvm_ioapic_set_irq(&self->io, 3, 0, 1, false);
	kvm_ioapic_set_irq(&self->io, 7, 0, 1, false);
	EXPECT_EQ(2U, self->f.ndeliver);
	kvm_ioapic_set_irq(&self->io, 3, 0, 0, false);
	kvm_ioapic_update_eoi(&self->io, 0, 0x60, true, false);
	EXPECT_EQ(2U, self->f.nack);
	EXPECT_EQ(0ULL, get_rte(&self->io, 3) & RIRR);
	/* Pin 7 still high: re-delivered, remote IRR set again. */
	EXPECT_EQ(3U, self->f.ndeliver);
	EXPECT_EQ(7U, self->f.pin[2]);
	EXPECT_EQ(RIRR, get_rte(&self->io, 7) & RIRR);
}

TEST_F(ioapic, level_masked_then_unmasked_delivers)
{
	set_rte(&self->io, 12, 0x70 | LEVEL | MASKED);
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 12, 0, 1, false));
	EXPECT_EQ(0U, self->f.ndeliver);
	set_rte(&self->io, 12, 0x70 | LEVEL);
	EXPECT_EQ(1U, self->f.ndeliver);
	EXPECT_EQ(RIRR, get_rte(&self->io, 12) & RIRR);
	EXPECT_EQ(1U, self->f.nmask);
	EXPECT_EQ(12U, self->f.mask_pin);
}

TEST_F(ioapic, remote_irr_set_even_if_no_lapic_matched)
{
	self->f.deliver_ret = -1;
	set_rte(&self->io, 6, 0x70 | LEVEL);
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 6, 0, 1, false));
	EXPECT_EQ(RIRR, get_rte(&self->io, 6) & RIRR);
	/* Returning 0 (all coalesced) leaves it clear, as KVM. */
	self->f.deliver_ret = 0;
	set_rte(&self->io, 8, 0x71 | LEVEL);
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 8, 0, 1, false));
	EXPECT_EQ(0ULL, get_rte(&self->io, 8) & RIRR);
}

TEST_F(ioapic, edge_switch_clears_remote_irr)
{
	set_rte(&self->io, 10, 0x44 | LEVEL);
	kvm_ioapic_set_irq(&self->io, 10, 0, 1, false);
	EXPECT_EQ(RIRR, get_rte(&self->io, 10) & RIRR);
	kvm_ioapic_set_irq(&self->io, 10, 0, 0, false);
	wr(&self->io, 0x10 + 20, 0x44);			/* edge */
	EXPECT_EQ(0ULL, get_rte(&self->io, 10) & RIRR);
	EXPECT_EQ(0x44U, rd(&self->io, 0x10 + 20));
}

TEST_F(ioapic, sources_are_ored)
{
	set_rte(&self->io, 9, 0x41 | LEVEL);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 9, 0, 1, false));
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 9, 1, 1, false));
	/* Source 0 drops, source 1 still holds the line: a raise for KVM. */
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 9, 0, 0, false));
	EXPECT_EQ(BIT(9), self->io.state.irr);
	kvm_ioapic_clear_all(&self->io, 1);
	/* Clearing a source does not lower irr until the next set_irq. */
	EXPECT_EQ(BIT(9), self->io.state.irr);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 9, 0, 0, false));
	EXPECT_EQ(0U, self->io.state.irr);
}

TEST_F(ioapic, out_of_range_inputs)
{
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 24, 0, 1, false));
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 0xffffffff, 0, 1, false));
	EXPECT_EQ(-1, kvm_ioapic_set_irq(&self->io, 0, 64, 1, false));
	kvm_ioapic_clear_all(&self->io, 1000);
	EXPECT_EQ(0U, self->f.ndeliver);
}

TEST_F(ioapic, eoi_storm_defers)
{
	unsigned int i;

	set_rte(&self->io, 5, 0x90 | LEVEL);
	kvm_ioapic_set_irq(&self->io, 5, 0, 1, false);
	for (i = 1; i < 10000; i++)
		ASSERT_FALSE(kvm_ioapic_update_eoi(&self->io, 0, 0x90, true, false));
	EXPECT_EQ(10000U, self->f.ndeliver);
	EXPECT_TRUE(kvm_ioapic_update_eoi(&self->io, 0, 0x90, true, false));
	EXPECT_EQ(10000U, self->f.ndeliver);
	EXPECT_EQ(0ULL, get_rte(&self->io, 5) & RIRR);
	kvm_ioapic_eoi_inject_work(&self->io);
	EXPECT_EQ(10001U, self->f.ndeliver);
	EXPECT_EQ(RIRR, get_rte(&self->io, 5) & RIRR);
}

TEST_F(ioapic, get_state_hides_delivered_edges)
{
	struct kvm_ioapic_state st;

	set_rte(&self->io, 1, 0x31);
	set_rte(&self->io, 2, 0x32 | MASKED);
	kvm_ioapic_set_irq(&self->io, 1, 0, 1, false);
	kvm_ioapic_set_irq(&self->io, 2, 0, 1, false);
	EXPECT_EQ(BIT(1) | BIT(2), self->io.state.irr);
	kvm_ioapic_get_state(&self->io, &st);
	EXPECT_EQ(BIT(2), st.irr);
	EXPECT_EQ(0x31ULL, st.redirtbl[1].bits);
}

TEST_F(ioapic, set_state_reinjects_irr)
{
	struct kvm_ioapic_state st;

	memset(&st, 0, sizeof(st));
	st.base_address = 0xfec01000;
	st.ioregsel = 0x12345678;	/* from userspace: any value */
	st.id = 0xffffffff;
	st.irr = 0xffffffff;
	st.redirtbl[0].bits = 0x20;
	st.redirtbl[1].bits = 0x21 | LEVEL;
	st.redirtbl[2].bits = 0x22 | LEVEL | RIRR;
	st.redirtbl[3].bits = 0x23 | MASKED;
	for (int i = 4; i < 24; i++)
		st.redirtbl[i].bits = MASKED;
	kvm_ioapic_set_state(&self->io, &st);
	/* Pins 0 and 1 delivered; 2 waits for EOI; the rest masked. */
	ASSERT_EQ(2U, self->f.ndeliver);
	EXPECT_EQ(0U, self->f.pin[0]);
	EXPECT_EQ(1U, self->f.pin[1]);
	EXPECT_EQ(0xffffffU, self->io.state.irr);	/* bits past 23 dropped */
	EXPECT_EQ(0xffffffffU, rd(&self->io, 0x03));
	/* Bounded reads whatever came in. */
	kvm_ioapic_mmio_write(&self->io, IOAPIC_REG_SELECT, 0x02);
	EXPECT_EQ(0x0f000000U, kvm_ioapic_mmio_read(&self->io, IOAPIC_REG_WINDOW));
	/* Back out: the same state, minus edges delivered. */
	kvm_ioapic_get_state(&self->io, &st);
	EXPECT_EQ(0xfffffeU, st.irr);
	EXPECT_EQ(0xfec01000ULL, st.base_address);
}

TEST_F(ioapic, delivery_modes_and_dest)
{
	/* NMI (4), physical dest 0xff (broadcast), vector ignored by LAPIC. */
	set_rte(&self->io, 0, 0xff00000000000400ULL);
	kvm_ioapic_set_irq(&self->io, 0, 0, 1, false);
	ASSERT_EQ(1U, self->f.ndeliver);
	EXPECT_EQ(4, self->f.irq[0].delivery_mode);
	EXPECT_EQ(0xffU, self->f.irq[0].dest_id);
	EXPECT_FALSE(self->f.irq[0].dest_logical);
	EXPECT_TRUE(self->f.irq[0].level);
	EXPECT_FALSE(self->f.irq[0].redir_hint);
	/* ExtINT (7) on pin 1, lowest priority (1) on pin 2. */
	set_rte(&self->io, 1, 0x700);
	set_rte(&self->io, 2, 0x1a9);
	kvm_ioapic_set_irq(&self->io, 1, 0, 1, false);
	kvm_ioapic_set_irq(&self->io, 2, 0, 1, false);
	EXPECT_EQ(7, self->f.irq[1].delivery_mode);
	EXPECT_EQ(1, self->f.irq[2].delivery_mode);
	EXPECT_EQ(0xa9, self->f.irq[2].vector);
}

TEST_F(ioapic, reset_keeps_entries_but_masks)
{
	set_rte(&self->io, 3, 0x0200000000000033ULL);
	kvm_ioapic_mmio_write(&self->io, IOAPIC_REG_SELECT, 0x13);
	kvm_ioapic_reset(&self->io);
	EXPECT_EQ(0U, kvm_ioapic_mmio_read(&self->io, IOAPIC_REG_SELECT));
	EXPECT_EQ(0x0200000000000033ULL | MASKED, get_rte(&self->io, 3));
}

TEST_F(ioapic, rtc_coalesced_until_every_vcpu_eois)
{
	set_rte(&self->io, 8, 0x38);
	self->f.deliver_ret = 2;		/* vCPUs 2 and 3 take it */
	EXPECT_EQ(2, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	EXPECT_EQ(1U, self->f.nmap);
	EXPECT_EQ(2, self->io.rtc_pending_eoi);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 8, 0, 0, true));
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	EXPECT_EQ(1U, self->f.ndeliver);
	/* Coalesced before latching: the line is not seen high. */
	EXPECT_EQ(0U, self->io.state.irr);
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, true);
	/* Wrong vector, unknown vCPU, out-of-range vCPU: still owed. */
	kvm_ioapic_update_eoi(&self->io, 2, 0x39, false, false);
	kvm_ioapic_update_eoi(&self->io, 7, 0x38, false, false);
	kvm_ioapic_update_eoi(&self->io, 5000, 0x38, false, false);
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, true);
	kvm_ioapic_update_eoi(&self->io, 2, 0x38, false, false);
	kvm_ioapic_update_eoi(&self->io, 2, 0x38, false, false);	/* twice */
	EXPECT_EQ(1, self->io.rtc_pending_eoi);
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, true);
	kvm_ioapic_update_eoi(&self->io, 3, 0x38, false, false);
	EXPECT_EQ(2, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	EXPECT_EQ(2U, self->f.ndeliver);
}

TEST_F(ioapic, rtc_without_line_status_not_tracked)
{
	set_rte(&self->io, 8, 0x38);
	self->f.deliver_ret = 1;
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 8, 0, 1, false));
	EXPECT_EQ(0U, self->f.nmap);
	EXPECT_EQ(0, self->io.rtc_pending_eoi);
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, false);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 8, 0, 1, false));
	/* Other pins are never tracked. */
	set_rte(&self->io, 9, 0x39);
	EXPECT_EQ(1, kvm_ioapic_set_irq(&self->io, 9, 0, 1, true));
	EXPECT_EQ(0U, self->f.nmap);
}

TEST_F(ioapic, rtc_restore_after_set_state)
{
	struct kvm_ioapic_state st;

	kvm_ioapic_get_state(&self->io, &st);
	st.redirtbl[8].bits = 0x38;
	st.irr = BIT(8);
	self->f.deliver_ret = 2;
	kvm_ioapic_set_state(&self->io, &st);
	/* Re-raised with tracking, as KVM's kvm_ioapic_inject_all(). */
	EXPECT_EQ(1U, self->f.nmap);
	EXPECT_EQ(2, self->io.rtc_pending_eoi);
	/* The glue finds neither LAPIC has it pending any more. */
	kvm_ioapic_rtc_restore(&self->io, 2, false);
	kvm_ioapic_rtc_restore(&self->io, 3, false);
	kvm_ioapic_rtc_restore(&self->io, 3, false);
	EXPECT_EQ(0, self->io.rtc_pending_eoi);
	/* vCPU 5 has it in ISR: owed until it EOIs. */
	kvm_ioapic_rtc_restore(&self->io, 5, true);
	kvm_ioapic_rtc_restore(&self->io, 5000, true);
	EXPECT_EQ(1, self->io.rtc_pending_eoi);
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, true);
	EXPECT_EQ(0, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
	kvm_ioapic_set_irq(&self->io, 8, 0, 0, true);
	kvm_ioapic_update_eoi(&self->io, 5, 0x38, false, false);
	EXPECT_EQ(2, kvm_ioapic_set_irq(&self->io, 8, 0, 1, true));
}

/*
 * Any state from KVM_SET_IRQCHIP and any guest or userspace input keeps
 * the model in bounds (ASan/UBSan watch) and irr within the 24 pins.
 */
TEST_F(ioapic, random_state_and_inputs_are_safe)
{
	struct kvm_ioapic_state st;
	unsigned int i;

	self->f.deliver_ret = 1;
	for (i = 0; i < 200000; i++) {
		switch (rnd() % 8) {
		case 0:
			if (rnd() % 64)
				break;
			rnd_fill(&st, sizeof(st));
			kvm_ioapic_set_state(&self->io, &st);
			break;
		case 1:
			kvm_ioapic_mmio_write(&self->io, rnd() % 0x120, rnd());
			break;
		case 2:
			kvm_ioapic_mmio_read(&self->io, rnd());
			break;
		case 3:
			kvm_ioapic_set_irq(&self->io, rnd() % 26, rnd() % 66,
					   rnd() % 2, rnd() % 2);
			break;
		case 4:
			kvm_ioapic_update_eoi(&self->io, rnd() % 1100, rnd(),
					      rnd() % 2, rnd() % 2);
			break;
		case 5:
			kvm_ioapic_eoi_inject_work(&self->io);
			kvm_ioapic_rtc_restore(&self->io, rnd() % 1100,
					       rnd() % 2);
			break;
		case 6:
			self->f.deliver_ret = (int)(rnd() % 4) - 1;
			break;
		default:
			kvm_ioapic_get_state(&self->io, &st);
			ASSERT_EQ(0U, st.irr & ~0xffffffU);
			break;
		}
		ASSERT_EQ(0U, self->io.state.irr & ~0xffffffU);
		ASSERT_LE(0, self->io.rtc_pending_eoi);
	}
}

TEST_HARNESS_MAIN
