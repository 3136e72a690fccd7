// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC register model (see lapic_regs.h).
 *
 * Reference: Intel SDM vol. 3A, chapter 10 (10.4 local APIC, 10.5 LVT,
 * error handling and timer, 10.6 IPIs, 10.8 interrupt handling, 10.9 SVR,
 * 10.12 x2APIC).  Where KVM 6.1 behaves in a way a guest or a VMM can see,
 * the model does the same, and says so; where it deliberately does not,
 * the comment says why.
 *
 * Choices, and why:
 *
 * - The APIC bus runs at 1 GHz: one timer tick per ns before division, as
 *   KVM (APIC_BUS_CYCLE_NS = 1).  Guests calibrate against it, and Linux
 *   guests read the rate from KVM's CPUID leaf when there is one.
 *
 * - IPIs are delivered at once, so the ICR delivery-status bit (12) always
 *   reads 0, as in KVM.  For the same reason LVT delivery-status bits are
 *   read-only zeros (KVM lets the guest write them; the SDM says they are
 *   read-only), and so is LINT remote IRR: level-triggered LINT inputs are
 *   not modelled.
 *
 * - ESR is architectural (10.5.3): errors accumulate in a latch, a write to
 *   ESR moves the latch into the register.  KVM 6.1 never records an
 *   error; the model records illegal vectors (0-15) sent or received,
 *   which a correct guest never causes.  Illegal register addresses are
 *   not reported (KVM and most hypervisors do not).
 *
 * - A periodic timer that expired more than one period ago (the VM was
 *   stopped) fires once and restarts from now, as KVM: missed periods are
 *   not replayed.
 */
#include <kestrel/pure.h>
#include "lapic_regs.h"

#define NR_LVT_MAX	7
#define LVT_IDX_TIMER	0
#define LVT_IDX_LINT0	3
#define LVT_IDX_LINT1	4
#define LVT_IDX_ERROR	5

/* LVT registers in LVR "max LVT entry" order; CMCI is the 7th. */
static const u32 lvt_offsets[NR_LVT_MAX] = {
	LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL, LAPIC_LVT_PERF, LAPIC_LVT_LINT0,
	LAPIC_LVT_LINT1, LAPIC_LVT_ERROR, LAPIC_LVT_CMCI,
};

#define ID_XAPIC_MASK	0xff000000U	/* xAPIC ID and LDR: bits 31:24 */
#define DFR_FLAT	0xffffffffU	/* 10.6.2.2: model in bits 31:28 */
#define DFR_CLUSTER	0x0fffffffU
#define TDCR_MASK	0xbU		/* 10.5.4: bits 0, 1 and 3 */
#define X2APIC_ICR_RSVD	(0xfff00000U | (3U << 16) | BIT(13))

static u32 reg_get(const struct lapic *s, u32 off)
{
	return s->regs[(off % LAPIC_REG_SIZE) / 4];
}

static void reg_set(struct lapic *s, u32 off, u32 val)
{
	s->regs[(off % LAPIC_REG_SIZE) / 4] = val;
}

static u32 page_get(const void *page, u32 off)
{
	u32 v;

	memcpy(&v, (const u8 *)page + off % LAPIC_REG_SIZE, sizeof(v));
	return v;
}

static void page_set(void *page, u32 off, u32 v)
{
	memcpy((u8 *)page + off % LAPIC_REG_SIZE, &v, sizeof(v));
}

static u64 add_sat(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
}

/*
 * IRR, ISR and TMR: 256 bits each, as eight 32-bit registers 16 bytes
 * apart (10.8.4).
 */
static u32 vec_reg(u32 base, u8 vec)
{
	return base + (vec / 32) * 0x10;
}

static bool vec_test(const struct lapic *s, u32 base, u8 vec)
{
	return reg_get(s, vec_reg(base, vec)) & BIT(vec % 32);
}

static void vec_set(struct lapic *s, u32 base, u8 vec)
{
	reg_set(s, vec_reg(base, vec), reg_get(s, vec_reg(base, vec)) |
		BIT(vec % 32));
}

static void vec_clear(struct lapic *s, u32 base, u8 vec)
{
	reg_set(s, vec_reg(base, vec), reg_get(s, vec_reg(base, vec)) &
		~BIT(vec % 32));
}

static int vec_highest(const struct lapic *s, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 v = reg_get(s, base + i * 0x10);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

/* ------------------------------------------------------------------
 * Modes and identity
 */

static enum lapic_mode mode_of(u64 apic_base)
{
	if (!(apic_base & LAPIC_BASE_EN))
		return LAPIC_MODE_DISABLED;
	return (apic_base & LAPIC_BASE_EXTD) ? LAPIC_MODE_X2APIC :
					       LAPIC_MODE_XAPIC;
}

enum lapic_mode lapic_mode(const struct lapic *s)
{
	return mode_of(s->apic_base);
}

static bool is_x2apic(const struct lapic *s)
{
	return lapic_mode(s) == LAPIC_MODE_X2APIC;
}

static bool hw_enabled(const struct lapic *s)
{
	return s->apic_base & LAPIC_BASE_EN;
}

bool lapic_sw_enabled(const struct lapic *s)
{
	return reg_get(s, LAPIC_SVR) & LAPIC_SVR_ENABLE;
}

/* Fixed interrupts need both enables (10.4.3, 10.4.7.2). */
static bool enabled(const struct lapic *s)
{
	return hw_enabled(s) && lapic_sw_enabled(s);
}

u64 lapic_mmio_base(const struct lapic *s)
{
	return s->apic_base & LAPIC_BASE_ADDR_MASK;
}

u8 lapic_xapic_id(const struct lapic *s)
{
	return reg_get(s, LAPIC_ID) >> 24;
}

/* In xAPIC mode KVM still matches the vCPU id as x2APIC ID (hotplug). */
u32 lapic_x2apic_id(const struct lapic *s)
{
	return is_x2apic(s) ? reg_get(s, LAPIC_ID) : s->cfg.vcpu_id;
}

/* 10.12.10.2: cluster ID[31:4] in LDR[31:16], bit ID[3:0] in LDR[15:0]. */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | BIT(id & 0xf);
}

static unsigned int nr_lvt(const struct lapic *s)
{
	return s->cfg.cmci ? NR_LVT_MAX : NR_LVT_MAX - 1;
}

