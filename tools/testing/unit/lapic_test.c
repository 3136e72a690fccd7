// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the local APIC register model (arch/x86/kvm/lapic_regs.c),
 * built from the module's own source.  Expected values come from the Intel
 * SDM vol. 3A chapter 10 and from what KVM 6.1 does (see lapic_regs.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "lapic_regs.h"

#define NOW0	1000000ULL

static struct lapic_now at(u64 ns)
{
	/* A 1 GHz guest TSC that reads 5e6 more than the host clock. */
	struct lapic_now n = { .ns = ns, .tsc = ns + 5000000, .tsc_khz = 1000000 };

	return n;
}

static const struct lapic_cfg cfg_default = {
	.vcpu_id = 3, .x2apic = true, .tsc_deadline = true, .maxphyaddr = 48,
};

static void setup(struct lapic *s, u32 id)
{
	struct lapic_cfg c = cfg_default;

	c.vcpu_id = id;
	lapic_init(s, &c);
}

static u32 R(const struct lapic *s, u32 off)
{
	return s->regs[off / 4];
}

static u32 rd(struct lapic *s, u32 off)
{
	struct lapic_now n = at(NOW0);
	u32 v;

	lapic_mmio_read(s, off, &v, 4, &n);
	return v;
}

static struct lapic_fx wr_at(struct lapic *s, u32 off, u32 val, u64 ns)
{
	struct lapic_now n = at(ns);
	struct lapic_fx fx;

	lapic_mmio_write(s, off, &val, 4, &n, &fx);
	return fx;
}

static struct lapic_fx wr(struct lapic *s, u32 off, u32 val)
{
	return wr_at(s, off, val, NOW0);
}

static int msr_rd(struct lapic *s, u32 msr, u64 *v)
{
	struct lapic_now n = at(NOW0);

	return lapic_msr_read(s, msr, v, &n);
}

static int msr_wr(struct lapic *s, u32 msr, u64 v, struct lapic_fx *fx)
{
	struct lapic_now n = at(NOW0);
	struct lapic_fx dummy;

	return lapic_msr_write(s, msr, v, &n, fx ? fx : &dummy);
}

/* A vCPU with its APIC software-enabled, as every OS does first. */
static void setup_on(struct lapic *s, u32 id)
{
	setup(s, id);
	wr(s, LAPIC_SVR, 0x1ff);
}

static void to_x2apic(struct lapic *s)
{
	struct lapic_fx fx;

	lapic_set_base(s, s->apic_base | LAPIC_BASE_EXTD, false, &fx);
}

static enum lapic_accept fixed(struct lapic *s, u8 vec, bool level)
{
	struct lapic_irq irq = { .vector = vec, .level = true,
				 .trig_level = level };

	return lapic_accept_irq(s, &irq);
}

static bool irr(const struct lapic *s, u8 v)
{
	return R(s, LAPIC_IRR + v / 32 * 0x10) & (1U << (v % 32));
}

static bool tmr(const struct lapic *s, u8 v)
{
	return R(s, LAPIC_TMR + v / 32 * 0x10) & (1U << (v % 32));
}

static bool isr(const struct lapic *s, u8 v)
{
	return R(s, LAPIC_ISR + v / 32 * 0x10) & (1U << (v % 32));
}

/* ---------------------------------------------------------------------
 * Reset, version, IA32_APIC_BASE
 */

TEST(reset_values)
{
	struct lapic s;
	unsigned int off;

	setup(&s, 5);
	EXPECT_EQ(0xfee00800ULL, s.apic_base);
	EXPECT_EQ(LAPIC_MODE_XAPIC, (int)lapic_mode(&s));
	EXPECT_EQ(0xfee00000ULL, lapic_mmio_base(&s));
	EXPECT_EQ(0x05000000U, R(&s, LAPIC_ID));
	EXPECT_EQ(0x00050014U, R(&s, LAPIC_LVR));	/* 6 LVTs */
	for (off = LAPIC_LVT_TIMER; off <= LAPIC_LVT_ERROR; off += 0x10)
		EXPECT_EQ(0x10000U, R(&s, off));
	EXPECT_EQ(0U, R(&s, LAPIC_LVT_CMCI));
	EXPECT_EQ(0xffffffffU, R(&s, LAPIC_DFR));
	EXPECT_EQ(0xffU, R(&s, LAPIC_SVR));
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	EXPECT_EQ(0U, R(&s, LAPIC_PPR));
	EXPECT_EQ(0U, R(&s, LAPIC_LDR));
	EXPECT_EQ(0U, R(&s, LAPIC_TMICT));
	EXPECT_EQ(2, s.timer.divide);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_FALSE(lapic_sw_enabled(&s));
}

TEST(reset_bsp_cmci_lint0_quirk)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;

	c.vcpu_id = 0;
	c.bsp = true;
	c.cmci = true;
	c.lint0_quirk = true;
	lapic_init(&s, &c);
	EXPECT_EQ(0xfee00900ULL, s.apic_base);
	EXPECT_EQ(0x00060014U, R(&s, LAPIC_LVR));	/* 7 LVTs */
	EXPECT_EQ(0x10000U, R(&s, LAPIC_LVT_CMCI));
	EXPECT_EQ(0x700U, R(&s, LAPIC_LVT_LINT0));	/* ExtINT, unmasked */
	EXPECT_TRUE(lapic_accepts_pic_intr(&s));
}

TEST(reset_id_truncated_to_8_bits)
{
	struct lapic s;

	setup(&s, 0x1234);
	EXPECT_EQ(0x34000000U, R(&s, LAPIC_ID));
	EXPECT_EQ(0x1234U, lapic_x2apic_id(&s));
}

TEST(init_keeps_id_and_base)
{
	struct lapic s;
	struct lapic_fx fx;

	setup_on(&s, 1);
	wr(&s, LAPIC_ID, 0x07000000);
	ASSERT_EQ(0, lapic_set_base(&s, 0xfec00800ULL, false, &fx));
	fixed(&s, 0x40, false);
	wr(&s, LAPIC_TPR, 0x20);
	lapic_reset(&s, true);
	EXPECT_EQ(0x07000000U, R(&s, LAPIC_ID));
	EXPECT_EQ(0xfec00800ULL, s.apic_base);
	EXPECT_FALSE(irr(&s, 0x40));
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	EXPECT_EQ(0xffU, R(&s, LAPIC_SVR));
	EXPECT_EQ(0x10000U, R(&s, LAPIC_LVT_LINT0));
}

TEST(init_in_x2apic_keeps_ldr)
{
	struct lapic s;

	setup_on(&s, 0x23);
	to_x2apic(&s);
	lapic_reset(&s, true);
	EXPECT_EQ(LAPIC_MODE_X2APIC, (int)lapic_mode(&s));
	EXPECT_EQ(0x23U, R(&s, LAPIC_ID));
	EXPECT_EQ(0x00020008U, R(&s, LAPIC_LDR));
	/* RESET goes back to xAPIC with the xAPIC ID. */
	lapic_reset(&s, false);
	EXPECT_EQ(LAPIC_MODE_XAPIC, (int)lapic_mode(&s));
	EXPECT_EQ(0x23000000U, R(&s, LAPIC_ID));
	EXPECT_EQ(0U, R(&s, LAPIC_LDR));
}

TEST(directed_eoi_only_when_advertised)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;

	setup(&s, 0);
	wr(&s, LAPIC_SVR, 0x13ff);
	EXPECT_EQ(0x3ffU, R(&s, LAPIC_SVR));
	c.directed_eoi = true;
	lapic_init(&s, &c);
	EXPECT_EQ(0x01050014U, R(&s, LAPIC_LVR));
	wr(&s, LAPIC_SVR, 0xffffffff);
	EXPECT_EQ(0x13ffU, R(&s, LAPIC_SVR));
	/* Taking the feature away drops the bit. */
	c.directed_eoi = false;
	lapic_set_cfg(&s, &c);
	EXPECT_EQ(0x3ffU, R(&s, LAPIC_SVR));
	EXPECT_EQ(0x00050014U, R(&s, LAPIC_LVR));
}

TEST(set_cfg_adds_cmci_masked)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;

	lapic_init(&s, &c);
	c.cmci = true;
	lapic_set_cfg(&s, &c);
	EXPECT_EQ(0x10000U, R(&s, LAPIC_LVT_CMCI));
	EXPECT_EQ(0x00060014U, R(&s, LAPIC_LVR));
}

struct base_case {
	u64 from, to;
	bool host;
	int ret;
};

#define DIS	0xfee00000ULL
#define XA	0xfee00800ULL
#define X2	0xfee00c00ULL

