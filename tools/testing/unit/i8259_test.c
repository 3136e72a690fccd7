// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the dual 8259A model (arch/x86/kvm/i8259.c), driven
 * through its ports as a guest would.  Expected values from the 8259A
 * datasheet and KVM 6.1's behaviour.
 */
#include "kselftest_harness.h"
#include "i8259.h"

#define MAX_LOG 16

struct fake {
	unsigned int nack;
	u32 ack_chip[MAX_LOG];
	unsigned int ack_pin[MAX_LOG];
	unsigned int nmask;
	unsigned int mask_pin;
	bool masked;
};

static void fake_ack(void *opaque, u32 irqchip, unsigned int pin)
{
	struct fake *f = opaque;

	if (f->nack < MAX_LOG) {
		f->ack_chip[f->nack] = irqchip;
		f->ack_pin[f->nack] = pin;
	}
	f->nack++;
}

static void fake_mask(void *opaque, u32 irqchip, unsigned int pin, bool masked)
{
	struct fake *f = opaque;

	f->nmask++;
	f->mask_pin = pin;
	f->masked = masked;
}

static const struct kvm_pic_ops ops = {
	.ack = fake_ack,
	.mask_changed = fake_mask,
};

FIXTURE(pic) {
	struct kvm_pic pic;
	struct fake f;
};

static void out(struct kvm_pic *pic, u16 port, u8 val)
{
	if (kvm_pic_ioport_write(pic, port, val))
		abort();
}

static u8 in(struct kvm_pic *pic, u16 port)
{
	u8 v = 0x5a;

	if (kvm_pic_ioport_read(pic, port, &v))
		abort();
	return v;
}

/* What Linux's init_8259A() writes, with icw4 for both chips. */
static void init_pics(struct kvm_pic *pic, u8 icw4)
{
	out(pic, 0x20, 0x11);	/* ICW1: edge, cascade, ICW4 needed */
	out(pic, 0x21, 0x20);	/* ICW2: vectors 0x20-0x27 */
	out(pic, 0x21, 0x04);	/* ICW3: slave on IR2 */
	out(pic, 0x21, icw4);
	out(pic, 0xa0, 0x11);
	out(pic, 0xa1, 0x28);
	out(pic, 0xa1, 0x02);	/* ICW3: slave ID 2 */
	out(pic, 0xa1, icw4);
	out(pic, 0x21, 0x00);	/* OCW1: all unmasked */
	out(pic, 0xa1, 0x00);
}

FIXTURE_SETUP(pic)
{
	memset(&self->f, 0, sizeof(self->f));
	kvm_pic_init(&self->pic, &ops, &self->f);
	init_pics(&self->pic, 0x01);
	self->f.nmask = 0;
}

