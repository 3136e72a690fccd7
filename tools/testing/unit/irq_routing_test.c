// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the GSI routing table and MSI decoding
 * (arch/x86/kvm/irq_routing.c).  Expected values come from KVM 6.1's
 * behaviour as read in its sources and from SDM vol. 3A 10.11.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "irq_routing.h"

static const struct kvm_irq_routing_opts no_opts;

static struct kvm_irq_routing_entry chip_entry(u32 gsi, u32 chip, u32 pin)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	return e;
}

static struct kvm_irq_routing_entry msi_entry(u32 gsi, u32 lo, u32 hi, u32 data)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = lo, .address_hi = hi, .data = data },
	};
	return e;
}

/* prepare + build; the table (or NULL on error) in *out, free()d by caller. */
static int build(const struct kvm_irq_routing_entry *ue, u32 nr,
		 const struct kvm_irq_routing_opts *opts,
		 struct kvm_irq_routing_table **out)
{
	struct kvm_irq_routing_table *rt;
	size_t size;
	int r;

	*out = NULL;
	r = kvm_irq_routing_prepare(ue, nr, 0, &size);
	if (r)
		return r;
	rt = malloc(size);
	if (!rt)
		abort();
	memset(rt, 0xa5, size);	/* build must not rely on zeroed memory */
	r = kvm_irq_routing_build(rt, size, ue, nr, opts);
	if (r)
		free(rt);
	else
		*out = rt;
	return r;
}

static int build_one(struct kvm_irq_routing_entry e,
		     const struct kvm_irq_routing_opts *opts)
{
	struct kvm_irq_routing_table *rt;
	int r = build(&e, 1, opts, &rt);

	free(rt);
	return r;
}

TEST(gsi_limit)
{
	struct kvm_irq_routing_entry e[2] = {
		chip_entry(0, KVM_IRQCHIP_IOAPIC, 0),
		chip_entry(4095, KVM_IRQCHIP_IOAPIC, 1),
	};
	struct kvm_irq_routing_table *rt;
	size_t size;

	ASSERT_EQ(0, build(e, 2, &no_opts, &rt));
	EXPECT_EQ(4096U, rt->nr_rt_entries);
	free(rt);
	e[1].gsi = 4096;
	EXPECT_EQ(-EINVAL, kvm_irq_routing_prepare(e, 2, 0, &size));
	e[1].gsi = 0xffffffff;
	EXPECT_EQ(-EINVAL, kvm_irq_routing_prepare(e, 2, 0, &size));
}

TEST(header_checks)
{
	struct kvm_irq_routing_entry e = chip_entry(1, KVM_IRQCHIP_IOAPIC, 1);
	size_t size;

	EXPECT_EQ(-EINVAL, kvm_irq_routing_prepare(&e, 1, 1, &size));
	EXPECT_EQ(-EINVAL, kvm_irq_routing_prepare(&e, 4097, 0, &size));
	/* An empty table is valid: KVM's split-irqchip default. */
	ASSERT_EQ(0, kvm_irq_routing_prepare(NULL, 0, 0, &size));
}

TEST(empty_table)
{
	const struct kvm_kernel_irq_routing_entry *ent;
	struct kvm_irq_routing_table *rt;

	ASSERT_EQ(0, build(NULL, 0, &no_opts, &rt));
	EXPECT_EQ(1U, rt->nr_rt_entries);
	EXPECT_EQ(0U, kvm_irq_map_gsi(rt, 0, &ent));
	EXPECT_EQ(0U, kvm_irq_map_gsi(rt, 5000, &ent));
	EXPECT_EQ(NULL, ent);
	EXPECT_EQ(-1, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_IOAPIC, 0));
	free(rt);
}

TEST(size_mismatch_refused)
{
	struct kvm_irq_routing_entry e = chip_entry(3, KVM_IRQCHIP_IOAPIC, 3);
	struct kvm_irq_routing_table *rt;
	size_t size;

	ASSERT_EQ(0, kvm_irq_routing_prepare(&e, 1, 0, &size));
	rt = malloc(size + 4);
	EXPECT_EQ(-EINVAL, kvm_irq_routing_build(rt, size - 4, &e, 1, &no_opts));
	EXPECT_EQ(-EINVAL, kvm_irq_routing_build(rt, size + 4, &e, 1, &no_opts));
	EXPECT_EQ(0, kvm_irq_routing_build(rt, size, &e, 1, &no_opts));
	free(rt);
}