static const struct base_case base_cases[] = {
	{ XA, X2, false, 0 },
	{ XA, DIS, false, 0 },
	{ X2, DIS, false, 0 },
	{ DIS, XA, false, 0 },
	{ X2, XA, false, -EINVAL },	/* 10.12.5.1 */
	{ DIS, X2, false, -EINVAL },
	{ X2, XA, true, 0 },		/* state restore may */
	{ DIS, X2, true, 0 },
	{ XA, XA | 0x100, false, 0 },	/* BSP flag */
	{ XA, 0x12345800ULL, false, 0 },	/* relocate */
};

TEST(apic_base_transitions)
{
	struct lapic s;
	struct lapic_fx fx;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(base_cases); i++) {
		const struct base_case *c = &base_cases[i];

		setup(&s, 2);
		ASSERT_EQ(0, lapic_set_base(&s, c->from, true, &fx));
		EXPECT_EQ(c->ret, lapic_set_base(&s, c->to, c->host, &fx))
			TH_LOG("case %u", i);
		EXPECT_EQ(c->ret ? c->from : c->to, s.apic_base)
			TH_LOG("case %u", i);
	}
}

TEST(apic_base_reserved_bits)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;
	struct lapic_fx fx;
	unsigned int b;

	lapic_init(&s, &c);
	for (b = 0; b < 8; b++)
		EXPECT_EQ(-EINVAL, lapic_set_base(&s, XA | 1ULL << b, false, &fx));
	EXPECT_EQ(-EINVAL, lapic_set_base(&s, XA | 1ULL << 9, false, &fx));
	EXPECT_EQ(-EINVAL, lapic_set_base(&s, XA | 1ULL << 48, false, &fx));
	EXPECT_EQ(0, lapic_set_base(&s, XA | 1ULL << 47, false, &fx));
	EXPECT_EQ(-EINVAL, lapic_set_base(&s, DIS | LAPIC_BASE_EXTD, true, &fx));
	c.x2apic = false;
	lapic_init(&s, &c);
	EXPECT_EQ(-EINVAL, lapic_set_base(&s, X2, false, &fx));
	EXPECT_EQ(-EINVAL, lapic_set_base(&s, X2, true, &fx));
	EXPECT_EQ(XA, s.apic_base);
}

TEST(apic_base_mode_entry_sets_ids)
{
	struct lapic s;
	struct lapic_fx fx;

	setup(&s, 0x123);
	wr(&s, LAPIC_ID, 0x77000000);
	ASSERT_EQ(0, lapic_set_base(&s, X2, false, &fx));
	EXPECT_TRUE(fx.map_changed);
	EXPECT_EQ(0x123U, R(&s, LAPIC_ID));
	/* 10.12.10.2: cluster 0x12, member bit 3. */
	EXPECT_EQ(0x00120008U, R(&s, LAPIC_LDR));
	ASSERT_EQ(0, lapic_set_base(&s, DIS, false, &fx));
	EXPECT_TRUE(fx.map_changed);
	ASSERT_EQ(0, lapic_set_base(&s, XA, false, &fx));
	EXPECT_EQ(0x23000000U, R(&s, LAPIC_ID));
	ASSERT_EQ(0, lapic_set_base(&s, XA, false, &fx));
	EXPECT_FALSE(fx.map_changed);
	/* Host-initiated x2APIC -> xAPIC leaves an xAPIC-format ID and LDR. */
	ASSERT_EQ(0, lapic_set_base(&s, X2, false, &fx));
	ASSERT_EQ(0, lapic_set_base(&s, XA, true, &fx));
	EXPECT_EQ(0x23000000U, R(&s, LAPIC_ID));
	EXPECT_EQ(0U, R(&s, LAPIC_LDR));
}

/* ---------------------------------------------------------------------
 * xAPIC MMIO
 */

TEST(mmio_narrow_and_unaligned_reads)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	u8 b[4];
	u16 w;
	u32 v;

	setup(&s, 0x12);
	wr(&s, LAPIC_ID, 0xab000000);
	memset(b, 0x55, sizeof(b));
	lapic_mmio_read(&s, LAPIC_ID + 3, b, 1, &n);
	EXPECT_EQ(0xab, b[0]);
	lapic_mmio_read(&s, LAPIC_ID + 2, &w, 2, &n);
	EXPECT_EQ(0xab00, w);
	lapic_mmio_read(&s, LAPIC_LVR + 1, &w, 2, &n);
	EXPECT_EQ(0x0500, w);
	/* Crossing the dword, beyond it, or 3 bytes: zeros. */
	v = 0x55555555;
	lapic_mmio_read(&s, LAPIC_ID + 2, &v, 4, &n);
	EXPECT_EQ(0U, v);
	lapic_mmio_read(&s, LAPIC_ID + 4, &w, 2, &n);
	EXPECT_EQ(0, w);
	v = 0x55555555;
	lapic_mmio_read(&s, LAPIC_ID, &v, 3, &n);
	EXPECT_EQ(0x55000000U, v);	/* and nothing beyond len */
}

TEST(mmio_reserved_and_write_only_read_zero)
{
	static const u32 offs[] = {
		0x000, 0x010, 0x040, 0x070, LAPIC_EOI, LAPIC_RRD, 0x290,
		LAPIC_LVT_CMCI, 0x3a0, 0x3d0, LAPIC_SELF_IPI, 0x400, 0x800,
		0xff0,
	};
	struct lapic s;
	unsigned int i;

	setup(&s, 1);
	memset(s.regs, 0xa5, sizeof(s.regs));	/* would show through */
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		EXPECT_EQ(0U, rd(&s, offs[i])) TH_LOG("offset %#x", offs[i]);
	EXPECT_EQ(0U, rd(&s, LAPIC_APR));	/* valid, reads 0 */
	EXPECT_EQ(0xa5a5a5a5U, rd(&s, LAPIC_DFR));
	EXPECT_EQ(0xa5a5a5a5U, rd(&s, LAPIC_ICR2));
}

TEST(mmio_outside_xapic_mode_is_a_hole)
{
	struct lapic s;
	struct lapic_fx fx;

	setup(&s, 1);
	ASSERT_EQ(0, lapic_set_base(&s, DIS, false, &fx));
	EXPECT_EQ(0xffffffffU, rd(&s, LAPIC_LVR));
	wr(&s, LAPIC_TPR, 0x40);
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	ASSERT_EQ(0, lapic_set_base(&s, XA, false, &fx));
	to_x2apic(&s);
	EXPECT_EQ(0xffffffffU, rd(&s, LAPIC_ID));
	wr(&s, LAPIC_TPR, 0x40);
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
}

TEST(mmio_writes_need_aligned_dwords)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u16 w = 0x40;
	u32 v = 0x40;

	setup(&s, 1);
	lapic_mmio_write(&s, LAPIC_TPR, &w, 2, &n, &fx);
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	lapic_mmio_write(&s, LAPIC_TPR + 4, &v, 4, &n, &fx);
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	lapic_mmio_write(&s, LAPIC_TPR, &v, 4, &n, &fx);
	EXPECT_EQ(0x40U, R(&s, LAPIC_TPR));
	/* Beyond the register page, read-only registers: nothing changes. */
	wr(&s, 0x800, 1);
	wr(&s, LAPIC_LVR, 0);
	wr(&s, LAPIC_PPR, 0xff);
	wr(&s, LAPIC_IRR + 0x10, 0xffffffff);
	wr(&s, LAPIC_TMCCT, 5);
	EXPECT_EQ(0x00050014U, R(&s, LAPIC_LVR));
	EXPECT_EQ(0x40U, R(&s, LAPIC_PPR));
	EXPECT_EQ(0U, R(&s, LAPIC_IRR + 0x10));
}

TEST(id_ldr_dfr_masks)
{
	struct lapic s;
	struct lapic_fx fx;

	setup(&s, 1);
	fx = wr(&s, LAPIC_ID, 0x12345678);
	EXPECT_TRUE(fx.map_changed);
	EXPECT_EQ(0x12000000U, rd(&s, LAPIC_ID));
	EXPECT_EQ(0x12, lapic_xapic_id(&s));
	wr(&s, LAPIC_LDR, 0x87654321);
	EXPECT_EQ(0x87000000U, rd(&s, LAPIC_LDR));
	wr(&s, LAPIC_DFR, 0);
	EXPECT_EQ(0x0fffffffU, rd(&s, LAPIC_DFR));
	wr(&s, LAPIC_DFR, 0xf0000000);
	EXPECT_EQ(0xffffffffU, rd(&s, LAPIC_DFR));
	wr(&s, LAPIC_ICR2, 0x12345678);
	EXPECT_EQ(0x12000000U, rd(&s, LAPIC_ICR2));
	wr(&s, LAPIC_TPR, 0x1ff);
	EXPECT_EQ(0xffU, rd(&s, LAPIC_TPR));
	wr(&s, LAPIC_TDCR, 0xffffffff);
	EXPECT_EQ(0xbU, rd(&s, LAPIC_TDCR));
}

