// SPDX-License-Identifier: GPL-2.0
/*
 * Dual 8259A PIC model (see i8259.h for the API).
 *
 * Reference: Intel 8259A Programmable Interrupt Controller datasheet
 * (order 231468-003): ICW1-ICW4 and OCW1-OCW3 formats (figures 7 and 8),
 * priority modes, INTA sequence, poll command.  Where KVM 6.1 departs
 * from the datasheet, KVM is followed, since guests ran against it:
 *
 * - Single mode (ICW1 SNGL) and level mode (ICW1 LTIM) are not supported:
 *   the chips are always cascaded on IRQ2 and triggering comes from the
 *   ELCR.  ICW3 is read and ignored; ICW4 keeps only AEOI and SFNM.
 * - ICW1 does not clear ISR; it drops edge requests from IRR, keeps
 *   level ones, and (KVM: if a vCPU takes PIC interrupts; here always)
 *   runs the ack notifiers of the dropped edge requests.
 * - Poll (OCW3 P) acknowledges and ends the interrupt in one step.
 * - Edge detection: a rising line sets IRR once; the line must go low
 *   (last_irr) before the next edge.
 *
 * One departure from KVM: special mask mode (OCW3 ESMM/SMM) is honoured:
 * as the datasheet says, a level masked in IMR then no longer inhibits
 * lower priorities through its ISR bit.  KVM 6.1 stores the bit and
 * ignores it.
 */
#include <kestrel/pure.h>

#include "i8259.h"

/* ICW1, OCW2, OCW3 share the command port; bits 4:3 tell them apart. */
#define ICW1_SELECT	BIT(4)
#define ICW1_IC4	BIT(0)
#define OCW3_SELECT	BIT(3)
#define OCW3_RIS	BIT(0)
#define OCW3_RR		BIT(1)
#define OCW3_P		BIT(2)
#define OCW3_SMM	BIT(5)
#define OCW3_ESMM	BIT(6)
#define ICW4_AEOI	BIT(1)
#define ICW4_SFNM	BIT(4)

#define CASCADE_IRQ	2

/* OCW2 R SL EOI (bits 7:5). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* init_state: the next data port write is... */
enum {
	INIT_DONE = 0,		/* OCW1 */
	INIT_ICW2 = 1,
	INIT_ICW3 = 2,
	INIT_ICW4 = 3,
};

static bool is_slave(const struct kvm_pic *pic, const struct kvm_pic_state *s)
{
	return s == &pic->pics[1];
}

static void pic_notify_ack(struct kvm_pic *pic, struct kvm_pic_state *s,
			   unsigned int irq)
{
	if (!pic->ops || !pic->ops->ack)
		return;
	if (is_slave(pic, s))
		pic->ops->ack(pic->opaque, KVM_IRQCHIP_PIC_SLAVE, irq + 8);
	else
		pic->ops->ack(pic->opaque, KVM_IRQCHIP_PIC_MASTER, irq);
}

static void pic_clear_isr(struct kvm_pic *pic, struct kvm_pic_state *s,
			  unsigned int irq)
{
	s->isr &= ~BIT(irq);
	pic_notify_ack(pic, s, irq);
}

/*
 * Latches the line of irq (0..7) on one chip.  Returns -1 if masked,
 * else whether a new request reached IRR (0: coalesced).
 */
static int pic_set_irq1(struct kvm_pic_state *s, unsigned int irq, bool level)
{
	u8 mask = BIT(irq);
	int ret = 1;

	if (s->elcr & mask) {
		if (level) {
			ret = !(s->irr & mask);
			s->irr |= mask;
			s->last_irr |= mask;
		} else {
			s->irr &= ~mask;
			s->last_irr &= ~mask;
		}
	} else if (level) {
		if (!(s->last_irr & mask)) {
			ret = !(s->irr & mask);
			s->irr |= mask;
		}
		s->last_irr |= mask;
	} else {
		s->last_irr &= ~mask;
	}
	return (s->imr & mask) ? -1 : ret;
}

/*
 * Priority (0 highest .. 7) of the highest-priority bit of mask, counting
 * from the level after priority_add; 8 if none.  Always terminates: mask
 * has a bit among the 8 tried.
 */
static unsigned int pic_priority(const struct kvm_pic_state *s, u8 mask)
{
	unsigned int p = 0;

	if (!mask)
		return 8;
	while (!(mask & BIT((p + s->priority_add) & 7)))
		p++;
	return p;
}

static unsigned int pic_priority_irq(const struct kvm_pic_state *s,
				     unsigned int p)
{
	return (p + s->priority_add) & 7;
}

/* The IRQ (0..7) this chip would interrupt with, or -1. */
static int pic_get_irq(const struct kvm_pic *pic, const struct kvm_pic_state *s)
{
	unsigned int p = pic_priority(s, s->irr & ~s->imr);
	u8 in_service = s->isr;

	if (p == 8)
		return -1;
	/* Special fully nested: the slave may interrupt its own service. */
	if (s->special_fully_nested_mode && !is_slave(pic, s))
		in_service &= ~BIT(CASCADE_IRQ);
	if (s->special_mask)
		in_service &= ~s->imr;
	if (p < pic_priority(s, in_service))
		return pic_priority_irq(s, p);
	return -1;
}