TEST(pin_ranges)
{
	EXPECT_EQ(0, build_one(chip_entry(0, KVM_IRQCHIP_PIC_MASTER, 7), &no_opts));
	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, KVM_IRQCHIP_PIC_MASTER, 8), &no_opts));
	EXPECT_EQ(0, build_one(chip_entry(0, KVM_IRQCHIP_PIC_SLAVE, 7), &no_opts));
	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, KVM_IRQCHIP_PIC_SLAVE, 8), &no_opts));
	EXPECT_EQ(0, build_one(chip_entry(0, KVM_IRQCHIP_IOAPIC, 23), &no_opts));
	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, KVM_IRQCHIP_IOAPIC, 24), &no_opts));
	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, KVM_IRQCHIP_IOAPIC, 0xffffffff),
				     &no_opts));
	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, 3, 0), &no_opts));
}

TEST(types_and_flags)
{
	struct kvm_irq_routing_entry e = chip_entry(2, KVM_IRQCHIP_IOAPIC, 2);

	e.flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));

	e = msi_entry(2, 0xfee00000, 0, 0x30);
	e.flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(0, build_one(e, &no_opts));
	e.flags = 2;
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));

	e.flags = 0;
	e.type = KVM_IRQ_ROUTING_S390_ADAPTER;
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));
	e.type = KVM_IRQ_ROUTING_HV_SINT;	/* no Hyper-V in Kestrel */
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));
	e.type = KVM_IRQ_ROUTING_XEN_EVTCHN;
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));
	e.type = 0;
	EXPECT_EQ(-EINVAL, build_one(e, &no_opts));
}

TEST(split_irqchip_refuses_irqchip_entries)
{
	struct kvm_irq_routing_opts split = { .split_irqchip = true };

	EXPECT_EQ(-EINVAL, build_one(chip_entry(0, KVM_IRQCHIP_IOAPIC, 0), &split));
	EXPECT_EQ(0, build_one(msi_entry(0, 0xfee01000, 0, 0x40), &split));
}

TEST(x2apic_format_msi)
{
	struct kvm_irq_routing_opts x2 = { .x2apic_format = true };

	EXPECT_EQ(0, build_one(msi_entry(0, 0xfee00000, 0x100, 0x40), &x2));
	EXPECT_EQ(-EINVAL, build_one(msi_entry(0, 0xfee00000, 0x1, 0x40), &x2));
	/* Without the format, address_hi is not looked at. */
	EXPECT_EQ(0, build_one(msi_entry(0, 0xfee00000, 0xff, 0x40), &no_opts));
	EXPECT_TRUE(kvm_msi_route_invalid(0x80, true));
	EXPECT_FALSE(kvm_msi_route_invalid(0x80, false));
}

TEST(duplicates)
{
	struct kvm_irq_routing_entry e[3];
	struct kvm_irq_routing_table *rt;

	/* Same GSI to the same chip twice, even on another pin. */
	e[0] = chip_entry(5, KVM_IRQCHIP_IOAPIC, 5);
	e[1] = chip_entry(5, KVM_IRQCHIP_IOAPIC, 6);
	EXPECT_EQ(-EINVAL, build(e, 2, &no_opts, &rt));
	/* PIC master and slave are two irqchips: allowed with the IOAPIC. */
	e[1] = chip_entry(5, KVM_IRQCHIP_PIC_MASTER, 5);
	e[2] = chip_entry(5, KVM_IRQCHIP_PIC_SLAVE, 5);
	ASSERT_EQ(0, build(e, 3, &no_opts, &rt));
	free(rt);
	/* MSI shares a GSI with nothing, in either order. */
	e[1] = msi_entry(5, 0xfee00000, 0, 0x30);
	EXPECT_EQ(-EINVAL, build(e, 2, &no_opts, &rt));
	EXPECT_EQ(-EINVAL, build(&e[1], 2, &no_opts, &rt));
	e[0] = msi_entry(5, 0xfee00000, 0, 0x31);
	EXPECT_EQ(-EINVAL, build(e, 2, &no_opts, &rt));
	/* Same chip, different GSIs: fine. */
	e[0] = chip_entry(5, KVM_IRQCHIP_IOAPIC, 5);
	e[1] = chip_entry(6, KVM_IRQCHIP_IOAPIC, 5);
	ASSERT_EQ(0, build(e, 2, &no_opts, &rt));
	/* The later entry owns the pin, as in KVM. */
	EXPECT_EQ(6, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_IOAPIC, 5));
	free(rt);
}

TEST(msi_then_chip_same_gsi)
{
	struct kvm_irq_routing_entry e[2] = {
		msi_entry(9, 0xfee00000, 0, 0x30),
		chip_entry(9, KVM_IRQCHIP_IOAPIC, 9),
	};
	struct kvm_irq_routing_table *rt;

	EXPECT_EQ(-EINVAL, build(e, 2, &no_opts, &rt));
	EXPECT_EQ(NULL, rt);
}