/* ---------------------------------------------------------------------
 * SVR and LVT
 */

TEST(svr_software_disable_masks_lvts)
{
	struct lapic s;
	struct lapic_fx fx;

	setup(&s, 1);
	/* Disabled: unmasking is refused (10.4.7.2). */
	wr(&s, LAPIC_LVT_LINT1, 0x400);
	EXPECT_EQ(0x10400U, R(&s, LAPIC_LVT_LINT1));
	fx = wr(&s, LAPIC_SVR, 0xfffff1ff);
	EXPECT_TRUE(fx.map_changed);
	EXPECT_EQ(0x1ffU, R(&s, LAPIC_SVR));
	wr(&s, LAPIC_LVT_LINT1, 0x400);
	wr(&s, LAPIC_LVT_TIMER, 0x20);
	wr(&s, LAPIC_LVT_ERROR, 0xfe);
	EXPECT_EQ(0x400U, R(&s, LAPIC_LVT_LINT1));
	fx = wr(&s, LAPIC_SVR, 0xff);
	EXPECT_TRUE(fx.map_changed);
	EXPECT_EQ(0x10400U, R(&s, LAPIC_LVT_LINT1));
	EXPECT_EQ(0x10020U, R(&s, LAPIC_LVT_TIMER));
	EXPECT_EQ(0x100feU, R(&s, LAPIC_LVT_ERROR));
	fx = wr(&s, LAPIC_SVR, 0xff);
	EXPECT_FALSE(fx.map_changed);
}

TEST(lvt_writable_bits)
{
	struct lapic s;

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0xffffffff);
	EXPECT_EQ(0x000700ffU, R(&s, LAPIC_LVT_TIMER));	/* 18:16, 7:0 */
	wr(&s, LAPIC_LVT_LINT0, 0xffffffff);
	EXPECT_EQ(0x0001a7ffU, R(&s, LAPIC_LVT_LINT0));	/* no 14, 12 */
	wr(&s, LAPIC_LVT_LINT1, 0xffffffff);
	EXPECT_EQ(0x0001a7ffU, R(&s, LAPIC_LVT_LINT1));
	wr(&s, LAPIC_LVT_ERROR, 0xffffffff);
	EXPECT_EQ(0x000100ffU, R(&s, LAPIC_LVT_ERROR));
	wr(&s, LAPIC_LVT_THERMAL, 0xffffffff);
	EXPECT_EQ(0x000107ffU, R(&s, LAPIC_LVT_THERMAL));
	wr(&s, LAPIC_LVT_PERF, 0xffffffff);
	EXPECT_EQ(0x000107ffU, R(&s, LAPIC_LVT_PERF));
	/* No CMCI entry without MCG_CMCI_P. */
	wr(&s, LAPIC_LVT_CMCI, 0xffffffff);
	EXPECT_EQ(0U, R(&s, LAPIC_LVT_CMCI));
}

TEST(lvt_timer_tsc_mode_needs_cpuid)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;

	c.tsc_deadline = false;
	lapic_init(&s, &c);
	wr(&s, LAPIC_SVR, 0x1ff);
	wr(&s, LAPIC_LVT_TIMER, 0x40030);
	EXPECT_EQ(0x30U, R(&s, LAPIC_LVT_TIMER));
	EXPECT_EQ(LAPIC_TIMER_ONESHOT, s.timer.mode);
	wr(&s, LAPIC_LVT_TIMER, 0x20030);
	EXPECT_EQ(LAPIC_TIMER_PERIODIC, s.timer.mode);
}

TEST(lvt_cmci_with_mcg_cmci_p)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;
	u64 v;

	c.cmci = true;
	lapic_init(&s, &c);
	wr(&s, LAPIC_SVR, 0x1ff);
	wr(&s, LAPIC_LVT_CMCI, 0xffffffff);
	EXPECT_EQ(0x000107ffU, rd(&s, LAPIC_LVT_CMCI));
	to_x2apic(&s);
	EXPECT_EQ(0, msr_rd(&s, 0x82f, &v));
	EXPECT_EQ(0x107ffULL, v);
}

TEST(local_deliver_lint_and_pic)
{
	struct lapic s;
	struct lapic_irq irq;
	struct lapic_fx fx;

	setup_on(&s, 1);
	EXPECT_FALSE(lapic_accepts_pic_intr(&s));
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_local_deliver(&s, LAPIC_LVT_LINT0, &irq));
	wr(&s, LAPIC_LVT_LINT0, 0x700);
	EXPECT_TRUE(lapic_accepts_pic_intr(&s));
	EXPECT_FALSE(lapic_lint0_nmi(&s));
	EXPECT_EQ(LAPIC_EXTINT, (int)lapic_local_deliver(&s, LAPIC_LVT_LINT0, &irq));
	wr(&s, LAPIC_LVT_LINT0, 0x400);
	EXPECT_FALSE(lapic_accepts_pic_intr(&s));
	EXPECT_TRUE(lapic_lint0_nmi(&s));
	EXPECT_EQ(LAPIC_NMI, (int)lapic_local_deliver(&s, LAPIC_LVT_LINT0, &irq));
	EXPECT_EQ(LAPIC_DM_NMI, irq.delivery_mode);
	/* LINT1 fixed, level-triggered: sets IRR and TMR. */
	wr(&s, LAPIC_LVT_LINT1, 0x8033);
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_local_deliver(&s, LAPIC_LVT_LINT1, &irq));
	EXPECT_TRUE(irr(&s, 0x33));
	EXPECT_TRUE(tmr(&s, 0x33));
	/* Not an LVT: nothing. */
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_local_deliver(&s, LAPIC_TPR, NULL));
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_local_deliver(&s, LAPIC_LVT_CMCI, NULL));
	/* Globally disabled APIC: INTR goes straight to the CPU. */
	ASSERT_EQ(0, lapic_set_base(&s, DIS, false, &fx));
	EXPECT_TRUE(lapic_accepts_pic_intr(&s));
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_local_deliver(&s, LAPIC_LVT_LINT0, NULL));
}

TEST(local_deliver_timer_ignores_mode_bits)
{
	struct lapic s;
	struct lapic_irq irq;

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x20040);	/* periodic, vector 0x40 */
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_local_deliver(&s, LAPIC_LVT_TIMER, &irq));
	EXPECT_EQ(LAPIC_DM_FIXED, irq.delivery_mode);
	EXPECT_FALSE(irq.trig_level);
	EXPECT_TRUE(irr(&s, 0x40));
}

/* ---------------------------------------------------------------------
 * TPR, PPR, IRR/ISR/TMR, EOI
 */

TEST(ppr_rules)
{
	struct lapic s;

	setup_on(&s, 1);
	wr(&s, LAPIC_TPR, 0x35);
	EXPECT_EQ(0x35U, rd(&s, LAPIC_PPR));
	fixed(&s, 0x61, false);
	EXPECT_EQ(0x61, lapic_ack(&s));
	/* ISRV class above TPR class: PPR = ISRV[7:4] << 4. */
	EXPECT_EQ(0x60U, rd(&s, LAPIC_PPR));
	/* Same class: PPR = TPR, low nibble included. */
	wr(&s, LAPIC_TPR, 0x6f);
	EXPECT_EQ(0x6fU, rd(&s, LAPIC_PPR));
	wr(&s, LAPIC_TPR, 0x70);
	EXPECT_EQ(0x70U, rd(&s, LAPIC_PPR));
	wr(&s, LAPIC_TPR, 0);
	EXPECT_EQ(0x60U, lapic_ppr(&s));
	lapic_eoi(&s, &(struct lapic_fx){});
	EXPECT_EQ(0U, rd(&s, LAPIC_PPR));
}

TEST(pending_vector_against_ppr)
{
	struct lapic s;

	setup_on(&s, 1);
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	EXPECT_EQ(LAPIC_ACCEPTED, (int)fixed(&s, 0x41, false));
	wr(&s, LAPIC_TPR, 0x40);	/* same class: blocked */
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	EXPECT_EQ(-1, lapic_ack(&s));
	wr(&s, LAPIC_TPR, 0x3f);
	EXPECT_EQ(0x41, lapic_pending_vector(&s));
	lapic_set_cr8(&s, 4);
	EXPECT_EQ(0x40U, R(&s, LAPIC_TPR));
	EXPECT_EQ(4ULL, lapic_get_cr8(&s));
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	lapic_set_cr8(&s, 0x13);	/* only bits 3:0 */
	EXPECT_EQ(0x30U, R(&s, LAPIC_TPR));
	EXPECT_EQ(0x41, lapic_pending_vector(&s));
}