static int lvt_index(const struct lapic *s, u32 off)
{
	unsigned int i;

	for (i = 0; i < nr_lvt(s); i++)
		if (lvt_offsets[i] == off)
			return i;
	return -1;
}

/* 10.4.8: version 0x14 (integrated xAPIC), max LVT entry in 23:16. */
static u32 lvr_value(const struct lapic *s)
{
	u32 v = LAPIC_VERSION | ((nr_lvt(s) - 1) << 16);

	if (s->cfg.directed_eoi)
		v |= LAPIC_LVR_DIRECTED_EOI;
	return v;
}

static u32 svr_writable(const struct lapic *s)
{
	u32 m = 0xff | LAPIC_SVR_ENABLE | LAPIC_SVR_FOCUS_OFF;

	if (s->cfg.directed_eoi)
		m |= LAPIC_SVR_EOI_SUPPRESS;
	return m;
}

/* ------------------------------------------------------------------
 * Priorities, IRR/ISR/TMR, errors
 */

/*
 * 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4, where
 * ISRV is the highest vector in service (0 if none).  Called after every
 * change of TPR or ISR, so PPR in the page is always current.
 */
static void update_ppr(struct lapic *s)
{
	int isr = vec_highest(s, LAPIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;
	u32 tpr = reg_get(s, LAPIC_TPR) & 0xff;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		reg_set(s, LAPIC_PPR, tpr);
	else
		reg_set(s, LAPIC_PPR, isrv & 0xf0);
}

u8 lapic_ppr(const struct lapic *s)
{
	return reg_get(s, LAPIC_PPR);
}

static void set_irr(struct lapic *s, u8 vec, bool level)
{
	vec_set(s, LAPIC_IRR, vec);
	if (level)
		vec_set(s, LAPIC_TMR, vec);
	else
		vec_clear(s, LAPIC_TMR, vec);
}

/*
 * 10.5.3: record an error and signal it through LVT Error.  The error
 * interrupt is set in IRR directly: going through lapic_accept_irq() could
 * loop if LVT Error itself holds an illegal vector.
 */
static void raise_error(struct lapic *s, u32 bits)
{
	u32 lvt = reg_get(s, LAPIC_LVT_ERROR);
	u8 vec = lvt & LAPIC_LVT_VECTOR;

	s->esr_latch |= bits;
	if (!enabled(s) || (lvt & LAPIC_LVT_MASKED))
		return;
	if (vec < 16) {
		s->esr_latch |= LAPIC_ESR_RECV_ILLEGAL;
		return;
	}
	set_irr(s, vec, false);
}

/*
 * Accept an interrupt message addressed to this APIC.  A hardware-disabled
 * APIC takes nothing (KVM routes nothing to it); a software-disabled one
 * still takes NMI, SMI, INIT and SIPI (10.4.7.2).
 */
enum lapic_accept lapic_accept_irq(struct lapic *s, const struct lapic_irq *irq)
{
	if (!hw_enabled(s))
		return LAPIC_DROPPED;

	switch (irq->delivery_mode & 7) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		/* A level de-assert matters only to the sender (KVM). */
		if (irq->trig_level && !irq->level)
			return LAPIC_DROPPED;
		if (!lapic_sw_enabled(s))
			return LAPIC_DROPPED;
		if (irq->vector < 16) {
			raise_error(s, LAPIC_ESR_RECV_ILLEGAL);
			return LAPIC_DROPPED;
		}
		set_irr(s, irq->vector, irq->trig_level);
		return LAPIC_ACCEPTED;
	case LAPIC_DM_SMI:
		return LAPIC_SMI;
	case LAPIC_DM_NMI:
		return LAPIC_NMI;
	case LAPIC_DM_INIT:
		/* INIT level de-assert (10.6.1) does nothing on xAPICs. */
		if (irq->trig_level && !irq->level)
			return LAPIC_DROPPED;
		return LAPIC_INIT;
	case LAPIC_DM_STARTUP:
		return LAPIC_SIPI;
	case LAPIC_DM_EXTINT:
		return LAPIC_EXTINT;
	default:
		return LAPIC_REMRD;
	}
}

/*
 * The vector to inject, or -1: the highest IRR bit whose priority class is
 * above PPR's (10.8.3.1).  Vectors 0-15 have class 0 and are never above.
 * A software-disabled APIC still delivers what IRR holds (10.4.7.2).
 */
int lapic_highest_irr(const struct lapic *s)
{
	return hw_enabled(s) ? vec_highest(s, LAPIC_IRR) : -1;
}

int lapic_pending_vector(const struct lapic *s)
{
	int irr;

	if (!hw_enabled(s))
		return -1;
	irr = vec_highest(s, LAPIC_IRR);
	if (irr < 0 || (irr >> 4) <= (lapic_ppr(s) >> 4))
		return -1;
	return irr;
}

/* INTA: the pending vector moves from IRR to ISR (10.8.4). */
int lapic_ack(struct lapic *s)
{
	int vec = lapic_pending_vector(s);

	if (vec < 0)
		return -1;
	vec_clear(s, LAPIC_IRR, vec);
	vec_set(s, LAPIC_ISR, vec);
	update_ppr(s);
	return vec;
}

/*
 * EOI retires the highest vector in service (10.8.5).  A level-triggered
 * one (TMR set) is broadcast to the IOAPICs unless SVR bit 12 suppresses it
 * (10.8.5, "directed EOI"); an EOI with nothing in service does nothing.
 */
static void do_eoi(struct lapic *s, struct lapic_fx *fx)
{
	int vec = vec_highest(s, LAPIC_ISR);

	if (vec < 0)
		return;
	vec_clear(s, LAPIC_ISR, vec);
	update_ppr(s);
	fx->eoi = true;
	fx->eoi_vector = vec;
	fx->eoi_level = vec_test(s, LAPIC_TMR, vec);
	fx->eoi_broadcast = fx->eoi_level &&
		!(reg_get(s, LAPIC_SVR) & LAPIC_SVR_EOI_SUPPRESS);
}

void lapic_eoi(struct lapic *s, struct lapic_fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	do_eoi(s, fx);
}

void lapic_set_cr8(struct lapic *s, u64 cr8)
{
	reg_set(s, LAPIC_TPR, (cr8 & 0xf) << 4);
	update_ppr(s);
}