FIXTURE_TEARDOWN(pic)
{
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

#define EOI	0x20	/* OCW2 non-specific EOI */

TEST_F(pic, init_sequence)
{
	EXPECT_EQ(0x20, self->pic.pics[0].irq_base);
	EXPECT_EQ(0x28, self->pic.pics[1].irq_base);
	EXPECT_EQ(0, self->pic.pics[0].init_state);
	EXPECT_EQ(1, self->pic.pics[0].init4);
	EXPECT_EQ(0, self->pic.pics[0].auto_eoi);
	EXPECT_EQ(0x00, in(&self->pic, 0x21));
	out(&self->pic, 0x21, 0xfb);
	EXPECT_EQ(0xfb, in(&self->pic, 0x21));
	/* ICW2 keeps only T7-T3. */
	out(&self->pic, 0x20, 0x11);
	out(&self->pic, 0x21, 0x77);
	out(&self->pic, 0x21, 0x04);
	out(&self->pic, 0x21, 0x01);
	EXPECT_EQ(0x70, self->pic.pics[0].irq_base);
	/* ICW1 cleared IMR. */
	EXPECT_EQ(0x00, in(&self->pic, 0x21));
}

TEST_F(pic, init_without_icw4)
{
	self->pic.pics[0].auto_eoi = 1;
	out(&self->pic, 0x20, 0x10);	/* IC4 = 0 */
	out(&self->pic, 0x21, 0x08);
	out(&self->pic, 0x21, 0x04);
	/* The next data write is OCW1 already. */
	out(&self->pic, 0x21, 0xaa);
	EXPECT_EQ(0xaa, in(&self->pic, 0x21));
	EXPECT_EQ(0x08, self->pic.pics[0].irq_base);
	/* ICW4 functions are zeroed without ICW4. */
	EXPECT_EQ(0, self->pic.pics[0].auto_eoi);
}

TEST_F(pic, edge_irq_inta_eoi)
{
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	EXPECT_EQ(1, kvm_pic_set_irq(&self->pic, 0, 0, 1));
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_TRUE(kvm_pic_take_wakeup(&self->pic));
	EXPECT_FALSE(kvm_pic_take_wakeup(&self->pic));
	EXPECT_EQ(0x01, in(&self->pic, 0x20));		/* IRR */
	EXPECT_EQ(0x20, kvm_pic_read_irq(&self->pic));
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0x20, 0x0b);			/* OCW3: read ISR */
	EXPECT_EQ(0x01, in(&self->pic, 0x20));
	out(&self->pic, 0x20, 0x0a);			/* OCW3: read IRR */
	EXPECT_EQ(0x00, in(&self->pic, 0x20));
	/* Line still high: no new edge. */
	kvm_pic_set_irq(&self->pic, 0, 0, 1);
	EXPECT_EQ(0x00, in(&self->pic, 0x20));
	/* New edge while IRQ0 is in service: latched, not signalled. */
	kvm_pic_set_irq(&self->pic, 0, 0, 0);
	EXPECT_EQ(1, kvm_pic_set_irq(&self->pic, 0, 0, 1));
	EXPECT_EQ(0x01, in(&self->pic, 0x20));
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0x20, EOI);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	ASSERT_EQ(1U, self->f.nack);
	EXPECT_EQ((u32)KVM_IRQCHIP_PIC_MASTER, self->f.ack_chip[0]);
	EXPECT_EQ(0U, self->f.ack_pin[0]);
}

TEST_F(pic, coalesced_and_masked_returns)
{
	/* Edge latched, line dropped and raised before INTA: coalesced. */
	EXPECT_EQ(1, kvm_pic_set_irq(&self->pic, 4, 0, 1));
	kvm_pic_set_irq(&self->pic, 4, 0, 0);
	EXPECT_EQ(0, kvm_pic_set_irq(&self->pic, 4, 0, 1));
	/* Masked: -1 for raising and lowering alike. */
	out(&self->pic, 0x21, 0x10);
	EXPECT_EQ(-1, kvm_pic_set_irq(&self->pic, 4, 0, 0));
	EXPECT_EQ(-1, kvm_pic_set_irq(&self->pic, 4, 0, 1));
	EXPECT_EQ(-1, kvm_pic_set_irq(&self->pic, 16, 0, 1));
	EXPECT_EQ(-1, kvm_pic_set_irq(&self->pic, 0, 64, 1));
}

TEST_F(pic, fixed_priority_and_nesting)
{
	kvm_pic_set_irq(&self->pic, 5, 0, 1);
	kvm_pic_set_irq(&self->pic, 3, 0, 1);
	EXPECT_EQ(0x23, kvm_pic_read_irq(&self->pic));
	/* IRQ5 is lower than IRQ3 in service: not signalled. */
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	/* IRQ1 is higher: nests. */
	kvm_pic_set_irq(&self->pic, 1, 0, 1);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x21, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x0b);
	EXPECT_EQ(0x0a, in(&self->pic, 0x20));		/* ISR: 1 and 3 */
	out(&self->pic, 0x20, EOI);			/* ends IRQ1, the highest */
	EXPECT_EQ(0x08, in(&self->pic, 0x20));
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0x20, EOI);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x25, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, specific_eoi)
{
	kvm_pic_set_irq(&self->pic, 3, 0, 1);
	kvm_pic_read_irq(&self->pic);
	kvm_pic_set_irq(&self->pic, 1, 0, 1);
	kvm_pic_read_irq(&self->pic);
	out(&self->pic, 0x20, 0x63);			/* specific EOI IRQ3 */
	out(&self->pic, 0x20, 0x0b);
	EXPECT_EQ(0x02, in(&self->pic, 0x20));
	ASSERT_EQ(1U, self->f.nack);
	EXPECT_EQ(3U, self->f.ack_pin[0]);
}