TEST(ack_and_eoi_order)
{
	struct lapic s;
	struct lapic_fx fx;

	setup_on(&s, 1);
	fixed(&s, 0x30, false);
	fixed(&s, 0x50, false);
	fixed(&s, 0x51, false);
	EXPECT_EQ(0x51, lapic_ack(&s));
	EXPECT_TRUE(isr(&s, 0x51));
	EXPECT_FALSE(irr(&s, 0x51));
	/* 0x50 is in the same class as the one in service. */
	EXPECT_EQ(-1, lapic_pending_vector(&s));
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_TRUE(fx.eoi);
	EXPECT_EQ(0x51, fx.eoi_vector);
	EXPECT_FALSE(fx.eoi_level);
	EXPECT_EQ(0x50, lapic_ack(&s));
	/* A higher one arrives while 0x50 is in service: nesting. */
	fixed(&s, 0x90, false);
	EXPECT_EQ(0x90, lapic_ack(&s));
	EXPECT_EQ(0x90U, lapic_ppr(&s));
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_EQ(0x90, fx.eoi_vector);
	EXPECT_EQ(0x50U, lapic_ppr(&s));
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_EQ(0x50, fx.eoi_vector);
	EXPECT_EQ(0x30, lapic_ack(&s));
	lapic_eoi(&s, &fx);
	EXPECT_EQ(0x30, fx.eoi_vector);
	/* Nothing in service: an EOI does nothing. */
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_FALSE(fx.eoi);
}

TEST(eoi_level_broadcast)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;
	struct lapic_fx fx;

	setup_on(&s, 1);
	fixed(&s, 0x40, true);
	EXPECT_TRUE(tmr(&s, 0x40));
	EXPECT_EQ(0x40, lapic_ack(&s));
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_TRUE(fx.eoi_level);
	EXPECT_TRUE(fx.eoi_broadcast);
	/* The same vector edge-triggered clears its TMR bit. */
	fixed(&s, 0x40, false);
	EXPECT_FALSE(tmr(&s, 0x40));
	lapic_ack(&s);
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_FALSE(fx.eoi_level);
	EXPECT_FALSE(fx.eoi_broadcast);
	/* SVR bit 12 suppresses the broadcast, not the EOI. */
	c.directed_eoi = true;
	lapic_init(&s, &c);
	wr(&s, LAPIC_SVR, 0x11ff);
	fixed(&s, 0x40, true);
	lapic_ack(&s);
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_TRUE(fx.eoi);
	EXPECT_TRUE(fx.eoi_level);
	EXPECT_FALSE(fx.eoi_broadcast);
	EXPECT_FALSE(isr(&s, 0x40));
}

TEST(accept_rules)
{
	struct lapic s;
	struct lapic_irq irq = { .vector = 0x40, .level = true };
	struct lapic_fx fx;

	setup(&s, 1);	/* software-disabled */
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = LAPIC_DM_NMI;
	EXPECT_EQ(LAPIC_NMI, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = LAPIC_DM_INIT;
	EXPECT_EQ(LAPIC_INIT, (int)lapic_accept_irq(&s, &irq));
	irq.trig_level = true;
	irq.level = false;	/* INIT level de-assert */
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_accept_irq(&s, &irq));
	irq.trig_level = false;
	irq.level = true;
	irq.delivery_mode = LAPIC_DM_STARTUP;
	EXPECT_EQ(LAPIC_SIPI, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = LAPIC_DM_SMI;
	EXPECT_EQ(LAPIC_SMI, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = LAPIC_DM_EXTINT;
	EXPECT_EQ(LAPIC_EXTINT, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = LAPIC_DM_REMRD;
	EXPECT_EQ(LAPIC_REMRD, (int)lapic_accept_irq(&s, &irq));
	irq.delivery_mode = 0xff;	/* only bits 2:0 count */
	EXPECT_EQ(LAPIC_EXTINT, (int)lapic_accept_irq(&s, &irq));
	wr(&s, LAPIC_SVR, 0x1ff);
	irq.delivery_mode = LAPIC_DM_LOWEST;
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_accept_irq(&s, &irq));
	EXPECT_TRUE(irr(&s, 0x40));
	/* Level-triggered fixed de-assert: nothing. */
	irq.vector = 0x41;
	irq.trig_level = true;
	irq.level = false;
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_accept_irq(&s, &irq));
	EXPECT_FALSE(irr(&s, 0x41));
	/* Hardware-disabled: nothing at all. */
	ASSERT_EQ(0, lapic_set_base(&s, DIS, false, &fx));
	irq.delivery_mode = LAPIC_DM_NMI;
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_accept_irq(&s, &irq));
	EXPECT_EQ(-1, lapic_pending_vector(&s));
}

TEST(illegal_vector_and_esr)
{
	struct lapic s;
	struct lapic_fx fx;

	setup_on(&s, 1);
	EXPECT_EQ(LAPIC_DROPPED, (int)fixed(&s, 15, false));
	EXPECT_FALSE(irr(&s, 15));
	/* Nothing shows until ESR is written (10.5.3). */
	EXPECT_EQ(0U, rd(&s, LAPIC_ESR));
	wr(&s, LAPIC_ESR, 0);
	EXPECT_EQ(0x40U, rd(&s, LAPIC_ESR));
	wr(&s, LAPIC_ESR, 0);
	EXPECT_EQ(0U, rd(&s, LAPIC_ESR));
	/* Sending one: not sent, "send illegal vector", error interrupt. */
	wr(&s, LAPIC_LVT_ERROR, 0xfe);
	fx = wr(&s, LAPIC_ICR, 0x4005);
	EXPECT_FALSE(fx.ipi);
	EXPECT_TRUE(irr(&s, 0xfe));
	wr(&s, LAPIC_ESR, 0xffffffff);
	EXPECT_EQ(0x20U, rd(&s, LAPIC_ESR));
	/* NMI with vector 2 is fine. */
	fx = wr(&s, LAPIC_ICR, 0x4402);
	EXPECT_TRUE(fx.ipi);
	/* An error LVT with an illegal vector cannot loop. */
	wr(&s, LAPIC_LVT_ERROR, 0x3);
	fixed(&s, 1, false);
	wr(&s, LAPIC_ESR, 0);
	EXPECT_EQ(0x40U, rd(&s, LAPIC_ESR));
	EXPECT_FALSE(irr(&s, 3));
}

/* ---------------------------------------------------------------------
 * ICR and IPIs
 */

TEST(icr_decode_fields)
{
	struct lapic_icr icr;

	lapic_decode_icr(0x0f000000000c4d31ULL, false, &icr);
	EXPECT_EQ(0x31, icr.irq.vector);
	EXPECT_EQ(LAPIC_DM_INIT, icr.irq.delivery_mode);
	EXPECT_TRUE(icr.logical);
	EXPECT_TRUE(icr.irq.level);
	EXPECT_FALSE(icr.irq.trig_level);
	EXPECT_EQ(LAPIC_SH_ALL_BUT_SELF, icr.shorthand);
	EXPECT_EQ(0x0fU, icr.dest);
	lapic_decode_icr(0x123456780000c600ULL, true, &icr);
	EXPECT_EQ(LAPIC_DM_STARTUP, icr.irq.delivery_mode);
	EXPECT_TRUE(icr.irq.trig_level);
	EXPECT_FALSE(icr.logical);
	EXPECT_EQ(LAPIC_SH_NONE, icr.shorthand);
	EXPECT_EQ(0x12345678U, icr.dest);
	lapic_decode_icr(0x40000 | 0x8500, false, &icr);	/* INIT de-assert */
	EXPECT_EQ(LAPIC_DM_INIT, icr.irq.delivery_mode);
	EXPECT_FALSE(icr.irq.level);
	EXPECT_TRUE(icr.irq.trig_level);
	EXPECT_EQ(LAPIC_SH_SELF, icr.shorthand);
}

TEST(xapic_icr_write_sends)
{
	struct lapic s;
	struct lapic_fx fx;

	setup_on(&s, 1);
	fx = wr(&s, LAPIC_ICR2, 0x0312ffff);
	EXPECT_FALSE(fx.ipi);
	fx = wr(&s, LAPIC_ICR, 0x000c5930 | LAPIC_ICR_BUSY);
	EXPECT_TRUE(fx.ipi);
	EXPECT_EQ(0x30, fx.icr.irq.vector);
	EXPECT_EQ(LAPIC_DM_LOWEST, fx.icr.irq.delivery_mode);
	EXPECT_TRUE(fx.icr.logical);
	EXPECT_EQ(LAPIC_SH_ALL_BUT_SELF, fx.icr.shorthand);
	EXPECT_EQ(0x03U, fx.icr.dest);
	/* Delivery status reads 0: sent at once. */
	EXPECT_EQ(0x000c4930U, rd(&s, LAPIC_ICR));
}

