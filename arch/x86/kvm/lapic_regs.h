/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Local APIC register model: the xAPIC/x2APIC register file of one vCPU, its
 * interrupt bookkeeping (IRR/ISR/TMR, TPR/PPR, EOI), ICR decoding,
 * destination matching and the timer's arithmetic.
 *
 * Pure logic (see <kestrel/pure.h>): no locks, no clocks, no other vCPUs.
 * Time comes in as arguments (struct lapic_now); whatever must happen
 * outside this APIC comes out as results (struct lapic_fx, return values).
 * tools/testing/unit/lapic_test.c tests it in user space.
 *
 * References are to the Intel SDM vol. 3A, chapter 10 "Advanced
 * Programmable Interrupt Controller (APIC)" (chapter 11 in editions from
 * 2023 on; the section numbers are otherwise the same), and to what KVM 6.1
 * does, since Kestrel implements KVM's ABI (KVM_GET/SET_LAPIC).
 *
 * What the glue (the in-kernel irqchip) does around this model
 * ------------------------------------------------------------
 *
 * - Locking: every function here mutates struct lapic without locking;
 *   the glue serializes calls on one APIC (one lock per vCPU APIC, taken
 *   by the vCPU thread and by senders of IPIs/MSIs/IOAPIC messages).
 *
 * - Creation: lapic_init() once with the configuration, then
 *   lapic_reset(false) at vCPU RESET and lapic_reset(true) at INIT.
 *   Change struct lapic_cfg only through lapic_set_cfg() (CPUID, MCG_CAP
 *   or irqchip mode changed), which keeps LVR and the LVTs consistent.
 *   KVM_CAP_X2APIC_API's two flags are VM-wide and passed per call:
 *   KVM_X2APIC_API_USE_32BIT_IDS is @x2apic_format of lapic_get_state()
 *   and lapic_set_state(); KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK clear
 *   is @x2apic_broadcast_quirk of lapic_match_dest().
 *
 * - IA32_APIC_BASE: lapic_set_base() checks and applies (error -> #GP for a
 *   guest WRMSR, -EINVAL for KVM_SET_MSRS and KVM_SET_SREGS, which are
 *   host-initiated).  The xAPIC MMIO page exists at
 *   lapic_mmio_base() only while lapic_mode() == LAPIC_MODE_XAPIC; the
 *   x2APIC MSRs 0x800-0x8ff only in LAPIC_MODE_X2APIC (lapic_msr_read()
 *   and lapic_msr_write() check it themselves).
 *
 * - xAPIC MMIO: lapic_mmio_read()/lapic_mmio_write() with the offset in
 *   the 4 KiB page.  x2APIC: lapic_msr_read()/lapic_msr_write(); a
 *   non-zero return is #GP(0).  KVM_GET/SET_LAPIC: lapic_get_state() and
 *   lapic_set_state() on the 1 KiB page of struct kvm_lapic_state.
 *
 * - Effects (struct lapic_fx, cleared by each call that takes one):
 *   fx->ipi: the guest wrote ICR (or SELF_IPI); route fx->icr to every
 *   APIC t for which lapic_match_dest(t, this, ...) holds and call
 *   lapic_accept_irq() on it (lowest priority: pick one, see
 *   lapic_match_dest()).  fx->eoi: an EOI retired fx->eoi_vector; if
 *   fx->eoi_broadcast, tell the IOAPIC (level-triggered vector, broadcast
 *   not suppressed).  fx->map_changed: ID, LDR, DFR, SVR enable or mode
 *   changed, so any cached routing table is stale.
 *
 * - Injection: after any call here (and after lapic_accept_irq() from
 *   another thread, which must kick this vCPU when it returns
 *   LAPIC_ACCEPTED), before entering the guest: lapic_timer_inject()
 *   (nothing unless an expiry is pending; a masked one is dropped), then
 *   lapic_pending_vector() >= 0 means "interrupt window wanted"; once the
 *   guest can take it, lapic_ack() moves it IRR -> ISR and returns the
 *   vector to inject.  NMI/SMI/INIT/SIPI/ExtINT results of
 *   lapic_accept_irq() and lapic_local_deliver() are the glue's to act on.
 *   lapic_pending_vector() >= 0 or lapic_timer_pending() also wakes HLT.
 *
 * - Timer: the glue owns one hrtimer per APIC.  struct lapic_timer says
 *   what it should be: if timer.armed, expiring at timer.expire_ns
 *   (absolute, the clock of lapic_now.ns), otherwise cancelled.  Whenever
 *   timer.seq differs from the value it last saw, the glue reprograms the
 *   hrtimer.  When the hrtimer fires, the glue calls lapic_timer_expired()
 *   (which only records the expiry and sets up the next period; cheap
 *   enough for the hrtimer callback under an irq-safe lock) and kicks the
 *   vCPU, which later calls lapic_timer_inject().  lapic_timer_expired()
 *   returns false if the expiry is not due yet at @now (stale or early
 *   hrtimer): then just reprogram from timer.seq/expire_ns.  For
 *   TSC-deadline mode the glue passes the guest TSC and its rate in
 *   struct lapic_now; the model converts the deadline to expire_ns.
 *
 * - CR8: lapic_set_cr8()/lapic_get_cr8() (CR8 = TPR[7:4]).
 *
 * Everything is bounded on any register page contents: register offsets
 * are masked into the page, vectors are u8, nothing indexes with a value
 * read from the page.
 */