TEST_F(pic, set_priority_rotates)
{
	out(&self->pic, 0x20, 0xc3);	/* OCW2 set priority: IRQ3 lowest */
	EXPECT_EQ(4, self->pic.pics[0].priority_add);
	kvm_pic_set_irq(&self->pic, 3, 0, 1);
	kvm_pic_set_irq(&self->pic, 5, 0, 1);
	kvm_pic_set_irq(&self->pic, 1, 0, 1);
	/* Order now 4 5 6 7 0 1 2 3. */
	EXPECT_EQ(0x25, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, EOI);
	EXPECT_EQ(0x21, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, EOI);
	EXPECT_EQ(0x23, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, rotate_on_nonspecific_eoi)
{
	kvm_pic_set_irq(&self->pic, 1, 0, 1);
	kvm_pic_set_irq(&self->pic, 6, 0, 1);
	EXPECT_EQ(0x21, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0xa0);	/* rotate on non-specific EOI */
	EXPECT_EQ(2, self->pic.pics[0].priority_add);	/* IRQ1 now lowest */
	kvm_pic_set_irq(&self->pic, 1, 0, 0);
	kvm_pic_set_irq(&self->pic, 1, 0, 1);
	/* IRQ6 now beats IRQ1. */
	EXPECT_EQ(0x26, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0xe6);	/* rotate on specific EOI 6 */
	EXPECT_EQ(7, self->pic.pics[0].priority_add);
	EXPECT_EQ(0x21, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, cascade)
{
	EXPECT_EQ(1, kvm_pic_set_irq(&self->pic, 10, 0, 1));
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x04, in(&self->pic, 0x20));		/* master IRR: IR2 */
	EXPECT_EQ(0x04, in(&self->pic, 0xa0));		/* slave IRR: IR2 (IRQ10) */
	EXPECT_EQ(0x2a, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x0b);
	out(&self->pic, 0xa0, 0x0b);
	EXPECT_EQ(0x04, in(&self->pic, 0x20));
	EXPECT_EQ(0x04, in(&self->pic, 0xa0));
	/* A master IRQ of lower priority than the cascade waits. */
	kvm_pic_set_irq(&self->pic, 4, 0, 1);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0xa0, EOI);
	ASSERT_EQ(1U, self->f.nack);
	EXPECT_EQ((u32)KVM_IRQCHIP_PIC_SLAVE, self->f.ack_chip[0]);
	EXPECT_EQ(10U, self->f.ack_pin[0]);
	out(&self->pic, 0x20, EOI);
	EXPECT_EQ(0x24, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, slave_priority_within_slave)
{
	kvm_pic_set_irq(&self->pic, 14, 0, 1);
	kvm_pic_set_irq(&self->pic, 9, 0, 1);
	EXPECT_EQ(0x29, kvm_pic_read_irq(&self->pic));
	/* Master IR2 in service: the slave's IRQ14 waits (not SFNM). */
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0xa0, EOI);
	out(&self->pic, 0x20, EOI);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x2e, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, special_fully_nested)
{
	init_pics(&self->pic, 0x11);	/* ICW4: SFNM, 8086 mode */
	EXPECT_EQ(1, self->pic.pics[0].special_fully_nested_mode);
	kvm_pic_set_irq(&self->pic, 14, 0, 1);
	EXPECT_EQ(0x2e, kvm_pic_read_irq(&self->pic));
	/* A higher slave IRQ interrupts the slave's service. */
	kvm_pic_set_irq(&self->pic, 9, 0, 1);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x29, kvm_pic_read_irq(&self->pic));
}

TEST_F(pic, auto_eoi)
{
	init_pics(&self->pic, 0x03);	/* ICW4: AEOI */
	self->f.nack = 0;
	kvm_pic_set_irq(&self->pic, 3, 0, 1);
	EXPECT_EQ(0x23, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x0b);
	EXPECT_EQ(0x00, in(&self->pic, 0x20));		/* ISR already clear */
	ASSERT_EQ(1U, self->f.nack);
	EXPECT_EQ(3U, self->f.ack_pin[0]);
	/* Rotate in AEOI mode: the served IRQ becomes lowest. */
	out(&self->pic, 0x20, 0x80);
	kvm_pic_set_irq(&self->pic, 3, 0, 0);
	kvm_pic_set_irq(&self->pic, 5, 0, 1);
	EXPECT_EQ(0x25, kvm_pic_read_irq(&self->pic));
	EXPECT_EQ(6, self->pic.pics[0].priority_add);
	out(&self->pic, 0x20, 0x00);			/* clear rotate in AEOI */
	EXPECT_EQ(0, self->pic.pics[0].rotate_on_auto_eoi);
}