TEST(x2apic_icr_64bit)
{
	struct lapic s;
	struct lapic_fx fx;
	u64 v;

	setup_on(&s, 7);
	to_x2apic(&s);
	ASSERT_EQ(0, msr_wr(&s, 0x830, 0x0000012300004031ULL | LAPIC_ICR_BUSY,
			    &fx));
	EXPECT_TRUE(fx.ipi);
	EXPECT_EQ(0x123U, fx.icr.dest);
	EXPECT_EQ(0x31, fx.icr.irq.vector);
	EXPECT_EQ(0, msr_rd(&s, 0x830, &v));
	EXPECT_EQ(0x0000012300004031ULL, v);
	/* Split in the page, as KVM_GET_LAPIC shows it. */
	EXPECT_EQ(0x4031U, R(&s, LAPIC_ICR));
	EXPECT_EQ(0x123U, R(&s, LAPIC_ICR2));
	/* Reserved bits 31:20, 17:16 and 13: #GP, nothing sent. */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x830, 0x00104031, &fx));
	EXPECT_FALSE(fx.ipi);
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x830, 0x00014031, &fx));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x830, 0x00006031, &fx));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x830, 0x80000000ULL | 0x4031, &fx));
	/* No ICR2 in x2APIC mode. */
	EXPECT_EQ(-EINVAL, msr_rd(&s, 0x831, &v));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x831, 0, &fx));
}

TEST(x2apic_self_ipi)
{
	struct lapic s;
	struct lapic_fx fx;
	u64 v;

	setup_on(&s, 7);
	/* xAPIC: SELF IPI does not exist. */
	fx = wr(&s, LAPIC_SELF_IPI, 0x40);
	EXPECT_FALSE(fx.ipi);
	to_x2apic(&s);
	ASSERT_EQ(0, msr_wr(&s, 0x83f, 0x40, &fx));
	EXPECT_TRUE(fx.ipi);
	EXPECT_EQ(LAPIC_SH_SELF, fx.icr.shorthand);
	EXPECT_EQ(0x40, fx.icr.irq.vector);
	EXPECT_EQ(LAPIC_DM_FIXED, fx.icr.irq.delivery_mode);
	EXPECT_FALSE(fx.icr.irq.trig_level);
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x83f, 0x140, &fx));
	EXPECT_FALSE(fx.ipi);
	EXPECT_EQ(-EINVAL, msr_rd(&s, 0x83f, &v));
	/* Illegal vector: accepted write, not sent, ESR. */
	ASSERT_EQ(0, msr_wr(&s, 0x83f, 0x0f, &fx));
	EXPECT_FALSE(fx.ipi);
	ASSERT_EQ(0, msr_wr(&s, 0x828, 0, &fx));
	EXPECT_EQ(0, msr_rd(&s, 0x828, &v));
	EXPECT_EQ(0x20ULL, v);
}

/* ---------------------------------------------------------------------
 * x2APIC MSRs
 */

struct msr_case {
	u32 msr;
	bool readable;
};

static const struct msr_case msr_cases[] = {
	{ 0x7ff, false }, { 0x800, false }, { 0x801, false },
	{ 0x802, true }, { 0x803, true }, { 0x804, false }, { 0x807, false },
	{ 0x808, true }, { 0x809, false }, { 0x80a, true }, { 0x80b, false },
	{ 0x80c, false }, { 0x80d, true }, { 0x80e, false }, { 0x80f, true },
	{ 0x810, true }, { 0x817, true }, { 0x818, true }, { 0x81f, true },
	{ 0x820, true }, { 0x827, true }, { 0x828, true }, { 0x829, false },
	{ 0x82e, false }, { 0x82f, false }, { 0x830, true }, { 0x831, false },
	{ 0x832, true }, { 0x833, true }, { 0x834, true }, { 0x835, true },
	{ 0x836, true }, { 0x837, true }, { 0x838, true }, { 0x839, true },
	{ 0x83a, false }, { 0x83d, false }, { 0x83e, true }, { 0x83f, false },
	{ 0x840, false }, { 0x8ff, false }, { 0x900, false },
	{ 0xffffffff, false },
};

TEST(x2apic_msr_readability)
{
	struct lapic s;
	unsigned int i;
	u64 v;

	setup_on(&s, 9);
	to_x2apic(&s);
	for (i = 0; i < ARRAY_SIZE(msr_cases); i++)
		EXPECT_EQ(msr_cases[i].readable ? 0 : -EINVAL,
			  msr_rd(&s, msr_cases[i].msr, &v))
			TH_LOG("msr %#x", msr_cases[i].msr);
	EXPECT_EQ(0, msr_rd(&s, 0x802, &v));
	EXPECT_EQ(9ULL, v);	/* full 32-bit ID, not in bits 31:24 */
	EXPECT_EQ(0, msr_rd(&s, 0x80d, &v));
	EXPECT_EQ(0x00000200ULL, v);
	EXPECT_EQ(0, msr_rd(&s, 0x803, &v));
	EXPECT_EQ(0x50014ULL, v);
}

TEST(x2apic_msr_writes)
{
	struct lapic s;
	struct lapic_fx fx;
	u64 v;

	setup_on(&s, 9);
	to_x2apic(&s);
	/* Read-only, xAPIC-only and reserved registers: #GP. */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x802, 0, &fx));	/* ID */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x803, 0, &fx));	/* LVR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x809, 0, &fx));	/* APR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80a, 0, &fx));	/* PPR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80d, 0, &fx));	/* LDR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80e, 0, &fx));	/* DFR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x810, 0, &fx));	/* ISR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x820, 0, &fx));	/* IRR */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x839, 0, &fx));	/* TMCCT */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x840, 0, &fx));
	/* Bits 63:32 reserved outside ICR. */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x808, 1ULL << 32, &fx));
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));
	EXPECT_EQ(0, msr_wr(&s, 0x808, 0x20, &fx));
	EXPECT_EQ(0x20U, R(&s, LAPIC_TPR));
	/* ESR: only 0 may be written. */
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x828, 1, &fx));
	EXPECT_EQ(0, msr_wr(&s, 0x828, 0, &fx));
	/* EOI: any value, as KVM 6.1. */
	EXPECT_EQ(0, msr_wr(&s, 0x80b, 0, &fx));
	EXPECT_FALSE(fx.eoi);
	/* The same MSRs #GP when not in x2APIC mode. */
	ASSERT_EQ(0, lapic_set_base(&s, DIS, false, &fx));
	EXPECT_EQ(-EINVAL, msr_rd(&s, 0x808, &v));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x808, 0, &fx));
	ASSERT_EQ(0, lapic_set_base(&s, XA, false, &fx));
	EXPECT_EQ(-EINVAL, msr_rd(&s, 0x808, &v));
	EXPECT_EQ(-EINVAL, msr_wr(&s, 0x80b, 0, &fx));
}

/* ---------------------------------------------------------------------
 * Destination matching
 */

#define PHYS	false
#define LOG	true
#define NOSH	LAPIC_SH_NONE

TEST(match_physical_xapic)
{
	struct lapic t, src;
	struct lapic_fx fx;

	setup(&t, 5);
	setup(&src, 0);
	EXPECT_TRUE(lapic_match_dest(&t, &src, 5, PHYS, NOSH, true));
	EXPECT_FALSE(lapic_match_dest(&t, &src, 4, PHYS, NOSH, true));
	EXPECT_TRUE(lapic_match_dest(&t, &src, 0xff, PHYS, NOSH, true));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, PHYS, NOSH, false));
	/* The ID register counts, not the vCPU id... */
	wr(&t, LAPIC_ID, 0x09000000);
	EXPECT_FALSE(lapic_match_dest(&t, &src, 5, PHYS, NOSH, true));
	EXPECT_TRUE(lapic_match_dest(&t, &src, 9, PHYS, NOSH, true));
	/* ... except above 0xff (KVM's hotplug rule). */
	setup(&t, 0x105);
	EXPECT_TRUE(lapic_match_dest(&t, &src, 0x105, PHYS, NOSH, true));
	EXPECT_TRUE(lapic_match_dest(&t, &src, 0x05, PHYS, NOSH, true));
	EXPECT_FALSE(lapic_match_dest(&t, &src, 0x205, PHYS, NOSH, true));
	/* Hardware-disabled: nothing, not even shorthands. */
	ASSERT_EQ(0, lapic_set_base(&t, DIS, false, &fx));
	EXPECT_FALSE(lapic_match_dest(&t, &src, 0xff, PHYS, NOSH, true));
	EXPECT_FALSE(lapic_match_dest(&t, &src, 0, PHYS, LAPIC_SH_ALL, true));
}