#ifndef KESTREL_LAPIC_REGS_H
#define KESTREL_LAPIC_REGS_H

#include <kestrel/pure.h>

/* The register page of struct kvm_lapic_state (KVM_APIC_REG_SIZE). */
#define LAPIC_REG_SIZE		0x400
/* The xAPIC MMIO window (SDM 10.4.1). */
#define LAPIC_MMIO_SIZE		0x1000

/* Register offsets in the xAPIC page (SDM 10.4.1, table 10-1). */
#define LAPIC_ID		0x020
#define LAPIC_LVR		0x030
#define LAPIC_TPR		0x080
#define LAPIC_APR		0x090
#define LAPIC_PPR		0x0a0
#define LAPIC_EOI		0x0b0
#define LAPIC_RRD		0x0c0
#define LAPIC_LDR		0x0d0
#define LAPIC_DFR		0x0e0
#define LAPIC_SVR		0x0f0
#define LAPIC_ISR		0x100	/* 8 registers, 0x10 apart */
#define LAPIC_TMR		0x180
#define LAPIC_IRR		0x200
#define LAPIC_ESR		0x280
#define LAPIC_LVT_CMCI		0x2f0
#define LAPIC_ICR		0x300
#define LAPIC_ICR2		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_THERMAL	0x330
#define LAPIC_LVT_PERF		0x340
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TMICT		0x380
#define LAPIC_TMCCT		0x390
#define LAPIC_TDCR		0x3e0
#define LAPIC_SELF_IPI		0x3f0	/* x2APIC only */

/* x2APIC MSRs: 0x800 + (xAPIC offset >> 4) (SDM 10.12.1.2). */
#define LAPIC_X2APIC_MSR_BASE	0x800
#define LAPIC_X2APIC_MSR_LAST	0x8ff
#define LAPIC_X2APIC_MSR(off)	(LAPIC_X2APIC_MSR_BASE + ((off) >> 4))

/* IA32_APIC_BASE (SDM 10.4.4, 10.12.1). */
#define LAPIC_BASE_BSP		BIT_ULL(8)
#define LAPIC_BASE_EXTD		BIT_ULL(10)	/* x2APIC enable */
#define LAPIC_BASE_EN		BIT_ULL(11)
#define LAPIC_BASE_ADDR_MASK	(~0xfffULL)
#define LAPIC_DEFAULT_BASE	0xfee00000ULL

/* Version register: what KVM 6.1 reports (SDM 10.4.8). */
#define LAPIC_VERSION		0x14
#define LAPIC_LVR_DIRECTED_EOI	BIT(24)

/* SVR (SDM 10.9). */
#define LAPIC_SVR_ENABLE	BIT(8)
#define LAPIC_SVR_FOCUS_OFF	BIT(9)
#define LAPIC_SVR_EOI_SUPPRESS	BIT(12)

/* ESR bits (SDM 10.5.3). */
#define LAPIC_ESR_SEND_ILLEGAL	BIT(5)
#define LAPIC_ESR_RECV_ILLEGAL	BIT(6)

/* LVT fields (SDM 10.5.1, figure 10-8). */
#define LAPIC_LVT_VECTOR	0xffU
#define LAPIC_LVT_DM_MASK	0x700U
#define LAPIC_LVT_PENDING	BIT(12)
#define LAPIC_LVT_POLARITY	BIT(13)
#define LAPIC_LVT_REMOTE_IRR	BIT(14)
#define LAPIC_LVT_LEVEL		BIT(15)
#define LAPIC_LVT_MASKED	BIT(16)
#define LAPIC_LVT_TIMER_MODE	(3U << 17)
#define LAPIC_TIMER_ONESHOT	0
#define LAPIC_TIMER_PERIODIC	1
#define LAPIC_TIMER_TSC_DEADLINE 2

/* ICR fields (SDM 10.6.1, figure 10-12). */
#define LAPIC_ICR_VECTOR	0xffU
#define LAPIC_ICR_DM_MASK	0x700U
#define LAPIC_ICR_LOGICAL	BIT(11)
#define LAPIC_ICR_BUSY		BIT(12)
#define LAPIC_ICR_ASSERT	BIT(14)
#define LAPIC_ICR_LEVEL		BIT(15)
#define LAPIC_ICR_SH_SHIFT	18
#define LAPIC_ICR_SH_MASK	(3U << LAPIC_ICR_SH_SHIFT)