TEST_F(pic, spurious_master)
{
	/* A level request withdrawn before INTA. */
	out(&self->pic, 0x4d0, 0x20);
	kvm_pic_set_irq(&self->pic, 5, 0, 1);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	kvm_pic_set_irq(&self->pic, 5, 0, 0);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x27, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x0b);
	EXPECT_EQ(0x00, in(&self->pic, 0x20));		/* no ISR bit */
}

TEST_F(pic, spurious_slave)
{
	out(&self->pic, 0x4d1, 0x08);			/* IRQ11 level */
	kvm_pic_set_irq(&self->pic, 11, 0, 1);
	kvm_pic_set_irq(&self->pic, 11, 0, 0);
	/* Master IR2 latched the edge; the slave has nothing left. */
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x2f, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x0b);
	out(&self->pic, 0xa0, 0x0b);
	EXPECT_EQ(0x04, in(&self->pic, 0x20));		/* master IR2 in service */
	EXPECT_EQ(0x00, in(&self->pic, 0xa0));
}

TEST_F(pic, elcr_level)
{
	out(&self->pic, 0x4d0, 0xff);
	out(&self->pic, 0x4d1, 0xff);
	EXPECT_EQ(0xf8, in(&self->pic, 0x4d0));
	EXPECT_EQ(0xde, in(&self->pic, 0x4d1));
	EXPECT_EQ(1, kvm_pic_set_irq(&self->pic, 5, 0, 1));
	/* Level already requested: coalesced. */
	EXPECT_EQ(0, kvm_pic_set_irq(&self->pic, 5, 1, 1));
	EXPECT_EQ(0x25, kvm_pic_read_irq(&self->pic));
	/* Level requests stay in IRR through INTA. */
	EXPECT_EQ(0x20, in(&self->pic, 0x20));
	out(&self->pic, 0x20, EOI);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	/* Both sources must drop for the line to go low. */
	kvm_pic_set_irq(&self->pic, 5, 0, 0);
	EXPECT_EQ(0x20, in(&self->pic, 0x20));
	kvm_pic_set_irq(&self->pic, 5, 1, 0);
	EXPECT_EQ(0x00, in(&self->pic, 0x20));
	EXPECT_FALSE(kvm_pic_output(&self->pic));
}

TEST_F(pic, icw1_drops_edges_keeps_levels)
{
	out(&self->pic, 0x4d0, 0x08);
	kvm_pic_set_irq(&self->pic, 3, 0, 1);		/* level */
	kvm_pic_set_irq(&self->pic, 4, 0, 1);		/* edge */
	self->f.nack = 0;
	out(&self->pic, 0x20, 0x11);
	EXPECT_EQ(0x08, self->pic.pics[0].irr);
	EXPECT_EQ(1, self->pic.pics[0].init_state);
	/* The dropped edge went through the ack notifiers. */
	ASSERT_EQ(1U, self->f.nack);
	EXPECT_EQ(4U, self->f.ack_pin[0]);
}

TEST_F(pic, imr_masks_and_notifies)
{
	kvm_pic_set_irq(&self->pic, 6, 0, 1);
	out(&self->pic, 0x21, 0x40);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	EXPECT_EQ(1U, self->f.nmask);
	EXPECT_EQ(6U, self->f.mask_pin);
	EXPECT_TRUE(self->f.masked);
	out(&self->pic, 0xa1, 0x01);
	EXPECT_EQ(8U, self->f.mask_pin);
	out(&self->pic, 0x21, 0x00);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_FALSE(self->f.masked);
}

TEST_F(pic, poll_mode)
{
	kvm_pic_set_irq(&self->pic, 6, 0, 1);
	out(&self->pic, 0x20, 0x0c);			/* OCW3: poll */
	EXPECT_EQ(6, in(&self->pic, 0x20));
	/* Acknowledged and ended in one go. */
	EXPECT_EQ(0x00, self->pic.pics[0].irr);
	EXPECT_EQ(0x00, self->pic.pics[0].isr);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	/* Nothing pending: 7; the poll is one read only. */
	out(&self->pic, 0x20, 0x0c);
	EXPECT_EQ(7, in(&self->pic, 0x20));
	EXPECT_EQ(0x00, in(&self->pic, 0x21));
}