TEST(default_routing)
{
	const struct kvm_kernel_irq_routing_entry *ent;
	struct kvm_irq_routing_entry def[KVM_DEFAULT_IRQ_ROUTES + 1];
	struct kvm_irq_routing_table *rt;
	u32 nr, gsi;

	memset(def, 0xa5, sizeof(def));
	nr = kvm_default_irq_routing(def);
	EXPECT_EQ(0xa5a5a5a5U, def[KVM_DEFAULT_IRQ_ROUTES].gsi);
	ASSERT_EQ(40U, nr);
	/* KVM's order: the IOAPIC entry of a GSI, then its PIC entry. */
	EXPECT_EQ(0U, def[0].gsi);
	EXPECT_EQ((u32)KVM_IRQCHIP_IOAPIC, def[0].u.irqchip.irqchip);
	EXPECT_EQ((u32)KVM_IRQCHIP_PIC_MASTER, def[1].u.irqchip.irqchip);
	EXPECT_EQ((u32)KVM_IRQCHIP_PIC_SLAVE, def[17].u.irqchip.irqchip);
	EXPECT_EQ(0U, def[17].u.irqchip.pin);
	EXPECT_EQ(23U, def[39].gsi);

	ASSERT_EQ(0, build(def, nr, &no_opts, &rt));
	EXPECT_EQ(24U, rt->nr_rt_entries);
	EXPECT_EQ(40U, rt->nr_entries);
	for (gsi = 0; gsi < 24; gsi++) {
		unsigned int n = kvm_irq_map_gsi(rt, gsi, &ent);

		ASSERT_EQ(gsi < 16U ? 2U : 1U, n);
		EXPECT_EQ(gsi, ent[0].gsi);
		EXPECT_EQ((u32)KVM_IRQCHIP_IOAPIC, ent[0].irqchip.irqchip);
		EXPECT_EQ(gsi, ent[0].irqchip.pin);
		if (n == 2) {
			EXPECT_EQ(gsi < 8 ? (u32)KVM_IRQCHIP_PIC_MASTER :
					    (u32)KVM_IRQCHIP_PIC_SLAVE,
				  ent[1].irqchip.irqchip);
			/* Kernel form: PIC pins 0..15 across both chips. */
			EXPECT_EQ(gsi, ent[1].irqchip.pin);
		}
		EXPECT_EQ((int)gsi, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_IOAPIC, gsi));
	}
	EXPECT_EQ(0U, kvm_irq_map_gsi(rt, 24, &ent));
	EXPECT_EQ(2, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_PIC_MASTER, 2));
	EXPECT_EQ(-1, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_PIC_MASTER, 8));
	EXPECT_EQ(10, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_PIC_SLAVE, 10));
	EXPECT_EQ(-1, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_PIC_SLAVE, 2));
	EXPECT_EQ(-1, kvm_irq_map_chip_pin(rt, KVM_IRQCHIP_IOAPIC, 24));
	EXPECT_EQ(-1, kvm_irq_map_chip_pin(rt, 3, 0));
	free(rt);
}

TEST(sorted_by_gsi_stable)
{
	struct kvm_irq_routing_entry e[4] = {
		msi_entry(100, 0xfee00000, 0, 0x41),
		chip_entry(7, KVM_IRQCHIP_PIC_MASTER, 7),
		msi_entry(3, 0xfee00000, 0, 0x43),
		chip_entry(7, KVM_IRQCHIP_IOAPIC, 7),
	};
	const struct kvm_kernel_irq_routing_entry *ent;
	struct kvm_irq_routing_table *rt;

	ASSERT_EQ(0, build(e, 4, &no_opts, &rt));
	EXPECT_EQ(101U, rt->nr_rt_entries);
	ASSERT_EQ(1U, kvm_irq_map_gsi(rt, 3, &ent));
	EXPECT_EQ(0x43U, ent[0].msi.data);
	ASSERT_EQ(2U, kvm_irq_map_gsi(rt, 7, &ent));
	EXPECT_EQ((u32)KVM_IRQCHIP_PIC_MASTER, ent[0].irqchip.irqchip);
	EXPECT_EQ((u32)KVM_IRQCHIP_IOAPIC, ent[1].irqchip.irqchip);
	ASSERT_EQ(1U, kvm_irq_map_gsi(rt, 100, &ent));
	EXPECT_EQ((u32)KVM_IRQ_ROUTING_MSI, ent[0].type);
	EXPECT_EQ(0xfee00000, ent[0].msi.address_lo);
	EXPECT_EQ(0U, kvm_irq_map_gsi(rt, 50, &ent));
	free(rt);
}

