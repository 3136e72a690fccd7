// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIC and IOAPIC of KVM_CREATE_IRQCHIP: the glue around the
 * register models of i8259.c and ioapic.c.  Vendor-neutral.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <kestrel/kvm_host.h>
#include "irq.h"

void kvm_irqchip_destroy(struct kvm *kvm)
{
}

void kvm_irqchip_clear_source(struct kvm *kvm, int irq_source_id)
{
}

int kvm_irqchip_set_pin(struct kvm *kvm, u32 irqchip, u32 pin,
			int irq_source_id, int level, bool line_status)
{
	return -1;
}