/* The whole TPR (the VAPIC page's byte), PPR recomputed. */
void lapic_set_tpr(struct lapic *s, u8 tpr)
{
	reg_set(s, LAPIC_TPR, tpr);
	update_ppr(s);
}

/* The VAPIC page's word (KVM's layout): TPR, ISR class, highest IRR. */
u32 lapic_vapic_data(const struct lapic *s)
{
	int irr = vec_highest(s, LAPIC_IRR), isr = vec_highest(s, LAPIC_ISR);

	return (reg_get(s, LAPIC_TPR) & 0xff) |
	       ((u32)(isr < 0 ? 0 : isr & 0xf0) << 8) |
	       ((u32)(irr < 0 ? 0 : irr) << 24);
}

u64 lapic_get_cr8(const struct lapic *s)
{
	return (reg_get(s, LAPIC_TPR) >> 4) & 0xf;
}

/* ------------------------------------------------------------------
 * IPIs and destinations
 */

void lapic_decode_icr(u64 icr, bool x2apic, struct lapic_icr *out)
{
	u32 lo = icr, hi = icr >> 32;

	memset(out, 0, sizeof(*out));
	out->irq.vector = lo & LAPIC_ICR_VECTOR;
	out->irq.delivery_mode = (lo & LAPIC_ICR_DM_MASK) >> 8;
	out->irq.level = lo & LAPIC_ICR_ASSERT;
	out->irq.trig_level = lo & LAPIC_ICR_LEVEL;
	out->logical = lo & LAPIC_ICR_LOGICAL;
	out->shorthand = (lo & LAPIC_ICR_SH_MASK) >> LAPIC_ICR_SH_SHIFT;
	out->dest = x2apic ? hi : hi >> 24;
}