static void pic_set_output(struct kvm_pic *pic, bool level)
{
	if (level && !pic->output)
		pic->wakeup_needed = true;
	pic->output = level;
}

/* Recomputes the cascade and INTR after anything that may change them. */
static void pic_update_irq(struct kvm_pic *pic)
{
	/* The slave's INT is an edge on master IRQ2, as KVM models it. */
	if (pic_get_irq(pic, &pic->pics[1]) >= 0) {
		pic_set_irq1(&pic->pics[0], CASCADE_IRQ, true);
		pic_set_irq1(&pic->pics[0], CASCADE_IRQ, false);
	}
	pic_set_output(pic, pic_get_irq(pic, &pic->pics[0]) >= 0);
}

void kvm_pic_init(struct kvm_pic *pic, const struct kvm_pic_ops *ops,
		  void *opaque)
{
	memset(pic, 0, sizeof(*pic));
	pic->pics[0].elcr_mask = PIC_MASTER_ELCR_MASK;
	pic->pics[1].elcr_mask = PIC_SLAVE_ELCR_MASK;
	pic->ops = ops;
	pic->opaque = opaque;
}

int kvm_pic_set_irq(struct kvm_pic *pic, u32 pin, u32 source_id, int level)
{
	u64 *states;
	int ret;

	if (pin >= 16 || source_id >= PIC_MAX_IRQ_SOURCES)
		return -1;
	states = &pic->irq_states[pin];
	if (level)
		*states |= BIT_ULL(source_id);
	else
		*states &= ~BIT_ULL(source_id);
	ret = pic_set_irq1(&pic->pics[pin >> 3], pin & 7, *states != 0);
	pic_update_irq(pic);
	return ret;
}

void kvm_pic_clear_all(struct kvm_pic *pic, u32 source_id)
{
	unsigned int pin;

	if (source_id >= PIC_MAX_IRQ_SOURCES)
		return;
	for (pin = 0; pin < 16; pin++)
		pic->irq_states[pin] &= ~BIT_ULL(source_id);
}

/* INTA on one chip: into service; edge requests leave IRR. */
static void pic_intack(struct kvm_pic *pic, struct kvm_pic_state *s,
		       unsigned int irq)
{
	s->isr |= BIT(irq);
	if (!(s->elcr & BIT(irq)))
		s->irr &= ~BIT(irq);
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (irq + 1) & 7;
		pic_clear_isr(pic, s, irq);
	}
}

/* The request went away before INTA: the chip answers IRQ7 (datasheet). */
#define PIC_SPURIOUS_IRQ	7

u8 kvm_pic_read_irq(struct kvm_pic *pic)
{
	struct kvm_pic_state *master = &pic->pics[0], *slave = &pic->pics[1];
	int irq = pic_get_irq(pic, master), irq2;
	u8 vector;

	pic->output = false;
	if (irq < 0) {
		vector = master->irq_base + PIC_SPURIOUS_IRQ;
	} else {
		pic_intack(pic, master, irq);
		if (irq == CASCADE_IRQ) {
			irq2 = pic_get_irq(pic, slave);
			if (irq2 >= 0)
				pic_intack(pic, slave, irq2);
			else
				irq2 = PIC_SPURIOUS_IRQ;
			vector = slave->irq_base + irq2;
		} else {
			vector = master->irq_base + irq;
		}
	}
	pic_update_irq(pic);
	return vector;
}

/* ICW1: start of initialization (datasheet, "Initialization Command Words"). */
static void pic_icw1(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	u8 edge_irr = s->irr & ~s->elcr;
	unsigned int irq;

	s->init4 = val & ICW1_IC4;
	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = INIT_ICW2;
	/* Dropped edges are "acked" so that PIT reinjection counts them. */
	for (irq = 0; irq < 8; irq++)
		if (edge_irr & BIT(irq))
			pic_clear_isr(pic, s, irq);
}

static void pic_ocw3(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	if (val & OCW3_P)
		s->poll = 1;
	if (val & OCW3_RR)
		s->read_reg_select = val & OCW3_RIS;
	if (val & OCW3_ESMM) {
		s->special_mask = !!(val & OCW3_SMM);
		/* Masked levels in service may now let others through. */
		pic_update_irq(pic);
	}
}

/* Non-specific EOI: ends the highest-priority IRQ in service. */
static void pic_eoi_highest(struct kvm_pic *pic, struct kvm_pic_state *s,
			    bool rotate)
{
	unsigned int p = pic_priority(s, s->isr), irq;

	if (p == 8)
		return;
	irq = pic_priority_irq(s, p);
	if (rotate)
		s->priority_add = (irq + 1) & 7;
	pic_clear_isr(pic, s, irq);
	pic_update_irq(pic);
}