TEST(max_entries)
{
	struct kvm_irq_routing_entry *e = calloc(4096, sizeof(*e));
	const struct kvm_kernel_irq_routing_entry *ent;
	struct kvm_irq_routing_table *rt;
	u32 i;

	for (i = 0; i < 4096; i++)
		e[i] = msi_entry(4095 - i, 0xfee00000, 0, i & 0xff);
	ASSERT_EQ(0, build(e, 4096, &no_opts, &rt));
	ASSERT_EQ(1U, kvm_irq_map_gsi(rt, 4095, &ent));
	EXPECT_EQ(0U, ent[0].msi.data);
	ASSERT_EQ(1U, kvm_irq_map_gsi(rt, 0, &ent));
	EXPECT_EQ(4095U & 0xffU, ent[0].msi.data);
	free(rt);
	/* Many entries on one GSI fail early, not in quadratic time. */
	for (i = 0; i < 4096; i++)
		e[i] = chip_entry(1, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_EQ(-EINVAL, build(e, 4096, &no_opts, &rt));
	free(e);
}

TEST(msi_decode_xapic)
{
	struct kvm_apic_irq irq;

	/* Dest 0x12, physical, no hint; fixed, edge, vector 0x31. */
	EXPECT_TRUE(kvm_msi_decode(0xfee12000, 0xabcdef00, 0x0031, false, &irq));
	EXPECT_EQ(0x12U, irq.dest_id);	/* address_hi ignored */
	EXPECT_EQ(0x31, irq.vector);
	EXPECT_EQ(0, irq.delivery_mode);
	EXPECT_FALSE(irq.dest_logical);
	EXPECT_FALSE(irq.level_trig);
	EXPECT_FALSE(irq.redir_hint);
	EXPECT_TRUE(irq.level);

	/* Logical, hint; lowest priority, level trigger, assert. */
	EXPECT_TRUE(kvm_msi_decode(0xfeeff00c, 0, 0xc1ef, false, &irq));
	EXPECT_EQ(0xffU, irq.dest_id);
	EXPECT_EQ(0xef, irq.vector);
	EXPECT_EQ(1, irq.delivery_mode);
	EXPECT_TRUE(irq.dest_logical);
	EXPECT_TRUE(irq.level_trig);
	EXPECT_TRUE(irq.redir_hint);

	/* NMI (4), ExtINT (7); vector bits pass through. */
	kvm_msi_decode(0xfee00000, 0, 0x0400, false, &irq);
	EXPECT_EQ(4, irq.delivery_mode);
	kvm_msi_decode(0xfee00000, 0, 0x0700, false, &irq);
	EXPECT_EQ(7, irq.delivery_mode);
	/* Bit 14 (deassert) does not change anything: KVM asserts. */
	kvm_msi_decode(0xfee00000, 0, 0x8030, false, &irq);
	EXPECT_TRUE(irq.level);
	EXPECT_TRUE(irq.level_trig);
}

TEST(msi_decode_x2apic_format)
{
	struct kvm_apic_irq irq;

	kvm_msi_decode(0xfee34000, 0x12345600, 0x50, true, &irq);
	EXPECT_EQ(0x12345634U, irq.dest_id);
	kvm_msi_decode(0xfee34000, 0x000001ff, 0x50, true, &irq);
	EXPECT_EQ(0x134U, irq.dest_id);
}

TEST(msi_decode_outside_window)
{
	struct kvm_apic_irq irq;

	EXPECT_FALSE(kvm_msi_decode(0xfed00000, 0, 0x30, false, &irq));
	EXPECT_FALSE(kvm_msi_decode(0x0ee00000, 0, 0x30, false, &irq));
	EXPECT_TRUE(kvm_msi_decode(0xfeefffff, 0, 0x30, false, &irq));
	/* Decoded anyway, as KVM delivers it anyway. */
	kvm_msi_decode(0x00005000, 0, 0x30, false, &irq);
	EXPECT_EQ(5U, irq.dest_id);
	EXPECT_EQ(0x30, irq.vector);
}

TEST(status_merge)
{
	/* As kvm_set_irq() adds up the results of a GSI's entries. */
	EXPECT_EQ(-1, kvm_irq_status_merge(-1, -1));
	EXPECT_EQ(-1, kvm_irq_status_merge(-1, -EINVAL));
	EXPECT_EQ(0, kvm_irq_status_merge(-1, 0));
	EXPECT_EQ(1, kvm_irq_status_merge(-1, 1));
	EXPECT_EQ(1, kvm_irq_status_merge(1, -1));
	EXPECT_EQ(1, kvm_irq_status_merge(0, 1));
	EXPECT_EQ(2, kvm_irq_status_merge(1, 1));
	EXPECT_EQ(0, kvm_irq_status_merge(0, 0));
}

TEST_HARNESS_MAIN