/* Delivery modes (ICR and LVT bits 10:8, as a number 0-7). */
#define LAPIC_DM_FIXED		0
#define LAPIC_DM_LOWEST		1
#define LAPIC_DM_SMI		2
#define LAPIC_DM_REMRD		3	/* reserved; KVM's PV "kick" */
#define LAPIC_DM_NMI		4
#define LAPIC_DM_INIT		5
#define LAPIC_DM_STARTUP	6
#define LAPIC_DM_EXTINT		7

/* Destination shorthands (ICR bits 19:18). */
#define LAPIC_SH_NONE		0
#define LAPIC_SH_SELF		1
#define LAPIC_SH_ALL		2
#define LAPIC_SH_ALL_BUT_SELF	3

/* Physical broadcast destinations (SDM 10.6.2.1, 10.12.9). */
#define LAPIC_XAPIC_BROADCAST	0xffU
#define LAPIC_X2APIC_BROADCAST	0xffffffffU

enum lapic_mode {
	LAPIC_MODE_DISABLED,
	LAPIC_MODE_XAPIC,
	LAPIC_MODE_X2APIC,
};

/* What the glue tells the model about the vCPU and the VM. */
struct lapic_cfg {
	u32 vcpu_id;		/* the APIC ID KVM gives the vCPU */
	bool bsp;		/* IA32_APIC_BASE.BSP at RESET */
	bool x2apic;		/* guest CPUID.1:ECX[21] */
	bool tsc_deadline;	/* guest CPUID.1:ECX[24]: LVT timer mode 2 */
	bool cmci;		/* MCG_CAP.MCG_CMCI_P: 7 LVT entries, not 6 */
	/*
	 * Advertise "suppress EOI broadcast" (LVR bit 24, SVR bit 12).  KVM
	 * 6.1 does only with the x2APIC CPUID bit and no in-kernel IOAPIC
	 * (split irqchip): its IOAPIC has no EOI register to replace it.
	 */
	bool directed_eoi;
	/*
	 * KVM_X86_QUIRK_LINT0_REENABLED (on by default in KVM): RESET leaves
	 * the BSP's LINT0 unmasked in ExtINT mode, so a PIC works at once.
	 */
	bool lint0_quirk;
	u8 maxphyaddr;		/* guest MAXPHYADDR: IA32_APIC_BASE reserved bits */
	/*
	 * Shortest periodic timer period (KVM: module parameter
	 * min_timer_period_us, 200 us by default), so that a guest cannot
	 * make the host's hrtimer fire continuously.  0: no floor.
	 */
	u64 min_period_ns;
};

/* The clock at the time of a call. */
struct lapic_now {
	u64 ns;			/* host monotonic ns: timer.expire_ns's clock */
	u64 tsc;		/* the guest's TSC at that instant */
	u32 tsc_khz;		/* the guest's TSC rate; 0: TSC deadline never fires */
};

struct lapic_timer {
	u8 mode;		/* LAPIC_TIMER_*, or 3 (reserved: never counts) */
	u8 divide;		/* 1..128, from TDCR */
	bool armed;		/* the glue's hrtimer must be set at expire_ns */
	bool pending;		/* expired, interrupt not yet delivered */
	u32 seq;		/* changes whenever armed or expire_ns changes */
	u64 period_ns;		/* one-shot/periodic: TMICT * divide (floored) */
	u64 expire_ns;		/* absolute, valid while armed, <= LAPIC_EXPIRE_MAX */
	u64 tscdeadline;	/* IA32_TSC_DEADLINE, TSC-deadline mode */
};

struct lapic {
	/* The register page: each 32-bit register at its xAPIC offset. */
	u32 regs[LAPIC_REG_SIZE / 4];
	u64 apic_base;		/* IA32_APIC_BASE */
	u32 esr_latch;		/* errors seen since ESR was last written */
	struct lapic_cfg cfg;
	struct lapic_timer timer;
};

/* An interrupt message to one APIC (fixed, NMI, INIT, ...). */
struct lapic_irq {
	u8 vector;
	u8 delivery_mode;	/* LAPIC_DM_* */
	bool level;		/* asserted (level); true for edge messages */
	bool trig_level;	/* level-triggered: sets TMR, EOI goes to IOAPIC */
};

/* A decoded ICR: who to send to, and what. */
struct lapic_icr {
	struct lapic_irq irq;
	u32 dest;		/* xAPIC: ICR[63:56]; x2APIC: ICR[63:32] */
	bool logical;		/* destination mode */
	u8 shorthand;		/* LAPIC_SH_* */
};