TEST(match_physical_x2apic)
{
	struct lapic t, src;

	setup(&t, 0x1234);
	setup(&src, 0);
	to_x2apic(&t);
	EXPECT_TRUE(lapic_match_dest(&t, &src, 0x1234, PHYS, NOSH, true));
	EXPECT_FALSE(lapic_match_dest(&t, &src, 0x34, PHYS, NOSH, true));
	EXPECT_TRUE(lapic_match_dest(&t, &src, 0xffffffff, PHYS, NOSH, true));
	/* 0xff is an ordinary ID from an IPI... */
	EXPECT_FALSE(lapic_match_dest(&t, &src, 0xff, PHYS, NOSH, true));
	/* ... and a broadcast from an IOAPIC/MSI with KVM's quirk. */
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, PHYS, NOSH, true));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0xff, PHYS, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, LOG, NOSH, true));
}

TEST(match_logical_flat)
{
	struct lapic t;

	setup(&t, 1);
	wr(&t, LAPIC_LDR, 0x24000000);
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x04, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x21, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x03, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x00, LOG, NOSH, false));
	/* LDR 0 (the reset value) matches no logical destination. */
	wr(&t, LAPIC_LDR, 0);
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x7f, LOG, NOSH, false));
}

TEST(match_logical_cluster)
{
	struct lapic t;

	setup(&t, 1);
	wr(&t, LAPIC_DFR, 0x0fffffff);
	wr(&t, LAPIC_LDR, 0x32000000);	/* cluster 3, member bit 1 */
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x32, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x3f, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x31, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x22, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x02, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, LOG, NOSH, false));
	/* The same destination in flat mode means members 5, 4 and 1. */
	wr(&t, LAPIC_DFR, 0xffffffff);
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x22, LOG, NOSH, false));
}

TEST(match_logical_bad_dfr)
{
	struct lapic t;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u32 page[LAPIC_REG_SIZE / 4];

	setup(&t, 1);
	wr(&t, LAPIC_LDR, 0x01000000);
	memcpy(page, t.regs, sizeof(page));
	page[LAPIC_DFR / 4] = 0x5fffffff;
	ASSERT_EQ(0, lapic_set_state(&t, page, &n, false, &fx));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x01, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xff, LOG, NOSH, false));
}

TEST(match_logical_x2apic)
{
	struct lapic t;

	setup(&t, 0x23);	/* LDR 0x00020008 */
	to_x2apic(&t);
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x00020008, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x0002000c, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0x0002ffff, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x00020007, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x00030008, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0x00000008, LOG, NOSH, false));
	EXPECT_FALSE(lapic_match_dest(&t, NULL, 0xff, LOG, NOSH, false));
	EXPECT_TRUE(lapic_match_dest(&t, NULL, 0xffffffff, LOG, NOSH, false));
}

TEST(match_shorthands)
{
	struct lapic a, b;

	setup(&a, 1);
	setup(&b, 2);
	EXPECT_TRUE(lapic_match_dest(&a, &a, 0x55, PHYS, LAPIC_SH_SELF, false));
	EXPECT_FALSE(lapic_match_dest(&b, &a, 2, PHYS, LAPIC_SH_SELF, false));
	EXPECT_TRUE(lapic_match_dest(&a, &a, 0x55, PHYS, LAPIC_SH_ALL, false));
	EXPECT_TRUE(lapic_match_dest(&b, &a, 0x55, LOG, LAPIC_SH_ALL, false));
	EXPECT_FALSE(lapic_match_dest(&a, &a, 1, PHYS, LAPIC_SH_ALL_BUT_SELF,
				      false));
	EXPECT_TRUE(lapic_match_dest(&b, &a, 1, PHYS, LAPIC_SH_ALL_BUT_SELF,
				     false));
	/* Only bits 1:0 of the shorthand count. */
	EXPECT_TRUE(lapic_match_dest(&a, &a, 0, PHYS, 4 | LAPIC_SH_SELF,
				     false));
}

/* ---------------------------------------------------------------------
 * Timer
 */

TEST(timer_divide_values)
{
	static const u32 tdcr[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	static const u8 div[] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	struct lapic s;
	unsigned int i;

	setup_on(&s, 1);
	for (i = 0; i < 8; i++) {
		wr(&s, LAPIC_TDCR, tdcr[i] | 0x4);	/* bit 2 ignored */
		EXPECT_EQ(div[i], s.timer.divide) TH_LOG("TDCR %#x", tdcr[i]);
	}
}

TEST(timer_oneshot)
{
	struct lapic s;
	struct lapic_now n;
	struct lapic_irq irq;
	u32 seq;

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x30);
	wr(&s, LAPIC_TDCR, 0x3);	/* /16 */
	seq = s.timer.seq;
	wr(&s, LAPIC_TMICT, 1000);
	EXPECT_NE(seq, s.timer.seq);
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(NOW0 + 16000, s.timer.expire_ns);
	EXPECT_EQ(1000U, rd(&s, LAPIC_TMICT));
	n = at(NOW0);
	EXPECT_EQ(1000U, lapic_timer_current_count(&s, &n));
	n = at(NOW0 + 8000);
	EXPECT_EQ(500U, lapic_timer_current_count(&s, &n));
	n = at(NOW0 + 15999);
	EXPECT_EQ(0U, lapic_timer_current_count(&s, &n));
	EXPECT_FALSE(lapic_timer_expired(&s, &n));
	EXPECT_FALSE(s.timer.pending);
	n = at(NOW0 + 16000);
	seq = s.timer.seq;
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_NE(seq, s.timer.seq);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_TRUE(lapic_timer_pending(&s));
	EXPECT_FALSE(lapic_timer_expired(&s, &n));	/* once */
	EXPECT_EQ(0U, lapic_timer_current_count(&s, &n));
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_timer_inject(&s, &irq));
	EXPECT_EQ(0x30, irq.vector);
	EXPECT_TRUE(irr(&s, 0x30));
	EXPECT_FALSE(lapic_timer_pending(&s));
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_timer_inject(&s, &irq));
	/* TMICT still reads what was written. */
	EXPECT_EQ(1000U, rd(&s, LAPIC_TMICT));
}

TEST(timer_periodic_rearm)
{
	struct lapic s;
	struct lapic_now n;

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x20031);
	wr(&s, LAPIC_TDCR, 0xb);	/* /1 */
	wr(&s, LAPIC_TMICT, 100);
	EXPECT_EQ(NOW0 + 100, s.timer.expire_ns);
	n = at(NOW0 + 100);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(NOW0 + 200, s.timer.expire_ns);
	n = at(NOW0 + 150);
	EXPECT_EQ(50U, lapic_timer_current_count(&s, &n));
	/* Woken late (hrtimer slack): the next period stays on the grid. */
	n = at(NOW0 + 230);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_EQ(NOW0 + 300, s.timer.expire_ns);
	/* Far too late (VM stopped): one expiry, restart from now. */
	n = at(NOW0 + 10000);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_EQ(NOW0 + 10100, s.timer.expire_ns);
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_timer_inject(&s, NULL));
	EXPECT_TRUE(irr(&s, 0x31));
	/* Writing 0 stops it. */
	wr(&s, LAPIC_TMICT, 0);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_EQ(0U, lapic_timer_current_count(&s, &n));
}

TEST(timer_periodic_min_period)
{
	struct lapic_cfg c = cfg_default;
	struct lapic s;
	struct lapic_now n;

	c.min_period_ns = 200000;
	lapic_init(&s, &c);
	wr(&s, LAPIC_SVR, 0x1ff);
	wr(&s, LAPIC_TDCR, 0xb);
	wr(&s, LAPIC_TMICT, 10);	/* one-shot: no floor */
	EXPECT_EQ(NOW0 + 10, s.timer.expire_ns);
	wr(&s, LAPIC_LVT_TIMER, 0x20030);
	EXPECT_EQ(200000ULL, s.timer.period_ns);
	wr(&s, LAPIC_TMICT, 10);
	EXPECT_EQ(NOW0 + 200000, s.timer.expire_ns);
	n = at(NOW0 + 1000);
	EXPECT_EQ(10U, lapic_timer_current_count(&s, &n));
}