TEST_F(pic, poll_slave_clears_cascade)
{
	kvm_pic_set_irq(&self->pic, 12, 0, 1);
	out(&self->pic, 0xa0, 0x0c);
	EXPECT_EQ(4, in(&self->pic, 0xa0));
	EXPECT_EQ(0x00, self->pic.pics[0].irr);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
}

TEST_F(pic, special_mask_mode)
{
	kvm_pic_set_irq(&self->pic, 2 + 1, 0, 1);
	EXPECT_EQ(0x23, kvm_pic_read_irq(&self->pic));
	kvm_pic_set_irq(&self->pic, 5, 0, 1);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	/* The handler masks its own level and enters special mask mode. */
	out(&self->pic, 0x21, 0x08);
	EXPECT_FALSE(kvm_pic_output(&self->pic));
	out(&self->pic, 0x20, 0x68);			/* OCW3: ESMM | SMM */
	EXPECT_EQ(1, self->pic.pics[0].special_mask);
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	EXPECT_EQ(0x25, kvm_pic_read_irq(&self->pic));
	out(&self->pic, 0x20, 0x48);			/* OCW3: ESMM, SMM = 0 */
	EXPECT_EQ(0, self->pic.pics[0].special_mask);
}

TEST_F(pic, other_ports)
{
	u8 v;

	EXPECT_EQ(-EOPNOTSUPP, kvm_pic_ioport_read(&self->pic, 0x22, &v));
	EXPECT_EQ(-EOPNOTSUPP, kvm_pic_ioport_write(&self->pic, 0x4d2, 0));
	EXPECT_EQ(-EOPNOTSUPP, kvm_pic_ioport_write(&self->pic, 0x120, 0));
}

TEST_F(pic, state_round_trip_and_garbage)
{
	struct kvm_pic_state st;

	kvm_pic_set_irq(&self->pic, 3, 0, 1);
	ASSERT_EQ(0, kvm_pic_get_state(&self->pic, KVM_IRQCHIP_PIC_MASTER, &st));
	EXPECT_EQ(0x08, st.irr);
	EXPECT_EQ(0xf8, st.elcr_mask);
	EXPECT_EQ(-EINVAL, kvm_pic_get_state(&self->pic, 2, &st));
	EXPECT_EQ(-EINVAL, kvm_pic_set_state(&self->pic, 2, &st));

	memset(&st, 0xff, sizeof(st));
	st.imr = 0;
	st.isr = 0;
	st.poll = 0;
	ASSERT_EQ(0, kvm_pic_set_state(&self->pic, KVM_IRQCHIP_PIC_MASTER, &st));
	EXPECT_TRUE(kvm_pic_output(&self->pic));
	/* priority_add 0xff counts as 7: IRQ7 highest; the vector wraps. */
	EXPECT_EQ(0x06, kvm_pic_read_irq(&self->pic));
	/* init_state 0xff: data writes ignored. */
	out(&self->pic, 0x21, 0x12);
	EXPECT_EQ(0x00, self->pic.pics[0].imr);
	/* elcr_mask came from userspace too, as in KVM. */
	out(&self->pic, 0x4d0, 0x07);
	EXPECT_EQ(0x07, in(&self->pic, 0x4d0));
}

/* Any state from KVM_SET_IRQCHIP and any port input is safe. */
TEST_F(pic, random_state_and_inputs_are_safe)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x22 };
	struct kvm_pic_state st;
	unsigned int i;
	u8 v;

	for (i = 0; i < 200000; i++) {
		switch (rnd() % 6) {
		case 0:
			if (rnd() % 64)
				break;
			rnd_fill(&st, sizeof(st));
			kvm_pic_set_state(&self->pic, rnd() % 3, &st);
			break;
		case 1:
			kvm_pic_ioport_write(&self->pic, ports[rnd() % 7], rnd());
			break;
		case 2:
			kvm_pic_ioport_read(&self->pic, ports[rnd() % 7], &v);
			break;
		case 3:
			kvm_pic_set_irq(&self->pic, rnd() % 18, rnd() % 66,
					rnd() % 2);
			break;
		case 4:
			kvm_pic_read_irq(&self->pic);
			break;
		default:
			kvm_pic_take_wakeup(&self->pic);
			break;
		}
	}
}

TEST_HARNESS_MAIN