/* Side effects of a call, for the glue (see the top of this file). */
struct lapic_fx {
	bool ipi;
	bool eoi;
	bool eoi_level;		/* the EOI'd vector had its TMR bit set */
	bool eoi_broadcast;	/* ... and SVR does not suppress the broadcast */
	bool map_changed;
	u8 eoi_vector;
	struct lapic_icr icr;
};

/* lapic_accept_irq() and lapic_local_deliver() results. */
enum lapic_accept {
	LAPIC_DROPPED,		/* nothing to do (masked, disabled, illegal) */
	LAPIC_ACCEPTED,		/* IRR bit set: kick the vCPU */
	LAPIC_NMI,		/* inject an NMI */
	LAPIC_SMI,		/* enter SMM */
	LAPIC_INIT,		/* INIT: lapic_reset(true) and wait for SIPI */
	LAPIC_SIPI,		/* start-up, at vector << 12 */
	LAPIC_EXTINT,		/* take the vector from the PIC */
	LAPIC_REMRD,		/* reserved mode 3: KVM uses it as a PV kick */
};

/* Life cycle, configuration, IA32_APIC_BASE. */
void lapic_init(struct lapic *s, const struct lapic_cfg *cfg);
void lapic_set_cfg(struct lapic *s, const struct lapic_cfg *cfg);
void lapic_reset(struct lapic *s, bool init_event);
enum lapic_mode lapic_mode(const struct lapic *s);
u64 lapic_mmio_base(const struct lapic *s);
int lapic_set_base(struct lapic *s, u64 value, bool host_initiated,
		   struct lapic_fx *fx);
u32 lapic_x2apic_id(const struct lapic *s);
u8 lapic_xapic_id(const struct lapic *s);
bool lapic_sw_enabled(const struct lapic *s);

/* The latest expiry the model asks for: KTIME_MAX, as a u64. */
#define LAPIC_EXPIRE_MAX	(~0ULL >> 1)

/* Register access. */
void lapic_mmio_read(struct lapic *s, u32 offset, void *data,
		     unsigned int len, const struct lapic_now *now);
void lapic_mmio_write(struct lapic *s, u32 offset, const void *data,
		      unsigned int len, const struct lapic_now *now,
		      struct lapic_fx *fx);
int lapic_msr_read(struct lapic *s, u32 msr, u64 *data,
		   const struct lapic_now *now);
int lapic_msr_write(struct lapic *s, u32 msr, u64 data,
		    const struct lapic_now *now, struct lapic_fx *fx);
int lapic_get_state(struct lapic *s, void *page, const struct lapic_now *now,
		    bool x2apic_format);
int lapic_set_state(struct lapic *s, const void *page,
		    const struct lapic_now *now, bool x2apic_format,
		    struct lapic_fx *fx);
void lapic_set_cr8(struct lapic *s, u64 cr8);
u64 lapic_get_cr8(const struct lapic *s);
void lapic_set_tpr(struct lapic *s, u8 tpr);
u32 lapic_vapic_data(const struct lapic *s);

/* Interrupts. */
enum lapic_accept lapic_accept_irq(struct lapic *s, const struct lapic_irq *irq);
int lapic_pending_vector(const struct lapic *s);
/* The highest vector in IRR, whatever PPR says, or -1. */
int lapic_highest_irr(const struct lapic *s);
int lapic_ack(struct lapic *s);
void lapic_eoi(struct lapic *s, struct lapic_fx *fx);
u8 lapic_ppr(const struct lapic *s);
void lapic_decode_icr(u64 icr, bool x2apic, struct lapic_icr *out);
bool lapic_match_dest(const struct lapic *target, const struct lapic *source,
		      u32 dest, bool logical, u8 shorthand,
		      bool x2apic_broadcast_quirk);
enum lapic_accept lapic_local_deliver(struct lapic *s, u32 lvt_offset,
				      struct lapic_irq *out);
bool lapic_accepts_pic_intr(const struct lapic *s);
bool lapic_lint0_nmi(const struct lapic *s);

/* Timer. */
bool lapic_timer_expired(struct lapic *s, const struct lapic_now *now);
bool lapic_timer_pending(const struct lapic *s);
enum lapic_accept lapic_timer_inject(struct lapic *s, struct lapic_irq *out);
u32 lapic_timer_current_count(const struct lapic *s,
			      const struct lapic_now *now);
u64 lapic_tscdeadline_read(const struct lapic *s);
void lapic_tscdeadline_write(struct lapic *s, u64 value,
			     const struct lapic_now *now);
u64 lapic_tsc_to_ns(u64 cycles, u32 tsc_khz);

#endif /* KESTREL_LAPIC_REGS_H */