TEST(timer_mode_changes)
{
	struct lapic s;
	struct lapic_now n;

	setup_on(&s, 1);
	wr(&s, LAPIC_TDCR, 0xb);
	wr(&s, LAPIC_TMICT, 1000);
	/* One-shot -> periodic keeps counting, periodic from then on. */
	wr(&s, LAPIC_LVT_TIMER, 0x20030);
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(NOW0 + 1000, s.timer.expire_ns);
	n = at(NOW0 + 1000);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_TRUE(s.timer.armed);
	/* Periodic -> TSC deadline disarms and clears TMICT (10.5.4.1). */
	wr(&s, LAPIC_LVT_TIMER, 0x40030);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_FALSE(s.timer.pending);
	EXPECT_EQ(0U, rd(&s, LAPIC_TMICT));
	EXPECT_EQ(0U, rd(&s, LAPIC_TMCCT));
	/* TMICT writes are ignored in TSC-deadline mode. */
	wr(&s, LAPIC_TMICT, 500);
	EXPECT_EQ(0U, rd(&s, LAPIC_TMICT));
	EXPECT_FALSE(s.timer.armed);
	/* Mode 3 is reserved: stores TMICT, never counts. */
	wr(&s, LAPIC_LVT_TIMER, 0x60030);
	wr(&s, LAPIC_TMICT, 500);
	EXPECT_EQ(500U, rd(&s, LAPIC_TMICT));
	EXPECT_FALSE(s.timer.armed);
	EXPECT_EQ(0U, rd(&s, LAPIC_TMCCT));
}

TEST(timer_divide_change_rescales)
{
	struct lapic s;
	struct lapic_now n;

	setup_on(&s, 1);
	wr(&s, LAPIC_TDCR, 0x0);	/* /2 */
	wr(&s, LAPIC_TMICT, 1000);	/* 2000 ns */
	wr_at(&s, LAPIC_TDCR, 0x1, NOW0 + 1000);	/* /4, 500 ticks left */
	EXPECT_EQ(NOW0 + 1000 + 2000, s.timer.expire_ns);
	n = at(NOW0 + 1000);
	EXPECT_EQ(500U, lapic_timer_current_count(&s, &n));
	EXPECT_EQ(4000ULL, s.timer.period_ns);
}

TEST(timer_masked_or_disabled_not_pending)
{
	struct lapic s;
	struct lapic_now n = at(NOW0 + 10);

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x10030);
	wr(&s, LAPIC_TDCR, 0xb);
	wr(&s, LAPIC_TMICT, 10);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_TRUE(s.timer.pending);
	EXPECT_FALSE(lapic_timer_pending(&s));
	EXPECT_EQ(LAPIC_DROPPED, (int)lapic_timer_inject(&s, NULL));
	EXPECT_FALSE(irr(&s, 0x30));
	/* Software disable drops a pending expiry. */
	wr(&s, LAPIC_LVT_TIMER, 0x30);
	wr(&s, LAPIC_TMICT, 10);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_TRUE(lapic_timer_pending(&s));
	wr(&s, LAPIC_SVR, 0xff);
	EXPECT_FALSE(s.timer.pending);
	EXPECT_EQ(0x10030U, R(&s, LAPIC_LVT_TIMER));
}

TEST(tsc_to_ns)
{
	EXPECT_EQ(~0ULL, lapic_tsc_to_ns(1, 0));
	EXPECT_EQ(1000ULL, lapic_tsc_to_ns(2500, 2500000));
	EXPECT_EQ(1ULL, lapic_tsc_to_ns(3, 2000000));	/* 1.5 ns */
	EXPECT_EQ(~0ULL, lapic_tsc_to_ns(~0ULL, 1));
	EXPECT_EQ(18446744073709551ULL, lapic_tsc_to_ns(~0ULL, 1000000000));
}

TEST(tsc_deadline)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_irq irq;

	setup_on(&s, 1);
	/* Outside TSC-deadline mode: writes ignored, reads 0. */
	lapic_tscdeadline_write(&s, n.tsc + 100, &n);
	EXPECT_EQ(0ULL, lapic_tscdeadline_read(&s));
	EXPECT_FALSE(s.timer.armed);
	wr(&s, LAPIC_LVT_TIMER, 0x40032);
	lapic_tscdeadline_write(&s, n.tsc + 100, &n);
	EXPECT_EQ(n.tsc + 100, lapic_tscdeadline_read(&s));
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(NOW0 + 100, s.timer.expire_ns);
	/* Current count is 0 in this mode. */
	EXPECT_EQ(0U, rd(&s, LAPIC_TMCCT));
	lapic_tscdeadline_write(&s, 0, &n);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_EQ(0ULL, lapic_tscdeadline_read(&s));
	/* Expiry clears the MSR. */
	lapic_tscdeadline_write(&s, n.tsc + 50, &n);
	n = at(NOW0 + 50);
	EXPECT_TRUE(lapic_timer_expired(&s, &n));
	EXPECT_EQ(0ULL, lapic_tscdeadline_read(&s));
	EXPECT_FALSE(s.timer.armed);
	EXPECT_EQ(LAPIC_ACCEPTED, (int)lapic_timer_inject(&s, &irq));
	EXPECT_EQ(0x32, irq.vector);
	/* A deadline in the past fires at once, without the hrtimer. */
	lapic_tscdeadline_write(&s, n.tsc - 1, &n);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_TRUE(lapic_timer_pending(&s));
	EXPECT_EQ(0ULL, lapic_tscdeadline_read(&s));
	/* Unknown TSC rate: stored, never fires. */
	n.tsc_khz = 0;
	lapic_tscdeadline_write(&s, n.tsc + 10, &n);
	EXPECT_FALSE(s.timer.armed);
	EXPECT_FALSE(s.timer.pending);
	EXPECT_EQ(n.tsc + 10, lapic_tscdeadline_read(&s));
}

TEST(tsc_deadline_scaled)
{
	struct lapic s;
	struct lapic_now n = { .ns = NOW0, .tsc = 1000000, .tsc_khz = 2000000 };

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x40032);
	lapic_tscdeadline_write(&s, 1000000 + 2000000000ULL, &n);
	EXPECT_EQ(NOW0 + 1000000000ULL, s.timer.expire_ns);
}

/*
 * A far-future deadline on a slow TSC must stay a valid ktime: ~0 cycles at
 * 2 GHz is past 2^63 ns, which as a ktime is negative (an hrtimer that
 * fires at once and restarts itself forever).
 */
TEST(tsc_deadline_far_future_capped)
{
	struct lapic s;
	struct lapic_now n = { .ns = NOW0, .tsc = 1000000, .tsc_khz = 2000000 };

	setup_on(&s, 1);
	wr(&s, LAPIC_LVT_TIMER, 0x40032);
	lapic_tscdeadline_write(&s, ~0ULL, &n);
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(LAPIC_EXPIRE_MAX, s.timer.expire_ns);
	n.ns = NOW0 + 1000000000ULL;
	EXPECT_FALSE(lapic_timer_expired(&s, &n));
	EXPECT_EQ(~0ULL, lapic_tscdeadline_read(&s));
}

/* ---------------------------------------------------------------------
 * KVM_GET/SET_LAPIC
 */

TEST(get_state_xapic)
{
	struct lapic s;
	struct lapic_now n = at(NOW0 + 400);
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 4);
	wr(&s, LAPIC_TDCR, 0xb);
	wr(&s, LAPIC_TMICT, 1000);
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, false));
	EXPECT_EQ(600U, page[LAPIC_TMCCT / 4]);
	EXPECT_EQ(0x04000000U, page[LAPIC_ID / 4]);
	EXPECT_EQ(0x1ffU, page[LAPIC_SVR / 4]);
	EXPECT_EQ(0U, R(&s, LAPIC_TMCCT));
}

TEST(get_state_x2apic_id_format)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 0x42);
	to_x2apic(&s);
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, false));
	EXPECT_EQ(0x42000000U, page[LAPIC_ID / 4]);
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, true));
	EXPECT_EQ(0x42U, page[LAPIC_ID / 4]);
	EXPECT_EQ(0x00040004U, page[LAPIC_LDR / 4]);
}

TEST(set_state_x2apic_id_rules)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 0x42);
	to_x2apic(&s);
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, true));
	page[LAPIC_ID / 4] = 0x43;
	page[LAPIC_TPR / 4] = 0x20;
	EXPECT_EQ(-EINVAL, lapic_set_state(&s, page, &n, true, &fx));
	EXPECT_EQ(0U, R(&s, LAPIC_TPR));	/* nothing changed */
	page[LAPIC_ID / 4] = 0x42;
	page[LAPIC_LDR / 4] = 0xdead;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, true, &fx));
	EXPECT_TRUE(fx.map_changed);
	EXPECT_EQ(0x20U, R(&s, LAPIC_TPR));
	EXPECT_EQ(0x00040004U, R(&s, LAPIC_LDR));
	/* Without KVM_CAP_X2APIC_API: ID in bits 31:24, LDR follows it. */
	page[LAPIC_ID / 4] = 0x11000000;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(0x11U, R(&s, LAPIC_ID));
	EXPECT_EQ(0x00010002U, R(&s, LAPIC_LDR));
}