/* A fixed or lowest-priority IPI with vector 0-15 is not sent (10.5.3). */
static void send_ipi(struct lapic *s, u64 icr, struct lapic_fx *fx)
{
	lapic_decode_icr(icr, is_x2apic(s), &fx->icr);
	if (fx->icr.irq.delivery_mode <= LAPIC_DM_LOWEST &&
	    fx->icr.irq.vector < 16) {
		raise_error(s, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	fx->ipi = true;
}

/*
 * Physical destination (10.6.2.1, 10.12.9).  Like KVM, an xAPIC-mode APIC
 * is also addressed by its x2APIC ID (the vCPU id) when the destination
 * does not fit in 8 bits, so that hotplugged vCPUs with large ids, which
 * start in xAPIC mode, can be reached.
 */
static bool match_physical(const struct lapic *t, u32 dest)
{
	if (is_x2apic(t))
		return dest == LAPIC_X2APIC_BROADCAST ||
		       dest == reg_get(t, LAPIC_ID);
	if (dest == LAPIC_XAPIC_BROADCAST)
		return true;
	if (dest > 0xff)
		return dest == t->cfg.vcpu_id;
	return dest == lapic_xapic_id(t);
}

/*
 * Logical destination.  x2APIC (10.12.10): always cluster, 16-bit cluster
 * ID in dest[31:16] and a bit mask of 16 members in dest[15:0].  xAPIC
 * (10.6.2.2): DFR selects flat (8-bit mask against LDR[31:24]) or cluster
 * (cluster in bits 7:4, mask of 4 in bits 3:0); 0xff is a broadcast.  Any
 * other DFR value (only possible through KVM_SET_LAPIC) matches nothing,
 * as in KVM.
 */
static bool match_logical(const struct lapic *t, u32 dest)
{
	u32 ldr = reg_get(t, LAPIC_LDR);
	u32 lid = ldr >> 24;

	if (is_x2apic(t))
		return dest == LAPIC_X2APIC_BROADCAST ||
		       ((ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff));
	if (dest == LAPIC_XAPIC_BROADCAST)
		return true;
	switch (reg_get(t, LAPIC_DFR)) {
	case DFR_FLAT:
		return lid & dest;
	case DFR_CLUSTER:
		return (lid >> 4) == (dest >> 4) && (lid & dest & 0xf);
	default:
		return false;
	}
}

/*
 * Does @target take a message for (@dest, @logical, @shorthand) sent by
 * @source (NULL for IOAPIC and MSI messages)?  With
 * @x2apic_broadcast_quirk (KVM_CAP_X2APIC_API's broadcast quirk not
 * disabled, KVM's default), a non-IPI message to 0xff reaches x2APIC-mode
 * APICs as a broadcast: without interrupt remapping an IOAPIC cannot
 * address more than 8 bits.  A hardware-disabled APIC matches nothing.
 *
 * Lowest priority (10.6.2.4) is the caller's to arbitrate among the
 * APICs that match; KVM picks round-robin or by vector hashing, not by
 * PPR, and so may the glue.
 */
bool lapic_match_dest(const struct lapic *target, const struct lapic *source,
		      u32 dest, bool logical, u8 shorthand,
		      bool x2apic_broadcast_quirk)
{
	if (!hw_enabled(target))
		return false;

	switch (shorthand & 3) {
	case LAPIC_SH_SELF:
		return target == source;
	case LAPIC_SH_ALL:
		return true;
	case LAPIC_SH_ALL_BUT_SELF:
		return target != source;
	}

	if (x2apic_broadcast_quirk && !source &&
	    dest == LAPIC_XAPIC_BROADCAST && is_x2apic(target))
		dest = LAPIC_X2APIC_BROADCAST;
	return logical ? match_logical(target, dest) :
			 match_physical(target, dest);
}

/* ------------------------------------------------------------------
 * Local vector table
 */

/* Writable bits of each LVT (10.5.1, figure 10-8). */
static u32 lvt_writable(const struct lapic *s, int idx)
{
	u32 m = LAPIC_LVT_VECTOR | LAPIC_LVT_MASKED;

	switch (idx) {
	case LVT_IDX_TIMER:
		m |= BIT(17);
		if (s->cfg.tsc_deadline)
			m |= BIT(18);
		return m;
	case LVT_IDX_LINT0:
	case LVT_IDX_LINT1:
		return m | LAPIC_LVT_DM_MASK | LAPIC_LVT_POLARITY |
		       LAPIC_LVT_LEVEL;
	case LVT_IDX_ERROR:
		return m;
	default:	/* thermal, performance counter, CMCI */
		return m | LAPIC_LVT_DM_MASK;
	}
}

/*
 * Signal a local interrupt source (10.5.1): the timer, LINT0/LINT1 pins,
 * thermal, performance counter, CMCI, error.  Timer and error entries have
 * no delivery mode (fixed); only LINT entries have a trigger mode.  @out,
 * if not NULL, receives the message for non-fixed results (NMI, ExtINT...).
 */
enum lapic_accept lapic_local_deliver(struct lapic *s, u32 lvt_offset,
				      struct lapic_irq *out)
{
	int idx = lvt_index(s, lvt_offset);
	struct lapic_irq irq = { .level = true };
	u32 lvt;

	if (idx < 0 || !hw_enabled(s))
		return LAPIC_DROPPED;
	lvt = reg_get(s, lvt_offset);
	if (lvt & LAPIC_LVT_MASKED)
		return LAPIC_DROPPED;

	irq.vector = lvt & LAPIC_LVT_VECTOR;
	if (idx != LVT_IDX_TIMER && idx != LVT_IDX_ERROR)
		irq.delivery_mode = (lvt & LAPIC_LVT_DM_MASK) >> 8;
	if (idx == LVT_IDX_LINT0 || idx == LVT_IDX_LINT1)
		irq.trig_level = lvt & LAPIC_LVT_LEVEL;
	if (out)
		*out = irq;
	return lapic_accept_irq(s, &irq);
}

/*
 * The PIC's INTR reaches the CPU when the APIC is globally disabled
 * (10.4.3: LINT0 then is the INTR pin) or LINT0 is unmasked in ExtINT mode.
 */
bool lapic_accepts_pic_intr(const struct lapic *s)
{
	u32 lvt0 = reg_get(s, LAPIC_LVT_LINT0);

	if (!hw_enabled(s))
		return true;
	return !(lvt0 & LAPIC_LVT_MASKED) &&
	       (lvt0 & LAPIC_LVT_DM_MASK) >> 8 == LAPIC_DM_EXTINT;
}

/* LINT0 unmasked in NMI mode: KVM then routes PIT ticks as NMIs (watchdog). */
bool lapic_lint0_nmi(const struct lapic *s)
{
	u32 lvt0 = reg_get(s, LAPIC_LVT_LINT0);

	return (lvt0 & (LAPIC_LVT_MASKED | LAPIC_LVT_DM_MASK)) ==
	       LAPIC_DM_NMI << 8;
}

/* ------------------------------------------------------------------
 * Timer (10.5.4)
 */

static u8 timer_mode_of(const struct lapic *s)
{
	u8 m = (reg_get(s, LAPIC_LVT_TIMER) & LAPIC_LVT_TIMER_MODE) >> 17;

	/* Without TSC deadline in CPUID, bit 18 is reserved (10.5.4.1). */
	return s->cfg.tsc_deadline ? m : m & 1;
}

/* 10.5.4, figure 10-10: divide by 2 << (bits 3,1:0), 0b111 is 1. */
static u8 divide_of(u32 tdcr)
{
	u32 v = (tdcr & 3) | ((tdcr & 8) >> 1);

	return 1 << ((v + 1) & 7);
}

/*
 * Expiries are capped at the largest time the glue's clock can hold
 * (KTIME_MAX): a guest's far-future TSC deadline (~0) would otherwise
 * become a negative ktime, an hrtimer that fires at once and is restarted
 * forever from its own callback.
 */
static void timer_arm(struct lapic *s, u64 expire_ns)
{
	s->timer.armed = true;
	s->timer.expire_ns = expire_ns < LAPIC_EXPIRE_MAX ? expire_ns :
			     LAPIC_EXPIRE_MAX;
	s->timer.seq++;
}

static void timer_disarm(struct lapic *s)
{
	if (!s->timer.armed)
		return;
	s->timer.armed = false;
	s->timer.seq++;
}

static bool timer_counts(const struct lapic *s)
{
	return s->timer.mode == LAPIC_TIMER_ONESHOT ||
	       s->timer.mode == LAPIC_TIMER_PERIODIC;
}

/* TMICT * divide ns, no shorter than cfg.min_period_ns when periodic. */
static u64 timer_period(const struct lapic *s)
{
	u64 p = (u64)reg_get(s, LAPIC_TMICT) * s->timer.divide;

	if (s->timer.mode == LAPIC_TIMER_PERIODIC && p &&
	    p < s->cfg.min_period_ns)
		p = s->cfg.min_period_ns;
	return p;
}

/* Start counting @remaining ns from now, for the current TMICT. */
static void timer_start(struct lapic *s, const struct lapic_now *now,
			u64 remaining)
{
	s->timer.pending = false;
	timer_disarm(s);
	s->timer.period_ns = timer_counts(s) ? timer_period(s) : 0;
	if (!s->timer.period_ns)
		return;
	if (!remaining || remaining > s->timer.period_ns)
		remaining = s->timer.period_ns;
	timer_arm(s, add_sat(now->ns, remaining));
}

u64 lapic_tsc_to_ns(u64 cycles, u32 tsc_khz)
{
	u64 q, r;

	if (!tsc_khz)
		return ~0ULL;
	q = cycles / tsc_khz;
	r = cycles % tsc_khz;
	if (q > ~0ULL / 1000000)
		return ~0ULL;
	return add_sat(q * 1000000, r * 1000000 / tsc_khz);
}

/* Arm for timer.tscdeadline; a deadline already past fires at once. */
static void tsc_deadline_arm(struct lapic *s, const struct lapic_now *now)
{
	u64 dl = s->timer.tscdeadline;

	if (!dl || !now->tsc_khz)
		return;
	if (dl <= now->tsc) {
		s->timer.pending = true;
		s->timer.tscdeadline = 0;
		return;
	}
	timer_arm(s, add_sat(now->ns,
			     lapic_tsc_to_ns(dl - now->tsc, now->tsc_khz)));
}

/*
 * LVT timer mode changed.  10.5.4.1: switching into or out of TSC-deadline
 * mode disarms the timer (KVM also zeroes TMICT).  One-shot <-> periodic
 * keeps counting; the new mode applies at expiry.
 */
static void update_timer_mode(struct lapic *s)
{
	u8 mode = timer_mode_of(s);
	bool was_tsc = s->timer.mode == LAPIC_TIMER_TSC_DEADLINE;
	bool is_tsc = mode == LAPIC_TIMER_TSC_DEADLINE;

	if (mode == s->timer.mode)
		return;
	if (was_tsc != is_tsc) {
		timer_disarm(s);
		s->timer.pending = false;
		s->timer.period_ns = 0;
		s->timer.tscdeadline = 0;
		reg_set(s, LAPIC_TMICT, 0);
	}
	s->timer.mode = mode;
	if (s->timer.period_ns)
		s->timer.period_ns = timer_counts(s) ? timer_period(s) : 0;
}

static u64 timer_remaining(const struct lapic *s, const struct lapic_now *now)
{
	return s->timer.expire_ns > now->ns ? s->timer.expire_ns - now->ns : 0;
}

/*
 * Current count (10.5.4): what is left of the period, in ticks.  0 once a
 * one-shot expired, in TSC-deadline mode, or while an expiry is due but
 * not yet processed.
 */
u32 lapic_timer_current_count(const struct lapic *s,
			      const struct lapic_now *now)
{
	u32 tmict = reg_get(s, LAPIC_TMICT);
	u64 count;

	if (!timer_counts(s) || !s->timer.armed || !tmict)
		return 0;
	count = timer_remaining(s, now) / s->timer.divide;
	return count < tmict ? count : tmict;
}

/* TDCR changed while counting: the rest of the count runs at the new rate. */
static void write_tdcr(struct lapic *s, u32 val, const struct lapic_now *now)
{
	u8 old = s->timer.divide;
	u64 rem;

	reg_set(s, LAPIC_TDCR, val & TDCR_MASK);
	s->timer.divide = divide_of(val);
	if (s->timer.divide == old || !timer_counts(s))
		return;
	if (s->timer.period_ns)
		s->timer.period_ns = timer_period(s);
	if (!s->timer.armed)
		return;
	rem = timer_remaining(s, now) / old * s->timer.divide;
	timer_arm(s, add_sat(now->ns, rem));
}

bool lapic_timer_expired(struct lapic *s, const struct lapic_now *now)
{
	u64 next;

	if (!s->timer.armed || now->ns < s->timer.expire_ns)
		return false;
	s->timer.pending = true;
	if (s->timer.mode == LAPIC_TIMER_PERIODIC && s->timer.period_ns) {
		next = add_sat(s->timer.expire_ns, s->timer.period_ns);
		if (next <= now->ns)
			next = add_sat(now->ns, s->timer.period_ns);
		timer_arm(s, next);
		return true;
	}
	timer_disarm(s);
	if (s->timer.mode == LAPIC_TIMER_TSC_DEADLINE)
		s->timer.tscdeadline = 0;	/* 10.5.4.1 */
	return true;
}

/* As KVM: a pending expiry counts only if it can be delivered. */
bool lapic_timer_pending(const struct lapic *s)
{
	return s->timer.pending && enabled(s) &&
	       !(reg_get(s, LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED);
}

enum lapic_accept lapic_timer_inject(struct lapic *s, struct lapic_irq *out)
{
	if (!s->timer.pending)
		return LAPIC_DROPPED;
	s->timer.pending = false;
	return lapic_local_deliver(s, LAPIC_LVT_TIMER, out);
}

/* IA32_TSC_DEADLINE (10.5.4.1): 0 outside TSC-deadline mode, as KVM. */
u64 lapic_tscdeadline_read(const struct lapic *s)
{
	if (!hw_enabled(s) || s->timer.mode != LAPIC_TIMER_TSC_DEADLINE)
		return 0;
	return s->timer.tscdeadline;
}

/* Ignored outside TSC-deadline mode; 0 disarms. */
void lapic_tscdeadline_write(struct lapic *s, u64 value,
			     const struct lapic_now *now)
{
	if (!hw_enabled(s) || s->timer.mode != LAPIC_TIMER_TSC_DEADLINE)
		return;
	timer_disarm(s);
	s->timer.pending = false;
	s->timer.tscdeadline = value;
	tsc_deadline_arm(s, now);
}

/* ------------------------------------------------------------------
 * Register writes and reads
 */

static int write_lvt(struct lapic *s, u32 off, u32 val)
{
	int idx = lvt_index(s, off);

	if (idx < 0)
		return -EINVAL;
	/* 10.4.7.2: while software-disabled, mask bits cannot be cleared. */
	if (!lapic_sw_enabled(s))
		val |= LAPIC_LVT_MASKED;
	reg_set(s, off, val & lvt_writable(s, idx));
	if (idx == LVT_IDX_TIMER)
		update_timer_mode(s);
	return 0;
}

/* 10.4.7.2: software disable masks every LVT entry. */
static void write_svr(struct lapic *s, u32 val, struct lapic_fx *fx)
{
	u32 old = reg_get(s, LAPIC_SVR);
	unsigned int i;

	reg_set(s, LAPIC_SVR, val & svr_writable(s));
	if ((old ^ val) & LAPIC_SVR_ENABLE)
		fx->map_changed = true;
	if (val & LAPIC_SVR_ENABLE)
		return;
	for (i = 0; i < nr_lvt(s); i++)
		reg_set(s, lvt_offsets[i],
			reg_get(s, lvt_offsets[i]) | LAPIC_LVT_MASKED);
	s->timer.pending = false;
}

static void write_tmict(struct lapic *s, u32 val, const struct lapic_now *now)
{
	/* 10.5.4.1: TMICT writes are ignored in TSC-deadline mode. */
	if (s->timer.mode == LAPIC_TIMER_TSC_DEADLINE)
		return;
	reg_set(s, LAPIC_TMICT, val);
	timer_start(s, now, 0);
}

/*
 * 10.5.3: a write (only 0 in x2APIC mode) moves the errors seen since the
 * last write into ESR.
 */
static int write_esr(struct lapic *s, u32 val)
{
	if (is_x2apic(s) && val)
		return -EINVAL;
	reg_set(s, LAPIC_ESR, s->esr_latch);
	s->esr_latch = 0;
	return 0;
}

/* 10.12.11: SELF IPI, x2APIC only, vector in bits 7:0, rest reserved. */
static int write_self_ipi(struct lapic *s, u32 val, struct lapic_fx *fx)
{
	if (!is_x2apic(s) || (val & ~LAPIC_ICR_VECTOR))
		return -EINVAL;
	send_ipi(s, val | (LAPIC_SH_SELF << LAPIC_ICR_SH_SHIFT), fx);
	return 0;
}

/* xAPIC-only registers: ID, LDR, DFR, ICR, ICR2 (10.12.1.2). */
static int write_xapic_only(struct lapic *s, u32 off, u32 val,
			    struct lapic_fx *fx)
{
	if (is_x2apic(s))
		return -EINVAL;
	switch (off) {
	case LAPIC_ID:
		reg_set(s, LAPIC_ID, val & ID_XAPIC_MASK);
		fx->map_changed = true;
		break;
	case LAPIC_LDR:
		reg_set(s, LAPIC_LDR, val & ID_XAPIC_MASK);
		fx->map_changed = true;
		break;
	case LAPIC_DFR:
		reg_set(s, LAPIC_DFR, val | DFR_CLUSTER);
		fx->map_changed = true;
		break;
	case LAPIC_ICR2:
		reg_set(s, LAPIC_ICR2, val & ID_XAPIC_MASK);
		break;
	case LAPIC_ICR:
		/* Sent at once: delivery status stays 0 (10.6.1). */
		val &= ~LAPIC_ICR_BUSY;
		reg_set(s, LAPIC_ICR, val);
		send_ipi(s, (u64)reg_get(s, LAPIC_ICR2) << 32 | val, fx);
		break;
	}
	return 0;
}

/* One 32-bit register write: 0, or -EINVAL (#GP in x2APIC mode). */
static int reg_write(struct lapic *s, u32 off, u32 val,
		     const struct lapic_now *now, struct lapic_fx *fx)
{
	switch (off) {
	case LAPIC_ID:
	case LAPIC_LDR:
	case LAPIC_DFR:
	case LAPIC_ICR:
	case LAPIC_ICR2:
		return write_xapic_only(s, off, val, fx);
	case LAPIC_TPR:
		reg_set(s, LAPIC_TPR, val & 0xff);
		update_ppr(s);
		return 0;
	case LAPIC_EOI:
		/* Any value, even in x2APIC mode: KVM 6.1 does not check. */
		do_eoi(s, fx);
		return 0;
	case LAPIC_SVR:
		write_svr(s, val, fx);
		return 0;
	case LAPIC_ESR:
		return write_esr(s, val);
	case LAPIC_LVT_TIMER:
	case LAPIC_LVT_THERMAL:
	case LAPIC_LVT_PERF:
	case LAPIC_LVT_LINT0:
	case LAPIC_LVT_LINT1:
	case LAPIC_LVT_ERROR:
	case LAPIC_LVT_CMCI:
		return write_lvt(s, off, val);
	case LAPIC_TMICT:
		write_tmict(s, val, now);
		return 0;
	case LAPIC_TDCR:
		write_tdcr(s, val, now);
		return 0;
	case LAPIC_SELF_IPI:
		return write_self_ipi(s, val, fx);
	default:
		/* Read-only or reserved (LVR, APR, PPR, RRD, ISR, ...). */
		return -EINVAL;
	}
}

#define REG_BIT(off)		BIT_ULL((off) >> 4)
#define REG_BITS8(off)		(0xffULL << ((off) >> 4))

/* Registers a read may name; off is 16-byte aligned and < 0x400. */
static bool reg_readable(const struct lapic *s, u32 off)
{
	u64 ok = REG_BIT(LAPIC_ID) | REG_BIT(LAPIC_LVR) | REG_BIT(LAPIC_TPR) |
		 REG_BIT(LAPIC_PPR) | REG_BIT(LAPIC_LDR) | REG_BIT(LAPIC_SVR) |
		 REG_BITS8(LAPIC_ISR) | REG_BITS8(LAPIC_TMR) |
		 REG_BITS8(LAPIC_IRR) | REG_BIT(LAPIC_ESR) | REG_BIT(LAPIC_ICR) |
		 REG_BIT(LAPIC_LVT_TIMER) | REG_BIT(LAPIC_LVT_THERMAL) |
		 REG_BIT(LAPIC_LVT_PERF) | REG_BIT(LAPIC_LVT_LINT0) |
		 REG_BIT(LAPIC_LVT_LINT1) | REG_BIT(LAPIC_LVT_ERROR) |
		 REG_BIT(LAPIC_TMICT) | REG_BIT(LAPIC_TMCCT) |
		 REG_BIT(LAPIC_TDCR);

	if (s->cfg.cmci)
		ok |= REG_BIT(LAPIC_LVT_CMCI);
	/* 10.12.1.2: no APR, DFR or ICR2 in x2APIC mode. */
	if (!is_x2apic(s))
		ok |= REG_BIT(LAPIC_APR) | REG_BIT(LAPIC_DFR) |
		      REG_BIT(LAPIC_ICR2);
	return off < LAPIC_REG_SIZE && !(off & 0xf) && (ok & REG_BIT(off));
}

static u32 reg_read(const struct lapic *s, u32 off, const struct lapic_now *now)
{
	switch (off) {
	case LAPIC_APR:
		return 0;	/* arbitration is not modelled, KVM reads 0 */
	case LAPIC_TMCCT:
		return lapic_timer_current_count(s, now);
	default:
		return reg_get(s, off);
	}
}

/*
 * xAPIC MMIO read of 1, 2 or 4 bytes within one register (10.4.1 asks for
 * aligned 32-bit accesses; KVM also serves narrower ones inside the first
 * dword).  Anything else, and reserved or write-only registers, read 0.
 * Outside xAPIC mode the page is not decoded: reads return all ones, as
 * KVM with KVM_X86_QUIRK_LAPIC_MMIO_HOLE (the default).
 */
void lapic_mmio_read(struct lapic *s, u32 offset, void *data,
		     unsigned int len, const struct lapic_now *now)
{
	u32 align = offset & 0xf;
	u32 v;

	if (lapic_mode(s) != LAPIC_MODE_XAPIC) {
		memset(data, 0xff, len);
		return;
	}
	memset(data, 0, len);
	if (!(len == 1 || len == 2 || len == 4) || align + len > 4)
		return;
	if (!reg_readable(s, offset - align))
		return;
	v = reg_read(s, offset - align, now);
	memcpy(data, (u8 *)&v + align, len);
}

/*
 * xAPIC MMIO write: only aligned 32-bit writes count (10.4.1), as in KVM;
 * the rest, and writes to read-only or reserved registers, are dropped.
 */
void lapic_mmio_write(struct lapic *s, u32 offset, const void *data,
		      unsigned int len, const struct lapic_now *now,
		      struct lapic_fx *fx)
{
	u32 val;

	memset(fx, 0, sizeof(*fx));
	if (lapic_mode(s) != LAPIC_MODE_XAPIC || len != 4 || (offset & 0xf) ||
	    offset >= LAPIC_REG_SIZE)
		return;
	memcpy(&val, data, sizeof(val));
	reg_write(s, offset, val, now, fx);
}

static int msr_to_offset(const struct lapic *s, u32 msr, u32 *off)
{
	if (!is_x2apic(s) || msr < LAPIC_X2APIC_MSR_BASE ||
	    msr > LAPIC_X2APIC_MSR_LAST)
		return -EINVAL;
	*off = (msr - LAPIC_X2APIC_MSR_BASE) << 4;
	return 0;
}

/* x2APIC RDMSR (10.12.1.2): -EINVAL is #GP(0). */
int lapic_msr_read(struct lapic *s, u32 msr, u64 *data,
		   const struct lapic_now *now)
{
	u32 off;

	*data = 0;
	if (msr_to_offset(s, msr, &off))
		return -EINVAL;
	if (off == LAPIC_ICR) {
		*data = (u64)reg_get(s, LAPIC_ICR2) << 32 |
			reg_get(s, LAPIC_ICR);
		return 0;
	}
	if (!reg_readable(s, off))
		return -EINVAL;
	*data = reg_read(s, off, now);
	return 0;
}

/*
 * x2APIC ICR: one 64-bit register (10.12.9).  Reserved bits are #GP, as
 * in KVM; delivery status (bit 12) is reserved too but ignored, as Intel
 * CPUs do.  Kept split in ICR and ICR2 like the xAPIC layout, which is
 * also what KVM_GET_LAPIC shows.
 */
static int write_x2apic_icr(struct lapic *s, u64 data, struct lapic_fx *fx)
{
	if (data & X2APIC_ICR_RSVD)
		return -EINVAL;
	data &= ~(u64)LAPIC_ICR_BUSY;
	reg_set(s, LAPIC_ICR, data);
	reg_set(s, LAPIC_ICR2, data >> 32);
	send_ipi(s, data, fx);
	return 0;
}

/* x2APIC WRMSR: -EINVAL is #GP(0). */
int lapic_msr_write(struct lapic *s, u32 msr, u64 data,
		    const struct lapic_now *now, struct lapic_fx *fx)
{
	u32 off;

	memset(fx, 0, sizeof(*fx));
	if (msr_to_offset(s, msr, &off))
		return -EINVAL;
	if (off == LAPIC_ICR)
		return write_x2apic_icr(s, data, fx);
	/* Bits 63:32 of every other register are reserved. */
	if ((data >> 32) || off >= LAPIC_REG_SIZE)
		return -EINVAL;
	return reg_write(s, off, data, now, fx);
}

/* ------------------------------------------------------------------
 * Reset, IA32_APIC_BASE, KVM_GET/SET_LAPIC
 */

static void clear_vectors(struct lapic *s)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		reg_set(s, LAPIC_IRR + i * 0x10, 0);
		reg_set(s, LAPIC_ISR + i * 0x10, 0);
		reg_set(s, LAPIC_TMR + i * 0x10, 0);
	}
}

static void reset_timer(struct lapic *s)
{
	timer_disarm(s);
	s->timer.pending = false;
	s->timer.period_ns = 0;
	s->timer.tscdeadline = 0;
	s->timer.divide = divide_of(reg_get(s, LAPIC_TDCR));
	s->timer.mode = timer_mode_of(s);
}

/*
 * 10.4.7.1 (RESET) and 10.4.7.3 (INIT): every register to its power-up
 * value, except that INIT keeps IA32_APIC_BASE, the APIC ID and, in x2APIC
 * mode, the LDR.  RESET also sets the xAPIC ID from the vCPU id, as KVM.
 */
void lapic_reset(struct lapic *s, bool init_event)
{
	unsigned int i;

	if (!init_event) {
		s->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN |
			       (s->cfg.bsp ? LAPIC_BASE_BSP : 0);
		reg_set(s, LAPIC_ID, (s->cfg.vcpu_id & 0xff) << 24);
	}
	reg_set(s, LAPIC_LVR, lvr_value(s));
	for (i = 0; i < NR_LVT_MAX; i++)
		reg_set(s, lvt_offsets[i], i < nr_lvt(s) ? LAPIC_LVT_MASKED : 0);
	if (s->cfg.bsp && s->cfg.lint0_quirk)
		reg_set(s, LAPIC_LVT_LINT0, LAPIC_DM_EXTINT << 8);
	reg_set(s, LAPIC_DFR, DFR_FLAT);
	reg_set(s, LAPIC_SVR, 0xff);
	reg_set(s, LAPIC_TPR, 0);
	reg_set(s, LAPIC_APR, 0);
	if (!is_x2apic(s))
		reg_set(s, LAPIC_LDR, 0);
	reg_set(s, LAPIC_ESR, 0);
	s->esr_latch = 0;
	reg_set(s, LAPIC_ICR, 0);
	reg_set(s, LAPIC_ICR2, 0);
	reg_set(s, LAPIC_TDCR, 0);
	reg_set(s, LAPIC_TMICT, 0);
	reg_set(s, LAPIC_TMCCT, 0);
	clear_vectors(s);
	update_ppr(s);
	reset_timer(s);
}

void lapic_init(struct lapic *s, const struct lapic_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	lapic_reset(s, false);
}

/*
 * New configuration (CPUID, MCG_CAP, ...).  As KVM: a CMCI entry that
 * appears starts masked, LVR follows, and a suppress-EOI bit that can no
 * longer be set is cleared.
 */
void lapic_set_cfg(struct lapic *s, const struct lapic_cfg *cfg)
{
	bool had_cmci = s->cfg.cmci;

	s->cfg = *cfg;
	if (cfg->cmci && !had_cmci)
		reg_set(s, LAPIC_LVT_CMCI, LAPIC_LVT_MASKED);
	reg_set(s, LAPIC_LVR, lvr_value(s));
	reg_set(s, LAPIC_SVR, reg_get(s, LAPIC_SVR) & svr_writable(s));
}

static u64 apic_base_reserved(const struct lapic *s)
{
	u8 mpa = s->cfg.maxphyaddr;
	u64 rsvd = 0xffULL | BIT_ULL(9);

	if (mpa < 32 || mpa > 52)
		mpa = 52;
	rsvd |= ~0ULL << mpa;
	if (!s->cfg.x2apic)
		rsvd |= LAPIC_BASE_EXTD;
	return rsvd;
}

/*
 * IA32_APIC_BASE write (10.4.4, 10.12.5).  Reserved bits and EXTD without
 * EN are refused.  10.12.5.1: the guest may not go from x2APIC to xAPIC
 * mode, nor from disabled to x2APIC; the host may (state restore).
 * Entering xAPIC mode sets the xAPIC ID from the vCPU id; entering x2APIC
 * mode sets the x2APIC ID and the LDR derived from it (10.12.10.2).  No
 * other register changes, as in KVM.
 */
int lapic_set_base(struct lapic *s, u64 value, bool host_initiated,
		   struct lapic_fx *fx)
{
	enum lapic_mode old = lapic_mode(s), new = mode_of(value);

	memset(fx, 0, sizeof(*fx));
	if ((value & apic_base_reserved(s)) ||
	    (value & (LAPIC_BASE_EN | LAPIC_BASE_EXTD)) == LAPIC_BASE_EXTD)
		return -EINVAL;
	if (!host_initiated &&
	    ((old == LAPIC_MODE_X2APIC && new == LAPIC_MODE_XAPIC) ||
	     (old == LAPIC_MODE_DISABLED && new == LAPIC_MODE_X2APIC)))
		return -EINVAL;

	s->apic_base = value;
	if (old == new)
		return 0;
	fx->map_changed = true;
	if (new == LAPIC_MODE_XAPIC) {
		reg_set(s, LAPIC_ID, (s->cfg.vcpu_id & 0xff) << 24);
		/* Host-initiated x2APIC -> xAPIC: no x2APIC-format LDR left. */
		if (old == LAPIC_MODE_X2APIC)
			reg_set(s, LAPIC_LDR, 0);
	}
	if (new == LAPIC_MODE_X2APIC) {
		reg_set(s, LAPIC_ID, s->cfg.vcpu_id);
		reg_set(s, LAPIC_LDR, x2apic_ldr(s->cfg.vcpu_id));
	}
	return 0;
}

/*
 * KVM_GET_LAPIC: the page, with the current count in TMCCT.  In x2APIC
 * mode without KVM_CAP_X2APIC_API's format (@x2apic_format false), KVM
 * reports the ID in xAPIC position (bits 31:24).
 */
int lapic_get_state(struct lapic *s, void *page, const struct lapic_now *now,
		    bool x2apic_format)
{
	memcpy(page, s->regs, LAPIC_REG_SIZE);
	page_set(page, LAPIC_TMCCT, lapic_timer_current_count(s, now));
	if (is_x2apic(s) && !x2apic_format)
		page_set(page, LAPIC_ID, reg_get(s, LAPIC_ID) << 24);
	return 0;
}

/* Restart the timer from a restored page: TMCCT says what was left. */
static void restore_timer(struct lapic *s, u32 tmcct,
			  const struct lapic_now *now)
{
	bool was_tsc = s->timer.mode == LAPIC_TIMER_TSC_DEADLINE;

	timer_disarm(s);
	s->timer.pending = false;
	s->timer.divide = divide_of(reg_get(s, LAPIC_TDCR));
	s->timer.mode = timer_mode_of(s);
	s->timer.period_ns = 0;
	if (s->timer.mode == LAPIC_TIMER_TSC_DEADLINE) {
		/* Kept for the IA32_TSC_DEADLINE write that usually follows. */
		if (!was_tsc)
			s->timer.tscdeadline = 0;
		tsc_deadline_arm(s, now);
		return;
	}
	s->timer.tscdeadline = 0;
	/*
	 * A one-shot with TMCCT 0 has expired: leave it so.  (KVM 6.1 fires
	 * it once more at once.)  A periodic one with TMCCT 0 starts a full
	 * period.
	 */
	if (!tmcct && s->timer.mode != LAPIC_TIMER_PERIODIC)
		return;
	timer_start(s, now, (u64)tmcct * s->timer.divide);
}

/*
 * KVM_SET_LAPIC: take the page as it is, as KVM does, then fix up what the
 * model derives or owns:
 * - x2APIC mode: with @x2apic_format the ID must be the vCPU id (else
 *   -EINVAL, nothing changed); without it the ID is in bits 31:24 and
 *   becomes bits 7:0 (so, as in KVM, only 8 bits survive).  LDR is
 *   derived from that ID.
 * - LVR is the model's; SVR loses bits it cannot have; PPR is recomputed;
 *   TMCCT restarts the timer and reads 0 in the page (computed on read).
 */
int lapic_set_state(struct lapic *s, const void *page,
		    const struct lapic_now *now, bool x2apic_format,
		    struct lapic_fx *fx)
{
	u32 id = page_get(page, LAPIC_ID);
	u32 tmcct = page_get(page, LAPIC_TMCCT);

	memset(fx, 0, sizeof(*fx));
	if (is_x2apic(s)) {
		if (x2apic_format && id != s->cfg.vcpu_id)
			return -EINVAL;
		if (!x2apic_format)
			id >>= 24;
	}
	memcpy(s->regs, page, LAPIC_REG_SIZE);
	if (is_x2apic(s)) {
		reg_set(s, LAPIC_ID, id);
		reg_set(s, LAPIC_LDR, x2apic_ldr(id));
	}
	reg_set(s, LAPIC_LVR, lvr_value(s));
	reg_set(s, LAPIC_SVR, reg_get(s, LAPIC_SVR) & svr_writable(s));
	reg_set(s, LAPIC_TMCCT, 0);
	s->esr_latch = 0;
	update_ppr(s);
	restore_timer(s, tmcct, now);
	fx->map_changed = true;
	return 0;
}