static void pic_ocw2(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	unsigned int irq = val & 7;

	switch (val >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		s->rotate_on_auto_eoi = (val >> 5) == OCW2_ROTATE_AEOI_SET;
		break;
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		pic_eoi_highest(pic, s, (val >> 5) == OCW2_ROTATE_NONSPECIFIC_EOI);
		break;
	case OCW2_SPECIFIC_EOI:
		pic_clear_isr(pic, s, irq);
		pic_update_irq(pic);
		break;
	case OCW2_SET_PRIORITY:
		/* L2-L0 becomes the lowest priority. */
		s->priority_add = (irq + 1) & 7;
		pic_update_irq(pic);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		s->priority_add = (irq + 1) & 7;
		pic_clear_isr(pic, s, irq);
		pic_update_irq(pic);
		break;
	default:
		break;		/* 2: no operation */
	}
}

static void pic_write_imr(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	u8 changed = s->imr ^ val;
	unsigned int irq, off = is_slave(pic, s) ? 8 : 0;

	s->imr = val;
	for (irq = 0; irq < 8; irq++)
		if ((changed & BIT(irq)) && pic->ops && pic->ops->mask_changed)
			pic->ops->mask_changed(pic->opaque,
					       off ? KVM_IRQCHIP_PIC_SLAVE :
						     KVM_IRQCHIP_PIC_MASTER,
					       irq + off, val & BIT(irq));
	pic_update_irq(pic);
}

static void pic_write_data(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	switch (s->init_state) {
	case INIT_DONE:
		pic_write_imr(pic, s, val);
		break;
	case INIT_ICW2:
		s->irq_base = val & 0xf8;	/* T7-T3 */
		s->init_state = INIT_ICW3;
		break;
	case INIT_ICW3:
		s->init_state = s->init4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		s->special_fully_nested_mode = !!(val & ICW4_SFNM);
		s->auto_eoi = !!(val & ICW4_AEOI);
		s->init_state = INIT_DONE;
		break;
	default:
		break;		/* from KVM_SET_IRQCHIP: ignored as KVM */
	}
}

static void pic_write_cmd(struct kvm_pic *pic, struct kvm_pic_state *s, u8 val)
{
	if (val & ICW1_SELECT)
		pic_icw1(pic, s, val);
	else if (val & OCW3_SELECT)
		pic_ocw3(pic, s, val);
	else
		pic_ocw2(pic, s, val);
}

/*
 * Poll: the highest request is acknowledged and ended at once; the value
 * read is its level (KVM returns it without the datasheet's I bit 7).
 */
static u8 pic_poll_read(struct kvm_pic *pic, struct kvm_pic_state *s)
{
	int irq = pic_get_irq(pic, s);

	if (irq < 0) {
		pic_update_irq(pic);
		return PIC_SPURIOUS_IRQ;
	}
	if (is_slave(pic, s)) {
		pic->pics[0].isr &= ~BIT(CASCADE_IRQ);
		pic->pics[0].irr &= ~BIT(CASCADE_IRQ);
	}
	s->irr &= ~BIT(irq);
	pic_clear_isr(pic, s, irq);
	if (is_slave(pic, s) || irq != CASCADE_IRQ)
		pic_update_irq(pic);
	return irq;
}

static u8 pic_read(struct kvm_pic *pic, struct kvm_pic_state *s, bool data)
{
	if (s->poll) {
		s->poll = 0;
		return pic_poll_read(pic, s);
	}
	if (data)
		return s->imr;
	return s->read_reg_select ? s->isr : s->irr;
}

int kvm_pic_ioport_read(struct kvm_pic *pic, u16 port, u8 *val)
{
	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		*val = pic_read(pic, &pic->pics[port >> 7], port & 1);
		return 0;
	case PIC_ELCR1:
	case PIC_ELCR2:
		*val = pic->pics[port & 1].elcr;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int kvm_pic_ioport_write(struct kvm_pic *pic, u16 port, u8 val)
{
	struct kvm_pic_state *s;

	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		s = &pic->pics[port >> 7];
		if (port & 1)
			pic_write_data(pic, s, val);
		else
			pic_write_cmd(pic, s, val);
		return 0;
	case PIC_ELCR1:
	case PIC_ELCR2:
		/* A new trigger mode takes effect at the next line change. */
		s = &pic->pics[port & 1];
		s->elcr = val & s->elcr_mask;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

bool kvm_pic_take_wakeup(struct kvm_pic *pic)
{
	bool w = pic->wakeup_needed;

	pic->wakeup_needed = false;
	return w;
}

int kvm_pic_get_state(const struct kvm_pic *pic, u32 chip,
		      struct kvm_pic_state *state)
{
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	*state = pic->pics[chip];
	return 0;
}

int kvm_pic_set_state(struct kvm_pic *pic, u32 chip,
		      const struct kvm_pic_state *state)
{
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	/* Everything, elcr_mask included, as KVM. */
	pic->pics[chip] = *state;
	pic_update_irq(pic);
	return 0;
}