TEST(set_state_fixups)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 1);
	memcpy(page, s.regs, sizeof(page));
	page[LAPIC_LVR / 4] = 0xdeadbeef;
	page[LAPIC_SVR / 4] = 0xffffffff;
	page[LAPIC_TPR / 4] = 0x20;
	page[LAPIC_PPR / 4] = 0x99;
	page[(LAPIC_ISR + 0x10) / 4] = 1U << 0x10;	/* vector 0x30 */
	page[(LAPIC_IRR + 0x20) / 4] = 1U << 1;		/* vector 0x41 */
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(0x00050014U, R(&s, LAPIC_LVR));
	EXPECT_EQ(0x3ffU, R(&s, LAPIC_SVR));
	EXPECT_EQ(0x30U, R(&s, LAPIC_PPR));
	EXPECT_EQ(0x41, lapic_pending_vector(&s));
	fx = wr(&s, LAPIC_EOI, 0);
	EXPECT_EQ(0x30, fx.eoi_vector);
}

TEST(set_state_timer_restore)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 1);
	memcpy(page, s.regs, sizeof(page));
	page[LAPIC_LVT_TIMER / 4] = 0x30;
	page[LAPIC_TDCR / 4] = 0x1;		/* /4 */
	page[LAPIC_TMICT / 4] = 1000;
	page[LAPIC_TMCCT / 4] = 250;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_TRUE(s.timer.armed);
	EXPECT_EQ(NOW0 + 1000, s.timer.expire_ns);
	EXPECT_EQ(0U, R(&s, LAPIC_TMCCT));
	EXPECT_EQ(250U, rd(&s, LAPIC_TMCCT));
	/* An expired one-shot stays expired. */
	page[LAPIC_TMCCT / 4] = 0;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_FALSE(s.timer.armed);
	/* A periodic one restarts a full period; TMCCT > TMICT is clamped. */
	page[LAPIC_LVT_TIMER / 4] = 0x20030;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(NOW0 + 4000, s.timer.expire_ns);
	page[LAPIC_TMCCT / 4] = 0xffffffff;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(NOW0 + 4000, s.timer.expire_ns);
	/* TSC-deadline: the deadline survives a restore in the same mode. */
	page[LAPIC_LVT_TIMER / 4] = 0x40030;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	lapic_tscdeadline_write(&s, n.tsc + 77, &n);
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(n.tsc + 77, lapic_tscdeadline_read(&s));
	EXPECT_EQ(NOW0 + 77, s.timer.expire_ns);
}

/* KVM_GET_LAPIC on one vCPU, KVM_SET_LAPIC on a fresh one: same state. */
/* A register write through MMIO or MSR, whichever the mode has. */
static void w(struct lapic *s, u32 off, u32 val)
{
	if (lapic_mode(s) == LAPIC_MODE_X2APIC)
		msr_wr(s, LAPIC_X2APIC_MSR(off), val, NULL);
	else
		wr(s, off, val);
}

static void round_trip(struct __test_metadata *_metadata, bool x2,
		       bool x2apic_format)
{
	struct lapic a, b;
	struct lapic_now n = at(NOW0 + 300);
	struct lapic_fx fx;
	u32 pa[LAPIC_REG_SIZE / 4], pb[LAPIC_REG_SIZE / 4];

	setup_on(&a, 0x21);
	setup(&b, 0x21);
	if (x2) {
		to_x2apic(&a);
		to_x2apic(&b);
	} else {
		wr(&a, LAPIC_DFR, 0x0fffffff);
		wr(&a, LAPIC_LDR, 0x12000000);
	}
	w(&a, LAPIC_TPR, 0x20);
	w(&a, LAPIC_LVT_TIMER, 0x20040);
	w(&a, LAPIC_LVT_LINT0, 0x700);
	w(&a, LAPIC_TDCR, 0x1);
	w(&a, LAPIC_TMICT, 1000);
	fixed(&a, 0x51, true);
	fixed(&a, 0x61, false);
	ASSERT_EQ(0x61, lapic_ack(&a));
	ASSERT_EQ(0, lapic_get_state(&a, pa, &n, x2apic_format));
	ASSERT_EQ(0, lapic_set_state(&b, pa, &n, x2apic_format, &fx));
	ASSERT_EQ(0, lapic_get_state(&b, pb, &n, x2apic_format));
	EXPECT_EQ(0, memcmp(pa, pb, sizeof(pa)));
	EXPECT_EQ(0, memcmp(a.regs, b.regs, sizeof(a.regs)));
	EXPECT_EQ(a.timer.expire_ns, b.timer.expire_ns);
	EXPECT_EQ(a.timer.period_ns, b.timer.period_ns);
	EXPECT_EQ(LAPIC_TIMER_PERIODIC, b.timer.mode);
	EXPECT_EQ(4, b.timer.divide);
	EXPECT_EQ(0x60U, lapic_ppr(&b));
	EXPECT_EQ(-1, lapic_pending_vector(&b));
	EXPECT_TRUE(irr(&b, 0x51));
	EXPECT_TRUE(tmr(&b, 0x51));
	EXPECT_TRUE(isr(&b, 0x61));
}

TEST(state_round_trip_xapic)
{
	round_trip(_metadata, false, false);
}

TEST(state_round_trip_x2apic)
{
	round_trip(_metadata, true, false);
	round_trip(_metadata, true, true);
}

/* As KVM 6.1: without KVM_CAP_X2APIC_API only 8 bits of x2APIC ID survive. */
TEST(state_x2apic_large_id_needs_x2apic_api)
{
	struct lapic s;
	struct lapic_now n = at(NOW0);
	struct lapic_fx fx;
	u32 page[LAPIC_REG_SIZE / 4];

	setup_on(&s, 0x1234);
	to_x2apic(&s);
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, false));
	EXPECT_EQ(0x34000000U, page[LAPIC_ID / 4]);
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, false, &fx));
	EXPECT_EQ(0x34U, lapic_x2apic_id(&s));
	ASSERT_EQ(0, lapic_get_state(&s, page, &n, true));
	page[LAPIC_ID / 4] = 0x1234;
	ASSERT_EQ(0, lapic_set_state(&s, page, &n, true, &fx));
	EXPECT_EQ(0x1234U, lapic_x2apic_id(&s));
	EXPECT_EQ(0x01230010U, R(&s, LAPIC_LDR));
}

/*
 * Any page from userspace, then any operation: nothing may read or write
 * outside struct lapic (ASan) or hit undefined behaviour (UBSan).
 */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(random_pages_and_operations)
{
	struct lapic *s = malloc(sizeof(*s));	/* exact size for ASan */
	struct lapic_fx fx;
	struct lapic_irq irq;
	u32 page[LAPIC_REG_SIZE / 4];
	unsigned int iter, i;
	u64 v;

	ASSERT_NE(NULL, s);
	for (iter = 0; iter < 2000; iter++) {
		struct lapic_now n = at(rnd() >> 1);
		u8 b[8];

		setup(s, rnd() & 0x3ff);
		if (rnd() & 1)
			lapic_set_base(s, X2, true, &fx);
		for (i = 0; i < LAPIC_REG_SIZE / 4; i++)
			page[i] = rnd();
		lapic_set_state(s, page, &n, rnd() & 1, &fx);
		for (i = 0; i < 64; i++) {
			u32 off = rnd() % LAPIC_MMIO_SIZE;

			lapic_mmio_read(s, off, b, 1 + rnd() % 8, &n);
			lapic_mmio_write(s, off & ~0xfU, &page[i], 4, &n, &fx);
			lapic_msr_read(s, 0x800 + rnd() % 0x100, &v, &n);
			lapic_msr_write(s, 0x800 + rnd() % 0x100, rnd(), &n,
					&fx);
			irq.vector = rnd();
			irq.delivery_mode = rnd();
			irq.level = rnd() & 1;
			irq.trig_level = rnd() & 1;
			lapic_accept_irq(s, &irq);
			lapic_local_deliver(s, 0x2f0 + (rnd() % 9) * 0x10, &irq);
			lapic_ack(s);
			if (rnd() & 1)
				lapic_eoi(s, &fx);
			lapic_timer_expired(s, &n);
			lapic_timer_inject(s, &irq);
			lapic_tscdeadline_write(s, rnd(), &n);
			n.ns += rnd() % 100000;
			n.tsc += rnd() % 100000;
		}
		EXPECT_LE(lapic_timer_current_count(s, &n),
			  R(s, LAPIC_TMICT));
		EXPECT_EQ(0U, R(s, LAPIC_TMCCT));
		ASSERT_EQ(0, lapic_get_state(s, page, &n, rnd() & 1));
	}
	free(s);
}

TEST_HARNESS_MAIN
